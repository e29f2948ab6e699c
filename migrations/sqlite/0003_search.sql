-- Site search: one full-text index over everything public (posts now; consultations and
-- projects later). Each row says where the document lives (url), who published it, and from
-- when it is public (published_at; NULL for never), so that drafts and scheduled posts are
-- indexed but not found.
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED,
    ref_id UNINDEXED,
    organisation_id UNINDEXED,
    published_at UNINDEXED,
    url UNINDEXED,
    title,
    body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
