-- Sending the outbox through a mail relay (`--smtp-url`): each message is claimed by one node
-- at a time, retried with a growing wait after a failure, and given up after ten attempts.
-- A sent message is deleted: the outbox keeps an address only until it has been used.
-- `response_id` ties a receipt to its response, so erasing the respondent's email on request
-- also removes a receipt not yet sent.
ALTER TABLE outbox ADD COLUMN response_id BIGINT REFERENCES responses(id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN gave_up_at BIGINT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;
