-- Schema 11: what the hub says of each handoff's delivery, and its
-- escalations, kept where the queue and the case screen read them.
--
-- `deliveries` holds the latest attempt per handoff and channel (from the
-- hub's `delivery_attempted` events). `cases.undelivered` is set while a
-- waiting handoff has a failed attempt and no channel has delivered it;
-- `cases.escalated` while the hub's last escalation of the case has had no
-- answer. Either puts the case among those that need a dispatcher.

ALTER TABLE cases ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN undelivered INTEGER NOT NULL DEFAULT 0;

CREATE TABLE deliveries (
    handoff_id      TEXT NOT NULL,
    channel         TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    detail          TEXT,
    next_attempt_at INTEGER,
    at              INTEGER NOT NULL,
    PRIMARY KEY (handoff_id, channel)
) WITHOUT ROWID;
CREATE INDEX deliveries_case ON deliveries (case_id);
