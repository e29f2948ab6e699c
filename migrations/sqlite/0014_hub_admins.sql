-- Admin is held per organisation: an admin manages the organisations under them and gives
-- roles only there. A hub admin (given from the command line: `townhall user hub-admin`)
-- manages every organisation and creates departments. On upgrade, the admins of the only
-- department become hub admins (they could do everything before); in a hub with several
-- departments nobody does, since a department's admin could take over the others.
ALTER TABLE users ADD COLUMN hub_admin BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET hub_admin = TRUE
WHERE (SELECT COUNT(*) FROM organisations WHERE parent_id IS NULL) = 1
  AND id IN (SELECT m.user_id FROM memberships m JOIN organisations o ON o.id = m.organisation_id
             WHERE m.role = 'admin' AND o.parent_id IS NULL);
