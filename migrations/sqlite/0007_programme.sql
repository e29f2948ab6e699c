-- The programme register: strategies → themes → commitments → projects (with dated updates)
-- and case studies. Deleting anything another row points at is refused (ON DELETE RESTRICT on
-- every link that matters; the application explains which rows are in the way first).
-- Dates of projects and updates are Unix seconds at midnight UTC.

CREATE TABLE strategies (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    slug            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    period          TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    body_markdown   TEXT NOT NULL DEFAULT '',
    body_html       TEXT NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL
);

CREATE TABLE programme_themes (
    id          INTEGER PRIMARY KEY,
    strategy_id INTEGER NOT NULL REFERENCES strategies(id) ON DELETE RESTRICT,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE commitments (
    id           INTEGER PRIMARY KEY,
    theme_id     INTEGER NOT NULL REFERENCES programme_themes(id) ON DELETE RESTRICT,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    action_ref   TEXT NOT NULL DEFAULT '',
    action_title TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE projects (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    owner_team TEXT NOT NULL DEFAULT '',
    phase      TEXT NOT NULL CHECK (phase IN ('discovery', 'alpha', 'beta', 'live', 'retired')),
    status     TEXT NOT NULL CHECK (status IN ('on_track', 'at_risk', 'off_track', 'done')),
    start_date INTEGER,
    end_date   INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX projects_phase ON projects(phase);

CREATE TABLE project_commitments (
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    commitment_id INTEGER NOT NULL REFERENCES commitments(id) ON DELETE RESTRICT,
    PRIMARY KEY (project_id, commitment_id)
);
CREATE INDEX project_commitments_commitment ON project_commitments(commitment_id);

CREATE TABLE project_organisations (
    project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
    PRIMARY KEY (project_id, organisation_id)
);
CREATE INDEX project_organisations_organisation ON project_organisations(organisation_id);

CREATE TABLE project_topics (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    topic_id   INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, topic_id)
);

CREATE TABLE project_updates (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
    dated      INTEGER NOT NULL,
    body       TEXT NOT NULL,
    phase      TEXT CHECK (phase IN ('discovery', 'alpha', 'beta', 'live', 'retired')),
    status     TEXT CHECK (status IN ('on_track', 'at_risk', 'off_track', 'done')),
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX project_updates_project ON project_updates(project_id, dated);

CREATE TABLE case_studies (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE case_study_projects (
    case_study_id INTEGER NOT NULL REFERENCES case_studies(id) ON DELETE CASCADE,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
    PRIMARY KEY (case_study_id, project_id)
);

CREATE TABLE case_study_themes (
    case_study_id INTEGER NOT NULL REFERENCES case_studies(id) ON DELETE CASCADE,
    theme_id      INTEGER NOT NULL REFERENCES programme_themes(id) ON DELETE RESTRICT,
    PRIMARY KEY (case_study_id, theme_id)
);
