-- Schema 12: the queue's indexes hold every column a queue row shows.
--
-- A page of the queue walked an index in order and then looked each case
-- up in the table: 200 random seeks into a table of every case ever
-- received, which cost more than the walk and the rows' decoding together.
-- The indexes are partial (open cases only, a few percent of a mature
-- store), so carrying the row's columns in them costs little space, and a
-- page is now read from the index alone. `read.rs`'s SUMMARY_COLUMNS must
-- stay a subset of what these hold, with every column a filter reads
-- (a test in read.rs checks the plan);
-- `is_open` is listed so that SQLite sees the index as covering.

DROP INDEX cases_queue;
DROP INDEX cases_queue_troop;
DROP INDEX cases_queue_jurisdiction;

CREATE INDEX cases_queue ON cases (standing, priority, due_at, id,
    source, external_id, received_at, status, priority_reasons, priority_overridden, trafficking_type, place_type,
    location_summary, link_count, assigned, handed_off_at, acknowledged_at, on_scene_at, closed_at, disposition,
    jurisdiction_id, jurisdiction_name, troop, troop_verified, assign_method, near_border, outside, distance_km,
    outside_reason, candidates, open_conflicts, escalated, undelivered, unassigned, is_open) WHERE is_open = 1;
CREATE INDEX cases_queue_troop ON cases (troop, standing, priority, due_at, id,
    source, external_id, received_at, status, priority_reasons, priority_overridden, trafficking_type, place_type,
    location_summary, link_count, assigned, handed_off_at, acknowledged_at, on_scene_at, closed_at, disposition,
    jurisdiction_id, jurisdiction_name, troop_verified, assign_method, near_border, outside, distance_km,
    outside_reason, candidates, open_conflicts, escalated, undelivered, unassigned, is_open) WHERE is_open = 1;
CREATE INDEX cases_queue_jurisdiction ON cases (jurisdiction_id, standing, priority, due_at, id,
    source, external_id, received_at, status, priority_reasons, priority_overridden, trafficking_type, place_type,
    location_summary, link_count, assigned, handed_off_at, acknowledged_at, on_scene_at, closed_at, disposition,
    jurisdiction_name, troop, troop_verified, assign_method, near_border, outside, distance_km,
    outside_reason, candidates, open_conflicts, escalated, undelivered, unassigned, is_open) WHERE is_open = 1;
