//! Property tests of the referral parser: whatever bytes arrive, it answers
//! with a referral or an error naming the record, and never panics.

use beacon_domain::intake::{records, referral_from_json_text};
use beacon_domain::validate::validate_referral;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn valid() -> Value {
    json!({
        "external_id": "P-1", "source": "hotline_text", "received_at": "2026-11-29T22:10:00-06:00",
        "trafficking_type": "labor", "urgency": "recent",
        "location": {"address": "10 Main St", "city": "Sedalia", "zip": "65301", "lat": 38.7, "lon": -93.2, "place_type": "business"},
        "potential_victims": {"count": 3, "minors": "unknown", "languages": ["es"]},
        "suspects": [{"phones": ["660-555-0101"], "vehicle": {"plate": "ABC 123", "state": "MO"}}],
        "reporter": {"kind": "professional", "contact_ok": true},
        "consent": {"share_identifying_info": true},
        "indicators": ["debt_bondage"],
        "narrative": "Crew housed above the shop."
    })
}

/// Replace one leaf of `v` (chosen by `pick`) with `with`.
fn mutate(v: &mut Value, pick: usize, with: Value) {
    let mut paths: Vec<String> = Vec::new();
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, c)| walk(c, format!("{path}/{k}"), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| walk(c, format!("{path}/{i}"), out)),
            _ => out.push(path),
        }
    }
    walk(v, String::new(), &mut paths);
    let path = &paths[pick % paths.len()];
    if let Some(slot) = v.pointer_mut(path) {
        *slot = with;
    }
}

fn any_json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        ".{0,40}".prop_map(Value::String),
        Just(json!({"nested": [1, "two"]})),
        Just(json!([])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for r in records(&bytes[..], now()) {
            if let Err(e) = r {
                prop_assert!(!e.position.is_empty());
                prop_assert!(!e.error.problem.is_empty());
            }
        }
    }

    #[test]
    fn a_mutated_referral_is_either_valid_or_rejected_with_a_field(pick in 0usize..64, with in any_json_leaf()) {
        let mut v = valid();
        mutate(&mut v, pick, with);
        let text = v.to_string();
        match referral_from_json_text(&text, now()) {
            Ok(r) => prop_assert!(validate_referral(&r, now()).is_empty()),
            Err(e) => prop_assert!(!e.problem.is_empty()),
        }
        // The Value path and the text path agree.
        let via_value = beacon_domain::intake::referral_from_value(v, now());
        prop_assert_eq!(via_value.is_ok(), referral_from_json_text(&text, now()).is_ok());
    }

    #[test]
    fn valid_referrals_round_trip(count in 0u32..10_000, lat in 36.0f64..40.6, lon in -95.7f64..-89.1, narrative in "[a-zA-Z0-9 ,.'\"$;()-]{1,200}") {
        let mut v = valid();
        v["potential_victims"]["count"] = json!(count);
        v["location"]["lat"] = json!(lat);
        v["location"]["lon"] = json!(lon);
        v["narrative"] = json!(narrative);
        prop_assume!(!narrative.trim().is_empty());
        let r = referral_from_json_text(&v.to_string(), now()).unwrap();
        let again = referral_from_json_text(&serde_json::to_string(&r).unwrap(), now()).unwrap();
        prop_assert_eq!(r, again);
    }
}

/// A marker in every free-text field: it must never come back in an error.
const MARK: &str = "ZQXJ";

fn marked() -> Value {
    let mut v = valid();
    v["narrative"] = json!(format!("{MARK} narrative"));
    v["location"]["address"] = json!(format!("10 {MARK} St"));
    v["location"]["city"] = json!(format!("{MARK}ville"));
    v["potential_victims"]["description"] = json!(format!("{MARK} description"));
    v["suspects"][0]["description"] = json!(format!("{MARK} suspect"));
    v["reporter"]["name"] = json!(format!("{MARK} reporter"));
    v
}

/// The same marked referrals in one of the three formats.
fn input(format: usize, n: usize) -> Vec<u8> {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let mut v = marked();
            v["external_id"] = json!(format!("P-{i}"));
            v
        })
        .collect();
    match format {
        0 => records.iter().map(|r| format!("{r}\n")).collect::<String>().into_bytes(),
        1 => serde_json::to_vec_pretty(&records).unwrap(),
        _ => {
            let mut out = String::from(
                "external_id,source,received_at,urgency,location.address,location.city,potential_victims.description,suspect.description,suspect.phones,reporter.name,narrative\n",
            );
            for r in &records {
                let cell = |p: &str| r.pointer(p).and_then(Value::as_str).unwrap_or("").replace('"', "\"\"");
                out += &format!(
                    "{},{},{},{},\"{}\",\"{}\",\"{}\",\"{}\",660-555-0101,\"{}\",\"{}\"\n",
                    cell("/external_id"),
                    cell("/source"),
                    cell("/received_at"),
                    cell("/urgency"),
                    cell("/location/address"),
                    cell("/location/city"),
                    cell("/potential_victims/description"),
                    cell("/suspects/0/description"),
                    cell("/reporter/name"),
                    cell("/narrative"),
                );
            }
            out.into_bytes()
        }
    }
}

#[derive(Clone, Debug)]
enum Damage {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    let byte = prop_oneof![
        Just(b'"'),
        Just(b','),
        Just(b'\n'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b'\\'),
        Just(0xff),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, b)| Damage::Flip(at, b)),
        (any::<usize>(), byte).prop_map(|(at, b)| Damage::Insert(at, b)),
        any::<usize>().prop_map(Damage::Delete),
        any::<usize>().prop_map(Damage::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, d: &Damage) {
    if bytes.is_empty() {
        return;
    }
    match *d {
        Damage::Flip(at, b) => {
            let n = bytes.len();
            bytes[at % n] = b;
        }
        Damage::Insert(at, b) => {
            let n = bytes.len();
            bytes.insert(at % n, b);
        }
        Damage::Delete(at) => {
            let n = bytes.len();
            bytes.remove(at % n);
        }
        Damage::Truncate(at) => {
            let n = bytes.len();
            bytes.truncate(at % n);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    /// Valid files in every format, damaged: the reader never panics, every
    /// record it accepts is valid and reads back, and every rejection names
    /// where it was and never carries what the record held.
    #[test]
    fn damaged_files_in_every_format_are_read_safely(
        format in 0..3usize,
        n in 1..4usize,
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let mut bytes = input(format, n);
        for d in &damages {
            apply(&mut bytes, d);
        }
        for r in records(&bytes[..], now()) {
            match r {
                Ok(r) => {
                    prop_assert!(validate_referral(&r, now()).is_empty());
                    let text = serde_json::to_string(&r).unwrap();
                    prop_assert_eq!(referral_from_json_text(&text, now()).unwrap(), r);
                }
                Err(e) => {
                    prop_assert!(!e.position.is_empty());
                    prop_assert!(!e.error.problem.is_empty());
                    // The external id is how errors name a record, by design;
                    // everything else an error says is checked.
                    let shown = format!("{e} {:?} {}", e.error, serde_json::to_string(&e.error).unwrap());
                    prop_assert!(!shown.contains(MARK), "an error echoed a value: {}", shown);
                }
            }
        }
    }
}

#[test]
fn the_undamaged_files_read_whole() {
    for format in 0..3 {
        let out: Vec<_> = records(&input(format, 3)[..], now()).collect();
        assert_eq!(out.len(), 3, "format {format}: {out:?}");
        assert!(out.iter().all(Result::is_ok), "format {format}: {out:?}");
    }
}
