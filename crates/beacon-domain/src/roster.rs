//! The responder roster as it arrives: JSON (an array, or one object per
//! line) or CSV (`id,name,role,agency,jurisdictions,languages,on_duty,email,phone,webhook`;
//! list cells separated by `;`), detected from the content. Each record is
//! a responder or a rejection naming its place in the file and the field.

use serde_json::Value;

use crate::ids::ResponderId;
use crate::responder::{Responder, Role};
use crate::validate::{FieldError, RecordError};

/// Every record of a roster file: a valid responder, or why not.
pub fn parse_roster(bytes: &[u8]) -> Vec<Result<Responder, RecordError>> {
    parse(bytes)
        .into_iter()
        .map(|(position, parsed)| {
            parsed
                .and_then(|r| match r.validate().into_iter().next() {
                    Some(e) => Err(e),
                    None => Ok(r),
                })
                .map_err(|error| RecordError { position, external_id: None, error })
        })
        .collect()
}

fn parse(bytes: &[u8]) -> Vec<(String, Result<Responder, FieldError>)> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}'),
        Err(e) => {
            return vec![(
                "file".into(),
                Err(FieldError::new("", format!("the file is not valid UTF-8 (at byte {})", e.valid_up_to()))),
            )];
        }
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return match serde_json::from_str::<Vec<Value>>(trimmed) {
            Ok(values) => {
                values.into_iter().enumerate().map(|(i, v)| (format!("record {}", i + 1), from_value(v))).collect()
            }
            Err(e) => vec![(
                "file".into(),
                Err(FieldError::new("", format!("the JSON is malformed at line {}, column {}", e.line(), e.column()))),
            )],
        };
    }
    if trimmed.starts_with('{') {
        return text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let position = format!("line {}", i + 1);
                match serde_json::from_str::<Value>(l) {
                    Ok(v) => (position, from_value(v)),
                    Err(e) => (
                        position,
                        Err(FieldError::new("", format!("the line is not valid JSON (column {})", e.column()))),
                    ),
                }
            })
            .collect();
    }
    parse_roster_csv(text)
}

fn from_value(v: Value) -> Result<Responder, FieldError> {
    let Value::Object(mut map) = v else { return Err(FieldError::new("", "a responder must be a JSON object")) };
    for field in ["id", "name", "role"] {
        if !map.contains_key(field) {
            return Err(FieldError::new(field, "is required"));
        }
    }
    if let Some(Value::String(role)) = map.get("role")
        && let Err(e) = role.parse::<Role>()
    {
        return Err(FieldError::new("role", e));
    }
    if let Some(Value::Number(n)) = map.get("id") {
        let id = n.to_string();
        map.insert("id".into(), Value::String(id));
    }
    // serde's message quotes the value it refused; only the field's path
    // and what it expects are kept (the same rule as referrals).
    serde_path_to_error::deserialize::<_, Responder>(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        crate::intake::describe_serde_error(if path == "." { "" } else { &path }, &e.into_inner().to_string())
    })
}

fn parse_roster_csv(text: &str) -> Vec<(String, Result<Responder, FieldError>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(_) => return vec![("file".into(), Err(FieldError::new("", "could not read the CSV header")))],
    };
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let position = format!("row {}", i + 2);
        let row = match row {
            Ok(r) => r,
            Err(_) => {
                out.push((position, Err(FieldError::new("", "the row is malformed or has the wrong number of cells"))));
                continue;
            }
        };
        let cell = |name: &str| {
            headers.iter().position(|h| h == name).and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty())
        };
        let list = |name: &str| {
            cell(name)
                .map(|c| c.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default()
        };
        let on_duty = match cell("on_duty").map(str::to_ascii_lowercase).as_deref() {
            None | Some("false" | "no" | "n" | "0") => Ok(false),
            Some("true" | "yes" | "y" | "1") => Ok(true),
            Some(_) => Err(FieldError::new("on_duty", "must be true or false")),
        };
        let role = match cell("role") {
            None => Err(FieldError::new("role", "is required")),
            Some(r) => r.parse::<Role>().map_err(|e| FieldError::new("role", e)),
        };
        let result = on_duty.and_then(|on_duty| {
            Ok(Responder {
                id: ResponderId(cell("id").ok_or_else(|| FieldError::new("id", "is required"))?.to_string()),
                name: cell("name").ok_or_else(|| FieldError::new("name", "is required"))?.to_string(),
                role: role?,
                agency: cell("agency").unwrap_or_default().to_string(),
                jurisdictions: list("jurisdictions"),
                languages: list("languages"),
                on_duty,
                email: cell("email").map(str::to_string),
                phone: cell("phone").map(str::to_string),
                webhook: cell("webhook").map(str::to_string),
            })
        });
        out.push((position, result));
    }
    out
}
