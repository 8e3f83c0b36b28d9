//! People and roles through the real `beacon` binary: protecting a store,
//! accounts, lockout, and each role doing exactly what it may.

mod common;

use common::{Env, TEST_PASSWORD};

/// A run as `user` (with the test password unless `password` says otherwise).
fn as_user(env: &Env, user: &str, args: &[&str]) -> common::Run {
    let mut c = env.cmd();
    c.env("BEACON_USER", user);
    common::run_command(c, args, None)
}

fn demo(env: &Env) -> serde_json::Value {
    env.run(&["--json", "demo", "--referrals", "120"]).ok().json()
}

#[test]
fn init_protects_the_store_and_prints_the_recovery_key_once() {
    let env = Env::new();
    let run = env.run(&["init", "--admin", "chief"]).ok();
    assert!(run.stdout.contains("chief is its first admin"), "{}", run.stdout);
    let key_line = run.stdout.lines().find(|l| l.starts_with("  ")).expect("the recovery key line").trim().to_string();
    assert_eq!(key_line.len(), 39, "{key_line}");
    assert!(!run.stdout.contains(TEST_PASSWORD), "a password given is not printed back");

    // Signed out, nothing works; the error says how to sign in.
    let mut c = env.cmd();
    c.env_remove("BEACON_USER");
    let refused = common::run_command(c, &["queue"], None);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("sign in first"), "{}", refused.stderr);

    // A second init changes nothing and prints no key.
    let again = env.run(&["init"]).ok();
    assert!(!again.stdout.contains(&key_line));

    // The admin adds a dispatcher; an admin reads no case.
    let mut add = env.cmd();
    add.env("BEACON_USER", "chief").env("BEACON_NEW_PASSWORD", "dispatcher password");
    common::run_command(add, &["user", "add", "dana", "--role", "dispatcher"], None).ok();
    let admin_queue = as_user(&env, "chief", &["queue"]);
    assert_eq!(admin_queue.code, 2);
    assert!(admin_queue.stderr.contains("an administrator may not read the queue"), "{}", admin_queue.stderr);
    let mut dana = env.cmd();
    dana.env("BEACON_USER", "dana").env("BEACON_PASSWORD", "dispatcher password");
    common::run_command(dana, &["queue"], None).ok();

    // The key file holds no password; the log names who did what, never a password.
    let keys = std::fs::read_to_string(env.dir.path().join("store.sqlite3.keys")).unwrap();
    assert!(!keys.contains("dispatcher password") && !keys.contains(TEST_PASSWORD));
    let log = common::query_strings(&env.store, "SELECT kind || ' ' || actor || ' ' || body FROM events");
    assert!(log.iter().any(|e| e.starts_with("account_saved chief") && e.contains("\"dana\"")), "{log:?}");
    assert!(log.iter().all(|e| !e.contains("dispatcher password") && !e.contains(TEST_PASSWORD)));
}

#[test]
fn the_recovery_key_sets_a_lost_admin_password() {
    let env = Env::new();
    let run = env.run(&["--json", "init"]).ok().json();
    let key = run["recovery_key"].as_str().unwrap().to_string();
    let mut c = env.cmd();
    c.env("BEACON_RECOVERY_KEY", "AAAA-BBBB-CCCC").env("BEACON_NEW_PASSWORD", "a brand new password");
    let wrong = common::run_command(c, &["user", "passwd", "admin", "--recovery"], None);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("recovery key does not open"), "{}", wrong.stderr);
    let mut c = env.cmd();
    c.env("BEACON_RECOVERY_KEY", key.to_lowercase()).env("BEACON_NEW_PASSWORD", "a brand new password");
    common::run_command(c, &["user", "passwd", "admin", "--recovery"], None).ok();
    let mut c = env.cmd();
    c.env("BEACON_USER", "admin").env("BEACON_PASSWORD", "a brand new password");
    common::run_command(c, &["user", "list"], None).ok();
    assert_eq!(as_user(&env, "admin", &["user", "list"]).code, 2, "the old password is gone");
}

#[test]
fn five_wrong_passwords_lock_an_account_until_an_admin_unlocks_it() {
    let env = Env::new();
    demo(&env);
    let wrong = |n: usize| {
        let mut c = env.cmd();
        c.env("BEACON_USER", "dispatcher").env("BEACON_PASSWORD", "not the password");
        let run = common::run_command(c, &["queue"], None);
        assert_eq!(run.code, 2, "attempt {n}");
        assert!(!run.stderr.contains("not the password"), "the password is never echoed");
        run.stderr
    };
    for n in 1..=4 {
        assert!(wrong(n).contains("wrong user name or password"));
    }
    assert!(wrong(5).contains("dispatcher is locked"));
    let locked = as_user(&env, "dispatcher", &["queue"]);
    assert!(locked.stderr.contains("locked"), "the right password waits too: {}", locked.stderr);
    let list = as_user(&env, "admin", &["--json", "user", "list"]).ok().json();
    let row = list.as_array().unwrap().iter().find(|u| u["name"] == "dispatcher").unwrap().clone();
    assert!(row["locked_until"].is_string(), "{row}");
    assert_eq!(as_user(&env, "supervisor", &["user", "unlock", "dispatcher"]).code, 2, "only an admin unlocks");
    as_user(&env, "admin", &["user", "unlock", "dispatcher"]).ok();
    as_user(&env, "dispatcher", &["queue"]).ok();
    // An unknown name reads exactly like a wrong password.
    let unknown = as_user(&env, "mallory", &["queue"]);
    assert!(unknown.stderr.contains("wrong user name or password"), "{}", unknown.stderr);
}

#[test]
fn a_disabled_account_cannot_sign_in_and_nobody_disables_themselves() {
    let env = Env::new();
    demo(&env);
    let own = as_user(&env, "admin", &["user", "disable", "admin"]);
    assert_eq!(own.code, 2);
    as_user(&env, "admin", &["user", "disable", "dispatcher"]).ok();
    let refused = as_user(&env, "dispatcher", &["queue"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("wrong user name or password"), "{}", refused.stderr);
    let list = as_user(&env, "admin", &["--json", "user", "list"]).ok().json();
    let row = list.as_array().unwrap().iter().find(|u| u["name"] == "dispatcher").unwrap().clone();
    assert_eq!((row["disabled"].as_bool(), row["can_sign_in"].as_bool()), (Some(true), Some(false)));
}

#[test]
fn each_role_does_exactly_what_it_may() {
    let env = Env::new();
    let report = demo(&env);
    let users = report["users"].as_array().unwrap();
    let names: Vec<&str> = users.iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin", "dispatcher", "supervisor", "taskforce"]);
    let trooper = users[3]["responder_id"].as_str().expect("the task-force user is a trooper").to_string();

    // The cases handed to the task-force user, and one that is not.
    let mine = as_user(&env, "taskforce", &["--json", "mine"]).ok().json();
    let mine: Vec<String> = mine.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert!(!mine.is_empty(), "the demo's task-force trooper has open cases");
    let all = as_user(&env, "dispatcher", &["--json", "queue", "--limit", "500"]).ok().json();
    let other = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .find(|id| !mine.contains(id))
        .expect("a case not handed to the trooper");
    let theirs = &mine[0];

    // (role, command, allowed)
    let table: Vec<(&str, Vec<&str>, bool)> = vec![
        ("dispatcher", vec!["queue"], true),
        ("supervisor", vec!["queue"], true),
        ("taskforce", vec!["queue"], false),
        ("admin", vec!["queue"], false),
        ("taskforce", vec!["show", theirs], true),
        ("taskforce", vec!["show", &other], false),
        ("taskforce", vec!["audit", &other], false),
        ("admin", vec!["show", theirs], false),
        ("dispatcher", vec!["show", &other], true),
        ("taskforce", vec!["note", theirs, "seen from the field"], true),
        ("taskforce", vec!["note", &other, "not mine"], false),
        ("taskforce", vec!["triage", theirs, "--priority", "P1", "--reason", "field"], false),
        ("dispatcher", vec!["triage", &other, "--priority", "P2", "--reason", "checked"], true),
        ("dispatcher", vec!["conflicts", "resolve", &other], false),
        ("dispatcher", vec!["user", "list"], false),
        ("supervisor", vec!["user", "list"], false),
        ("admin", vec!["user", "list"], true),
        ("dispatcher", vec!["config", "link-window", "30"], false),
        ("admin", vec!["config", "link-window", "30"], true),
        ("dispatcher", vec!["responder", "duty", &trooper, "on"], true),
        ("taskforce", vec!["responder", "duty", &trooper, "off"], false),
        ("dispatcher", vec!["rebuild"], false),
        ("supervisor", vec!["audit", "verify"], true),
        ("taskforce", vec!["stats"], false),
        ("supervisor", vec!["stats"], true),
    ];
    for (role, args, allowed) in &table {
        let run = as_user(&env, role, args);
        if *allowed {
            assert_eq!(run.code, 0, "{role} {args:?} should work: {}", run.stderr);
        } else {
            assert_eq!(run.code, 2, "{role} {args:?} should be refused: {}", run.stderr);
            assert!(
                run.stderr.contains("may not") || run.stderr.contains("not one of the cases handed to you"),
                "{role} {args:?}: {}",
                run.stderr
            );
        }
    }
    // The refusals wrote nothing: the triage the task force tried is not in the log.
    let audit = as_user(&env, "supervisor", &["--json", "audit", theirs]).ok().json();
    let kinds: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&"priority_overridden"), "{kinds:?}");
    // Who opened the case is on its record.
    let viewers: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "case_viewed")
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(viewers.contains(&"taskforce"), "{viewers:?}");
}

#[test]
fn overriding_the_sharing_policy_needs_a_reason_a_role_and_is_recorded() {
    let env = Env::new();
    demo(&env);
    let tip = common::referral(
        "OVR-1",
        serde_json::json!({
            "potential_victims": {"count": 1, "description": "woman in a red coat"},
            "reporter": {"kind": "community_member", "name": "R", "phone": "5735550100", "contact_ok": false},
            "consent": {"share_identifying_info": false}
        }),
    );
    let mut c = env.cmd();
    c.env("BEACON_USER", "dispatcher");
    common::run_command(c, &["referral", "add", "-"], Some(tip.to_string().as_bytes())).ok();
    let roster = as_user(&env, "dispatcher", &["--json", "responder", "list"]).ok().json();
    let trooper =
        roster.as_array().unwrap().iter().find(|r| r["role"] == "trooper").unwrap()["id"].as_str().unwrap().to_string();

    let plain = ["--json", "handoff", "OVR-1", "--to", &trooper];
    let no_reason = as_user(&env, "dispatcher", &[&plain[..], &["--override-sharing", "  "]].concat());
    assert_eq!(no_reason.code, 2);
    assert!(no_reason.stderr.contains("override reason"), "{}", no_reason.stderr);
    let taskforce = as_user(&env, "taskforce", &[&plain[..], &["--override-sharing", "court order"]].concat());
    assert_eq!(taskforce.code, 2);
    assert!(taskforce.stderr.contains("may not hand off"), "{}", taskforce.stderr);
    let handed =
        as_user(&env, "dispatcher", &[&plain[..], &["--override-sharing", "court order 24-112"]].concat()).ok().json();
    let shared: Vec<&str> = handed["shared_fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let withheld: Vec<&str> =
        handed["withheld_fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(shared.contains(&"potential_victims.description"), "{shared:?}");
    assert!(withheld.contains(&"reporter.name") && !shared.contains(&"reporter.phone"), "never the reporter");
    let audit = as_user(&env, "supervisor", &["--json", "audit", "OVR-1"]).ok().json();
    let line = audit.as_array().unwrap().iter().find(|e| e["kind"] == "handed_off").unwrap()["summary"].clone();
    assert!(line.as_str().unwrap().contains("sharing policy overridden: court order 24-112"), "{line}");
}

/// Words of one referral that must never be readable in the store's files.
const SECRETS: [&str; 3] = ["Anneliese Okonkwo-Brandt", "816-555-0193", "kept behind the nail salon on Troost"];

/// Every file beside the store, as bytes, holds none of [`SECRETS`].
#[track_caller]
fn assert_nothing_readable(env: &Env) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            continue; // the referral file the test wrote
        }
        let bytes = std::fs::read(&path).unwrap();
        for secret in SECRETS {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds {secret:?} in plain text",
                path.display()
            );
        }
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    names
}

#[test]
fn a_protected_store_is_encrypted_on_disk_and_rekey_rotates_its_key() {
    let env = Env::new();
    demo(&env);
    let tip = common::referral(
        "ENC-CLI-1",
        serde_json::json!({
            "narrative": format!("{} says she is {}.", SECRETS[0], SECRETS[2]),
            "reporter": {"kind": "victim", "name": SECRETS[0], "phone": SECRETS[1], "contact_ok": true},
        }),
    );
    let file = env.write("tip.json", tip.to_string().as_bytes());
    as_user(&env, "dispatcher", &["referral", "add", file.to_str().unwrap()]).ok();
    let shown = as_user(&env, "dispatcher", &["show", "ENC-CLI-1"]).ok();
    assert!(shown.stdout.contains(SECRETS[2]), "signed in, the dispatcher reads it: {}", shown.stdout);

    // The store file, its WAL and anything else beside it: no readable byte of it.
    let files = assert_nothing_readable(&env);
    assert!(files.contains(&"store.sqlite3".to_string()), "{files:?}");
    assert!(!std::fs::read(&env.store).unwrap().starts_with(b"SQLite format 3"), "not a plain SQLite file");
    // A plain SQLite tool reads nothing.
    let plain = rusqlite::Connection::open(&env.store).unwrap();
    assert!(plain.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0)).is_err());
    drop(plain);
    let status = env.run(&["--json", "store"]).ok().json();
    assert_eq!((status["protected"].as_bool(), status["encrypted"].as_bool()), (Some(true), Some(true)));

    // Rotating the key: only an admin; afterwards the old key opens nothing,
    // the passwords are unchanged and every case is still there.
    let old_key = {
        let mut keys = beacon_api::auth::KeyFile::load(&beacon_api::auth::KeyFile::beside(&env.store)).unwrap();
        keys.sign_in("supervisor", TEST_PASSWORD, chrono::Utc::now()).unwrap().data_key().sqlcipher_literal()
    };
    let before = env.case_count();
    assert_eq!(as_user(&env, "dispatcher", &["rekey"]).code, 2, "a dispatcher may not rekey");
    let run = as_user(&env, "admin", &["rekey"]).ok();
    assert!(run.stdout.contains("new key"), "{}", run.stdout);
    let with_old = rusqlite::Connection::open(&env.store).unwrap();
    with_old.execute_batch(&format!("PRAGMA key = \"{}\";", old_key.as_str())).unwrap();
    assert!(with_old.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0)).is_err());
    drop(with_old);
    assert_eq!(env.case_count(), before);
    as_user(&env, "dispatcher", &["show", "ENC-CLI-1"]).ok();
    let files = assert_nothing_readable(&env);
    assert!(files.iter().all(|f| !f.contains("encrypting")), "no copy left behind: {files:?}");
}
