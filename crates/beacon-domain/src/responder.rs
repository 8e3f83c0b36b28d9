//! Responders and who to suggest for a case.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::ResponderId;
use crate::jurisdiction::JurisdictionAssignment;
use crate::validate::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Trooper,
    VictimAdvocate,
    Investigator,
    Supervisor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Trooper, Role::VictimAdvocate, Role::Investigator, Role::Supervisor];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Trooper => "trooper",
            Role::VictimAdvocate => "victim_advocate",
            Role::Investigator => "investigator",
            Role::Supervisor => "supervisor",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            // The text given is not repeated: it may be anything a file held.
            .ok_or_else(|| "must be one of trooper, victim_advocate, investigator or supervisor".to_string())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Responder {
    pub id: ResponderId,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub agency: String,
    /// Jurisdiction ids (county FIPS for the shipped layer) or troop names
    /// (`Troop A` or `A`); `*` serves everywhere.
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub on_duty: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Where to post handoffs for this responder (used once delivery lands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
}

impl Responder {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if self.id.0.trim().is_empty() || self.id.0.len() > 64 || self.id.0.chars().any(char::is_control) {
            errs.push(FieldError::new("id", "is required: up to 64 characters, no control characters"));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            errs.push(FieldError::new("name", "is required, up to 200 characters"));
        }
        if let Some(e) = &self.email
            && !e.contains('@')
        {
            errs.push(FieldError::new("email", "must be an email address"));
        }
        if let Some(w) = &self.webhook
            && !(w.starts_with("https://") || w.starts_with("http://"))
        {
            errs.push(FieldError::new("webhook", "must be an http(s) URL"));
        }
        errs
    }

    /// Does this responder serve the case's jurisdiction?
    pub fn serves(&self, j: &JurisdictionAssignment) -> bool {
        self.jurisdictions.iter().any(|entry| {
            let entry = entry.trim();
            if entry == "*" {
                return true;
            }
            if j.jurisdiction_id.as_deref() == Some(entry) {
                return true;
            }
            let troop = entry.strip_prefix("Troop ").or_else(|| entry.strip_prefix("troop ")).unwrap_or(entry);
            j.troop.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(troop))
        })
    }

    pub fn speaks_any(&self, languages: &[String]) -> bool {
        languages.iter().any(|l| self.languages.iter().any(|mine| mine.trim().eq_ignore_ascii_case(l)))
    }
}

/// One ranked suggestion and why it ranks where it does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suggestion {
    pub responder: Responder,
    pub open_cases: u32,
    pub serves_jurisdiction: bool,
    pub language_match: bool,
    pub reasons: Vec<String>,
}

/// Rank responders of one role for a case: on duty first, then those who
/// serve the jurisdiction, then (for advocates) a shared language with the
/// victims, then the fewest open cases, then name for a stable order.
/// Off-duty responders are left out.
pub fn suggest(
    role: Role,
    responders: &[(Responder, u32)],
    jurisdiction: &JurisdictionAssignment,
    victim_languages: &[String],
) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = responders
        .iter()
        .filter(|(r, _)| r.role == role && r.on_duty)
        .map(|(r, open)| {
            let serves = r.serves(jurisdiction);
            let language = role == Role::VictimAdvocate && r.speaks_any(victim_languages);
            let mut reasons = vec!["on duty".to_string()];
            if serves {
                reasons.push(format!("serves {}", jurisdiction.label()));
            } else {
                reasons.push("outside their area".to_string());
            }
            if language {
                reasons.push("speaks the victims' language".to_string());
            }
            reasons.push(format!("{open} open case{}", if *open == 1 { "" } else { "s" }));
            Suggestion {
                responder: r.clone(),
                open_cases: *open,
                serves_jurisdiction: serves,
                language_match: language,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.serves_jurisdiction
            .cmp(&a.serves_jurisdiction)
            .then(b.language_match.cmp(&a.language_match))
            .then(a.open_cases.cmp(&b.open_cases))
            .then(a.responder.name.cmp(&b.responder.name))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responder(id: &str, role: Role, juris: &[&str], langs: &[&str], on_duty: bool) -> Responder {
        Responder {
            id: ResponderId(id.into()),
            name: id.into(),
            role,
            agency: "MSHP".into(),
            jurisdictions: juris.iter().map(|s| s.to_string()).collect(),
            languages: langs.iter().map(|s| s.to_string()).collect(),
            on_duty,
            email: None,
            phone: None,
            webhook: None,
        }
    }

    fn greene() -> JurisdictionAssignment {
        JurisdictionAssignment {
            jurisdiction_id: Some("29077".into()),
            name: Some("Greene".into()),
            troop: Some("D".into()),
            ..JurisdictionAssignment::unknown()
        }
    }

    #[test]
    fn serves_by_id_or_troop_name() {
        assert!(responder("a", Role::Trooper, &["29077"], &[], true).serves(&greene()));
        assert!(responder("a", Role::Trooper, &["Troop D"], &[], true).serves(&greene()));
        assert!(responder("a", Role::Trooper, &["d"], &[], true).serves(&greene()));
        assert!(!responder("a", Role::Trooper, &["Troop C"], &[], true).serves(&greene()));
    }

    #[test]
    fn ranking_prefers_jurisdiction_then_language_then_load() {
        let all = vec![
            (responder("far", Role::VictimAdvocate, &["Troop C"], &["es"], true), 0),
            (responder("busy", Role::VictimAdvocate, &["Troop D"], &["es"], true), 5),
            (responder("english", Role::VictimAdvocate, &["Troop D"], &["en"], true), 0),
            (responder("idle", Role::VictimAdvocate, &["Troop D"], &["es"], true), 1),
            (responder("asleep", Role::VictimAdvocate, &["Troop D"], &["es"], false), 0),
            (responder("trooper", Role::Trooper, &["Troop D"], &["es"], true), 0),
        ];
        let ids: Vec<_> = suggest(Role::VictimAdvocate, &all, &greene(), &["es".into()])
            .into_iter()
            .map(|s| s.responder.id.0)
            .collect();
        assert_eq!(ids, vec!["idle", "busy", "english", "far"]);
    }
}
