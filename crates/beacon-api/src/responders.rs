//! Responders: importing the roster, and who to suggest for a case.

use beacon_domain::Action;
use beacon_domain::event::EventBody;
use beacon_domain::responder::{self, Responder, Role};
use beacon_domain::{RecordError, roster};
use serde::Serialize;
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
    /// Import responders from JSON (an array or JSON Lines) or CSV (see
    /// [`roster::parse_roster`]). All valid rows are saved in one transaction.
    pub fn import_responders<R: Read>(&mut self, mut input: R) -> Result<RosterReport, ApiError> {
        self.require(Action::ManageRoster)?;
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| ApiError::Io { path: "input".into(), cause: e })?;
        let mut report = RosterReport::default();
        let mut good: Vec<Responder> = Vec::new();
        for parsed in roster::parse_roster(&bytes) {
            match parsed {
                Ok(r) => good.push(r),
                Err(e) => report.rejected.push(e),
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
        self.require(Action::ReadRoster)?;
        Ok(self.store().responders()?)
    }

    /// Set a responder on or off duty.
    pub fn set_on_duty(&mut self, id: &str, on_duty: bool) -> Result<(), ApiError> {
        self.require(Action::SetDuty)?;
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
        self.require_case(Action::HandOff, case_id)?;
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
        let now = self.store().now();
        let directory = self.hub_directory()?;
        let reached = |mut list: Vec<responder::Suggestion>| {
            if let Some(d) = &directory {
                for s in &mut list {
                    s.reasons.push(reached_by(d, &s.responder.id.0));
                }
            }
            list
        };
        Ok(Suggestions {
            case_id,
            troopers: reached(responder::suggest(Role::Trooper, &roster, j, &languages)),
            advocates: reached(responder::suggest(Role::VictimAdvocate, &roster, j, &languages)),
            share_with_troopers: beacon_domain::sharing::plan(&case.referral, Role::Trooper, now),
            share_with_advocates: beacon_domain::sharing::plan(&case.referral, Role::VictimAdvocate, now),
        })
    }
}

/// How the hub reaches a responder, in words: "reached by email and
/// webhook", or only through their own Beacon.
pub fn reached_by(directory: &beacon_sync::HubDirectory, responder_id: &str) -> String {
    let kinds = directory
        .channels
        .iter()
        .find(|c| c.responder_id == responder_id)
        .map(|c| c.channels.clone())
        .unwrap_or_default();
    if kinds.is_empty() {
        "reached only through Beacon (no email or webhook on the hub)".into()
    } else {
        format!("reached by {}", kinds.join(" and "))
    }
}
