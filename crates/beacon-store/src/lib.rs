//! Beacon's local store: SQLite (bundled, WAL, foreign keys on) holding an
//! append-only event log and case tables projected from it.
//!
//! Invariants:
//! - Every change is an [`Event`]; the case, note, handoff, link and search
//!   tables are projections written in the same transaction as the event.
//! - A write transaction is `BEGIN IMMEDIATE`: one writer at a time across
//!   processes (the desktop app and the command line share a store), with a
//!   busy timeout so the other waits rather than fails.
//! - `synchronous = FULL`: a committed (acknowledged) write survives a crash
//!   or power loss.
#![forbid(unsafe_code)]

mod chain;
mod encrypt;
mod error;
mod file;
mod migrate;
mod model;
mod project;
mod purge;
mod read;
mod rebuild;
mod search_index;
mod settings;
mod sync;
mod write;

pub use chain::{ChainBreak, ChainReport};
pub use encrypt::{Settled, pending_copy, settle};
pub use error::StoreError;
pub use file::StoreDir;
pub use migrate::{APPLICATION_ID, SCHEMA_VERSION};
pub use model::{
    Assignee, CaseMatch, CaseRecord, CaseSummary, ChangedCases, DeliveryStatus, HandoffConflict, HandoffRecord,
    LinkedCase, NoteRecord, ResponseRow, ResponseRows, StoredEvent,
};
pub use project::MAX_LINKS_PER_CASE;
pub use rebuild::RebuildReport;
pub use settings::Settings;
pub use sync::Applied;
pub use write::{EncodedBody, Writer};

use beacon_domain::{Clock, DeviceId, HlcClock};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a waiting writer tries again. SQLite's own busy timeout backs
/// off to 100 ms between tries, so a writer waiting behind an import (which
/// commits, pauses for [`WRITER_GAP`], and begins again) would rarely try
/// inside the pause and could wait for seconds; trying every millisecond, it
/// gets in at the next pause.
const BUSY_RETRY: Duration = Duration::from_millis(1);
/// How long a long-running writer (an import) pauses between transactions
/// so that a waiting writer gets the lock.
pub const WRITER_GAP: Duration = Duration::from_millis(4);

/// The busy handler: sleep [`BUSY_RETRY`], give up after [`BUSY_TIMEOUT`].
fn retry_while_busy(attempt: i32) -> bool {
    let waited = BUSY_RETRY * attempt.max(0) as u32;
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(BUSY_RETRY);
    true
}

/// A database error met while opening is an error opening the store at `path`.
/// A SQLCipher raw key: `x'` + 64 hexadecimal digits + `'`.
fn check_key(key: &str) -> Result<(), StoreError> {
    let hex = key.strip_prefix("x'").and_then(|k| k.strip_suffix('\''));
    match hex {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(StoreError::BadKey),
    }
}

fn while_opening(path: &Path, e: StoreError) -> StoreError {
    match e {
        StoreError::Sqlite(inner) => StoreError::open(path, inner),
        other => other,
    }
}

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
    device: DeviceId,
    device_row: i64,
    hlc: HlcClock,
    /// The page cache this connection has now (see [`Store::set_page_cache`]).
    page_cache: std::cell::Cell<PageCache>,
    /// JSON columns of case rows already parsed (see [`read::RowMemo`]).
    row_memo: read::RowMemo,
}

/// How much of the store a connection keeps in memory. The cache fills only
/// as pages are read, and pages it does not hold still come from the
/// operating system's file cache, at about a microsecond each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCache {
    /// 64 MiB, what every connection opens with: the upper levels of every
    /// index stay in memory through an import or a long query.
    Everyday,
    /// 512 MiB for a bulk import: the case, link and queue indexes of a
    /// million cases, so each random insert is not a read.
    Bulk,
    /// 8 MiB for a process that stays open all day beside others (the
    /// desktop console): a queue page reads a few hundred pages.
    Light,
}

impl PageCache {
    fn kib(self) -> u32 {
        match self {
            PageCache::Everyday => 64 * 1024,
            PageCache::Bulk => 512 * 1024,
            PageCache::Light => 8 * 1024,
        }
    }
}

impl Store {
    /// Open (creating if needed) the store at `path` and bring its schema up to date.
    ///
    /// A file that is neither empty nor a Beacon store, and a store from a
    /// newer schema, are refused before anything in them is changed: the
    /// checks only read, and the first write (switching to WAL) comes after.
    ///
    /// The store file and the files SQLite keeps beside it are the user's
    /// alone (0600), and a directory created for it is 0700, whatever the
    /// umask; a store left readable by others is tightened here. The
    /// directory is `Chosen`: see [`Store::open_with`] for Beacon's own.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        Store::open_with(path, clock, StoreDir::Chosen)
    }

    /// [`Store::open`], saying whose directory the store is in: Beacon's
    /// own data directory is also kept 0700 when it already exists.
    ///
    /// A store this process may not change (no write permission on the file
    /// or its directory, a file mode with no write bit, a read-only file
    /// system) is opened read-only and left exactly as it is, creating no
    /// file beside it: reads work, and [`Store::write`] and
    /// [`Store::rebuild`] refuse with [`StoreError::ReadOnly`]. One that
    /// would need changing first (empty, or an older schema) is refused.
    pub fn open_with(path: &Path, clock: Arc<dyn Clock>, dir: StoreDir) -> Result<Store, StoreError> {
        Store::open_keyed(path, clock, dir, None)
    }

    /// [`Store::open_with`] for a store encrypted with SQLCipher under
    /// `key` (its raw-key form, `x'…'` with 64 hexadecimal digits; see
    /// `beacon_auth::DataKey::sqlcipher_literal`). A new store is created
    /// encrypted; every page of the file, its WAL and its temporary files is
    /// encrypted (AES-256, an HMAC per page). A wrong key, or none for an
    /// encrypted store, is refused as [`StoreError::WrongKey`], reading
    /// nothing and changing nothing.
    pub fn open_keyed(
        path: &Path,
        clock: Arc<dyn Clock>,
        dir: StoreDir,
        key: Option<&str>,
    ) -> Result<Store, StoreError> {
        if let Some(key) = key {
            check_key(key)?;
        }
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |cause| StoreError::Io { action, path, cause }
        };
        let access = match file::access(path) {
            Ok(access) => access,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(d) = file::parent(path) {
                    file::create_dirs(d).map_err(io("create", d))?;
                }
                if !file::dir_writable(path).map_err(io("open", path))? {
                    return Err(StoreError::NeedsWrite {
                        path: path.to_path_buf(),
                        why: "does not exist and cannot be created: its directory is read-only".into(),
                    });
                }
                file::create_file(path).map_err(io("create", path))?;
                file::Access::ReadWrite
            }
            Err(e) => return Err(io("open", path)(e)),
        };
        let read_only = access != file::Access::ReadWrite;
        let conn = match access {
            file::Access::ReadWrite => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
            file::Access::ReadOnly { immutable: false } => {
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            }
            file::Access::ReadOnly { immutable: true } => Connection::open_with_flags(
                file::immutable_uri(path).map_err(io("open", path))?,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
        }
        .map_err(|e| StoreError::open(path, e))?;
        if let Some(key) = key {
            // Checked above to be x'<64 hex digits>': nothing else reaches SQL.
            conn.execute_batch(&format!("PRAGMA key = \"{key}\";")).map_err(|e| StoreError::open(path, e))?;
        }
        conn.busy_handler(Some(retry_while_busy))?;
        // Room for every statement the projections and queries use, so none is re-parsed.
        conn.set_prepared_statement_cache_capacity(128);
        // Plan each statement once, whatever values are bound. Without this,
        // SQLite re-prepares a cached statement on every new binding of a
        // parameter that meets a partial index (the queue's) or an indexed
        // column (STAT4): 5-10% of import and queue time, for nothing.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let found = migrate::identify(&conn).map_err(|e| match e {
            // SQLCipher reads the first page only when asked: a wrong key (or
            // none, for an encrypted file) shows here, as "not a database".
            StoreError::Sqlite(inner)
                if key.is_some() && inner.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) =>
            {
                StoreError::WrongKey { path: path.to_path_buf() }
            }
            e => while_opening(path, e),
        })?;
        match found {
            migrate::Found::Foreign => return Err(StoreError::NotBeacon { path: path.to_path_buf() }),
            migrate::Found::Beacon { version } if version > SCHEMA_VERSION => {
                return Err(StoreError::TooNew { found: version, known: SCHEMA_VERSION });
            }
            migrate::Found::Empty if read_only => {
                return Err(StoreError::NeedsWrite {
                    path: path.to_path_buf(),
                    why: "is empty and read-only: it cannot be set up".into(),
                });
            }
            migrate::Found::Beacon { version } if read_only && version < SCHEMA_VERSION => {
                return Err(StoreError::NeedsWrite {
                    path: path.to_path_buf(),
                    why: format!(
                        "is read-only and at schema {version}: this Beacon must upgrade it to schema {SCHEMA_VERSION} before reading it, which needs write access"
                    ),
                });
            }
            migrate::Found::Empty | migrate::Found::Beacon { .. } => {}
        }
        if !read_only {
            // Before the switch to WAL, so the -wal and -shm it creates copy the store's 0600.
            file::make_private(path, dir).map_err(|(path, cause)| StoreError::Io {
                action: "restrict access to",
                path,
                cause,
            })?;
            // journal_mode returns a row; the others do not.
            let mode: String =
                conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(|e| StoreError::open(path, e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Corrupt(format!("the store could not switch to WAL mode (got {mode})")));
            }
        }
        // A 64 MiB page cache keeps the indexes' upper levels in memory during
        // imports; SQLite's 2 MiB default makes every random insert a read.
        // Checkpointing every 32 MiB of WAL rather than 4 MiB lets a page
        // changed by several batches be copied back once.
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 8192;",
        )?;
        let (device, device_row) = if read_only {
            // What the store knows; a read-only store appends nothing, so
            // needs no device of its own.
            settings::known_device(&conn)?.unwrap_or((DeviceId::new_random(), 0))
        } else {
            migrate::migrate(&conn).map_err(|e| while_opening(path, e))?;
            let device = settings::device_id(&conn)?;
            (device, settings::device_row(&conn, device)?)
        };
        let last = settings::last_hlc(&conn)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            read_only,
            device,
            device_row,
            hlc: HlcClock::new(clock, last),
            page_cache: std::cell::Cell::new(PageCache::Everyday),
            row_memo: read::RowMemo::default(),
        };
        // A pull that stopped before its fold: fold now, before anyone reads.
        store.finish_pulled()?;
        Ok(store)
    }

    /// Whether the store was opened read-only (see [`Store::open_with`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Refuse a change to a read-only store before SQLite is asked.
    pub(crate) fn check_writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly { path: self.path.clone() });
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.hlc.wall()
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.hlc.wall().now()
    }

    /// A configuration value kept with the store (for example the active jurisdiction layer).
    pub fn config(&self, key: &str) -> Result<Option<String>, StoreError> {
        settings::get(&self.conn, &format!("config.{key}"))
    }

    pub fn settings(&self) -> Result<Settings, StoreError> {
        settings::load(&self.conn)
    }

    /// Run the reads in `f` against one snapshot of the store (one read
    /// transaction, so also one lock taken instead of one per statement).
    /// Inside a transaction already open, `f` simply joins it.
    pub(crate) fn snapshot<T>(&self, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        if !self.conn.is_autocommit() {
            return f();
        }
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let out = f();
        // Ending a read transaction cannot lose anything; if it will not end,
        // drop it so the connection is never left inside one.
        if self.conn.execute_batch("COMMIT").is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        out
    }

    /// Run `f` in one write transaction: its events commit together or not at all.
    /// `f` may fail with its own error type (a domain refusal, say); the
    /// transaction then rolls back and nothing it appended is kept.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T, E>) -> Result<T, E> {
        self.check_writable()?;
        let tx =
            self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let mut writer = Writer::begin(tx, self.device, self.device_row, &mut self.hlc)?;
        let value = f(&mut writer)?;
        writer.commit()?;
        Ok(value)
    }

    /// Size this connection's page cache (see [`PageCache`]). A bulk writer
    /// also checkpoints the log itself, between its transactions.
    pub fn set_page_cache(&self, cache: PageCache) -> Result<(), StoreError> {
        let wal_pages = if cache == PageCache::Bulk { 0 } else { 8192 };
        self.conn.execute_batch(&format!(
            "PRAGMA cache_size = -{}; PRAGMA wal_autocheckpoint = {wal_pages};",
            cache.kib()
        ))?;
        self.page_cache.set(cache);
        Ok(())
    }

    /// The page cache this connection has now.
    pub fn page_cache(&self) -> PageCache {
        self.page_cache.get()
    }

    /// Copy what the write-ahead log holds into the store file, without
    /// waiting for readers or blocking writers. A long import calls this
    /// between its transactions so that it, not a person's next write,
    /// pays for the copy.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The raw connection, for read queries in this crate and integrity checks in tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// `PRAGMA integrity_check` plus Beacon's own invariants between the log and its projections.
    pub fn check_consistency(&self) -> Result<(), StoreError> {
        let integrity: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if integrity != "ok" {
            return Err(StoreError::Corrupt(format!("SQLite integrity check: {integrity}")));
        }
        // The same tip filed on two offline desks is one case (its id is
        // derived from the referral): count the cases the log received.
        let received: i64 = self.conn.query_row(
            "SELECT count(DISTINCT case_id) FROM events WHERE kind = 'referral_received'",
            [],
            |r| r.get(0),
        )?;
        let cases: i64 = self.conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
        let fts: i64 = self.conn.query_row("SELECT count(*) FROM cases_fts", [], |r| r.get(0))?;
        if received != cases || cases != fts {
            return Err(StoreError::Corrupt(format!(
                "{received} cases received in the log, {cases} cases and {fts} search rows should be equal"
            )));
        }
        let (max_seq, count): (Option<i64>, i64) = self.conn.query_row(
            "SELECT max(device_seq), count(*) FROM events WHERE device = ?1",
            [self.device_row],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if max_seq.unwrap_or(0) != count {
            return Err(StoreError::Corrupt(format!("device sequence has gaps: max {max_seq:?}, {count} events")));
        }
        for (rule, sql) in CASE_RULES {
            let broken: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            if broken > 0 {
                return Err(StoreError::Corrupt(format!("{broken} case(s) break the rule: {rule}")));
            }
        }
        if let Some(b) = self.verify_chain()?.first() {
            return Err(StoreError::Corrupt(format!(
                "the hash chain of device {} breaks at event {}: it was changed after it was written",
                b.device, b.seq
            )));
        }
        Ok(())
    }

    /// Recompute every device's hash chain ([`beacon_domain::chain`]) and
    /// return where each one breaks: empty when no stored event was changed.
    pub fn verify_chain(&self) -> Result<Vec<ChainBreak>, StoreError> {
        Ok(self.verify_chains()?.breaks)
    }

    /// [`Store::verify_chain`], with how much was walked.
    pub fn verify_chains(&self) -> Result<ChainReport, StoreError> {
        self.snapshot(|| chain::verify(&self.conn))
    }
}

/// What the case's state machine guarantees of the columns it writes, each
/// with a query counting the cases (or handoffs) that break it.
const CASE_RULES: &[(&str, &str)] = &[
    (
        "a case is closed exactly when it is not open and has a closing time",
        "SELECT count(*) FROM cases WHERE (status = 'closed') <> (is_open = 0) OR (status = 'closed') <> (closed_at IS NOT NULL)",
    ),
    (
        "a case acknowledged or on scene has an acknowledgement time, and one on scene an arrival time",
        "SELECT count(*) FROM cases WHERE (status IN ('acknowledged', 'on_scene') AND acknowledged_at IS NULL)
            OR (status = 'on_scene' AND on_scene_at IS NULL)",
    ),
    (
        "nothing is acknowledged or on scene after the case closed",
        "SELECT count(*) FROM cases WHERE closed_at IS NOT NULL AND (acknowledged_at > closed_at OR on_scene_at > closed_at)",
    ),
    (
        "a case waiting for a responder has a handoff waiting",
        "SELECT count(*) FROM cases c WHERE c.status = 'handed_off' AND NOT EXISTS
            (SELECT 1 FROM handoffs h WHERE h.case_id = c.id AND h.acknowledged_at IS NULL AND h.withdrawn_at IS NULL)",
    ),
    (
        "only a case handed off, acknowledged or on scene has a handoff waiting",
        "SELECT count(*) FROM cases c WHERE c.status NOT IN ('handed_off', 'acknowledged', 'on_scene') AND EXISTS
            (SELECT 1 FROM handoffs h WHERE h.case_id = c.id AND h.acknowledged_at IS NULL AND h.withdrawn_at IS NULL)",
    ),
    (
        "a handoff is acknowledged or withdrawn, not both",
        "SELECT count(*) FROM handoffs WHERE acknowledged_at IS NOT NULL AND withdrawn_at IS NOT NULL",
    ),
    (
        "every responder a case lists has a handoff of it that is not withdrawn",
        "SELECT count(*) FROM cases c, json_each(c.assigned) a WHERE NOT EXISTS
            (SELECT 1 FROM handoffs h WHERE h.case_id = c.id AND h.withdrawn_at IS NULL
                AND h.responder_id = json_extract(a.value, '$.id') AND h.role = json_extract(a.value, '$.role'))",
    ),
];
