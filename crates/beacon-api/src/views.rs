//! What operations return: shaped for people and for `--json`.

use beacon_domain::referral::Referral;
use beacon_domain::responder::Suggestion;
use beacon_domain::triage::{Deadline, Reason};
use beacon_domain::{CaseId, CaseStatus, JurisdictionAssignment, Priority, QueuePlace, RecordError};
use beacon_store::{
    Assignee, CaseRecord, CaseSummary, HandoffConflict, HandoffRecord, LinkedCase, NoteRecord, StoredEvent,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A case as lists and `--json` show it: the referral's own fields plus
/// Beacon's (`id`, `status`, `priority`, `priority_reasons`, `jurisdiction`, `links`).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseView {
    pub id: CaseId,
    pub short_id: String,
    #[serde(flatten)]
    pub referral: Referral,
    pub status: CaseStatus,
    pub priority: Priority,
    pub priority_reasons: Vec<Reason>,
    pub priority_overridden: bool,
    pub jurisdiction: JurisdictionAssignment,
    /// How screens name the jurisdiction ([`JurisdictionAssignment::label`]).
    pub jurisdiction_label: String,
    pub links: Vec<CaseId>,
    pub assigned: Vec<Assignee>,
    /// The next target and the time left against it (open cases only).
    pub deadline: Option<Deadline>,
    /// Where the case goes in the queue and why; `None` once closed.
    pub place: Option<QueuePlace>,
    pub handed_off_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub on_scene_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub disposition: Option<String>,
    /// What the person asking may do to the case now: screens offer
    /// exactly these.
    pub actions: CaseActions,
}

/// What a person may do to a case now, by the case's state machine
/// ([`CaseStatus::after`]), its handoffs and the person's role; the case
/// screen and My cases enable exactly these, and the operations refuse the
/// rest by the same rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseActions {
    /// A handoff waits for its acknowledgement, and they may respond.
    pub acknowledge: bool,
    /// Acknowledged and not yet on scene, and they may respond.
    pub on_scene: bool,
    /// Open, and they triage (closing needs a disposition).
    pub close: bool,
    /// Closed, and they triage.
    pub reopen: bool,
}

impl CaseActions {
    /// `respond` and `triage`: whether the person may do each; `waiting`:
    /// whether a handoff waits for its acknowledgement.
    pub fn of(status: CaseStatus, waiting: bool, respond: bool, triage: bool) -> CaseActions {
        use beacon_domain::Change;
        let can = |change| status.after(change).is_ok();
        CaseActions {
            acknowledge: respond && waiting && can(Change::Acknowledge),
            on_scene: respond && can(Change::ArriveOnScene),
            close: triage && can(Change::Close),
            reopen: triage && can(Change::Reopen),
        }
    }
}

/// A queue row: the summary (no referral body) and where it stands.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueRow {
    pub short_id: String,
    #[serde(flatten)]
    pub case: CaseSummary,
    pub deadline: Option<Deadline>,
    /// Where the row goes in the queue and why; `None` for a closed case.
    pub place: Option<QueuePlace>,
    /// How screens name the jurisdiction ([`JurisdictionAssignment::label`]).
    pub jurisdiction_label: String,
}

/// Everything about one case.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    /// The referral as the case screen lists it, in words
    /// ([`crate::referral_sheet`]).
    pub referral_sheet: Vec<crate::referral_sheet::SheetSection>,
    /// Where the case was assigned and how sure that is, in words.
    pub jurisdiction_lines: Vec<crate::referral_sheet::SheetLine>,
    pub linked: Vec<LinkedCase>,
    pub notes: Vec<NoteRecord>,
    pub handoffs: Vec<HandoffRecord>,
    /// Handoffs of this case the hub rejected, looked at or not.
    pub conflicts: Vec<ConflictRow>,
    /// Whether each handoff in force reached its responder, and how.
    pub reach: Vec<ReachLine>,
}

/// Whether a handoff in force reached its responder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The responder acknowledged it.
    Acknowledged,
    /// A channel delivered it.
    Delivered,
    /// On the hub; no channel has answered yet (or the responder has none
    /// but their own Beacon).
    OnHub,
    /// Every attempt so far failed.
    NotDelivered,
    /// Written here and not yet on the hub: the console is offline or has
    /// not synced.
    WaitingForHub,
    /// This console syncs with no hub: nothing goes out.
    NoHub,
}

/// One handoff in force, how it reaches its responder, and what to do.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReachLine {
    pub handoff_id: beacon_domain::HandoffId,
    pub responder_name: String,
    pub role: beacon_domain::Role,
    pub reach: Reach,
    /// The state in words, for the case screen.
    pub text: String,
    /// The latest attempt on each channel.
    pub channels: Vec<beacon_store::DeliveryStatus>,
    /// The responder's phone, when the dispatcher should call rather than wait.
    pub call: Option<String>,
    /// The dispatcher must act (not delivered, not sent, waiting for the
    /// hub): the screen shows it as an alert.
    pub needs_action: bool,
}

impl ReachLine {
    /// Decide how a handoff stands. `on_hub`: whether the hub holds it
    /// (`None`: no hub); `phone`: the roster's number for the responder.
    pub(crate) fn of(h: &beacon_store::HandoffRecord, on_hub: Option<bool>, phone: Option<String>) -> ReachLine {
        let name = &h.responder_name;
        let (reach, text) = if h.acknowledged_at.is_some() {
            (Reach::Acknowledged, format!("{name} acknowledged it."))
        } else if h.deliveries.iter().any(|d| d.reached) {
            (Reach::Delivered, format!("Delivered to {name}; waiting for the acknowledgement."))
        } else if beacon_domain::delivery::undelivered(h.deliveries.iter().map(|d| d.outcome)) {
            (Reach::NotDelivered, format!("Not delivered to {name} yet. Call them."))
        } else {
            match on_hub {
                None => (Reach::NoHub, format!("Not sent: this console is not connected to a hub. Call {name}.")),
                Some(false) => (
                    Reach::WaitingForHub,
                    format!("Waiting to reach the hub (this console is offline or has not synced). Call {name}."),
                ),
                Some(true) => (
                    Reach::OnHub,
                    format!(
                        "On the hub; {name} sees it in Beacon at their next sync. No other channel has answered yet."
                    ),
                ),
            }
        };
        let call = match reach {
            Reach::Acknowledged | Reach::Delivered => None,
            _ => phone,
        };
        let needs_action = matches!(reach, Reach::NotDelivered | Reach::WaitingForHub | Reach::NoHub);
        ReachLine {
            handoff_id: h.id,
            responder_name: name.clone(),
            role: h.role,
            reach,
            text,
            channels: h.deliveries.clone(),
            call,
            needs_action,
        }
    }
}

/// A rejected handoff, for the conflicts list and the case screen.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictRow {
    pub short_id: String,
    #[serde(flatten)]
    pub conflict: HandoffConflict,
    /// What happened, in words.
    pub text: String,
}

impl ConflictRow {
    pub(crate) fn of(conflict: HandoffConflict) -> ConflictRow {
        let c = &conflict;
        let text = format!(
            "{} handed case {} to {} ({}), but {} had already handed it to {}: that handoff reached the hub first and stands.",
            c.handed_off_by,
            c.case_id.short(),
            c.responder_name,
            c.role,
            c.winner_handed_off_by,
            c.winner_responder_name
        );
        ConflictRow { short_id: c.case_id.short(), text, conflict }
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suggestions {
    pub case_id: CaseId,
    pub troopers: Vec<Suggestion>,
    pub advocates: Vec<Suggestion>,
    /// What a handoff to a trooper would share and withhold, and why: shown
    /// before the click.
    pub share_with_troopers: beacon_domain::sharing::SharePlan,
    pub share_with_advocates: beacon_domain::sharing::SharePlan,
}

#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: Vec<RecordError>,
}

/// Progress of a long import, after each committed batch.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportProgress {
    /// Records read so far.
    pub read: u64,
    /// Records durably stored so far (committed).
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddOutcome {
    pub id: CaseId,
    pub short_id: String,
    /// False when the referral was already in the store (same source and external id).
    pub created: bool,
    pub priority: Priority,
    pub jurisdiction: JurisdictionAssignment,
}

pub type AuditTrail = Vec<StoredEvent>;

impl CaseView {
    pub(crate) fn from_record(
        r: CaseRecord,
        links: Vec<CaseId>,
        deadline: Option<Deadline>,
        place: Option<QueuePlace>,
        actions: CaseActions,
    ) -> Self {
        let s = r.summary;
        CaseView {
            short_id: s.id.short(),
            id: s.id,
            referral: r.referral,
            status: s.status,
            priority: s.priority,
            priority_reasons: s.priority_reasons.to_vec(),
            priority_overridden: s.priority_overridden,
            jurisdiction_label: s.jurisdiction.label(),
            jurisdiction: std::sync::Arc::unwrap_or_clone(s.jurisdiction),
            links,
            assigned: s.assigned.to_vec(),
            deadline,
            place,
            handed_off_at: s.handed_off_at,
            acknowledged_at: s.acknowledged_at,
            on_scene_at: s.on_scene_at,
            closed_at: s.closed_at,
            disposition: s.disposition,
            actions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CaseActions;
    use beacon_domain::CaseStatus::*;

    #[test]
    fn a_case_offers_what_its_state_and_the_persons_role_allow() {
        let all = |status, waiting| CaseActions::of(status, waiting, true, true);
        let only = |acknowledge, on_scene, close, reopen| CaseActions { acknowledge, on_scene, close, reopen };
        assert_eq!(all(New, false), only(false, false, true, false));
        assert_eq!(all(HandedOff, true), only(true, false, true, false));
        assert_eq!(all(Acknowledged, false), only(false, true, true, false));
        // The advocate's handoff waits while the trooper is on scene.
        assert_eq!(all(OnScene, true), only(true, false, true, false));
        assert_eq!(all(Closed, false), only(false, false, false, true));
        // A task-force member responds and never closes; a person who may do neither, nothing.
        assert_eq!(CaseActions::of(Acknowledged, false, true, false), only(false, true, false, false));
        assert_eq!(CaseActions::of(HandedOff, true, false, false), CaseActions::default());
    }
}
