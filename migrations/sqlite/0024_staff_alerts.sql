-- Staff alerts by e-mail (docs/email.md): moderators hear of waiting comments and ideas (at
-- most hourly), editors of their consultations opening and closing, analysts of analyses
-- finishing. Each can turn them off on their account page.
ALTER TABLE users ADD COLUMN alert_moderation BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN alert_exercises BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN alert_analyses BOOLEAN NOT NULL DEFAULT TRUE;
-- When the moderator was last told (at most hourly), and the last comment and idea they were
-- told of: only what arrived after those is new to them.
ALTER TABLE users ADD COLUMN moderation_alerted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN moderation_comments_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN moderation_ideas_through INTEGER NOT NULL DEFAULT 0;
