//! The roster as a dispatcher reads it: who serves where, who is on duty,
//! how many open cases each holds, how the hub reaches each, and the
//! escalation targets in force. Decided here once; the console's roster
//! screen and `beacon responder list` present it.

use beacon_domain::triage::format_duration;
use beacon_domain::{Action, Responder, ResponderId, Role};
use serde::Serialize;

use crate::{ApiError, Beacon};

/// The roster screen.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RosterView {
    /// Troopers, then advocates, investigators and supervisors; within
    /// each, those on duty first, then by name.
    pub rows: Vec<RosterRow>,
    /// Where the channels come from, in words: the hub's word at the last
    /// sync, or that there is no hub and handoffs reach nobody by themselves.
    pub channels_source: String,
    /// The hub's escalation targets, one line per priority, P1 first;
    /// empty until the hub has said.
    pub targets: Vec<String>,
    /// Whether the person signed in may put responders on or off duty.
    pub may_set_duty: bool,
}

/// One responder.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RosterRow {
    pub id: ResponderId,
    pub name: String,
    pub role: Role,
    /// "Trooper", "Victim advocate", …
    pub role_label: String,
    pub agency: String,
    /// Where they serve, as screens name it: "Troop D", "Greene",
    /// "everywhere".
    pub serves: String,
    pub languages: Vec<String>,
    pub phone: Option<String>,
    pub on_duty: bool,
    /// Open cases handed to them.
    pub open_cases: u32,
    /// The channels the hub reaches them on (`email`, `webhook`), as of the
    /// last sync; empty with no hub.
    pub channels: Vec<String>,
    /// How a handoff reaches them, in a few words: "email and webhook",
    /// "Beacon only", "no hub: call".
    pub reached: String,
    /// Their webhook answered 410 Gone and is off until it is set again.
    pub webhook_disabled: bool,
}

/// How screens name a responder's role.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Trooper => "Trooper",
        Role::VictimAdvocate => "Victim advocate",
        Role::Investigator => "Investigator",
        Role::Supervisor => "Supervisor",
    }
}

/// The hub's escalation targets in words, one per priority, written as
/// `beacon-hub config set` takes them: "P1: acknowledge within 15m, on
/// scene within 1h".
pub fn target_lines(directory: &beacon_sync::HubDirectory) -> Vec<String> {
    let span = |ms: i64| format_duration(ms.max(1000));
    directory
        .targets
        .iter()
        .map(|t| match t.onscene_ms {
            Some(on) => format!("{}: acknowledge within {}, on scene within {}", t.priority, span(t.ack_ms), span(on)),
            None => format!("{}: acknowledge within {}", t.priority, span(t.ack_ms)),
        })
        .collect()
}

impl Beacon {
    /// The roster, with how each responder is reached.
    pub fn roster(&self) -> Result<RosterView, ApiError> {
        self.require(Action::ReadRoster)?;
        let directory = self.hub_directory()?;
        let has_hub = self.has_hub()?;
        let open = self.store().open_cases_by_responder()?;
        let names = self.gazetteer().jurisdictions();
        let mut rows: Vec<RosterRow> = self
            .store()
            .responders()?
            .into_iter()
            .map(|r| {
                let reach = directory.as_ref().and_then(|d| d.channels.iter().find(|c| c.responder_id == r.id.0));
                let reached = match (reach, &directory, has_hub) {
                    (Some(c), _, _) if !c.channels.is_empty() => c.channels.join(" and "),
                    (_, Some(_), _) => "Beacon only".into(),
                    (_, None, true) => "not known before the first sync".into(),
                    (_, None, false) => "no hub: call".into(),
                };
                RosterRow {
                    open_cases: open.get(&r.id).copied().unwrap_or(0),
                    channels: reach.map(|c| c.channels.clone()).unwrap_or_default(),
                    webhook_disabled: reach.is_some_and(|c| c.webhook_disabled),
                    role_label: role_label(r.role).into(),
                    serves: serves(&r, &names),
                    reached,
                    id: r.id,
                    name: r.name,
                    role: r.role,
                    agency: r.agency,
                    languages: r.languages,
                    phone: r.phone,
                    on_duty: r.on_duty,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            let rank = |r: Role| Role::ALL.iter().position(|x| *x == r);
            (rank(a.role), !a.on_duty, a.name.to_lowercase()).cmp(&(rank(b.role), !b.on_duty, b.name.to_lowercase()))
        });
        let channels_source = match (&directory, has_hub) {
            (Some(_), _) => "Channels as the hub reported them at the last sync. \"Beacon only\": no email or \
                             webhook is set on the hub, so a handoff reaches them when their own Beacon syncs."
                .into(),
            (None, true) => "The hub has not reported channels yet: they show after the next sync.".into(),
            (None, false) => {
                "No hub: handoffs stay on this console and reach nobody by themselves. Call the responder.".into()
            }
        };
        Ok(RosterView {
            rows,
            channels_source,
            targets: directory.as_ref().map(target_lines).unwrap_or_default(),
            may_set_duty: self.require(Action::SetDuty).is_ok(),
        })
    }
}

/// Where a responder serves, named as the layer names it: `*` is
/// everywhere, a troop stays a troop, a jurisdiction id becomes its name.
fn serves(r: &Responder, layer: &[beacon_geo::JurisdictionInfo]) -> String {
    if r.jurisdictions.iter().any(|j| j == "*") {
        return "everywhere".into();
    }
    let named: Vec<String> = r
        .jurisdictions
        .iter()
        .map(|entry| match layer.iter().find(|j| j.id == *entry) {
            Some(j) => j.name.clone(),
            None if entry.len() == 1 => format!("Troop {entry}"),
            None => entry.clone(),
        })
        .collect();
    if named.is_empty() { "nowhere yet".into() } else { named.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responder(jurisdictions: &[&str]) -> Responder {
        serde_json::from_value(serde_json::json!({
            "id": "T-1", "name": "Tpr. Lane", "role": "trooper", "jurisdictions": jurisdictions
        }))
        .unwrap()
    }

    #[test]
    fn where_a_responder_serves_is_named_as_the_layer_names_it() {
        let layer = [beacon_geo::JurisdictionInfo {
            id: "29077".into(),
            name: "Greene".into(),
            troop: Some("D".into()),
            troop_verified: true,
            bbox: [0.0; 4],
        }];
        assert_eq!(serves(&responder(&["*"]), &layer), "everywhere");
        assert_eq!(serves(&responder(&["Troop D", "29077", "C"]), &layer), "Troop D, Greene, Troop C");
        assert_eq!(serves(&responder(&[]), &layer), "nowhere yet");
    }

    #[test]
    fn targets_are_said_per_priority() {
        let directory = beacon_sync::HubDirectory {
            channels: vec![],
            targets: vec![
                beacon_sync::HubTarget { priority: "P1".into(), ack_ms: 15 * 60_000, onscene_ms: Some(60 * 60_000) },
                beacon_sync::HubTarget { priority: "P4".into(), ack_ms: 24 * 3_600_000, onscene_ms: None },
            ],
        };
        assert_eq!(
            target_lines(&directory),
            ["P1: acknowledge within 15m, on scene within 1h", "P4: acknowledge within 1d"]
        );
    }
}
