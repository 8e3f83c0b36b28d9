-- Schema 13: the response-time index leads with the jurisdiction, so that
-- statistics read each jurisdiction's cases as one run of four integers a
-- case (the id and name once per jurisdiction, not once per case), and no
-- longer carries the name.
DROP INDEX cases_response;
CREATE INDEX cases_response ON cases (jurisdiction_id, received_at, handed_off_at, acknowledged_at, on_scene_at);
