-- Beacon store, schema version 5: a case's jurisdiction as plain columns.
--
-- The queue reads the jurisdiction of every row it lists. Kept as one JSON
-- value, it was parsed 200 times per page (about a fifth of a page's time);
-- as columns it is read as it is stored. The nearby candidates of a point
-- near a border stay JSON: they are few, shown on the case screen, and the
-- column is NULL for every other case.

ALTER TABLE cases ADD COLUMN troop_verified INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN assign_method TEXT NOT NULL DEFAULT 'unknown';  -- AssignMethod
ALTER TABLE cases ADD COLUMN near_border INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN outside INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN distance_km REAL;
ALTER TABLE cases ADD COLUMN outside_reason TEXT;
ALTER TABLE cases ADD COLUMN candidates TEXT;                                -- JSON [Candidate]; NULL for none

UPDATE cases SET
    troop_verified = coalesce(json_extract(jurisdiction, '$.troop_verified'), 1),
    assign_method  = coalesce(json_extract(jurisdiction, '$.method'), 'unknown'),
    near_border    = coalesce(json_extract(jurisdiction, '$.near_border'), 0),
    outside        = coalesce(json_extract(jurisdiction, '$.outside'), 0),
    distance_km    = json_extract(jurisdiction, '$.distance_km'),
    outside_reason = json_extract(jurisdiction, '$.outside_reason'),
    candidates     = CASE WHEN coalesce(json_array_length(jurisdiction, '$.candidates'), 0) > 0
                          THEN json_extract(jurisdiction, '$.candidates') END;

ALTER TABLE cases DROP COLUMN jurisdiction;
