//! The tables are the fold of the event log: random sequences of operations,
//! projected one event at a time as they happen, give exactly the tables that
//! `rebuild` makes from the log alone. Sync depends on this.

use beacon_api::Beacon;
use beacon_api::QueueQuery;
use beacon_api::domain::event::Actor;
use beacon_api::domain::{CaseStatus, Clock, ManualClock, Priority, Role};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rusqlite::Connection;
use serde_json::json;
use std::sync::Arc;

#[derive(Clone, Debug)]
enum Op {
    Referral { urgency: usize, minor: bool, located: bool, phone: u8 },
    Note(usize),
    Handoff(usize, usize),
    HandoffSuggested(usize, bool),
    Ack(usize),
    Withdraw(usize),
    Status(usize, usize),
    Override(usize, usize),
    Target(usize, u32),
    LinkWindow(i64),
    Duty(usize, bool),
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, any::<bool>(), any::<bool>(), 0..4u8)
            .prop_map(|(urgency, minor, located, phone)| Op::Referral { urgency, minor, located, phone }),
        1 => (0..8usize).prop_map(Op::Note),
        2 => (0..8usize, 0..3usize).prop_map(|(c, r)| Op::Handoff(c, r)),
        1 => (0..8usize, any::<bool>()).prop_map(|(c, t)| Op::HandoffSuggested(c, t)),
        2 => (0..8usize).prop_map(Op::Ack),
        1 => (0..8usize).prop_map(Op::Withdraw),
        2 => (0..8usize, 0..7usize).prop_map(|(c, s)| Op::Status(c, s)),
        1 => (0..8usize, 0..4usize).prop_map(|(c, p)| Op::Override(c, p)),
        1 => (0..4usize, 1..600u32).prop_map(|(p, m)| Op::Target(p, m)),
        1 => (1..60i64).prop_map(Op::LinkWindow),
        1 => (0..3usize, any::<bool>()).prop_map(|(r, d)| Op::Duty(r, d)),
        2 => (1..7200i64).prop_map(Op::Wait),
    ]
}

const ROSTER: &str = "id,name,role,agency,jurisdictions,languages,on_duty\n\
    D-T1,Tpr. One,trooper,Highway Patrol,Troop D,en,true\n\
    D-T2,Tpr. Two,trooper,Highway Patrol,Troop D,en,true\n\
    D-VA1,Ana Advocate,victim_advocate,Victim Services,Troop D,en;es,true\n";

/// Every projected table, as text rows in a fixed order.
fn tables(conn: &Connection) -> Vec<(String, Vec<String>)> {
    let queries = [
        ("cases", "SELECT * FROM cases ORDER BY id"),
        (
            "cases_fts",
            "SELECT c.id, f.narrative, f.notes, f.location, f.names FROM cases_fts f JOIN cases c ON c.row_id = f.rowid ORDER BY c.id",
        ),
        ("notes", "SELECT * FROM notes ORDER BY id"),
        ("handoffs", "SELECT * FROM handoffs ORDER BY id"),
        (
            "links",
            "SELECT a.id, b.id, l.kinds FROM links l JOIN cases a ON a.row_id = l.case_row JOIN cases b ON b.row_id = l.other_row ORDER BY 1, 2",
        ),
        (
            "link_keys",
            "SELECT k.key_hash, c.id, k.received_at FROM link_keys k JOIN cases c ON c.row_id = k.case_row ORDER BY 1, 2",
        ),
        ("responders", "SELECT * FROM responders ORDER BY id"),
        ("event rows", "SELECT e.local_seq, c.id FROM events e LEFT JOIN cases c ON c.row_id = e.case_row ORDER BY 1"),
    ];
    queries
        .iter()
        .map(|(name, sql)| {
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join(" | "))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (name.to_string(), rows)
        })
        .collect()
}

fn event_count(b: &Beacon) -> i64 {
    b.store().connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
}

fn run(ops: &[Op]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let clock = ManualClock::at(start);
    let mut b = Beacon::open(&path, Actor("dispatcher".into()), Arc::new(clock.clone())).unwrap();
    b.import_responders(ROSTER.as_bytes()).unwrap();
    let mut cases: Vec<String> = Vec::new();
    let urgencies = ["in_progress", "imminent", "recent", "historical"];
    for (i, op) in ops.iter().enumerate() {
        let case = |k: &usize| cases.get(k % cases.len().max(1)).cloned();
        // Refusals (an illegal transition, nobody on duty) are part of the
        // game: they must leave nothing behind either.
        let events_before = event_count(&b);
        let result = match op {
            Op::Referral { urgency, minor, located, phone } => {
                let mut r = json!({
                    "external_id": format!("R-{i}"), "source": "hotline_call",
                    "received_at": clock.now().to_rfc3339(), "urgency": urgencies[*urgency],
                    "trafficking_type": "sex", "narrative": format!("tip number {i}"),
                    "suspects": [{"phones": [format!("417-555-010{phone}")]}],
                    "potential_victims": {"minors": if *minor { "yes" } else { "no" }},
                });
                if *located {
                    r["location"] = json!({"city": "Springfield", "state": "MO", "lat": 37.2, "lon": -93.29});
                }
                b.add_referral_json(r).map(|a| cases.push(a.id.to_string()))
            }
            Op::Note(k) => case(k).map_or(Ok(()), |c| b.add_note(&c, "called back")),
            Op::Handoff(k, r) => case(k).map_or(Ok(()), |c| b.handoff(&c, ["D-T1", "D-T2", "D-VA1"][*r]).map(|_| ())),
            Op::HandoffSuggested(k, trooper) => case(k).map_or(Ok(()), |c| {
                b.handoff_to_suggested(&c, if *trooper { Role::Trooper } else { Role::VictimAdvocate }).map(|_| ())
            }),
            Op::Ack(k) => case(k).map_or(Ok(()), |c| b.acknowledge(&c)),
            Op::Withdraw(k) => case(k).map_or(Ok(()), |c| b.withdraw(&c)),
            Op::Status(k, s) => case(k).map_or(Ok(()), |c| {
                let to = CaseStatus::ALL[*s];
                b.set_status(&c, to, (to == CaseStatus::Closed).then_some("resolved"))
            }),
            Op::Override(k, p) => {
                case(k).map_or(Ok(()), |c| b.override_priority(&c, Priority::ALL[*p], "caller called back"))
            }
            Op::Target(p, m) => b.set_target(Priority::ALL[*p], *m, Some(m * 2)),
            Op::LinkWindow(d) => b.set_link_window(*d),
            Op::Duty(r, on) => b.set_on_duty(["D-T1", "D-T2", "D-VA1"][*r], *on),
            Op::Wait(s) => {
                clock.advance_ms(s * 1000);
                Ok(())
            }
        };
        if let Err(e) = result {
            assert!(e.is_user_error(), "{op:?} failed: {e}");
            assert_eq!(event_count(&b), events_before, "{op:?} was refused ({e}) but wrote events");
        }
    }
    let conn = Connection::open(&path).unwrap();
    let projected = tables(&conn);
    b.store().check_consistency().unwrap();
    let queue_before = b.queue(&QueueQuery::default()).unwrap();
    let report = b.rebuild().unwrap();
    b.store().check_consistency().unwrap();
    let rebuilt = tables(&conn);
    for ((name, want), (_, got)) in projected.iter().zip(&rebuilt) {
        assert_eq!(want, got, "table {name} differs after a rebuild");
    }
    assert_eq!(report.cases as usize, cases.len());
    let queue_after = b.queue(&QueueQuery::default()).unwrap();
    let ids = |rows: &[beacon_api::QueueRow]| rows.iter().map(|r| r.case.id).collect::<Vec<_>>();
    assert_eq!(ids(&queue_before), ids(&queue_after), "the same queue, in the same order");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn projecting_event_by_event_equals_rebuilding_from_the_log(ops in proptest::collection::vec(op(), 1..40)) {
        run(&ops);
    }
}

#[test]
fn a_rebuild_of_an_empty_store_is_empty() {
    run(&[]);
}
