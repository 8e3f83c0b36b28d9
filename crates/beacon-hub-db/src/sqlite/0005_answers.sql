-- The hub's SQLite schema, version 5: answers from the field, and escalation.
--
-- `hub_secrets` holds keys the hub makes for itself (the one its
-- acknowledgement links are signed with); never shown, never set by hand.
-- `handoffs` records when its responder acknowledged it and reported on
-- scene, however that reached the hub (their desktop, the command line or
-- the link in a delivery), and `cases` when a case was closed (a link to a
-- closed case answers nothing). `deliveries` gains `purpose`, so one handoff may
-- owe more than its own delivery (a notice to a supervisor, say) on a
-- channel of the same responder.
-- `responders` is the roster as the hub last heard it (each
-- `responder_upserted`, in arrival order): whom an escalation goes to.
-- `escalations` holds a deadline per standing handoff and step (`ack`,
-- `onscene`), filed with the handoff from the targets in force then. It is
-- settled when the step is met, the handoff replaced or the case closed;
-- or fired once, in the transaction that writes what the escalation does
-- (under the hub's append lock, so once across processes and restarts).

ALTER TABLE handoffs ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE handoffs ADD COLUMN on_scene_at INTEGER;
ALTER TABLE cases ADD COLUMN closed_at INTEGER;

CREATE TABLE hub_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE deliveries_v5 (
    delivery_id     TEXT PRIMARY KEY,
    handoff_id      TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    responder_id    TEXT NOT NULL,
    channel         TEXT NOT NULL,
    purpose         TEXT NOT NULL DEFAULT 'handoff',  -- handoff, or what else a handoff owes
    handoff_seq     INTEGER NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (handoff_id, responder_id, channel, purpose)
);
INSERT INTO deliveries_v5 (delivery_id, handoff_id, case_id, responder_id, channel, handoff_seq, state, attempts,
    next_attempt_at, claimed_by, claimed_until, created_at)
SELECT delivery_id, handoff_id, case_id, responder_id, channel, handoff_seq, state, attempts,
    next_attempt_at, claimed_by, claimed_until, created_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v5 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_handoff ON deliveries (handoff_id);

CREATE TABLE responders (
    responder_id TEXT PRIMARY KEY,
    body         TEXT NOT NULL,                 -- the responder, as JSON
    hub_seq      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE escalations (
    handoff_id     TEXT NOT NULL,
    step           TEXT NOT NULL,               -- ack, onscene
    case_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    responder_id   TEXT NOT NULL,
    responder_name TEXT NOT NULL,
    filed_at       INTEGER NOT NULL,             -- unix ms
    due_at         INTEGER NOT NULL,             -- unix ms
    settled_at     INTEGER,
    settled_why    TEXT,                        -- met, replaced, closed
    fired_at       INTEGER,
    fired_by       TEXT,
    PRIMARY KEY (handoff_id, step)
) WITHOUT ROWID;
CREATE INDEX escalations_due ON escalations (due_at) WHERE settled_at IS NULL AND fired_at IS NULL;
CREATE INDEX escalations_case ON escalations (case_id);
