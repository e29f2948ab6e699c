-- Single sign-on (OpenID Connect): a sign-in sent to a provider, waiting for its answer. The
-- state the provider sends back finds it (kept hashed) and works once; the browser that
-- started it must hold the cookie whose hash is kept; the PKCE verifier and the nonce check
-- the provider's answer.
CREATE TABLE sso_sign_ins (
    state_hash    TEXT PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    provider      TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);
