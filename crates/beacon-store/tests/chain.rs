//! The per-device hash chain in a real store file: every event is chained
//! as it is written, a stored event changed afterwards is found, and a
//! store from before the chain gets the same hashes as if it had always
//! had it.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{CaseStatus, EventHash, ManualClock, NoteId, Priority};
use beacon_store::{SCHEMA_VERSION, Store, StoreError};
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

mod support;

fn open(dir: &tempfile::TempDir) -> Store {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap());
    Store::open(&dir.path().join("s.sqlite3"), Arc::new(clock)).expect("open")
}

/// Three cases, each with a note and a status change: nine events.
fn fill(store: &mut Store) {
    let received = Utc.with_ymd_and_hms(2026, 11, 1, 11, 0, 0).unwrap();
    for i in 0..3 {
        let value = json!({
            "external_id": format!("NHTH-{i}"), "source": "hotline_call", "received_at": received.to_rfc3339(),
            "urgency": "recent", "trafficking_type": "sex", "narrative": "n",
        });
        let id = support::store_referral(store, value, Priority::P2, received);
        store
            .write::<_, StoreError>(|w| {
                w.append(
                    &Actor("test".into()),
                    Some(id),
                    EventBody::NoteAdded { note_id: NoteId::new(), text: format!("note {i}") },
                )?;
                w.append(
                    &Actor("test".into()),
                    Some(id),
                    EventBody::StatusChanged { from: CaseStatus::New, to: CaseStatus::Triaged, disposition: None },
                )
            })
            .expect("written");
    }
}

fn hashes(store: &Store) -> Vec<Option<Vec<u8>>> {
    store
        .connection()
        .prepare("SELECT hash FROM events ORDER BY device, device_seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn every_event_is_chained_to_the_one_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    fill(&mut store);
    let stored = hashes(&store);
    assert_eq!(stored.len(), 9);
    assert!(stored.iter().all(|h| h.as_ref().is_some_and(|h| h.len() == 32)), "every event has a 32-byte hash");
    let distinct: std::collections::HashSet<_> = stored.iter().collect();
    assert_eq!(distinct.len(), 9, "no two events share a hash");
    assert!(store.verify_chain().unwrap().is_empty());
    store.check_consistency().expect("consistent");

    // A later session on the same store carries the chain on.
    drop(store);
    let mut store = open(&dir);
    fill_one_more(&mut store);
    assert!(store.verify_chain().unwrap().is_empty(), "the chain continues across opens");
}

fn fill_one_more(store: &mut Store) {
    let id = beacon_domain::CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, "NHTH-0");
    store
        .write::<_, StoreError>(|w| {
            w.append(
                &Actor("test".into()),
                Some(id),
                EventBody::NoteAdded { note_id: NoteId::new(), text: "later".into() },
            )
        })
        .expect("written");
}

#[test]
fn an_event_changed_after_it_was_written_breaks_the_chain_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    fill(&mut store);
    // Someone edits the fifth event's note text with a plain SQLite tool.
    let changed = store
        .connection()
        .execute("UPDATE events SET body = replace(body, 'note 1', 'note X') WHERE device_seq = 5", [])
        .unwrap();
    assert_eq!(changed, 1);
    let breaks = store.verify_chain().unwrap();
    assert_eq!(breaks.len(), 1);
    assert_eq!(breaks[0].seq, 5);
    assert_eq!(breaks[0].device, store.device_id());
    let error = store.check_consistency().unwrap_err().to_string();
    assert!(error.contains("breaks at event 5"), "{error}");
    assert!(!error.contains("note X"), "the changed content is not in the error: {error}");
}

#[test]
fn a_store_from_before_the_chain_is_chained_as_if_it_always_had_been() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    fill(&mut store);
    let written = hashes(&store);
    // Turn it into a schema 5 store: without what schema 7 added, and no hash column.
    assert_eq!(SCHEMA_VERSION, 13, "undo each later schema here too");
    store
        .connection()
        .execute_batch(&format!(
            "{} ALTER TABLE events DROP COLUMN hash; PRAGMA user_version = 5;",
            support::UNDO_SCHEMAS_7_TO_13
        ))
        .unwrap();
    drop(store);

    let mut store = open(&dir);
    assert_eq!(hashes(&store), written, "the migration computes the hashes the writer would have");
    fill_one_more(&mut store);
    assert!(store.verify_chain().unwrap().is_empty());
    assert_ne!(written[0].as_deref(), Some(EventHash::GENESIS.0.as_slice()));
}
