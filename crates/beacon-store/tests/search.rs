//! Full-text search: whole words first, the last word as the start of a
//! longer one only when whole words match nothing (it is still being
//! typed), and numbers matched whole.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::queue::QueueQuery;
use beacon_domain::{CaseId, ManualClock, NoteId, Priority};
use beacon_store::{Store, StoreError};

mod support;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

/// Store a referral with this narrative, received `n` minutes after t0.
fn add(store: &mut Store, n: i64, narrative: &str) -> CaseId {
    let received = t0() + Duration::minutes(n);
    let value = json!({
        "external_id": format!("S-{n}"), "source": "hotline_call", "received_at": received.to_rfc3339(),
        "urgency": "recent", "trafficking_type": "sex", "narrative": narrative,
    });
    support::store_referral(store, value, Priority::P3, received)
}

/// Add a note to case `id`.
fn note(store: &mut Store, id: CaseId, text: &str) {
    store
        .write::<_, StoreError>(|w| {
            w.append(
                &Actor("desk".into()),
                Some(id),
                EventBody::NoteAdded { note_id: NoteId::new(), text: text.into() },
            )
        })
        .expect("note written");
}

/// Store a referral whose one suspect has this phone, received `n` minutes after t0.
fn add_with_suspect_phone(store: &mut Store, n: i64, phone: &str) -> CaseId {
    let received = t0() + Duration::minutes(n);
    let value = json!({
        "external_id": format!("S-{n}"), "source": "hotline_call", "received_at": received.to_rfc3339(),
        "urgency": "recent", "trafficking_type": "sex", "narrative": "a man runs the house",
        "suspects": [{"description": "tall", "phones": [phone]}],
    });
    support::store_referral(store, value, Priority::P3, received)
}

fn search(store: &Store, text: &str, limit: u32) -> Vec<CaseId> {
    let q = QueueQuery { text: Some(text.into()), limit, ..Default::default() };
    store.queue(&q, t0() + Duration::days(1)).expect("search").into_iter().map(|c| c.id).collect()
}

#[test]
fn the_last_word_completes_only_while_it_is_being_typed() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut store = Store::open(&dir.path().join("s.sqlite3"), Arc::new(clock)).unwrap();
    let motel = add(&mut store, 1, "seen at the motel on Glenstone");
    let motels = add(&mut store, 2, "two motels along Highway 63");
    let newest_motel = add(&mut store, 3, "back at the motel");

    // Someone still typing: no whole word matches, so the prefix does.
    assert_eq!(search(&store, "Glenst", 50), [motel]);
    assert_eq!(search(&store, "motels alo", 50), [motels]);
    // A whole word that matches is the answer, newest first, up to the limit.
    assert_eq!(search(&store, "motel", 50), [newest_motel, motel]);
    assert_eq!(search(&store, "motel", 1), [newest_motel]);
    // A number is a whole token: 6 is not 63, and 63 is found.
    assert_eq!(search(&store, "Highway 6", 50), Vec::<CaseId>::new());
    assert_eq!(search(&store, "Highway 63", 50), [motels]);
    // Two letters are a whole word too.
    assert_eq!(search(&store, "mo", 50), Vec::<CaseId>::new());
}

#[test]
fn a_phone_number_is_found_however_it_was_typed_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut store = Store::open(&dir.path().join("s.sqlite3"), Arc::new(clock)).unwrap();
    let dashed = add(&mut store, 1, "the caller was told to ring (314) 555-0199 for work");
    let dotted = add(&mut store, 2, "a card with 314.555.0199 on it");
    let run_together = add(&mut store, 3, "texts from 3145550199 every night");
    let other = add(&mut store, 4, "a different number, 314-555-0198, and 0199 Main St");
    let all = [run_together, dotted, dashed];
    for typed in ["(314) 555-0199", "314.555.0199", "+1 314 555 0199", "3145550199", "1-314-555-0199"] {
        let found = search(&store, typed, 50);
        assert_eq!(found, all, "{typed}");
        assert!(!found.contains(&other));
    }
    // Seven digits (a number given without its area code) find it however
    // it was written, with its area code or without.
    let local = add(&mut store, 5, "call 555 0199 after ten");
    assert_eq!(search(&store, "555-0199", 50), [local, run_together, dotted, dashed]);
    // The ten digits do not find a number written without its area code: it may be another.
    assert!(!search(&store, "314-555-0199", 50).contains(&local));
}

#[test]
fn a_phone_number_in_a_note_or_a_suspect_is_found_by_any_of_its_forms() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.sqlite3"), Arc::new(ManualClock::at(t0()))).unwrap();
    let noted = add(&mut store, 1, "nothing about numbers here");
    note(&mut store, noted, "she now uses 417.555.2368 to call");
    let suspect = add_with_suspect_phone(&mut store, 2, "+1 (417) 555-2368");
    for typed in ["4175552368", "(417) 555-2368", "555-2368"] {
        assert_eq!(search(&store, typed, 50), [suspect, noted], "{typed}");
    }
}

/// A store indexed before numbers were tokens (schema 11) is indexed again
/// when it is opened: its search rows become what today's projection writes,
/// so the numbers in it are found as typed numbers are.
#[test]
fn opening_an_older_store_indexes_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let (in_narrative, in_note, in_suspect, without) = {
        let mut store = Store::open(&path, Arc::new(ManualClock::at(t0()))).unwrap();
        let in_narrative = add(&mut store, 1, "the caller was told to ring (314) 555-0199 for work");
        let in_note = add(&mut store, 2, "nothing about numbers here");
        note(&mut store, in_note, "first call");
        note(&mut store, in_note, "she now uses 417.555.2368");
        let in_suspect = add_with_suspect_phone(&mut store, 3, "+1 (816) 555-0142");
        let without = add(&mut store, 4, "no number at all");
        (in_narrative, in_note, in_suspect, without)
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    let index = |conn: &rusqlite::Connection| -> Vec<(i64, String, String, String, String)> {
        conn.prepare("SELECT rowid, narrative, notes, location, names FROM cases_fts ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let projected = index(&conn);
    // The search index as schema 11 wrote it: each text as written, and a
    // suspect's phone as written and as its digits, without the tokens after.
    conn.execute_batch(
        "UPDATE cases_fts SET narrative = substr(narrative, 1, instr(narrative, char(10)) - 1)
             WHERE instr(narrative, char(10)) > 0;
         UPDATE cases_fts SET notes = replace(notes, char(10) || '4175552368 5552368', '');
         UPDATE cases_fts SET names = replace(names, ' 8165550142 5550142', '');
         PRAGMA user_version = 11;",
    )
    .unwrap();
    let tokens: i64 = conn
        .query_row("SELECT count(*) FROM cases_fts WHERE cases_fts MATCH '5550199 OR 5552368 OR 5550142'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(tokens, 0, "the older index has no number tokens");
    assert_ne!(index(&conn), projected);
    drop(conn);

    let store = Store::open(&path, Arc::new(ManualClock::at(t0()))).unwrap();
    assert_eq!(index(store.connection()), projected, "migrated rows are the rows a new case gets");
    let secure: i64 = store
        .connection()
        .query_row("SELECT v FROM cases_fts_config WHERE k = 'secure-delete'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(secure, 1, "a purge still deletes from the index word by word");
    assert_eq!(search(&store, "314-555-0199", 50), [in_narrative]);
    assert_eq!(search(&store, "555-2368", 50), [in_note]);
    assert_eq!(search(&store, "(816) 555 0142", 50), [in_suspect]);
    assert_eq!(search(&store, "no number", 50), [without]);
}
