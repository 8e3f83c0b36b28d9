//! What the store hands back. Serializable so the command line and the
//! desktop app can pass them on unchanged.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::referral::{PlaceType, Referral, Source, TraffickingType};
use beacon_domain::responder::Role;
use beacon_domain::triage::Reason;
use beacon_domain::{
    CaseId, CaseStatus, DeviceId, EventId, HandoffId, Hlc, JurisdictionAssignment, NoteId, Priority, ResponderId,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// A responder a case is assigned to (the latest handoff per role).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assignee {
    pub id: ResponderId,
    pub name: String,
    pub role: Role,
}

/// One row of the queue or of search results.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseSummary {
    pub id: CaseId,
    pub source: Source,
    pub external_id: String,
    pub received_at: DateTime<Utc>,
    pub status: CaseStatus,
    pub priority: Priority,
    // Shared, not copied: a queue page's rows repeat a few sets of reasons
    // (see `read::RowMemo`).
    pub priority_reasons: Arc<[Reason]>,
    pub priority_overridden: bool,
    // Shared too: rows in the same county share one assignment.
    pub jurisdiction: Arc<JurisdictionAssignment>,
    pub trafficking_type: TraffickingType,
    pub place_type: Option<PlaceType>,
    pub location: String,
    pub link_count: u32,
    // Shared like the reasons: a small roster assigns the same pairs.
    pub assigned: Arc<[Assignee]>,
    pub handed_off_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub on_scene_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub disposition: Option<String>,
    /// Handoffs of this case the hub rejected that no dispatcher has looked
    /// at yet: while there are any, the case needs attention.
    pub open_conflicts: u32,
    /// The hub escalated the case and no responder has answered since.
    pub escalated: bool,
    /// A waiting handoff of the case has a failed delivery and none that
    /// arrived: nobody may know of it.
    pub undelivered: bool,
    /// The deadline of the next step as the store keeps it (unix ms;
    /// `i64::MAX` for none): the queue merges its walks by it.
    #[serde(skip)]
    pub due_ms: i64,
}

impl CaseSummary {
    /// What asks a dispatcher to look at the case ([`beacon_domain::queue::Attention`]).
    pub fn attention(&self) -> beacon_domain::queue::Attention {
        beacon_domain::queue::Attention {
            conflicted: self.open_conflicts > 0,
            escalated: self.escalated,
            undelivered: self.undelivered,
        }
    }
}

/// A case with its referral.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseRecord {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub referral: Referral,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteRecord {
    pub id: NoteId,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HandoffRecord {
    pub id: HandoffId,
    pub responder_id: ResponderId,
    pub responder_name: String,
    pub role: Role,
    pub handed_off_by: String,
    pub handed_off_at: DateTime<Utc>,
    pub shared_fields: Vec<String>,
    pub withheld_fields: Vec<String>,
    /// The shared fields as people read them ("location address"; see
    /// `beacon_domain::sharing::words`): screens show these, never the paths.
    pub shared_names: Vec<String>,
    /// The withheld fields, likewise.
    pub withheld_names: Vec<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// When the hub rejected it (another handoff of the role reached it
    /// first); a rejected handoff is also withdrawn.
    pub rejected_at: Option<DateTime<Utc>>,
    /// The latest attempt on each channel the hub delivers it on.
    pub deliveries: Vec<DeliveryStatus>,
}

/// The latest attempt to deliver a handoff on one channel, as the hub
/// recorded it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeliveryStatus {
    pub channel: beacon_domain::delivery::Channel,
    pub attempt: u32,
    pub outcome: beacon_domain::delivery::Outcome,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// How screens say it ([`beacon_domain::delivery::label`]).
    pub label: String,
    /// The responder was reached on this channel.
    pub reached: bool,
}

/// A handoff the hub rejected: who was asked, who stands instead, and
/// whether a dispatcher has looked at it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HandoffConflict {
    pub handoff_id: HandoffId,
    pub case_id: CaseId,
    pub role: Role,
    /// Whom the rejected handoff asked.
    pub responder_name: String,
    pub handed_off_by: String,
    /// The handoff that stands.
    pub winner_id: HandoffId,
    pub winner_responder_name: String,
    pub winner_handed_off_by: String,
    pub rejected_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
}

/// A case an identifier could mean, with what a person needs to tell it
/// from the others (no victim details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseMatch {
    pub id: CaseId,
    pub source: String,
    pub external_id: String,
}

impl std::fmt::Display for CaseMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} {})", self.id.short(), self.source, self.external_id)
    }
}

/// Another case sharing a phone, plate or address with this one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LinkedCase {
    pub case_id: CaseId,
    /// `phone`, `plate` or `address`.
    pub kinds: Vec<String>,
    pub received_at: DateTime<Utc>,
    pub status: CaseStatus,
    pub priority: Priority,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredEvent {
    pub id: EventId,
    pub device_id: DeviceId,
    pub seq: u64,
    pub hlc: Hlc,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub case_id: Option<CaseId>,
    /// One line for an audit listing ([`EventBody::summary`]).
    pub summary: String,
    #[serde(flatten)]
    pub body: EventBody,
}

/// The cases touched by events written after a change marker (see
/// [`crate::Store::changed_cases`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangedCases {
    /// The marker the log was read up to; ask from here next time.
    pub marker: i64,
    /// Distinct cases touched, in order of first change.
    pub case_ids: Vec<CaseId>,
    /// False when more cases changed than asked for, or an event touched no
    /// case (settings, responders, a new jurisdiction layer): a reader should
    /// reload everything rather than patch what it holds.
    pub complete: bool,
}

/// The timestamps response statistics are computed from, for every case
/// received in a window. Jurisdictions are numbered (`jurisdictions[i]` is
/// row `jurisdiction: i`'s id and name), so tens of thousands of rows carry
/// no strings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseRows {
    /// (id, name) of each jurisdiction seen; `(None, None)` for unassigned cases.
    pub jurisdictions: Vec<(Option<String>, Option<String>)>,
    pub rows: Vec<ResponseRow>,
}

/// One case's response timestamps (unix ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResponseRow {
    /// Index into [`ResponseRows::jurisdictions`].
    pub jurisdiction: u32,
    pub received_at: i64,
    pub handed_off_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub on_scene_at: Option<i64>,
}
