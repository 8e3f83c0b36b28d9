//! What a handoff shares. Responders always get what they need to act
//! (where, how urgent, what kind, who to look for); identifying details of
//! victims and reporters go only with consent. The handoff event records the
//! exact list, so the audit trail shows what left the dispatcher's hands.

use crate::referral::Referral;

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

/// Fields that identify a victim or reporter: shared only with consent.
const IDENTIFYING: &[&str] = &[
    "potential_victims.description",
    "reporter.kind",
    "reporter.name",
    "reporter.phone",
    "reporter.email",
    "consent.notes",
];

/// The dotted field paths a handoff of this referral shares, in a stable order.
pub fn shared_fields(r: &Referral) -> Vec<String> {
    let mut out: Vec<String> = OPERATIONAL.iter().filter(|f| is_present(r, f)).map(|f| f.to_string()).collect();
    if r.consent_to_share() {
        out.extend(IDENTIFYING.iter().filter(|f| is_present(r, f)).map(|f| f.to_string()));
    }
    out
}

/// Fields withheld for lack of consent (so the UI can say so).
pub fn withheld_fields(r: &Referral) -> Vec<String> {
    if r.consent_to_share() {
        return Vec::new();
    }
    IDENTIFYING.iter().filter(|f| is_present(r, f)).map(|f| f.to_string()).collect()
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
    use crate::referral::*;

    fn referral(consent: bool) -> Referral {
        serde_json::from_value(serde_json::json!({
            "external_id": "S1", "source": "hotline_call", "received_at": "2026-11-01T00:00:00Z",
            "urgency": "recent", "narrative": "n",
            "location": {"city": "Rolla"},
            "potential_victims": {"count": 2, "description": "two women"},
            "reporter": {"kind": "victim", "name": "R", "phone": "555"},
            "consent": {"share_identifying_info": consent}
        }))
        .unwrap()
    }

    #[test]
    fn identifying_details_are_shared_only_with_consent() {
        let without = shared_fields(&referral(false));
        assert!(without.contains(&"location.city".to_string()));
        assert!(!without.iter().any(|f| f.starts_with("reporter.") || f == "potential_victims.description"));
        assert_eq!(
            withheld_fields(&referral(false)),
            vec!["potential_victims.description", "reporter.kind", "reporter.name", "reporter.phone"]
        );
        let with = shared_fields(&referral(true));
        assert!(with.contains(&"reporter.name".to_string()));
        assert!(withheld_fields(&referral(true)).is_empty());
    }
}
