-- Moderators' alerts (0024) also count comments on a draft's paragraphs and statements written
-- in conversations: the last of each the moderator was told of.
ALTER TABLE users ADD COLUMN moderation_draft_comments_through BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN moderation_statements_through BIGINT NOT NULL DEFAULT 0;
