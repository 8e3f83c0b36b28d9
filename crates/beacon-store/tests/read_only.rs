//! A store this process may not change is read as it is: reads work,
//! changes are refused, and nothing in or beside the file changes.
//!
//! Tests run as root, whom file modes do not stop. What makes them mean
//! something is that the store takes a mode with no write bit (a file 0444,
//! a directory 0555) as read-only whoever runs it, and then opens with
//! SQLite's read-only flag, which SQLite enforces for root too.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{ManualClock, Targets};
use beacon_store::{Store, StoreError};
use chrono::{TimeZone, Utc};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()))
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every file in `dir` with its mode and a hash of its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u32, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(&p).unwrap().hash(&mut h);
            (p, mode, h.finish())
        })
        .collect();
    files.sort();
    files
}

/// Record a settings change with this link window: an event and a projection.
fn set_window(store: &mut Store, days: i64) -> Result<(), StoreError> {
    store.write(|w| {
        w.append(
            &Actor("test".into()),
            None,
            EventBody::SettingsChanged { targets: Targets::default(), link_window_days: days },
        )
        .map(|_| ())
    })
}

/// A store at `dir/s.sqlite3` holding one settings change, closed.
fn store_with_a_change(dir: &Path) -> PathBuf {
    let path = dir.join("s.sqlite3");
    let mut s = Store::open(&path, clock()).unwrap();
    set_window(&mut s, 11).unwrap();
    path
}

fn assert_reads_and_refuses_changes(path: &Path, window: i64) {
    let mut s = Store::open(path, clock()).expect("a read-only store opens");
    assert!(s.is_read_only());
    assert_eq!(s.settings().unwrap().link_window_days, window);
    assert!(s.change_marker().unwrap() > 0);
    s.check_consistency().unwrap();
    match set_window(&mut s, 12) {
        Err(e @ StoreError::ReadOnly { .. }) => assert!(e.to_string().contains("is read-only"), "{e}"),
        other => panic!("expected ReadOnly, got {other:?}"),
    }
    assert!(matches!(s.rebuild(), Err(StoreError::ReadOnly { .. })));
}

#[test]
fn a_store_file_without_write_permission_is_read_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_with_a_change(dir.path());
    set_mode(&path, 0o444);
    let before = snapshot(dir.path());
    assert_eq!(before.len(), 1, "the store file alone");
    assert_reads_and_refuses_changes(&path, 11);
    assert_eq!(snapshot(dir.path()), before, "no -wal or -shm left, the store unchanged");
}

#[test]
fn a_store_in_a_directory_without_write_permission_is_read_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ro");
    std::fs::create_dir(&sub).unwrap();
    let path = store_with_a_change(&sub);
    set_mode(&sub, 0o555);
    let before = snapshot(&sub);
    assert_reads_and_refuses_changes(&path, 11);
    assert_eq!(snapshot(&sub), before);
    // Nor is a store created there.
    let new = sub.join("new.sqlite3");
    assert!(matches!(Store::open(&new, clock()), Err(StoreError::NeedsWrite { .. })));
    assert!(!new.exists());
    set_mode(&sub, 0o700);
}

#[test]
fn a_read_only_store_in_use_by_a_writer_is_read_with_what_its_wal_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_with_a_change(dir.path());
    // A writer that still has the store open, its last change in the -wal only.
    let mut writer = Store::open(&path, clock()).unwrap();
    writer.connection().execute_batch("PRAGMA wal_autocheckpoint = 0").unwrap();
    set_window(&mut writer, 13).unwrap();
    set_mode(&path, 0o444);
    let before = snapshot(dir.path());
    assert_eq!(before.len(), 3, "store, -wal, -shm");
    assert_reads_and_refuses_changes(&path, 13);
    let after = snapshot(dir.path());
    assert_eq!(after.len(), 3, "nothing new beside the store");
    assert_eq!(after[0], before[0], "the store file unchanged");
    // The writer goes on writing, and the reader sees it.
    set_window(&mut writer, 14).unwrap();
    assert_eq!(Store::open(&path, clock()).unwrap().settings().unwrap().link_window_days, 14);
}

#[test]
fn a_read_only_store_that_would_need_changing_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    // Empty.
    let empty = dir.path().join("empty.sqlite3");
    std::fs::write(&empty, b"").unwrap();
    set_mode(&empty, 0o444);
    // An older schema: the first migration only.
    let old = dir.path().join("old.sqlite3");
    drop(Store::open(&old, clock()).unwrap());
    rusqlite::Connection::open(&old).unwrap().execute_batch("PRAGMA user_version = 1").unwrap();
    set_mode(&old, 0o444);
    let before = snapshot(dir.path());
    for path in [&empty, &old] {
        match Store::open(path, clock()) {
            Err(e @ StoreError::NeedsWrite { .. }) => assert!(e.to_string().contains("read-only"), "{e}"),
            other => panic!("{}: expected NeedsWrite, got {other:?}", path.display()),
        }
    }
    assert_eq!(snapshot(dir.path()), before);
}
