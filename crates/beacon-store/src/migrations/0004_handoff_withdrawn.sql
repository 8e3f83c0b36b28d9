-- Beacon store, schema version 4: a handoff can be withdrawn.
--
-- A withdrawn handoff no longer asks its responder to take the case: the
-- dispatcher withdrew it (the case went back to triaged), a handoff to
-- another responder of the same role replaced it before it was
-- acknowledged, or the case was closed while it waited. A withdrawn handoff
-- assigns nobody and cannot be acknowledged; it stays here as the record of
-- what was shared.
--
-- The projections also follow the case's state machine from this version
-- on, so the migration's Rust step folds the log again (`beacon rebuild`).

ALTER TABLE handoffs ADD COLUMN withdrawn_at INTEGER;    -- unix ms
