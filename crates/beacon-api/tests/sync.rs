//! Two desktops' stores syncing through a real hub on loopback (over a real
//! SQLite hub file): what one writes, the other shows; a referral posted to
//! the hub reaches both; a hub that lost events is sent them again.

use std::sync::Arc;

use beacon_api::Beacon;
use beacon_domain::{Actor, CaseId, SystemClock};
use beacon_hub::{Hub, HubConfig, router, tokens};
use beacon_hub_db::{HubDb, SqliteHubDb, TokenRole, TokenScope};
use serde_json::json;

struct TestHub {
    url: String,
    device_token: String,
    intake_token: String,
    /// A task-force laptop's token: the cases handed to responder T-1.
    laptop_token: String,
    db: Arc<dyn HubDb>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn hub() -> TestHub {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db: Arc<dyn HubDb> = Arc::new(SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap());
    let (device_token, intake_token, laptop_token) = (tokens::generate(), tokens::generate(), tokens::generate());
    let url = runtime.block_on(async {
        db.migrate().await.unwrap();
        db.create_token("desk", tokens::hash(&device_token), TokenRole::Device, TokenScope::All).await.unwrap();
        db.create_token("feed", tokens::hash(&intake_token), TokenRole::Intake, TokenScope::All).await.unwrap();
        let laptop = TokenScope::Responder("T-1".into());
        db.create_token("laptop", tokens::hash(&laptop_token), TokenRole::Device, laptop).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = router(Hub::new(Arc::clone(&db), HubConfig::default()).unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    TestHub { url, device_token, intake_token, laptop_token, db, runtime, _dir: dir }
}

fn desktop(dir: &tempfile::TempDir, name: &str) -> Beacon {
    Beacon::open(&dir.path().join(name), Actor(name.into()), Arc::new(SystemClock)).unwrap()
}

fn referral(external_id: &str) -> serde_json::Value {
    json!({
        "external_id": external_id, "source": "hotline_call", "received_at": chrono::Utc::now().to_rfc3339(),
        "urgency": "recent", "trafficking_type": "labor", "narrative": "workers kept at a farm",
        "location": {"city": "Sedalia", "county": "Pettis", "state": "MO"},
    })
}

fn notes(b: &Beacon, id: CaseId) -> Vec<String> {
    let mut notes: Vec<String> = b.detail(id).unwrap().notes.into_iter().map(|n| n.body).collect();
    notes.sort();
    notes
}

#[test]
fn two_desktops_see_each_others_work_through_the_hub() {
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (desktop(&dir, "a.sqlite3"), desktop(&dir, "b.sqlite3"));

    let case = a.add_referral_json(referral("NHTH-77")).unwrap().id;
    a.add_note(&case.to_string(), "caller will call back at 9").unwrap();
    let report = a.sync_once(Some(&hub.url), Some(&hub.device_token), None).unwrap();
    assert_eq!((report.pushed, report.pulled), (2, 0));
    assert_eq!(a.sync_status().unwrap().waiting, 0);

    let report = b.sync_once(Some(&hub.url), Some(&hub.device_token), None).unwrap();
    assert_eq!((report.pushed, report.pulled), (0, 2));
    assert_eq!(notes(&b, case), ["caller will call back at 9"]);

    // B works the case; A syncs with what it remembered (no hub, no token given).
    b.add_note(&case.to_string(), "advocate on the way").unwrap();
    assert_eq!(b.sync_status().unwrap().waiting, 1);
    b.sync_once(None, None, None).unwrap();
    let report = a.sync_once(None, None, None).unwrap();
    assert_eq!(report.pulled, 1);
    assert_eq!(notes(&a, case), notes(&b, case));

    // A referral posted to the hub reaches both desktops.
    let posted = ureq::post(&format!("{}/v1/referrals", hub.url))
        .header("authorization", &format!("Bearer {}", hub.intake_token))
        .header("content-type", "application/json")
        .send(referral("NHTH-78").to_string())
        .unwrap();
    assert_eq!(posted.status().as_u16(), 201);
    a.sync_once(None, None, None).unwrap();
    b.sync_once(None, None, None).unwrap();
    let hotline = CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, "NHTH-78");
    for d in [&a, &b] {
        let detail = d.detail(hotline).expect("the posted referral is a case on both desktops");
        assert_eq!(detail.case.jurisdiction.name.as_deref(), Some("Pettis"));
        d.store().check_consistency().unwrap();
    }
    let hub_events = hub.runtime.block_on(hub.db.event_count()).unwrap();
    assert_eq!(hub_events, 4, "two of A's, one of B's, one posted");
}

#[test]
fn a_hub_that_lost_events_is_sent_them_again() {
    let (first, second) = (hub(), hub());
    let dir = tempfile::tempdir().unwrap();
    let mut a = desktop(&dir, "a.sqlite3");
    let case = a.add_referral_json(referral("NHTH-90")).unwrap().id;
    a.add_note(&case.to_string(), "first note").unwrap();
    a.sync_once(Some(&first.url), Some(&first.device_token), None).unwrap();

    // The office's hub comes back from an empty backup, at a new address.
    a.add_note(&case.to_string(), "second note").unwrap();
    let report = a.sync_once(Some(&second.url), Some(&second.device_token), None).unwrap();
    assert_eq!(report.pushed, 3, "everything of A's, from the start");
    assert_eq!(second.runtime.block_on(second.db.event_count()).unwrap(), 3);
}

#[test]
fn a_refusal_names_the_hubs_code_and_says_whether_to_retry() {
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let mut a = desktop(&dir, "a.sqlite3");
    a.add_referral_json(referral("NHTH-91")).unwrap();
    let error = a.sync_once(Some(&hub.url), Some("bkn_not-a-token"), None).unwrap_err();
    assert_eq!(error.code(), "hub_refused");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("not known"), "{error}");

    let error = a.sync_once(Some("http://127.0.0.1:9"), Some(&hub.device_token), None).unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    assert!(error.is_retryable());

    let error = a.sync_once(Some("ftp://hub"), None, None).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
}

#[test]
fn a_desktop_syncs_over_https_with_a_hub_that_has_its_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db: Arc<dyn HubDb> = Arc::new(SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap());
    let token = tokens::generate();
    let port = runtime.block_on(async {
        db.migrate().await.unwrap();
        db.create_token("desk", tokens::hash(&token), TokenRole::Device, TokenScope::All).await.unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(
            certified.cert.pem().into_bytes(),
            certified.key_pair.serialize_pem().into_bytes(),
        )
        .await
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = router(Hub::new(Arc::clone(&db), HubConfig::default()).unwrap());
        tokio::spawn(
            async move { axum_server::from_tcp_rustls(listener, config).serve(app.into_make_service()).await },
        );
        port
    });
    let url = format!("https://localhost:{port}");
    let mut a = desktop(&dir, "a.sqlite3");
    a.add_referral_json(referral("NHTH-TLS")).unwrap();
    // Without the hub's certificate, the public authorities do not vouch for it.
    let error = a.sync_once(Some(&url), Some(&token), None).unwrap_err();
    assert_eq!(error.code(), "hub_unreachable", "{error}");
    let report = a.sync_once(Some(&url), Some(&token), Some(&certified.cert.pem())).unwrap();
    assert_eq!(report.pushed, 1);
    // Remembered with the hub and token.
    a.add_note(&CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, "NHTH-TLS").to_string(), "n")
        .unwrap();
    assert_eq!(a.sync_once(None, None, None).unwrap().pushed, 1);
    let error = a.sync_once(Some(&url), Some(&token), Some("not a certificate")).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    drop(runtime);
}

#[test]
fn two_offline_handoffs_of_one_case_the_first_to_reach_the_hub_stands_and_both_desktops_see_the_conflict() {
    // The later handoff reaching the hub first, and the earlier one: the
    // clock decides the fold's order, the hub's arrival decides who stands.
    handoff_conflict(true);
    handoff_conflict(false);
}

fn handoff_conflict(later_arrives_first: bool) {
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (desktop(&dir, "a.sqlite3"), desktop(&dir, "b.sqlite3"));
    a.import_responders(
        r#"[{"id": "T-1", "name": "Tpr. Lane", "role": "trooper", "jurisdictions": ["*"], "on_duty": true},
            {"id": "T-2", "name": "Tpr. Ochoa", "role": "trooper", "jurisdictions": ["*"], "on_duty": true}]"#
            .as_bytes(),
    )
    .unwrap();
    let case = a.add_referral_json(referral("NHTH-90")).unwrap().id;
    a.sync_once(Some(&hub.url), Some(&hub.device_token), None).unwrap();
    b.sync_once(Some(&hub.url), Some(&hub.device_token), None).unwrap();

    // Both offline: A hands the case to Lane, then B to Ochoa (a later clock).
    a.handoff(&case.to_string(), "T-1").unwrap();
    b.handoff(&case.to_string(), "T-2").unwrap();
    let (winner, loser, winner_name, loser_name, by, winner_by) = if later_arrives_first {
        (&mut b, &mut a, "Tpr. Ochoa", "Tpr. Lane", "a.sqlite3", "b.sqlite3")
    } else {
        (&mut a, &mut b, "Tpr. Lane", "Tpr. Ochoa", "b.sqlite3", "a.sqlite3")
    };
    winner.sync_once(None, None, None).unwrap();
    let report = loser.sync_once(None, None, None).unwrap();
    assert!(report.refolded, "the loser's own handoff, projected as standing, is folded again as rejected");
    winner.sync_once(None, None, None).unwrap();

    for (name, d) in [("A", &a), ("B", &b)] {
        let detail = d.detail(case).unwrap();
        let assigned: Vec<&str> = detail.case.assigned.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(assigned, [winner_name], "{name}: the handoff that reached the hub first stands");
        assert_eq!(detail.conflicts.len(), 1, "{name}");
        let row = &detail.conflicts[0];
        assert!(row.text.contains(winner_name) && row.text.contains("stands"), "{name}: {}", row.text);
        let c = &row.conflict;
        assert_eq!((c.responder_name.as_str(), c.winner_responder_name.as_str()), (loser_name, winner_name));
        assert_eq!((c.handed_off_by.as_str(), c.winner_handed_off_by.as_str()), (by, winner_by));
        let rejected = detail.handoffs.iter().find(|h| h.responder_name == loser_name).unwrap();
        assert!(rejected.rejected_at.is_some() && rejected.withdrawn_at.is_some(), "{name}: it asks nobody");
        let stands = detail.handoffs.iter().find(|h| h.responder_name == winner_name).unwrap();
        assert!(stands.rejected_at.is_none() && stands.withdrawn_at.is_none(), "{name}: the winner still waits");
        let place = detail.case.place.as_ref().unwrap();
        assert_eq!(
            place.reason,
            beacon_domain::queue::QueueReason::HandoffRejected,
            "{name}: the case needs attention"
        );
        assert_eq!(d.conflicts().unwrap().len(), 1, "{name}: on the conflicts list");
        assert_eq!(d.sync_status().unwrap().conflicts, 1, "{name}");
        d.store().check_consistency().unwrap();
    }
    // The tables are the fold of the log, on both.
    for d in [&mut a, &mut b] {
        let before = d.detail(case).unwrap();
        d.rebuild().unwrap();
        let after = d.detail(case).unwrap();
        assert_eq!(serde_json::to_value(&before).unwrap(), serde_json::to_value(&after).unwrap());
    }

    // A dispatcher on A looks at it; once synced, neither lists it.
    assert_eq!(a.resolve_conflicts(&case.to_string()).unwrap(), 1);
    assert!(a.resolve_conflicts(&case.to_string()).is_err(), "nothing left to look at");
    a.sync_once(None, None, None).unwrap();
    b.sync_once(None, None, None).unwrap();
    for d in [&a, &b] {
        assert!(d.conflicts().unwrap().is_empty());
        let place = d.detail(case).unwrap().case.place.unwrap();
        assert_eq!(place.reason, beacon_domain::queue::QueueReason::AwaitingAcknowledgement);
    }
}

#[test]
fn a_task_force_laptop_holds_the_cases_handed_to_its_responder_and_no_others() {
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, mut laptop) = (desktop(&dir, "desk.sqlite3"), desktop(&dir, "laptop.sqlite3"));
    desk.import_responders(
        r#"[{"id": "T-1", "name": "Tpr. Lane", "role": "trooper", "jurisdictions": ["*"], "on_duty": true}]"#
            .as_bytes(),
    )
    .unwrap();
    let handed = desk.add_referral_json(referral("NHTH-100")).unwrap().id;
    let other = desk.add_referral_json(referral("NHTH-101")).unwrap().id;
    desk.add_note(&handed.to_string(), "before the handoff").unwrap();
    desk.sync_once(Some(&hub.url), Some(&hub.device_token), None).unwrap();
    laptop.sync_once(Some(&hub.url), Some(&hub.laptop_token), None).unwrap();
    assert!(laptop.detail(handed).is_err() && laptop.detail(other).is_err(), "nothing is handed to T-1 yet");
    assert_eq!(laptop.responders().unwrap().len(), 1, "the roster reaches every device");

    desk.handoff(&handed.to_string(), "T-1").unwrap();
    desk.sync_once(None, None, None).unwrap();
    laptop.sync_once(None, None, None).unwrap();
    let detail = laptop.detail(handed).expect("the case handed to T-1, with what came before the handoff");
    assert_eq!(detail.notes.len(), 1);
    assert_eq!(detail.case.assigned.len(), 1);
    assert!(laptop.detail(other).is_err(), "never a case outside the laptop's scope");
    laptop.store().check_consistency().unwrap();

    // The trooper acknowledges on the laptop; the desk sees it.
    laptop.acknowledge(&handed.to_string()).unwrap();
    laptop.sync_once(None, None, None).unwrap();
    desk.sync_once(None, None, None).unwrap();
    assert!(desk.detail(handed).unwrap().case.acknowledged_at.is_some());
}

#[test]
fn a_watching_desktop_has_a_referral_posted_to_the_hub_at_once() {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let mut watcher = desktop(&dir, "w.sqlite3");
    watcher.sync_once(Some(&hub.url), Some(&hub.device_token), None).unwrap();
    let (stop, syncs) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU32::new(0)));
    let running = {
        let (stop, syncs) = (Arc::clone(&stop), Arc::clone(&syncs));
        std::thread::spawn(move || {
            // A round every minute at most: only the live stream can bring
            // the referral within the test's wait.
            watcher.sync_forever(std::time::Duration::from_secs(60), &stop, |r| {
                r.as_ref().expect("syncs");
                syncs.fetch_add(1, Ordering::SeqCst);
            })
        })
    };
    // The first round, then the one the stream's `ready` asks for.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while syncs.load(Ordering::SeqCst) < 2 {
        assert!(std::time::Instant::now() < deadline, "the watcher syncs and connects to the stream");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let posted = ureq::post(&format!("{}/v1/referrals", hub.url))
        .header("authorization", &format!("Bearer {}", hub.intake_token))
        .header("content-type", "application/json")
        .send(referral("LIVE-9").to_string())
        .unwrap();
    assert_eq!(posted.status().as_u16(), 201);
    let case = CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, "LIVE-9");
    let reader = desktop(&dir, "w.sqlite3");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while reader.detail(case).is_err() {
        assert!(std::time::Instant::now() < deadline, "the referral reaches the watching desktop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stop.store(true, Ordering::SeqCst);
    running.join().unwrap().unwrap();
}

/// The hub's webhook receiver that is not there: a loopback port nobody listens on.
fn dead_end() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    format!("http://{addr}/hook")
}

#[test]
fn a_handoff_nobody_receives_rises_to_the_top_with_a_number_to_call_and_escalates() {
    use beacon_api::Reach;
    use beacon_domain::queue::QueueReason;
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let mut a = desktop(&dir, "a.sqlite3");
    a.import_responders(
        r#"[{"id": "T-1", "name": "Tpr. Lane", "role": "trooper", "jurisdictions": ["*"], "on_duty": true, "phone": "573-555-0101"},
            {"id": "T-2", "name": "Tpr. Ochoa", "role": "trooper", "jurisdictions": ["*"], "on_duty": true},
            {"id": "S-1", "name": "Sgt. Hale", "role": "supervisor", "jurisdictions": ["*"], "on_duty": true}]"#
            .as_bytes(),
    )
    .unwrap();
    let case = a.add_referral_json(referral("NHTH-REACH")).unwrap().id;

    // No hub: nothing goes out, and the case says whom to call.
    a.handoff(&case.to_string(), "T-1").unwrap();
    let reach = a.detail(case).unwrap().reach;
    assert_eq!((reach.len(), reach[0].reach), (1, Reach::NoHub));
    assert_eq!(reach[0].call.as_deref(), Some("573-555-0101"));
    // The roster says the same: troopers first, who holds what, and that nothing goes out by itself.
    let roster = a.roster().unwrap();
    let order: Vec<&str> = roster.rows.iter().map(|r| r.id.0.as_str()).collect();
    assert_eq!(order, ["T-1", "T-2", "S-1"]);
    assert_eq!((roster.rows[0].open_cases, roster.rows[1].open_cases), (1, 0));
    assert!(roster.channels_source.starts_with("No hub") && roster.targets.is_empty());
    assert!(roster.rows[0].reached == "no hub: call" && roster.may_set_duty);

    // A hub, not reached yet (offline): the handoff waits, and says so.
    a.set_hub(&hub.url, &hub.device_token).unwrap();
    assert_eq!(a.detail(case).unwrap().reach[0].reach, Reach::WaitingForHub);

    // The hub: T-1's webhook is down; every target two seconds.
    hub.runtime.block_on(async {
        let channels = beacon_hub_db::ResponderChannels {
            responder_id: "T-1".into(),
            webhook_url: Some(dead_end()),
            webhook_secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
            updated_at: beacon_hub_db::now_ms(),
            ..Default::default()
        };
        hub.db.set_channels(channels).await.unwrap();
        for p in ["P1", "P2", "P3", "P4"] {
            hub.db.set_setting(&format!("ack-target.{p}"), "2s").await.unwrap();
        }
    });
    let config = beacon_hub::delivery::DeliveryConfig { retry_base_ms: 200, lease_ms: 30_000, poll_ms: 100 };
    let _loop = hub.runtime.spawn(beacon_hub::delivery::run(Arc::clone(&hub.db), config, "test".into()));
    let alerts_from = a.store().change_marker().unwrap();
    a.sync_once(None, None, None).unwrap();

    // The hub said how it reaches each responder, and its targets: the
    // console shows them with the suggestions (never an address or a secret).
    let directory = a.hub_directory().unwrap().expect("the hub's directory, cached at the sync");
    let t1 = directory.channels.iter().find(|c| c.responder_id == "T-1").unwrap();
    assert_eq!(t1.channels, ["webhook"]);
    assert_eq!((directory.targets[0].priority.as_str(), directory.targets[0].ack_ms), ("P1", 2_000));
    assert!(!serde_json::to_string(&directory).unwrap().contains("whsec_"), "no secret leaves the hub");
    let suggested = a.suggest(&case.to_string()).unwrap();
    let lane = suggested.troopers.iter().find(|s| s.responder.id.0 == "T-1").unwrap();
    assert!(lane.reasons.iter().any(|r| r == "reached by webhook"), "{:?}", lane.reasons);
    let ochoa = suggested.troopers.iter().find(|s| s.responder.id.0 == "T-2").unwrap();
    assert!(ochoa.reasons.iter().any(|r| r.starts_with("reached only through Beacon")), "{:?}", ochoa.reasons);
    // The roster screen shows each responder's channels and the targets.
    let roster = a.roster().unwrap();
    let (lane, ochoa) = (&roster.rows[0], &roster.rows[1]);
    assert_eq!((lane.channels.as_slice(), lane.reached.as_str()), (["webhook".to_string()].as_slice(), "webhook"));
    assert!(ochoa.channels.is_empty() && ochoa.reached == "Beacon only");
    assert_eq!(roster.targets.len(), 4);
    assert_eq!(roster.targets[0], "P1: acknowledge within 2s, on scene within 1h");

    // The first failed attempt reaches the console: not delivered, call, top of the queue, heard.
    let detail = wait_for(&mut a, |d| d.reach.iter().any(|r| r.reach == Reach::NotDelivered));
    let line = &detail.reach[0];
    assert_eq!(line.call.as_deref(), Some("573-555-0101"));
    assert!(line.channels[0].label.starts_with("webhook attempt") && !line.channels[0].reached, "{:?}", line.channels);
    assert_eq!(detail.case.place.as_ref().unwrap().reason, QueueReason::Undelivered);
    let alerts = a.alerts_since(alerts_from, 100).unwrap().alerts;
    let failed = alerts.iter().find(|x| x.kind == "delivery_attempted").expect("an alert for the failed delivery");
    assert_eq!(failed.heard(true, None), Some(false), "every dispatcher hears it");
    assert!(failed.notification(false).1.contains("Call them"));

    // Nobody acknowledged within the target: the hub escalated, told the
    // supervisor and handed the case to the next trooper; every desktop sees it.
    let detail = wait_for(&mut a, |d| d.case.place.as_ref().is_some_and(|p| p.reason == QueueReason::Escalated));
    let names: Vec<&str> = detail.reach.iter().map(|r| r.responder_name.as_str()).collect();
    assert_eq!(names, ["Tpr. Ochoa"], "the hub's handoff replaced the first");
    let history = a.audit(&case.to_string()).unwrap();
    let escalated =
        history.iter().find(|e| e.body.kind() == "escalated").expect("the escalation is in the case's history");
    assert!(
        escalated.summary.contains("supervisor Sgt. Hale told") && escalated.summary.contains("handed to Tpr. Ochoa")
    );
    let alerts = a.alerts_since(alerts_from, 100).unwrap().alerts;
    assert!(alerts.iter().any(|x| x.kind == "escalated" && x.heard(true, None).is_some()));

    // The next trooper acknowledges: the case settles back among the worked ones.
    a.acknowledge(&case.to_string()).unwrap();
    let place = a.detail(case).unwrap().case.place.unwrap();
    assert_eq!(place.reason, QueueReason::ResponderWorking);
    a.store().check_consistency().unwrap();
    let before = serde_json::to_value(a.detail(case).unwrap()).unwrap();
    a.rebuild().unwrap();
    assert_eq!(serde_json::to_value(a.detail(case).unwrap()).unwrap(), before, "the tables are the fold of the log");
}

#[test]
fn a_handoff_its_responders_own_beacon_pulls_shows_as_seen_on_device() {
    use beacon_api::Reach;
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let mut a = desktop(&dir, "a.sqlite3");
    a.import_responders(
        r#"[{"id": "T-1", "name": "Tpr. Lane", "role": "trooper", "jurisdictions": ["*"], "on_duty": true, "phone": "573-555-0101"}]"#
            .as_bytes(),
    )
    .unwrap();
    a.set_hub(&hub.url, &hub.device_token).unwrap();
    let case = a.add_referral_json(referral("NHTH-SEEN")).unwrap().id;
    a.handoff(&case.to_string(), "T-1").unwrap();
    a.sync_once(None, None, None).unwrap();
    let line = a.detail(case).unwrap().reach.remove(0);
    assert_eq!(line.reach, Reach::OnHub, "no channel on the hub, and the trooper's Beacon has not pulled it");
    assert!(line.text.contains("at their next sync"), "{}", line.text);

    // The trooper's own Beacon (a device signed in as T-1) syncs.
    let mut laptop = desktop(&dir, "laptop.sqlite3");
    laptop.set_hub(&hub.url, &hub.laptop_token).unwrap();
    laptop.sync_once(None, None, None).unwrap();
    assert!(laptop.detail(case).is_ok(), "the handoff reached the trooper's device");

    let detail = wait_for(&mut a, |d| d.reach[0].reach == Reach::Delivered);
    let line = &detail.reach[0];
    let labels: Vec<&str> = line.channels.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["seen on device"]);
    assert!(line.channels[0].reached && line.call.is_none() && !line.needs_action);
    assert_ne!(detail.case.place.as_ref().unwrap().reason, beacon_domain::queue::QueueReason::Undelivered);
    // Its next syncs, and the dispatcher's, add nothing: seen once.
    laptop.sync_once(None, None, None).unwrap();
    a.sync_once(None, None, None).unwrap();
    let seen = a.audit(&case.to_string()).unwrap().iter().filter(|e| e.body.kind() == "delivery_attempted").count();
    assert_eq!(seen, 1);
}

/// Sync until the case detail satisfies `done` (15 s at most).
fn wait_for(b: &mut Beacon, done: impl Fn(&beacon_api::CaseDetail) -> bool) -> beacon_api::CaseDetail {
    let start = std::time::Instant::now();
    loop {
        b.sync_once(None, None, None).unwrap();
        let case = b.queue(&Default::default()).unwrap()[0].case.id;
        let detail = b.detail(case).unwrap();
        if done(&detail) {
            return detail;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(15), "not within 15 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
