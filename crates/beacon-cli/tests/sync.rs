//! `beacon sync` end to end: the real binary, two real stores, a real hub
//! on loopback (over a SQLite hub file).

mod common;

use std::sync::Arc;

use beacon_hub::{Hub, HubConfig, router};
use beacon_hub_db::{HubDb, SqliteHubDb};
use common::{Env, referral};
use serde_json::json;

/// A hub on 127.0.0.1 over a SQLite file in `dir`.
fn hub(dir: &std::path::Path) -> (String, String, tokio::runtime::Runtime) {
    common::hub::serve(&dir.join("hub.sqlite3"))
}

#[test]
fn two_stores_sync_through_the_hub_and_remember_it() {
    let (a, b) = (Env::new(), Env::new());
    let (url, token, _hub) = hub(a.dir.path());
    let r = referral("SYNC-1", json!({"urgency": "in_progress"}));
    a.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
    a.run(&["note", "SYNC-1", "caller safe for now"]).ok();

    let sent = a.run(&["--json", "sync", "--hub", &url, "--token", &token]).ok().json();
    assert_eq!((sent["pushed"].as_u64(), sent["pulled"].as_u64()), (Some(2), Some(0)));
    // B gets them; the hub and token come from the environment.
    let got = b.cmd().env("BEACON_HUB", &url).env("BEACON_HUB_TOKEN", &token).args(["sync"]).output().unwrap();
    assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
    let said = String::from_utf8_lossy(&got.stdout);
    assert!(said.contains("0 event(s) sent, 2 received"), "{said}");
    let shown = b.run(&["--json", "show", "SYNC-1"]).ok().json();
    assert_eq!(shown["notes"][0]["body"], json!("caller safe for now"));

    // Remembered: a later sync needs neither.
    b.run(&["note", "SYNC-1", "advocate assigned"]).ok();
    let status = b.run(&["sync", "status"]).ok();
    // The note, and B's opening of the case (`show` is audited).
    assert!(status.stdout.contains(&url) && status.stdout.contains("2 event(s)"), "{}", status.stdout);
    assert!(!status.stdout.contains(&token), "the token is never shown");
    // The hub's escalation targets, as it said at the last sync (its defaults).
    assert!(
        status.stdout.contains("Escalation:     P1: acknowledge within 15m, on scene within 1h"),
        "{}",
        status.stdout
    );
    b.run(&["sync"]).ok();
    a.run(&["sync"]).ok();
    let shown = a.run(&["--json", "show", "SYNC-1"]).ok().json();
    assert_eq!(shown["notes"].as_array().unwrap().len(), 2);
    assert!(a.run(&["sync", "status"]).ok().stdout.contains("0 event(s)"));
}

#[test]
fn a_sync_without_a_hub_or_with_a_bad_one_says_why() {
    let env = Env::new();
    env.run(&["queue"]).ok();
    let none = env.run(&["sync"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("--hub"), "{}", none.stderr);
    let unreachable = env.run(&["sync", "--hub", "http://127.0.0.1:9", "--token", "bkn_x"]);
    assert_eq!(unreachable.code, 1);
    assert!(unreachable.stderr.contains("could not be reached"), "{}", unreachable.stderr);
}

#[test]
fn a_handoff_the_hub_rejected_is_listed_until_a_dispatcher_resolves_it() {
    let (a, b) = (Env::new(), Env::new());
    let (url, token, _hub) = hub(a.dir.path());
    let roster = a.dir.path().join("roster.json");
    std::fs::write(
        &roster,
        r#"[{"id": "T-1", "name": "Tpr. Lane", "role": "trooper", "jurisdictions": ["*"], "on_duty": true},
            {"id": "T-2", "name": "Tpr. Ochoa", "role": "trooper", "jurisdictions": ["*"], "on_duty": true}]"#,
    )
    .unwrap();
    a.run(&["responder", "import", roster.to_str().unwrap()]).ok();
    let r = referral("SYNC-2", json!({"urgency": "in_progress"}));
    a.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
    a.run(&["sync", "--hub", &url, "--token", &token]).ok();
    b.run(&["sync", "--hub", &url, "--token", &token]).ok();

    // Both offline, both hand the case off; A reaches the hub first.
    a.run(&["handoff", "SYNC-2", "--to", "T-1"]).ok();
    b.run(&["handoff", "SYNC-2", "--to", "T-2"]).ok();
    a.run(&["sync"]).ok();
    b.run(&["sync"]).ok();
    a.run(&["sync"]).ok();
    for env in [&a, &b] {
        let listed = env.run(&["conflicts"]).ok().stdout;
        assert!(listed.contains("Tpr. Ochoa") && listed.contains("Tpr. Lane"), "{listed}");
        assert!(env.run(&["sync", "status"]).ok().stdout.contains("Conflicts:      1"));
        let queue = env.run(&["--json", "queue"]).ok().json();
        assert_eq!(queue[0]["place"]["reason"], json!("handoff_rejected"), "{queue}");
    }
    b.run(&["conflicts", "resolve", "SYNC-2"]).ok();
    let again = b.run(&["conflicts", "resolve", "SYNC-2"]);
    assert_eq!(again.code, 2, "nothing left to resolve: {}", again.stderr);
    b.run(&["sync"]).ok();
    a.run(&["sync"]).ok();
    for env in [&a, &b] {
        assert_eq!(env.run(&["--json", "conflicts"]).ok().json(), json!([]));
    }
}

/// Events in the store (0 while it does not exist yet), read without writing.
fn events(env: &Env) -> i64 {
    if !env.store.exists() {
        return 0;
    }
    let conn = common::connect(&env.store);
    conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap_or(0)
}

#[test]
fn a_sync_killed_mid_pull_leaves_a_whole_store_and_the_next_one_finishes() {
    let (a, b) = (Env::new(), Env::new());
    let (url, token, _hub) = hub(a.dir.path());
    a.run(&["demo", "--referrals", "1500"]).ok();
    a.run(&["sync", "--hub", &url, "--token", &token]).ok();
    let total = events(&a);
    // B pulls thousands of events, a page per transaction; it is killed
    // (SIGKILL) part way through.
    let mut child = b.cmd().args(["sync", "--hub", &url, "--token", &token]).spawn().unwrap();
    let started = std::time::Instant::now();
    while events(&b) == 0 && child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "B starts receiving");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    child.wait().unwrap();
    let partial = events(&b);
    eprintln!("killed with {partial} of {total} events applied");
    // What B holds is whole pages, consistent; the next sync resumes.
    b.run(&["rebuild"]).ok();
    b.run(&["sync"]).ok();
    assert_eq!(events(&b), total, "every event, once");
    let queue_a = a.run(&["--json", "queue", "--limit", "5000"]).ok().json();
    let queue_b = b.run(&["--json", "queue", "--limit", "5000"]).ok().json();
    assert_eq!(queue_a.as_array().unwrap().len(), queue_b.as_array().unwrap().len());
}

#[test]
fn a_store_restored_from_an_old_copy_is_told_it_has_forked() {
    let a = Env::new();
    let (url, token, _hub) = hub(a.dir.path());
    let r = referral("FORK-1", json!({"urgency": "recent"}));
    a.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
    a.run(&["sync", "--hub", &url, "--token", &token]).ok();
    // A backup, taken now (the store is closed between commands).
    let backup = a.dir.path().join("backup.sqlite3");
    std::fs::copy(&a.store, &backup).unwrap();
    a.run(&["note", "FORK-1", "written after the backup"]).ok();
    a.run(&["sync"]).ok();
    // The disk fails; the backup is restored and work goes on.
    std::fs::copy(&backup, &a.store).unwrap();
    a.run(&["note", "FORK-1", "written on the restored copy"]).ok();
    let refused = a.run(&["sync"]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("forked") && refused.stderr.contains("re-enrol"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("written on the restored copy"), "no note text in the error");
}

/// A hub with people who enrol desktops, all with `password`.
fn hub_with_people(
    dir: &std::path::Path,
    people: &[(&str, beacon_api::domain::UserRole, Option<&str>)],
    password: &str,
) -> (String, Arc<dyn HubDb>, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db: Arc<dyn HubDb> = Arc::new(SqliteHubDb::open(&dir.join("hub.sqlite3")).unwrap());
    let url = runtime.block_on(async {
        db.migrate().await.unwrap();
        for (name, role, responder) in people {
            let user = beacon_hub::people::new_user(name, *role, responder.map(str::to_string), password).unwrap();
            db.save_user(user).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = router(Hub::new(db.clone(), HubConfig::default()).unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    (url, db, runtime)
}

#[test]
fn a_desktop_enrolled_by_a_task_force_member_receives_only_their_cases_until_they_are_disabled() {
    use beacon_api::domain::UserRole;
    let (office, field) = (Env::new(), Env::new());
    let demo = office.run(&["--json", "demo", "--referrals", "150"]).ok().json();
    let trooper = demo["users"][3]["responder_id"].as_str().unwrap().to_string();
    let hub_password = "the hub password";
    let people =
        [("supervisor", UserRole::Supervisor, None), ("taskforce", UserRole::TaskForce, Some(trooper.as_str()))];
    let (url, db, runtime) = hub_with_people(office.dir.path(), &people, hub_password);

    // The office desktop enrols as its supervisor and sends everything.
    let mut enrol = office.cmd();
    enrol.env("BEACON_HUB_PASSWORD", hub_password);
    let enrolled = common::run_command(enrol, &["--json", "sync", "enrol", "--hub", &url, "--device", "office"], None);
    let enrolled = enrolled.ok().json();
    assert_eq!((enrolled["role"].as_str(), enrolled["scope"].as_str()), (Some("supervisor"), Some("all")));
    office.run(&["sync"]).ok();

    // A field laptop, protected by its own admin, enrols as the task-force member.
    let mut init = field.cmd();
    init.env("BEACON_PASSWORD", common::TEST_PASSWORD);
    common::run_command(init, &["init"], None).ok();
    let mut enrol = field.cmd();
    enrol.env("BEACON_USER", "admin").env("BEACON_HUB_PASSWORD", "wrong hub password");
    let wrong = common::run_command(enrol, &["sync", "enrol", "--hub", &url, "--hub-user", "taskforce"], None);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("wrong user name or password"), "{}", wrong.stderr);
    let mut enrol = field.cmd();
    enrol.env("BEACON_USER", "admin").env("BEACON_HUB_PASSWORD", hub_password);
    let args = ["--json", "sync", "enrol", "--hub", &url, "--hub-user", "taskforce", "--device", "field-laptop"];
    let enrolled = common::run_command(enrol, &args, None).ok().json();
    assert_eq!(enrolled["scope"].as_str(), Some(format!("responder:{trooper}").as_str()));
    let mut sync = field.cmd();
    sync.env("BEACON_USER", "admin");
    common::run_command(sync, &["sync"], None).ok();

    // Exactly the cases handed to that trooper, of the office's many.
    let handed = common::count(
        &office.store,
        &format!("SELECT count(DISTINCT case_id) FROM handoffs WHERE responder_id = '{trooper}'"),
    );
    assert!(handed > 0 && handed < office.case_count(), "{handed} of {}", office.case_count());
    assert_eq!(field.case_count(), handed, "the field laptop holds only the trooper's cases");

    // Disabled on the hub: the laptop is refused at once, and says why.
    assert!(runtime.block_on(db.disable_user("taskforce", beacon_hub_db::now_ms())).unwrap());
    let mut sync = field.cmd();
    sync.env("BEACON_USER", "admin");
    let refused = common::run_command(sync, &["sync"], None);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("disabled"), "{}", refused.stderr);
}
