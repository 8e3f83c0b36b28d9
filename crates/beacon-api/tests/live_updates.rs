//! What the desktop's live updates read: which cases changed after a marker
//! (from this or another connection), their queue rows, and the alerts.

use beacon_api::Beacon;
use beacon_api::QueueQuery;
use beacon_api::domain::event::Actor;
use beacon_api::domain::{CaseStatus, Priority, SystemClock};
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
fn patched_rows_are_the_changed_cases_that_still_belong_to_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir.path().join("s.sqlite3"));
    let p1 = b.add_referral_json(referral("R-1", "in_progress")).unwrap().id;
    let p3 = b.add_referral_json(referral("R-2", "recent")).unwrap().id;
    let closed = b.add_referral_json(referral("R-3", "in_progress")).unwrap().id;
    b.set_status(&closed.to_string(), CaseStatus::Closed, Some("unfounded")).unwrap();

    let all = b.queue_rows(&[p1, p3, closed], &QueueQuery::default()).unwrap();
    let mut ids: Vec<_> = all.iter().map(|r| r.case.id).collect();
    ids.sort();
    let mut want = vec![p1, p3];
    want.sort();
    assert_eq!(ids, want, "a closed case leaves the queue");
    let o = all.iter().find(|r| r.case.id == p1).unwrap();
    assert!(o.deadline.is_some(), "an open case runs against its target");
    assert_eq!(o.short_id, p1.short());
    let place = o.place.as_ref().expect("an open case has a place in the queue");
    assert_eq!(place.group, beacon_api::domain::QueueGroup::NeedsDispatcher);

    // The same filters as the queue: only P1 here.
    let p1_only = QueueQuery { priorities: vec![Priority::P1], ..Default::default() };
    let rows = b.queue_rows(&[p1, p3, closed], &p1_only).unwrap();
    assert_eq!(rows.iter().map(|r| r.case.id).collect::<Vec<_>>(), vec![p1]);
    // And the patched row sorts where a full reload puts it.
    let reload = b.queue(&QueueQuery::default()).unwrap();
    let keys: Vec<_> = reload.iter().map(|r| r.place.as_ref().unwrap().order_key.clone()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "the queue is in order_key order");
}

/// The console keeps a light page cache; an import it runs takes a bulk one
/// and gives the light one back, reading the store's own setting.
#[test]
fn an_import_gives_back_the_page_cache_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open(&dir.path().join("s.sqlite3"));
    let cache_kib =
        |b: &Beacon| -> i64 { b.store().connection().query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap() };
    b.store().set_page_cache(beacon_api::PageCache::Light).unwrap();
    let light = cache_kib(&b);
    let line = serde_json::to_string(&referral("IMP-1", "recent")).unwrap() + "\n";
    let report = b.import(std::io::Cursor::new(line), &mut |_| {}).unwrap();
    assert_eq!(report.stored, 1);
    assert_eq!(b.store().page_cache(), beacon_api::PageCache::Light);
    assert_eq!(cache_kib(&b), light);
    assert_eq!(light, -8 * 1024, "a negative cache_size is in KiB");
}
