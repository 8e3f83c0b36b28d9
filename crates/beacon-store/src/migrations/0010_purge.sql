-- Schema version 10: purging closed cases (`purge.rs`).
--
-- A purged case leaves every table but the log. Its events keep their case
-- id and lose their case row, so the audit of a purged case, and a purge
-- that finds its events, read them by case id among the events that join
-- no case (few: those of purged cases and of cases outside a scoped
-- device's view).
CREATE INDEX events_unfiled_by_case ON events (case_id) WHERE case_row IS NULL AND case_id IS NOT NULL;

-- A case deleted from the search index takes its words with it at once,
-- not at some later merge of the index's segments.
INSERT INTO cases_fts (cases_fts, rank) VALUES ('secure-delete', 1);

-- The purges, by case: a purge's audit, and a later purge finding events
-- of a purged case that arrived after it.
CREATE INDEX events_purges ON events (case_id) WHERE kind = 'case_purged';
