//! For the hub's test suites (feature `testing`).

use beacon_domain::event::EventBody;
use beacon_domain::triage::{Priority, Triage};
use beacon_domain::{
    CaseId, DeviceId, EventHash, EventId, HandoffId, Hlc, JurisdictionAssignment, NoteId, ResponderId, Role,
};
use beacon_sync::WireEvent;
use serde_json::value::RawValue;

/// `n` chained note events of `device`, sequences `from`, `from + 1`, …
/// after `prev`, clocked from `wall_ms` on (one millisecond apart).
pub fn note_chain(
    device: DeviceId,
    from: u64,
    n: u64,
    mut prev: EventHash,
    wall_ms: i64,
    text: &str,
) -> Vec<WireEvent> {
    (from..from + n)
        .map(|seq| {
            let body = EventBody::NoteAdded { note_id: NoteId::new(), text: format!("{text} {seq}") };
            let body = RawValue::from_string(serde_json::to_string(&body).expect("a note encodes")).expect("JSON");
            let hlc = Hlc { wall_ms: wall_ms + seq as i64, counter: 0 };
            let e = WireEvent::sealed(EventId::new(), device, seq, hlc, "dispatcher".into(), None, body, prev);
            prev = e.hash;
            e
        })
        .collect()
}

/// A fresh, empty database on the test PostgreSQL server whose URL
/// `scripts/test.sh` puts in `BEACON_TEST_POSTGRES`. `None` only when
/// `BEACON_SKIP_POSTGRES=1` says to skip PostgreSQL knowingly; otherwise a
/// missing server fails the test rather than passing it unseen.
pub async fn fresh_postgres_database() -> Option<String> {
    let Ok(admin_url) = std::env::var("BEACON_TEST_POSTGRES") else {
        assert!(
            std::env::var("BEACON_SKIP_POSTGRES").is_ok_and(|v| v == "1"),
            "BEACON_TEST_POSTGRES is not set: run scripts/test.sh (it starts PostgreSQL), \
             or set BEACON_SKIP_POSTGRES=1 to skip the PostgreSQL suites knowingly"
        );
        return None;
    };
    let (client, connection) =
        tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await.expect("connect to the test server");
    tokio::spawn(connection);
    let name = format!("t_{}", beacon_domain::DeviceId::new_random().as_uuid().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    let base = admin_url.rsplit_once('/').expect("a URL that names a database").0;
    Some(format!("{base}/{name}"))
}

/// A device's new referral (a P2 with a reporter who may not be contacted
/// and a victim description shared only with consent) and its handoff to
/// trooper `responder`, sharing what the sharing policy allows: the two
/// events as a desktop pushes them, chained from the device's first.
pub fn referral_and_handoff(device: DeviceId, external_id: &str, responder: &str) -> (CaseId, Vec<WireEvent>) {
    let now = chrono::Utc::now();
    let referral = beacon_domain::intake::referral_from_value(
        serde_json::json!({
            "external_id": external_id, "source": "hotline_call", "received_at": now.to_rfc3339(),
            "urgency": "recent", "trafficking_type": "labor", "narrative": "workers locked in at night",
            "location": {"city": "Sedalia", "state": "MO", "place_type": "business"},
            "potential_victims": {"count": 5, "description": "one has a scar on the left hand"},
            "reporter": {"kind": "community_member", "name": "Dana Witness", "phone": "6605550100", "contact_ok": false},
        }),
        now,
    )
    .expect("a valid referral");
    let case = CaseId::for_referral(referral.source, &referral.external_id);
    let plan = beacon_domain::sharing::plan(&referral, Role::Trooper, now);
    let received = EventBody::ReferralReceived {
        referral: Box::new(referral),
        triage: Triage { priority: Priority::P2, reasons: vec![] },
        jurisdiction: JurisdictionAssignment::unknown(),
    };
    let handoff = EventBody::HandedOff {
        handoff_id: HandoffId::new(),
        responder_id: ResponderId(responder.into()),
        responder_name: "Trooper One".into(),
        role: Role::Trooper,
        shared_fields: plan.shared_fields(),
        withheld_fields: plan.withheld_fields(),
        replaces: None,
        sharing_override: None,
    };
    let raw = |b: &EventBody| RawValue::from_string(serde_json::to_string(b).expect("encodes")).expect("JSON");
    let wall = now.timestamp_millis();
    let at = |counter| Hlc { wall_ms: wall, counter };
    let first = WireEvent::sealed(
        EventId::new(),
        device,
        1,
        at(0),
        "dispatcher".into(),
        Some(case),
        raw(&received),
        EventHash::GENESIS,
    );
    let second =
        WireEvent::sealed(EventId::new(), device, 2, at(1), "dispatcher".into(), Some(case), raw(&handoff), first.hash);
    (case, vec![first, second])
}

/// The device's next event after `prev`, one millisecond later.
pub fn event_after(prev: &WireEvent, case: Option<CaseId>, body: &EventBody) -> WireEvent {
    let raw = RawValue::from_string(serde_json::to_string(body).expect("encodes")).expect("JSON");
    let hlc = Hlc { wall_ms: Hlc::unpack(prev.hlc).wall_ms + 1, counter: 0 };
    WireEvent::sealed(EventId::new(), prev.device, prev.seq + 1, hlc, "dispatcher".into(), case, raw, prev.hash)
}

/// A responder on duty everywhere, as a roster import saves one.
pub fn on_duty(id: &str, role: Role) -> beacon_domain::Responder {
    beacon_domain::Responder {
        id: ResponderId(id.into()),
        name: format!("{id} name"),
        role,
        agency: "MSHP".into(),
        jurisdictions: vec!["*".into()],
        languages: vec![],
        on_duty: true,
        email: None,
        phone: None,
        webhook: None,
    }
}

/// A handoff of `case` to trooper `responder` replacing `replaces`, as the
/// device's next event after `prev`.
pub fn handoff_after(
    prev: &WireEvent,
    case: CaseId,
    responder: &str,
    replaces: Option<HandoffId>,
) -> (HandoffId, WireEvent) {
    let handoff_id = HandoffId::new();
    let body = EventBody::HandedOff {
        handoff_id,
        responder_id: ResponderId(responder.into()),
        responder_name: responder.into(),
        role: Role::Trooper,
        shared_fields: vec![],
        withheld_fields: vec![],
        replaces,
        sharing_override: None,
    };
    (handoff_id, event_after(prev, Some(case), &body))
}

/// A migrated database on each backend the test run has: a SQLite file in
/// `dir`, and a fresh PostgreSQL database unless PostgreSQL is skipped.
pub async fn databases(dir: &std::path::Path) -> Vec<std::sync::Arc<dyn crate::HubDb>> {
    use std::sync::Arc;
    let sqlite = crate::SqliteHubDb::open(&dir.join("hub.sqlite3")).expect("a SQLite hub database");
    let mut out: Vec<Arc<dyn crate::HubDb>> = vec![Arc::new(sqlite)];
    if let Some(url) = fresh_postgres_database().await {
        out.push(Arc::new(crate::PostgresHubDb::connect(&url, 8).expect("a PostgreSQL pool")));
    }
    for db in &out {
        db.migrate().await.expect("migrated");
    }
    out
}

/// Wait until `done` holds, checking every 50 ms, for at most `secs` seconds.
pub async fn until(secs: u64, mut done: impl AsyncFnMut() -> bool) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done().await {
        assert!(std::time::Instant::now() < end, "not within {secs} s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
