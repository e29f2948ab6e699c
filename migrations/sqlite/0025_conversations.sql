-- Conversations (docs/deliberation.md): participants write short statements and vote agree (1),
-- disagree (-1) or pass (0) on others'; opinion groups are computed from the votes
-- (crates/opinion). The numbers of participants and statements are their ids in the
-- conversation's Pol.is-format export, kept from an imported conversation.
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    slug            TEXT NOT NULL UNIQUE,
    question        TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    opens_at        INTEGER NOT NULL,
    closes_at       INTEGER NOT NULL,
    published       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      INTEGER NOT NULL
);

-- A participant: a visitor known by a cookie (its hash) and the address (hashed) it first came
-- from, or a participant of an imported conversation (no cookie). Number 0 is the hosts, the
-- author of the statements the conversation opens with, as Pol.is numbers its owner.
CREATE TABLE conversation_participants (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    cookie_hash     TEXT,
    address         TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, number),
    UNIQUE (conversation_id, cookie_hash)
);

-- Statements are shown once approved; a participant's waits for a moderator.
CREATE TABLE conversation_statements (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    author_id       INTEGER NOT NULL REFERENCES conversation_participants(id) ON DELETE CASCADE,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason          TEXT,
    submitted_at_ms INTEGER NOT NULL,
    decided_at      INTEGER,
    UNIQUE (conversation_id, number)
);

-- Every vote as cast, in milliseconds: a later vote on the same statement replaces an earlier
-- one in the maths, and the history replays who was counted when (as Pol.is's votes.csv).
CREATE TABLE conversation_votes (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    participant_id  INTEGER NOT NULL REFERENCES conversation_participants(id) ON DELETE CASCADE,
    statement_id    INTEGER NOT NULL REFERENCES conversation_statements(id) ON DELETE CASCADE,
    vote            INTEGER NOT NULL CHECK (vote IN (-1, 0, 1)),
    voted_at_ms     INTEGER NOT NULL
);
CREATE INDEX conversation_votes_in_order ON conversation_votes (conversation_id, id);
CREATE INDEX conversation_votes_by_participant ON conversation_votes (participant_id, statement_id);

-- The latest opinion groups of each conversation, computed off the request path by one node
-- at a time (jobs/conversations.rs): `outcome` is what results show, `state` what the next
-- update starts from, `through_vote` the last vote counted, `claimed_at` set while a node
-- computes.
CREATE TABLE conversation_groups (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    through_vote    INTEGER NOT NULL DEFAULT 0,
    outcome         TEXT,
    state           TEXT,
    computed_at     INTEGER,
    claimed_at      INTEGER
);
