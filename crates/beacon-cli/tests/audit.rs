//! `beacon audit verify`: the real binary walks every hash chain in a real
//! store file, and names the first event someone changed with another tool.

mod common;

use common::{Env, referral};
use serde_json::json;

#[test]
fn an_event_edited_in_the_file_is_named_by_device_sequence_and_id() {
    let env = Env::new();
    for i in 0..3 {
        let r = referral(&format!("AUD-{i}"), json!({"urgency": "recent"}));
        env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
        env.run(&["note", &format!("AUD-{i}"), "caller will ring back"]).ok();
    }
    let whole = env.run(&["audit", "verify"]).ok();
    assert!(whole.stdout.contains("Every chain is whole: 6 event(s)"), "{}", whole.stdout);

    // Someone changes the fourth event's text with a plain SQLite tool.
    let conn = common::connect(&env.store);
    let (seq, id): (i64, String) = conn
        .query_row("SELECT device_seq, id FROM events WHERE device_seq = 4", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let changed = conn
        .execute("UPDATE events SET body = replace(body, 'ring back', 'never call') WHERE device_seq = 4", [])
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    let broken = env.run(&["--json", "audit", "verify"]);
    assert_eq!(broken.code, 1, "a broken chain fails: {}", broken.stderr);
    let report = broken.json();
    assert_eq!(report["breaks"][0]["seq"], json!(seq));
    assert_eq!(report["breaks"][0]["event_id"], json!(id));
    let said = env.run(&["audit", "verify"]);
    assert!(said.stdout.contains(&format!("breaks at event {seq} (id {id})")), "{}", said.stdout);
    assert!(!said.stdout.contains("never call"), "the changed text is not shown");
    // A case's history is still `beacon audit CASE`.
    assert!(env.run(&["--json", "audit", "AUD-0"]).ok().json().as_array().is_some());
}
