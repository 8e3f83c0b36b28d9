//! The `.shp` and `.dbf` files of an ESRI shapefile, read here rather than
//! by the `shapefile` and `dbase` crates: their readers trust the lengths
//! and counts a file declares (a damaged file makes them overflow, allocate
//! without bound or fail an assertion). Here every length is checked
//! against the bytes present before anything is read or allocated, so a
//! damaged file is refused by record. Rejections name the record (and the
//! field) and what is wrong, never a value.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use crate::error::LayerError;

/// One record's shape.
#[derive(Debug)]
pub(crate) enum Shape {
    Null,
    /// A Polygon, PolygonZ or PolygonM (Z and M values are not needed).
    Polygon(MultiPolygon<f64>),
    /// Another shape type, by name.
    Other(&'static str),
}

const HEADER_BYTES: usize = 100;
const RECORD_HEADER_BYTES: usize = 8;
const FILE_CODE: i32 = 9994;
/// Shape type (4), bounding box (32), number of parts (4), number of points (4).
const POLYGON_FIXED_BYTES: usize = 44;

/// Every record of a `.shp`, in order.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Shape>, LayerError> {
    let file = |problem: &str| LayerError::Shapefile(format!("the .shp {problem}"));
    if bytes.len() < HEADER_BYTES {
        return Err(file("is shorter than a shapefile header"));
    }
    if be_i32(bytes, 0) != FILE_CODE {
        return Err(file("is not a shapefile (its file code is wrong)"));
    }
    // The header's length (in 16-bit words) when it is plausible; records
    // end there (anything after is not the shapefile's), else at the end.
    let declared = i64::from(be_i32(bytes, 24)) * 2;
    let end =
        if (HEADER_BYTES as i64..=bytes.len() as i64).contains(&declared) { declared as usize } else { bytes.len() };
    let mut shapes = Vec::new();
    let mut at = HEADER_BYTES;
    while at < end {
        let index = shapes.len();
        let record = |problem: &str| LayerError::Shapefile(format!("record {index}: the .shp {problem}"));
        if end - at < RECORD_HEADER_BYTES {
            return Err(record("ends inside the record's header"));
        }
        let content_bytes = usize::try_from(be_i32(bytes, at + 4))
            .ok()
            .map(|words| words * 2)
            .filter(|&n| n >= 4 && n <= end - at - RECORD_HEADER_BYTES)
            .ok_or_else(|| record("gives the record a length that does not fit the file"))?;
        let start = at + RECORD_HEADER_BYTES;
        shapes.push(shape(&bytes[start..start + content_bytes]).map_err(record)?);
        at = start + content_bytes;
    }
    Ok(shapes)
}

fn shape(content: &[u8]) -> Result<Shape, &'static str> {
    match le_i32(content, 0) {
        0 => Ok(Shape::Null),
        5 | 15 | 25 => polygon(content).map(Shape::Polygon),
        other => Ok(Shape::Other(type_name(other))),
    }
}

fn type_name(code: i32) -> &'static str {
    match code {
        1 => "Point",
        3 => "PolyLine",
        8 => "MultiPoint",
        11 => "PointZ",
        13 => "PolyLineZ",
        18 => "MultiPointZ",
        21 => "PointM",
        23 => "PolyLineM",
        28 => "MultiPointM",
        31 => "MultiPatch",
        _ => "not a shape type",
    }
}

/// A polygon record's rings, grouped as ESRI lays them out: an outer ring
/// (clockwise) followed by its holes (counter-clockwise).
fn polygon(c: &[u8]) -> Result<MultiPolygon<f64>, &'static str> {
    if c.len() < POLYGON_FIXED_BYTES {
        return Err("cuts the polygon short");
    }
    let parts = usize::try_from(le_i32(c, 36)).map_err(|_| "gives the polygon a negative number of parts")?;
    let points = usize::try_from(le_i32(c, 40)).map_err(|_| "gives the polygon a negative number of points")?;
    // Both counts are below 2^31, so this cannot overflow.
    let needed = POLYGON_FIXED_BYTES as u64 + 4 * parts as u64 + 16 * points as u64;
    if needed > c.len() as u64 {
        return Err("gives the polygon more parts or points than its record holds");
    }
    if parts == 0 && points > 0 {
        return Err("gives the polygon points but no parts");
    }
    let starts: Vec<usize> =
        (0..parts).map(|i| usize::try_from(le_i32(c, POLYGON_FIXED_BYTES + 4 * i)).unwrap_or(usize::MAX)).collect();
    if starts.first().is_some_and(|&s| s != 0)
        || starts.windows(2).any(|w| w[0] > w[1])
        || starts.iter().any(|&s| s > points)
    {
        return Err("gives the polygon's parts starts that are out of order or past its points");
    }
    let first_point = POLYGON_FIXED_BYTES + 4 * parts;
    let coord = |k: usize| Coord { x: le_f64(c, first_point + 16 * k), y: le_f64(c, first_point + 16 * k + 8) };
    let mut polygons: Vec<Polygon<f64>> = Vec::new();
    let mut last: Option<Polygon<f64>> = None;
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(points);
        let ring = LineString((start..end).map(coord).collect());
        if is_outer(&ring) {
            polygons.extend(last.take());
            last = Some(Polygon::new(ring, vec![]));
        } else if let Some(p) = last.as_mut() {
            p.interiors_push(ring);
        } else {
            // A hole before any outer ring: kept, for validation to refuse.
            polygons.push(Polygon::new(LineString(vec![]), vec![ring]));
        }
    }
    polygons.extend(last);
    Ok(MultiPolygon(polygons))
}

/// Clockwise (or flat) rings are outer rings in a shapefile.
fn is_outer(ring: &LineString<f64>) -> bool {
    let twice_area: f64 = ring.0.windows(2).map(|w| (w[1].x - w[0].x) * (w[1].y + w[0].y)).sum();
    twice_area >= 0.0 || twice_area.is_nan()
}

const DBF_HEADER_BYTES: usize = 32;
const DBF_FIELD_BYTES: usize = 32;
const DBF_FIELDS_END: u8 = 0x0D;

/// One field of a `.dbf`: its name, type, and where it sits in a record.
struct DbfField {
    name: String,
    kind: u8,
    offset: usize,
    len: usize,
}

/// The values of the fields named `wanted`, for every record of a `.dbf`
/// (in order; deleted records included, as each still pairs with a shape).
/// A field that is not there, or blank, is `None`; a value of a kind that
/// is neither text, number nor logical (a date, a memo) is an empty object.
/// Text is read as UTF-8, or as Windows-1252 when it is not UTF-8.
pub(crate) fn read_dbf(bytes: &[u8], wanted: &[&str]) -> Result<Vec<Vec<Option<Value>>>, LayerError> {
    let file = |problem: &str| LayerError::Shapefile(format!("the .dbf {problem}"));
    if bytes.len() < DBF_HEADER_BYTES {
        return Err(file("is shorter than a .dbf header"));
    }
    let records = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let record_len = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    if header_len > bytes.len() || header_len <= DBF_HEADER_BYTES {
        return Err(file("gives its header a length that does not fit the file"));
    }
    let mut fields = Vec::new();
    let mut offset = 1; // the deletion flag comes first
    let mut at = DBF_HEADER_BYTES;
    loop {
        if at >= header_len {
            return Err(file("does not end its list of fields"));
        }
        if bytes[at] == DBF_FIELDS_END {
            break;
        }
        if at + DBF_FIELD_BYTES > header_len {
            return Err(file("does not end its list of fields"));
        }
        let d = &bytes[at..at + DBF_FIELD_BYTES];
        let raw_name = d[..11].split(|&b| b == 0).next().unwrap_or_default();
        let name = String::from_utf8_lossy(raw_name).trim().to_string();
        let len = usize::from(d[16]);
        fields.push(DbfField { name, kind: d[11], offset, len });
        offset += len;
        at += DBF_FIELD_BYTES;
    }
    if record_len == 0 || offset > record_len {
        return Err(file("gives its records a length that does not hold their fields"));
    }
    // Records are counted in 32 bits and sized in 16: this cannot overflow.
    let needed = header_len as u64 + records as u64 * record_len as u64;
    if needed > bytes.len() as u64 {
        return Err(file("is cut short: it declares more records than it holds"));
    }
    let columns: Vec<Option<&DbfField>> = wanted.iter().map(|w| fields.iter().find(|f| f.name == *w)).collect();
    let mut out = Vec::with_capacity(records);
    for index in 0..records {
        let start = header_len + index * record_len;
        let record = &bytes[start..start + record_len];
        let mut values = Vec::with_capacity(columns.len());
        for field in &columns {
            let value = match field {
                None => None,
                Some(f) => dbf_value(f, &record[f.offset..f.offset + f.len]).map_err(|problem| {
                    LayerError::Shapefile(format!("record {index}: the .dbf field `{}` {problem}", shown(&f.name)))
                })?,
            };
            values.push(value);
        }
        out.push(values);
    }
    Ok(out)
}

fn dbf_value(f: &DbfField, raw: &[u8]) -> Result<Option<Value>, &'static str> {
    let text = || {
        let until_nul = raw.split(|&b| b == 0).next().unwrap_or_default();
        let trimmed = until_nul.trim_ascii();
        match std::str::from_utf8(trimmed) {
            Ok(t) => t.to_string(),
            Err(_) => trimmed.iter().map(|&b| windows_1252(b)).collect(),
        }
    };
    Ok(match (f.kind, f.len) {
        (b'C', _) => Some(text()).filter(|t| !t.is_empty()).map(Value::String),
        (b'N' | b'F', _) => {
            let t = text();
            if t.is_empty() || t.chars().all(|c| c == '*') {
                None
            } else {
                let n: f64 = t.parse().map_err(|_| "holds a number that cannot be read")?;
                serde_json::Number::from_f64(n).map(Value::Number)
            }
        }
        (b'L', _) => match raw.first() {
            Some(b'1' | b'T' | b't' | b'Y' | b'y') => Some(Value::Bool(true)),
            Some(b'0' | b'N' | b'n' | b'F' | b'f') => Some(Value::Bool(false)),
            _ => None,
        },
        (b'I', 4) => Some(Value::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))),
        (b'O', 8) => {
            let mut b = [0u8; 8];
            b.copy_from_slice(raw);
            serde_json::Number::from_f64(f64::from_le_bytes(b)).map(Value::Number)
        }
        _ => Some(Value::Object(Map::new())),
    })
}

/// A `.dbf` field name as it can be shown: letters, digits and `_`, at most
/// the format's 11 characters.
fn shown(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(11).collect()
}

/// A byte of Windows-1252 text as a character.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_f64(b: &[u8], at: usize) -> f64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    f64::from_le_bytes(bytes)
}
