//! Anything the store accepts, every read can read back. Generated referrals
//! (valid, nearly valid and hostile: deep unknown fields, long lists, odd
//! text) are imported in each format; every stored case is then read
//! through every read operation the command line and the console use.

use beacon_api::domain::event::Actor;
use beacon_api::domain::validate::{MAX_INDICATORS, MAX_LANGUAGES, MAX_NESTING, MAX_PHONES};
use beacon_api::domain::{CaseId, CaseStatus, ManualClock, Priority};
use beacon_api::{Beacon, QueueQuery};
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Text as senders type it, and as attackers do.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ,.'-]{0,40}",
        ".{0,60}",
        Just("\"quoted\", with; separators\nand a second line".to_string()),
        Just("'); DROP TABLE cases;-- NEAR( * \"".to_string()),
        Just("\u{202e}reversed \u{200b} zero-width \u{1F600}".to_string()),
        Just("\u{1}\u{7f} control".to_string()),
    ]
}

/// Any JSON value, nested up to `depth` levels.
fn any_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 64, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("[a-z_]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A value nested exactly `levels` deep.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!("bottom"), |v, _| json!([v]))
}

/// Mostly `good`, sometimes `odd`: each field fails now and then, so a
/// record is often stored whole and sometimes refused for one reason.
fn mostly<T: std::fmt::Debug + Clone + 'static>(
    good: impl Strategy<Value = T> + 'static,
    odd: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    prop_oneof![12 => good, 1 => odd].boxed()
}

/// A list, usually short, sometimes just past its limit.
fn list(item: BoxedStrategy<String>, limit: usize) -> BoxedStrategy<Vec<String>> {
    mostly(proptest::collection::vec(item.clone(), 0..4), proptest::collection::vec(item, limit + 1..limit + 3))
}

fn referral() -> impl Strategy<Value = Value> {
    let urgency = mostly(
        prop_oneof![Just("in_progress"), Just("imminent"), Just("recent"), Just("historical")].prop_map(String::from),
        text(),
    );
    let words = || "[a-zA-Z][a-zA-Z0-9 ,.'-]{0,30}".boxed();
    let location = (
        proptest::option::of(mostly(words(), text())),
        proptest::option::of(mostly(words(), text())),
        proptest::option::of(mostly(Just("MO".to_string()), prop_oneof![Just("IL".to_string()), text()])),
        proptest::option::of((35.0..41.0f64, -96.0..-89.0f64)),
    );
    let lists = (
        list(mostly("[0-9() -]{0,4}[0-9]{4}".boxed(), text()), MAX_PHONES),
        list(mostly(Just("debt_bondage".to_string()), text()), MAX_INDICATORS),
        list("[a-z]{2}".boxed(), MAX_LANGUAGES),
    );
    let narrative = mostly(words(), text());
    let extra =
        (any_value(4), mostly(0..MAX_NESTING - 1, prop_oneof![MAX_NESTING - 1..MAX_NESTING + 4, 100..127usize]));
    ("[A-Z]{1,3}-[0-9]{1,6}", " ?", 0..3000i64, urgency, location, narrative, lists, extra).prop_map(
        |(
            id,
            pad,
            minutes_ago,
            urgency,
            (address, city, state, point),
            narrative,
            (phones, indicators, languages),
            (extra, depth),
        )| {
            let at = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap() - Duration::minutes(minutes_ago);
            let mut r = json!({
                "external_id": format!("{pad}{id}{pad}"),
                "source": "hotline_call",
                "received_at": at.to_rfc3339(),
                "urgency": urgency,
                "narrative": narrative,
                "location": {"address": address, "city": city, "state": state,
                             "lat": point.map(|p| p.0), "lon": point.map(|p| p.1)},
                "potential_victims": {"languages": languages},
                "suspects": [{"phones": phones, "vehicle": {"plate": "KX4", "unknown_detail": extra.clone()}}],
                "indicators": indicators,
                "hotline_extra": extra,
                "deep_extra": nested(depth),
            });
            // Absent, not null: null is a type error for most fields.
            strip_nulls(&mut r);
            r
        },
    )
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, c| !c.is_null());
        m.values_mut().for_each(strip_nulls);
    }
}

/// The records as a file in `format`.
fn file(records: &[Value], format: usize) -> Vec<u8> {
    match format {
        0 => records.iter().map(|r| format!("{r}\n")).collect::<String>().into_bytes(),
        1 => serde_json::to_vec_pretty(records).unwrap(),
        _ => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "external_id",
                "source",
                "received_at",
                "urgency",
                "location.city",
                "suspect.phones",
                "narrative",
                "hotline.note",
            ])
            .unwrap();
            for r in records {
                let s = |p: &str| r.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
                let phones = r
                    .pointer("/suspects/0/phones")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(";"))
                    .unwrap_or_default();
                w.write_record([
                    s("/external_id"),
                    s("/source"),
                    s("/received_at"),
                    s("/urgency"),
                    s("/location/city"),
                    phones,
                    s("/narrative"),
                    s("/location/address"),
                ])
                .unwrap();
            }
            w.into_inner().unwrap()
        }
    }
}

/// Every read a person can make, over every case in the store.
fn read_everything(b: &mut Beacon) {
    let all = QueueQuery { include_closed: true, limit: 10_000, ..Default::default() };
    let rows = b.queue(&all).expect("queue");
    let ids: Vec<CaseId> = rows.iter().map(|r| r.case.id).collect();
    assert_eq!(ids.len() as u64, b.store().case_count().unwrap(), "the queue lists every case");
    b.views(&ids).expect("views");
    b.queue_rows(&ids, &all).expect("queue rows");
    for row in &rows {
        let id = row.case.id.to_string();
        b.show(&id).expect("show");
        b.detail(row.case.id).expect("detail");
        b.audit(&id).expect("audit");
        b.suggest(&id).expect("suggest");
        // Every case can be found by what it was sent as, once trimmed.
        let external = &b.detail(row.case.id).unwrap().case.referral.external_id;
        assert_eq!(b.resolve(external).ok(), Some(row.case.id), "external id {external:?}");
        let word = b.detail(row.case.id).unwrap().case.referral.narrative.split_whitespace().next().map(str::to_string);
        if let Some(word) = word {
            b.queue(&QueueQuery { text: Some(word), include_closed: true, ..Default::default() }).expect("search");
        }
    }
    b.stats(3650).expect("stats");
    b.open_points(10_000).expect("map points");
    b.open_counts().expect("map counts");
    b.changes_since(0, 10_000).expect("changes");
    b.alerts_since(0, 10_000).expect("alerts");
    b.store().check_consistency().expect("consistent");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn whatever_is_stored_reads_back_through_every_read(
        records in proptest::collection::vec(referral(), 1..12),
        format in 0..3usize,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let clock = ManualClock::at(now);
        let mut b = Beacon::open(&dir.path().join("s.sqlite3"), Actor("dispatcher".into()), Arc::new(clock)).unwrap();
        let input = file(&records, format);
        let report = b.import(&input[..], &mut |_| {}).expect("import runs");
        prop_assert_eq!(
            report.stored + report.duplicates + report.rejected.len() as u64,
            records.len() as u64,
            "every record is accounted for"
        );
        read_everything(&mut b);
        // The operations that read a case before changing it work on every
        // case: a note, triage, a handoff and its acknowledgement.
        b.import_responders(
            "id,name,role,agency,jurisdictions,languages,on_duty\nT1,Tpr. One,trooper,Highway Patrol,Troop D,en,true\n"
                .as_bytes(),
        )
        .unwrap();
        let ids: Vec<CaseId> =
            b.queue(&QueueQuery { include_closed: true, limit: 10_000, ..Default::default() }).unwrap().iter().map(|r| r.case.id).collect();
        for id in ids {
            let id = id.to_string();
            b.add_note(&id, "read back").expect("note");
            b.override_priority(&id, Priority::P2, "read back").expect("triage");
            b.handoff(&id, "T1").expect("handoff");
            b.acknowledge(&id).expect("ack");
            b.set_status(&id, CaseStatus::OnScene, None).expect("status");
        }
        b.rebuild().expect("rebuild");
        read_everything(&mut b);
    }
}

#[test]
fn the_generator_reaches_both_sides_of_every_limit() {
    // A guard on the property test: it must produce records that are
    // stored and records refused for each limit, or it proves little.
    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
    let mut b = Beacon::open(&dir.path().join("s.sqlite3"), Actor("t".into()), Arc::new(ManualClock::at(now))).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let records: Vec<Value> = (0..400).map(|_| referral().new_tree(&mut runner).unwrap().current()).collect();
    let report = b.import(&file(&records, 0)[..], &mut |_| {}).unwrap();
    assert!(report.stored > 10, "stored {}: {:?}", report.stored, &report.rejected[..5]);
    let fields: Vec<&str> = report.rejected.iter().map(|r| r.error.field.as_str()).collect();
    for field in ["deep_extra", "suspects[0].phones", "indicators", "potential_victims.languages"] {
        assert!(fields.contains(&field), "no record was refused on {field}: {fields:?}");
    }
}
