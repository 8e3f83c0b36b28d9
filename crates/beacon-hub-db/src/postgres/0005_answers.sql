-- The hub's PostgreSQL schema, version 5: answers from the field, and escalation.
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

ALTER TABLE handoffs ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE handoffs ADD COLUMN on_scene_at BIGINT;
ALTER TABLE cases ADD COLUMN closed_at BIGINT;

CREATE TABLE hub_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

ALTER TABLE deliveries ADD COLUMN purpose TEXT NOT NULL DEFAULT 'handoff';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_handoff_id_channel_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_once UNIQUE (handoff_id, responder_id, channel, purpose);
CREATE INDEX deliveries_handoff ON deliveries (handoff_id);

CREATE TABLE responders (
    responder_id TEXT PRIMARY KEY,
    body         TEXT NOT NULL,                 -- the responder, as JSON
    hub_seq      BIGINT NOT NULL
);

CREATE TABLE escalations (
    handoff_id     TEXT NOT NULL,
    step           TEXT NOT NULL,               -- ack, onscene
    case_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    responder_id   TEXT NOT NULL,
    responder_name TEXT NOT NULL,
    filed_at       BIGINT NOT NULL,             -- unix ms
    due_at         BIGINT NOT NULL,             -- unix ms
    settled_at     BIGINT,
    settled_why    TEXT,                        -- met, replaced, closed
    fired_at       BIGINT,
    fired_by       TEXT,
    PRIMARY KEY (handoff_id, step)
);
CREATE INDEX escalations_due ON escalations (due_at) WHERE settled_at IS NULL AND fired_at IS NULL;
CREATE INDEX escalations_case ON escalations (case_id);
