-- Schema version 6: each event carries its place in its device's hash chain
-- (`beacon_domain::chain`): SHA-256 of its content and of the previous
-- event of the same device. Sync tells a repeated delivery from a forked
-- device by it; the audit trail shows by it that nothing was changed.
-- Existing events are chained by the migration's Rust step
-- (`chain::hash_existing`), in each device's sequence order.

ALTER TABLE events ADD COLUMN hash BLOB;
