//! The store file itself, through the real `beacon` binary: what opening a
//! file that is not a usable Beacon store says, and what it leaves behind.

mod common;

use common::Env;

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
    let garbage = noise(4096);
    std::fs::write(&env.store, &garbage).unwrap();
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
    assert_eq!(std::fs::read(&env.store).unwrap(), garbage, "the file is unchanged");
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
    let before = std::fs::read(&env.store).unwrap();
    for args in [&["queue"][..], &["init"][..]] {
        let run = env.run(args);
        assert_ne!(run.code, 0, "{args:?}");
        assert!(run.stderr.contains("is not a Beacon store"), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert_eq!(std::fs::read(&env.store).unwrap(), before, "{args:?} changed the file");
        assert_eq!(files(&env), ["store.sqlite3"]);
    }
}

#[test]
fn a_store_from_a_newer_beacon_is_refused_and_left_unchanged() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let conn = rusqlite::Connection::open(&env.store).unwrap();
    conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA user_version = 999;").unwrap();
    drop(conn);
    let before = std::fs::read(&env.store).unwrap();
    let run = env.run(&["queue"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("newer Beacon"), "{}", run.stderr);
    assert_eq!(std::fs::read(&env.store).unwrap(), before, "the refused store is unchanged");
    assert_eq!(files(&env), ["store.sqlite3"]);
}
