-- Syndication: an organisation subscribes to other sites' feeds; their items are republished
-- with the author and a link to the original. A subscription is fetched when next_fetch_at
-- has come; whichever node claims it first (by moving next_fetch_at on) fetches it, so a
-- fetch never runs twice. Errors are recorded on the subscription.
CREATE TABLE feed_subscriptions (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    etag            TEXT,
    last_modified   TEXT,
    last_fetched_at INTEGER,
    last_error      TEXT,
    next_fetch_at   INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (organisation_id, url)
);
CREATE INDEX feed_subscriptions_due ON feed_subscriptions(next_fetch_at);

CREATE TABLE feed_items (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES feed_subscriptions(id) ON DELETE CASCADE,
    guid            TEXT NOT NULL,
    title           TEXT NOT NULL,
    link            TEXT,
    author          TEXT,
    published_at    INTEGER,
    summary_html    TEXT,
    content_html    TEXT,
    fetched_at      INTEGER NOT NULL,
    UNIQUE (subscription_id, guid)
);
CREATE INDEX feed_items_recent ON feed_items(fetched_at);
