-- Beacon store, schema version 1.
--
-- `events` is the source of truth: append-only, one row per change. Every
-- other table is a projection of it, written in the same transaction as the
-- event, so a crash leaves either both or neither.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Devices that wrote events, numbered locally so each event carries a small
-- integer rather than a 36-character UUID in its indexes.
CREATE TABLE devices (
    device INTEGER PRIMARY KEY,
    id     TEXT NOT NULL UNIQUE                -- DeviceId (UUID)
);

CREATE TABLE events (
    local_seq  INTEGER PRIMARY KEY,          -- order of arrival in this store
    id         TEXT NOT NULL,                -- EventId (UUIDv7)
    device     INTEGER NOT NULL REFERENCES devices (device),
    device_seq INTEGER NOT NULL,             -- 1, 2, 3… per device, no gaps
    hlc        INTEGER NOT NULL,             -- packed hybrid logical clock
    actor      TEXT NOT NULL,
    case_id    TEXT,                         -- CaseId, as the event carries it
    case_row   INTEGER,                      -- cases.row_id: the local join key
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,                -- JSON {"kind": …, "payload": …}
    UNIQUE (device, device_seq)
);
CREATE INDEX events_by_case ON events (case_row) WHERE case_row IS NOT NULL;

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
    -- The referral itself is read from its `referral_received` event: one copy.
    updated_hlc         INTEGER NOT NULL,
    UNIQUE (source, external_id)
);
-- The queue: open cases, P1 first, unassigned first among equals, oldest first.
CREATE INDEX cases_queue ON cases (priority, unassigned DESC, received_at) WHERE is_open = 1;
-- The queue filtered by troop or by county.
CREATE INDEX cases_queue_troop ON cases (troop, priority, unassigned DESC, received_at) WHERE is_open = 1;
CREATE INDEX cases_queue_jurisdiction ON cases (jurisdiction_id, priority, unassigned DESC, received_at) WHERE is_open = 1;
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

-- Normalised phone / plate / address keys, for linking repeat tips. The key
-- is stored as a 64-bit hash of `kind:key`: three integers an entry keep this
-- index small, which matters because every referral inserts at random places
-- in it. A hash collision can only add a link, never hide one, and the
-- `links` table records the kind for people to judge.
CREATE TABLE link_keys (
    key_hash    INTEGER NOT NULL,
    case_row    INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (key_hash, case_row)
) WITHOUT ROWID;

-- Linked cases, both directions, by local row. A link is written once, when
-- the newer referral arrives; counts are read from here, so an older case
-- never has to be rewritten when a new tip links to it.
CREATE TABLE links (
    case_row  INTEGER NOT NULL,
    other_row INTEGER NOT NULL,
    kinds     TEXT NOT NULL,                -- e.g. 'phone' or 'phone,plate'
    PRIMARY KEY (case_row, other_row)
) WITHOUT ROWID;
