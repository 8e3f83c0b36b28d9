//! The case's state machine, driven through the real operations over a real
//! SQLite store: for every status a case can be in (and a triaged case whose
//! handoff was withdrawn), every operation that changes a case's status or
//! its responders leads to the status the table says, or is refused with the
//! code the table says and leaves the store as it was.

use beacon_api::domain::event::Actor;
use beacon_api::domain::{CaseId, CaseStatus, ManualClock, Priority, Role};
use beacon_api::store::{CaseSummary, HandoffRecord};
use beacon_api::{ApiError, Beacon};
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

use CaseStatus::*;

const ROSTER: &str = "id,name,role,agency,jurisdictions,languages,on_duty\n\
    D-T1,Tpr. One,trooper,Highway Patrol,Troop D,en,true\n\
    D-T2,Tpr. Two,trooper,Highway Patrol,Troop D,en,true\n\
    D-VA1,Ana Advocate,victim_advocate,Victim Services,Troop D,en;es,true\n";

/// Where a case starts, and how it got there.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Start {
    New,
    Triaged,
    /// Handed to D-T1, not yet acknowledged.
    HandedOff,
    /// D-T1 acknowledged; no handoff waiting.
    Acknowledged,
    OnScene,
    /// Closed while D-T1's handoff was still waiting.
    Closed,
    /// Handed off, closed, reopened.
    Reopened,
    /// Handed to D-T1, then the handoff was withdrawn: triaged again.
    Withdrawn,
}

/// Every operation that changes a case's status or its responders.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    /// Set the priority by hand (`beacon triage`).
    Triage,
    /// `beacon status <id> <status>` for each status but acknowledged (its own column below).
    Status(CaseStatus),
    /// Hand off to D-T1 (again, where D-T1 already has it).
    HandOff,
    /// Hand off to D-T2: another trooper (a reassignment where D-T1 has it).
    Reassign,
    /// Hand off to the advocate: another role.
    HandOffAdvocate,
    /// The console's one-click handoff to the suggested trooper.
    HandOffSuggested,
    Withdraw,
    Ack,
    /// `beacon status <id> acknowledged`.
    StatusAck,
    Close,
    Reopen,
}

const OPS: [Op; 14] = [
    Op::Triage,
    Op::Status(Triaged),
    Op::Status(New),
    Op::Status(HandedOff),
    Op::HandOff,
    Op::Reassign,
    Op::HandOffAdvocate,
    Op::HandOffSuggested,
    Op::Withdraw,
    Op::Ack,
    Op::StatusAck,
    Op::Status(OnScene),
    Op::Close,
    Op::Reopen,
];

/// What an operation does: the status the case is in afterwards, or the
/// refusal's code.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    To(CaseStatus),
    Refused(&'static str),
}

/// The state machine refuses the change (`invalid_transition`, exit code 2).
const NO: Outcome = Outcome::Refused("invalid_transition");
/// Allowed by the machine, but nothing is waiting to be acknowledged (`refused`, exit code 2).
const NONE_WAITING: Outcome = Outcome::Refused("refused");
const fn to(s: CaseStatus) -> Outcome {
    Outcome::To(s)
}

#[rustfmt::skip]
const TABLE: &[(Start, [Outcome; OPS.len()])] = &[
    //                   triage            st triaged        st new st h_off  handoff         reassign        advocate        suggested       withdraw     ack               st ack            st on_scene   close        reopen
    (Start::New,          [to(Triaged),      to(Triaged),      NO,    NO,     to(HandedOff),  to(HandedOff),  to(HandedOff),  to(HandedOff),  NO,          NO,               NO,               NO,           to(Closed),  NO]),
    (Start::Triaged,      [to(Triaged),      to(Triaged),      NO,    NO,     to(HandedOff),  to(HandedOff),  to(HandedOff),  to(HandedOff),  NO,          NO,               NO,               NO,           to(Closed),  NO]),
    (Start::HandedOff,    [to(HandedOff),    to(Triaged),      NO,    NO,     to(HandedOff),  to(HandedOff),  to(HandedOff),  to(HandedOff),  to(Triaged), to(Acknowledged), to(Acknowledged), NO,           to(Closed),  NO]),
    (Start::Acknowledged, [to(Acknowledged), NO,               NO,    NO,     to(Acknowledged), to(Acknowledged), to(Acknowledged), to(Acknowledged), NO,   NONE_WAITING,     NONE_WAITING,     to(OnScene),  to(Closed),  NO]),
    (Start::OnScene,      [to(OnScene),      NO,               NO,    NO,     to(OnScene),    to(OnScene),    to(OnScene),    to(OnScene),    NO,          NONE_WAITING,     NONE_WAITING,     NO,           to(Closed),  NO]),
    (Start::Closed,       [NO,               NO,               NO,    NO,     NO,             NO,             NO,             NO,             NO,          NO,               NO,               NO,           NO,          to(Reopened)]),
    (Start::Reopened,     [to(Triaged),      to(Triaged),      NO,    NO,     to(HandedOff),  to(HandedOff),  to(HandedOff),  to(HandedOff),  NO,          NO,               NO,               NO,           to(Closed),  NO]),
    (Start::Withdrawn,    [to(Triaged),      to(Triaged),      NO,    NO,     to(HandedOff),  to(HandedOff),  to(HandedOff),  to(HandedOff),  NO,          NO,               NO,               NO,           to(Closed),  NO]),
];

fn open(dir: &tempfile::TempDir) -> Beacon {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap());
    let mut b = Beacon::open(&dir.path().join("s.sqlite3"), Actor("dispatcher".into()), Arc::new(clock)).unwrap();
    b.import_responders(ROSTER.as_bytes()).unwrap();
    b
}

fn add(b: &mut Beacon, external_id: &str) -> String {
    let r = json!({
        "external_id": external_id, "source": "hotline_call", "received_at": "2026-11-01T11:30:00Z",
        "urgency": "recent", "trafficking_type": "sex", "narrative": "tip",
        "location": {"city": "Springfield", "state": "MO", "lat": 37.2, "lon": -93.29},
    });
    b.add_referral_json(r).unwrap().id.to_string()
}

/// A new case brought to `start` through the same operations.
fn case_at(b: &mut Beacon, external_id: &str, start: Start) -> String {
    let id = add(b, external_id);
    let step = |r: Result<(), ApiError>| r.unwrap_or_else(|e| panic!("setting up {start:?}: {e}"));
    match start {
        Start::New => {}
        Start::Triaged => step(b.set_status(&id, Triaged, None)),
        Start::HandedOff => step(b.handoff(&id, "D-T1").map(drop)),
        Start::Acknowledged => {
            step(b.handoff(&id, "D-T1").map(drop));
            step(b.acknowledge(&id));
        }
        Start::OnScene => {
            step(b.handoff(&id, "D-T1").map(drop));
            step(b.acknowledge(&id));
            step(b.set_status(&id, OnScene, None));
        }
        Start::Closed => {
            step(b.handoff(&id, "D-T1").map(drop));
            step(b.set_status(&id, Closed, Some("no victim found")));
        }
        Start::Reopened => {
            step(b.handoff(&id, "D-T1").map(drop));
            step(b.set_status(&id, Closed, Some("no victim found")));
            step(b.set_status(&id, Reopened, None));
        }
        Start::Withdrawn => {
            step(b.handoff(&id, "D-T1").map(drop));
            step(b.withdraw(&id));
        }
    }
    id
}

fn run(b: &mut Beacon, id: &str, op: Op) -> Result<(), ApiError> {
    match op {
        Op::Triage => b.override_priority(id, Priority::P1, "caller called back"),
        Op::Status(s) => b.set_status(id, s, None),
        Op::HandOff => b.handoff(id, "D-T1").map(drop),
        Op::Reassign => b.handoff(id, "D-T2").map(drop),
        Op::HandOffAdvocate => b.handoff(id, "D-VA1").map(drop),
        Op::HandOffSuggested => b.handoff_to_suggested(id, Role::Trooper).map(drop),
        Op::Withdraw => b.withdraw(id),
        Op::Ack => b.acknowledge(id),
        Op::StatusAck => b.set_status(id, Acknowledged, None),
        Op::Close => b.set_status(id, Closed, Some("referred to services")),
        Op::Reopen => b.set_status(id, Reopened, None),
    }
}

/// What the operation asked for, as a refusal names it.
fn requested(op: Op) -> CaseStatus {
    match op {
        Op::Triage | Op::Withdraw => Triaged,
        Op::Status(s) => s,
        Op::HandOff | Op::Reassign | Op::HandOffAdvocate | Op::HandOffSuggested => HandedOff,
        Op::Ack | Op::StatusAck => Acknowledged,
        Op::Close => Closed,
        Op::Reopen => Reopened,
    }
}

/// Everything the store holds about a case and its log.
fn snapshot(b: &Beacon, id: &str) -> (CaseSummary, Vec<HandoffRecord>, i64) {
    let case_id: CaseId = id.parse().unwrap();
    let summary = b.store().case(case_id).unwrap().unwrap().summary;
    let events: i64 = b.store().connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
    (summary, b.store().handoffs(case_id).unwrap(), events)
}

#[test]
fn every_operation_from_every_status_follows_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir);
    for (start, row) in TABLE {
        for (op, want) in OPS.iter().zip(row) {
            let id = case_at(&mut b, &format!("R-{start:?}-{op:?}"), *start);
            let before = snapshot(&b, id.as_str());
            let from = before.0.status;
            let result = run(&mut b, &id, *op);
            let after = snapshot(&b, id.as_str());
            match (want, result) {
                (Outcome::To(status), Ok(())) => {
                    assert_eq!(after.0.status, *status, "{start:?} + {op:?}");
                }
                (Outcome::Refused(code), Err(e)) => {
                    assert_eq!(e.code(), *code, "{start:?} + {op:?}: {e}");
                    assert!(e.is_user_error(), "{start:?} + {op:?}: exit code 2");
                    assert_eq!(after, before, "{start:?} + {op:?} was refused but changed the store");
                    let message = e.to_string();
                    assert!(message.contains(&id[..8]), "{start:?} + {op:?}: names the case: {message}");
                    assert!(message.contains(&format!("`{from}`")), "{start:?} + {op:?}: names the status: {message}");
                    if *code == "invalid_transition" {
                        let asked = format!("`{}`", requested(*op));
                        assert!(message.contains(&asked), "{start:?} + {op:?}: names {asked}: {message}");
                    }
                }
                (want, got) => panic!("{start:?} + {op:?}: expected {want:?}, got {got:?}"),
            }
        }
    }
    b.store().check_consistency().unwrap();
}

fn trooper_listed(b: &Beacon, id: &str) -> Option<String> {
    let case = b.store().case(id.parse().unwrap()).unwrap().unwrap().summary;
    case.assigned.iter().find(|a| a.role == Role::Trooper).map(|a| a.id.0.clone())
}

#[test]
fn a_withdrawn_handoff_lists_nobody_and_cannot_be_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir);
    let id = case_at(&mut b, "W-1", Start::HandedOff);
    b.handoff(&id, "D-VA1").unwrap();
    assert_eq!(trooper_listed(&b, &id).as_deref(), Some("D-T1"));
    b.withdraw(&id).unwrap();
    let (case, handoffs, _) = snapshot(&b, &id);
    assert_eq!(case.status, Triaged);
    assert!(case.assigned.is_empty(), "{:?}", case.assigned);
    assert!(handoffs.iter().all(|h| h.withdrawn_at.is_some() && h.acknowledged_at.is_none()));
    assert_eq!(case.acknowledged_at, None);
    let e = b.acknowledge(&id).unwrap_err();
    assert_eq!(e.code(), "invalid_transition");
    assert!(b.suggest(&id).unwrap().troopers.iter().all(|s| s.open_cases == 0), "a withdrawn case is nobody's load");
    // `status triaged` from handed_off is the same withdrawal.
    let other = case_at(&mut b, "W-2", Start::HandedOff);
    b.set_status(&other, Triaged, None).unwrap();
    assert_eq!(trooper_listed(&b, &other), None);
    b.store().check_consistency().unwrap();
}

#[test]
fn a_reassignment_replaces_the_trooper_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir);
    let id = case_at(&mut b, "RA-1", Start::HandedOff);
    b.handoff(&id, "D-T2").unwrap();
    assert_eq!(trooper_listed(&b, &id).as_deref(), Some("D-T2"));
    // The acknowledgement is D-T2's: D-T1's handoff was withdrawn.
    b.acknowledge(&id).unwrap();
    let (case, handoffs, _) = snapshot(&b, &id);
    assert_eq!(case.status, Acknowledged);
    let by = |r: &str| handoffs.iter().find(|h| h.responder_id.0 == r).unwrap();
    assert!(by("D-T1").withdrawn_at.is_some() && by("D-T1").acknowledged_at.is_none());
    assert!(by("D-T2").acknowledged_at.is_some() && by("D-T2").withdrawn_at.is_none());
    b.store().check_consistency().unwrap();
}

#[test]
fn closing_withdraws_what_waits_and_keeps_who_worked_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir);
    // D-T1 acknowledged; D-T2 was asked to take over but never acknowledged.
    let id = case_at(&mut b, "C-1", Start::Acknowledged);
    b.handoff(&id, "D-T2").unwrap();
    assert_eq!(trooper_listed(&b, &id).as_deref(), Some("D-T2"));
    b.set_status(&id, Closed, Some("referred to services")).unwrap();
    assert_eq!(trooper_listed(&b, &id).as_deref(), Some("D-T1"), "the trooper who acknowledged it");
    let (case, handoffs, _) = snapshot(&b, &id);
    assert!(handoffs.iter().any(|h| h.responder_id.0 == "D-T2" && h.withdrawn_at.is_some()));
    // Reopened and handed off again, the acknowledgement is the new handoff's.
    b.set_status(&id, Reopened, None).unwrap();
    b.handoff(&id, "D-T1").unwrap();
    b.acknowledge(&id).unwrap();
    let handoffs = b.store().handoffs(id.parse().unwrap()).unwrap();
    assert!(handoffs.last().unwrap().acknowledged_at.is_some(), "{handoffs:?}");
    assert!(case.acknowledged_at <= case.closed_at);
    b.store().check_consistency().unwrap();
}
