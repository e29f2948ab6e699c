-- Analytics counted on the server: page views per path per day, an estimate of unique
-- visitors, and referring sites. No cookies and no IP addresses are stored: a visitor is a
-- hash of the day's random salt, the address and the user agent, kept only for the day (to
-- count each once, across nodes) and deleted with the salt when the day is over.
-- A day is the Unix time of its midnight (UTC).
CREATE TABLE analytics_pages (
    day      INTEGER NOT NULL,
    path     TEXT NOT NULL,
    views    INTEGER NOT NULL DEFAULT 0,
    visitors INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, path)
);
CREATE INDEX analytics_pages_path ON analytics_pages(path);

-- Views that came from a link on another site: the path, and the site's host only.
CREATE TABLE analytics_referrers (
    day   INTEGER NOT NULL,
    path  TEXT NOT NULL,
    host  TEXT NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, path, host)
);

-- Today's salt, shared by every node so a visitor hashes the same everywhere.
CREATE TABLE analytics_salts (
    day  INTEGER PRIMARY KEY,
    salt TEXT NOT NULL
);

-- Today's visitor hashes per path (first 16 hex digits of SHA-256), to count each once.
CREATE TABLE analytics_visitors (
    day     INTEGER NOT NULL,
    path    TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, path, visitor)
);
