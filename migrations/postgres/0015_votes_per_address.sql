-- A vote remembers (as a hash) the address it came from, so that one address cannot stuff an
-- idea with fresh cookies; each idea counts the votes refused for that reason.
ALTER TABLE idea_votes ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE INDEX idea_votes_by_address ON idea_votes (idea_id, address);
ALTER TABLE ideas ADD COLUMN votes_refused BIGINT NOT NULL DEFAULT 0;
