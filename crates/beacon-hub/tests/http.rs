//! The hub over real HTTP on loopback, with a real SQLite file behind it:
//! who may call what, body limits, intake and sync as a client sees them.

use std::io::BufRead;
use std::net::SocketAddr;
use std::sync::Arc;

use beacon_domain::UserRole;
use beacon_domain::event::EventBody;
use beacon_domain::referral::Source;
use beacon_domain::{CaseId, DeviceId, EventHash};
use beacon_hub::limits::Rate;
use beacon_hub::{Hub, HubConfig, people, router, tokens};
use beacon_hub_db::{HubDb, PostgresHubDb, SqliteHubDb, TokenRole, TokenScope};
use beacon_sync::{PullResponse, PushRequest, WireEvent};
use serde_json::{Value, json};

const MAX_BODY: usize = 64 * 1024;
/// Every hub account's password in these tests.
const PEOPLE_PASSWORD: &str = "hub password 1";

struct Running {
    base: String,
    backend: &'static str,
    intake: String,
    device: String,
    admin: String,
    revoked: String,
    /// A device token enrolled for a person since disabled.
    disabled: String,
    db: Arc<dyn HubDb>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

/// A hub on 127.0.0.1 (a free port) over each backend: a fresh SQLite
/// file, and a fresh database on the test PostgreSQL server. Each has one
/// token of each role and one revoked intake token.
fn hubs() -> Vec<Running> {
    hubs_with(Rate::default())
}

fn hubs_with(rate: Rate) -> Vec<Running> {
    let mut hubs = vec![start(false, rate).expect("the SQLite hub")];
    hubs.extend(start(true, rate));
    hubs
}

fn start(postgres: bool, rate: Rate) -> Option<Running> {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db: Arc<dyn HubDb> = if postgres {
        let url = runtime.block_on(beacon_hub_db::testing::fresh_postgres_database())?;
        Arc::new(PostgresHubDb::connect(&url, 8).unwrap())
    } else {
        Arc::new(SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap())
    };
    let (addr, tokens) = runtime.block_on(async {
        db.migrate().await.unwrap();
        let mut made = Vec::new();
        for (name, role) in [
            ("feed", TokenRole::Intake),
            ("laptop", TokenRole::Device),
            ("ops", TokenRole::Admin),
            ("old-feed", TokenRole::Intake),
        ] {
            let token = tokens::generate();
            db.create_token(name, tokens::hash(&token), role, TokenScope::All).await.unwrap();
            made.push(token);
        }
        assert!(db.revoke_token("old-feed").await.unwrap());
        // People who enrol desktops: one of each role, and one who leaves.
        for (name, role, responder) in [
            ("dana", UserRole::Dispatcher, None),
            ("sam", UserRole::Supervisor, None),
            ("tess", UserRole::TaskForce, Some("T-C-07".to_string())),
            ("ada", UserRole::Admin, None),
            ("leaver", UserRole::Dispatcher, None),
        ] {
            db.save_user(people::new_user(name, role, responder, PEOPLE_PASSWORD).unwrap()).await.unwrap();
        }
        let leaver = tokens::generate();
        db.create_user_token("leaver@laptop", tokens::hash(&leaver), TokenScope::All, "leaver").await.unwrap();
        assert!(db.disable_user("leaver", beacon_hub_db::now_ms()).await.unwrap());
        made.push(leaver);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let app = router(Hub::new(db.clone(), HubConfig { max_body: MAX_BODY, rate }).unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, made)
    });
    let [intake, device, admin, revoked, disabled]: [String; 5] = tokens.try_into().unwrap();
    Some(Running {
        base: format!("http://{addr}"),
        backend: if postgres { "postgres" } else { "sqlite" },
        intake,
        device,
        admin,
        revoked,
        disabled,
        db,
        _dir: dir,
        _runtime: runtime,
    })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// POST `body` with `token` (none when empty); the status and the body as JSON (Null when empty).
fn post(hub: &Running, path: &str, token: &str, body: &str) -> (u16, Value, Option<String>) {
    call(hub, "POST", path, token, body)
}

/// GET or POST; the status, the body as JSON (Null when it is not JSON) and any `WWW-Authenticate`.
fn call(hub: &Running, method: &str, path: &str, token: &str, body: &str) -> (u16, Value, Option<String>) {
    let (status, text, challenge) = call_text(hub, method, path, token, body);
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), challenge)
}

fn call_text(hub: &Running, method: &str, path: &str, token: &str, body: &str) -> (u16, String, Option<String>) {
    let url = format!("{}{path}", hub.base);
    let auth = (!token.is_empty()).then(|| format!("Bearer {token}"));
    let mut response = if method == "GET" {
        let mut request = agent().get(&url);
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        request.call().unwrap()
    } else {
        let mut request = agent().post(&url).header("content-type", "application/json");
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        request.send(body).unwrap()
    };
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
    let streaming =
        response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    // A live stream never ends: its status is the answer.
    let text = if streaming { String::new() } else { response.body_mut().read_to_string().unwrap() };
    (status, text, challenge)
}

fn referral(external_id: &str) -> Value {
    json!({
        "external_id": external_id, "source": "hotline_web", "received_at": "2026-11-30T22:14:00Z",
        "urgency": "imminent", "trafficking_type": "sex", "potential_victims": {"count": 2, "minors": "yes"},
        "location": {"address": "1200 Kingshighway", "city": "Rolla", "county": "Phelps", "state": "MO", "zip": "65401"},
        "narrative": "Two minors seen with an older man at a motel; caller fears they are being sold.",
    })
}

/// The routes that need a token, each with its method, a body it accepts and the role it admits.
fn routes() -> Vec<(&'static str, &'static str, String, TokenRole)> {
    let device = DeviceId::new_random();
    let case = CaseId::for_referral(Source::HotlineWeb, "AUTH-1");
    let eido: &'static str = Box::leak(format!("/v1/cases/{case}/eido").into_boxed_str());
    vec![
        ("POST", "/v1/referrals", referral("AUTH-1").to_string(), TokenRole::Intake),
        // The EIDO export of the case the route before creates.
        ("GET", eido, String::new(), TokenRole::Intake),
        ("POST", "/v1/sync/push", json!({"device": device, "events": []}).to_string(), TokenRole::Device),
        ("POST", "/v1/sync/pull", json!({"device": device}).to_string(), TokenRole::Device),
        ("GET", "/v1/sync/stream", String::new(), TokenRole::Device),
        ("GET", "/v1/sync/directory", String::new(), TokenRole::Device),
        ("GET", "/metrics", String::new(), TokenRole::Admin),
    ]
}

#[test]
fn every_route_refuses_callers_without_the_right_token() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        every_route_refuses_callers_without_the_right_token_on(&hub);
    }
}

fn every_route_refuses_callers_without_the_right_token_on(hub: &Running) {
    for (method, path, body, role) in routes() {
        let post = |hub: &Running, path: &str, token: &str, body: &str| call(hub, method, path, token, body);
        let (status, error, challenge) = post(hub, path, "", &body);
        assert_eq!((status, error["code"].as_str()), (401, Some("no_token")), "{path} without a token");
        assert_eq!(challenge.as_deref(), Some("Bearer"), "{path}: 401 names the scheme");
        let (status, error, _) = post(hub, path, &tokens::generate(), &body);
        assert_eq!((status, error["code"].as_str()), (401, Some("bad_token")), "{path} with an unknown token");
        let (status, _, _) = post(hub, path, &hub.revoked, &body);
        assert_eq!(status, 401, "{path} with a revoked token");
        let (status, error, _) = post(hub, path, &hub.disabled, &body);
        assert_eq!((status, error["code"].as_str()), (401, Some("user_disabled")), "{path}, a disabled person's token");
        for (token, token_role) in
            [(&hub.intake, TokenRole::Intake), (&hub.device, TokenRole::Device), (&hub.admin, TokenRole::Admin)]
        {
            let (status, error, _) = post(hub, path, token, &body);
            if token_role == role {
                assert!(status < 300, "{path} with a {token_role} token: {status} {error}");
            } else {
                assert_eq!((status, error["code"].as_str()), (403, Some("wrong_role")), "{path}, {token_role} token");
            }
        }
    }
}

#[test]
fn every_route_refuses_a_body_over_the_limit() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        every_route_refuses_a_body_over_the_limit_on(&hub);
    }
}

fn every_route_refuses_a_body_over_the_limit_on(hub: &Running) {
    let huge = format!("{{\"narrative\": \"{}\"}}", "x".repeat(MAX_BODY));
    for (_, path, _, role) in routes().into_iter().filter(|(method, ..)| *method == "POST") {
        let token = if role == TokenRole::Intake { &hub.intake } else { &hub.device };
        let (status, _, _) = post(hub, path, token, &huge);
        assert_eq!(status, 413, "{path}");
    }
}

#[test]
fn health_answers_without_a_token() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        health_answers_without_a_token_on(&hub);
    }
}

fn health_answers_without_a_token_on(hub: &Running) {
    let mut response = agent().get(&format!("{}/healthz", hub.base)).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.body_mut().read_to_string().unwrap(), "ok\n");
}

#[test]
fn a_referral_is_taken_in_once_and_named_by_the_case_id_every_desktop_derives() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        a_referral_is_taken_in_once_and_named_by_the_case_id_every_desktop_derives_on(&hub);
    }
}

fn a_referral_is_taken_in_once_and_named_by_the_case_id_every_desktop_derives_on(hub: &Running) {
    let (status, report, _) = post(hub, "/v1/referrals", &hub.intake, &referral("W-100").to_string());
    assert_eq!(status, 201, "{report}");
    let expected = CaseId::for_referral(Source::HotlineWeb, "W-100").to_string();
    assert_eq!(report["accepted"][0]["case_id"], json!(expected));
    assert_eq!(report["accepted"][0]["created"], json!(true));

    let (status, report, _) = post(hub, "/v1/referrals", &hub.intake, &referral("W-100").to_string());
    assert_eq!(status, 200, "the same referral again stores nothing: {report}");
    assert_eq!(report["accepted"][0], json!({"index": 0, "case_id": expected, "created": false}));

    // A device pulls it: one referral event, triaged and placed as a desktop would.
    let pulled = pull_all(hub);
    let received: Vec<_> =
        pulled.iter().filter(|e| e.case_id.map(|c| c.to_string()) == Some(expected.clone())).collect();
    assert_eq!(received.len(), 1);
    match received[0].decode_body().unwrap() {
        EventBody::ReferralReceived { triage, jurisdiction, .. } => {
            assert_eq!(triage.priority.rank(), 1, "minors, immediate: P1");
            assert_eq!(jurisdiction.name.as_deref(), Some("Phelps"));
            assert_eq!(jurisdiction.troop.as_deref(), Some("I"));
        }
        other => panic!("expected a referral, got {other:?}"),
    }
}

#[test]
fn bad_referrals_are_refused_by_field_without_their_values() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        bad_referrals_are_refused_by_field_without_their_values_on(&hub);
    }
}

fn bad_referrals_are_refused_by_field_without_their_values_on(hub: &Running) {
    let (status, error, _) = post(hub, "/v1/referrals", &hub.intake, "{\"external_id\": \"SECRET-MARKER\",");
    assert_eq!((status, error["code"].as_str()), (400, Some("malformed")));
    assert!(!error.to_string().contains("SECRET-MARKER"));

    let mut bad = referral("W-200");
    bad["urgency"] = json!("SECRET-MARKER");
    bad["received_at"] = json!("SECRET-MARKER-TIME");
    let (status, rejected, _) = post(hub, "/v1/referrals", &hub.intake, &bad.to_string());
    assert_eq!(status, 422, "{rejected}");
    let rejected = rejected.as_array().expect("422 carries a list of rejections");
    assert!(!rejected.is_empty());
    assert!(rejected.iter().all(|r| r["index"] == json!(0) && r["field"].is_string() && r["message"].is_string()));
    assert!(!Value::Array(rejected.clone()).to_string().contains("SECRET-MARKER"), "values are never echoed");

    // A batch: the good ones are stored, the response lists the bad one.
    let batch = json!([referral("W-201"), bad, referral("W-202")]);
    let (status, report, _) = post(hub, "/v1/referrals", &hub.intake, &batch.to_string());
    assert_eq!(status, 201, "{report}");
    let accepted: Vec<u64> =
        report["accepted"].as_array().unwrap().iter().map(|a| a["index"].as_u64().unwrap()).collect();
    assert_eq!(accepted, [0, 2]);
    assert!(report["rejected"].as_array().unwrap().iter().all(|r| r["index"] == json!(1)));
    let stored: Vec<_> = pull_all(hub).into_iter().filter_map(|e| e.case_id).collect();
    assert!(stored.contains(&CaseId::for_referral(Source::HotlineWeb, "W-201")));
    assert!(stored.contains(&CaseId::for_referral(Source::HotlineWeb, "W-202")));
    assert!(!stored.contains(&CaseId::for_referral(Source::HotlineWeb, "W-200")));
}

fn pull_all(hub: &Running) -> Vec<WireEvent> {
    let (mut after, mut all) = (json!(0), Vec::new());
    loop {
        let body = json!({"device": DeviceId::new_random(), "after": after, "limit": 2}).to_string();
        let (status, page, _) = post(hub, "/v1/sync/pull", &hub.device, &body);
        assert_eq!(status, 200, "{page}");
        let page: PullResponse = serde_json::from_value(page).unwrap();
        all.extend(page.events);
        after = json!(page.next);
        if !page.more {
            return all;
        }
    }
}

fn chain(device: DeviceId, n: u64, text: &str) -> Vec<WireEvent> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    beacon_hub_db::testing::note_chain(device, 1, n, EventHash::GENESIS, now - 1000, text)
}

#[test]
fn a_device_pushes_its_chain_once_and_a_forked_copy_is_told_what_to_do() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        a_device_pushes_its_chain_once_and_a_forked_copy_is_told_what_to_do_on(&hub);
    }
}

fn a_device_pushes_its_chain_once_and_a_forked_copy_is_told_what_to_do_on(hub: &Running) {
    let device = DeviceId::new_random();
    let events = chain(device, 3, "note");
    let push = |events: &[WireEvent]| {
        let body = serde_json::to_string(&PushRequest { device, events: events.to_vec() }).unwrap();
        post(hub, "/v1/sync/push", &hub.device, &body)
    };
    let (status, answer, _) = push(&events);
    assert_eq!((status, answer), (200, json!({"stored": 3, "hub_seq": 3})));
    let (status, answer, _) = push(&events);
    assert_eq!((status, answer), (200, json!({"stored": 0, "hub_seq": 3})), "a repeated push is a no-op");

    let (status, error, _) = push(&chain(device, 2, "restored from a backup"));
    assert_eq!(status, 409);
    assert_eq!(error["code"], json!("forked"));
    assert_eq!(error["retryable"], json!(false));
    assert!(error["message"].as_str().unwrap().contains("re-enrol"), "{error}");

    let (status, error, _) = push(&events[2..].iter().map(|e| WireEvent { seq: 5, ..e.clone() }).collect::<Vec<_>>());
    assert_eq!((status, error["code"].as_str(), error["expected"].as_u64()), (409, Some("gap"), Some(4)));

    let (status, error, _) = post(hub, "/v1/sync/push", &hub.device, "{\"device\": \"not-a-uuid\", \"events\": []}");
    assert_eq!((status, error["code"].as_str()), (400, Some("malformed")));
    assert!(!error.to_string().contains("not-a-uuid"), "{error}");

    let mine: Vec<_> = pull_all(hub).into_iter().filter(|e| e.device == device).map(|e| e.hash).collect();
    assert_eq!(mine, events.iter().map(|e| e.hash).collect::<Vec<_>>());
}

#[test]
fn a_caller_over_its_rate_is_told_to_wait_on_every_route() {
    for hub in hubs_with(Rate { per_second: 0.01, burst: 3.0 }) {
        eprintln!("backend: {}", hub.backend);
        let mut used = std::collections::HashSet::new();
        for (method, path, body, role) in routes() {
            let token = match role {
                TokenRole::Intake => hub.intake.clone(),
                TokenRole::Device => hub.device.clone(),
                TokenRole::Admin => hub.admin.clone(),
            };
            // A burst of 3 per token: the 4th request in a row is refused,
            // on whichever route (push and pull share the device token).
            let statuses: Vec<u16> = (0..4).map(|_| call(&hub, method, path, &token, &body).0).collect();
            // A token an earlier route used has spent its burst there.
            if used.insert(role) {
                assert!(statuses[..3].iter().all(|s| *s < 300), "{path}: {statuses:?}");
            }
            assert_eq!(statuses[3], 429, "{path}: {statuses:?}");
        }
        let (status, error, _) = call(&hub, "POST", "/v1/referrals", &hub.intake, "{}");
        assert_eq!(
            (status, error["code"].as_str(), error["retryable"].as_bool()),
            (429, Some("rate_limited"), Some(true))
        );
    }
}

#[test]
fn metrics_count_requests_by_route_and_status_for_an_admin() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        assert_eq!(post(&hub, "/v1/referrals", &hub.intake, &referral("M-1").to_string()).0, 201);
        assert_eq!(post(&hub, "/v1/referrals", &hub.intake, "not json").0, 400);
        let (status, text, _) = call_text(&hub, "GET", "/metrics", &hub.admin, "");
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("beacon_hub_requests_total{route=\"/v1/referrals\",status=\"201\"} 1"), "{text}");
        assert!(text.contains("beacon_hub_requests_total{route=\"/v1/referrals\",status=\"400\"} 1"), "{text}");
        assert!(text.contains("beacon_hub_request_seconds_count{route=\"/v1/referrals\"} 2"), "{text}");
        assert!(text.contains("beacon_hub_events_stored 1"), "{text}");
        assert!(text.contains("# TYPE beacon_hub_sync_lag_seconds histogram"), "{text}");
        // A pull that delivers the referral records how old it was.
        assert_eq!(
            post(&hub, "/v1/sync/pull", &hub.device, &json!({"device": DeviceId::new_random()}).to_string()).0,
            200
        );
        let (_, text, _) = call_text(&hub, "GET", "/metrics", &hub.admin, "");
        assert!(text.contains("beacon_hub_sync_lag_seconds_count 1"), "{text}");
    }
}

#[test]
fn the_api_document_describes_every_route_for_any_token() {
    let hub = start(false, Rate::default()).expect("the SQLite hub");
    let (status, _, _) = call(&hub, "GET", "/openapi.json", "", "");
    assert_eq!(status, 401);
    let (status, _, _) = call(&hub, "GET", "/openapi.json", &hub.revoked, "");
    assert_eq!(status, 401);
    for token in [&hub.intake, &hub.device, &hub.admin] {
        assert_eq!(call(&hub, "GET", "/openapi.json", token, "").0, 200);
    }
    let (_, doc, _) = call(&hub, "GET", "/openapi.json", &hub.device, "");
    let paths = doc["paths"].as_object().expect("paths");
    let mut described = vec![("GET", "/healthz"), ("GET", "/openapi.json"), ("POST", "/v1/enrol")];
    described.extend(routes().into_iter().map(|(method, path, ..)| (method, path)));
    for (method, path) in described {
        // A path with an id is described by its pattern.
        let path = if path.ends_with("/eido") { "/v1/cases/{id}/eido" } else { path };
        assert!(paths.get(path).and_then(|p| p.get(method.to_lowercase())).is_some(), "{method} {path} is described");
    }
    for schema in
        ["WireEvent", "PushRequest", "PullResponse", "IntakeReport", "ErrorBody", "EnrolRequest", "EnrolResponse"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], json!("bearer"));
}

#[test]
fn the_live_stream_announces_each_append_to_a_connected_desktop() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_recv_body(Some(std::time::Duration::from_secs(20)))
            .build()
            .into();
        let response = agent
            .get(&format!("{}/v1/sync/stream", hub.base))
            .header("authorization", &format!("Bearer {}", hub.device))
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let mut lines = std::io::BufReader::new(response.into_body().into_reader()).lines();
        let mut next_event = || loop {
            let line = lines.next().expect("the stream stays open").unwrap();
            if let Some(name) = line.strip_prefix("event: ") {
                return name.to_string();
            }
        };
        assert_eq!(next_event(), "ready");
        let (_, text, _) = call_text(&hub, "GET", "/metrics", &hub.admin, "");
        assert!(text.contains("beacon_hub_devices_connected 1"), "{text}");
        assert_eq!(post(&hub, "/v1/referrals", &hub.intake, &referral("LIVE-1").to_string()).0, 201);
        assert_eq!(next_event(), "appended", "a referral posted is announced");
    }
}

#[test]
fn an_eido_document_is_taken_in_with_nothing_dropped_and_a_case_exported_as_one() {
    let sample = include_str!("../../beacon-eido/tests/eido-sample-call-transfer.json");
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        let url = format!("{}/v1/referrals", hub.base);
        let send = |body: &str| {
            let mut r = agent()
                .post(&url)
                .header("authorization", &format!("Bearer {}", hub.intake))
                .header("content-type", "application/vnd.nena.eido+json")
                .send(body)
                .unwrap();
            let status = r.status().as_u16();
            (status, serde_json::from_str::<Value>(&r.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null))
        };
        let (status, report) = send(sample);
        assert_eq!(status, 201, "{report}");
        let case_id = report["accepted"][0]["case_id"].as_str().unwrap().to_string();
        assert_eq!(send(sample).0, 200, "the same incident again stores nothing");
        // A desktop pulling it holds the whole document under `eido`.
        let (_, page, _) =
            post(&hub, "/v1/sync/pull", &hub.device, &json!({"device": DeviceId::new_random()}).to_string());
        let page: PullResponse = serde_json::from_value(page).unwrap();
        let event = page.events.iter().find(|e| e.case_id.map(|c| c.to_string()) == Some(case_id.clone())).unwrap();
        let EventBody::ReferralReceived { referral, .. } = event.decode_body().unwrap() else {
            panic!("not a referral")
        };
        let kept = serde_json::to_value(&*referral).unwrap()["eido"].clone();
        assert_eq!(kept, serde_json::from_str::<Value>(sample).unwrap(), "nothing dropped");
        assert_eq!(referral.location.as_ref().unwrap().city.as_deref(), Some("Wilmington"));
        // A broken document: 422 naming the field, not the value.
        let mut broken: Value = serde_json::from_str(sample).unwrap();
        broken["$id"] = json!("urn:other");
        broken["locationComponent"][0]["locationByValue"] = json!("<presence SECRET");
        let (status, rejected) = send(&broken.to_string());
        assert_eq!(status, 422, "{rejected}");
        assert_eq!(rejected[0]["field"], json!("locationComponent[0].locationByValue"));
        assert!(!rejected.to_string().contains("SECRET"));
        assert_eq!(send("{not json").0, 400);

        // Out again as EIDO.
        let (status, doc, _) = call(&hub, "GET", &format!("/v1/cases/{case_id}/eido"), &hub.intake, "");
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["eidoVersion"], json!("1.0"));
        assert_eq!(doc["incidentComponent"][0]["internalIncidentId"], json!(case_id));
        let xml = doc["locationComponent"][0]["locationByValue"].as_str().unwrap();
        assert!(xml.contains("<A3>Wilmington</A3>"), "{xml}");
        let unknown = CaseId::for_referral(Source::HotlineWeb, "nobody");
        assert_eq!(call(&hub, "GET", &format!("/v1/cases/{unknown}/eido"), &hub.intake, "").0, 404);
        assert_eq!(call(&hub, "GET", "/v1/cases/not-a-case/eido", &hub.intake, "").0, 400);
    }
}

fn enrol(hub: &Running, user: &str, password: &str, device: &str) -> (u16, Value) {
    let body = json!({"user": user, "password": password, "device_name": device}).to_string();
    let (status, answer, _) = post(hub, "/v1/enrol", "", &body);
    (status, answer)
}

#[test]
fn a_desktop_enrols_once_with_a_password_and_receives_what_its_person_may_see() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        a_desktop_enrols_once_with_a_password_and_receives_what_its_person_may_see_on(&hub);
    }
}

fn a_desktop_enrols_once_with_a_password_and_receives_what_its_person_may_see_on(hub: &Running) {
    let (status, dana) = enrol(hub, "dana", PEOPLE_PASSWORD, "dispatch-desk-2");
    assert_eq!(status, 200, "{dana}");
    assert_eq!((dana["role"].as_str(), dana["scope"].as_str()), (Some("dispatcher"), Some("all")));
    let token = dana["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("bkn_"));
    let (status, _, _) = post(hub, "/v1/sync/pull", &token, &json!({"device": DeviceId::new_random()}).to_string());
    assert_eq!(status, 200, "the enrolled token syncs");
    // A task-force member's desktop receives their own cases only.
    let (status, tess) = enrol(hub, "tess", PEOPLE_PASSWORD, "tess-phone");
    assert_eq!((status, tess["scope"].as_str()), (200, Some("responder:T-C-07")), "{tess}");
    // An administrator reads no case: no desktop to enrol.
    let (status, ada) = enrol(hub, "ada", PEOPLE_PASSWORD, "ada-laptop");
    assert_eq!((status, ada["code"].as_str()), (403, Some("forbidden")), "{ada}");
    // A disabled person, an unknown one and a wrong password read alike.
    for (user, password) in [("leaver", PEOPLE_PASSWORD), ("nobody", PEOPLE_PASSWORD), ("sam", "not the password")] {
        let (status, error) = enrol(hub, user, password, "desk");
        assert_eq!((status, error["code"].as_str()), (401, Some("wrong_password")), "{user}: {error}");
        assert!(!error.to_string().contains(password), "the password is never echoed");
    }
    let (status, error) = enrol(hub, "sam", PEOPLE_PASSWORD, "Not A Name!");
    assert_eq!((status, error["code"].as_str()), (422, Some("invalid_input")), "{error}");
    assert!(error["message"].as_str().unwrap().starts_with("device_name"), "{error}");
    // Five wrong passwords (the first was above) lock the name; then even the right one waits.
    for attempt in 2..=5 {
        let (status, error) = enrol(hub, "sam", "still not it", "desk");
        let expected = if attempt < 5 { 401 } else { 429 };
        assert_eq!(status, expected, "attempt {attempt}: {error}");
    }
    let (status, error) = enrol(hub, "sam", PEOPLE_PASSWORD, "desk");
    assert_eq!((status, error["code"].as_str()), (429, Some("locked_out")), "{error}");
}

#[test]
fn a_persons_desktop_may_push_only_what_their_role_may_write() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        a_persons_desktop_may_push_only_what_their_role_may_write_on(&hub);
    }
}

fn a_persons_desktop_may_push_only_what_their_role_may_write_on(hub: &Running) {
    let token = |user: &str| enrol(hub, user, PEOPLE_PASSWORD, "desk").1["token"].as_str().unwrap().to_string();
    let (dana, tess) = (token("dana"), token("tess"));
    let setting = EventBody::SettingsChanged { targets: Default::default(), link_window_days: 30 };
    let push_one = |token: &str, body: &EventBody, actor: &str| {
        let device = DeviceId::new_random();
        let raw = serde_json::value::RawValue::from_string(serde_json::to_string(body).unwrap()).unwrap();
        let now = beacon_hub_db::now_ms();
        let hlc = beacon_domain::Hlc { wall_ms: now - 1000, counter: 0 };
        let event = WireEvent::sealed(
            beacon_domain::EventId::new(),
            device,
            1,
            hlc,
            actor.into(),
            None,
            raw,
            EventHash::GENESIS,
        );
        let body = serde_json::to_string(&PushRequest { device, events: vec![event] }).unwrap();
        post(hub, "/v1/sync/push", token, &body)
    };
    // Settings are an administrator's: a dispatcher's desktop may not push them.
    let (status, error, _) = push_one(&dana, &setting, "dana");
    assert_eq!((status, error["code"].as_str()), (403, Some("forbidden")), "{error}");
    assert!(error["message"].as_str().unwrap().contains("settings_changed"), "{error}");
    // Everyone sets their own password; the task-force member, nobody else's.
    let user = |name: &str| beacon_domain::User {
        name: name.into(),
        role: UserRole::TaskForce,
        responder_id: None,
        disabled: false,
    };
    let own = EventBody::AccountSaved { user: user("tess"), change: beacon_domain::AccountChange::PasswordSet };
    let (status, answer, _) = push_one(&tess, &own, "tess");
    assert_eq!(status, 200, "{answer}");
    let other = EventBody::AccountSaved { user: user("dana"), change: beacon_domain::AccountChange::PasswordSet };
    let (status, error, _) = push_one(&tess, &other, "tess");
    assert_eq!((status, error["code"].as_str()), (403, Some("forbidden")), "{error}");
    // Disabling the person revokes their desktop at once.
    let pull = || post(hub, "/v1/sync/pull", &tess, &json!({"device": DeviceId::new_random()}).to_string());
    assert_eq!(pull().0, 200);
    assert!(hub._runtime.block_on(hub.db.disable_user("tess", beacon_hub_db::now_ms())).unwrap());
    let (status, error, _) = pull();
    assert_eq!((status, error["code"].as_str()), (401, Some("user_disabled")), "{error}");
}

#[test]
fn a_handoff_pulled_by_its_responders_own_beacon_is_seen_on_device_once() {
    for hub in hubs() {
        eprintln!("backend: {}", hub.backend);
        a_handoff_pulled_by_its_responders_own_beacon_is_seen_on_device_once_on(&hub);
    }
}

/// The `device` attempts in the hub's stream, per case.
fn seen_on_device(hub: &Running, case: CaseId) -> Vec<beacon_domain::delivery::Outcome> {
    pull_all(hub)
        .into_iter()
        .filter(|e| e.case_id == Some(case))
        .filter_map(|e| match e.decode_body() {
            Ok(EventBody::DeliveryAttempted { channel: beacon_domain::delivery::Channel::Device, outcome, .. }) => {
                Some(outcome)
            }
            _ => None,
        })
        .collect()
}

fn a_handoff_pulled_by_its_responders_own_beacon_is_seen_on_device_once_on(hub: &Running) {
    let token =
        |user: &str, device: &str| enrol(hub, user, PEOPLE_PASSWORD, device).1["token"].as_str().unwrap().to_string();
    let (dana, tess, tess_phone) = (token("dana", "desk"), token("tess", "laptop"), token("tess", "phone"));
    // Dana's desk hands one case to Tess's trooper record and one to another trooper.
    let desk = DeviceId::new_random();
    let (hers, events) = beacon_hub_db::testing::referral_and_handoff(desk, "SEEN-1", "T-C-07");
    let push = |events: Vec<WireEvent>| {
        let device = events[0].device;
        let (status, answer, _) =
            post(hub, "/v1/sync/push", &dana, &serde_json::to_string(&PushRequest { device, events }).unwrap());
        assert_eq!(status, 200, "{answer}");
    };
    push(events);
    let (theirs, events) = beacon_hub_db::testing::referral_and_handoff(DeviceId::new_random(), "SEEN-2", "T-C-99");
    push(events);
    let pull = |token: &str, device: DeviceId| {
        let (status, page, _) = post(hub, "/v1/sync/pull", token, &json!({ "device": device }).to_string());
        assert_eq!(status, 200, "{page}");
        serde_json::from_value::<PullResponse>(page).unwrap()
    };
    // A dispatcher's desk pulling the handoff is not the responder seeing it.
    pull(&dana, DeviceId::new_random());
    assert!(seen_on_device(hub, hers).is_empty());
    // Tess's laptop pulls her case (and not the other): seen on device.
    let laptop = DeviceId::new_random();
    let page = pull(&tess, laptop);
    assert!(
        page.events.iter().any(|e| e.case_id == Some(hers)) && !page.events.iter().any(|e| e.case_id == Some(theirs))
    );
    assert_eq!(seen_on_device(hub, hers), [beacon_domain::delivery::Outcome::Delivered]);
    // Pulling again, and from her phone, records nothing more.
    pull(&tess, laptop);
    pull(&tess_phone, DeviceId::new_random());
    assert_eq!(seen_on_device(hub, hers).len(), 1, "once per handoff");
    assert!(seen_on_device(hub, theirs).is_empty());
    // Her own Beacon receives the record like any event of her case.
    let next = pull(&tess, laptop);
    assert!(
        next.events.iter().any(|e| e.case_id == Some(hers) && e.kind().as_deref() == Some("delivery_attempted")),
        "the record syncs like any event of the case"
    );
}
