-- Markdown is rendered once, when it is saved, never for a view: a post's headings (for its
-- contents list) are stored beside its HTML as JSON, and `renderer` records which version of
-- the renderer made both, so that a server with a newer renderer re-renders older rows when
-- it starts (src/posts.rs).
ALTER TABLE posts ADD COLUMN body_headings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE posts ADD COLUMN renderer INTEGER NOT NULL DEFAULT 0;
