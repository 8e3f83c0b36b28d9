//! The store's invariants, checked where they live: a write is all or
//! nothing, the per-device sequence has no gaps, the queue follows the
//! domain's order, the queue columns follow the targets, links are counted
//! both ways, and a schema it does not know is refused.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::queue::{self, QueueFacts, QueueQuery};
use beacon_domain::triage::Target;
use beacon_domain::{
    CaseId, CaseStatus, HandoffId, JurisdictionAssignment, ManualClock, Priority, Progress, ResponderId, Role, Targets,
};
use beacon_store::{Store, StoreError};

mod support;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn open(dir: &tempfile::TempDir, clock: &ManualClock) -> Store {
    Store::open(&dir.path().join("s.sqlite3"), Arc::new(clock.clone())).expect("open")
}

fn actor() -> Actor {
    Actor("test".into())
}

/// Store a referral received `minutes_ago` with priority `p`; returns its case id.
fn add(store: &mut Store, ext: &str, p: Priority, received: DateTime<Utc>, phone: Option<&str>) -> CaseId {
    let mut value = json!({
        "external_id": ext, "source": "hotline_call", "received_at": received.to_rfc3339(),
        "urgency": "recent", "trafficking_type": "sex", "narrative": "n",
    });
    if let Some(phone) = phone {
        value["suspects"] = json!([{"phones": [phone]}]);
    }
    support::store_referral(store, value, p, received)
}

fn handoff(responder: &str) -> (HandoffId, EventBody) {
    let handoff_id = HandoffId::new();
    let body = EventBody::HandedOff {
        handoff_id,
        responder_id: ResponderId(responder.into()),
        responder_name: responder.into(),
        role: Role::Trooper,
        shared_fields: vec![],
        withheld_fields: vec![],
        replaces: None,
        sharing_override: None,
    };
    (handoff_id, body)
}

/// Move a case on; acknowledging it hands it off first (an acknowledgement
/// names the handoff it takes).
fn status(store: &mut Store, id: CaseId, from: CaseStatus, to: CaseStatus) {
    store
        .write::<_, StoreError>(|w| {
            if to == CaseStatus::Acknowledged {
                let (handoff_id, body) = handoff("T-1");
                w.append(&actor(), Some(id), body)?;
                return w.append(
                    &actor(),
                    Some(id),
                    EventBody::Acknowledged { handoff_id: Some(handoff_id), responder_id: None },
                );
            }
            w.append(&actor(), Some(id), EventBody::StatusChanged { from, to, disposition: None })
        })
        .expect("status");
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut s = open(&dir, &clock);
    let before = s.change_marker().unwrap();
    let r: Result<(), StoreError> = s.write(|w| {
        w.append(&actor(), None, EventBody::SettingsChanged { targets: Targets::default(), link_window_days: 9 })?;
        Err(StoreError::Corrupt("refused on purpose".into()))
    });
    assert!(r.is_err());
    assert_eq!(s.change_marker().unwrap(), before, "no event kept");
    assert_eq!(
        s.settings().unwrap().link_window_days,
        beacon_domain::links::DEFAULT_LINK_WINDOW_DAYS,
        "no projection kept"
    );
    s.check_consistency().unwrap();
}

#[test]
fn the_device_sequence_has_no_gaps_and_clocks_only_move_forward() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut s = open(&dir, &clock);
    for i in 0..5 {
        add(&mut s, &format!("R-{i}"), Priority::P2, t0(), None);
        // A failed write in between must not burn a sequence number.
        let _ = s.write::<(), StoreError>(|_| Err(StoreError::Corrupt("no".into())));
        clock.advance_ms(-1_000); // a wall clock stepping back
    }
    s.check_consistency().unwrap();
    let hlcs: Vec<i64> = s
        .connection()
        .prepare("SELECT hlc FROM events ORDER BY device_seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(hlcs.windows(2).all(|w| w[0] < w[1]), "HLC strictly increases: {hlcs:?}");
}

#[test]
fn a_store_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    drop(Store::open(&path, Arc::new(ManualClock::at(t0()))).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!("PRAGMA user_version = {}", beacon_store::SCHEMA_VERSION + 1)).unwrap();
    drop(conn);
    match Store::open(&path, Arc::new(ManualClock::at(t0()))) {
        Err(StoreError::TooNew { found, known }) => {
            assert_eq!((found, known), (beacon_store::SCHEMA_VERSION + 1, beacon_store::SCHEMA_VERSION))
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn new_targets_move_the_deadlines_of_open_cases() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut s = open(&dir, &clock);
    let id = add(&mut s, "R-1", Priority::P1, t0(), None);
    let due = |s: &Store| -> i64 {
        s.connection().query_row("SELECT due_at FROM cases WHERE id = ?1", [id.to_string()], |r| r.get(0)).unwrap()
    };
    assert_eq!(due(&s), (t0() + Duration::minutes(15)).timestamp_millis());
    let mut targets = Targets::default();
    targets.set(Priority::P1, Target { ack_minutes: 5, arrival_minutes: Some(30) });
    s.write::<_, StoreError>(|w| {
        w.append(&actor(), None, EventBody::SettingsChanged { targets, link_window_days: 30 })
    })
    .unwrap();
    assert_eq!(due(&s), (t0() + Duration::minutes(5)).timestamp_millis());
    status(&mut s, id, CaseStatus::New, CaseStatus::Acknowledged);
    assert_eq!(due(&s), (t0() + Duration::minutes(30)).timestamp_millis(), "acknowledged: the arrival target");
}

#[test]
fn links_are_counted_on_both_cases() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut s = open(&dir, &clock);
    let a = add(&mut s, "R-1", Priority::P2, t0(), Some("417-555-0100"));
    let b = add(&mut s, "R-2", Priority::P2, t0() + Duration::hours(1), Some("(417) 555-0100"));
    let c = add(&mut s, "R-3", Priority::P2, t0() + Duration::hours(2), Some("417-555-0199"));
    let rows = s.summaries(&[a, b, c]).unwrap();
    let count = |id: CaseId| rows.iter().find(|r| r.id == id).unwrap().link_count;
    assert_eq!((count(a), count(b), count(c)), (1, 1, 0));
}

/// A random open case for the order test: (priority, minutes ago, how far the response came).
fn case_strategy() -> impl Strategy<Value = (usize, i64, usize)> {
    (0..4usize, 0..600i64, 0..4usize)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The store's index walks give the order the domain's rule gives, for
    /// any mix of cases, and every filter keeps that order.
    #[test]
    fn the_queue_is_in_the_domains_order(cases in proptest::collection::vec(case_strategy(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let now = t0() + Duration::hours(12);
        let clock = ManualClock::at(now);
        let mut s = open(&dir, &clock);
        let targets = Targets::default();
        let mut facts = Vec::new();
        for (i, (p, minutes_ago, stage)) in cases.iter().enumerate() {
            let p = Priority::ALL[*p];
            let received = now - Duration::minutes(*minutes_ago);
            let id = add(&mut s, &format!("R-{i}"), p, received, None);
            let (st, progress) = match stage {
                0 => (CaseStatus::New, Progress::Unacknowledged),
                1 => {
                    status(&mut s, id, CaseStatus::New, CaseStatus::Triaged);
                    (CaseStatus::Triaged, Progress::Unacknowledged)
                }
                2 => {
                    status(&mut s, id, CaseStatus::New, CaseStatus::Acknowledged);
                    (CaseStatus::Acknowledged, Progress::Acknowledged)
                }
                _ => {
                    status(&mut s, id, CaseStatus::New, CaseStatus::Acknowledged);
                    status(&mut s, id, CaseStatus::Acknowledged, CaseStatus::OnScene);
                    (CaseStatus::OnScene, Progress::OnScene)
                }
            };
            // The domain's facts from the same inputs (received time in whole ms, as stored).
            let received = Utc.timestamp_millis_opt(received.timestamp_millis()).unwrap();
            let due = targets.next_due(p, received, progress).map(|(_, d)| d);
            facts.push(queue::facts(id, st, queue::Attention::default(), p, due).unwrap());
        }
        let mut expected: Vec<QueueFacts> = facts.clone();
        queue::sort(&mut expected, now);
        let got: Vec<CaseId> = s.queue(&QueueQuery::default(), now).unwrap().into_iter().map(|c| c.id).collect();
        prop_assert_eq!(got, expected.iter().map(|f| f.id).collect::<Vec<_>>());

        let overdue: Vec<CaseId> = s.queue(&QueueQuery { overdue: true, ..Default::default() }, now).unwrap().into_iter().map(|c| c.id).collect();
        let want: Vec<CaseId> = expected.iter().filter(|f| f.due_at.is_some_and(|d| d < now)).map(|f| f.id).collect();
        prop_assert_eq!(overdue, want);

        let p2: Vec<CaseId> = s.queue(&QueueQuery { priorities: vec![Priority::P2], limit: 3, ..Default::default() }, now).unwrap().into_iter().map(|c| c.id).collect();
        let want: Vec<CaseId> = expected.iter().filter(|f| f.priority == Priority::P2).take(3).map(|f| f.id).collect();
        prop_assert_eq!(p2, want);
    }
}

/// A store written by schema 1 (no queue columns) opens under schema 2 with
/// every open case's standing, deadline and link count computed.
#[test]
fn a_schema_1_store_is_migrated_with_its_queue_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite3");
    let received = t0().timestamp_millis();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../src/migrations/0001_initial.sql")).unwrap();
        let case = |row: i64, ext: &str, status: &str, open: i64, ack: Option<i64>, jurisdiction: &str| {
            conn.execute(
                "INSERT INTO cases (row_id, id, source, external_id, received_at, status, is_open, priority, priority_reasons,
                    unassigned, jurisdiction, jurisdiction_id, jurisdiction_name, troop, trafficking_type,
                    location_summary, acknowledged_at, updated_hlc)
                 VALUES (?1, ?2, 'hotline_call', ?3, ?4, ?5, ?6, 1, '[]', 1, ?8, json_extract(?8, '$.jurisdiction_id'),
                    json_extract(?8, '$.name'), json_extract(?8, '$.troop'), 'sex', '', ?7, 0)",
                rusqlite::params![
                    row,
                    CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, ext).to_string(),
                    ext,
                    received,
                    status,
                    open,
                    ack,
                    jurisdiction
                ],
            )
            .unwrap();
        };
        case(1, "V1-NEW", "new", 1, None, "{}");
        // Schema 5 moved the jurisdiction from JSON into columns.
        let near_border = r#"{"jurisdiction_id":"29077","name":"Greene","troop":"D","troop_verified":false,
            "method":"zip","near_border":true,"candidates":[{"jurisdiction_id":"29043","name":"Christian","distance_km":1.5}],
            "outside":false}"#;
        case(2, "V1-ACK", "acknowledged", 1, Some(received + 60_000), near_border);
        conn.execute("INSERT INTO links (case_row, other_row, kinds) VALUES (1, 2, 'phone'), (2, 1, 'phone')", [])
            .unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    let s = Store::open(&path, Arc::new(ManualClock::at(t0()))).unwrap();
    let row = |ext: &str| -> (i64, i64, i64) {
        s.connection()
            .query_row("SELECT standing, due_at, link_count FROM cases WHERE external_id = ?1", [ext], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
    };
    // Default targets: P1 acknowledged within 15 minutes, on scene within 60.
    assert_eq!(row("V1-NEW"), (0, received + 15 * 60_000, 1));
    assert_eq!(row("V1-ACK"), (2, received + 60 * 60_000, 1));
    let case = |ext: &str| {
        let id = CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, ext);
        s.queue_members(&[id], &QueueQuery::default(), t0()).unwrap().remove(0)
    };
    let j = case("V1-ACK").jurisdiction;
    assert_eq!(
        (j.jurisdiction_id.as_deref(), j.name.as_deref(), j.troop.as_deref(), j.troop_verified),
        (Some("29077"), Some("Greene"), Some("D"), false)
    );
    assert_eq!((j.method, j.near_border, j.outside), (beacon_domain::AssignMethod::Zip, true, false));
    assert_eq!(j.candidates.len(), 1);
    assert_eq!((j.candidates[0].name.as_str(), j.candidates[0].distance_km), ("Christian", 1.5));
    assert_eq!(*case("V1-NEW").jurisdiction, JurisdictionAssignment::unknown());
    let version: i64 = s.connection().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, beacon_store::SCHEMA_VERSION);
}
