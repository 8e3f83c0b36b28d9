//! Responders: importing the roster, and who to suggest for a case.

use beacon_domain::event::EventBody;
use beacon_domain::responder::{self, Responder, Role};
use beacon_domain::{FieldError, RecordError, ResponderId};
use serde::Serialize;
use serde_json::Value;
use std::io::Read;

use crate::views::Suggestions;
use crate::{ApiError, Beacon};

#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RosterReport {
    /// Responders created or updated.
    pub saved: u64,
    /// Responders identical to what is stored (nothing written).
    pub unchanged: u64,
    pub rejected: Vec<RecordError>,
}

impl Beacon {
    /// Import responders from JSON (an array or JSON Lines) or CSV (`id,name,role,agency,jurisdictions,languages,on_duty,email,phone,webhook`;
    /// list cells separated by `;`). All valid rows are saved in one transaction.
    pub fn import_responders<R: Read>(&mut self, mut input: R) -> Result<RosterReport, ApiError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| ApiError::Io { path: "input".into(), cause: e })?;
        let mut report = RosterReport::default();
        let mut good: Vec<Responder> = Vec::new();
        for (position, parsed) in parse_roster(&bytes) {
            match parsed.and_then(|r| match r.validate().into_iter().next() {
                Some(e) => Err(e),
                None => Ok(r),
            }) {
                Ok(r) => good.push(r),
                Err(error) => report.rejected.push(RecordError { position, external_id: None, error }),
            }
        }
        let existing = self.store().responders()?;
        let actor = self.actor().clone();
        let (saved, unchanged) = self.store_mut().write::<_, ApiError>(|w| {
            let (mut saved, mut unchanged) = (0, 0);
            for r in good {
                if existing.contains(&r) {
                    unchanged += 1;
                    continue;
                }
                w.append(&actor, None, EventBody::ResponderUpserted { responder: r })?;
                saved += 1;
            }
            Ok((saved, unchanged))
        })?;
        report.saved = saved;
        report.unchanged = unchanged;
        Ok(report)
    }

    pub fn responders(&self) -> Result<Vec<Responder>, ApiError> {
        Ok(self.store().responders()?)
    }

    /// Set a responder on or off duty.
    pub fn set_on_duty(&mut self, id: &str, on_duty: bool) -> Result<(), ApiError> {
        let mut r =
            self.store().responder(id)?.ok_or_else(|| ApiError::NotFound { what: "responder", id: id.into() })?;
        r.on_duty = on_duty;
        let actor = self.actor().clone();
        self.store_mut().write::<_, ApiError>(|w| {
            w.append(&actor, None, EventBody::ResponderUpserted { responder: r })?;
            Ok(())
        })
    }

    /// The best on-duty trooper and victim advocate for a case, ranked.
    pub fn suggest(&self, id: &str) -> Result<Suggestions, ApiError> {
        let case_id = self.resolve(id)?;
        let case = self.store().case(case_id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: id.into() })?;
        let open = self.store().open_cases_by_responder()?;
        let roster: Vec<(Responder, u32)> = self
            .store()
            .responders()?
            .into_iter()
            .map(|r| {
                let n = open.get(&r.id).copied().unwrap_or(0);
                (r, n)
            })
            .collect();
        let languages = case.referral.victim_languages();
        let j = &case.summary.jurisdiction;
        Ok(Suggestions {
            case_id,
            troopers: responder::suggest(Role::Trooper, &roster, j, &languages),
            advocates: responder::suggest(Role::VictimAdvocate, &roster, j, &languages),
        })
    }
}

fn parse_roster(bytes: &[u8]) -> Vec<(String, Result<Responder, FieldError>)> {
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
    serde_json::from_value::<Responder>(Value::Object(map)).map_err(|e| {
        let msg = e.to_string();
        let field =
            ["id", "name", "role", "agency", "jurisdictions", "languages", "on_duty", "email", "phone", "webhook"]
                .into_iter()
                .find(|f| msg.contains(&format!("`{f}`")))
                .unwrap_or("");
        FieldError::new(field, msg.split(" at line ").next().unwrap_or(&msg).to_string())
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
