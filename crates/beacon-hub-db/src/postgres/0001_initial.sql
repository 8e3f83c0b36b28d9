-- The hub's PostgreSQL schema, version 1: the same tables as the SQLite
-- backend's (see src/sqlite/0001_initial.sql for what each holds).

CREATE TABLE hub_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE devices (
    device    TEXT PRIMARY KEY,
    head_seq  BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    last_hlc  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE events (
    hub_seq    BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    device     TEXT NOT NULL,
    device_seq BIGINT NOT NULL,
    hlc        BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    case_id    TEXT,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,              -- text, not jsonb: the exact bytes the device hashed
    prev       BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    UNIQUE (device, device_seq)
);
CREATE INDEX events_by_case ON events (case_id, kind) WHERE case_id IS NOT NULL;

CREATE TABLE cases (
    case_id     TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    troop       TEXT,
    UNIQUE (source, external_id)
);

CREATE TABLE tokens (
    name       TEXT PRIMARY KEY,
    hash       BYTEA NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
