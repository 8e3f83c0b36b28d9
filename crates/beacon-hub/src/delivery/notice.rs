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
    /// For a supervisor told of an escalation: what was missed, and what
    /// the hub did ("not acknowledged by Trooper One (trooper) within 15 min;
    /// handed to Trooper Two").
    pub escalation: Option<String>,
}

impl Notice {
    /// Read the handoff and its case's referral (as the hub stores them).
    /// The body is a `handed_off` event, or for an escalation's notice the
    /// `escalated` event.
    pub fn read(case_id: CaseId, handoff_body: &str, referral_body: Option<&str>) -> Result<Notice, String> {
        let handoff: EventBody = serde_json::from_str(handoff_body).map_err(|_| "the handoff does not read")?;
        let (role, responder_name, escalation) = match &handoff {
            EventBody::HandedOff { role, responder_name, .. } => (*role, responder_name.clone(), None),
            EventBody::Escalated { role, responder_name, .. } => {
                let summary = handoff.summary();
                let summary = summary.strip_prefix("escalated: ").unwrap_or(&summary).to_string();
                (*role, responder_name.clone(), Some(summary))
            }
            _ => return Err("the handoff is not a handoff".into()),
        };
        let mut notice = Notice {
            short_id: case_id.short(),
            role,
            responder_name,
            priority: None,
            jurisdiction: None,
            place_type: None,
            escalation,
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

    /// "P1 handoff · Greene · Troop D · hotel · case 0193ab12", or
    /// "ESCALATED P1 · …" for a supervisor.
    pub fn subject(&self) -> String {
        let priority = self.priority.map_or("Beacon", |p| p.as_str());
        let first = match self.escalation {
            Some(_) => format!("ESCALATED {priority}"),
            None => format!("{priority} handoff"),
        };
        let mut parts = vec![first];
        parts.extend(self.jurisdiction.clone());
        parts.extend(self.place_type.clone());
        parts.push(format!("case {}", self.short_id));
        parts.join(" · ")
    }

    /// The lines every notice shows, label and value.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let unknown = || "not known".to_string();
        let mut lines = Vec::new();
        if let Some(what) = &self.escalation {
            lines.push(("Escalated", what.clone()));
        }
        lines.extend([
            ("Priority", self.priority.map_or_else(unknown, |p| p.to_string())),
            ("Where", self.jurisdiction.clone().unwrap_or_else(unknown)),
            ("Place", self.place_type.clone().unwrap_or_else(unknown)),
            ("Case", self.short_id.clone()),
            ("Handed to", format!("{} ({})", self.responder_name, self.role.as_str().replace('_', " "))),
        ]);
        lines
    }
}
