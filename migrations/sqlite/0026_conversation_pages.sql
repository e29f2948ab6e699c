-- Conversations on the site (docs/deliberation.md): an editor opens one on a topic, its
-- results are published once moderated, and "you said, we did" can point at a statement or
-- an opinion group of a conversation as well as at a theme.
CREATE TABLE conversation_topics (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    topic_id        INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, topic_id)
);

ALTER TABLE conversations ADD COLUMN results_published_at INTEGER;

-- How many have voted on each statement as the groups last counted: what the next statement
-- shown to a participant is weighted by, so voting never has to count votes.
ALTER TABLE conversation_statements ADD COLUMN votes INTEGER NOT NULL DEFAULT 0;

-- Participants from one address, counted when another browser there joins.
CREATE INDEX conversation_participants_by_address
    ON conversation_participants (conversation_id, address);

-- A "you said" can cite a statement or an opinion group of a conversation (`statement:12`,
-- `group:A`), as it cites a theme of an analysis.
ALTER TABLE result_actions ADD COLUMN conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL;
ALTER TABLE result_actions ADD COLUMN conversation_part TEXT;
