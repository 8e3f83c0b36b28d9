//! Two stores exchanging their logs as sync does (each applies the other's
//! events as pulled pages): whatever order events arrive in, both end with
//! the same tables, which are the fold of the log.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{CaseId, CaseStatus, ManualClock, NoteId, Priority};
use beacon_store::{Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

mod support;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn open(dir: &tempfile::TempDir, name: &str, clock: &ManualClock) -> Store {
    Store::open(&dir.path().join(name), Arc::new(clock.clone())).expect("open")
}

fn note(store: &mut Store, id: CaseId, text: &str) {
    store
        .write::<_, StoreError>(|w| {
            w.append(&Actor("d".into()), Some(id), EventBody::NoteAdded { note_id: NoteId::new(), text: text.into() })
        })
        .expect("note");
}

fn status(store: &mut Store, id: CaseId, from: CaseStatus, to: CaseStatus) {
    store
        .write::<_, StoreError>(|w| {
            w.append(&Actor("d".into()), Some(id), EventBody::StatusChanged { from, to, disposition: None })
        })
        .expect("status");
}

/// Everything of `to`'s own log that `from` has not, applied to `from` as
/// one page, and the pull finished.
fn pull(from: &mut Store, to: &Store) -> beacon_store::Applied {
    let page = to.own_events_after(0, 10_000).unwrap();
    let applied = from.apply_pulled(&page).unwrap();
    assert_eq!(from.finish_pulled().unwrap(), applied.refolded, "a page from the past is folded when the pull ends");
    applied
}

/// The tables people read, as text, in a fixed order.
fn tables(store: &Store) -> Vec<String> {
    let conn = store.connection();
    let mut out = Vec::new();
    for sql in [
        "SELECT id || ' ' || status || ' ' || priority || ' ' || assigned || ' ' || coalesce(closed_at, '') FROM cases ORDER BY id",
        "SELECT case_id || ' ' || body FROM notes ORDER BY id",
        "SELECT count(*) FROM cases_fts",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0).or_else(|_| r.get::<_, i64>(0).map(|n| n.to_string())));
        out.extend(rows.unwrap().map(Result::unwrap));
    }
    out
}

#[test]
fn two_stores_that_exchange_their_logs_hold_the_same_cases() {
    let dir = tempfile::tempdir().unwrap();
    let (clock_a, clock_b) = (ManualClock::at(t0()), ManualClock::at(t0()));
    let mut a = open(&dir, "a.sqlite3", &clock_a);
    let mut b = open(&dir, "b.sqlite3", &clock_b);
    let value = json!({
        "external_id": "NHTH-1", "source": "hotline_call", "received_at": t0().to_rfc3339(),
        "urgency": "recent", "trafficking_type": "sex", "narrative": "a tip",
    });
    let case = support::store_referral(&mut a, value, Priority::P2, t0() - Duration::minutes(5));

    // B receives the referral.
    let applied = pull(&mut b, &a);
    assert_eq!((applied.stored, applied.refolded), (1, false));
    assert_eq!(tables(&a), tables(&b));

    // Both offline. B works the case earlier by the clock than A does.
    clock_b.set(t0() + Duration::minutes(5));
    status(&mut b, case, CaseStatus::New, CaseStatus::Triaged);
    note(&mut b, case, "from B");
    clock_a.set(t0() + Duration::minutes(10));
    note(&mut a, case, "from A");
    status(&mut a, case, CaseStatus::New, CaseStatus::Closed);

    // A hears of B's past: its fold order changes, so it folds again.
    let applied = pull(&mut a, &b);
    assert_eq!((applied.stored, applied.known, applied.refolded), (2, 0, true));
    // B hears of A's later changes: in order, projected one by one.
    let applied = pull(&mut b, &a);
    assert_eq!((applied.stored, applied.known, applied.refolded), (2, 1, false));

    assert_eq!(tables(&a), tables(&b), "the same log, the same tables");
    let rows = tables(&a);
    assert!(rows[0].contains(" closed "), "A's later close stands after B's triage: {rows:?}");
    assert_eq!(rows.iter().filter(|r| r.contains("from ")).count(), 2, "notes merge by union");
    for store in [&a, &b] {
        store.check_consistency().expect("consistent");
        assert!(store.verify_chain().unwrap().is_empty(), "both devices' chains check out in each store");
    }

    // Applying the same page again changes nothing.
    let again = pull(&mut a, &b);
    assert_eq!((again.stored, again.known), (0, 2));
    // A rebuild is the same fold.
    let before = tables(&a);
    a.rebuild().unwrap();
    assert_eq!(tables(&a), before);

    // Written after pulling, an event's clock is after everything pulled.
    clock_b.set(t0());
    note(&mut b, case, "B's clock is behind");
    let last = b.own_events_after(0, 100).unwrap().pop().unwrap();
    let newest_of_a = a.own_events_after(0, 100).unwrap().pop().unwrap();
    assert!(last.hlc > newest_of_a.hlc);
}

#[test]
fn a_tampered_or_contradicting_page_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut a = open(&dir, "a.sqlite3", &clock);
    let mut b = open(&dir, "b.sqlite3", &clock);
    let value = json!({
        "external_id": "NHTH-2", "source": "hotline_call", "received_at": t0().to_rfc3339(),
        "urgency": "recent", "trafficking_type": "labor", "narrative": "a tip",
    });
    let case = support::store_referral(&mut a, value, Priority::P3, t0());
    note(&mut a, case, "first");
    let mut page = a.own_events_after(0, 100).unwrap();
    let before = tables(&b);

    let mut tampered = page.clone();
    tampered[1].actor = "someone else".into();
    assert!(b.apply_pulled(&tampered).is_err());
    assert_eq!(tables(&b), before, "nothing of a refused page is applied");

    // B's own event, as if the hub held one B never wrote.
    page[0].device = b.device_id();
    assert!(b.apply_pulled(&page[..1]).is_err());
    assert_eq!(tables(&b), before);
}

#[test]
fn pages_from_the_past_fold_once_and_a_pull_cut_short_is_folded_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let (clock_a, clock_b) = (ManualClock::at(t0()), ManualClock::at(t0()));
    let mut a = open(&dir, "a.sqlite3", &clock_a);
    let mut b = open(&dir, "b.sqlite3", &clock_b);
    let value = json!({
        "external_id": "NHTH-3", "source": "hotline_call", "received_at": t0().to_rfc3339(),
        "urgency": "recent", "trafficking_type": "sex", "narrative": "a tip",
    });
    let case = support::store_referral(&mut a, value, Priority::P2, t0() - Duration::minutes(5));
    pull(&mut b, &a);
    // B, offline, writes three notes early; A writes later.
    clock_b.set(t0() + Duration::minutes(1));
    for i in 0..3 {
        note(&mut b, case, &format!("B {i}"));
    }
    clock_a.set(t0() + Duration::minutes(30));
    note(&mut a, case, "A late");
    // A pulls B's notes in three pages, all from its past: stored, not yet folded.
    let page = b.own_events_after(0, 100).unwrap();
    for one in page.chunks(1) {
        assert!(a.apply_pulled(one).unwrap().refolded);
    }
    let notes =
        |s: &Store| -> i64 { s.connection().query_row("SELECT count(*) FROM notes", [], |r| r.get(0)).unwrap() };
    assert_eq!(notes(&a), 1, "the tables wait for the fold");
    // The process stops before finishing the pull; the next open folds.
    drop(a);
    let mut a = open(&dir, "a.sqlite3", &clock_a);
    assert_eq!(notes(&a), 4);
    assert!(!a.finish_pulled().unwrap(), "nothing left to fold");
    pull(&mut b, &a);
    assert_eq!(tables(&a), tables(&b));
    a.check_consistency().unwrap();
}
