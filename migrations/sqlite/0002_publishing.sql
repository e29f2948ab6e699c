-- Publishing: posts with authors, categories and topics, their edit history, pre-moderated
-- comments, and site settings (such as the pre-election pause on comments).
-- A post is public when status = 'published' and published_at <= now; a later published_at
-- is a scheduled post, which appears by itself when its time comes.

CREATE TABLE posts (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    slug            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    body_markdown   TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_at    INTEGER,
    comments_open   BOOLEAN NOT NULL DEFAULT TRUE,
    created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX posts_public ON posts(status, published_at);
CREATE INDEX posts_organisation ON posts(organisation_id, published_at);

CREATE TABLE post_authors (
    post_id  INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    PRIMARY KEY (post_id, position)
);

CREATE TABLE categories (
    id   INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE post_categories (
    post_id     INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, category_id)
);

CREATE TABLE topics (
    id      INTEGER PRIMARY KEY,
    slug    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT ''
);

CREATE TABLE post_topics (
    post_id  INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, topic_id)
);

CREATE TABLE post_revisions (
    id            INTEGER PRIMARY KEY,
    post_id       INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    edited_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    edited_at     INTEGER NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions(post_id, id);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX comments_queue ON comments(status, created_at);
CREATE INDEX comments_post ON comments(post_id, status, created_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
