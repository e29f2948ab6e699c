-- Listening: exercises (consultations, surveys, reviews), their responses, the evidence log,
-- analyses of free-text answers with the analyst's review, published "we asked, you said,
-- we did" actions, and idea challenges.
--
-- An exercise's questions, segments and scoring dimensions are its `definition` (JSON, the
-- same document the admin import/export and the API take), so a definition is stored and
-- versioned as one unit. Answers are JSON keyed by question id.

CREATE TABLE exercises (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    slug            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('consultation', 'survey', 'review')),
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    body_html       TEXT NOT NULL DEFAULT '',
    opens_at        INTEGER NOT NULL,
    closes_at       INTEGER NOT NULL,
    published       BOOLEAN NOT NULL DEFAULT FALSE,
    results_published_at INTEGER,
    definition      TEXT NOT NULL,
    created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX exercises_dates ON exercises(published, closes_at);

CREATE TABLE exercise_topics (
    exercise_id INTEGER NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    topic_id    INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    PRIMARY KEY (exercise_id, topic_id)
);

-- One row per submission. `submission_key` is chosen by the sender (a hidden form field, or
-- the API's Idempotency-Key header), so the same submission sent twice is stored once.
CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    exercise_id    INTEGER NOT NULL REFERENCES exercises(id) ON DELETE RESTRICT,
    reference      TEXT NOT NULL UNIQUE,
    submission_key TEXT NOT NULL,
    answers        TEXT NOT NULL,
    segments       TEXT NOT NULL DEFAULT '{}',
    source         TEXT NOT NULL DEFAULT 'online',
    submitted_at   INTEGER NOT NULL,
    UNIQUE (exercise_id, submission_key)
);
CREATE INDEX responses_exercise ON responses(exercise_id, id);

-- Personal data is kept apart from the answers: publishing and analysis never read it, and
-- erasing a respondent's email leaves their (anonymous) answers.
CREATE TABLE response_contacts (
    response_id INTEGER PRIMARY KEY REFERENCES responses(id) ON DELETE CASCADE,
    email       TEXT NOT NULL
);

-- Messages waiting for the mail relay (receipts).
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
);

-- Interview notes, workshop outputs and responses collected elsewhere, analysed with the
-- exercise's own answers to `question_id`.
CREATE TABLE evidence (
    id          INTEGER PRIMARY KEY,
    exercise_id INTEGER NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    source_type TEXT NOT NULL CHECK (source_type IN ('interview', 'workshop', 'document', 'imported')),
    collected_on TEXT NOT NULL,
    segment     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX evidence_exercise ON evidence(exercise_id, question_id);

-- An analysis is also its own background job: queued → running → done | failed, claimed by
-- exactly one worker. `result` is the engine's output; `review` is the analyst's edited copy.
CREATE TABLE analyses (
    id           INTEGER PRIMARY KEY,
    exercise_id  INTEGER NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    question_id  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    result       TEXT,
    review       TEXT,
    error        TEXT,
    requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    requested_at INTEGER NOT NULL,
    claimed_at   INTEGER,
    finished_at  INTEGER,
    published_at INTEGER
);
CREATE INDEX analyses_queue ON analyses(status, id);
CREATE INDEX analyses_exercise ON analyses(exercise_id, question_id);

-- Every change an analyst makes to a result, in order.
CREATE TABLE analysis_changes (
    id          INTEGER PRIMARY KEY,
    analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    changed_at  INTEGER NOT NULL
);

-- "We asked, you said, we did": each "you said" points at a theme of a reviewed analysis.
CREATE TABLE result_actions (
    id          INTEGER PRIMARY KEY,
    exercise_id INTEGER NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    analysis_id INTEGER REFERENCES analyses(id) ON DELETE SET NULL,
    theme_id    TEXT,
    you_said    TEXT NOT NULL,
    we_did      TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0
);

-- Idea challenges: ideas are moderated, voted on once per voter, scored by a panel.
CREATE TABLE challenges (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    slug            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    criteria        TEXT NOT NULL DEFAULT '[]',
    opens_at        INTEGER NOT NULL,
    closes_at       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE ideas (
    id           INTEGER PRIMARY KEY,
    challenge_id INTEGER NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    author_name  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'shortlisted')),
    reason       TEXT,
    submitted_at INTEGER NOT NULL,
    decided_at   INTEGER
);
CREATE INDEX ideas_challenge ON ideas(challenge_id, status);

CREATE TABLE idea_votes (
    idea_id  INTEGER NOT NULL REFERENCES ideas(id) ON DELETE CASCADE,
    voter    TEXT NOT NULL,
    voted_at INTEGER NOT NULL,
    PRIMARY KEY (idea_id, voter)
);

CREATE TABLE idea_scores (
    idea_id   INTEGER NOT NULL REFERENCES ideas(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    criterion TEXT NOT NULL,
    score     INTEGER NOT NULL,
    scored_at INTEGER NOT NULL,
    PRIMARY KEY (idea_id, user_id, criterion)
);
