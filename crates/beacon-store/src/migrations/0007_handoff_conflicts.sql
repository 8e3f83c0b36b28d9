-- Schema version 7: handoffs the hub rejected.
--
-- Two dispatchers, both offline, hand the same case to different responders
-- of one role: the first handoff to reach the hub stands, and the hub writes
-- a `handoff_rejected` event for the other. A rejected handoff asks nobody
-- to take the case and withdraws nothing: the fold projects it as if it had
-- been refused from the start, so the index below lets it ask, for any
-- handoff, whether a rejection of it is in the log.
--
-- `handoff_conflicts` lists each rejection until a dispatcher has looked at
-- it (`conflict_resolved`); `cases.open_conflicts` counts those of a case,
-- which puts it among the cases that need a dispatcher (queue standing 3).

ALTER TABLE handoffs ADD COLUMN rejected_at INTEGER;    -- unix ms

ALTER TABLE cases ADD COLUMN open_conflicts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE handoff_conflicts (
    handoff_id            TEXT PRIMARY KEY,   -- the rejected handoff
    case_id               TEXT NOT NULL REFERENCES cases (id),
    role                  TEXT NOT NULL,
    responder_name        TEXT NOT NULL,
    handed_off_by         TEXT NOT NULL,
    winner_id             TEXT NOT NULL,      -- the handoff that stands
    winner_responder_name TEXT NOT NULL,
    winner_handed_off_by  TEXT NOT NULL,
    rejected_at           INTEGER NOT NULL,   -- the hub's clock, unix ms
    resolved_at           INTEGER,
    resolved_by           TEXT
);
CREATE INDEX handoff_conflicts_by_case ON handoff_conflicts (case_id);
CREATE INDEX handoff_conflicts_open ON handoff_conflicts (rejected_at) WHERE resolved_at IS NULL;

CREATE INDEX events_handoff_rejections ON events (json_extract(body, '$.payload.handoff_id'))
    WHERE kind = 'handoff_rejected';
