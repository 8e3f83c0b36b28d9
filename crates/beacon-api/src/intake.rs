//! Referrals coming in: one at a time, or a file of many.

use beacon_domain::Action;
use beacon_domain::event::EventBody;
use beacon_domain::intake;
use beacon_domain::referral::Referral;
use beacon_domain::triage::{self, Triage};
use beacon_domain::{CaseId, FieldError, JurisdictionAssignment};
use serde::Serialize;

use crate::views::AddOutcome;
use crate::{ApiError, Beacon};

/// What a referral would become, for a form that previews as it is typed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preview {
    pub triage: Option<Triage>,
    pub jurisdiction: Option<JurisdictionAssignment>,
    /// How screens name that jurisdiction.
    pub jurisdiction_label: Option<String>,
    /// Every problem, each naming its field; empty when the referral can be saved.
    pub problems: Vec<Problem>,
}

/// A problem with one field of a referral being typed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    /// Dotted path of the field; empty for the whole record.
    pub field: String,
    /// The field as people read it; "Referral" for the whole record.
    pub field_label: String,
    pub problem: String,
}

impl From<FieldError> for Problem {
    fn from(e: FieldError) -> Self {
        let field_label =
            if e.field.is_empty() { "Referral".to_string() } else { beacon_domain::sharing::label(&e.field) };
        Problem { field: e.field, field_label, problem: e.problem }
    }
}

/// The jurisdiction a referral's location falls in ("unknown" without one).
pub(crate) fn assign(
    gazetteer: &beacon_geo::Gazetteer,
    location: Option<&beacon_domain::referral::Location>,
) -> JurisdictionAssignment {
    location.map(|l| gazetteer.assign(l)).unwrap_or_else(JurisdictionAssignment::unknown)
}

impl Beacon {
    pub(crate) fn assign_location(
        &self,
        location: Option<&beacon_domain::referral::Location>,
    ) -> JurisdictionAssignment {
        assign(self.gazetteer(), location)
    }

    /// Validate without storing.
    pub fn preview(&self, value: serde_json::Value) -> Preview {
        match intake::all_problems(value, self.store().now()) {
            Ok(r) => {
                let jurisdiction = self.assign_location(r.location.as_ref());
                Preview {
                    triage: Some(triage::triage(&r)),
                    jurisdiction_label: Some(jurisdiction.label()),
                    jurisdiction: Some(jurisdiction),
                    problems: Vec::new(),
                }
            }
            Err(problems) => Preview {
                triage: None,
                jurisdiction: None,
                jurisdiction_label: None,
                problems: problems.into_iter().map(Problem::from).collect(),
            },
        }
    }

    /// Store one referral given as JSON. Adding the same referral twice is not an error.
    pub fn add_referral_json(&mut self, value: serde_json::Value) -> Result<AddOutcome, ApiError> {
        let what = value
            .get("external_id")
            .and_then(|v| v.as_str())
            .map(|id| format!("referral {}", id.chars().take(64).collect::<String>()))
            .unwrap_or_else(|| "referral".into());
        let referral = intake::referral_from_value(value, self.store().now())
            .map_err(|error| ApiError::Invalid { what, error })?;
        self.add_referral(referral)
    }

    pub fn add_referral(&mut self, referral: Referral) -> Result<AddOutcome, ApiError> {
        self.require(Action::Intake)?;
        let id = CaseId::for_referral(referral.source, &referral.external_id);
        let triage = triage::triage(&referral);
        let jurisdiction = self.assign_location(referral.location.as_ref());
        let outcome = AddOutcome {
            id,
            short_id: id.short(),
            created: true,
            priority: triage.priority,
            jurisdiction: jurisdiction.clone(),
        };
        let actor = self.actor().clone();
        let created = self.store_mut().write::<_, ApiError>(|w| {
            if w.referral_exists(referral.source, &referral.external_id)? {
                return Ok(false);
            }
            w.append(
                &actor,
                Some(id),
                EventBody::ReferralReceived { referral: Box::new(referral), triage, jurisdiction },
            )?;
            Ok(true)
        })?;
        if !created {
            // Report what is stored, not what this copy would have become.
            let stored =
                self.store().case(id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: id.to_string() })?;
            return Ok(AddOutcome {
                created: false,
                priority: stored.summary.priority,
                jurisdiction: std::sync::Arc::unwrap_or_clone(stored.summary.jurisdiction),
                ..outcome
            });
        }
        Ok(outcome)
    }
}
