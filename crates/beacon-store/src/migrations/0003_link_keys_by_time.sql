-- Schema version 3: link keys grouped by time.
--
-- A new referral links to the most recent cases sharing one of its keys
-- within the link window (`project.rs`). Two costs shaped this table:
-- - Reading a key's members must be bounded however many cases share it (a
--   motel's address in thousands of tips): members are kept in time order,
--   and a new referral reads only the newest few.
-- - Writing must not touch the whole index: a key hash is random, so a
--   table keyed by it first has every import batch dirty pages all over
--   it, and every commit writes them all. Keyed by `bucket` first (the
--   received time in spans of 2^32 ms, about 50 days), an import writes
--   only within the current span, whatever the store's history. A lookup
--   probes the few spans its window covers.

CREATE TABLE link_keys_by_time (
    bucket      INTEGER NOT NULL,              -- received_at >> 32
    key_hash    INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    case_row    INTEGER NOT NULL,
    PRIMARY KEY (bucket, key_hash, received_at, case_row)
) WITHOUT ROWID;
INSERT INTO link_keys_by_time (bucket, key_hash, received_at, case_row)
    SELECT received_at >> 32, key_hash, received_at, case_row FROM link_keys;
DROP TABLE link_keys;
ALTER TABLE link_keys_by_time RENAME TO link_keys;
