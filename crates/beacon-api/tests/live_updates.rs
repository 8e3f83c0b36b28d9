//! What the desktop's live updates read: which cases changed after a marker
//! (from this or another connection), their queue rows, and the alerts.

use beacon_api::Beacon;
use beacon_api::domain::event::Actor;
use beacon_api::domain::{CaseStatus, SystemClock};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn open(path: &Path) -> Beacon {
    Beacon::open(path, Actor("test".into()), Arc::new(SystemClock)).expect("open store")
}

fn referral(ext: &str, urgency: &str) -> serde_json::Value {
    json!({
        "external_id": ext, "source": "hotline_call", "received_at": chrono::Utc::now().to_rfc3339(),
        "urgency": urgency, "trafficking_type": "labor",
        "location": {"city": "Springfield", "state": "MO", "lat": 37.2, "lon": -93.29},
        "narrative": "test"
    })
}

#[test]
fn changes_name_the_cases_touched_by_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let mut writer = open(&store);
    let watcher = open(&store);

    let a = writer.add_referral_json(referral("A-1", "in_progress")).unwrap().id;
    let start = watcher.store().change_marker().unwrap();
    let b = writer.add_referral_json(referral("B-1", "historical")).unwrap().id;
    writer.add_note(&a.to_string(), "called back").unwrap();
    writer.add_note(&b.to_string(), "no answer").unwrap();

    let changed = watcher.changes_since(start, 10).unwrap();
    assert!(changed.complete);
    assert_eq!(changed.case_ids, vec![b, a], "distinct, in order of first change");
    assert!(changed.marker > start);
    assert_eq!(watcher.changes_since(changed.marker, 10).unwrap().case_ids, vec![]);

    // Past the limit the change is reported as incomplete: the window reloads.
    let capped = watcher.changes_since(start, 1).unwrap();
    assert_eq!((capped.case_ids.len(), capped.complete), (1, false));
}

#[test]
fn a_change_to_no_case_asks_for_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let mut b = open(&store);
    let start = b.store().change_marker().unwrap();
    b.import_responders(
        r#"[{"id": "T-1", "name": "Tpr. Lane", "role": "trooper", "agency": "MSHP", "jurisdictions": ["D"], "on_duty": true}]"#
            .as_bytes(),
    )
    .unwrap();
    let changed = b.changes_since(start, 10).unwrap();
    assert!(!changed.complete, "a roster change touches no case but the queue's assignments may read it");
}

#[test]
fn rows_carry_the_current_state_open_or_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir.path().join("s.sqlite3"));
    let open_case = b.add_referral_json(referral("R-1", "in_progress")).unwrap().id;
    let closed = b.add_referral_json(referral("R-2", "recent")).unwrap().id;
    b.set_status(&closed.to_string(), CaseStatus::Closed, Some("unfounded")).unwrap();

    let rows = b.rows(&[open_case, closed]).unwrap();
    assert_eq!(rows.len(), 2);
    let o = rows.iter().find(|r| r.case.id == open_case).unwrap();
    let c = rows.iter().find(|r| r.case.id == closed).unwrap();
    assert!(o.deadline.is_some(), "an open case runs against its target");
    assert_eq!(c.case.status, CaseStatus::Closed);
    assert!(c.deadline.is_none() && c.case.closed_at.is_some());
    assert_eq!(o.short_id, open_case.short());
}
