-- An exercise's results counted up to a response (`through_id`), so a results page reads the
-- responses since then and not every response. `definition` is the fingerprint of the
-- questions the counts were made under: another one means counting again from the start.
-- Responses are never deleted, so the rows with id <= through_id are exactly the ones counted
-- (the reader checks their number, which catches a response committed late below it).
CREATE TABLE result_tallies (
    exercise_id BIGINT PRIMARY KEY REFERENCES exercises(id) ON DELETE CASCADE,
    definition  TEXT NOT NULL,
    through_id  BIGINT NOT NULL,
    tally       TEXT NOT NULL
);

-- A published analysis as the public sees it (themes with counts, shares and quotes; no list
-- of which response is in which theme), made when it is published: the results page and the
-- project pages that cite it read this, not the full review, which runs to megabytes on a
-- large consultation (in a table of its own, so that reading it never walks an analysis
-- row's long columns). Analyses published before it are listed in `analyses_to_summarise` (so
-- that no start-up reads the long rows to find them) and summarised when the server starts.
CREATE TABLE published_summaries (
    analysis_id BIGINT PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
    exercise_id BIGINT NOT NULL,
    question_id TEXT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX published_summaries_exercise ON published_summaries(exercise_id, question_id);
CREATE TABLE analyses_to_summarise (analysis_id BIGINT PRIMARY KEY);
INSERT INTO analyses_to_summarise SELECT id FROM analyses WHERE published_at IS NOT NULL;
