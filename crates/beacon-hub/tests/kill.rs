//! The real `beacon-hub` killed with SIGKILL while a device pushes, then
//! started again on the same database: every event the hub confirmed is
//! there, none twice, the chain whole, and the device finishes from where
//! the hub says it stands.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use beacon_domain::{DeviceId, EventHash};
use beacon_sync::{PullResponse, PushRequest, PushResponse, WireEvent};
use serde_json::json;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(db: &str, port: u16) -> Running {
    start_with(db, port, &[])
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

fn push(base: &str, token: &str, device: DeviceId, events: &[WireEvent]) -> Result<PushResponse, String> {
    let body = serde_json::to_string(&PushRequest { device, events: events.to_vec() }).unwrap();
    let mut response = agent()
        .post(&format!("{base}/v1/sync/push"))
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "application/json")
        .send(&body)
        .map_err(|e| e.to_string())?;
    let text = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if response.status().as_u16() != 200 {
        return Err(text);
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Events the device pushes, 10 at a time: the kill comes after the fifth
/// push is confirmed, with hundreds still to go.
const TOTAL: u64 = 3000;

#[test]
fn a_hub_killed_mid_push_loses_nothing_it_confirmed_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    killed_mid_push(&format!("sqlite:{}", dir.path().join("hub.sqlite3").display()));
}

#[test]
fn a_hub_on_postgresql_killed_mid_push_loses_nothing_it_confirmed_and_doubles_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(beacon_hub_db::testing::fresh_postgres_database()) else { return };
    let migrated = Command::new(env!("CARGO_BIN_EXE_beacon-hub")).args(["migrate", "--db", &url]).output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    killed_mid_push(&url);
}

fn killed_mid_push(db: &str) {
    let db = db.to_string();
    let made = Command::new(env!("CARGO_BIN_EXE_beacon-hub"))
        .args(["token", "create", "--db", &db, "--role", "device", "--name", "desk"])
        .output()
        .unwrap();
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let device = DeviceId::new_random();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let events = beacon_hub_db::testing::note_chain(device, 1, TOTAL, EventHash::GENESIS, now - 10_000, "note");

    let mut hub = start(&db, port);
    // Push from another thread; kill the hub while it works.
    let (confirmed_tx, confirmed_rx) = std::sync::mpsc::channel();
    let pusher = {
        let (base, token, events) = (base.clone(), token.clone(), events.clone());
        std::thread::spawn(move || {
            for chunk in events.chunks(10) {
                match push(&base, &token, device, chunk) {
                    Ok(answer) => confirmed_tx.send(answer.hub_seq).unwrap(),
                    Err(_) => return,
                }
            }
        })
    };
    let mut confirmed = 0;
    for _ in 0..5 {
        confirmed = confirmed_rx.recv().expect("the first pushes are confirmed");
    }
    let _ = hub.0.kill(); // SIGKILL, while the pusher goes on
    let _ = hub.0.wait();
    pusher.join().unwrap();
    let confirmed = confirmed_rx.try_iter().max().unwrap_or(confirmed);
    assert!(confirmed < TOTAL, "the hub was killed before the last push ({confirmed} confirmed)");

    // Started again: the device pushes everything again from the start; the
    // hub skips what it holds and takes the rest.
    drop(hub);
    let _hub = start(&db, port);
    let mut held = 0;
    for chunk in events.chunks(500) {
        let answer = push(&base, &token, device, chunk).unwrap();
        if held == 0 {
            assert!(answer.hub_seq >= confirmed, "every confirmed event survived ({} < {confirmed})", answer.hub_seq);
        }
        held = answer.hub_seq;
    }
    assert_eq!(held, TOTAL);

    // Each event once, in order, chained.
    let mut after = json!(0);
    let mut seen: Vec<WireEvent> = Vec::new();
    loop {
        let mut response = agent()
            .post(&format!("{base}/v1/sync/pull"))
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(json!({"device": device, "after": after}).to_string())
            .unwrap();
        let page: PullResponse = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        seen.extend(page.events);
        after = json!(page.next);
        if !page.more {
            break;
        }
    }
    assert_eq!(seen.len() as u64, TOTAL);
    let mut prev = EventHash::GENESIS;
    for (i, e) in seen.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert!(e.is_intact() && e.prev == prev);
        prev = e.hash;
    }
}

/// The hub killed while a webhook attempt is in flight (the receiver has
/// the handoff but has not answered): started again, it sends the handoff
/// again once the dead process's claim lapses, with the same `webhook-id`,
/// and records one delivery. At least once, never lost.
#[test]
fn a_hub_killed_mid_delivery_delivers_after_restart_with_the_same_webhook_id() {
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite3");
    let db = format!("sqlite:{}", path.display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A receiver that holds each request 3 s before answering 200.
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let hook = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hook = format!("http://{}/hook", listener.local_addr().unwrap());
        let seen = Arc::clone(&got);
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let seen = Arc::clone(&seen);
                async move {
                    seen.lock().unwrap().push(headers["webhook-id"].to_str().unwrap().to_string());
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "ok"
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        hook
    });
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_beacon-hub")).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    cli(&["channel", "set", "--db", &db, "T-9", "--webhook", &hook, "--webhook-secret", secret]);
    let token = cli(&["token", "create", "--db", &db, "--role", "device", "--name", "desk"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");

    let hub = start_with(&db, port, &["--delivery-lease", "12"]);
    let device = DeviceId::new_random();
    let (case, events) = beacon_hub_db::testing::referral_and_handoff(device, "DLV-KILL-1", "T-9");
    push(&base, &token, device, &events).unwrap();
    wait_for(10, || got.lock().unwrap().len() == 1);
    drop(hub); // SIGKILL, with the attempt in flight
    let hub = start_with(&db, port, &["--delivery-lease", "12"]);
    wait_for(40, || got.lock().unwrap().len() == 2);

    let store = beacon_hub_db::SqliteHubDb::open(&path).unwrap();
    let recorded = || {
        let page = runtime
            .block_on(beacon_hub_db::HubDb::pull(
                &store,
                beacon_sync::Cursor::default(),
                1000,
                DeviceId::new_random(),
                beacon_hub_db::TokenScope::All,
            ))
            .unwrap();
        page.events
            .iter()
            .filter(|e| e.case_id == Some(case) && e.kind().as_deref() == Some("delivery_attempted"))
            .count()
    };
    wait_for(15, || recorded() == 1);
    std::thread::sleep(Duration::from_secs(1));
    drop(hub);
    let ids = got.lock().unwrap().clone();
    assert_eq!(ids.len(), 2, "sent again once after the restart, not more: {ids:?}");
    assert_eq!(ids[0], ids[1], "the retry carries the same webhook-id");
    assert_eq!(recorded(), 1, "one delivery recorded");
}

fn start_with(db: &str, port: u16, extra: &[&str]) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_beacon-hub"))
        .args(["serve", "--db", db, "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the hub did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Running(child)
}

fn wait_for(secs: u64, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < end, "not within {secs} s");
        std::thread::sleep(Duration::from_millis(50));
    }
}
