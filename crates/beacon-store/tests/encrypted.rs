//! A store opened with a key is encrypted on disk: its file, its WAL and
//! anything else beside it hold no readable victim detail, and it opens
//! only with that key.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{NoteId, Priority, SystemClock};
use beacon_store::{Store, StoreDir, StoreError};
use std::sync::Arc;

mod support;

const KEY: &str = "x'2dd29ca851e7b56e4697b0e1f08507293d761a05ce4d1b628663f411a8086d99'";
const OTHER: &str = "x'0000000000000000000000000000000000000000000000000000000000000001'";

/// Words that must never be readable in the files.
const SECRETS: [&str; 3] = ["Marisol Quintero-Vega", "573-555-0147", "locked in the back room of the laundromat"];

fn open(dir: &tempfile::TempDir, key: Option<&str>) -> Result<Store, StoreError> {
    Store::open_keyed(&dir.path().join("s.sqlite3"), Arc::new(SystemClock), StoreDir::Chosen, key)
}

#[test]
fn nothing_readable_reaches_the_disk_and_only_the_key_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir, Some(KEY)).unwrap();
    let received = chrono::Utc::now() - chrono::Duration::hours(1);
    let tip = serde_json::json!({
        "external_id": "ENC-1", "source": "hotline_call", "received_at": received.to_rfc3339(),
        "urgency": "recent", "narrative": format!("{} says she is {}.", SECRETS[0], SECRETS[2]),
        "reporter": {"kind": "victim", "name": SECRETS[0], "phone": SECRETS[1], "contact_ok": true},
    });
    let case = support::store_referral(&mut store, tip, Priority::P2, received);
    store
        .write(|w| {
            w.append(
                &Actor("dispatcher".into()),
                Some(case),
                EventBody::NoteAdded { note_id: NoteId::new(), text: format!("spoke to {}", SECRETS[0]) },
            )
            .map(|_| ())
        })
        .unwrap();
    // Read it back through the search index too, while the WAL still holds it.
    assert_eq!(store.case_count().unwrap(), 1);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in SECRETS {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds {secret:?} in plain text",
                path.display()
            );
        }
        files.push(path.file_name().unwrap().to_string_lossy().to_string());
    }
    files.sort();
    assert!(files.contains(&"s.sqlite3-wal".to_string()), "the WAL was checked too: {files:?}");
    assert!(!std::fs::read(dir.path().join("s.sqlite3")).unwrap().starts_with(b"SQLite format 3"));

    // Another connection while this one is open: the wrong key and no key
    // are refused; the right one reads what was written.
    assert!(matches!(open(&dir, Some(OTHER)), Err(StoreError::WrongKey { .. })));
    assert!(open(&dir, None).is_err(), "without its key the store does not open");
    assert!(matches!(open(&dir, Some("x'abc'")), Err(StoreError::BadKey)));
    assert!(matches!(open(&dir, Some("secret\"; DROP TABLE events; --")), Err(StoreError::BadKey)));
    drop(store);
    let again = open(&dir, Some(KEY)).unwrap();
    assert_eq!(again.case_count().unwrap(), 1);
    again.check_consistency().unwrap();
}

#[test]
fn a_plain_store_still_opens_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir, None).unwrap();
    let received = chrono::Utc::now() - chrono::Duration::hours(1);
    let tip = serde_json::json!({"external_id": "PLAIN-1", "source": "hotline_call",
        "received_at": received.to_rfc3339(), "urgency": "recent", "narrative": "plain"});
    support::store_referral(&mut store, tip, Priority::P3, received);
    drop(store);
    assert!(std::fs::read(dir.path().join("s.sqlite3")).unwrap().starts_with(b"SQLite format 3"));
    assert!(matches!(open(&dir, Some(KEY)), Err(StoreError::WrongKey { .. })), "a key does not open a plain store");
}

/// A plain store holding one case, at `s.sqlite3` in `dir`.
fn plain_store_with_a_case(dir: &tempfile::TempDir) -> Store {
    let mut store = open(dir, None).unwrap();
    let received = chrono::Utc::now() - chrono::Duration::hours(1);
    let tip = serde_json::json!({"external_id": "COPY-1", "source": "hotline_call",
        "received_at": received.to_rfc3339(), "urgency": "recent", "narrative": SECRETS[2]});
    support::store_referral(&mut store, tip, Priority::P3, received);
    store
}

#[test]
fn a_plain_store_is_encrypted_by_copy_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let store = plain_store_with_a_case(&dir);
    let copy = store.copy_encrypted(KEY).unwrap();
    assert_eq!(copy, beacon_store::pending_copy(&dir.path().join("s.sqlite3")));
    let store = store.replace_with_encrypted(KEY, Arc::new(SystemClock), StoreDir::Chosen).unwrap();
    assert_eq!(store.case_count().unwrap(), 1, "the copy holds everything");
    store.check_consistency().unwrap();
    assert!(!copy.exists());
    drop(store);
    let bytes = std::fs::read(dir.path().join("s.sqlite3")).unwrap();
    assert!(!bytes.windows(SECRETS[2].len()).any(|w| w == SECRETS[2].as_bytes()));
    assert!(open(&dir, None).is_err(), "no longer opens without the key");
    assert_eq!(open(&dir, Some(KEY)).unwrap().case_count().unwrap(), 1);
}

#[test]
fn a_swap_a_crash_interrupted_is_finished_or_undone_by_the_key_in_force() {
    // The copy was whole and its key recorded, then the process died
    // before the swap: the copy becomes the store.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let store = plain_store_with_a_case(&dir);
    store.copy_encrypted(KEY).unwrap();
    drop(store);
    assert_eq!(beacon_store::settle(&path, KEY).unwrap(), beacon_store::Settled::Finished);
    assert_eq!(open(&dir, Some(KEY)).unwrap().case_count().unwrap(), 1);
    assert_eq!(beacon_store::settle(&path, KEY).unwrap(), beacon_store::Settled::Nothing);

    // A rekey's copy whose new key never reached the key file: the copy
    // goes, and the store opens with the key still in force.
    let store = open(&dir, Some(KEY)).unwrap();
    store.copy_encrypted(OTHER).unwrap();
    drop(store);
    assert_eq!(beacon_store::settle(&path, KEY).unwrap(), beacon_store::Settled::Undone);
    assert!(!beacon_store::pending_copy(&path).exists());
    assert_eq!(open(&dir, Some(KEY)).unwrap().case_count().unwrap(), 1);
}
