//! A JSON array of referrals, read one element at a time: the file is never
//! held whole, and each element is parsed on its own so one bad record does
//! not block the others. The array's own punctuation (`[`, `,`, `]`) is
//! checked as it goes; where it breaks, reading stops and says so, since
//! nothing after that point can be trusted to be a record boundary.

use chrono::{DateTime, Utc};
use std::io::{BufRead, ErrorKind};

use super::{file_error, from_json_bytes, read_problem, too_large};
use crate::referral::Referral;
use crate::validate::{MAX_RECORD_BYTES, RecordError};

pub(super) struct Elements<R> {
    reader: R,
    now: DateTime<Utc>,
    /// Elements read so far (the next one is `index + 1`).
    index: usize,
    state: State,
    buf: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// After `[` or after an element: an element, `,` or `]` comes next.
    Between {
        first: bool,
    },
    Done,
}

impl<R: BufRead> Elements<R> {
    pub(super) fn new(reader: R, now: DateTime<Utc>) -> Self {
        Elements { reader, now, index: 0, state: State::Start, buf: Vec::new() }
    }

    /// Stop reading, with why.
    fn fail(&mut self, problem: String) -> Option<Result<Referral, RecordError>> {
        self.state = State::Done;
        let read = match self.index {
            0 => "nothing was read".to_string(),
            n => format!("the {n} record(s) before it were read"),
        };
        Some(Err(file_error(format!("{problem}; {read}, nothing after it"))))
    }

    fn next_element(&mut self) -> Option<Result<Referral, RecordError>> {
        loop {
            let at = match self.state {
                State::Done => return None,
                State::Start => {
                    return match skip_space(&mut self.reader, true) {
                        Err(e) => self.fail(read_problem(&e)),
                        Ok(Some(b'[')) => {
                            self.reader.consume(1);
                            self.state = State::Between { first: true };
                            continue;
                        }
                        Ok(_) => self.fail("the input does not start with a JSON array".into()),
                    };
                }
                State::Between { first } => first,
            };
            let first = at;
            let next = match skip_space(&mut self.reader, false) {
                Err(e) => return self.fail(read_problem(&e)),
                Ok(next) => next,
            };
            match next {
                None => {
                    return self
                        .fail(format!("the JSON array ends before its closing `]` (after record {})", self.index));
                }
                Some(b']') => {
                    self.reader.consume(1);
                    self.state = State::Done;
                    return match skip_space(&mut self.reader, false) {
                        Ok(None) => None,
                        Ok(Some(_)) => self.fail("there is text after the JSON array's closing `]`".into()),
                        Err(e) => self.fail(read_problem(&e)),
                    };
                }
                Some(b',') if !first => {
                    self.reader.consume(1);
                    match skip_space(&mut self.reader, false) {
                        Ok(None) => {
                            return self.fail(format!(
                                "the JSON array ends before its closing `]` (after record {})",
                                self.index
                            ));
                        }
                        Ok(Some(b']' | b',')) => {
                            return self
                                .fail(format!("the JSON array has an empty element after record {}", self.index));
                        }
                        Ok(Some(_)) => {}
                        Err(e) => return self.fail(read_problem(&e)),
                    }
                }
                Some(_) if first => {}
                Some(_) => {
                    return self.fail(format!("the JSON array is missing a `,` after record {}", self.index));
                }
            }
            self.index += 1;
            let position = format!("record {}", self.index);
            return match read_value(&mut self.reader, &mut self.buf, MAX_RECORD_BYTES) {
                Err(e) => self.fail(read_problem(&e)),
                Ok(None) => self.fail(format!("the JSON array ends inside {position}")),
                Ok(Some(length)) if length > MAX_RECORD_BYTES => {
                    self.state = State::Between { first: false };
                    Some(Err(too_large(position, length)))
                }
                Ok(Some(_)) => {
                    self.state = State::Between { first: false };
                    Some(from_json_bytes(position, &self.buf, self.now))
                }
            };
        }
    }
}

impl<R: BufRead> Iterator for Elements<R> {
    type Item = Result<Referral, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_element()
    }
}

/// Skip whitespace (and, at the very start, a UTF-8 byte order mark);
/// return the next byte without consuming it.
fn skip_space<R: BufRead>(reader: &mut R, at_start: bool) -> std::io::Result<Option<u8>> {
    if at_start {
        let head = fill(reader)?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
    }
    loop {
        let chunk = fill(reader)?;
        match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = chunk[i];
                reader.consume(i);
                return Ok(Some(b));
            }
            None if chunk.is_empty() => return Ok(None),
            None => {
                let n = chunk.len();
                reader.consume(n);
            }
        }
    }
}

/// `fill_buf`, retried when interrupted.
fn fill<R: BufRead>(reader: &mut R) -> std::io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    // The buffer is filled now (or the input has ended), so this call only
    // returns it; it is made again so the borrow can leave the loop.
    reader.fill_buf()
}

/// Read one JSON value (an element of the array) into `buf`, keeping at most
/// `max + 1` bytes of it. The value ends where its brackets close, its string
/// closes, or (for a number, `true`, …) at the next `,`, `]` or whitespace;
/// that delimiter is left unread. Returns the value's length, or `None` when
/// the input ends inside it. Only the brackets and strings are tracked here;
/// whether the value is valid JSON is for the parser to say.
fn read_value<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Option<usize>> {
    buf.clear();
    let mut length = 0usize;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    loop {
        let chunk = fill(reader)?;
        if chunk.is_empty() {
            return Ok(None);
        }
        let mut end = None;
        for (i, &b) in chunk.iter().enumerate() {
            let first = length == 0 && i == 0;
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                b',' | b']' | b'}' if depth == 0 && !first => {
                    end = Some(i);
                    break;
                }
                b if depth == 0 && !first && b.is_ascii_whitespace() => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let take = end.unwrap_or(chunk.len());
        let room = (max + 1).saturating_sub(buf.len()).min(take);
        buf.extend_from_slice(&chunk[..room]);
        length += take;
        reader.consume(take);
        if end.is_some() {
            return Ok(Some(length));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(input: &str) -> Vec<String> {
        let mut reader = input.as_bytes();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while read_value(&mut reader, &mut buf, 1000).unwrap().is_some() {
            out.push(String::from_utf8(buf.clone()).unwrap());
            // Skip the delimiter, as the array reader does.
            let _ = skip_space(&mut reader, false);
            if reader.first() == Some(&b',') {
                reader = &reader[1..];
                let _ = skip_space(&mut reader, false);
            } else {
                break;
            }
        }
        out
    }

    #[test]
    fn values_end_where_their_brackets_and_strings_close() {
        assert_eq!(
            values(r#"{"a":"}],\""},[1,[2]],"x,]",12,true]"#),
            vec![r#"{"a":"}],\""}"#, "[1,[2]]", r#""x,]""#, "12", "true"]
        );
    }

    #[test]
    fn a_value_cut_off_by_the_end_is_none() {
        let mut reader: &[u8] = br#"{"a":"b"#;
        assert_eq!(read_value(&mut reader, &mut Vec::new(), 100).unwrap(), None);
    }

    #[test]
    fn a_long_value_is_measured_but_not_kept() {
        let input = format!("\"{}\"", "x".repeat(50));
        let mut reader = input.as_bytes();
        let mut buf = Vec::new();
        assert_eq!(read_value(&mut reader, &mut buf, 10).unwrap(), Some(52));
        assert_eq!(buf.len(), 11);
    }
}
