-- Schema version 2: the queue's order (beacon-domain `queue.rs`) as columns
-- and indexes, and link counts kept with the case.
--
-- `standing` is who has the case, from its status (0 nobody, 1 handed off
-- and awaiting acknowledgement, 2 a responder is working it). `due_at` is
-- the deadline of its next step in unix ms (i64::MAX when there is none).
-- Both change only with an event; whether a case is overdue is read against
-- the clock at query time. Values for existing cases are computed by the
-- migration's Rust step (`migrate.rs`), with the store's targets.

ALTER TABLE cases ADD COLUMN standing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN due_at INTEGER NOT NULL DEFAULT 9223372036854775807;
-- How many other cases this one is linked to (the queue shows it on every row).
ALTER TABLE cases ADD COLUMN link_count INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET link_count = (SELECT count(*) FROM links l WHERE l.case_row = cases.row_id);

DROP INDEX cases_queue;
DROP INDEX cases_queue_troop;
DROP INDEX cases_queue_jurisdiction;
-- Each queue segment (standing, priority, a range of deadlines) is one walk
-- of one of these, already in order; the id breaks ties, as the rule does.
CREATE INDEX cases_queue ON cases (standing, priority, due_at, id) WHERE is_open = 1;
CREATE INDEX cases_queue_troop ON cases (troop, standing, priority, due_at, id) WHERE is_open = 1;
CREATE INDEX cases_queue_jurisdiction ON cases (jurisdiction_id, standing, priority, due_at, id) WHERE is_open = 1;
