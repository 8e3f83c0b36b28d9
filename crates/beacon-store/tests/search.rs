//! Full-text search: whole words first, the last word as the start of a
//! longer one only when whole words match nothing (it is still being
//! typed), and numbers matched whole.

use beacon_domain::queue::QueueQuery;
use beacon_domain::{CaseId, ManualClock, Priority};
use beacon_store::Store;

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
    // Seven digits find the local number wherever its groups are separated
    // (a number run together with its area code is one token, which they are not).
    assert_eq!(search(&store, "555-0199", 50), [dotted, dashed]);
}
