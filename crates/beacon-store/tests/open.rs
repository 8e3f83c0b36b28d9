//! Opening a store file: what is refused, and that a refusal changes nothing.

use beacon_domain::ManualClock;
use beacon_store::{Store, StoreError};
use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()))
}

fn open(path: &Path) -> Result<Store, StoreError> {
    Store::open(path, clock())
}

/// Every file in `dir` with a hash of its bytes, so a before/after
/// comparison covers the store and anything created beside it (`-wal`,
/// `-shm`, `-journal`).
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(&p).unwrap().hash(&mut h);
            (p, h.finish())
        })
        .collect();
    files.sort();
    files
}

fn journal_mode(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_newer_store_in_rollback_mode_is_refused_before_any_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    drop(open(&path).unwrap());
    let newer = beacon_store::SCHEMA_VERSION + 7;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!("PRAGMA journal_mode = DELETE; PRAGMA user_version = {newer};")).unwrap();
    drop(conn);
    let before = snapshot(dir.path());
    assert_eq!(before.len(), 1, "only the store file");
    match open(&path) {
        Err(StoreError::TooNew { found, known }) => assert_eq!((found, known), (newer, beacon_store::SCHEMA_VERSION)),
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(snapshot(dir.path()), before, "the refused store's bytes are unchanged and nothing was created");
    assert_eq!(journal_mode(&path), "delete");
}

/// An SQLite file written by something else, in the given journal mode.
fn foreign(path: &Path, journal_mode: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = {journal_mode};
         CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT);
         INSERT INTO photos (caption) VALUES ('a lake'), ('a dog');"
    ))
    .unwrap();
}

#[test]
fn another_applications_database_is_refused_and_left_unchanged() {
    for mode in ["delete", "wal"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photos.db");
        foreign(&path, mode);
        let before = snapshot(dir.path());
        match open(&path) {
            Err(e @ StoreError::NotBeacon { .. }) => {
                assert!(e.to_string().contains("is not a Beacon store"), "{e}")
            }
            other => panic!("{mode}: expected NotBeacon, got {other:?}"),
        }
        assert_eq!(snapshot(dir.path()), before, "{mode}: the file's bytes are unchanged");
        let conn = rusqlite::Connection::open(&path).unwrap();
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 1, "{mode}: no Beacon table was added");
    }
}

#[test]
fn a_schemaless_database_of_another_application_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA application_id = 1234; PRAGMA user_version = 5;").unwrap();
    drop(conn);
    let before = snapshot(dir.path());
    assert!(matches!(open(&path), Err(StoreError::NotBeacon { .. })));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn an_empty_file_or_database_becomes_a_store_stamped_as_beacons() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.sqlite3");
    std::fs::write(&zero, b"").unwrap();
    let schemaless = dir.path().join("schemaless.sqlite3");
    rusqlite::Connection::open(&schemaless).unwrap().execute_batch("CREATE TABLE t (x); DROP TABLE t;").unwrap();
    assert!(std::fs::metadata(&schemaless).unwrap().len() > 0);
    for path in [zero, schemaless] {
        let s = open(&path).unwrap();
        let app: i32 = s.connection().query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
        assert_eq!(app, beacon_store::APPLICATION_ID, "{}", path.display());
        s.check_consistency().unwrap();
    }
}

#[test]
fn a_store_from_before_the_application_id_is_known_by_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let device = open(&path).unwrap().device_id();
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA application_id = 0").unwrap();
    let s = open(&path).unwrap();
    assert_eq!(s.device_id(), device, "the same store");
    let app: i32 = s.connection().query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(app, beacon_store::APPLICATION_ID, "stamped on its first open for writing");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn directories_created_for_a_store_are_private_and_beacons_own_is_kept_so() {
    use beacon_store::StoreDir;
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let chosen = dir.path().join("a").join("b").join("s.sqlite3");
    let s = Store::open(&chosen, clock()).unwrap();
    let wal = dir.path().join("a/b/s.sqlite3-wal");
    let shm = dir.path().join("a/b/s.sqlite3-shm");
    assert_eq!(
        [mode(&dir.path().join("a")), mode(&dir.path().join("a/b")), mode(&chosen), mode(&wal), mode(&shm)],
        [0o700, 0o700, 0o600, 0o600, 0o600],
        "every directory created, the store, its -wal and -shm"
    );
    drop(s);
    assert_eq!(mode(dir.path()), 0o755, "a directory that was there is left as it is");

    // A directory that was there and is loose: left alone when chosen,
    // tightened when it is Beacon's own data directory.
    set_mode(&dir.path().join("a/b"), 0o755);
    set_mode(&chosen, 0o644);
    drop(Store::open_with(&chosen, clock(), StoreDir::Chosen).unwrap());
    assert_eq!((mode(&dir.path().join("a/b")), mode(&chosen)), (0o755, 0o600));
    set_mode(&chosen, 0o640);
    drop(Store::open_with(&chosen, clock(), StoreDir::Own).unwrap());
    assert_eq!((mode(&dir.path().join("a/b")), mode(&chosen)), (0o700, 0o600));
}
