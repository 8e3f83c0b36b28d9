//! Versioned migrations. `PRAGMA user_version` records the schema version.
//! Every migration a store needs runs in one transaction, so a crash
//! mid-upgrade leaves the version it had, intact. Their SQL runs first, in
//! order, then their Rust steps: a step is today's code (the projections),
//! which writes today's schema, so it can only run once every table has it.

use rusqlite::Connection;

use crate::StoreError;

/// Work SQL alone cannot do, run after the SQL of every pending migration,
/// in the same transaction.
type Step = fn(&Connection) -> Result<(), StoreError>;

struct Migration {
    sql: &'static str,
    then: Option<Step>,
}

const MIGRATIONS: &[Migration] = &[
    Migration { sql: include_str!("migrations/0001_initial.sql"), then: None },
    Migration {
        sql: include_str!("migrations/0002_queue_order.sql"),
        then: Some(crate::project::refresh_all_queue_columns),
    },
    Migration { sql: include_str!("migrations/0003_link_keys_by_time.sql"), then: None },
    Migration {
        sql: include_str!("migrations/0004_handoff_withdrawn.sql"),
        then: Some(crate::rebuild::refold_if_logged),
    },
    Migration { sql: include_str!("migrations/0005_jurisdiction_columns.sql"), then: None },
    Migration { sql: include_str!("migrations/0006_event_chain.sql"), then: Some(crate::chain::hash_existing) },
    Migration { sql: include_str!("migrations/0007_handoff_conflicts.sql"), then: None },
    Migration { sql: include_str!("migrations/0008_event_prev.sql"), then: None },
    Migration { sql: include_str!("migrations/0009_users.sql"), then: None },
    Migration { sql: include_str!("migrations/0010_purge.sql"), then: None },
    Migration { sql: include_str!("migrations/0011_delivery.sql"), then: Some(crate::rebuild::refold_if_logged) },
    Migration {
        sql: include_str!("migrations/0012_phone_tokens.sql"),
        then: Some(crate::search_index::index_phone_numbers),
    },
    Migration { sql: include_str!("migrations/0013_response_by_jurisdiction.sql"), then: None },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of a Beacon store ("BEAC"), stamped when it is
/// opened for writing. Stores written before it was stamped have 0 and are
/// known by their log tables instead.
pub const APPLICATION_ID: i32 = i32::from_be_bytes(*b"BEAC");

/// The tables every Beacon store has had since its first schema: the log
/// and what it cannot be rebuilt without.
const LOG_TABLES: [&str; 3] = ["meta", "devices", "events"];

/// What a file about to be opened as a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// Nothing yet (0 bytes, or an SQLite database with no schema): a new store.
    Empty,
    /// A Beacon store at this schema version.
    Beacon { version: i64 },
    /// Anything else: another application's database.
    Foreign,
}

/// Look at the file without changing it: reads the header and the schema
/// only, so it can be refused before anything is written.
pub(crate) fn identify(conn: &Connection) -> Result<Found, StoreError> {
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let log_tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN (?1, ?2, ?3)",
        LOG_TABLES,
        |r| r.get(0),
    )?;
    Ok(match app {
        APPLICATION_ID => Found::Beacon { version },
        0 if log_tables == LOG_TABLES.len() as i64 => Found::Beacon { version },
        0 if objects == 0 && version == 0 => Found::Empty,
        _ => Found::Foreign,
    })
}

pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: current, known: SCHEMA_VERSION });
    }
    if current < SCHEMA_VERSION {
        let pending = &MIGRATIONS[current as usize..];
        let run = || -> Result<(), StoreError> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            for m in pending {
                conn.execute_batch(m.sql)?;
            }
            for step in pending.iter().filter_map(|m| m.then) {
                step(conn)?;
            }
            conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"))?;
            Ok(())
        };
        run().inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
    }
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if app != APPLICATION_ID {
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
    }
    Ok(())
}
