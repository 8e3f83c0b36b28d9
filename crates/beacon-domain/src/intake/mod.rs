//! Reading referrals from what hotlines send: a JSON object, a JSON array,
//! JSON Lines or CSV, detected from the content. Each record is parsed and
//! validated on its own so that one bad record never blocks the good ones,
//! and every error names the record's position and the field.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::BufRead;

use crate::referral::Referral;
use crate::validate::{FieldError, MAX_NESTING, MAX_RECORD_BYTES, RecordError, validate_referral};

mod array;
mod csv_rows;
mod lines;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object, or one object per line.
    JsonLines,
    JsonArray,
    Csv,
}

/// Look at the first non-blank bytes to tell the format.
pub fn detect(head: &[u8]) -> Format {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Format::JsonArray,
        Some(b'{') => Format::JsonLines,
        _ => Format::Csv,
    }
}

/// Parse and validate one referral from a JSON value.
pub fn referral_from_value(value: Value, now: DateTime<Utc>) -> Result<Referral, FieldError> {
    let referral = referral_from_value_unvalidated(value)?;
    match validate_referral(&referral, now).into_iter().next() {
        Some(err) => Err(err),
        None => Ok(referral),
    }
}

/// Every problem with a referral, for forms that show them all at once.
pub fn all_problems(value: Value, now: DateTime<Utc>) -> Result<Referral, Vec<FieldError>> {
    let referral = referral_from_value_unvalidated(value).map_err(|e| vec![e])?;
    let errs = validate_referral(&referral, now);
    if errs.is_empty() { Ok(referral) } else { Err(errs) }
}

fn referral_from_value_unvalidated(value: Value) -> Result<Referral, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new("", "a referral must be a JSON object"));
    }
    if nesting(&value) > MAX_NESTING {
        // Checked before deserializing: a value built in memory has no
        // recursion limit of its own.
        return Err(FieldError::new("", format!("nests objects and arrays more than {MAX_NESTING} levels deep")));
    }
    serde_path_to_error::deserialize(value).map(normalize).map_err(|e| {
        let path = e.path().to_string();
        describe_serde_error(if path == "." { "" } else { &path }, &e.into_inner().to_string())
    })
}

/// How deep objects and arrays nest in `value`, without recursion.
fn nesting(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((v, level)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        deepest = deepest.max(level);
        stack.extend(children.map(|c| (c, level + 1)));
    }
    deepest
}

/// Turn serde's message into "field: problem". Only the message's shape is
/// kept, never what the record held: a value sent in a field (a name, a
/// phone number) can identify a victim, so the problem is rebuilt from what
/// the field expects, which comes from Beacon's own types.
pub(crate) fn describe_serde_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let with_field = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    if let Some(rest) = message.strip_prefix("missing field `") {
        return FieldError::new(with_field(rest.trim_end_matches('`')), "is required");
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        return FieldError::new(with_field(rest.trim_end_matches('`')), "appears twice");
    }
    let problem = if message.starts_with("unknown variant") {
        match message.rsplit_once(", expected ") {
            Some((_, expected)) => format!("must be {}", expected.replace('`', "")),
            None => "is not one of the allowed values".to_string(),
        }
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        match message.rsplit_once(", expected ") {
            Some((_, expected)) => format!("must be {expected}"),
            None => "has the wrong type".to_string(),
        }
    } else if message.starts_with("invalid length") {
        match message.rsplit_once(", expected ") {
            Some((_, expected)) => format!("must have {expected}"),
            None => "has the wrong number of items".to_string(),
        }
    } else if message.contains("recursion limit") {
        "is nested too deeply".to_string()
    } else if [
        "premature end of input",
        "input contains invalid characters",
        "input is out of range",
        "trailing input",
        "input is not enough",
    ]
    .iter()
    .any(|m| message.starts_with(m))
    {
        "is not a valid RFC 3339 date and time, e.g. 2026-11-30T03:12:00Z".to_string()
    } else {
        "is not valid".to_string()
    };
    FieldError::new(path, problem)
}

/// Records from any supported format, one result per record.
pub struct Records<R: BufRead> {
    inner: Inner<R>,
}

enum Inner<R: BufRead> {
    Lines(lines::Lines<R>),
    Array(array::Elements<R>),
    Csv(Box<csv_rows::Rows<R>>),
    Failed(Option<RecordError>),
}

impl<R: BufRead> std::fmt::Debug for Records<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

/// Read records from `reader`, detecting the format from its first bytes.
/// Every format reads one record at a time and holds at most
/// [`MAX_RECORD_BYTES`] of it, however large the input or its records.
pub fn records<R: BufRead>(mut reader: R, now: DateTime<Utc>) -> Records<R> {
    let format = match reader.fill_buf() {
        Ok(head) => detect(head),
        Err(e) => return Records { inner: Inner::Failed(Some(file_error(read_problem(&e)))) },
    };
    let inner = match format {
        Format::JsonLines => Inner::Lines(lines::Lines::new(reader, now)),
        Format::JsonArray => Inner::Array(array::Elements::new(reader, now)),
        Format::Csv => match csv_rows::Rows::new(reader, now) {
            Ok(rows) => Inner::Csv(Box::new(rows)),
            Err(e) => Inner::Failed(Some(e)),
        },
    };
    Records { inner }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Result<Referral, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Failed(err) => err.take().map(Err),
            Inner::Lines(lines) => lines.next(),
            Inner::Array(elements) => elements.next(),
            Inner::Csv(rows) => rows.next(),
        }
    }
}

fn file_error(problem: String) -> RecordError {
    RecordError { position: "file".into(), external_id: None, error: FieldError::new("", problem) }
}

/// What went wrong reading the input itself (not one record of it).
fn read_problem(e: &std::io::Error) -> String {
    format!("could not read the input ({})", e.kind())
}

/// A record that is too large, found while reading it.
fn too_large(position: String, bytes: usize) -> RecordError {
    RecordError {
        position,
        external_id: None,
        error: FieldError::new("", format!("the record is {bytes} bytes; the limit is {MAX_RECORD_BYTES}")),
    }
}

/// One record given as JSON text (a JSON Lines line, a JSON array element).
fn from_json_bytes(position: String, bytes: &[u8], now: DateTime<Utc>) -> Result<Referral, RecordError> {
    let bytes = trim_ascii(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| RecordError {
        position: position.clone(),
        external_id: None,
        error: FieldError::new("", format!("the record is not valid UTF-8 (at byte {})", e.valid_up_to())),
    })?;
    referral_from_json_text(text, now).map_err(|error| RecordError {
        position,
        external_id: serde_json::from_str::<Value>(text).ok().as_ref().and_then(external_id_of),
        error,
    })
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &b[start..end]
}

fn finish(position: String, value: Value, now: DateTime<Utc>) -> Result<Referral, RecordError> {
    let external_id = external_id_of(&value);
    referral_from_value(value, now).map_err(|error| RecordError { position, external_id, error })
}

/// The external id of a record that failed, to help find it in its file.
fn external_id_of(value: &Value) -> Option<String> {
    value.get("external_id").and_then(Value::as_str).map(|s| s.trim().chars().take(128).collect())
}

/// Tidy what a sender may pad: an external id with spaces around it is the
/// same id without them (CSV cells are trimmed the same way), so it can be
/// looked up as a person types it.
fn normalize(mut r: Referral) -> Referral {
    let trimmed = r.external_id.trim();
    if trimmed.len() != r.external_id.len() {
        r.external_id = trimmed.to_string();
    }
    r
}

/// Parse and validate one referral straight from JSON text (the fast path
/// for JSON Lines: no intermediate `Value`).
pub fn referral_from_json_text(text: &str, now: DateTime<Utc>) -> Result<Referral, FieldError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let referral: Referral = match serde_path_to_error::deserialize(&mut de) {
        Ok(r) => r,
        Err(e) => {
            // Syntax errors come back from the deserializer too; tell them apart.
            if let Err(syntax) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                if syntax.to_string().starts_with("recursion limit") {
                    return Err(FieldError::new(
                        "",
                        format!("nests objects and arrays more than {MAX_NESTING} levels deep"),
                    ));
                }
                let at = match syntax.line() {
                    1 => format!("column {}", syntax.column()),
                    line => format!("line {line}, column {}", syntax.column()),
                };
                return Err(FieldError::new("", format!("the record is not valid JSON ({at})")));
            }
            if !text.trim_start().starts_with('{') {
                return Err(FieldError::new("", "a referral must be a JSON object"));
            }
            let path = e.path().to_string();
            return Err(describe_serde_error(if path == "." { "" } else { &path }, &e.into_inner().to_string()));
        }
    };
    if let Err(e) = de.end() {
        return Err(FieldError::new("", format!("unexpected text after the referral (column {})", e.column())));
    }
    let referral = normalize(referral);
    match validate_referral(&referral, now).into_iter().next() {
        Some(err) => Err(err),
        None => Ok(referral),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
    }

    fn all(input: &str) -> Vec<Result<Referral, RecordError>> {
        records(input.as_bytes(), now()).collect()
    }

    const GOOD: &str = r#"{"external_id":"A1","source":"hotline_call","received_at":"2026-11-29T03:00:00Z","urgency":"recent","narrative":"Two women at a motel."}"#;

    #[test]
    fn detects_each_format() {
        assert_eq!(detect(b"  [{}]"), Format::JsonArray);
        assert_eq!(detect(b"\xEF\xBB\xBF{\"a\":1}"), Format::JsonLines);
        assert_eq!(detect(b"external_id,source"), Format::Csv);
    }

    #[test]
    fn json_lines_reports_the_line_and_field_of_a_bad_record_and_keeps_the_good_ones() {
        let bad = GOOD.replace("\"recent\"", "\"soon\"").replace("A1", "A2");
        let input = format!("{GOOD}\n\n{bad}\n");
        let out = all(&input);
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok());
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.position, "line 3");
        assert_eq!(err.error.field, "urgency");
        assert_eq!(err.external_id.as_deref(), Some("A2"));
    }

    #[test]
    fn missing_required_fields_are_named() {
        let out = all(
            r#"{"external_id":"A1","source":"hotline_call","received_at":"2026-11-29T03:00:00Z","urgency":"recent"}"#,
        );
        let err = out[0].as_ref().unwrap_err();
        assert_eq!(err.error.field, "narrative");
        assert_eq!(err.error.problem, "is required");
    }

    #[test]
    fn type_errors_do_not_echo_the_value() {
        let input = GOOD.replace(
            r#""narrative":"Two women at a motel.""#,
            r#""narrative":"x","potential_victims":{"count":"Maria Lopez"}"#,
        );
        let err = all(&input).remove(0).unwrap_err();
        assert_eq!(err.error.field, "potential_victims.count");
        assert!(!err.to_string().contains("Maria"), "{err}");
    }

    #[test]
    fn bad_dates_and_coordinates_are_rejected() {
        let input = GOOD.replace("2026-11-29T03:00:00Z", "29/11/2026");
        assert_eq!(all(&input)[0].as_ref().unwrap_err().error.field, "received_at");
        let input = GOOD.replace(r#""narrative""#, r#""location":{"lat":91.0,"lon":-92.0},"narrative""#);
        assert_eq!(all(&input)[0].as_ref().unwrap_err().error.field, "location.lat");
    }

    #[test]
    fn a_broken_json_array_stops_where_it_breaks_and_says_so() {
        let out = all(&format!("[{GOOD},"));
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok());
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.position, "file");
        assert!(err.error.problem.contains("before its closing `]`"), "{err}");
        let out = all(&format!("[{GOOD} {GOOD}]"));
        assert!(out[1].as_ref().unwrap_err().error.problem.contains("missing a `,` after record 1"));
        let out = all(&format!("[{GOOD}] trailing"));
        assert!(out[1].as_ref().unwrap_err().error.problem.contains("after the JSON array"));
        let out = all(&format!("[{GOOD},,{GOOD}]"));
        assert!(out[1].as_ref().unwrap_err().error.problem.contains("empty element"));
    }

    #[test]
    fn a_json_array_is_read_element_by_element() {
        let second = GOOD.replace("A1", "A2");
        let bad = GOOD.replace("A1", "A3").replace("\"recent\"", "7");
        let input = format!("\u{feff}[\n  {GOOD},\n  {bad} ,{second}\n]\n");
        let out = all(&input);
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[0].as_ref().unwrap().external_id, "A1");
        let err = out[1].as_ref().unwrap_err();
        assert_eq!((err.position.as_str(), err.error.field.as_str()), ("record 2", "urgency"));
        assert_eq!(out[2].as_ref().unwrap().external_id, "A2");
        assert!(all("[]").is_empty());
        let scalar = all("[1]");
        assert!(scalar[0].as_ref().unwrap_err().error.problem.contains("JSON object"));
    }

    #[test]
    fn an_oversized_array_element_is_rejected_and_the_next_one_read() {
        let big = GOOD.replace("A1", "A0").replace("Two women at a motel.", &"a".repeat(MAX_RECORD_BYTES));
        let out = all(&format!("[{big},{GOOD}]"));
        assert_eq!(out.len(), 2);
        assert!(out[0].as_ref().unwrap_err().error.problem.contains("limit"));
        assert!(out[1].is_ok());
    }

    #[test]
    fn nesting_is_limited_where_the_record_says_it() {
        let deep = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        let ok = GOOD.replace(r#""narrative""#, &format!(r#""extra":{},"narrative""#, deep(MAX_NESTING - 1)));
        assert!(all(&ok)[0].is_ok());
        let too_deep = GOOD.replace(r#""narrative""#, &format!(r#""extra":{},"narrative""#, deep(MAX_NESTING)));
        let err = all(&too_deep).remove(0).unwrap_err();
        assert_eq!(err.error.field, "extra");
        assert!(err.error.problem.contains("nested too deeply"));
        let past_the_reader = GOOD.replace(r#""narrative""#, &format!(r#""extra":{},"narrative""#, deep(125)));
        let err = all(&past_the_reader).remove(0).unwrap_err();
        assert!(err.error.to_string().len() < 200, "{err}");
        let way_past = GOOD.replace(r#""narrative""#, &format!(r#""extra":{},"narrative""#, deep(5000)));
        assert!(all(&way_past)[0].as_ref().unwrap_err().error.problem.contains("deep"));
    }

    #[test]
    fn a_padded_external_id_is_stored_trimmed() {
        let r = all(&GOOD.replace(r#""A1""#, r#"" A1 ""#)).remove(0).unwrap();
        assert_eq!(r.external_id, "A1");
        let v: Value = serde_json::from_str(&GOOD.replace(r#""A1""#, r#""\tA1 ""#)).unwrap();
        assert_eq!(referral_from_value(v, now()).unwrap().external_id, "A1");
    }

    const CSV_HEAD: &str = "external_id,source,received_at,urgency,narrative\n";

    #[test]
    fn an_unclosed_csv_quote_never_swallows_the_rows_after_it() {
        let input = format!(
            "{CSV_HEAD}Q1,hotline_web,2026-11-28T10:00:00Z,recent,\"fine\"\n\
             Q2,hotline_web,2026-11-28T10:00:00Z,recent,\"never closed\n\
             Q3,hotline_web,2026-11-28T10:00:00Z,recent,swallowed\n"
        );
        let out = all(&input);
        assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 1, "{out:?}");
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.position, "row 3");
        assert!(err.error.problem.contains("unbalanced quote"), "{err}");
        // A quote inside an unquoted cell is refused too: it is the same mistake.
        let stray = format!("{CSV_HEAD}Q4,hotline_web,2026-11-28T10:00:00Z,recent,5 ft 10\" tall\n");
        assert!(all(&stray)[0].as_ref().unwrap_err().error.problem.contains("unbalanced quote"));
        // Doubled quotes inside a quoted cell are fine.
        let doubled = format!("{CSV_HEAD}Q5,hotline_web,2026-11-28T10:00:00Z,recent,\"he said \"\"now\"\"\"\n");
        assert_eq!(all(&doubled)[0].as_ref().unwrap().narrative, "he said \"now\"");
    }

    #[test]
    fn an_unclosed_quote_in_a_huge_csv_stops_at_the_limit() {
        let input = format!(
            "{CSV_HEAD}Q1,hotline_web,2026-11-28T10:00:00Z,recent,\"open\n{}",
            "Q2,hotline_web,2026-11-28T10:00:00Z,recent,more\n".repeat(20_000)
        );
        let out = all(&input);
        assert_eq!(out.len(), 1);
        let err = out[0].as_ref().unwrap_err();
        assert_eq!(err.position, "row 2");
        assert!(err.error.problem.contains("longer than"), "{err}");
    }

    #[test]
    fn a_duplicate_csv_column_rejects_the_file() {
        let input = "external_id,source,received_at,urgency,narrative,urgency\nD1,hotline_web,2026-11-28T10:00:00Z,recent,x,historical\n";
        let out = all(input);
        assert_eq!(out.len(), 1);
        let err = out[0].as_ref().unwrap_err();
        assert_eq!(err.position, "file");
        assert!(err.error.problem.contains("columns 4 and 6"), "{err}");
    }

    #[test]
    fn unknown_fields_are_kept() {
        let input = GOOD.replace(
            r#""narrative""#,
            r#""hotline_case_worker":"7","location":{"city":"Rolla","geo_source":"gps"},"narrative""#,
        );
        let r = all(&input).remove(0).unwrap();
        assert_eq!(r.extra.get("hotline_case_worker"), Some(&Value::String("7".into())));
        assert_eq!(r.location.unwrap().extra.get("geo_source"), Some(&Value::String("gps".into())));
    }

    #[test]
    fn csv_rows_map_dotted_columns_and_lists() {
        let input = "external_id,source,received_at,urgency,location.city,location.lat,location.lon,potential_victims.languages,suspect.vehicle.plate,indicators,narrative\n\
                     C1,hotline_web,2026-11-28T10:00:00Z,imminent,Joplin,37.08,-94.51,es;en,ABC123,controlled_movement;no_id_documents,\"Van, two men\"\n\
                     C2,hotline_web,2026-11-28T10:00:00Z,imminent,Joplin,north,-94.51,,,,x\n";
        let out = all(input);
        let r = out[0].as_ref().unwrap();
        assert_eq!(r.location.as_ref().unwrap().lat, Some(37.08));
        assert_eq!(r.victim_languages(), vec!["es", "en"]);
        assert_eq!(r.suspects[0].vehicle.as_ref().unwrap().plate.as_deref(), Some("ABC123"));
        assert_eq!(r.indicators.len(), 2);
        let err = out[1].as_ref().unwrap_err();
        assert_eq!((err.position.as_str(), err.error.field.as_str()), ("row 3", "location.lat"));
    }

    #[test]
    fn invalid_utf8_and_huge_lines_are_rejected_per_line() {
        let mut input = GOOD.as_bytes().to_vec();
        input.extend_from_slice(b"\n{\"external_id\":\"\xff\xfe\"}\n");
        let big = GOOD.replace("Two women at a motel.", &"a".repeat(10 * 1024 * 1024));
        input.extend_from_slice(big.as_bytes());
        let out: Vec<_> = records(&input[..], now()).collect();
        assert!(out[0].is_ok());
        assert!(out[1].as_ref().unwrap_err().error.problem.contains("UTF-8"));
        assert!(out[2].as_ref().unwrap_err().error.problem.contains("limit"));
    }
}
