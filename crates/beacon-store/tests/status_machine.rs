//! The projections follow the case's state machine: an event it refuses is
//! refused when appended (nothing is written), changes nothing when it is
//! replayed from the log (written before the rule, or by another device),
//! and a store from before handoffs could be withdrawn is folded again by
//! the new rules when it is opened.

mod support;

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::triage::Triage;
use beacon_domain::{
    CaseId, CaseStatus, EventId, HandoffId, JurisdictionAssignment, ManualClock, Priority, ResponderId, Role,
};
use beacon_store::{Store, StoreError};
use chrono::{TimeZone, Utc};
use rusqlite::params;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn open(path: &Path) -> Store {
    Store::open(path, Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()))).unwrap()
}

fn actor() -> Actor {
    Actor("test".into())
}

fn append(s: &mut Store, id: CaseId, body: EventBody) -> Result<(), StoreError> {
    s.write(|w| w.append(&actor(), Some(id), body).map(drop))
}

fn add(s: &mut Store, ext: &str) -> CaseId {
    let value = json!({
        "external_id": ext, "source": "hotline_call", "received_at": "2026-11-01T11:00:00Z",
        "urgency": "recent", "trafficking_type": "sex", "narrative": "n",
    });
    let referral = beacon_domain::intake::referral_from_value(value, Utc::now()).unwrap();
    let id = CaseId::for_referral(referral.source, &referral.external_id);
    let body = EventBody::ReferralReceived {
        referral: Box::new(referral),
        triage: Triage { priority: Priority::P2, reasons: vec![] },
        jurisdiction: JurisdictionAssignment::unknown(),
    };
    append(s, id, body).unwrap();
    id
}

fn handoff(s: &mut Store, id: CaseId, responder: &str) -> HandoffId {
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
    append(s, id, body).unwrap();
    handoff_id
}

fn ack(handoff_id: HandoffId) -> EventBody {
    EventBody::Acknowledged { handoff_id: Some(handoff_id), responder_id: None }
}

fn status(from: CaseStatus, to: CaseStatus) -> EventBody {
    let disposition = (to == CaseStatus::Closed).then(|| "resolved".to_string());
    EventBody::StatusChanged { from, to, disposition }
}

fn events(s: &Store) -> i64 {
    s.connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
}

/// (status, acknowledged_at, closed_at, assigned) of a case.
fn columns(s: &Store, id: CaseId) -> (String, Option<i64>, Option<i64>, String) {
    s.connection()
        .query_row(
            "SELECT status, acknowledged_at, closed_at, assigned FROM cases WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
}

/// Put an event in the log as an older Beacon (or another device) did,
/// without the projections: the next device sequence number, a later clock.
fn write_into_log(s: &Store, id: CaseId, body: &EventBody) {
    let conn = s.connection();
    let (device, seq, hlc, prev): (i64, i64, i64, Vec<u8>) = conn
        .query_row(
            "SELECT device, device_seq + 1, hlc + 1, hash FROM events ORDER BY device_seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let (event_id, body_json) = (EventId::new(), serde_json::to_string(body).unwrap());
    // Chained as the migration to schema 6 chains what an older Beacon wrote.
    let hash = beacon_domain::Chained {
        device: s.device_id(),
        seq: seq as u64,
        hlc: beacon_domain::Hlc::unpack(hlc),
        id: event_id,
        actor: "older-beacon",
        case_id: Some(id),
        body_json: &body_json,
    }
    .hash(&beacon_domain::EventHash::from_slice(&prev).unwrap());
    conn.execute(
        "INSERT INTO events (id, device, device_seq, hlc, actor, case_id, case_row, kind, body, hash)
         VALUES (?1, ?2, ?3, ?4, 'older-beacon', ?5, (SELECT row_id FROM cases WHERE id = ?5), ?6, ?7, ?8)",
        params![event_id.to_string(), device, seq, hlc, id.to_string(), body.kind(), body_json, hash.0.as_slice()],
    )
    .unwrap();
}

#[test]
fn an_event_the_machine_refuses_is_not_appended() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir.path().join("s.sqlite3"));
    let id = add(&mut s, "R-1");
    let h = handoff(&mut s, id, "T-1");
    append(&mut s, id, status(CaseStatus::HandedOff, CaseStatus::Closed)).unwrap();
    let before = (events(&s), columns(&s, id));

    match append(&mut s, id, ack(h)) {
        Err(StoreError::Transition { case, error }) => {
            assert_eq!((case, error.from, error.to), (id, CaseStatus::Closed, CaseStatus::Acknowledged));
        }
        other => panic!("expected a refused transition, got {other:?}"),
    }
    for (from, to) in [(CaseStatus::Closed, CaseStatus::HandedOff), (CaseStatus::Closed, CaseStatus::New)] {
        assert!(matches!(append(&mut s, id, status(from, to)), Err(StoreError::Transition { .. })));
    }
    assert!(matches!(
        append(&mut s, id, EventBody::PriorityOverridden { from: Priority::P2, to: Priority::P1, reason: "r".into() }),
        Err(StoreError::Transition { .. })
    ));
    assert_eq!((events(&s), columns(&s, id)), before, "nothing written");

    // Reopened and handed off again: the old handoff (withdrawn when the
    // case closed) cannot be acknowledged; the new one can, once.
    append(&mut s, id, status(CaseStatus::Closed, CaseStatus::Reopened)).unwrap();
    let h2 = handoff(&mut s, id, "T-2");
    assert!(matches!(append(&mut s, id, ack(h)), Err(StoreError::HandoffNotWaiting { .. })));
    let unknown = HandoffId::new();
    assert!(matches!(append(&mut s, id, ack(unknown)), Err(StoreError::HandoffNotWaiting { .. })));
    let none = EventBody::Acknowledged { handoff_id: None, responder_id: None };
    assert!(matches!(append(&mut s, id, none), Err(StoreError::HandoffNotWaiting { .. })));
    append(&mut s, id, ack(h2)).unwrap();
    assert!(matches!(append(&mut s, id, ack(h2)), Err(StoreError::HandoffNotWaiting { .. })));
    assert_eq!(columns(&s, id).0, "acknowledged");
    s.check_consistency().unwrap();
}

#[test]
fn a_refused_event_in_the_log_changes_nothing_when_the_log_is_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir.path().join("s.sqlite3"));
    let id = add(&mut s, "R-1");
    let h = handoff(&mut s, id, "T-1");
    append(&mut s, id, status(CaseStatus::HandedOff, CaseStatus::Closed)).unwrap();
    let closed = columns(&s, id);
    // An acknowledgement after the close, as an older Beacon accepted it.
    write_into_log(&s, id, &ack(h));
    write_into_log(&s, id, &status(CaseStatus::Closed, CaseStatus::Acknowledged));
    let report = s.rebuild().unwrap();
    assert_eq!(report.events, 5);
    assert_eq!(columns(&s, id), closed, "the case is as it was when it closed");
    assert_eq!(s.events(id).unwrap().len(), 5, "the log keeps what was asked");
    let handoffs = s.handoffs(id).unwrap();
    assert!(handoffs[0].acknowledged_at.is_none() && handoffs[0].withdrawn_at.is_some());
    s.check_consistency().unwrap();
}

#[test]
fn a_store_from_before_withdrawals_is_folded_again_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let (withdrawn, late_ack);
    {
        let mut s = open(&path);
        withdrawn = add(&mut s, "R-W");
        handoff(&mut s, withdrawn, "T-1");
        append(&mut s, withdrawn, status(CaseStatus::HandedOff, CaseStatus::Triaged)).unwrap();
        late_ack = add(&mut s, "R-A");
        let h = handoff(&mut s, late_ack, "T-2");
        append(&mut s, late_ack, status(CaseStatus::HandedOff, CaseStatus::Closed)).unwrap();
        write_into_log(&s, late_ack, &ack(h));
        // The tables as schema 3 projected them: the withdrawn case still
        // listed its trooper, and the late acknowledgement was taken (and the
        // jurisdiction was one JSON column, as it was until schema 5).
        let conn = s.connection();
        conn.execute_batch(support::UNDO_SCHEMAS_7_TO_13).unwrap();
        conn.execute_batch(
            "UPDATE cases SET assigned = '[{\"id\":\"T-1\",\"name\":\"T-1\",\"role\":\"trooper\"}]' WHERE external_id = 'R-W';
             UPDATE cases SET acknowledged_at = closed_at + 1 WHERE external_id = 'R-A';
             UPDATE handoffs SET acknowledged_at = 1, acknowledged_by = 'older-beacon' WHERE responder_id = 'T-2';
             ALTER TABLE handoffs DROP COLUMN withdrawn_at;
             ALTER TABLE cases ADD COLUMN jurisdiction TEXT NOT NULL
                 DEFAULT '{\"troop_verified\":true,\"method\":\"unknown\"}';
             ALTER TABLE cases DROP COLUMN troop_verified;
             ALTER TABLE cases DROP COLUMN assign_method;
             ALTER TABLE cases DROP COLUMN near_border;
             ALTER TABLE cases DROP COLUMN outside;
             ALTER TABLE cases DROP COLUMN distance_km;
             ALTER TABLE cases DROP COLUMN outside_reason;
             ALTER TABLE cases DROP COLUMN candidates;
             ALTER TABLE events DROP COLUMN hash;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let s = open(&path);
    let version: i64 = s.connection().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, beacon_store::SCHEMA_VERSION);
    let (st, ack_at, _, assigned) = columns(&s, withdrawn);
    assert_eq!((st.as_str(), ack_at, assigned.as_str()), ("triaged", None, "[]"));
    let (st, ack_at, closed_at, _) = columns(&s, late_ack);
    assert_eq!((st.as_str(), ack_at), ("closed", None));
    assert!(closed_at.is_some());
    assert!(s.handoffs(withdrawn).unwrap()[0].withdrawn_at.is_some());
    s.check_consistency().unwrap();
}
