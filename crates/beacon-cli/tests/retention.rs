//! Retention and purging through the real `beacon` binary: who may purge,
//! the retention's floor, a purged case gone from the store and, through a
//! real hub on loopback, from the hub's file and another desktop, with its
//! audit kept and every chain still verifying.

mod common;

use common::{Env, referral};
use serde_json::json;

/// What the purged case says: in no store, and not on the hub, afterwards.
const SECRET: &str = "Zephyrine Quillfeather";

fn as_user(env: &Env, user: &str, args: &[&str]) -> common::Run {
    let mut c = env.cmd();
    c.env("BEACON_USER", user);
    common::run_command(c, args, None)
}

fn add_closed_case(env: &Env, external_id: &str) {
    let tip = referral(external_id, json!({"narrative": format!("{SECRET} asked for help at the motel.")}));
    env.run_with_stdin(&["referral", "add", "-"], Some(tip.to_string().as_bytes())).ok();
    env.run(&["note", external_id, &format!("{SECRET} is safe with family")]).ok();
    env.run(&["status", external_id, "closed", "--disposition", "referred to services"]).ok();
}

fn case_id(env: &Env, external_id: &str) -> String {
    env.run(&["--json", "show", external_id]).ok().json()["id"].as_str().unwrap().to_string()
}

#[test]
fn only_a_supervisor_purges_a_closed_case_and_its_audit_stays() {
    let env = Env::new();
    env.run(&["--json", "demo", "--referrals", "60"]).ok();
    add_closed_case(&env, "PURGE-CLI-1");
    let full_id = case_id(&env, "PURGE-CLI-1");

    // Who may: a supervisor (the environment's default user), not a dispatcher.
    let refused = as_user(&env, "dispatcher", &["purge", "--case", "PURGE-CLI-1", "--reason", "court order"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("may not purge closed cases"), "{}", refused.stderr);
    let no_reason = env.run(&["purge", "--case", "PURGE-CLI-1"]);
    assert_eq!(no_reason.code, 2, "a purge by hand says why: {}", no_reason.stderr);

    // The retention has a floor, and purging by it needs one set.
    let unset = env.run(&["purge"]);
    assert_eq!(unset.code, 2);
    assert!(unset.stderr.contains("no retention is set"), "{}", unset.stderr);
    let short = env.run(&["retention", "set", "--closed-cases", "7"]);
    assert_eq!(short.code, 2);
    assert!(short.stderr.contains("closed_case_days") && short.stderr.contains("at least 30"), "{}", short.stderr);
    let set = env.run(&["--json", "retention", "set", "--closed-cases", "365"]).ok().json();
    assert_eq!(set["closed_case_days"], json!(365));
    let cases = env.case_count();
    let dry = env.run(&["--json", "purge", "--dry-run"]).ok().json();
    assert_eq!(dry["dry_run"], json!(true));
    assert!(dry["cases"].as_array().unwrap().iter().all(|c| c["case"] != json!(full_id)), "closed today: kept a year");
    assert_eq!(env.case_count(), cases, "a dry run changes nothing");

    // An open case is not purged.
    let open = env.run(&["--json", "queue", "--limit", "1"]).ok().json();
    let open_id = open[0]["id"].as_str().unwrap();
    let not_closed = env.run(&["purge", "--case", open_id, "--reason", "court order"]);
    assert_eq!(not_closed.code, 2);
    assert!(not_closed.stderr.contains("is not closed"), "{}", not_closed.stderr);

    // The closed one, by hand: gone, and nothing of it is shown.
    let purged = env.run(&["--json", "purge", "--case", "PURGE-CLI-1", "--reason", "court order"]).ok().json();
    assert_eq!(purged["cases"][0]["case"], json!(full_id));
    assert_eq!(purged["cases"][0]["events_redacted"], json!(4), "the referral, the note, the closure, one view");
    assert_eq!(env.case_count(), cases - 1);
    assert_eq!(env.run(&["show", "PURGE-CLI-1"]).code, 2, "the case is gone");
    assert!(env.run(&["search", "Zephyrine"]).ok().stdout.lines().all(|l| !l.contains("PURGE-CLI-1")));

    // Its audit stays, by the full id: who did what, and when.
    let trail = env.run(&["--json", "audit", &full_id]).ok().json();
    let trail = trail.as_array().unwrap();
    let kinds: Vec<&str> = trail.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["redacted", "redacted", "redacted", "redacted", "case_purged"], "{trail:?}");
    assert!(trail.iter().all(|e| !e.to_string().contains("Zephyrine")));
    assert_eq!(trail[1]["payload"]["kind"], json!("note_added"));
    let shown = env.run(&["audit", &full_id]).ok().stdout;
    assert!(shown.contains("details removed by a purge") && shown.contains("case purged (court order)"), "{shown}");
    let verified = env.run(&["audit", "verify"]).ok();
    assert!(verified.stdout.contains("Every chain is whole"), "{}", verified.stdout);
}

#[test]
fn a_purge_reaches_the_hub_and_every_desktop_through_sync() {
    let (a, b) = (Env::new(), Env::new());
    let hub_file = a.dir.path().join("hub.sqlite3");
    let (url, token, _hub) = common::hub::serve(&hub_file);
    add_closed_case(&a, "PURGE-SYNC-1");
    let full_id = case_id(&a, "PURGE-SYNC-1");
    a.run(&["sync", "--hub", &url, "--token", &token]).ok();
    b.run(&["sync", "--hub", &url, "--token", &token]).ok();
    assert!(b.run(&["show", "PURGE-SYNC-1"]).ok().stdout.contains("Zephyrine"));

    a.run(&["purge", "--case", "PURGE-SYNC-1", "--reason", "court order"]).ok();
    a.run(&["sync"]).ok();
    b.run(&["sync"]).ok();

    // The hub's copy is redacted, and so is B's.
    let hub = rusqlite::Connection::open(&hub_file).unwrap();
    let leaked: i64 =
        hub.query_row("SELECT count(*) FROM events WHERE body LIKE '%Zephyrine%'", [], |r| r.get(0)).unwrap();
    assert_eq!(leaked, 0, "the hub keeps nothing the case said");
    let redacted: i64 = hub
        .query_row("SELECT count(*) FROM events WHERE case_id = ?1 AND kind = 'redacted'", [&full_id], |r| r.get(0))
        .unwrap();
    assert!(redacted >= 4, "{redacted}");
    assert_eq!(b.run(&["show", "PURGE-SYNC-1"]).code, 2, "gone from B");
    assert_eq!(common::count(&b.store, "SELECT count(*) FROM events WHERE body LIKE '%Zephyrine%'"), 0);
    let trail = b.run(&["--json", "audit", &full_id]).ok().json();
    assert_eq!(trail.as_array().unwrap().last().unwrap()["kind"], json!("case_purged"));
    for env in [&a, &b] {
        assert!(env.run(&["audit", "verify"]).ok().stdout.contains("Every chain is whole"));
    }

    // A desktop that joins later receives the redacted log, and no case.
    let c = Env::new();
    c.run(&["sync", "--hub", &url, "--token", &token]).ok();
    assert_eq!(c.run(&["show", "PURGE-SYNC-1"]).code, 2);
    assert_eq!(common::count(&c.store, "SELECT count(*) FROM events WHERE body LIKE '%Zephyrine%'"), 0);
    assert!(c.run(&["audit", "verify"]).ok().stdout.contains("Every chain is whole"));
}
