//! The commands through Tauri's real IPC handler (on its mock runtime, so no
//! display is needed), over a real store: the argument names the window
//! sends, the payloads it gets back, and errors as `{code, message, field}`.

use crate::{AppState, commands};
use beacon_api::Beacon;
use beacon_api::domain::event::Actor;
use beacon_api::domain::{ManualClock, SystemClock};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;

struct Console {
    webview: tauri::WebviewWindow<MockRuntime>,
    _app: tauri::App<MockRuntime>,
    _dir: tempfile::TempDir,
}

/// The app's handler and state over a store with a small demo data set.
fn console() -> Console {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite3");
    {
        let now = chrono::Utc::now();
        let clock = ManualClock::at(now);
        let mut b = Beacon::open(&path, Actor("test".into()), Arc::new(clock.clone())).expect("open");
        // This seed's 80 cases include new ones nobody has yet, so the
        // queue has rows in every group.
        b.load_demo(80, 2026, now, &clock).expect("demo");
    }
    let beacon = Beacon::open(&path, Actor("dispatcher".into()), Arc::new(SystemClock)).expect("open");
    let state = AppState {
        beacon: Mutex::new(beacon),
        store_path: path,
        signed_in: Arc::new(Mutex::new(None)),
        started: Instant::now(),
        demo_loaded: true,
        sync: Arc::default(),
    };
    let app = mock_builder()
        .manage(state)
        .invoke_handler(commands::handler())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("webview");
    Console { webview, _app: app, _dir: dir }
}

fn invoke(c: &Console, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &c.webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            // On Linux the app's own pages are served from tauri://localhost.
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json body"))
}

fn queue(c: &Console, query: Value) -> Vec<Value> {
    let rows = invoke(c, "queue", json!({ "query": query })).expect("queue");
    rows.as_array().expect("array").clone()
}

#[test]
fn the_queue_lists_open_cases_most_urgent_first() {
    let c = console();
    let rows = queue(&c, json!({ "limit": 500 }));
    assert!(!rows.is_empty());
    let keys: Vec<&str> = rows.iter().map(|r| r["place"]["order_key"].as_str().unwrap()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "rows come in the order Rust decides");
    assert_eq!(rows[0]["place"]["group"], "needs_dispatcher", "what needs a dispatcher first");
    assert!(rows.iter().all(|r| r["closed_at"].is_null()));
    let total = invoke(&c, "open_count", json!({})).unwrap().as_u64().unwrap();
    assert_eq!(total as usize, rows.len());

    let p1 = queue(&c, json!({ "priorities": ["P1"], "limit": 500 }));
    assert!(p1.iter().all(|r| r["priority"] == "P1"));
}

#[test]
fn one_click_handoff_goes_to_the_suggested_trooper_and_the_row_follows() {
    let c = console();
    let referral = json!({
        "external_id": "CMD-1", "source": "hotline_call", "received_at": chrono::Utc::now().to_rfc3339(),
        "urgency": "in_progress", "trafficking_type": "sex",
        "location": {"city": "Springfield", "state": "MO", "lat": 37.1816, "lon": -93.2713},
        "narrative": "a new tip"
    });
    let added = invoke(&c, "add_referral", json!({ "referral": referral })).expect("added");
    let id = added["id"].as_str().unwrap();
    let row =
        queue(&c, json!({ "statuses": ["new"], "limit": 500 })).into_iter().find(|r| r["id"] == id).expect("listed");
    assert_eq!(row["place"]["reason"], "not_handed_off");
    let sug = invoke(&c, "suggest", json!({ "id": id })).expect("suggest");
    let trooper = sug["troopers"][0]["responder"]["id"].as_str().expect("a suggested trooper").to_string();

    // One call: the window names the role, Rust picks the top suggestion.
    let handoff = invoke(&c, "handoff_to_suggested", json!({ "id": id, "role": "trooper" })).expect("handoff");
    assert_eq!(handoff["responder_id"], trooper.as_str());
    assert!(handoff["shared_fields"].as_array().is_some_and(|f| !f.is_empty()));

    let after = invoke(&c, "queue_rows", json!({ "ids": [id], "query": {} })).expect("rows");
    assert_eq!(after[0]["status"], "handed_off");
    assert_eq!(after[0]["assigned"][0]["id"], trooper.as_str());
    assert_eq!(after[0]["place"]["group"], "awaiting_responder", "waiting for the trooper now");
    // With a filter it no longer matches, the row is not returned (the window drops it).
    let gone = invoke(&c, "queue_rows", json!({ "ids": [id], "query": { "statuses": ["new"] } })).expect("rows");
    assert_eq!(gone, json!([]));
}

#[test]
fn errors_carry_a_code_and_the_field() {
    let c = console();
    let missing = invoke(&c, "add_referral", json!({ "referral": { "external_id": "X-1", "source": "hotline_call" } }))
        .expect_err("rejected");
    assert_eq!(missing["code"], "invalid_input");
    assert!(missing["field"].is_string(), "names the field: {missing}");

    let id = queue(&c, json!({ "limit": 1 }))[0]["id"].as_str().unwrap().to_string();
    let unknown = invoke(&c, "handoff", json!({ "id": id, "responder": "NOBODY-99" })).expect_err("no such responder");
    assert_eq!(unknown["code"], "not_found");

    let no_case = invoke(&c, "case_detail", json!({ "id": "ffffffff" })).expect_err("no such case");
    assert_eq!(no_case["code"], "not_found");

    // A malformed id never reaches the store: the bridge refuses the argument.
    let bad_ids =
        invoke(&c, "queue_rows", json!({ "ids": ["not-a-case-id"], "query": {} })).expect_err("not a case id");
    assert!(bad_ids.to_string().contains("ids"), "names the argument: {bad_ids}");
    assert_eq!(invoke(&c, "queue_rows", json!({ "ids": [], "query": {} })).expect("no ids"), json!([]));
    let role =
        invoke(&c, "handoff_to_suggested", json!({ "id": id, "role": "supervisor" })).expect_err("not suggested");
    assert_eq!(role["code"], "refused");

    let reason = invoke(&c, "override_priority", json!({ "id": id, "priority": "P4", "reason": "  " }))
        .expect_err("a reason is required");
    assert_eq!(reason["code"], "invalid_input");
}

#[test]
fn camel_case_arguments_reach_the_commands() {
    // The window sends `jurisdictionId` and `onDuty`; Tauri maps them to snake_case parameters.
    let c = console();
    let id = queue(&c, json!({ "limit": 1 }))[0]["id"].as_str().unwrap().to_string();
    invoke(&c, "confirm_jurisdiction", json!({ "id": id, "jurisdictionId": "29077" })).expect("confirm");
    let detail = invoke(&c, "case_detail", json!({ "id": id })).expect("detail");
    assert_eq!(detail["jurisdiction"]["jurisdiction_id"], "29077");

    let responders = invoke(&c, "responders", json!({})).expect("responders");
    let first = responders[0]["id"].as_str().unwrap().to_string();
    invoke(&c, "set_on_duty", json!({ "id": first, "onDuty": false })).expect("off duty");
    let responders = invoke(&c, "responders", json!({})).expect("responders");
    let r = responders.as_array().unwrap().iter().find(|r| r["id"] == first.as_str()).unwrap();
    assert_eq!(r["on_duty"], false);
}
