//! The one test suite every `HubDb` backend passes. Each backend's test
//! file opens a fresh database and calls [`run`].

pub mod escalation;

use beacon_domain::event::EventBody;
use beacon_domain::referral::Source;
use beacon_domain::{CaseId, DeviceId, EventHash, EventId, HandoffId, Hlc, NoteId, ResponderId, Role};
use beacon_hub_db::TokenScope::All;
use beacon_hub_db::{HubDb, HubDbError, IntakeRecord, PushRefused, TokenRole, TokenScope};
use beacon_sync::{Cursor, SyncError, WireEvent};
use serde_json::value::RawValue;

pub const NOW: i64 = 1_790_000_000_000;

/// Every check, in order, on one migrated database.
pub async fn run(db: &dyn HubDb) {
    db.migrate().await.expect("migrate");
    db.migrate().await.expect("migrating twice changes nothing");
    tokens(db).await;
    intake(db).await;
    push_and_pull(db).await;
    refused_pushes_store_nothing(db).await;
    handoffs_are_intents_checked_in_arrival_order(db).await;
    scopes_decide_what_a_device_receives_and_may_send(db).await;
    a_purge_redacts_the_hubs_copy(db).await;
    escalation::a_missed_deadline_escalates_once_and_an_answer_settles_it(db).await;
}

/// `n` notes about `case` that mention `secret`, chained after `prev`.
fn case_notes(device: DeviceId, case: CaseId, from: u64, n: u64, mut prev: EventHash, secret: &str) -> Vec<WireEvent> {
    (from..from + n)
        .map(|seq| {
            let body = EventBody::NoteAdded { note_id: NoteId::new(), text: format!("{secret} {seq}") };
            let body = RawValue::from_string(serde_json::to_string(&body).unwrap()).unwrap();
            let hlc = Hlc { wall_ms: NOW - 500 + seq as i64, counter: 0 };
            let e = WireEvent::sealed(EventId::new(), device, seq, hlc, "dispatcher".into(), Some(case), body, prev);
            prev = e.hash;
            e
        })
        .collect()
}

/// A device purges a case: the hub redacts the events the purge lists in
/// its own copy, so a device pulling later receives them redacted, each
/// still taking its place in its chain. A device may also send events it
/// redacted before they ever left it.
async fn a_purge_redacts_the_hubs_copy(db: &dyn HubDb) {
    use beacon_domain::retention::Redaction;
    let (a, b) = (DeviceId::new_random(), DeviceId::new_random());
    let case = CaseId::for_referral(Source::HotlineCall, "PURGED-1");
    let notes = case_notes(a, case, 1, 3, EventHash::GENESIS, "Zephyrine");
    db.push(a, All, notes.clone(), NOW).await.unwrap();
    let listed: Vec<Redaction> = notes[..2]
        .iter()
        .map(|e| Redaction { event_id: e.id, hash: e.hash, seal: e.chained().seal(&e.prev) })
        .collect();
    let purge = EventBody::CasePurged { reason: "retention".into(), redacted: listed };
    let purge = RawValue::from_string(serde_json::to_string(&purge).unwrap()).unwrap();
    let hlc = Hlc { wall_ms: NOW, counter: 0 };
    let purge = WireEvent::sealed(EventId::new(), a, 4, hlc, "supervisor".into(), Some(case), purge, notes[2].hash);
    db.push(a, All, vec![purge], NOW).await.unwrap();

    // Redacted before it left device B: taken as its hash says.
    let mut own = case_notes(b, case, 1, 2, EventHash::GENESIS, "Zephyrine");
    own[0].body = RawValue::from_string(beacon_domain::retention::redacted_body(own[0].body.get()).unwrap()).unwrap();
    assert!(own[0].is_redacted() && own[0].is_intact());
    db.push(b, All, own, NOW).await.unwrap();

    let mut events = Vec::new();
    let mut cursor = Cursor::default();
    loop {
        let page = db.pull(cursor, 500, DeviceId::new_random(), All).await.unwrap();
        events.extend(page.events);
        if !page.more {
            break;
        }
        cursor = page.next;
    }
    let of_case: Vec<&WireEvent> = events.iter().filter(|e| e.case_id == Some(case)).collect();
    let kinds: Vec<String> = of_case.iter().map(|e| e.kind().unwrap()).collect();
    assert_eq!(kinds, ["redacted", "redacted", "note_added", "case_purged", "redacted", "note_added"]);
    let leaked: Vec<u64> =
        of_case.iter().filter(|e| e.is_redacted() && e.body.get().contains("Zephyrine")).map(|e| e.seq).collect();
    assert!(leaked.is_empty(), "redacted bodies say nothing: {leaked:?}");
    // Each keeps its hash and its link to the one before.
    for (i, e) in of_case.iter().enumerate().take(4) {
        assert!(e.is_intact());
        assert_eq!(e.hash, if i < 3 { notes[i].hash } else { e.hash });
    }
    assert_eq!(of_case[1].prev, of_case[0].hash);
}

/// `n` chained note events of `device`, from sequence `from` after `prev`.
pub fn chain(device: DeviceId, from: u64, n: u64, prev: EventHash, text: &str) -> Vec<WireEvent> {
    beacon_hub_db::testing::note_chain(device, from, n, prev, NOW - 1000, text)
}

async fn tokens(db: &dyn HubDb) {
    db.create_token("hotline", [1; 32], TokenRole::Intake, TokenScope::All).await.unwrap();
    db.create_token("laptop-7", [2; 32], TokenRole::Device, TokenScope::Troop("C".into())).await.unwrap();
    match db.create_token("hotline", [3; 32], TokenRole::Admin, TokenScope::All).await {
        Err(HubDbError::NameTaken(name)) => assert_eq!(name, "hotline"),
        other => panic!("a second token named hotline: {other:?}"),
    }
    let found = db.token_by_hash([2; 32]).await.unwrap().expect("found by hash");
    assert_eq!(
        (found.name.as_str(), found.role, &found.scope),
        ("laptop-7", TokenRole::Device, &TokenScope::Troop("C".into()))
    );
    assert!(db.token_by_hash([9; 32]).await.unwrap().is_none());
    assert!(db.revoke_token("hotline").await.unwrap());
    assert!(!db.revoke_token("nobody").await.unwrap());
    let listed = db.list_tokens().await.unwrap();
    assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["hotline", "laptop-7"]);
    assert!(listed[0].revoked_at.is_some() && listed[1].revoked_at.is_none());
}

fn record(external_id: &str) -> IntakeRecord {
    IntakeRecord {
        case_id: CaseId::for_referral(Source::HotlineWeb, external_id),
        source: Source::HotlineWeb,
        external_id: external_id.into(),
        troop: Some("C".into()),
        body_json: format!(r#"{{"kind":"note_added","payload":{{"note_id":"{}","text":"stand-in"}}}}"#, NoteId::new()),
    }
}

async fn intake(db: &dyn HubDb) {
    let before = db.event_count().await.unwrap();
    let first = db.intake(vec![record("W-1"), record("W-2")], NOW).await.unwrap();
    assert_eq!(first.iter().map(|(_, created)| *created).collect::<Vec<_>>(), [true, true]);
    assert_eq!(first[0].0, CaseId::for_referral(Source::HotlineWeb, "W-1"));
    // The same referral again, beside a new one: only the new one is stored.
    let again = db.intake(vec![record("W-1"), record("W-3")], NOW).await.unwrap();
    assert_eq!(again, vec![(first[0].0, false), (CaseId::for_referral(Source::HotlineWeb, "W-3"), true)]);
    assert_eq!(db.event_count().await.unwrap(), before + 3);
    // The hub's own events form one chain, readable by anyone who pulls.
    let page = db.pull(Cursor::default(), 100, DeviceId::new_random(), All).await.unwrap();
    let mut prev = EventHash::GENESIS;
    for (i, e) in page.events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert!(e.is_intact() && e.prev == prev, "hub event {} chains to the one before", e.seq);
        prev = e.hash;
    }
    assert!(page.events.windows(2).all(|w| w[0].hlc < w[1].hlc), "the hub's clock only moves forward");
}

async fn push_and_pull(db: &dyn HubDb) {
    let device = DeviceId::new_random();
    let events = chain(device, 1, 5, EventHash::GENESIS, "note");
    let pushed = db.push(device, All, events[..3].to_vec(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (3, 3));
    // A repeated delivery, overlapping the next events: only the new ones count.
    let pushed = db.push(device, All, events[1..].to_vec(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (2, 5));
    let pushed = db.push(device, All, events.clone(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (0, 5), "the same push twice stores nothing");

    // Pull in pages of two: every event once, in arrival order.
    let (mut cursor, mut seen) = (Cursor::default(), Vec::new());
    loop {
        let page = db.pull(cursor, 2, device, All).await.unwrap();
        assert!(page.events.len() <= 2);
        assert_eq!(page.hub_seq_of_device, 5);
        seen.extend(page.events.iter().filter(|e| e.device == device).map(|e| (e.seq, e.hash)));
        cursor = page.next;
        if !page.more {
            break;
        }
    }
    assert_eq!(seen, events.iter().map(|e| (e.seq, e.hash)).collect::<Vec<_>>());
    assert!(db.device_count().await.unwrap() >= 2, "this device and the hub's own");
    let empty = db.pull(cursor, 2, device, All).await.unwrap();
    assert!(empty.events.is_empty() && !empty.more && empty.next == cursor);
}

fn refusal(result: Result<beacon_sync::PushResponse, PushRefused>) -> SyncError {
    match result {
        Err(PushRefused::Sync(e)) => e,
        other => panic!("expected a sync refusal, got {other:?}"),
    }
}

async fn refused_pushes_store_nothing(db: &dyn HubDb) {
    let device = DeviceId::new_random();
    let events = chain(device, 1, 4, EventHash::GENESIS, "first");
    db.push(device, All, events[..2].to_vec(), NOW).await.unwrap();
    let count = db.event_count().await.unwrap();

    // Sequence 0 does not exist.
    let mut zero = chain(device, 1, 1, EventHash::GENESIS, "zero");
    zero[0].seq = 0;
    assert_eq!(refusal(db.push(device, All, zero, NOW).await), SyncError::Gap { device, expected: 3, got: 0 });
    // A gap: 4 after 2.
    let e = refusal(db.push(device, All, vec![events[3].clone()], NOW).await);
    assert_eq!(e, SyncError::Gap { device, expected: 3, got: 4 });
    // A fork: sequence 2 again, with other content (a store restored from a backup).
    let other = chain(device, 1, 3, EventHash::GENESIS, "restored");
    let e = refusal(db.push(device, All, other.clone(), NOW).await);
    assert_eq!(e, SyncError::Forked { device, seq: 1 });
    assert!(!e.retryable());
    // A good event, then one whose hash does not match: nothing of the push is kept.
    let mut tampered = events[3].clone();
    tampered.actor = "someone else".into();
    let e = refusal(db.push(device, All, vec![events[2].clone(), tampered], NOW).await);
    assert_eq!(e, SyncError::BadHash { device, seq: 4 });
    // Another device's event in this device's push.
    let stranger = chain(DeviceId::new_random(), 1, 1, EventHash::GENESIS, "x");
    assert_eq!(refusal(db.push(device, All, stranger, NOW).await), SyncError::WrongDevice { device });
    // A clock ten minutes ahead of the hub's.
    let mut ahead = chain(device, 3, 1, events[1].hash, "ahead");
    ahead[0].hlc = Hlc { wall_ms: NOW + 600_000, counter: 0 }.pack();
    ahead[0].hash = ahead[0].chained().hash(&events[1].hash);
    assert!(matches!(refusal(db.push(device, All, ahead, NOW).await), SyncError::ClockAhead { seq: 3, .. }));
    // A body that is not one of Beacon's events, correctly hashed.
    let mut odd = chain(device, 3, 1, events[1].hash, "odd");
    odd[0].body = RawValue::from_string(r#"{"kind":"launch_rockets","payload":{"secret":"MARKER"}}"#.into()).unwrap();
    odd[0].hash = odd[0].chained().hash(&events[1].hash);
    let e = refusal(db.push(device, All, odd, NOW).await);
    assert!(matches!(&e, SyncError::Invalid { seq: 3, .. }));
    assert!(!e.to_string().contains("MARKER"), "the refusal does not quote the body: {e}");

    assert_eq!(db.event_count().await.unwrap(), count, "no refused push stored anything");
    // The device carries on where the hub has it.
    let pushed = db.push(device, All, events[2..].to_vec(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (2, 4));
}

/// A device's own chain of events, built one at a time.
struct Device {
    id: DeviceId,
    seq: u64,
    prev: EventHash,
}

impl Device {
    fn new() -> Self {
        Device { id: DeviceId::new_random(), seq: 0, prev: EventHash::GENESIS }
    }

    fn next(&mut self, case: CaseId, body: &EventBody) -> WireEvent {
        self.seq += 1;
        let raw = RawValue::from_string(serde_json::to_string(body).unwrap()).unwrap();
        let hlc = Hlc { wall_ms: NOW - 500 + self.seq as i64, counter: 0 };
        let e =
            WireEvent::sealed(EventId::new(), self.id, self.seq, hlc, "dispatcher".into(), Some(case), raw, self.prev);
        self.prev = e.hash;
        e
    }
}

fn handoff(responder: &str, replaces: Option<HandoffId>) -> (HandoffId, EventBody) {
    let id = HandoffId::new();
    let body = EventBody::HandedOff {
        handoff_id: id,
        responder_id: ResponderId(responder.into()),
        responder_name: format!("Trooper {responder}"),
        role: Role::Trooper,
        shared_fields: vec![],
        withheld_fields: vec![],
        replaces,
        sharing_override: None,
    };
    (id, body)
}

fn note(text: &str) -> EventBody {
    EventBody::NoteAdded { note_id: NoteId::new(), text: text.into() }
}

/// Every event after `cursor` the scope lets through, following pages.
async fn pull_all(db: &dyn HubDb, mut cursor: Cursor, scope: &TokenScope) -> (Vec<WireEvent>, Cursor) {
    let mut out = Vec::new();
    loop {
        let page = db.pull(cursor, 3, DeviceId::new_random(), scope.clone()).await.unwrap();
        out.extend(page.events);
        cursor = page.next;
        if !page.more {
            return (out, cursor);
        }
    }
}

/// A case the hub takes in, in troop `troop`.
async fn intake_case(db: &dyn HubDb, external_id: &str, troop: &str) -> CaseId {
    let r = IntakeRecord { troop: Some(troop.into()), ..record(external_id) };
    db.intake(vec![r], NOW).await.unwrap()[0].0
}

async fn handoffs_are_intents_checked_in_arrival_order(db: &dyn HubDb) {
    let case = intake_case(db, "H-1", "C").await;
    let (_, start) = pull_all(db, Cursor::default(), &All).await;
    let (mut a, mut b) = (Device::new(), Device::new());
    // Both offline, both hand the case to a trooper, neither knowing of the other.
    let (first, to_one) = handoff("T-1", None);
    let (second, to_two) = handoff("T-2", None);
    db.push(a.id, All, vec![a.next(case, &to_one)], NOW).await.unwrap();
    db.push(b.id, All, vec![b.next(case, &to_two)], NOW).await.unwrap();
    let (arrived, cursor) = pull_all(db, start, &All).await;
    assert_eq!(arrived.len(), 3, "both handoffs, then the hub's rejection");
    let rejection = &arrived[2];
    assert_eq!(rejection.case_id, Some(case));
    assert!(rejection.is_intact());
    assert!(rejection.hlc > arrived[0].hlc && rejection.hlc > arrived[1].hlc, "folded after both handoffs");
    match rejection.decode_body().unwrap() {
        EventBody::HandoffRejected { handoff_id, winner, winner_responder_name, responder_name, .. } => {
            assert_eq!((handoff_id, winner), (second, first), "the first to arrive stands");
            assert_eq!((winner_responder_name.as_str(), responder_name.as_str()), ("Trooper T-1", "Trooper T-2"));
        }
        other => panic!("expected a rejection, got {}", other.kind()),
    }
    // B, having pulled, hands off knowing of A's: it stands. A, not having
    // pulled, hands off again knowing only its own first: rejected, since
    // B's second stands now. B's next, after its own, stands.
    let (third, informed) = handoff("T-3", Some(first));
    db.push(b.id, All, vec![b.next(case, &informed)], NOW).await.unwrap();
    let (stale_id, stale) = handoff("T-4", Some(first));
    db.push(a.id, All, vec![a.next(case, &stale)], NOW).await.unwrap();
    let (_, own) = handoff("T-5", Some(third));
    db.push(b.id, All, vec![b.next(case, &own)], NOW).await.unwrap();
    let (after, _) = pull_all(db, cursor, &All).await;
    let rejected: Vec<(HandoffId, HandoffId)> = after
        .iter()
        .filter_map(|e| match e.decode_body().unwrap() {
            EventBody::HandoffRejected { handoff_id, winner, .. } => Some((handoff_id, winner)),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, [(stale_id, third)], "only the handoff made without knowing of B's second is rejected");
    // A device may not write a rejection itself.
    let mut forger = Device::new();
    let forged = EventBody::HandoffRejected {
        handoff_id: first,
        responder_name: "x".into(),
        role: Role::Trooper,
        handed_off_by: "x".into(),
        winner: second,
        winner_responder_id: ResponderId("T-2".into()),
        winner_responder_name: "x".into(),
        winner_handed_off_by: "x".into(),
    };
    let e = refusal(db.push(forger.id, All, vec![forger.next(case, &forged)], NOW).await);
    assert!(matches!(e, SyncError::Invalid { .. }), "{e:?}");
}

async fn scopes_decide_what_a_device_receives_and_may_send(db: &dyn HubDb) {
    let in_d = intake_case(db, "S-1", "D").await;
    let in_e = intake_case(db, "S-2", "E").await;
    let troop_d = TokenScope::Troop("D".into());
    let (events, _) = pull_all(db, Cursor::default(), &troop_d).await;
    let cases: std::collections::BTreeSet<CaseId> = events.iter().filter_map(|e| e.case_id).collect();
    assert_eq!(cases, [in_d].into(), "a troop's device receives its troop's cases only");
    assert!(events.iter().any(|e| e.case_id.is_none()), "and events of no case (the roster, settings)");

    // A responder's laptop has nothing of case E until it is handed to them;
    // then it receives the case's earlier events too.
    let laptop = TokenScope::Responder("T-9".into());
    let (before, cursor) = pull_all(db, Cursor::default(), &laptop).await;
    assert!(before.iter().all(|e| e.case_id != Some(in_e)));
    let mut desk = Device::new();
    db.push(desk.id, All, vec![desk.next(in_e, &note("before the handoff"))], NOW).await.unwrap();
    let (_, to_nine) = handoff("T-9", None);
    db.push(desk.id, All, vec![desk.next(in_e, &to_nine)], NOW).await.unwrap();
    let (received, _) = pull_all(db, cursor, &laptop).await;
    let of_e: Vec<Option<String>> = received.iter().filter(|e| e.case_id == Some(in_e)).map(|e| e.kind()).collect();
    assert_eq!(
        of_e,
        [Some("note_added".to_string()), Some("note_added".to_string()), Some("handed_off".to_string())],
        "the case's intake event (a stand-in note here), the note before the handoff, the handoff"
    );

    // A device scoped to troop D may not write about case E.
    let mut stranger = Device::new();
    let count = db.event_count().await.unwrap();
    let e = refusal(db.push(stranger.id, troop_d.clone(), vec![stranger.next(in_e, &note("not mine"))], NOW).await);
    assert_eq!(e, SyncError::OutOfScope { case_id: in_e });
    assert_eq!(db.event_count().await.unwrap(), count);
    // About its own troop's case it may.
    let mut inside = Device::new();
    db.push(inside.id, troop_d, vec![inside.next(in_d, &note("mine"))], NOW).await.unwrap();
}

/// An append through `writer` wakes whoever waits on `listener.appended()`
/// (on PostgreSQL, two pools on one database stand for two hub processes).
pub async fn appends_wake_listeners(listener: &dyn HubDb, writer: &dyn HubDb) {
    let mut woken = listener.appended();
    // Let a listening connection come up, and forget its first bump.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    woken.borrow_and_update();
    writer.intake(vec![record("WAKE-1")], NOW).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), woken.changed())
        .await
        .expect("woken within 5 s of the append")
        .unwrap();
    // Nothing new appended (the same referral again): nobody is woken.
    woken.borrow_and_update();
    writer.intake(vec![record("WAKE-1")], NOW).await.unwrap();
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), woken.changed()).await;
    assert!(quiet.is_err(), "a request that stored nothing wakes nobody");
}
