-- What the public sees of an analysis is the reviewed copy as it was when the analyst
-- published it; later edits stay private until the analyst publishes again.
ALTER TABLE analyses ADD COLUMN published_review TEXT;
UPDATE analyses SET published_review = review WHERE published_at IS NOT NULL;
