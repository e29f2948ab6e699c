-- Accounts as a department runs them: links to set a password, sessions that can be listed
-- and end when idle, two-factor sign-in, and browsers known to an account.

-- One-time links to set a password: a reset the user asked for, or an admin's invitation.
-- Only the token's hash is kept; a newer link for the same user deletes the older ones.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('reset', 'invitation')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX password_links_user ON password_links(user_id);

-- When a session was last used (it ends after --session-idle-minutes without use) and the
-- browser it belongs to, shown on the account page.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions(user_id);

-- Two-factor sign-in (TOTP, RFC 6238): the shared secret in base32 (NULL: not set up) and
-- the last time step a code was taken for, so that no code is taken twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- Ten single-use codes for when the device is lost, kept hashed.
CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
-- A password accepted, the second factor still owed: the browser holds the token.
CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    next_path  TEXT NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
);

-- Browsers that have signed in to an account: wrong passwords typed by strangers slow the
-- account down for every other browser, never for these.
CREATE TABLE known_devices (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX known_devices_user ON known_devices(user_id);
