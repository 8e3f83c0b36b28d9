//! Versioned migrations. `PRAGMA user_version` records the schema version;
//! each migration runs in its own transaction, so a crash mid-upgrade leaves
//! the previous version intact.

use rusqlite::Connection;

use crate::StoreError;

const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_initial.sql")];

pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > known {
        return Err(StoreError::TooNew { found: current, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        conn.execute_batch(&format!("BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"))
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            })?;
    }
    Ok(())
}
