-- The hub's SQLite schema, version 3: the people who enrol desktops.
--
-- A person signs in once on a desktop to enrol it; the device token the hub
-- then gives is bound to them (`tokens.user_name`): it receives only what
-- their role may see, may push only what their role may do, and stops
-- working when they are disabled. `verifier` is Argon2id's salt, cost and a
-- digest of what the password derives (see beacon-auth): never the password.

CREATE TABLE hub_users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,            -- dispatcher, task_force, supervisor, admin
    responder_id  TEXT,                     -- the roster's id, for a task-force member
    verifier      TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,                  -- unix ms
    disabled_at   INTEGER,                  -- unix ms
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE tokens ADD COLUMN user_name TEXT;
CREATE INDEX tokens_by_user ON tokens (user_name) WHERE user_name IS NOT NULL;
