//! Changing a case: triage, notes, status, handoff, withdrawal,
//! acknowledgement. Each change goes through the case's state machine
//! ([`CaseStatus::after`]) against the status read inside the write
//! transaction that makes the change, so two processes cannot both pass a
//! check and then both change the case. The store's projections check the
//! same rule again as each event is appended.

use beacon_domain::Action;
use beacon_domain::event::EventBody;
use beacon_domain::sharing;
use beacon_domain::{CaseId, CaseStatus, Change, HandoffId, NoteId, Priority, Role};
use beacon_store::{CaseSummary, HandoffRecord};

use crate::{ApiError, Beacon, ConflictRow};

/// Longest note or reason accepted.
const MAX_NOTE_CHARS: usize = 8 * 1024;

/// The machine's verdict on `change` for the case as it stands: the status it leads to.
fn check(case: &CaseSummary, change: Change) -> Result<CaseStatus, ApiError> {
    case.status.after(change).map_err(|error| ApiError::Transition { case: case.id, error })
}

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

    /// Set the priority by hand, with the reason for the record: triage. A
    /// new or reopened case becomes triaged; a closed one is reopened first.
    pub fn override_priority(&mut self, id: &str, to: Priority, reason: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::Triage, case_id)?;
        let reason = check_text(&format!("case {}", case_id.short()), "reason", reason)?;
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            let status = check(case, Change::Triage)?;
            let from = case.priority;
            w.append(&actor, Some(case_id), EventBody::PriorityOverridden { from, to, reason })?;
            if status != case.status {
                w.append(
                    &actor,
                    Some(case_id),
                    EventBody::StatusChanged { from: case.status, to: status, disposition: None },
                )?;
            }
            Ok(())
        })
    }

    pub fn add_note(&mut self, id: &str, text: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::Note, case_id)?;
        let text = check_text(&format!("case {}", case_id.short()), "note", text)?;
        let actor = self.actor.clone();
        self.with_case(case_id, |w, _| {
            w.append(&actor, Some(case_id), EventBody::NoteAdded { note_id: NoteId::new(), text })?;
            Ok(())
        })
    }

    /// Move a case to `to`. Closing needs a disposition. `triaged` from
    /// `handed_off` withdraws the handoff ([`Beacon::withdraw`]);
    /// `acknowledged` is [`Beacon::acknowledge`]; `handed_off` is reached
    /// by a handoff, which names the responder.
    pub fn set_status(&mut self, id: &str, to: CaseStatus, disposition: Option<&str>) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        // What a responder reports is theirs to say; the rest is triage.
        let action = match to {
            CaseStatus::Acknowledged | CaseStatus::OnScene => Action::Respond,
            _ => Action::Triage,
        };
        self.require_case(action, case_id)?;
        let what = format!("case {}", case_id.short());
        let disposition = match (to, disposition) {
            (CaseStatus::Closed, Some(d)) => Some(check_text(&what, "disposition", d)?),
            (CaseStatus::Closed, None) => {
                return Err(ApiError::invalid(what, "disposition", "is required to close a case"));
            }
            (_, Some(_)) => return Err(ApiError::invalid(what, "disposition", "is only given when closing a case")),
            (_, None) => None,
        };
        if to == CaseStatus::Acknowledged {
            return self.acknowledge_case(case_id);
        }
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            let from = case.status;
            from.transition(to).map_err(|error| ApiError::Transition { case: case_id, error })?;
            w.append(&actor, Some(case_id), EventBody::StatusChanged { from, to, disposition })?;
            Ok(())
        })
    }

    /// Withdraw the handoffs of a case nobody has acknowledged: the case is
    /// triaged again, lists none of those responders, and none of them can
    /// acknowledge it.
    pub fn withdraw(&mut self, id: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::HandOff, case_id)?;
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            let to = check(case, Change::Withdraw)?;
            w.append(&actor, Some(case_id), EventBody::StatusChanged { from: case.status, to, disposition: None })?;
            Ok(())
        })
    }

    /// Hand the case to a responder, sharing only what consent and law allow.
    /// Handing it to another responder of a role whose handoff nobody has
    /// acknowledged yet reassigns it (the earlier handoff is withdrawn).
    pub fn handoff(&mut self, id: &str, responder: &str) -> Result<HandoffRecord, ApiError> {
        self.handoff_with(id, responder, None)
    }

    /// [`Beacon::handoff`], sharing the victim's details the policy would
    /// withhold ([`sharing::plan_with`]), for `reason`, which the handoff
    /// records. The reporter's identity still needs their `contact_ok`.
    pub fn handoff_overriding_sharing(
        &mut self,
        id: &str,
        responder: &str,
        reason: &str,
    ) -> Result<HandoffRecord, ApiError> {
        self.handoff_with(id, responder, Some(reason))
    }

    fn handoff_with(
        &mut self,
        id: &str,
        responder: &str,
        override_reason: Option<&str>,
    ) -> Result<HandoffRecord, ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::HandOff, case_id)?;
        let sharing_override = match override_reason {
            Some(reason) => {
                self.require(Action::OverrideSharing)?;
                Some(check_text(&format!("case {}", case_id.short()), "override reason", reason)?)
            }
            None => None,
        };
        let r = self
            .store
            .responder(responder.trim())?
            .ok_or_else(|| ApiError::NotFound { what: "responder", id: responder.to_string() })?;
        let actor = self.actor.clone();
        let handoff_id = HandoffId::new();
        let now = self.store.now();
        self.with_case(case_id, |w, case| {
            check(case, Change::HandOff)?;
            let referral = w
                .case(case_id)?
                .map(|c| c.referral)
                .ok_or_else(|| ApiError::NotFound { what: "case", id: case_id.to_string() })?;
            // What this handoff replaces, as far as this device knows: the
            // hub rejects it if another reached it first unseen.
            let replaces = w.last_handoff_of_role(case_id, r.role)?;
            let plan = sharing::plan_with(&referral, r.role, now, sharing_override.is_some());
            w.append(
                &actor,
                Some(case_id),
                EventBody::HandedOff {
                    handoff_id,
                    responder_id: r.id.clone(),
                    responder_name: r.name.clone(),
                    role: r.role,
                    shared_fields: plan.shared_fields(),
                    withheld_fields: plan.withheld_fields(),
                    replaces,
                    sharing_override,
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

    /// A dispatcher has looked at the case's rejected handoffs (see
    /// [`EventBody::HandoffRejected`]): they stop asking for attention, and
    /// the case takes its place in the queue by its status again. Returns
    /// how many there were.
    pub fn resolve_conflicts(&mut self, id: &str) -> Result<usize, ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::ResolveConflicts, case_id)?;
        let open: Vec<_> = self.store.conflicts_of(case_id)?.into_iter().filter(|c| c.resolved_at.is_none()).collect();
        if open.is_empty() {
            return Err(ApiError::Refused(format!("case {} has no rejected handoff to look at", case_id.short())));
        }
        let actor = self.actor.clone();
        self.with_case(case_id, |w, _| {
            for c in &open {
                w.append(&actor, Some(case_id), EventBody::ConflictResolved { handoff_id: c.handoff_id })?;
            }
            Ok(())
        })?;
        Ok(open.len())
    }

    /// Rejected handoffs nobody has looked at, newest first.
    pub fn conflicts(&self) -> Result<Vec<ConflictRow>, ApiError> {
        self.require(Action::ReadQueue)?;
        Ok(self
            .store
            .open_conflicts(beacon_domain::queue::MAX_QUEUE_LIMIT as usize)?
            .into_iter()
            .map(ConflictRow::of)
            .collect())
    }

    /// A responder takes the case: acknowledges the oldest handoff waiting
    /// (neither acknowledged nor withdrawn).
    pub fn acknowledge(&mut self, id: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::Respond, case_id)?;
        self.acknowledge_case(case_id)
    }

    fn acknowledge_case(&mut self, case_id: CaseId) -> Result<(), ApiError> {
        let actor = self.actor.clone();
        self.with_case(case_id, |w, case| {
            check(case, Change::Acknowledge)?;
            let Some((handoff_id, responder_id)) = w.pending_handoff(case_id)? else {
                return Err(ApiError::Refused(format!(
                    "case {} is `{}` and has no handoff waiting for acknowledgement",
                    case_id.short(),
                    case.status
                )));
            };
            // The acknowledgement moves the case on (handed_off → acknowledged)
            // by itself: one event, one change.
            w.append(
                &actor,
                Some(case_id),
                EventBody::Acknowledged { handoff_id: Some(handoff_id), responder_id: Some(responder_id) },
            )?;
            Ok(())
        })
    }

    /// Run `f` in a write transaction with the case's current summary.
    fn with_case<T>(
        &mut self,
        case_id: CaseId,
        f: impl FnOnce(&mut beacon_store::Writer<'_>, &CaseSummary) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.store.write(|w| {
            let case = w.case(case_id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: case_id.to_string() })?;
            f(w, &case.summary)
        })
    }
}
