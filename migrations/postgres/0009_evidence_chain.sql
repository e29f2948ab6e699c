-- The evidence chain: a "we did" statement on a consultation's results links to the
-- commitments and projects it led to, and a shortlisted idea to the project it became.
-- Register rows that are linked cannot be deleted (RESTRICT; the admin explains why first);
-- removing a "you said, we did" removes its links with it.

CREATE TABLE result_action_links (
    action_id     BIGINT NOT NULL REFERENCES result_actions(id) ON DELETE CASCADE,
    commitment_id BIGINT REFERENCES commitments(id) ON DELETE RESTRICT,
    project_id    BIGINT REFERENCES projects(id) ON DELETE RESTRICT,
    CHECK ((commitment_id IS NULL) <> (project_id IS NULL))
);
CREATE INDEX result_action_links_action ON result_action_links(action_id);
CREATE INDEX result_action_links_commitment ON result_action_links(commitment_id);
CREATE INDEX result_action_links_project ON result_action_links(project_id);

CREATE TABLE idea_projects (
    idea_id    BIGINT PRIMARY KEY REFERENCES ideas(id) ON DELETE RESTRICT,
    project_id BIGINT NOT NULL UNIQUE REFERENCES projects(id) ON DELETE RESTRICT
);
