//! CSV: one referral per row, columns named by dotted field paths.
//!
//! The reader underneath is watched as it reads: a row may not grow past
//! [`MAX_RECORD_BYTES`] (so an unclosed quote in a huge file costs bounded
//! memory), and each row's quotes must pair up. An unclosed quote would
//! otherwise swallow the rows after it into one cell, silently.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex, PoisonError};

use super::{file_error, finish, read_problem, too_large};
use crate::referral::Referral;
use crate::validate::{FieldError, MAX_NESTING, MAX_RECORD_BYTES, RecordError};

/// How far the CSV reader may read ahead of the row it is parsing.
const READ_AHEAD: u64 = 64 * 1024;

pub(super) struct Rows<R: BufRead> {
    reader: csv::Reader<Watched<R>>,
    watch: Arc<Mutex<Watch>>,
    headers: Vec<String>,
    /// The row number of the last row read; the header is row 1.
    row: usize,
    record: csv::StringRecord,
    now: DateTime<Utc>,
    done: bool,
}

/// What the watched reader has seen.
#[derive(Default)]
struct Watch {
    /// Bytes read from the input so far.
    read: u64,
    /// Where the row being parsed starts.
    row_start: u64,
    /// Offsets of the quote characters read but not yet assigned to a row.
    quotes: VecDeque<u64>,
    /// The row being parsed grew past the limit; reading stopped.
    overflowed: bool,
}

/// The input, counting bytes and noting each quote as it is read.
struct Watched<R> {
    inner: R,
    watch: Arc<Mutex<Watch>>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut w = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        if w.read - w.row_start > MAX_RECORD_BYTES as u64 + READ_AHEAD {
            w.overflowed = true;
            return Err(std::io::Error::other("a row is longer than the limit"));
        }
        let n = self.inner.read(buf)?;
        let base = w.read;
        w.quotes.extend(buf[..n].iter().enumerate().filter(|(_, b)| **b == b'"').map(|(i, _)| base + i as u64));
        w.read += n as u64;
        Ok(n)
    }
}

/// A row's extent, once parsed.
struct Extent {
    bytes: u64,
    balanced_quotes: bool,
}

impl<R: BufRead> Rows<R> {
    pub(super) fn new(input: R, now: DateTime<Utc>) -> Result<Self, RecordError> {
        let watch = Arc::new(Mutex::new(Watch::default()));
        let watched = Watched { inner: input, watch: watch.clone() };
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(watched);
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|s| s.trim().trim_start_matches('\u{feff}').to_string()).collect(),
            Err(e) => {
                let problem = if watch.lock().unwrap_or_else(PoisonError::into_inner).overflowed {
                    format!("the CSV header is longer than {MAX_RECORD_BYTES} bytes")
                } else {
                    format!("could not read the CSV header: {}", csv_problem(&e))
                };
                return Err(file_error(problem));
            }
        };
        let mut rows = Rows { reader, watch, headers, row: 1, record: csv::StringRecord::new(), now, done: false };
        if !rows.end_row().balanced_quotes {
            return Err(file_error("the CSV header has an unbalanced quote (`\"`)".into()));
        }
        check_headers(&rows.headers)?;
        Ok(rows)
    }

    /// Close the row the reader has just parsed: its size, and whether its
    /// quotes pair up.
    fn end_row(&mut self) -> Extent {
        let end = self.reader.position().byte();
        let mut w = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        let mut quotes = 0usize;
        while w.quotes.front().is_some_and(|&q| q < end) {
            w.quotes.pop_front();
            quotes += 1;
        }
        let bytes = end.saturating_sub(w.row_start);
        w.row_start = end;
        Extent { bytes, balanced_quotes: quotes.is_multiple_of(2) }
    }

    fn overflowed(&self) -> bool {
        self.watch.lock().unwrap_or_else(PoisonError::into_inner).overflowed
    }

    fn row_error(&self, problem: impl Into<String>) -> RecordError {
        RecordError { position: format!("row {}", self.row), external_id: None, error: FieldError::new("", problem) }
    }
}

const UNBALANCED: &str = "has an unbalanced quote (`\"`): a quoted cell is never closed, or a cell holds a quote \
     without being quoted. Quote the cell and double each quote inside it; the row was not stored";

impl<R: BufRead> Iterator for Rows<R> {
    type Item = Result<Referral, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.row += 1;
        let mut record = std::mem::take(&mut self.record);
        let read = self.reader.read_record(&mut record);
        let result = match read {
            Ok(false) => {
                self.done = true;
                None
            }
            Err(_) if self.overflowed() => {
                self.done = true;
                Some(Err(self.row_error(format!(
                    "the row is longer than {MAX_RECORD_BYTES} bytes (is a quote left open?); \
                     nothing from here on was read"
                ))))
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. } => {
                    let extent = self.end_row();
                    Some(Err(self.row_error(if extent.balanced_quotes { csv_problem(&e) } else { UNBALANCED.into() })))
                }
                csv::ErrorKind::Io(io) => {
                    self.done = true;
                    Some(Err(file_error(read_problem(io))))
                }
                _ => {
                    self.done = true;
                    Some(Err(self.row_error(format!("{}; nothing from here on was read", csv_problem(&e)))))
                }
            },
            Ok(true) => {
                let extent = self.end_row();
                let position = format!("row {}", self.row);
                Some(if !extent.balanced_quotes {
                    Err(self.row_error(UNBALANCED))
                } else if extent.bytes > MAX_RECORD_BYTES as u64 {
                    Err(too_large(position, extent.bytes as usize))
                } else {
                    match csv_row_to_value(&self.headers, &record) {
                        Ok(value) => finish(position, value, self.now),
                        Err(error) => Err(RecordError { position, external_id: None, error }),
                    }
                })
            }
        };
        self.record = record;
        result
    }
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

/// The header names each column once, and no deeper than a record may nest.
fn check_headers(headers: &[String]) -> Result<(), RecordError> {
    let mut seen = std::collections::HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        if header.is_empty() {
            continue;
        }
        if header.split('.').count() >= MAX_NESTING {
            return Err(file_error(format!("CSV column {} nests more than {MAX_NESTING} levels deep", i + 1)));
        }
        // `suspect.x` is stored as `suspects[0].x`; the two spellings are one column.
        let key = header.strip_prefix("suspects.").map_or_else(|| header.clone(), |rest| format!("suspect.{rest}"));
        if let Some(first) = seen.insert(key, i + 1) {
            return Err(file_error(format!(
                // Numbers, not the name: a file without a header row has a
                // record where its header should be.
                "the CSV header names one column twice (columns {first} and {}); nothing was imported",
                i + 1
            )));
        }
    }
    Ok(())
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
