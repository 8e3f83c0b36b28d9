//! Validation of a referral beyond its types. Every error names the field
//! (a dotted path such as `location.lat`) and says what is wrong in plain
//! words, without echoing the value: values may identify a victim.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::fmt;

use serde_json::Value;

use crate::referral::{Extra, Referral, is_known_indicator};

/// Longest narrative accepted, in characters (about thirty pages of notes).
pub const MAX_NARRATIVE_CHARS: usize = 64 * 1024;
/// Longest free-text description (victims, suspects, consent notes).
pub const MAX_DESCRIPTION_CHARS: usize = 8 * 1024;
/// Longest short field (names, addresses, phone numbers, ids).
pub const MAX_SHORT_CHARS: usize = 512;
/// Largest record accepted, in bytes as sent (a JSON Lines line, a JSON
/// array element, a CSV row). Every parser enforces it while reading, so a
/// huge record costs at most this much memory.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// Deepest nesting of objects and arrays in a record, the record itself
/// being level 1. Beacon's own fields reach level 4 (`suspects[0].vehicle`);
/// the rest is room for fields Beacon does not know. A stored referral is
/// read back inside its event, so this stays far below the JSON reader's
/// recursion limit (128): whatever is accepted can always be read.
pub const MAX_NESTING: usize = 16;
/// Most suspects one referral may list.
pub const MAX_SUSPECTS: usize = 100;
/// Most phone numbers one suspect may list.
pub const MAX_PHONES: usize = 20;
/// Most languages the potential victims may be listed as speaking.
pub const MAX_LANGUAGES: usize = 20;
/// Most indicators one referral may list (each documented one at most once
/// is far fewer).
pub const MAX_INDICATORS: usize = 64;
/// Longest field path an error names: a path is built from the record's
/// own keys, and a deeply nested one would otherwise fill the screen.
pub const MAX_PATH_CHARS: usize = 80;
/// Most potential victims one referral may report.
pub const MAX_VICTIM_COUNT: u32 = 10_000;
/// A referral may not claim to be received further in the future than this
/// (clocks drift; a day is generous).
pub const MAX_FUTURE_SKEW_HOURS: i64 = 24;

/// One thing wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// Dotted path of the field, e.g. `suspects[0].vehicle.plate`; empty for the whole record.
    pub field: String,
    pub problem: String,
}

impl FieldError {
    /// An error on `field`; a path longer than [`MAX_PATH_CHARS`] is cut.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldError { field: short_path(field.into()), problem: problem.into() }
    }
}

/// `path` cut to [`MAX_PATH_CHARS`] characters, marked where it was cut.
fn short_path(path: String) -> String {
    if path.chars().count() <= MAX_PATH_CHARS {
        return path;
    }
    let head: String = path.chars().take(MAX_PATH_CHARS).collect();
    format!("{head}…")
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "field `{}`: {}", self.field, self.problem)
        }
    }
}

/// A rejected record: where it was in its file and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{position}: {error}")]
pub struct RecordError {
    /// "line 12", "record 3", "row 7" — whatever locates it in the input.
    pub position: String,
    /// The referral's external id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub error: FieldError,
}

/// Check a parsed referral. Returns every problem found, not only the first.
pub fn validate_referral(r: &Referral, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if r.external_id.trim() != r.external_id {
        errs.push(FieldError::new("external_id", "must not start or end with spaces"));
    }
    let mut text = |field: &str, value: &str, max: usize, required: bool| {
        check_text(&mut errs, field, value, max, required);
    };

    text("external_id", &r.external_id, 128, true);
    text("narrative", &r.narrative, MAX_NARRATIVE_CHARS, true);

    if let Some(loc) = &r.location {
        for (field, value) in
            [("location.address", &loc.address), ("location.city", &loc.city), ("location.county", &loc.county)]
        {
            if let Some(v) = value {
                text(field, v, MAX_SHORT_CHARS, false);
            }
        }
        if let Some(state) = &loc.state
            && !(state.len() == 2 && state.chars().all(|c| c.is_ascii_alphabetic()))
        {
            errs.push(FieldError::new("location.state", "must be a two-letter postal code such as MO"));
        }
        if let Some(zip) = &loc.zip
            && !is_zip(zip)
        {
            errs.push(FieldError::new("location.zip", "must be a 5-digit ZIP code or ZIP+4 (12345-6789)"));
        }
        match (loc.lat, loc.lon) {
            (Some(_), None) => errs.push(FieldError::new(
                "location.lon",
                "is missing while `location.lat` is given; give both or neither",
            )),
            (None, Some(_)) => errs.push(FieldError::new(
                "location.lat",
                "is missing while `location.lon` is given; give both or neither",
            )),
            (Some(lat), Some(lon)) => {
                if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                    errs.push(FieldError::new("location.lat", "must be a latitude between -90 and 90"));
                }
                if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                    errs.push(FieldError::new("location.lon", "must be a longitude between -180 and 180"));
                }
            }
            (None, None) => {}
        }
    }

    if let Some(v) = &r.potential_victims {
        if v.count.is_some_and(|c| c > MAX_VICTIM_COUNT) {
            errs.push(FieldError::new("potential_victims.count", format!("must be at most {MAX_VICTIM_COUNT}")));
        }
        if v.languages.len() > MAX_LANGUAGES {
            errs.push(FieldError::new("potential_victims.languages", format!("lists more than {MAX_LANGUAGES}")));
        }
        for (i, l) in v.languages.iter().enumerate().take(MAX_LANGUAGES) {
            check_text(&mut errs, &format!("potential_victims.languages[{i}]"), l, 64, true);
        }
        if let Some(d) = &v.description {
            check_text(&mut errs, "potential_victims.description", d, MAX_DESCRIPTION_CHARS, false);
        }
    }

    if r.suspects.len() > MAX_SUSPECTS {
        errs.push(FieldError::new("suspects", format!("lists more than {MAX_SUSPECTS} suspects")));
    }
    for (i, s) in r.suspects.iter().enumerate().take(MAX_SUSPECTS) {
        if let Some(d) = &s.description {
            check_text(&mut errs, &format!("suspects[{i}].description"), d, MAX_DESCRIPTION_CHARS, false);
        }
        if s.phones.len() > MAX_PHONES {
            errs.push(FieldError::new(format!("suspects[{i}].phones"), format!("lists more than {MAX_PHONES}")));
        }
        for (j, p) in s.phones.iter().enumerate().take(MAX_PHONES) {
            let field = format!("suspects[{i}].phones[{j}]");
            check_text(&mut errs, &field, p, 40, true);
            if !p.chars().any(|c| c.is_ascii_digit()) {
                errs.push(FieldError::new(field, "must contain digits"));
            }
        }
        if let Some(v) = &s.vehicle {
            for (name, value) in
                [("plate", &v.plate), ("state", &v.state), ("make", &v.make), ("model", &v.model), ("color", &v.color)]
            {
                if let Some(value) = value {
                    check_text(&mut errs, &format!("suspects[{i}].vehicle.{name}"), value, 64, false);
                }
            }
        }
    }

    if let Some(rep) = &r.reporter {
        for (name, value) in [("name", &rep.name), ("phone", &rep.phone), ("email", &rep.email)] {
            if let Some(value) = value {
                check_text(&mut errs, &format!("reporter.{name}"), value, MAX_SHORT_CHARS, false);
            }
        }
        if let Some(email) = &rep.email
            && !email.trim().is_empty()
            && !email.contains('@')
        {
            errs.push(FieldError::new("reporter.email", "must be an email address"));
        }
    }

    if let Some(c) = &r.consent
        && let Some(n) = &c.notes
    {
        check_text(&mut errs, "consent.notes", n, MAX_DESCRIPTION_CHARS, false);
    }

    if r.indicators.len() > MAX_INDICATORS {
        errs.push(FieldError::new("indicators", format!("lists more than {MAX_INDICATORS}")));
    }
    for (i, ind) in r.indicators.iter().enumerate().take(MAX_INDICATORS) {
        if !is_known_indicator(ind) {
            errs.push(FieldError::new(
                format!("indicators[{i}]"),
                "is not a documented indicator (see docs/referral-format.md)",
            ));
        }
    }

    check_nesting(&mut errs, r);

    let earliest = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).single().expect("valid constant date");
    if r.received_at < earliest {
        errs.push(FieldError::new("received_at", "is before 1990; check the date"));
    }
    if r.received_at > now + Duration::hours(MAX_FUTURE_SKEW_HOURS) {
        errs.push(FieldError::new("received_at", "is more than a day in the future; check the date and time zone"));
    }
    errs
}

/// Fields Beacon does not know may nest, but no deeper than [`MAX_NESTING`].
fn check_nesting(errs: &mut Vec<FieldError>, r: &Referral) {
    // Each object's unknown fields, with its path and how many objects and
    // arrays enclose them.
    let mut extras: Vec<(String, usize, &Extra)> = vec![(String::new(), 1, &r.extra)];
    if let Some(l) = &r.location {
        extras.push(("location.".into(), 2, &l.extra));
    }
    if let Some(v) = &r.potential_victims {
        extras.push(("potential_victims.".into(), 2, &v.extra));
    }
    if let Some(rep) = &r.reporter {
        extras.push(("reporter.".into(), 2, &rep.extra));
    }
    if let Some(c) = &r.consent {
        extras.push(("consent.".into(), 2, &c.extra));
    }
    for (i, s) in r.suspects.iter().enumerate().take(MAX_SUSPECTS) {
        extras.push((format!("suspects[{i}]."), 3, &s.extra));
        if let Some(v) = &s.vehicle {
            extras.push((format!("suspects[{i}].vehicle."), 4, &v.extra));
        }
    }
    for (prefix, enclosing, extra) in extras {
        for (key, value) in extra {
            if enclosing + containers(value) > MAX_NESTING {
                errs.push(FieldError::new(
                    format!("{prefix}{key}"),
                    format!("is nested too deeply: a record may nest objects and arrays {MAX_NESTING} levels deep"),
                ));
            }
        }
    }
}

/// How many objects and arrays nest in `v`, itself included (0 for a scalar).
fn containers(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(containers).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(containers).max().unwrap_or(0),
        _ => 0,
    }
}

fn check_text(errs: &mut Vec<FieldError>, field: &str, value: &str, max: usize, required: bool) {
    if required && value.trim().is_empty() {
        errs.push(FieldError::new(field, "is required and must not be empty"));
        return;
    }
    let chars = value.chars().count();
    if chars > max {
        errs.push(FieldError::new(field, format!("is {chars} characters long; the limit is {max}")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errs.push(FieldError::new(field, "contains control characters"));
    }
}

fn is_zip(zip: &str) -> bool {
    let b = zip.as_bytes();
    match b.len() {
        5 => b.iter().all(u8::is_ascii_digit),
        10 => b[..5].iter().all(u8::is_ascii_digit) && b[5] == b'-' && b[6..].iter().all(u8::is_ascii_digit),
        _ => false,
    }
}
