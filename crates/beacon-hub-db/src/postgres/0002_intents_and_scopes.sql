-- The hub's PostgreSQL schema, version 2: the same tables as the SQLite
-- backend's (see src/sqlite/0002_intents_and_scopes.sql).

CREATE TABLE handoffs (
    handoff_id     TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    responder_id   TEXT NOT NULL,
    responder_name TEXT NOT NULL,
    handed_off_by  TEXT NOT NULL,
    device         TEXT NOT NULL,
    hlc            BIGINT NOT NULL,
    stands         BOOLEAN NOT NULL,
    hub_seq        BIGINT NOT NULL
);
CREATE INDEX handoffs_standing ON handoffs (case_id, role, hub_seq) WHERE stands;

CREATE TABLE case_scopes (
    scope       TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    entered_seq BIGINT NOT NULL,
    PRIMARY KEY (scope, case_id)
);
CREATE INDEX case_scopes_by_entry ON case_scopes (scope, entered_seq);
