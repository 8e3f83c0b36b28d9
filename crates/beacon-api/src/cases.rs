//! Changing a case: triage, notes, status, handoff, acknowledgement. Each
//! check runs inside the write transaction that makes the change, so two
//! processes cannot both pass a check and then both change the case.

use beacon_domain::event::EventBody;
use beacon_domain::sharing;
use beacon_domain::{CaseId, CaseStatus, HandoffId, NoteId, Priority, Role};
use beacon_store::HandoffRecord;

use crate::{ApiError, Beacon};

/// Longest note or reason accepted.
const MAX_NOTE_CHARS: usize = 8 * 1024;

fn check_text(what: &str, field: &str, text: &str) -> Result<String, ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ApiError::invalid(what, field, "is required and must not be empty"));
    }
    if t.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(what, field, format!("is longer than {MAX_NOTE_CHARS} characters")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid(what, field, "contains control characters"));
    }
    Ok(t.to_string())
}

impl Beacon {
    pub(crate) fn store_mut(&mut self) -> &mut beacon_store::Store {
        &mut self.store
    }

    /// Set the priority by hand, with the reason for the record.
    pub fn override_priority(&mut self, id: &str, to: Priority, reason: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        let reason = check_text(&format!("case {}", case_id.short()), "reason", reason)?;
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            let from = case.priority;
            w.append(&actor, Some(case_id), EventBody::PriorityOverridden { from, to, reason })?;
            if matches!(case.status, CaseStatus::New | CaseStatus::Reopened) {
                w.append(
                    &actor,
                    Some(case_id),
                    EventBody::StatusChanged { from: case.status, to: CaseStatus::Triaged, disposition: None },
                )?;
            }
            Ok(())
        })
    }

    pub fn add_note(&mut self, id: &str, text: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        let text = check_text(&format!("case {}", case_id.short()), "note", text)?;
        let actor = self.actor.clone();
        self.with_case(case_id, |w, _| {
            w.append(&actor, Some(case_id), EventBody::NoteAdded { note_id: NoteId::new(), text })?;
            Ok(())
        })
    }

    /// Move a case to `to`. Closing needs a disposition. Handing off has its
    /// own operation, since it needs a responder.
    pub fn set_status(&mut self, id: &str, to: CaseStatus, disposition: Option<&str>) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        let what = format!("case {}", case_id.short());
        let disposition = match (to, disposition) {
            (CaseStatus::Closed, Some(d)) => Some(check_text(&what, "disposition", d)?),
            (CaseStatus::Closed, None) => {
                return Err(ApiError::invalid(what, "disposition", "is required to close a case"));
            }
            (_, Some(_)) => return Err(ApiError::invalid(what, "disposition", "is only given when closing a case")),
            (_, None) => None,
        };
        if to == CaseStatus::HandedOff {
            return Err(ApiError::Refused("hand a case off with `handoff`, naming the responder".into()));
        }
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            let from = case.status;
            from.transition(to)?;
            if to == CaseStatus::Acknowledged {
                let pending = w.pending_handoff(case_id)?;
                let (handoff_id, responder_id) = pending.unzip();
                w.append(&actor, Some(case_id), EventBody::Acknowledged { handoff_id, responder_id })?;
            }
            w.append(&actor, Some(case_id), EventBody::StatusChanged { from, to, disposition })?;
            Ok(())
        })
    }

    /// Hand the case to a responder, sharing only what consent and law allow.
    pub fn handoff(&mut self, id: &str, responder: &str) -> Result<HandoffRecord, ApiError> {
        let case_id = self.resolve(id)?;
        let r = self
            .store
            .responder(responder.trim())?
            .ok_or_else(|| ApiError::NotFound { what: "responder", id: responder.to_string() })?;
        let actor = self.actor.clone();
        let handoff_id = HandoffId::new();
        self.with_case(case_id, |w, case| {
            if case.status == CaseStatus::Closed {
                return Err(ApiError::Refused(format!(
                    "case {} is closed; reopen it before handing it off",
                    case_id.short()
                )));
            }
            let referral = w
                .case(case_id)?
                .map(|c| c.referral)
                .ok_or_else(|| ApiError::NotFound { what: "case", id: case_id.to_string() })?;
            w.append(
                &actor,
                Some(case_id),
                EventBody::HandedOff {
                    handoff_id,
                    responder_id: r.id.clone(),
                    responder_name: r.name.clone(),
                    role: r.role,
                    shared_fields: sharing::shared_fields(&referral),
                    withheld_fields: sharing::withheld_fields(&referral),
                },
            )?;
            Ok(())
        })?;
        self.store
            .handoffs(case_id)?
            .into_iter()
            .find(|h| h.id == handoff_id)
            .ok_or_else(|| ApiError::NotFound { what: "handoff", id: handoff_id.to_string() })
    }

    /// Hand the case to the top suggestion for `role` (see [`Beacon::suggest`]):
    /// the console's one-click handoff.
    pub fn handoff_to_suggested(&mut self, id: &str, role: Role) -> Result<HandoffRecord, ApiError> {
        let suggestions = self.suggest(id)?;
        let list = match role {
            Role::Trooper => &suggestions.troopers,
            Role::VictimAdvocate => &suggestions.advocates,
            Role::Investigator | Role::Supervisor => {
                return Err(ApiError::Refused(format!("Beacon suggests troopers and victim advocates, not a {role}")));
            }
        };
        let top = list.first().ok_or_else(|| {
            ApiError::Refused(format!("no {role} is on duty to hand case {} to", suggestions.case_id.short()))
        })?;
        let responder = top.responder.id.0.clone();
        self.handoff(&suggestions.case_id.to_string(), &responder)
    }

    /// A responder takes the case: acknowledges the oldest handoff not yet acknowledged.
    pub fn acknowledge(&mut self, id: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            let Some((handoff_id, responder_id)) = w.pending_handoff(case_id)? else {
                return Err(ApiError::Refused(format!(
                    "case {} has no handoff waiting for acknowledgement; hand it off first",
                    case_id.short()
                )));
            };
            w.append(
                &actor,
                Some(case_id),
                EventBody::Acknowledged { handoff_id: Some(handoff_id), responder_id: Some(responder_id.clone()) },
            )?;
            if case.status == CaseStatus::HandedOff {
                w.append(
                    &actor,
                    Some(case_id),
                    EventBody::StatusChanged { from: case.status, to: CaseStatus::Acknowledged, disposition: None },
                )?;
            }
            Ok(())
        })
    }

    /// Run `f` in a write transaction with the case's current summary.
    fn with_case<T>(
        &mut self,
        case_id: CaseId,
        f: impl FnOnce(&mut beacon_store::Writer<'_>, &beacon_store::CaseSummary) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.store.write(|w| {
            let case = w.case(case_id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: case_id.to_string() })?;
            f(w, &case.summary)
        })
    }
}
