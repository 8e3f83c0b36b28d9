-- The hub's PostgreSQL schema, version 5: answers from the field.
--
-- `hub_secrets` holds keys the hub makes for itself (the one its
-- acknowledgement links are signed with); never shown, never set by hand.
-- `handoffs` records when its responder acknowledged it and reported on
-- scene, however that reached the hub (their desktop, the command line or
-- the link in a delivery), and `cases` when a case was closed (a link to a
-- closed case answers nothing). `deliveries` gains `purpose`, so one handoff may
-- owe more than its own delivery (a notice to a supervisor, say) on a
-- channel of the same responder.

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
