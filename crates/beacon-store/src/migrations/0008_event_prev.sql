-- Schema version 8: another device's events keep their predecessor's hash.
--
-- A device whose hub token covers some cases (a task-force laptop) holds
-- only those cases' events of another device: gaps in that device's chain.
-- With the predecessor's hash kept, each event held can still be checked
-- against its content, and against the event before it where that is held
-- too (`chain::verify`). This store's own events leave it empty: their
-- predecessors are always here.

ALTER TABLE events ADD COLUMN prev BLOB;    -- 32 bytes, or NULL for this device's own
