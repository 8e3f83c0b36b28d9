-- The hub's SQLite schema, version 2: handoffs checked as intents, and the
-- scopes each case has entered (see src/effects.rs).
--
-- `handoffs` holds every handoff the hub has seen, in arrival order
-- (`hub_seq` of its event); the standing one of a case and role is the
-- latest with `stands = 1`. `case_scopes` says which scopes a case has
-- entered and at which event: a scoped device's pull sends it the events of
-- its cases, and those that came before a case entered its scope.

CREATE TABLE handoffs (
    handoff_id     TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    responder_id   TEXT NOT NULL,
    responder_name TEXT NOT NULL,
    handed_off_by  TEXT NOT NULL,
    device         TEXT NOT NULL,
    hlc            INTEGER NOT NULL,
    stands         INTEGER NOT NULL,       -- 1 stands, 0 rejected
    hub_seq        INTEGER NOT NULL
);
CREATE INDEX handoffs_standing ON handoffs (case_id, role, hub_seq) WHERE stands = 1;

CREATE TABLE case_scopes (
    scope       TEXT NOT NULL,             -- troop:C, responder:ID
    case_id     TEXT NOT NULL,
    entered_seq INTEGER NOT NULL,          -- hub_seq of the event that brought it in
    PRIMARY KEY (scope, case_id)
) WITHOUT ROWID;
CREATE INDEX case_scopes_by_entry ON case_scopes (scope, entered_seq);
