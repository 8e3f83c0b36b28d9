-- Beacon store, schema version 1.
--
-- `events` is the source of truth: append-only, one row per change. Every
-- other table is a projection of it, written in the same transaction as the
-- event, so a crash leaves either both or neither.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    local_seq  INTEGER PRIMARY KEY,          -- order of arrival in this store
    id         TEXT NOT NULL,                -- UUIDv7
    device_id  TEXT NOT NULL,
    device_seq INTEGER NOT NULL,             -- 1, 2, 3… per device, no gaps
    hlc        INTEGER NOT NULL,             -- packed hybrid logical clock
    actor      TEXT NOT NULL,
    case_id    TEXT,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,                -- JSON
    UNIQUE (device_id, device_seq)
);
CREATE INDEX events_by_case ON events (case_id) WHERE case_id IS NOT NULL;

CREATE TABLE cases (
    row_id              INTEGER PRIMARY KEY,   -- joins cases_fts.rowid
    id                  TEXT NOT NULL UNIQUE,
    source              TEXT NOT NULL,
    external_id         TEXT NOT NULL,
    received_at         INTEGER NOT NULL,      -- unix ms
    status              TEXT NOT NULL,
    is_open             INTEGER NOT NULL,
    priority            INTEGER NOT NULL,      -- 1..4
    priority_reasons    TEXT NOT NULL,         -- JSON [{code, text}]
    priority_overridden INTEGER NOT NULL DEFAULT 0,
    unassigned          INTEGER NOT NULL,      -- 1 when no reliable jurisdiction
    jurisdiction_id     TEXT,
    jurisdiction_name   TEXT,
    troop               TEXT,
    jurisdiction        TEXT NOT NULL,         -- JSON JurisdictionAssignment
    trafficking_type    TEXT NOT NULL,
    place_type          TEXT,
    location_summary    TEXT NOT NULL,
    disposition         TEXT,
    assigned            TEXT NOT NULL DEFAULT '[]', -- JSON [{id, name, role}] latest per role
    handed_off_at       INTEGER,
    acknowledged_at     INTEGER,
    on_scene_at         INTEGER,
    closed_at           INTEGER,
    link_count          INTEGER NOT NULL DEFAULT 0,
    referral            TEXT NOT NULL,         -- JSON Referral, as received
    updated_hlc         INTEGER NOT NULL,
    UNIQUE (source, external_id)
);
-- The queue: open cases, P1 first, unassigned first among equals, oldest first.
CREATE INDEX cases_queue ON cases (priority, unassigned DESC, received_at) WHERE is_open = 1;
-- Response-time statistics read only this index.
CREATE INDEX cases_response ON cases (received_at, jurisdiction_id, jurisdiction_name, handed_off_at, acknowledged_at, on_scene_at);

CREATE VIRTUAL TABLE cases_fts USING fts5 (
    narrative, notes, location, names,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notes_by_case ON notes (case_id);

CREATE TABLE responders (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    on_duty       INTEGER NOT NULL,
    record        TEXT NOT NULL               -- JSON Responder
);

CREATE TABLE handoffs (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    responder_id    TEXT NOT NULL,
    responder_name  TEXT NOT NULL,
    role            TEXT NOT NULL,
    handed_off_by   TEXT NOT NULL,
    handed_off_at   INTEGER NOT NULL,
    shared_fields   TEXT NOT NULL,            -- JSON [field path]
    withheld_fields TEXT NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT
);
CREATE INDEX handoffs_by_case ON handoffs (case_id);
CREATE INDEX handoffs_by_responder ON handoffs (responder_id);

-- Normalised phone / plate / address keys, for linking repeat tips.
CREATE TABLE link_keys (
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key, case_id)
) WITHOUT ROWID;

CREATE TABLE links (
    case_id  TEXT NOT NULL,
    other_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    PRIMARY KEY (case_id, other_id, kind)
) WITHOUT ROWID;
