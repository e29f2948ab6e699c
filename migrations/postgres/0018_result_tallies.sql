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
