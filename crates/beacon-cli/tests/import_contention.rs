//! A large import of referrals that all share one phone, plate and address
//! (a trafficker's number in every tip, one motel) while a dispatcher adds
//! notes from another process: the import finishes, linking stays bounded,
//! and no note waits long behind it.

mod common;

use beacon_api::Beacon;
use beacon_api::domain::SystemClock;
use beacon_api::domain::event::Actor;
use common::Env;
use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RECORDS: usize = 50_000;
/// What nearly every write of a person may wait behind an import: the
/// import's lock budget (100 ms) and some. Measured as the 95th percentile,
/// since a checkpoint or a busy machine can add to one wait.
const A_NOTE_USUALLY_WAITS_AT_MOST: Duration = Duration::from_millis(250);
/// The longest any one may wait: an import that held the lock for whole
/// seconds (instead of giving it up within its budget) fails this.
const A_NOTE_NEVER_WAITS: Duration = Duration::from_millis(1500);

#[test]
fn notes_wait_about_the_lock_budget_behind_an_import_of_referrals_sharing_one_key() {
    let env = Env::new();
    let r = common::referral("CONC-1", serde_json::json!({"suspects": []}));
    env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();

    // Every referral carries the template's phone, plate and address, one every
    // 20 seconds over eleven days: each shares its keys with every other.
    let path = env.dir.path().join("shared.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let start = chrono::Utc::now() - chrono::Duration::days(15);
    for i in 0..RECORDS {
        let at = start + chrono::Duration::seconds(20 * i as i64);
        let r = common::referral(&format!("SHARED-{i:06}"), serde_json::json!({"received_at": at.to_rfc3339()}));
        serde_json::to_writer(&mut f, &r).unwrap();
        f.write_all(b"\n").unwrap();
    }
    f.flush().unwrap();
    drop(f);

    let mut import = env
        .cmd()
        .args(["referral", "import", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut dispatcher = Beacon::open(&env.store, Actor("night-dispatcher".into()), Arc::new(SystemClock)).unwrap();
    let mut waits = Vec::new();
    while import.try_wait().unwrap().is_none() {
        let t = Instant::now();
        dispatcher.add_note("CONC-1", "called the reporter back").unwrap();
        waits.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    let report = import.wait_with_output().unwrap();
    assert!(report.status.success());
    assert!(
        String::from_utf8_lossy(&report.stdout).starts_with(&format!("{RECORDS} stored")),
        "{}",
        String::from_utf8_lossy(&report.stdout)
    );
    assert!(waits.len() >= 10, "the import ended after {} notes; too fast to test", waits.len());
    waits.sort();
    let longest = waits[waits.len() - 1];
    let p95 = waits[waits.len() * 95 / 100];
    eprintln!(
        "{} notes during the import: median {:?}, p95 {p95:?}, longest {longest:?}",
        waits.len(),
        waits[waits.len() / 2]
    );
    assert!(p95 <= A_NOTE_USUALLY_WAITS_AT_MOST, "95% of notes waited up to {p95:?} behind the import");
    assert!(longest <= A_NOTE_NEVER_WAITS, "a note waited {longest:?} behind the import (of {} notes)", waits.len());

    assert_eq!(env.case_count(), RECORDS as i64 + 1);
    // Each referral links to a bounded number of the others, not to all of them.
    let most_links = common::count(&env.store, "SELECT max(link_count) FROM cases");
    assert!((1..=beacon_store::MAX_LINKS_PER_CASE).contains(&most_links), "a case has {most_links} links");
    let store = common::open_store(&env.store, Arc::new(SystemClock));
    store.check_consistency().unwrap();
}
