-- Pages: long documents such as a strategy, written like posts but kept out of the blog, its
-- feeds and its lists, and shown at /pages/{slug} with a contents list.
ALTER TABLE posts ADD COLUMN kind TEXT NOT NULL DEFAULT 'post';
