//! What a notice of a handoff may say where anyone might read it (a mail
//! subject, a lock screen, a page opened from a link): priority, county,
//! place type and the case's short id. Never a victim's details: those go
//! only in the webhook's package, as the sharing policy allows.

use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, Priority, Role};
use beacon_hub_db::DueDelivery;

/// The handoff, as much of it as a notice shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub short_id: String,
    pub role: Role,
    pub responder_name: String,
    pub priority: Option<Priority>,
    /// "Greene · Troop D".
    pub jurisdiction: Option<String>,
    /// "truck stop".
    pub place_type: Option<String>,
}

impl Notice {
    /// Read the handoff and its case's referral (as the hub stores them).
    pub fn read(case_id: CaseId, handoff_body: &str, referral_body: Option<&str>) -> Result<Notice, String> {
        let handoff: EventBody = serde_json::from_str(handoff_body).map_err(|_| "the handoff does not read")?;
        let EventBody::HandedOff { role, responder_name, .. } = handoff else {
            return Err("the handoff is not a handoff".into());
        };
        let mut notice = Notice {
            short_id: case_id.short(),
            role,
            responder_name,
            priority: None,
            jurisdiction: None,
            place_type: None,
        };
        if let Some(Ok(EventBody::ReferralReceived { referral, triage, jurisdiction })) =
            referral_body.map(serde_json::from_str::<EventBody>)
        {
            notice.priority = Some(triage.priority);
            notice.jurisdiction = Some(jurisdiction.label());
            notice.place_type = referral.place_type().map(|p| p.as_str().replace('_', " "));
        }
        Ok(notice)
    }

    pub fn of(d: &DueDelivery) -> Result<Notice, String> {
        Notice::read(d.case_id, &d.handoff_body, d.referral_body.as_deref())
    }

    /// "P1 handoff · Greene · Troop D · hotel · case 0193ab12".
    pub fn subject(&self) -> String {
        let mut parts = vec![format!("{} handoff", self.priority.map_or("Beacon", |p| p.as_str()))];
        parts.extend(self.jurisdiction.clone());
        parts.extend(self.place_type.clone());
        parts.push(format!("case {}", self.short_id));
        parts.join(" · ")
    }

    /// The lines every notice shows, label and value.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let unknown = || "not known".to_string();
        vec![
            ("Priority", self.priority.map_or_else(unknown, |p| p.to_string())),
            ("Where", self.jurisdiction.clone().unwrap_or_else(unknown)),
            ("Place", self.place_type.clone().unwrap_or_else(unknown)),
            ("Case", self.short_id.clone()),
            ("Handed to", format!("{} ({})", self.responder_name, self.role.as_str().replace('_', " "))),
        ]
    }
}
