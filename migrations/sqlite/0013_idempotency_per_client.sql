-- A response's submission key is scoped to its sender (the form, or an API client by its
-- token or address: `submission_key` now holds a hash of the scope and the key given), and an
-- API response keeps a hash of what was sent, so that a key reused for different answers is
-- refused instead of answered with another respondent's reference (src/listening.rs).
ALTER TABLE responses ADD COLUMN request_hash TEXT;
