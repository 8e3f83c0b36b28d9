//! Run the real `beacon` binary against a temporary store.
#![allow(dead_code)]

pub mod hub;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The password every test account has (the demo's people, `init`'s admin).
pub const TEST_PASSWORD: &str = "test password 1";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("store.sqlite3");
        Env { dir, store }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_beacon"));
        c.env("BEACON_STORE", &self.store).env("BEACON_ACTOR", "test-dispatcher").env_remove("RUST_LOG");
        // A store the demo protected is used as its supervisor (on one with
        // no account yet these change nothing).
        c.env("BEACON_USER", "supervisor")
            .env("BEACON_PASSWORD", TEST_PASSWORD)
            .env("BEACON_DEMO_PASSWORD", TEST_PASSWORD)
            .env_remove("BEACON_NEW_PASSWORD");
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// The binary started by `sh` after `umask <umask>`, as from a person's shell.
    pub fn cmd_with_umask(&self, umask: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_beacon"))
            .env("BEACON_STORE", &self.store)
            .env("BEACON_ACTOR", "test-dispatcher")
            .env_remove("RUST_LOG");
        c
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        run_command(self.cmd(), args, stdin)
    }

    pub fn run_with_umask(&self, umask: &str, args: &[&str]) -> Run {
        run_command(self.cmd_with_umask(umask), args, None)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write file");
        p
    }

    pub fn case_count(&self) -> i64 {
        count(&self.store, "SELECT count(*) FROM cases")
    }
}

/// Run `c` with `args`, feeding it `stdin` if given.
pub fn run_command(mut c: Command, args: &[&str], stdin: Option<&[u8]>) -> Run {
    c.args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn beacon");
    if let Some(bytes) = stdin {
        // A program may refuse its input before reading all of it (a
        // record over the size limit): a closed pipe here is its answer.
        if let Err(e) = child.stdin.take().expect("stdin").write_all(bytes) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
    }
    let out: Output = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The key a protected (so encrypted) store is under, unwrapped from its key
/// file with the password of the first of the tests' usual accounts it has;
/// none for an unprotected store.
pub fn store_key(store: &Path) -> Option<beacon_api::StoreKey> {
    let keys_path = beacon_api::auth::KeyFile::beside(store);
    if !keys_path.exists() {
        return None;
    }
    let mut keys = beacon_api::auth::KeyFile::load(&keys_path).expect("key file");
    let name =
        ["supervisor", "admin", "chief"].into_iter().find(|n| keys.can_sign_in(n)).expect("an account the tests know");
    let unlocked = keys.sign_in(name, TEST_PASSWORD, chrono::Utc::now()).expect("the test password");
    Some(unlocked.data_key().sqlcipher_literal())
}

/// A plain SQLite connection to the store, for a test to look inside it
/// (with its key, when it is protected).
pub fn connect(store: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(store).expect("open store");
    if let Some(key) = store_key(store) {
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.as_str())).expect("key");
    }
    conn
}

/// The store itself, as Beacon opens it (with its key, when it is protected).
pub fn open_store(store: &Path, clock: std::sync::Arc<dyn beacon_api::domain::Clock>) -> beacon_store::Store {
    let key = store_key(store);
    beacon_store::Store::open_keyed(store, clock, beacon_store::StoreDir::Chosen, key.as_ref().map(|k| k.as_str()))
        .expect("open the store")
}

pub fn count(store: &Path, sql: &str) -> i64 {
    let conn = connect(store);
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// A valid referral as JSON, with `overrides` merged in at the top level.
pub fn referral(external_id: &str, overrides: serde_json::Value) -> serde_json::Value {
    let hours_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    let mut v = serde_json::json!({
        "external_id": external_id,
        "source": "hotline_call",
        "received_at": hours_ago.to_rfc3339(),
        "trafficking_type": "sex",
        "urgency": "recent",
        "location": {"address": "2400 N Glenstone Ave", "city": "Springfield", "state": "MO", "zip": "65803", "lat": 37.2395, "lon": -93.2590, "place_type": "hotel"},
        "potential_victims": {"count": 2, "minors": "no", "languages": ["es"], "description": "two women, one with a cast"},
        "suspects": [{"description": "older man", "phones": ["(417) 555-0142"], "vehicle": {"plate": "KX4-19P", "state": "MO", "make": "Ford", "model": "Transit", "color": "white"}}],
        "reporter": {"kind": "community_member", "name": "Pat Reporter", "phone": "417-555-0100", "contact_ok": true},
        "consent": {"share_identifying_info": false},
        "indicators": ["controlled_movement"],
        "narrative": "Caller saw two women escorted between rooms at a motel."
    });
    if let (Some(obj), serde_json::Value::Object(o)) = (v.as_object_mut(), overrides) {
        for (k, val) in o {
            if val.is_null() {
                obj.remove(&k);
            } else {
                obj.insert(k, val);
            }
        }
    }
    v
}

/// The text of one column of every row `sql` returns.
pub fn query_strings(store: &Path, sql: &str) -> Vec<String> {
    let conn = connect(store);
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0)).expect("query").collect::<Result<_, _>>().expect("rows")
}
