//! JSON Lines: one referral per line (a single JSON object is one line).

use chrono::{DateTime, Utc};
use std::io::{BufRead, ErrorKind};

use super::{file_error, from_json_bytes, read_problem, too_large};
use crate::referral::Referral;
use crate::validate::{MAX_RECORD_BYTES, RecordError};

pub(super) struct Lines<R> {
    reader: R,
    now: DateTime<Utc>,
    line_no: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    pub(super) fn new(reader: R, now: DateTime<Utc>) -> Self {
        Lines { reader, now, line_no: 0, buf: Vec::new(), done: false }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<Referral, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let length = match read_line_bounded(&mut self.reader, &mut self.buf, MAX_RECORD_BYTES) {
                Ok(Some(length)) => length,
                Ok(None) => return None,
                Err(e) => {
                    self.done = true;
                    return Some(Err(file_error(read_problem(&e))));
                }
            };
            self.line_no += 1;
            let position = format!("line {}", self.line_no);
            if length > MAX_RECORD_BYTES {
                return Some(Err(too_large(position, length)));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(from_json_bytes(position, &self.buf, self.now));
        }
        None
    }
}

/// Read one line into `buf`, keeping at most `max + 1` of its bytes (the
/// rest is read past, not kept). Returns the line's whole length, or `None`
/// at the end of the input.
fn read_line_bounded<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Option<usize>> {
    buf.clear();
    let mut length = 0;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((length > 0).then_some(length));
        }
        let (take, ends) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (max + 1).saturating_sub(buf.len()).min(take);
        buf.extend_from_slice(&chunk[..room]);
        length += take;
        reader.consume(take);
        if ends {
            return Ok(Some(length));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_measured_but_not_kept() {
        let input = format!("{}\nnext\n", "x".repeat(100));
        let mut reader = input.as_bytes();
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 10).unwrap(), Some(101));
        assert_eq!(buf.len(), 11);
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 10).unwrap(), Some(5));
        assert_eq!(buf, b"next\n");
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 10).unwrap(), None);
    }
}
