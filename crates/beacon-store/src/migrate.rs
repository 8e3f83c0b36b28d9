//! Versioned migrations. `PRAGMA user_version` records the schema version;
//! each migration (its SQL, then its Rust step if it has one) runs in its own
//! transaction, so a crash mid-upgrade leaves the previous version intact.

use rusqlite::Connection;

use crate::StoreError;

/// Work SQL alone cannot do, run after a migration's SQL in the same transaction.
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
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: current, known: SCHEMA_VERSION });
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        let run = || -> Result<(), StoreError> {
            conn.execute_batch(&format!("BEGIN IMMEDIATE;\n{}", m.sql))?;
            if let Some(step) = m.then {
                step(conn)?;
            }
            conn.execute_batch(&format!("PRAGMA user_version = {version};\nCOMMIT;"))?;
            Ok(())
        };
        run().inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
    }
    Ok(())
}
