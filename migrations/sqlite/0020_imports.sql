-- What `townhall import wordpress` brought in, so a second run adds nothing: each item of a
-- source site (posts and pages, comments, attachments) with what it became here. An item
-- deleted here after its import stays deleted when the export is imported again.
CREATE TABLE imported (
    source    TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('post', 'comment', 'media')),
    source_id TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);

-- Old addresses that answer 301 with a post's or page's address here: an imported blog's
-- permalinks (`/2020/01/02/slug/`, `/about/`) and its `/?p=ID` and `/?page_id=ID`
-- links. The path is kept without a trailing slash; the post is named by id, so the redirect
-- follows a later change of slug.
CREATE TABLE redirects (
    path    TEXT PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE
);
