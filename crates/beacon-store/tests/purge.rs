//! Purging a closed case: its details leave the store file (live rows,
//! freed pages and the write-ahead log), every other table forgets it, and
//! its audit stays whole: `verify_chains` still checks each redacted event
//! through the purge that redacted it, and names one edited afterwards.
//! Another store that pulls the purge redacts its copy; a store that pulls
//! the redacted log afresh never learns the details.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{CaseId, CaseStatus, HandoffId, ManualClock, NoteId, Priority, ResponderId, Role};
use beacon_store::{Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

mod support;

/// What the case says and nothing else in the store does: none may be in
/// the file once the case is purged.
const SECRETS: [&str; 4] = ["Quillfeather", "5735550199", "Zephyrine", "Marrowbank"];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap()
}

fn open(dir: &tempfile::TempDir, name: &str, clock: &ManualClock) -> Store {
    Store::open(&dir.path().join(name), Arc::new(clock.clone())).expect("open")
}

fn append(s: &mut Store, actor: &str, id: CaseId, body: EventBody) {
    s.write::<_, StoreError>(|w| w.append(&Actor(actor.into()), Some(id), body)).expect("append");
}

/// A referral whose suspect's phone is one that links repeat tips.
fn referral(s: &mut Store, n: &str, narrative: &str, reporter: (&str, &str)) -> CaseId {
    let value = json!({
        "external_id": n, "source": "hotline_call", "received_at": t0().to_rfc3339(),
        "urgency": "recent", "trafficking_type": "sex", "narrative": narrative,
        "reporter": {"kind": "victim", "name": reporter.0, "phone": reporter.1, "contact_ok": true},
        "suspects": [{"phones": ["573-555-0142"]}],
    });
    support::store_referral(s, value, Priority::P2, t0())
}

/// A case worked from tip to closure: a note, a handoff, its acknowledgement,
/// a look at the details, closed.
fn worked_case(s: &mut Store) -> CaseId {
    let id = referral(s, "PURGE-1", &format!("{} was seen with {}", SECRETS[2], SECRETS[3]), (SECRETS[0], SECRETS[1]));
    append(
        s,
        "dispatcher",
        id,
        EventBody::NoteAdded { note_id: NoteId::new(), text: format!("{} called back", SECRETS[2]) },
    );
    let handoff_id = HandoffId::new();
    append(
        s,
        "dispatcher",
        id,
        EventBody::HandedOff {
            handoff_id,
            responder_id: ResponderId("T-1".into()),
            responder_name: "Trooper One".into(),
            role: Role::Trooper,
            shared_fields: vec!["narrative".into()],
            withheld_fields: vec![],
            replaces: None,
            sharing_override: None,
        },
    );
    append(s, "trooper", id, EventBody::Acknowledged { handoff_id: Some(handoff_id), responder_id: None });
    append(s, "supervisor", id, EventBody::CaseViewed {});
    append(
        s,
        "dispatcher",
        id,
        EventBody::StatusChanged {
            from: CaseStatus::Acknowledged,
            to: CaseStatus::Closed,
            disposition: Some("resolved".into()),
        },
    );
    id
}

/// Every byte of the store's files, as one lossy string.
fn file_text(dir: &tempfile::TempDir) -> String {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        out.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn count(s: &Store, sql: &str) -> i64 {
    s.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn kinds(s: &Store, id: CaseId) -> Vec<String> {
    s.events(id).unwrap().iter().map(|e| e.body.kind().to_string()).collect()
}

#[test]
fn a_purged_case_leaves_the_file_and_its_audit_stays_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut s = open(&dir, "store.sqlite3", &clock);
    let id = worked_case(&mut s);
    // Another case sharing the phone: linked to the purged one until the purge.
    let other = referral(&mut s, "PURGE-2", "another tip", ("Someone Else", "8165550100"));
    assert_eq!(s.links(other).unwrap().len(), 1);
    s.connection().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    assert!(SECRETS.iter().all(|w| file_text(&dir).contains(w)), "the details are in the file before the purge");

    clock.advance_ms(Duration::days(400).num_milliseconds());
    assert_eq!(s.closed_cases_due(365, 10).unwrap(), vec![id], "closed over a year ago; the other is open");
    let purged = s.purge(&Actor("supervisor".into()), &[id], "retention").unwrap();
    assert_eq!(purged, vec![(id, 6)], "the referral, note, handoff, acknowledgement, view and closure");

    // Gone from every table and from the search index.
    assert!(s.case(id).unwrap().is_none());
    assert!(s.is_purged(id).unwrap());
    assert_eq!(count(&s, "SELECT count(*) FROM notes") + count(&s, "SELECT count(*) FROM handoffs"), 0);
    assert_eq!(count(&s, "SELECT count(*) FROM cases_fts WHERE cases_fts MATCH 'Zephyrine'"), 0);
    assert!(s.links(other).unwrap().is_empty(), "the other case no longer links to it");
    assert_eq!(count(&s, "SELECT link_count FROM cases"), 0);

    // Nothing the case said is anywhere in the files: not in a live row, a
    // freed page, the search index's segments or the write-ahead log.
    let text = file_text(&dir);
    for secret in SECRETS {
        assert!(!text.contains(secret), "`{secret}` is still in the store's files");
    }

    // The audit stays: who did what, and when, with the details gone.
    let trail = s.events(id).unwrap();
    assert_eq!(kinds(&s, id), ["redacted", "redacted", "redacted", "redacted", "redacted", "redacted", "case_purged"],);
    let actors: Vec<&str> = trail.iter().map(|e| e.actor.0.as_str()).collect();
    assert_eq!(actors, ["test", "dispatcher", "dispatcher", "trooper", "supervisor", "dispatcher", "supervisor"]);
    assert!(trail[4].summary.starts_with("case viewed (details removed"), "{}", trail[4].summary);
    let report = s.verify_chains().unwrap();
    assert!(report.breaks.is_empty(), "{report:?}");

    // A rebuild folds the redacted log to the same tables.
    let cases_before = count(&s, "SELECT count(*) FROM cases");
    s.rebuild().unwrap();
    assert_eq!(count(&s, "SELECT count(*) FROM cases"), cases_before);
    assert!(s.case(id).unwrap().is_none());
    assert!(s.verify_chains().unwrap().breaks.is_empty());

    // Nothing left to purge; a second purge of the case writes nothing.
    assert!(s.closed_cases_due(365, 10).unwrap().is_empty());
    assert_eq!(s.purge(&Actor("supervisor".into()), &[id], "again").unwrap(), vec![(id, 0)]);
    assert!(s.purged_cases_with_leftovers().unwrap().is_empty());
}

#[test]
fn an_edit_to_a_redacted_event_or_to_its_purge_is_named_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut s = open(&dir, "store.sqlite3", &clock);
    let id = worked_case(&mut s);
    s.purge(&Actor("supervisor".into()), &[id], "court order").unwrap();
    let viewed: String = s
        .connection()
        .query_row("SELECT id FROM events WHERE kind = 'redacted' AND actor = 'supervisor'", [], |r| r.get(0))
        .unwrap();
    // Someone rewrites who looked at the case.
    s.connection().execute("UPDATE events SET actor = 'nobody' WHERE id = ?1", [&viewed]).unwrap();
    let report = s.verify_chains().unwrap();
    assert_eq!(report.breaks.len(), 1, "{report:?}");
    assert_eq!((report.breaks[0].seq, report.breaks[0].event_id.as_str()), (5, viewed.as_str()));
    s.connection().execute("UPDATE events SET actor = 'supervisor' WHERE id = ?1", [&viewed]).unwrap();
    assert!(s.verify_chains().unwrap().breaks.is_empty());

    // Someone drops an entry from the purge's list: the purge itself breaks.
    let (purge_id, body): (String, String) = s
        .connection()
        .query_row("SELECT id, body FROM events WHERE kind = 'case_purged'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&body).unwrap();
    value["payload"]["redacted"].as_array_mut().unwrap().remove(0);
    s.connection().execute("UPDATE events SET body = ?2 WHERE id = ?1", [&purge_id, &value.to_string()]).unwrap();
    let report = s.verify_chains().unwrap();
    let named: Vec<&str> = report.breaks.iter().map(|b| b.event_id.as_str()).collect();
    assert!(named.len() == 1, "one device, one first break: {report:?}");
    // The first broken link is the referral: no purge vouches for it any more.
    assert_eq!(report.breaks[0].seq, 1);
}

/// Everything of `from`'s log, as one page applied to `to`.
fn pull(to: &mut Store, from: &Store) -> beacon_store::Applied {
    let page = from.own_events_after(0, 10_000).unwrap();
    let applied = to.apply_pulled(&page).unwrap();
    to.finish_pulled().unwrap();
    applied
}

#[test]
fn a_purge_reaches_another_store_and_a_new_store_never_learns_the_details() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let mut a = open(&dir, "a.sqlite3", &clock);
    let mut b = open(&dir, "b.sqlite3", &clock);
    let id = worked_case(&mut a);
    pull(&mut b, &a);
    assert!(b.case(id).unwrap().is_some());
    // A device that was offline writes about the case after the purge.
    append(&mut b, "dispatcher", id, EventBody::NoteAdded { note_id: NoteId::new(), text: "late".into() });

    clock.advance_ms(Duration::days(40).num_milliseconds());
    a.purge(&Actor("supervisor".into()), &[id], "retention").unwrap();
    pull(&mut b, &a);
    assert!(b.case(id).unwrap().is_none(), "the purge removed B's copy");
    assert!(b.verify_chains().unwrap().breaks.is_empty());
    let b_kinds = kinds(&b, id);
    assert_eq!(b_kinds.iter().filter(|k| *k == "redacted").count(), 6, "{b_kinds:?}");
    assert!(b_kinds.contains(&"note_added".to_string()), "B's own late note was not A's to redact");
    // B's next purge finds the leftover and redacts it with a purge of its own.
    assert_eq!(b.purged_cases_with_leftovers().unwrap(), vec![id]);
    assert_eq!(b.purge(&Actor("supervisor".into()), &[id], "leftovers").unwrap(), vec![(id, 1)]);
    assert!(b.verify_chains().unwrap().breaks.is_empty());
    assert!(!kinds(&b, id).contains(&"note_added".to_string()));

    // A new store pulls A's redacted log: it accepts the redacted events,
    // files no case, and its chains verify.
    let mut c = open(&dir, "c.sqlite3", &clock);
    let applied = pull(&mut c, &a);
    assert_eq!(applied.stored, 7, "A's six redacted events and its purge");
    assert!(c.case(id).unwrap().is_none());
    assert!(c.verify_chains().unwrap().breaks.is_empty());
    assert_eq!(count(&c, "SELECT count(*) FROM cases"), 0);
}
