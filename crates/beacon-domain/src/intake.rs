//! Reading referrals from what hotlines send: a JSON object, a JSON array,
//! JSON Lines or CSV, detected from the content. Each record is parsed and
//! validated on its own so that one bad record never blocks the good ones,
//! and every error names the record's position and the field.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::io::BufRead;

use crate::referral::Referral;
use crate::validate::{FieldError, MAX_RECORD_BYTES, RecordError, validate_referral};

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
    if !value.is_object() {
        return Err(FieldError::new("", "a referral must be a JSON object"));
    }
    let referral: Referral = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        describe_serde_error(if path == "." { "" } else { &path }, &e.into_inner().to_string())
    })?;
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
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        describe_serde_error(if path == "." { "" } else { &path }, &e.into_inner().to_string())
    })
}

/// Longest field path an error names: a path is built from the record's
/// own keys, and a deeply nested one would otherwise fill the screen.
const MAX_PATH_CHARS: usize = 80;

/// Turn serde's message into "field: problem". Only the message's shape is
/// kept, never what the record held: a value sent in a field (a name, a
/// phone number) can identify a victim, so the problem is rebuilt from what
/// the field expects, which comes from Beacon's own types.
pub(crate) fn describe_serde_error(path: &str, message: &str) -> FieldError {
    let path = short_path(path);
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

/// `path` cut to [`MAX_PATH_CHARS`] characters, marked where it was cut.
fn short_path(path: &str) -> String {
    if path.chars().count() <= MAX_PATH_CHARS {
        return path.to_string();
    }
    let head: String = path.chars().take(MAX_PATH_CHARS).collect();
    format!("{head}…")
}

/// Records from any supported format, one result per record.
pub struct Records<R: BufRead> {
    inner: Inner<R>,
    now: DateTime<Utc>,
}

enum Inner<R: BufRead> {
    Lines { reader: R, line_no: usize, buf: Vec<u8> },
    Array { values: std::vec::IntoIter<Value>, index: usize },
    Csv { reader: Box<csv::Reader<R>>, headers: Vec<String>, row: usize },
    Failed(Option<RecordError>),
}

impl<R: BufRead> std::fmt::Debug for Records<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

/// Read records from `reader`, detecting the format from its first bytes.
pub fn records<R: BufRead>(mut reader: R, now: DateTime<Utc>) -> Records<R> {
    let format = match reader.fill_buf() {
        Ok(head) => detect(head),
        Err(e) => {
            return Records { inner: Inner::Failed(Some(file_error(format!("could not read the input: {e}")))), now };
        }
    };
    let inner = match format {
        Format::JsonLines => Inner::Lines { reader, line_no: 0, buf: Vec::new() },
        Format::JsonArray => {
            let mut bytes = Vec::new();
            match reader.read_to_end(&mut bytes) {
                Err(e) => Inner::Failed(Some(file_error(format!("could not read the input: {e}")))),
                Ok(_) => match std::str::from_utf8(&bytes) {
                    Err(e) => Inner::Failed(Some(file_error(format!(
                        "the file is not valid UTF-8 (at byte {}); nothing was imported",
                        e.valid_up_to()
                    )))),
                    Ok(text) => match serde_json::from_str::<Vec<Value>>(text) {
                        Ok(values) => Inner::Array { values: values.into_iter(), index: 0 },
                        Err(e) => Inner::Failed(Some(file_error(format!(
                            "the JSON array is malformed at line {}, column {}; nothing was imported",
                            e.line(),
                            e.column()
                        )))),
                    },
                },
            }
        }
        Format::Csv => {
            let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
            match csv.headers() {
                Ok(h) => {
                    let headers = h.iter().map(|s| s.trim().trim_start_matches('\u{feff}').to_string()).collect();
                    Inner::Csv { reader: Box::new(csv), headers, row: 1 }
                }
                Err(e) => {
                    Inner::Failed(Some(file_error(format!("could not read the CSV header: {}", csv_problem(&e)))))
                }
            }
        }
    };
    Records { inner, now }
}

fn file_error(problem: String) -> RecordError {
    RecordError { position: "file".into(), external_id: None, error: FieldError::new("", problem) }
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "a cell is not valid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("the row has {len} cells but the header has {expected_len}")
        }
        _ => "the CSV is malformed".into(),
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Result<Referral, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let now = self.now;
        match &mut self.inner {
            Inner::Failed(err) => err.take().map(Err),
            Inner::Array { values, index } => {
                let value = values.next()?;
                *index += 1;
                Some(finish(format!("record {}", *index), value, now))
            }
            Inner::Lines { reader, line_no, buf } => loop {
                buf.clear();
                match reader.read_until(b'\n', buf) {
                    Err(e) => return Some(Err(file_error(format!("could not read the input: {e}")))),
                    Ok(0) => return None,
                    Ok(_) => {}
                }
                *line_no += 1;
                let position = format!("line {line_no}");
                let line = trim_ascii(buf);
                if line.is_empty() {
                    continue;
                }
                if line.len() > MAX_RECORD_BYTES {
                    return Some(Err(RecordError {
                        position,
                        external_id: None,
                        error: FieldError::new(
                            "",
                            format!("the record is {} bytes; the limit is {MAX_RECORD_BYTES}", line.len()),
                        ),
                    }));
                }
                let text = match std::str::from_utf8(line) {
                    Ok(t) => t,
                    Err(e) => {
                        return Some(Err(RecordError {
                            position,
                            external_id: None,
                            error: FieldError::new(
                                "",
                                format!("the line is not valid UTF-8 (at byte {})", e.valid_up_to()),
                            ),
                        }));
                    }
                };
                return Some(referral_from_json_text(text, now).map_err(|error| RecordError {
                    position,
                    external_id: serde_json::from_str::<Value>(text).ok().as_ref().and_then(external_id_of),
                    error,
                }));
            },
            Inner::Csv { reader, headers, row } => {
                let mut record = csv::StringRecord::new();
                *row += 1;
                let position = format!("row {}", *row);
                match reader.read_record(&mut record) {
                    Ok(false) => None,
                    Err(e) => {
                        let problem = csv_problem(&e);
                        // The csv reader cannot resynchronise after a broken quote; stop here.
                        let fatal =
                            !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. });
                        if fatal {
                            self.inner = Inner::Failed(None);
                        }
                        Some(Err(RecordError { position, external_id: None, error: FieldError::new("", problem) }))
                    }
                    Ok(true) => Some(match csv_row_to_value(headers, &record) {
                        Ok(value) => finish(position, value, now),
                        Err(error) => Err(RecordError { position, external_id: None, error }),
                    }),
                }
            }
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    let b = &b[start..end];
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn finish(position: String, value: Value, now: DateTime<Utc>) -> Result<Referral, RecordError> {
    let external_id = external_id_of(&value);
    referral_from_value(value, now).map_err(|error| RecordError { position, external_id, error })
}

fn external_id_of(value: &Value) -> Option<String> {
    value.get("external_id").and_then(Value::as_str).map(|s| s.chars().take(128).collect())
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
                return Err(FieldError::new("", format!("the line is not valid JSON (column {})", syntax.column())));
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
    match validate_referral(&referral, now).into_iter().next() {
        Some(err) => Err(err),
        None => Ok(referral),
    }
}

/// CSV columns use dotted names (`location.lat`, `suspect.vehicle.plate`);
/// list cells are separated by `;`. A CSV row carries at most one suspect.
fn csv_row_to_value(headers: &[String], record: &csv::StringRecord) -> Result<Value, FieldError> {
    let mut root = Map::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() || header.is_empty() {
            continue;
        }
        let path: Vec<&str> = header.split('.').collect();
        let leaf = *path.last().unwrap_or(&"");
        let value = csv_cell(header, leaf, cell)?;
        let (objects, key) = path.split_at(path.len() - 1);
        let mut target = &mut root;
        for (depth, segment) in objects.iter().enumerate() {
            let segment = if depth == 0 && *segment == "suspect" { "suspects" } else { segment };
            let entry = target.entry(segment.to_string()).or_insert_with(|| {
                if depth == 0 && segment == "suspects" {
                    Value::Array(vec![Value::Object(Map::new())])
                } else {
                    Value::Object(Map::new())
                }
            });
            let next = match entry {
                Value::Array(items) => items.first_mut().and_then(Value::as_object_mut),
                Value::Object(map) => Some(map),
                _ => None,
            };
            target =
                next.ok_or_else(|| FieldError::new(header.clone(), "conflicts with another column of the same name"))?;
        }
        target.insert(key[0].to_string(), value);
    }
    Ok(Value::Object(root))
}

fn csv_cell(header: &str, leaf: &str, cell: &str) -> Result<Value, FieldError> {
    const LISTS: &[&str] = &["languages", "phones", "indicators"];
    const NUMBERS: &[&str] = &["lat", "lon", "count"];
    const BOOLS: &[&str] = &["contact_ok", "share_identifying_info"];
    if LISTS.contains(&leaf) {
        return Ok(Value::Array(
            cell.split(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.into())).collect(),
        ));
    }
    if NUMBERS.contains(&leaf) {
        let n: f64 = cell.parse().map_err(|_| FieldError::new(header, "must be a number"))?;
        if leaf == "count" {
            if n.fract() != 0.0 || n < 0.0 {
                return Err(FieldError::new(header, "must be a whole number, 0 or more"));
            }
            return Ok(Value::from(n as u64));
        }
        return serde_json::Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| FieldError::new(header, "must be a finite number"));
    }
    if BOOLS.contains(&leaf) {
        return match cell.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "n" | "0" => Ok(Value::Bool(false)),
            _ => Err(FieldError::new(header, "must be true or false")),
        };
    }
    Ok(Value::String(cell.to_string()))
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
    fn a_malformed_json_array_rejects_the_whole_file() {
        let out = all(&format!("[{GOOD},"));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].as_ref().unwrap_err().position, "file");
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
