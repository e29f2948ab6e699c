-- A challenge can ask that each vote be confirmed from an email address: the vote counts
-- once the link sent to that address is followed, and an address counts once per idea. Only
-- a hash of the address is kept (as the voter); the outbox holds the address itself until
-- the message is sent.
ALTER TABLE challenges ADD COLUMN votes_need_email BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE vote_confirmations (
    token_hash TEXT PRIMARY KEY,
    idea_id    INTEGER NOT NULL REFERENCES ideas(id) ON DELETE CASCADE,
    voter      TEXT NOT NULL,
    address    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
