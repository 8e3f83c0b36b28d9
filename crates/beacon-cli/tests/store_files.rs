//! The store file itself, through the real `beacon` binary: what opening a
//! file that is not a usable Beacon store says, and what it leaves behind.

mod common;

use common::{Env, referral};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `n` bytes that are not an SQLite file (a fixed xorshift sequence).
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A hash of the file's bytes, to compare before and after.
fn hash(path: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::read(path).unwrap().hash(&mut h);
    h.finish()
}

/// The files in the store's directory, by name.
fn files(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_its_cause_said_once() {
    let env = Env::new();
    std::fs::write(&env.store, noise(4096)).unwrap();
    let before = hash(&env.store);
    let run = env.run(&["queue"]);
    assert_ne!(run.code, 0);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one message: {}", run.stderr);
    assert_eq!(run.stderr.matches("not a database").count(), 1, "{}", run.stderr);
    let parts: Vec<&str> = lines[0].split(": ").collect();
    for (i, p) in parts.iter().enumerate() {
        assert!(!parts[i + 1..].contains(p), "`{p}` repeated in {}", run.stderr);
    }
    assert_eq!(hash(&env.store), before, "the file is unchanged");
    assert_eq!(files(&env), ["store.sqlite3"], "nothing created beside it");
}

#[test]
fn importing_a_missing_file_names_it_and_creates_no_store() {
    let mut env = Env::new();
    // Neither the store nor its directory exists yet.
    env.store = env.dir.path().join("data").join("store.sqlite3");
    let missing = env.dir.path().join("no-such-referrals.jsonl");
    let missing = missing.to_str().unwrap();
    for args in
        [&["referral", "import", missing][..], &["referral", "add", missing][..], &["responder", "import", missing][..]]
    {
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("no-such-referrals.jsonl"), "{args:?} names the file: {}", run.stderr);
        assert!(!env.store.exists(), "{args:?} created the store");
        assert!(files(&env).is_empty(), "{args:?} left {:?}", files(&env));
    }
}

#[test]
fn another_applications_database_is_refused_and_left_unchanged() {
    let env = Env::new();
    let conn = rusqlite::Connection::open(&env.store).unwrap();
    conn.execute_batch("CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('one');").unwrap();
    drop(conn);
    let before = hash(&env.store);
    for args in [&["queue"][..], &["init"][..]] {
        let run = env.run(args);
        assert_ne!(run.code, 0, "{args:?}");
        assert!(run.stderr.contains("is not a Beacon store"), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert_eq!(hash(&env.store), before, "{args:?} changed the file");
        assert_eq!(files(&env), ["store.sqlite3"]);
    }
}

#[test]
fn a_store_from_a_newer_beacon_is_refused_and_left_unchanged() {
    let env = Env::new();
    env.run(&["queue"]).ok();
    let conn = rusqlite::Connection::open(&env.store).unwrap();
    conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA user_version = 999;").unwrap();
    drop(conn);
    let before = hash(&env.store);
    let run = env.run(&["queue"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("newer Beacon"), "{}", run.stderr);
    assert_eq!(hash(&env.store), before, "the refused store is unchanged");
    assert_eq!(files(&env), ["store.sqlite3"]);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn beside(store: &Path, suffix: &str) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[test]
fn a_new_store_its_wal_shm_and_directory_are_private_whatever_the_umask() {
    for umask in ["000", "022"] {
        let mut env = Env::new();
        let data = env.dir.path().join("data");
        env.store = data.join("store.sqlite3");
        // An import from standard input holds the store open while it waits
        // for input, so the -wal and -shm it made can be looked at.
        let mut child = env
            .cmd_with_umask(umask)
            .args(["referral", "import", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (wal, shm) = (beside(&env.store, "-wal"), beside(&env.store, "-shm"));
        let start = Instant::now();
        while !(wal.exists() && shm.exists()) {
            assert!(start.elapsed() < Duration::from_secs(20), "umask {umask}: the store was not opened");
            std::thread::sleep(Duration::from_millis(10));
        }
        let modes = [mode(&data), mode(&env.store), mode(&wal), mode(&shm)];
        let line = format!("{}\n", referral("P-1", serde_json::json!({})));
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), line.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(modes, [0o700, 0o600, 0o600, 0o600], "umask {umask}: directory, store, -wal, -shm");
        assert_eq!(mode(&env.store), 0o600);
        assert_eq!(env.case_count(), 1);
    }
}

#[test]
fn a_store_left_readable_by_others_is_tightened_when_opened() {
    let env = Env::new();
    env.run(&["queue"]).ok();
    // A store from before, readable by all, with the -wal and -shm of a
    // connection still open (or of a crash) beside it, in a directory the
    // person chose and shares.
    set_mode(&env.store, 0o644);
    let other = rusqlite::Connection::open(&env.store).unwrap();
    other.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0)).unwrap();
    let (wal, shm) = (beside(&env.store, "-wal"), beside(&env.store, "-shm"));
    for f in [&wal, &shm] {
        set_mode(f, 0o644);
    }
    set_mode(env.dir.path(), 0o755);
    env.run_with_umask("000", &["queue"]).ok();
    assert_eq!([mode(&env.store), mode(&wal), mode(&shm)], [0o600; 3], "store, -wal, -shm");
    assert_eq!(mode(env.dir.path()), 0o755, "a directory Beacon did not create is left as it is");
    drop(other);
}

#[test]
fn beacons_own_data_directory_is_kept_private() {
    let env = Env::new();
    let xdg = env.dir.path().join("xdg");
    let own = xdg.join("beacon");
    std::fs::create_dir_all(&own).unwrap();
    set_mode(&xdg, 0o755);
    set_mode(&own, 0o755);
    let mut c = env.cmd_with_umask("022");
    c.env_remove("BEACON_STORE").env("XDG_DATA_HOME", &xdg).env("HOME", env.dir.path());
    let run = common::run_command(c, &["--json", "init"], None).ok();
    let store = PathBuf::from(run.json()["store"].as_str().unwrap());
    assert_eq!(store.parent(), Some(own.as_path()), "the default place");
    assert_eq!(mode(&own), 0o700, "Beacon's data directory");
    assert_eq!(mode(&store), 0o600);
    assert_eq!(mode(&xdg), 0o755, "the directory above it is not Beacon's");
}

/// Every file in `dir`: name, mode (octal) and a hash of its bytes.
fn snapshot(dir: &Path) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), format!("{:o}", mode(&p)), hash(&p))
        })
        .collect();
    v.sort();
    v
}

/// Read commands work on a store this user may not change and leave
/// nothing behind; commands that change it say it is read-only.
///
/// The tests run as root, whom modes do not stop: Beacon takes a file or
/// directory whose mode has no write bit as read-only whoever runs it and
/// opens it with SQLite's read-only flag, which SQLite enforces for root too.
fn check_read_only(env: &Env, dir: &Path) {
    let before = snapshot(dir);
    let id = env.run(&["--json", "queue"]).ok().json()[0]["id"].as_str().unwrap().to_string();
    for args in [
        &["queue"][..],
        &["show", &id],
        &["search", "motel"],
        &["audit", &id],
        &["stats"],
        &["responder", "list"],
        &["config", "show"],
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{args:?} printed nothing");
        assert_eq!(snapshot(dir), before, "{args:?} left a file behind or changed one");
    }
    let stdin = format!("{}\n", referral("RO-1", serde_json::json!({})));
    let writes: [(&[&str], Option<&[u8]>); 6] = [
        (&["note", &id, "a", "note"], None),
        (&["status", &id, "closed", "--disposition", "unfounded"], None),
        (&["triage", &id, "--priority", "P1", "--reason", "escalated"], None),
        (&["referral", "import", "-"], Some(stdin.as_bytes())),
        (&["--user", "admin", "config", "link-window", "9"], None),
        (&["rebuild"], None),
    ];
    for (args, input) in writes {
        let run = env.run_with_stdin(args, input);
        assert_ne!(run.code, 0, "{args:?} succeeded on a read-only store");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("is read-only"), "{args:?}: {}", run.stderr);
        assert_eq!(snapshot(dir), before, "{args:?} changed something");
    }
}

#[test]
fn a_store_file_without_write_permission_can_be_read_not_changed() {
    let env = Env::new();
    env.run(&["demo", "--referrals", "40"]).ok();
    set_mode(&env.store, 0o444);
    check_read_only(&env, env.dir.path());
}

#[test]
fn a_store_in_a_directory_without_write_permission_can_be_read_not_changed() {
    let mut env = Env::new();
    let dir = env.dir.path().join("ro");
    env.store = dir.join("store.sqlite3");
    env.run(&["demo", "--referrals", "40"]).ok();
    set_mode(&dir, 0o555);
    check_read_only(&env, &dir);
    set_mode(&dir, 0o700);
}

/// The same as another user, whom the kernel itself refuses: a store that
/// user may read but not write, in a directory it may not write. Needs
/// root (to run the binary as `nobody` with `setpriv`); skipped otherwise.
#[test]
fn another_user_may_read_a_store_they_cannot_write() {
    let uid = std::process::Command::new("id").arg("-u").output().map(|o| o.stdout).unwrap_or_default();
    let setpriv = std::process::Command::new("setpriv").arg("--version").output().is_ok_and(|o| o.status.success());
    if String::from_utf8_lossy(&uid).trim() != "0" || !setpriv {
        eprintln!("skipped: needs root and setpriv");
        return;
    }
    let env = Env::new();
    env.run(&["demo", "--referrals", "20"]).ok();
    // Readable by all, writable by its owner only, as a store copied from a
    // backup might be; the binary copied where `nobody` may run it.
    set_mode(env.dir.path(), 0o755);
    set_mode(&env.store, 0o644);
    set_mode(&env.dir.path().join("store.sqlite3.keys"), 0o644);
    let binary = env.dir.path().join("beacon");
    std::fs::copy(env!("CARGO_BIN_EXE_beacon"), &binary).unwrap();
    set_mode(&binary, 0o755);
    let before = snapshot(env.dir.path());
    let as_nobody = |args: &[&str]| {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary)
            .env("BEACON_STORE", &env.store)
            .env("HOME", env.dir.path())
            .env("BEACON_USER", "supervisor")
            .env("BEACON_PASSWORD", common::TEST_PASSWORD)
            .env_remove("RUST_LOG");
        common::run_command(c, args, None)
    };
    let run = as_nobody(&["--json", "queue"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.json()[0]["id"].as_str().unwrap().to_string();
    as_nobody(&["show", &id]).ok();
    let run = as_nobody(&["note", &id, "a", "note"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("is read-only"), "{}", run.stderr);
    assert_eq!(snapshot(env.dir.path()), before, "nothing created or changed");
}
