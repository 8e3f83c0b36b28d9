//! `beacon-hub` as an operator runs it: tokens made once and kept only as
//! hashes, mistakes refused with exit code 2, plain HTTP only on loopback.

use std::process::{Command, Output};

fn hub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_beacon-hub")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_token_is_printed_once_and_stored_only_as_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite3");
    let db = format!("sqlite:{}", path.display());
    let out = hub(&["token", "create", "--db", &db, "--role", "intake", "--name", "hotline-feed"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    assert!(token.starts_with("bkn_") && token.len() == 68, "{token}");

    let listed = hub(&["token", "list", "--db", &db]);
    let listed = text(&listed.stdout);
    assert!(listed.contains("hotline-feed") && listed.contains("intake") && listed.contains("active"), "{listed}");
    assert!(!listed.contains(&token[4..]), "the list never shows the secret");
    // Not in the database file either.
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token is not stored");

    let again = hub(&["token", "create", "--db", &db, "--role", "device", "--name", "hotline-feed"]);
    assert_eq!(again.status.code(), Some(2), "a name in use: {}", text(&again.stderr));

    assert!(hub(&["token", "revoke", "--db", &db, "hotline-feed"]).status.success());
    assert!(text(&hub(&["token", "list", "--db", &db]).stdout).contains("revoked"));
    let unknown = hub(&["token", "revoke", "--db", &db, "nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no token is named"));
}

#[test]
fn mistakes_are_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite3").display());
    let bad_role = hub(&["token", "create", "--db", &db, "--role", "root", "--name", "x"]);
    assert_eq!(bad_role.status.code(), Some(2));
    let bad_scope = hub(&["token", "create", "--db", &db, "--role", "device", "--name", "x", "--scope", "county:5"]);
    assert_eq!(bad_scope.status.code(), Some(2));
    let bad_db = hub(&["migrate", "--db", "mysql://somewhere"]);
    assert_eq!(bad_db.status.code(), Some(2));
    let exposed = hub(&["serve", "--db", &db, "--listen", "0.0.0.0:0"]);
    assert_eq!(exposed.status.code(), Some(2));
    assert!(text(&exposed.stderr).contains("loopback"), "{}", text(&exposed.stderr));
}

#[test]
fn tokens_are_managed_the_same_on_postgresql() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(beacon_hub_db::testing::fresh_postgres_database()) else { return };
    let out = hub(&["token", "create", "--db", &url, "--role", "device", "--name", "laptop-c-7", "--scope", "troop:C"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim().starts_with("bkn_"));
    let listed = text(&hub(&["token", "list", "--db", &url]).stdout);
    assert!(listed.contains("laptop-c-7") && listed.contains("troop:C") && listed.contains("active"), "{listed}");
    assert!(hub(&["token", "revoke", "--db", &url, "laptop-c-7"]).status.success());
    assert!(text(&hub(&["token", "list", "--db", &url]).stdout).contains("revoked"));
}

#[test]
fn a_sqlite_hub_database_with_a_key_is_encrypted_and_opens_only_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite3");
    let db = format!("sqlite:{}", path.display());
    let key_file = dir.path().join("hub.key");
    std::fs::write(&key_file, "correct horse battery staple hub\n").unwrap();
    let key = key_file.to_str().unwrap();
    let run = |args: &[&str], env_key: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_beacon-hub"));
        c.args(args).env_remove("BEACON_HUB_DB_KEY");
        if let Some(k) = env_key {
            c.env("BEACON_HUB_DB_KEY", k);
        }
        c.output().unwrap()
    };
    let name = "laptop-of-sergeant-whitcombe";
    let made = run(&["token", "create", "--db", &db, "--db-key-file", key, "--role", "device", "--name", name], None);
    assert!(made.status.success(), "{}", text(&made.stderr));

    // Every file of the database: nothing readable, not even a token's name.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let file = entry.unwrap().path();
        if file == key_file {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{} is readable", file.display());
    }
    assert!(!std::fs::read(&path).unwrap().starts_with(b"SQLite format 3"));

    // The key from the environment opens it too; a wrong one and none do not.
    let listed = run(&["token", "list", "--db", &db], Some("correct horse battery staple hub"));
    assert!(text(&listed.stdout).contains(name), "{}", text(&listed.stderr));
    let wrong = run(&["token", "list", "--db", &db], Some("not the key of this hub"));
    assert!(!wrong.status.success());
    assert!(text(&wrong.stderr).contains("this key does not open the hub database"), "{}", text(&wrong.stderr));
    let none = run(&["token", "list", "--db", &db], None);
    assert!(!none.status.success());
    assert!(text(&none.stderr).contains("the hub database is encrypted"), "{}", text(&none.stderr));
    let short = run(&["token", "list", "--db", &db], Some("short"));
    assert_eq!(short.status.code(), Some(2), "{}", text(&short.stderr));
}

#[test]
fn people_are_added_listed_and_disabled_with_their_devices() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite3").display());
    let user = |args: &[&str], password: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_beacon-hub"));
        c.arg("user").args(args).env_remove("BEACON_NEW_PASSWORD").stdin(std::process::Stdio::null());
        if let Some(p) = password {
            c.env("BEACON_NEW_PASSWORD", p);
        }
        c.output().unwrap()
    };
    let added = user(&["add", "--db", &db, "dana", "--role", "dispatcher"], Some("dana's hub password"));
    assert!(added.status.success(), "{}", text(&added.stderr));
    let again = user(&["add", "--db", &db, "dana", "--role", "supervisor"], Some("dana's hub password"));
    assert_eq!(again.status.code(), Some(2), "a name in use: {}", text(&again.stderr));
    let short = user(&["add", "--db", &db, "sam", "--role", "supervisor"], Some("short"));
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("password"), "{}", text(&short.stderr));
    let no_responder = user(&["add", "--db", &db, "tess", "--role", "task_force"], Some("tess's hub password"));
    assert_eq!(no_responder.status.code(), Some(2), "a task-force member is a responder");
    let no_password = user(&["add", "--db", &db, "lee", "--role", "dispatcher"], None);
    assert_eq!(no_password.status.code(), Some(2), "{}", text(&no_password.stderr));

    let listed = text(&user(&["list", "--db", &db], None).stdout);
    assert!(listed.contains("dana") && listed.contains("dispatcher") && listed.contains("active"), "{listed}");
    assert!(!listed.contains("password"), "{listed}");
    let bytes = std::fs::read(dir.path().join("hub.sqlite3")).unwrap();
    let secret = b"dana's hub password";
    assert!(!bytes.windows(secret.len()).any(|w| w == secret), "no password is stored");

    assert!(user(&["disable", "--db", &db, "dana"], None).status.success());
    assert!(text(&user(&["list", "--db", &db], None).stdout).contains("disabled"));
    assert_eq!(user(&["disable", "--db", &db, "nobody"], None).status.code(), Some(2));
}

#[test]
fn a_responder_is_given_a_webhook_and_its_secret_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite3").display());
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let url = "https://cad.troop-c.example.gov/beacon";
    let set = hub(&["channel", "set", "--db", &db, "C-T1", "--webhook", url, "--webhook-secret", secret]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let listed = text(&hub(&["channel", "list", "--db", &db]).stdout);
    assert!(listed.contains("C-T1") && listed.contains(url) && listed.contains("active"), "{listed}");
    assert!(!listed.contains(&secret[6..]), "the list never shows a secret");

    // Mistakes: exit code 2, naming the responder and the field, never the secret.
    let plain = hub(&[
        "channel",
        "set",
        "--db",
        &db,
        "C-T1",
        "--webhook",
        "http://cad.example.gov/x",
        "--webhook-secret",
        secret,
    ]);
    assert_eq!(plain.status.code(), Some(2));
    assert!(text(&plain.stderr).contains("responder C-T1: webhook"), "{}", text(&plain.stderr));
    let bad_secret = "whsec_bm90IGEga2V5";
    let short = hub(&["channel", "set", "--db", &db, "C-T1", "--webhook", url, "--webhook-secret", bad_secret]);
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("webhook secret") && !text(&short.stderr).contains(bad_secret));
    let no_secret = hub(&["channel", "set", "--db", &db, "C-T1", "--webhook", url]);
    assert_eq!(no_secret.status.code(), Some(2), "a webhook needs a secret");

    // Cleared: no channel, and the list says so.
    assert!(hub(&["channel", "set", "--db", &db, "C-T1"]).status.success());
    assert!(text(&hub(&["channel", "list", "--db", &db]).stdout).contains("no channel"));
}

#[test]
fn the_mail_server_and_targets_are_set_checked_and_listed_without_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite3").display());
    let listed = text(&hub(&["config", "list", "--db", &db]).stdout);
    assert!(listed.contains("ack-target.P1") && listed.contains("15m  (default)"), "{listed}");
    let url = "smtps://beacon:hunter2-long@mail.example.org:465";
    for (key, value) in [("smtp.url", url), ("smtp.from", "beacon@example.org"), ("ack-target.P1", "600s")] {
        let set = hub(&["config", "set", "--db", &db, key, value]);
        assert!(set.status.success(), "{}", text(&set.stderr));
        assert!(!text(&set.stderr).contains("hunter2"));
    }
    let listed = text(&hub(&["config", "list", "--db", &db]).stdout);
    assert!(listed.contains("smtps://beacon:••••@mail.example.org:465") && !listed.contains("hunter2"), "{listed}");
    assert!(listed.contains("ack-target.P1        10m\n"), "durations are written one way: {listed}");

    // Plain SMTP to another machine, an unknown key, a bad duration: exit 2, the value never echoed.
    for (key, value) in [("smtp.url", "smtp://user:pw-secret@"), ("smtp.port", "25"), ("ack-target.P2", "soon")] {
        let refused = hub(&["config", "set", "--db", &db, key, value]);
        assert_eq!(refused.status.code(), Some(2), "{key}");
        assert!(
            text(&refused.stderr).contains(key) && !text(&refused.stderr).contains(value),
            "{}",
            text(&refused.stderr)
        );
    }

    let set = hub(&["channel", "set", "--db", &db, "C-T2", "--email", "trooper@example.org"]);
    assert!(set.status.success() && text(&set.stderr).contains("by email"), "{}", text(&set.stderr));
    assert!(text(&hub(&["channel", "list", "--db", &db]).stdout).contains("trooper@example.org"));
    let bad = hub(&["channel", "set", "--db", &db, "C-T2", "--email", "not an address"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("responder C-T2: email"), "{}", text(&bad.stderr));
}
