//! Rebuilding every projection from the event log: the tables people read
//! are a fold of the log, and this is that fold done again from nothing.
//! Sync relies on it (a device's tables must equal the fold of its log,
//! whatever order events arrived in), and `beacon rebuild` offers it to an
//! operator who suspects a table.

use beacon_domain::event::{Actor, Event, EventBody};
use beacon_domain::{CaseId, DeviceId, EventId, Hlc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::settings::{self, Settings};
use crate::{Store, StoreError, project};

/// Tables that are projections of the log, emptied before a rebuild. (The
/// log itself, `devices` and `meta` are not projections.)
const PROJECTIONS: &[&str] = &[
    "links",
    "link_keys",
    "notes",
    "handoff_conflicts",
    "deliveries",
    "handoffs",
    "responders",
    "users",
    "cases_fts",
    "cases",
];

/// How many times the log has been folded again (meta key): see
/// [`Store::fold_count`].
const FOLDS: &str = "folds";

/// What a rebuild did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RebuildReport {
    pub events: u64,
    pub cases: u64,
}

impl Store {
    /// Empty every projection and replay the whole log through the same
    /// projections, in one transaction, in the fold order every device shares
    /// (clock, then device, then sequence; see `sync.rs`): a
    /// reader sees the old tables or the new ones, never a mix, and a crash
    /// leaves the old ones.
    pub fn rebuild(&mut self) -> Result<RebuildReport, StoreError> {
        self.check_writable()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let report = refold(&tx)?;
        tx.commit()?;
        Ok(report)
    }
}

impl Store {
    /// Changes whenever the tables are folded again from the log (a
    /// rebuild, or a pull that reached into the past): together with
    /// [`Store::change_marker`], what a screen polls to know it must reload,
    /// since a fold writes no event.
    pub fn fold_count(&self) -> Result<i64, StoreError> {
        Ok(settings::get(&self.conn, FOLDS)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

/// The fold itself, inside a transaction the caller holds: [`Store::rebuild`],
/// and a migration that changes what a projection means.
pub(crate) fn refold(tx: &Connection) -> Result<RebuildReport, StoreError> {
    // Every row of the search index is about to be written again: deleting
    // them word by word (the index's secure delete, schema 10) would only
    // make the rebuild slower.
    let secure = has_secure_delete(tx)?;
    if secure {
        tx.execute("INSERT INTO cases_fts (cases_fts, rank) VALUES ('secure-delete', 0)", [])?;
    }
    for table in PROJECTIONS {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    if secure {
        tx.execute("INSERT INTO cases_fts (cases_fts, rank) VALUES ('secure-delete', 1)", [])?;
    }
    tx.execute("DELETE FROM meta WHERE key = 'settings'", [])?;
    let mut settings = Settings::default();
    let mut report = RebuildReport::default();
    {
        let mut stmt = tx.prepare(
            "SELECT e.id, d.id, e.device_seq, e.hlc, e.actor, e.case_id, e.body
             FROM events e JOIN devices d ON d.device = e.device ORDER BY e.hlc, d.id, e.device_seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> Result<String, StoreError> { Ok(r.get::<_, String>(i)?) };
            let corrupt = |what: &str| StoreError::Corrupt(format!("event log: {what} is malformed"));
            let event = Event {
                id: text(0)?.parse::<EventId>().map_err(|_| corrupt("an event id"))?,
                device_id: text(1)?.parse::<DeviceId>().map_err(|_| corrupt("a device id"))?,
                seq: r.get::<_, i64>(2)? as u64,
                hlc: Hlc::unpack(r.get(3)?),
                actor: Actor(text(4)?),
                case_id: r
                    .get::<_, Option<String>>(5)?
                    .map(|c| c.parse::<CaseId>().map_err(|_| corrupt("a case id")))
                    .transpose()?,
                body: serde_json::from_str::<EventBody>(&text(6)?).map_err(StoreError::json("event"))?,
            };
            // An event the case's state machine refuses changes nothing
            // (see `project::Mode::Replay`).
            project::apply(tx, &event, &settings, project::Mode::Replay)?;
            if let EventBody::SettingsChanged { targets, link_window_days } = &event.body {
                settings = Settings { targets: *targets, link_window_days: *link_window_days };
            }
            report.events += 1;
        }
    }
    // Rows are numbered afresh: point each event at its case's new row.
    tx.execute(
        "UPDATE events SET case_row = (SELECT row_id FROM cases WHERE cases.id = events.case_id) WHERE case_id IS NOT NULL",
        [],
    )?;
    report.cases = tx.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0))? as u64;
    // The tables are the fold of the whole log again.
    tx.execute("DELETE FROM meta WHERE key = ?1", [crate::sync::NEEDS_FOLD])?;
    // Screens watching the store learn that every table may have changed.
    let folds: i64 = settings::get(tx, FOLDS)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    settings::set(tx, FOLDS, &(folds + 1).to_string())?;
    settings::save(tx, &settings)?;
    Ok(report)
}

/// Whether the search index deletes securely (schema 10 on): a migration
/// older than that folds the log before the setting exists.
pub(crate) fn has_secure_delete(tx: &Connection) -> Result<bool, StoreError> {
    Ok(tx
        .query_row("SELECT v FROM cases_fts_config WHERE k = 'secure-delete'", [], |r| r.get::<_, i64>(0))
        .optional()?
        .is_some_and(|v| v == 1))
}

/// The step of a migration that changes what the projections write (4:
/// handoffs can be withdrawn; 11: deliveries): the tables are the log folded again by today's rules. A
/// store whose log is empty has nothing to fold.
pub(crate) fn refold_if_logged(conn: &Connection) -> Result<(), StoreError> {
    let logged: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM events)", [], |r| r.get(0))?;
    if logged {
        refold(conn)?;
    }
    Ok(())
}
