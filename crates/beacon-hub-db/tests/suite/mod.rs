//! The one test suite every `HubDb` backend passes. Each backend's test
//! file opens a fresh database and calls [`run`].

use beacon_domain::referral::Source;
use beacon_domain::{CaseId, DeviceId, EventHash, Hlc, NoteId};
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
    let page = db.pull(Cursor::default(), 100, DeviceId::new_random()).await.unwrap();
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
    let pushed = db.push(device, events[..3].to_vec(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (3, 3));
    // A repeated delivery, overlapping the next events: only the new ones count.
    let pushed = db.push(device, events[1..].to_vec(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (2, 5));
    let pushed = db.push(device, events.clone(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (0, 5), "the same push twice stores nothing");

    // Pull in pages of two: every event once, in arrival order.
    let (mut cursor, mut seen) = (Cursor::default(), Vec::new());
    loop {
        let page = db.pull(cursor, 2, device).await.unwrap();
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
    let empty = db.pull(cursor, 2, device).await.unwrap();
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
    db.push(device, events[..2].to_vec(), NOW).await.unwrap();
    let count = db.event_count().await.unwrap();

    // Sequence 0 does not exist.
    let mut zero = chain(device, 1, 1, EventHash::GENESIS, "zero");
    zero[0].seq = 0;
    assert_eq!(refusal(db.push(device, zero, NOW).await), SyncError::Gap { device, expected: 3, got: 0 });
    // A gap: 4 after 2.
    let e = refusal(db.push(device, vec![events[3].clone()], NOW).await);
    assert_eq!(e, SyncError::Gap { device, expected: 3, got: 4 });
    // A fork: sequence 2 again, with other content (a store restored from a backup).
    let other = chain(device, 1, 3, EventHash::GENESIS, "restored");
    let e = refusal(db.push(device, other.clone(), NOW).await);
    assert_eq!(e, SyncError::Forked { device, seq: 1 });
    assert!(!e.retryable());
    // A good event, then one whose hash does not match: nothing of the push is kept.
    let mut tampered = events[3].clone();
    tampered.actor = "someone else".into();
    let e = refusal(db.push(device, vec![events[2].clone(), tampered], NOW).await);
    assert_eq!(e, SyncError::BadHash { device, seq: 4 });
    // Another device's event in this device's push.
    let stranger = chain(DeviceId::new_random(), 1, 1, EventHash::GENESIS, "x");
    assert_eq!(refusal(db.push(device, stranger, NOW).await), SyncError::WrongDevice { device });
    // A clock ten minutes ahead of the hub's.
    let mut ahead = chain(device, 3, 1, events[1].hash, "ahead");
    ahead[0].hlc = Hlc { wall_ms: NOW + 600_000, counter: 0 }.pack();
    ahead[0].hash = ahead[0].chained().hash(&events[1].hash);
    assert!(matches!(refusal(db.push(device, ahead, NOW).await), SyncError::ClockAhead { seq: 3, .. }));
    // A body that is not one of Beacon's events, correctly hashed.
    let mut odd = chain(device, 3, 1, events[1].hash, "odd");
    odd[0].body = RawValue::from_string(r#"{"kind":"launch_rockets","payload":{"secret":"MARKER"}}"#.into()).unwrap();
    odd[0].hash = odd[0].chained().hash(&events[1].hash);
    let e = refusal(db.push(device, odd, NOW).await);
    assert!(matches!(&e, SyncError::Invalid { seq: 3, .. }));
    assert!(!e.to_string().contains("MARKER"), "the refusal does not quote the body: {e}");

    assert_eq!(db.event_count().await.unwrap(), count, "no refused push stored anything");
    // The device carries on where the hub has it.
    let pushed = db.push(device, events[2..].to_vec(), NOW).await.unwrap();
    assert_eq!((pushed.stored, pushed.hub_seq), (2, 4));
}
