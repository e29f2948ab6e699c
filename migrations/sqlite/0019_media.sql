-- The media library. Files live in the database, so backups, restores and several nodes
-- need nothing more: `blobs` holds each distinct content once, named by its SHA-256 (two
-- uploads of one file, or an image's renditions shared by two items, are stored once);
-- `media` is what an editor uploaded and names; `media_files` are what is served for it
-- (an image's re-encoded widths, a document as sent).
CREATE TABLE blobs (
    hash  TEXT PRIMARY KEY,
    size  INTEGER NOT NULL,
    bytes BLOB NOT NULL
);

CREATE TABLE media (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    title           TEXT NOT NULL,
    alt             TEXT NOT NULL DEFAULT '',
    decorative      BOOLEAN NOT NULL DEFAULT FALSE,
    format          TEXT NOT NULL,
    filename        TEXT NOT NULL,
    size            INTEGER NOT NULL,
    width           INTEGER,
    height          INTEGER,
    pages           INTEGER,
    uploaded_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX media_recent ON media(updated_at);

CREATE TABLE media_files (
    media_id  INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    width     INTEGER NOT NULL,
    format    TEXT NOT NULL,
    blob_hash TEXT NOT NULL REFERENCES blobs(hash),
    PRIMARY KEY (media_id, width)
);
CREATE INDEX media_files_blob ON media_files(blob_hash);
