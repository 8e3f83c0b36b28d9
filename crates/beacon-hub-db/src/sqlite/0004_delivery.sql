-- The hub's SQLite schema, version 4: delivering each handoff to its responder.
--
-- `responder_channels` says how each responder is reached; webhook secrets
-- live here and never leave the hub. `deliveries` holds one row per
-- handoff and channel: filed in the same transaction as the handoff that
-- stands, so a handoff the hub has is a delivery it owes, across restarts.
-- A hub process claims due rows in the database (`claimed_by` until
-- `claimed_until`), so several processes never deliver one row at once;
-- a claim that outlives a crashed process lapses and another takes it
-- (at least once, with the delivery id fixed across attempts).
-- `hub_settings` holds what an operator sets with `beacon-hub config`.

CREATE TABLE responder_channels (
    responder_id        TEXT PRIMARY KEY,
    email               TEXT,
    webhook_url         TEXT,
    webhook_secrets     TEXT NOT NULL DEFAULT '[]',  -- JSON ["whsec_…"]: each signs, during a rotation
    webhook_disabled_at INTEGER,                      -- unix ms: it answered 410 Gone
    updated_at          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deliveries (
    delivery_id     TEXT PRIMARY KEY,              -- the receiver's `webhook-id`
    handoff_id      TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    responder_id    TEXT NOT NULL,
    channel         TEXT NOT NULL,                 -- webhook, email
    handoff_seq     INTEGER NOT NULL,                 -- hub_seq of the handoff event
    state           TEXT NOT NULL,                 -- pending, or the final outcome
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,                 -- unix ms
    claimed_by      TEXT,
    claimed_until   INTEGER,                          -- unix ms
    created_at      INTEGER NOT NULL,
    UNIQUE (handoff_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE hub_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
