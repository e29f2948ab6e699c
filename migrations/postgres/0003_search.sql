-- Site search: one full-text index over everything public (posts now; consultations and
-- projects later). Each row says where the document lives (url), who published it, and from
-- when it is public (published_at; NULL for never), so that drafts and scheduled posts are
-- indexed but not found.
CREATE TABLE search_index (
    kind            TEXT NOT NULL,
    ref_id          BIGINT NOT NULL,
    organisation_id BIGINT,
    published_at    BIGINT,
    url             TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    document        TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) STORED,
    PRIMARY KEY (kind, ref_id)
);
CREATE INDEX search_index_document ON search_index USING GIN (document);
