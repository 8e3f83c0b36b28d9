//! What a handoff shares, and why: the sharing policy.
//!
//! Responders always get what they need to act: where, when, how urgent,
//! what kind, who to look for, what was said. Details that identify a
//! victim or the reporter follow the law:
//!
//! - **Law enforcement** (a trooper, an investigator, a supervisor) receives
//!   them with the victim's consent covering law enforcement, or without it
//!   under an exception the law recognises: a minor among the victims, or a
//!   danger to life happening now or imminent (urgency `in_progress` or
//!   `imminent`).
//! - **Victim services** (an advocate) receives them only with consent
//!   covering victim services (VAWA, FVPSA and VOCA confidentiality: no
//!   exception for advocates).
//! - **The reporter's identity** (name, phone, email, kind) never leaves
//!   without the reporter's `contact_ok`, whatever else holds.
//! - **Consent** counts only if given (`share_identifying_info`), not expired
//!   (`expires_at`), and covering the recipient (`scope`; none recorded
//!   means every responder).
//! - **An override** (a court order, a duty the policy cannot see) releases
//!   the victim's details a handoff would withhold, only with a reason,
//!   which the handoff records. It never releases the reporter's identity.
//!
//! The handoff event records exactly which fields went and which were
//! withheld, so the audit trail shows what left the dispatcher's hands; the
//! case screen shows the same plan before the click.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::referral::{ConsentScope, Referral, Urgency};
use crate::responder::Role;

/// Fields shared with every handoff, when present.
const OPERATIONAL: &[&str] = &[
    "external_id",
    "source",
    "received_at",
    "trafficking_type",
    "urgency",
    "location.address",
    "location.city",
    "location.county",
    "location.state",
    "location.zip",
    "location.lat",
    "location.lon",
    "location.place_type",
    "potential_victims.count",
    "potential_victims.minors",
    "potential_victims.languages",
    "suspects",
    "indicators",
    "narrative",
];

/// Fields that identify a victim.
const VICTIM_IDENTIFYING: &[&str] = &["potential_victims.description", "consent.notes"];

/// Fields that identify the reporter.
const REPORTER_IDENTIFYING: &[&str] = &["reporter.kind", "reporter.name", "reporter.phone", "reporter.email"];

/// Whom the law sees receiving a handoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    LawEnforcement,
    VictimServices,
}

impl Recipient {
    pub fn of(role: Role) -> Recipient {
        match role {
            Role::VictimAdvocate => Recipient::VictimServices,
            Role::Trooper | Role::Investigator | Role::Supervisor => Recipient::LawEnforcement,
        }
    }

    fn scope(self) -> ConsentScope {
        match self {
            Recipient::LawEnforcement => ConsentScope::LawEnforcement,
            Recipient::VictimServices => ConsentScope::VictimServices,
        }
    }
}

/// Why a field goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SharedBecause {
    /// Needed to act on the tip; never identifying.
    Operational,
    /// The victim consented, for this recipient, and the consent holds.
    Consent,
    /// A minor is among the victims (law enforcement only).
    MinorException,
    /// A danger to life is happening now or imminent (law enforcement only).
    DangerException,
    /// A person overrode the policy, with a reason the handoff records.
    Override,
}

/// Why a field is held back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WithheldBecause {
    /// No consent was given.
    NoConsent,
    /// Consent was given but has expired.
    ConsentExpired,
    /// Consent was given, but not for this kind of recipient.
    ConsentNotForRecipient,
    /// The reporter did not agree to be contacted.
    ReporterNotContactable,
}

impl WithheldBecause {
    pub fn text(self) -> &'static str {
        match self {
            WithheldBecause::NoConsent => "no consent",
            WithheldBecause::ConsentExpired => "consent expired",
            WithheldBecause::ConsentNotForRecipient => "consent does not cover this responder",
            WithheldBecause::ReporterNotContactable => "the reporter did not agree to be contacted",
        }
    }
}

/// What a handoff to one recipient shares and withholds, field by field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharePlan {
    pub recipient: Recipient,
    pub shared: Vec<(String, SharedBecause)>,
    pub withheld: Vec<(String, WithheldBecause)>,
    /// The plan in words, a line per reason (for the case screen).
    pub explained: Vec<String>,
    /// The withheld fields an override with a reason would share (never
    /// the reporter's identity).
    pub overridable: Vec<String>,
    /// The same, as people read them ([`words`]).
    pub overridable_names: Vec<String>,
}

impl SharePlan {
    pub fn shared_fields(&self) -> Vec<String> {
        self.shared.iter().map(|(f, _)| f.clone()).collect()
    }

    pub fn withheld_fields(&self) -> Vec<String> {
        self.withheld.iter().map(|(f, _)| f.clone()).collect()
    }
}

/// Whether the victim's consent covers `recipient` at `now`.
fn consent(r: &Referral, recipient: Recipient, now: DateTime<Utc>) -> Result<(), WithheldBecause> {
    let Some(c) = r.consent.as_ref().filter(|c| c.share_identifying_info) else {
        return Err(WithheldBecause::NoConsent);
    };
    if c.expires_at.is_some_and(|t| t <= now) {
        return Err(WithheldBecause::ConsentExpired);
    }
    if !c.scope.is_empty() && !c.scope.contains(&recipient.scope()) {
        return Err(WithheldBecause::ConsentNotForRecipient);
    }
    Ok(())
}

/// The plan for handing `r` to a responder of `role` at `now`.
pub fn plan(r: &Referral, role: Role, now: DateTime<Utc>) -> SharePlan {
    plan_with(r, role, now, false)
}

/// [`plan`], overridden or not: an override shares what the plan lists as
/// [`SharePlan::overridable`]. The caller requires and records the reason.
pub fn plan_with(r: &Referral, role: Role, now: DateTime<Utc>, overridden: bool) -> SharePlan {
    let recipient = Recipient::of(role);
    let identifying: Result<SharedBecause, WithheldBecause> = match (consent(r, recipient, now), recipient) {
        (Ok(()), _) => Ok(SharedBecause::Consent),
        (Err(_), Recipient::LawEnforcement) if r.has_minors() => Ok(SharedBecause::MinorException),
        (Err(_), Recipient::LawEnforcement) if matches!(r.urgency, Urgency::InProgress | Urgency::Imminent) => {
            Ok(SharedBecause::DangerException)
        }
        (Err(why), _) => Err(why),
    };
    let contactable = r.reporter.as_ref().is_some_and(|rep| rep.contact_ok);
    let mut shared: Vec<(String, SharedBecause)> =
        OPERATIONAL.iter().filter(|f| is_present(r, f)).map(|f| (f.to_string(), SharedBecause::Operational)).collect();
    let mut withheld = Vec::new();
    let mut overridable = Vec::new();
    for field in VICTIM_IDENTIFYING.iter().chain(REPORTER_IDENTIFYING).filter(|f| is_present(r, f)) {
        let reporter = field.starts_with("reporter.");
        match identifying {
            _ if reporter && !contactable => {
                withheld.push((field.to_string(), WithheldBecause::ReporterNotContactable))
            }
            Ok(because) => shared.push((field.to_string(), because)),
            Err(_) if overridden && !reporter => shared.push((field.to_string(), SharedBecause::Override)),
            Err(why) => {
                if !reporter {
                    overridable.push(field.to_string());
                }
                withheld.push((field.to_string(), why))
            }
        }
    }
    let explained = explain(&shared, &withheld);
    let overridable_names = overridable.iter().map(|f| words(f)).collect();
    SharePlan { recipient, shared, withheld, explained, overridable, overridable_names }
}

/// What a handoff sends its responder: of the referral (as JSON), only
/// the fields the handoff recorded as shared (`a` or `a.b` paths; see
/// [`SharePlan::shared_fields`]). Whatever is not listed is not sent.
pub fn package(referral: &serde_json::Value, shared_fields: &[String]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for field in shared_fields {
        let mut parts = field.splitn(2, '.');
        let (Some(top), rest) = (parts.next(), parts.next()) else { continue };
        let Some(value) = referral.get(top) else { continue };
        match rest {
            None => {
                out.insert(top.to_string(), value.clone());
            }
            Some(inner) => {
                if let Some(v) = value.get(inner) {
                    let slot = out.entry(top.to_string()).or_insert_with(|| serde_json::json!({}));
                    if let Some(obj) = slot.as_object_mut() {
                        obj.insert(inner.to_string(), v.clone());
                    }
                }
            }
        }
    }
    serde_json::Value::Object(out)
}

/// "potential_victims.description" → "potential victims description": how
/// a field is named to people.
pub fn words(field: &str) -> String {
    field.replace(['.', '_'], " ")
}

/// "handed_off" → "Handed off": a value or a field named at the start of
/// a line, a button or a column.
pub fn label(value: &str) -> String {
    let w = words(value);
    let mut chars = w.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn explain(shared: &[(String, SharedBecause)], withheld: &[(String, WithheldBecause)]) -> Vec<String> {
    let mut lines = vec![format!("Shares {} field(s) needed to act.", shared.len())];
    for (because, text) in [
        (SharedBecause::Consent, "with the victim's consent"),
        (SharedBecause::MinorException, "because a minor is involved (law-enforcement exception)"),
        (SharedBecause::DangerException, "because the danger is happening now or imminent (law-enforcement exception)"),
        (SharedBecause::Override, "by override (the reason is recorded with the handoff)"),
    ] {
        let fields: Vec<String> = shared.iter().filter(|(_, b)| *b == because).map(|(f, _)| words(f)).collect();
        if !fields.is_empty() {
            lines.push(format!("Identifying details shared {text}: {}.", fields.join(", ")));
        }
    }
    for why in [
        WithheldBecause::NoConsent,
        WithheldBecause::ConsentExpired,
        WithheldBecause::ConsentNotForRecipient,
        WithheldBecause::ReporterNotContactable,
    ] {
        let fields: Vec<String> = withheld.iter().filter(|(_, w)| *w == why).map(|(f, _)| words(f)).collect();
        if !fields.is_empty() {
            lines.push(format!("Withheld ({}): {}.", why.text(), fields.join(", ")));
        }
    }
    lines
}

fn is_present(r: &Referral, field: &str) -> bool {
    let loc = r.location.as_ref();
    let vic = r.potential_victims.as_ref();
    let rep = r.reporter.as_ref();
    match field {
        "external_id" | "source" | "received_at" | "trafficking_type" | "urgency" | "narrative" => true,
        "location.address" => loc.is_some_and(|l| l.address.is_some()),
        "location.city" => loc.is_some_and(|l| l.city.is_some()),
        "location.county" => loc.is_some_and(|l| l.county.is_some()),
        "location.state" => loc.is_some_and(|l| l.state.is_some()),
        "location.zip" => loc.is_some_and(|l| l.zip.is_some()),
        "location.lat" => loc.is_some_and(|l| l.lat.is_some()),
        "location.lon" => loc.is_some_and(|l| l.lon.is_some()),
        "location.place_type" => loc.is_some_and(|l| l.place_type.is_some()),
        "potential_victims.count" => vic.is_some_and(|v| v.count.is_some()),
        "potential_victims.minors" => vic.is_some(),
        "potential_victims.languages" => vic.is_some_and(|v| !v.languages.is_empty()),
        "potential_victims.description" => vic.is_some_and(|v| v.description.is_some()),
        "suspects" => !r.suspects.is_empty(),
        "indicators" => !r.indicators.is_empty(),
        "reporter.kind" => rep.is_some(),
        "reporter.name" => rep.is_some_and(|x| x.name.is_some()),
        "reporter.phone" => rep.is_some_and(|x| x.phone.is_some()),
        "reporter.email" => rep.is_some_and(|x| x.email.is_some()),
        "consent.notes" => r.consent.as_ref().is_some_and(|c| c.notes.is_some()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_holds_the_shared_fields_and_nothing_else() {
        let referral = serde_json::json!({
            "narrative": "two women at the motel",
            "location": {"city": "Springfield", "address": "2400 N Glenstone Ave"},
            "potential_victims": {"count": 2, "description": "one with a cast"},
            "reporter": {"name": "Pat", "phone": "417-555-0100"},
        });
        let shared = ["narrative", "location.city", "potential_victims.count", "reporter.unknown"].map(String::from);
        let sent = package(&referral, &shared);
        assert_eq!(
            sent,
            serde_json::json!({
                "narrative": "two women at the motel",
                "location": {"city": "Springfield"},
                "potential_victims": {"count": 2},
            })
        );
    }
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
    }

    /// A referral with a victim description and a named reporter.
    fn referral(consent: serde_json::Value, minors: &str, urgency: &str, contact_ok: bool) -> Referral {
        serde_json::from_value(json!({
            "external_id": "S1", "source": "hotline_call", "received_at": "2026-12-01T00:00:00Z",
            "urgency": urgency, "narrative": "n",
            "location": {"city": "Rolla"},
            "potential_victims": {"count": 2, "minors": minors, "description": "two women"},
            "reporter": {"kind": "victim", "name": "R", "phone": "555", "contact_ok": contact_ok},
            "consent": consent,
        }))
        .unwrap()
    }

    /// The victim's description: shared (and why) or withheld (and why).
    fn victim(p: &SharePlan) -> Result<SharedBecause, WithheldBecause> {
        let f = "potential_victims.description";
        match p.shared.iter().find(|(x, _)| x == f) {
            Some((_, b)) => Ok(*b),
            None => Err(p.withheld.iter().find(|(x, _)| x == f).map(|(_, w)| *w).expect("listed")),
        }
    }

    fn reporter_shared(p: &SharePlan) -> bool {
        p.shared.iter().any(|(f, _)| f == "reporter.name")
    }

    /// (consent, minors, urgency, reporter contact_ok, role) → victim
    /// details shared (and why) or withheld (and why), reporter's identity shared?
    type Row<'a> = (&'a serde_json::Value, &'a str, &'a str, bool, Role, Result<SharedBecause, WithheldBecause>, bool);

    #[test]
    fn the_policy_as_a_table() {
        use SharedBecause::*;
        use WithheldBecause::*;
        let given = json!({"share_identifying_info": true});
        let none = json!({"share_identifying_info": false});
        let expired = json!({"share_identifying_info": true, "expires_at": "2026-12-02T00:00:00Z"});
        let police_only = json!({"share_identifying_info": true, "scope": ["law_enforcement"]});
        let services_only = json!({"share_identifying_info": true, "scope": ["victim_services"]});
        let table: Vec<Row> = vec![
            // Law enforcement.
            (&given, "no", "recent", true, Role::Trooper, Ok(Consent), true),
            (&given, "no", "recent", false, Role::Trooper, Ok(Consent), false),
            (&none, "no", "recent", true, Role::Trooper, Err(NoConsent), false),
            (&none, "yes", "recent", true, Role::Trooper, Ok(MinorException), true),
            (&none, "yes", "recent", false, Role::Trooper, Ok(MinorException), false),
            (&none, "no", "in_progress", true, Role::Investigator, Ok(DangerException), true),
            (&none, "no", "imminent", true, Role::Supervisor, Ok(DangerException), true),
            (&none, "unknown", "historical", true, Role::Trooper, Err(NoConsent), false),
            (&expired, "no", "recent", true, Role::Trooper, Err(ConsentExpired), false),
            (&expired, "yes", "recent", true, Role::Trooper, Ok(MinorException), true),
            (&services_only, "no", "recent", true, Role::Trooper, Err(ConsentNotForRecipient), false),
            (&services_only, "no", "imminent", true, Role::Trooper, Ok(DangerException), true),
            (&police_only, "no", "recent", true, Role::Trooper, Ok(Consent), true),
            // Victim services: consent only, no exceptions.
            (&given, "no", "recent", true, Role::VictimAdvocate, Ok(Consent), true),
            (&given, "no", "recent", false, Role::VictimAdvocate, Ok(Consent), false),
            (&none, "yes", "in_progress", true, Role::VictimAdvocate, Err(NoConsent), false),
            (&expired, "yes", "imminent", true, Role::VictimAdvocate, Err(ConsentExpired), false),
            (&police_only, "no", "recent", true, Role::VictimAdvocate, Err(ConsentNotForRecipient), false),
            (&services_only, "no", "recent", true, Role::VictimAdvocate, Ok(Consent), true),
        ];
        for (i, (consent, minors, urgency, contact_ok, role, victim_details, reporter)) in table.into_iter().enumerate()
        {
            let p = plan(&referral(consent.clone(), minors, urgency, contact_ok), role, now());
            assert_eq!(victim(&p), victim_details, "row {i}: victim details");
            assert_eq!(reporter_shared(&p), reporter, "row {i}: the reporter's identity");
            // Operational fields always go; nothing is both shared and withheld.
            assert!(p.shared.iter().any(|(f, b)| f == "location.city" && *b == Operational), "row {i}");
            assert!(p.shared.iter().all(|(f, _)| !p.withheld.iter().any(|(w, _)| w == f)), "row {i}");
        }
    }

    /// An override shares every victim detail the plan withholds, for either
    /// recipient, and never the identity of a reporter who did not agree.
    #[test]
    fn an_override_releases_victim_details_never_the_reporter() {
        let none = json!({"share_identifying_info": false});
        let expired = json!({"share_identifying_info": true, "expires_at": "2026-12-02T00:00:00Z"});
        let police_only = json!({"share_identifying_info": true, "scope": ["law_enforcement"]});
        for (consent, role) in
            [(&none, Role::Trooper), (&expired, Role::VictimAdvocate), (&police_only, Role::VictimAdvocate)]
        {
            for contact_ok in [true, false] {
                let r = referral(consent.clone(), "no", "recent", contact_ok);
                let before = plan(&r, role, now());
                assert_eq!(before.overridable, ["potential_victims.description"], "{consent} {role:?}");
                assert_eq!(before.overridable_names, ["potential victims description"], "named for people");
                let after = plan_with(&r, role, now(), true);
                assert_eq!(victim(&after), Ok(SharedBecause::Override), "{consent} {role:?}");
                assert!(after.overridable.is_empty());
                assert!(!reporter_shared(&after), "the reporter stays withheld without consent");
                assert!(after.explained.iter().any(|l| l.contains("by override")), "{:?}", after.explained);
            }
        }
        // Nothing to override: consent covers it already.
        let given = referral(json!({"share_identifying_info": true}), "no", "recent", true);
        assert!(plan(&given, Role::Trooper, now()).overridable.is_empty());
        assert_eq!(plan_with(&given, Role::Trooper, now(), true), plan(&given, Role::Trooper, now()));
    }

    #[test]
    fn without_any_consent_record_identifying_fields_are_withheld_and_listed() {
        let r: Referral = serde_json::from_value(json!({
            "external_id": "S2", "source": "hotline_call", "received_at": "2026-12-01T00:00:00Z",
            "urgency": "recent", "narrative": "n", "potential_victims": {"description": "a man"},
        }))
        .unwrap();
        let p = plan(&r, Role::Trooper, now());
        assert_eq!(p.withheld_fields(), ["potential_victims.description"]);
        assert!(p.shared_fields().contains(&"narrative".to_string()));
        assert_eq!(
            p.explained.last().map(String::as_str),
            Some("Withheld (no consent): potential victims description.")
        );
        let minor: Referral = serde_json::from_value(json!({
            "external_id": "S3", "source": "hotline_call", "received_at": "2026-12-01T00:00:00Z",
            "urgency": "recent", "narrative": "n", "potential_victims": {"description": "a girl", "minors": "yes"},
        }))
        .unwrap();
        let p = plan(&minor, Role::Trooper, now());
        assert!(p.explained.iter().any(|l| l.contains("a minor is involved")), "{:?}", p.explained);
    }
}
