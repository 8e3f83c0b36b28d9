//! Escalation on every backend, on an injected clock: deadlines filed with
//! a standing handoff from the targets in force then, settled by answers,
//! fired once each.

use beacon_domain::delivery::Step;
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, DeviceId, Hlc, ResponderId, Role};
use beacon_hub_db::TokenScope::All;
use beacon_hub_db::testing::{event_after, on_duty, referral_and_handoff};
use beacon_hub_db::{HubDb, settings};
use beacon_sync::Cursor;

const MINUTE: i64 = 60_000;

/// The hub's events of the case since the start: (kind, actor, body).
async fn hub_events(db: &dyn HubDb, case: CaseId) -> Vec<(String, String, EventBody)> {
    let mut out = Vec::new();
    let mut cursor = Cursor::default();
    loop {
        let page = db.pull(cursor, 500, DeviceId::new_random(), All).await.unwrap();
        for e in page.events.iter().filter(|e| e.case_id == Some(case)) {
            let body = e.decode_body().unwrap();
            out.push((body.kind().to_string(), e.actor.clone(), body));
        }
        cursor = page.next;
        if !page.more {
            return out;
        }
    }
}

fn escalations(events: &[(String, String, EventBody)]) -> Vec<(Step, String, Option<String>)> {
    events
        .iter()
        .filter_map(|(_, _, b)| match b {
            EventBody::Escalated { step, responder_id, next_responder_name, .. } => {
                Some((*step, responder_id.0.clone(), next_responder_name.clone()))
            }
            _ => None,
        })
        .collect()
}

pub async fn a_missed_deadline_escalates_once_and_an_answer_settles_it(db: &dyn HubDb) {
    let set = async |key: &str, value: &str| db.set_setting(key, &settings::check(key, value).unwrap()).await.unwrap();
    set("ack-target.P2", "10m").await;
    set("onscene-target.P2", "30m").await;
    let device = DeviceId::new_random();
    let (case, events) = referral_and_handoff(device, "ESC-1", "T-1");
    let first = match events[1].decode_body().unwrap() {
        EventBody::HandedOff { handoff_id, .. } => handoff_id,
        _ => unreachable!(),
    };
    let t0 = Hlc::unpack(events[1].hlc).wall_ms + 1_000;
    // Deadlines the suite's earlier handoffs left (on its older clock) fire first.
    db.fire_escalations("w", t0 - 1, 1_000).await.unwrap();
    assert_eq!(db.next_escalation_due().await.unwrap(), None);
    // The roster the hub hears of: troopers T-1…T-3 and a supervisor, on duty.
    let mut chain = events.clone();
    for r in [("T-1", Role::Trooper), ("T-2", Role::Trooper), ("T-3", Role::Trooper), ("S-1", Role::Supervisor)] {
        let body = EventBody::ResponderUpserted { responder: on_duty(r.0, r.1) };
        let next = event_after(chain.last().unwrap(), None, &body);
        chain.push(next);
    }
    db.push(device, All, chain.clone(), t0).await.unwrap();
    // Targets changed after the handoff move no deadline already filed.
    set("ack-target.P2", "1m").await;
    assert_eq!(db.next_escalation_due().await.unwrap(), Some(t0 + 10 * MINUTE));

    assert_eq!(db.fire_escalations("w", t0 + 10 * MINUTE - 1, 32).await.unwrap(), 0, "not before the deadline");
    assert_eq!(db.fire_escalations("w", t0 + 10 * MINUTE, 32).await.unwrap(), 1);
    assert_eq!(db.fire_escalations("w", t0 + 10 * MINUTE + 5, 32).await.unwrap(), 0, "once");
    let events = hub_events(db, case).await;
    assert_eq!(escalations(&events), [(Step::Acknowledge, "T-1".into(), Some("T-2 name".into()))]);
    let escalated = events.iter().find(|(k, _, _)| k == "escalated").unwrap();
    let EventBody::Escalated { supervisor_id, due_at, target_ms, .. } = &escalated.2 else { unreachable!() };
    assert_eq!(
        (supervisor_id.as_ref().map(|s| s.0.as_str()), *due_at, *target_ms),
        (Some("S-1"), t0 + 10 * MINUTE, 10 * MINUTE)
    );
    let (_, actor, handed) = events.iter().rfind(|(k, _, _)| k == "handed_off").unwrap();
    let EventBody::HandedOff { responder_id, replaces, handoff_id: second, shared_fields, .. } = handed else {
        unreachable!()
    };
    assert_eq!((actor.as_str(), responder_id.0.as_str(), *replaces), ("hub (escalation)", "T-2", Some(first)));
    assert!(shared_fields.contains(&"narrative".to_string()), "the next responder gets what the policy shares");
    let second = *second;
    let state = db.handoff_state(first).await.unwrap().unwrap();
    assert!(!state.stands, "the hub's handoff replaced the first");

    // The second handoff's deadlines come from the targets in force now (1 m
    // to acknowledge). T-2 acknowledges in time: that deadline is settled…
    let t1 = t0 + 10 * MINUTE;
    assert_eq!(db.next_escalation_due().await.unwrap(), Some(t1 + MINUTE));
    let ack = EventBody::Acknowledged { handoff_id: Some(second), responder_id: Some(ResponderId("T-2".into())) };
    let mut t2_device = referral_and_handoff(DeviceId::new_random(), "ESC-unused", "X").1;
    t2_device.truncate(1);
    let ack = event_after(&t2_device[0], Some(case), &ack);
    db.push(ack.device, All, vec![t2_device[0].clone(), ack], t1 + 30_000).await.unwrap();
    assert_eq!(db.fire_escalations("w", t1 + 2 * MINUTE, 32).await.unwrap(), 0, "acknowledged in time");
    // …but an acknowledgement is not the end: nobody on scene in 30 m escalates.
    assert_eq!(db.next_escalation_due().await.unwrap(), Some(t1 + 30 * MINUTE));
    assert_eq!(db.fire_escalations("w", t1 + 30 * MINUTE, 32).await.unwrap(), 1);
    let events = hub_events(db, case).await;
    assert_eq!(
        escalations(&events)[1..],
        [(Step::OnScene, "T-2".into(), Some("T-3 name".into()))],
        "the next not asked before"
    );

    // T-3 is on scene by link: both of its deadlines settle, nothing more fires.
    let third = match &events.iter().rfind(|(k, _, _)| k == "handed_off").unwrap().2 {
        EventBody::HandedOff { handoff_id, .. } => *handoff_id,
        _ => unreachable!(),
    };
    let answered = db.answer(third, beacon_hub_db::Answer::OnScene, t1 + 31 * MINUTE).await.unwrap().unwrap();
    assert!(answered.acknowledged_at.is_some() && answered.on_scene_at.is_some());
    assert_eq!(db.next_escalation_due().await.unwrap(), None, "every deadline settled or fired");
    assert_eq!(db.fire_escalations("w", t1 + 300 * MINUTE, 32).await.unwrap(), 0);
}

/// Two hub processes (two handles on one database) fire the same due
/// deadline at once: one escalation.
pub async fn two_processes_racing_fire_one_escalation(a: &dyn HubDb, b: &dyn HubDb) {
    a.set_setting("ack-target.P2", "5m").await.unwrap();
    let device = DeviceId::new_random();
    let (case, events) = referral_and_handoff(device, "ESC-RACE", "T-9");
    let t0 = Hlc::unpack(events[1].hlc).wall_ms + 1_000;
    a.push(device, All, events, t0).await.unwrap();
    let due = t0 + 5 * MINUTE;
    let (x, y) = tokio::join!(a.fire_escalations("a", due, 32), b.fire_escalations("b", due, 32));
    assert_eq!(x.unwrap() + y.unwrap(), 1, "exactly one of the two fired it");
    assert_eq!(escalations(&hub_events(a, case).await).len(), 1);
}
