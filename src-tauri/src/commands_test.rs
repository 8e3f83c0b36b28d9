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

const PASSWORD: &str = "console test password";

/// The app's handler and state over a store with a small demo data set and
/// its people, signed in as the dispatcher.
fn console() -> Console {
    let c = console_signed_out(std::time::Duration::from_secs(900));
    invoke(&c, "sign_in", json!({ "user": "dispatcher", "password": PASSWORD })).expect("sign in");
    c
}

fn state(
    store_path: std::path::PathBuf,
    beacon: Option<Beacon>,
    idle_lock: std::time::Duration,
    demo: bool,
) -> AppState {
    AppState {
        beacon: Mutex::new(beacon),
        opener: Arc::new(crate::opener::Opener::new(&store_path)),
        store_path,
        signed_in: Arc::new(Mutex::new(None)),
        last_activity: Mutex::new(Instant::now()),
        idle_lock,
        started: Instant::now(),
        demo_loaded: demo,
        sync: Arc::default(),
    }
}

/// The same, with nobody signed in yet and the idle lock given.
fn console_signed_out(idle_lock: std::time::Duration) -> Console {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite3");
    {
        let now = chrono::Utc::now();
        let clock = ManualClock::at(now);
        let mut b = Beacon::open(&path, Actor("test".into()), Arc::new(clock.clone())).expect("open");
        // This seed's 80 cases include new ones nobody has yet, so the
        // queue has rows in every group.
        b.load_demo(80, 2026, now, &clock).expect("demo");
        b.add_demo_users(PASSWORD).expect("demo people");
    }
    // Protected, so encrypted: nothing opens it until someone signs in.
    assert!(Beacon::open(&path, Actor("dispatcher".into()), Arc::new(SystemClock)).is_err());
    let state = state(path, None, idle_lock, true);
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

#[test]
fn signed_out_nothing_is_read_and_a_wrong_password_says_only_that() {
    let c = console_signed_out(std::time::Duration::from_secs(900));
    let refused = invoke(&c, "queue", json!({ "query": {} })).expect_err("signed out");
    assert_eq!(refused["code"], "sign_in_required");
    assert_eq!(invoke(&c, "session", json!({})).expect_err("nobody")["code"], "sign_in_required");
    let wrong = invoke(&c, "sign_in", json!({ "user": "dispatcher", "password": "guess" })).expect_err("wrong");
    assert_eq!(wrong["code"], "wrong_password");
    assert!(!wrong.to_string().contains("guess"));
    let session = invoke(&c, "sign_in", json!({ "user": "supervisor", "password": PASSWORD })).expect("sign in");
    assert_eq!((session["user"].as_str(), session["role"].as_str()), (Some("supervisor"), Some("supervisor")));
    assert!(session["may"].as_array().unwrap().contains(&json!("resolve_conflicts")));
    invoke(&c, "sign_out", json!({})).expect("sign out");
    assert_eq!(invoke(&c, "open_count", json!({})).expect_err("signed out")["code"], "sign_in_required");
}

#[test]
fn each_role_gets_exactly_its_screens_through_the_commands() {
    let c = console_signed_out(std::time::Duration::from_secs(900));
    let sign_in = |user: &str| invoke(&c, "sign_in", json!({ "user": user, "password": PASSWORD })).expect(user);

    let dispatcher = sign_in("dispatcher");
    assert_eq!(dispatcher["home"], "queue");
    let all = queue(&c, json!({ "limit": 500 }));
    assert!(!all.is_empty());
    let id = all[0]["id"].as_str().unwrap().to_string();
    let forbidden = invoke(&c, "resolve_conflicts", json!({ "id": id })).expect_err("a supervisor's work");
    assert_eq!(forbidden["code"], "forbidden");

    let taskforce = sign_in("taskforce");
    assert_eq!(taskforce["home"], "my_cases");
    assert_eq!(taskforce["sees_all_cases"], false);
    let responder = taskforce["responder_id"].as_str().expect("linked to a trooper").to_string();
    assert_eq!(invoke(&c, "queue", json!({ "query": {} })).expect_err("no queue")["code"], "forbidden");
    let mine = invoke(&c, "my_cases", json!({ "limit": 200 })).expect("my cases");
    let mine: Vec<&str> = mine.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(!mine.is_empty());
    invoke(&c, "case_detail", json!({ "id": mine[0] })).expect("their own case");
    let other = all.iter().map(|r| r["id"].as_str().unwrap()).find(|id| !mine.contains(id)).expect("another case");
    assert_eq!(invoke(&c, "case_detail", json!({ "id": other })).expect_err("not theirs")["code"], "forbidden");
    let someone_else = invoke(&c, "responders", json!({}))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .find(|r| *r != responder)
        .unwrap();
    let theirs = invoke(&c, "cases_for_responder", json!({ "responder": someone_else, "limit": 10 }));
    assert_eq!(theirs.expect_err("another responder's list")["code"], "forbidden");

    let admin = sign_in("admin");
    assert_eq!(admin["home"], "sync");
    assert_eq!(
        invoke(&c, "case_detail", json!({ "id": id })).expect_err("an admin reads no case")["code"],
        "forbidden"
    );
    invoke(&c, "responders", json!({})).expect("the roster");
}

#[test]
fn an_idle_console_locks_and_the_password_unlocks_it() {
    let c = console_signed_out(std::time::Duration::from_millis(200));
    invoke(&c, "sign_in", json!({ "user": "dispatcher", "password": PASSWORD })).expect("sign in");
    invoke(&c, "open_count", json!({})).expect("at work");
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(invoke(&c, "open_count", json!({})).expect_err("locked")["code"], "sign_in_required");
    invoke(&c, "sign_in", json!({ "user": "dispatcher", "password": PASSWORD })).expect("unlock");
    invoke(&c, "activity", json!({})).expect("activity");
    invoke(&c, "open_count", json!({})).expect("back at work");
}

#[test]
fn the_console_offers_an_override_and_it_needs_a_reason() {
    let c = console();
    let referral = json!({
        "external_id": "CMD-OVR", "source": "hotline_call", "received_at": chrono::Utc::now().to_rfc3339(),
        "urgency": "recent", "trafficking_type": "labor",
        "location": {"city": "Rolla", "state": "MO", "lat": 37.95, "lon": -91.77},
        "potential_victims": {"count": 1, "description": "man with a cast"},
        "consent": {"share_identifying_info": false},
        "narrative": "a tip without consent"
    });
    let id =
        invoke(&c, "add_referral", json!({ "referral": referral })).expect("added")["id"].as_str().unwrap().to_string();
    let sug = invoke(&c, "suggest", json!({ "id": id })).expect("suggest");
    assert_eq!(sug["share_with_troopers"]["overridable"], json!(["potential_victims.description"]));
    let trooper = sug["troopers"][0]["responder"]["id"].as_str().unwrap().to_string();
    let empty = invoke(&c, "handoff_overriding_sharing", json!({ "id": id, "responder": trooper, "reason": " " }))
        .expect_err("a reason is required");
    assert_eq!((empty["code"].as_str(), empty["field"].as_str()), (Some("invalid_input"), Some("override reason")));
    let done = invoke(&c, "handoff_overriding_sharing", json!({ "id": id, "responder": trooper, "reason": "warrant" }))
        .expect("handed off");
    assert!(done["shared_fields"].as_array().unwrap().contains(&json!("potential_victims.description")));
}

#[test]
fn the_first_start_on_an_unprotected_store_makes_its_administrator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite3");
    let beacon = Beacon::open(&path, Actor("someone".into()), Arc::new(SystemClock)).expect("open");
    let state = state(path.clone(), Some(beacon), std::time::Duration::from_secs(900), false);
    let app =
        mock_builder().manage(state).invoke_handler(commands::handler()).build(mock_context(noop_assets())).unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let c = Console { webview, _app: app, _dir: dir };

    let before = invoke(&c, "session", json!({})).expect("an unprotected store has a session");
    assert_eq!(before["protected"], false);
    let short = invoke(&c, "create_admin", json!({ "user": "chief", "password": "short" })).expect_err("too short");
    assert_eq!(short["code"], "invalid_input");
    let first =
        invoke(&c, "create_admin", json!({ "user": "chief", "password": "first admin password" })).expect("admin");
    assert_eq!((first["session"]["user"].as_str(), first["session"]["role"].as_str()), (Some("chief"), Some("admin")));
    assert_eq!(first["recovery_key"].as_str().map(str::len), Some(39));
    assert!(path.with_file_name("store.sqlite3.keys").exists());
    let header = std::fs::read(&path).expect("store file")[..16].to_vec();
    assert_ne!(header, b"SQLite format 3\0", "the first admin encrypts the store");
    assert_eq!(invoke(&c, "responders", json!({})).expect("the console goes on, on the encrypted store"), json!([]));
    let again = invoke(&c, "create_admin", json!({ "user": "other", "password": "first admin password" }));
    assert_eq!(again.expect_err("only once")["code"], "refused");
    invoke(&c, "sign_out", json!({})).unwrap();
    invoke(&c, "sign_in", json!({ "user": "chief", "password": "first admin password" })).expect("signs in");
}
