//! Property tests of the responder roster parser: whatever bytes arrive, and
//! however a valid roster (CSV, JSON array, JSON Lines) is damaged (bytes
//! flipped, cut short, inserted; a value replaced), it answers with
//! responders or rejections, never panics, and every rejection names the
//! record (row, line, record, or the file) and the field without echoing
//! what the roster held. Every value in the samples carries a marker that
//! must never reach a rejection.

use beacon_domain::RecordError;
use beacon_domain::roster::parse_roster;
use proptest::prelude::*;
use serde_json::{Value, json};

const MARKER: &str = "ZQXJ-SECRET";

/// The fields a rejection may name.
const FIELDS: &[&str] =
    &["id", "name", "role", "agency", "jurisdictions", "languages", "on_duty", "email", "phone", "webhook"];

/// Problems that concern a whole record (or file) rather than one field.
const WHOLE_RECORD: &[&str] = &[
    "a responder must be a JSON object",
    "the row is malformed or has the wrong number of cells",
    "could not read the CSV header",
];

fn responders() -> Value {
    json!([
        {"id": format!("{MARKER}-T1"), "name": format!("{MARKER} Trooper"), "role": "trooper",
         "agency": format!("{MARKER} Patrol"), "jurisdictions": [format!("{MARKER} Troop"), "29077"],
         "languages": ["en", MARKER], "on_duty": true, "email": format!("{MARKER}@example.org"),
         "phone": format!("{MARKER} 417-555-0100"), "webhook": format!("https://{MARKER}.example.org/hook")},
        {"id": 17, "name": format!("{MARKER} Advocate"), "role": "victim_advocate", "on_duty": false},
    ])
}

fn csv() -> Vec<u8> {
    format!(
        "id,name,role,agency,jurisdictions,languages,on_duty,email,phone,webhook\n\
         {m}-T1,{m} Trooper,trooper,{m} Patrol,{m} Troop;29077,en;{m},true,{m}@example.org,{m} 417-555-0100,https://{m}.example.org/h\n\
         {m}-A1,\"{m}, Advocate\",victim_advocate,{m} Services,*,es,yes,,,\n",
        m = MARKER
    )
    .into_bytes()
}

fn json_array() -> Vec<u8> {
    serde_json::to_vec(&responders()).unwrap()
}

fn json_lines() -> Vec<u8> {
    let lines: Vec<String> = responders().as_array().unwrap().iter().map(Value::to_string).collect();
    lines.join("\n").into_bytes()
}

/// Nothing the roster held, and a place and a field (or a whole-record problem).
fn check(e: &RecordError) -> Result<(), TestCaseError> {
    let shown = e.to_string();
    let debug = format!("{e:?}");
    let json = serde_json::to_string(e).unwrap();
    prop_assert!(
        !shown.contains(MARKER) && !debug.contains(MARKER) && !json.contains(MARKER),
        "echoes the input: {shown}"
    );
    let place = e.position.split(' ').next().unwrap_or_default();
    prop_assert!(["row", "line", "record", "file"].contains(&place), "names the record: {shown}");
    // A field, or an item of a list field: `languages[1]`.
    let field = e.error.field.split('[').next().unwrap_or_default();
    prop_assert!(
        FIELDS.contains(&field)
            || (e.error.field.is_empty()
                && (e.position == "file"
                    || WHOLE_RECORD.contains(&e.error.problem.as_str())
                    || e.error.problem.starts_with("the line is not valid JSON"))),
        "names the field: {shown}"
    );
    prop_assert!(!e.error.problem.is_empty());
    Ok(())
}

fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    for r in parse_roster(bytes) {
        if let Err(e) = r {
            check(&e)?;
        }
    }
    Ok(())
}

/// A damage done to bytes.
#[derive(Clone, Debug)]
enum Damage {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, bits)| Damage::Flip(at, bits)),
        any::<usize>().prop_map(Damage::Cut),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..8),
                Just(b",".to_vec()),
                Just(b"\"".to_vec()),
                Just(b"\n".to_vec()),
                Just(b";ZQXJ-SECRET".to_vec()),
                Just(b"{\"role\": \"ZQXJ-SECRET\"}".to_vec()),
            ]
        )
            .prop_map(|(at, bytes)| Damage::Insert(at, bytes)),
        (any::<usize>(), 1..32usize).prop_map(|(at, n)| Damage::Remove(at, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, damages: &[Damage]) {
    for d in damages {
        if bytes.is_empty() {
            return;
        }
        match d {
            Damage::Flip(at, bits) => {
                let i = at % bytes.len();
                bytes[i] ^= bits;
            }
            Damage::Cut(at) => bytes.truncate(at % bytes.len()),
            Damage::Insert(at, more) => {
                let i = at % (bytes.len() + 1);
                bytes.splice(i..i, more.iter().copied());
            }
            Damage::Remove(at, n) => {
                let i = at % bytes.len();
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
        }
    }
}

fn sample() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(csv()), Just(json_array()), Just(json_lines())]
}

/// Values a field may be given instead of its own: every JSON shape, and
/// the marker in each.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        Just(json!(MARKER)),
        Just(json!(format!("{MARKER}\u{7}"))),
        Just(json!([MARKER, 1])),
        Just(json!({"nested": MARKER})),
        Just(json!("x".repeat(300))),
        Just(json!([])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        check_all(&bytes)?;
    }

    #[test]
    fn a_damaged_roster_is_read_or_rejected_by_record_and_field(
        original in sample(),
        damages in proptest::collection::vec(damage(), 1..5),
    ) {
        let mut bytes = original;
        apply(&mut bytes, &damages);
        check_all(&bytes)?;
    }

    #[test]
    fn a_responder_with_a_value_replaced_is_read_or_rejected_by_record_and_field(
        record in 0usize..2,
        field in proptest::sample::select(FIELDS),
        with in any_value(),
        lines in any::<bool>(),
    ) {
        let mut all = responders();
        all[record][field] = with;
        let bytes = if lines {
            all.as_array().unwrap().iter().map(Value::to_string).collect::<Vec<_>>().join("\n").into_bytes()
        } else {
            serde_json::to_vec(&all).unwrap()
        };
        check_all(&bytes)?;
    }

    #[test]
    fn a_csv_cell_replaced_is_read_or_rejected_by_row_and_field(
        column in 0usize..10,
        with in prop_oneof![Just(MARKER.to_string()), "[a-zA-Z0-9 @;:/.*-]{0,20}".prop_map(|s| format!("{MARKER}{s}"))],
    ) {
        let text = String::from_utf8(csv()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
        cells[column] = with;
        lines[1] = cells.join(",");
        check_all(lines.join("\n").as_bytes())?;
    }
}

#[test]
fn the_samples_are_valid_rosters() {
    for sample in [csv(), json_array(), json_lines()] {
        let parsed = parse_roster(&sample);
        assert_eq!(parsed.len(), 2);
        assert!(parsed.iter().all(Result::is_ok), "{parsed:?}");
    }
}

#[test]
fn rejections_name_the_record_and_field_but_not_the_value() {
    let mut all = responders();
    all[0]["role"] = json!(MARKER);
    all[1]["on_duty"] = json!(MARKER);
    let parsed = parse_roster(&serde_json::to_vec(&all).unwrap());
    let errors: Vec<String> = parsed.iter().filter_map(|r| r.as_ref().err()).map(ToString::to_string).collect();
    assert_eq!(
        errors,
        vec![
            "record 1: field `role`: must be one of trooper, victim_advocate, investigator or supervisor",
            "record 2: field `on_duty`: must be a boolean",
        ]
    );
    let csv = format!("id,name,role,on_duty\n{MARKER},{MARKER},{MARKER},true\n");
    let parsed = parse_roster(csv.as_bytes());
    let e = parsed[0].as_ref().unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 2: field `role`: must be one of trooper, victim_advocate, investigator or supervisor"
    );
}
