-- The hub's SQLite schema, version 1.
--
-- `events` holds every device's stream (and the hub's own), in arrival
-- order: `hub_seq` is the pull cursor. `devices` keeps each stream's head
-- (last sequence and hash) so a push is checked against it in the same
-- transaction that stores it. `cases` files each case by its referral, for
-- intake's "already known" and for device scopes.

CREATE TABLE hub_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE devices (
    device    TEXT PRIMARY KEY,            -- DeviceId
    head_seq  INTEGER NOT NULL,
    head_hash BLOB NOT NULL,               -- 32 bytes
    last_hlc  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE events (
    hub_seq    INTEGER PRIMARY KEY,        -- arrival order at the hub
    id         TEXT NOT NULL UNIQUE,       -- EventId
    device     TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    hlc        INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    case_id    TEXT,
    kind       TEXT NOT NULL,              -- the body's kind, for queries that need no payload
    body       TEXT NOT NULL,              -- exactly as the device hashed it
    prev       BLOB NOT NULL,              -- the device's previous event's hash
    hash       BLOB NOT NULL,
    UNIQUE (device, device_seq)
);
CREATE INDEX events_by_case ON events (case_id, kind) WHERE case_id IS NOT NULL;

CREATE TABLE cases (
    case_id     TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    troop       TEXT,
    UNIQUE (source, external_id)
) WITHOUT ROWID;

CREATE TABLE tokens (
    name       TEXT PRIMARY KEY,
    hash       BLOB NOT NULL UNIQUE,       -- SHA-256 of the token; the token itself is never stored
    role       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
