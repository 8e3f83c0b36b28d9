-- Schema version 9: people's accounts.
--
-- A projection of `account_saved` events: who may sign in to this store, in
-- which role, as which responder. Passwords are not here; they live only in
-- the store's key file (`beacon-auth`), wrapped around the store's key.

CREATE TABLE users (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    responder_id TEXT,
    disabled     INTEGER NOT NULL DEFAULT 0,
    record       TEXT NOT NULL             -- the account as JSON (beacon_domain::User)
) STRICT;

-- Who viewed which case, and when, is read from the log by case: the case
-- index on events serves it. Views are not changes: the screen watcher
-- skips them.
