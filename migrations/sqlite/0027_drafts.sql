-- Draft documents on consultations, commented on paragraph by paragraph (docs/listening.md).
--
-- A draft is kept as its Markdown and as the blocks pages show (JSON: headings, and numbered
-- paragraphs rendered by the sanitiser once, when it is saved). A comment names its
-- paragraph by number; it is held for moderation like an idea, and keyed by the form's
-- submission key so that a form sent twice is stored once.
-- (Number 0026 is left to the conversations pages.)

CREATE TABLE exercise_drafts (
    exercise_id INTEGER PRIMARY KEY REFERENCES exercises(id) ON DELETE CASCADE,
    markdown    TEXT NOT NULL,
    blocks      TEXT NOT NULL,
    updated_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE draft_comments (
    id             INTEGER PRIMARY KEY,
    exercise_id    INTEGER NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    paragraph      INTEGER NOT NULL CHECK (paragraph >= 1),
    body           TEXT NOT NULL,
    author_name    TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason         TEXT,
    submission_key TEXT NOT NULL,
    submitted_at   INTEGER NOT NULL,
    decided_at     INTEGER,
    decided_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (exercise_id, submission_key)
);
CREATE INDEX draft_comments_paragraph ON draft_comments(exercise_id, status, paragraph);
