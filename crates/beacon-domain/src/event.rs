//! Events: every change to Beacon's data is one. The log is the audit trail
//! and, for sync, the unit of exchange: an event is immutable, carries its
//! origin (device and per-device sequence number) and a hybrid logical clock
//! timestamp, and the case tables are projections of the log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::{AccountChange, User};
use crate::case::CaseStatus;
use crate::clock::Hlc;
use crate::ids::{CaseId, DeviceId, EventId, HandoffId, NoteId, ResponderId};
use crate::jurisdiction::JurisdictionAssignment;
use crate::referral::Referral;
use crate::responder::{Responder, Role};
use crate::triage::{Priority, Reason, Targets, Triage};

/// Who made a change: a person's user name, or a system component such as `import`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Actor(pub String);

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Event {
    pub id: EventId,
    pub device_id: DeviceId,
    /// 1, 2, 3… per device, without gaps: sync asks a peer "everything after n".
    pub seq: u64,
    pub hlc: Hlc,
    pub actor: Actor,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<CaseId>,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum EventBody {
    /// A referral arrived and became a case.
    ReferralReceived {
        referral: Box<Referral>,
        triage: Triage,
        jurisdiction: JurisdictionAssignment,
    },
    /// A dispatcher set the priority by hand.
    PriorityOverridden {
        from: Priority,
        to: Priority,
        reason: String,
    },
    NoteAdded {
        note_id: NoteId,
        text: String,
    },
    StatusChanged {
        from: CaseStatus,
        to: CaseStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
    },
    HandedOff {
        handoff_id: HandoffId,
        responder_id: ResponderId,
        responder_name: String,
        role: Role,
        /// Exactly which referral fields went to the responder.
        shared_fields: Vec<String>,
        /// Identifying fields held back for lack of consent.
        withheld_fields: Vec<String>,
        /// The last handoff of this role the dispatcher's device knew of when
        /// it made this one (none: it knew of none). The hub checks it in
        /// arrival order: a handoff made without knowing of one that reached
        /// the hub first is rejected ([`EventBody::HandoffRejected`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<HandoffId>,
        /// Why the sharing policy was overridden, when it was
        /// ([`crate::sharing::plan_with`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sharing_override: Option<String>,
    },
    /// Written by the hub alone: it refused a handoff because another of the
    /// same case and role, made without knowing of this one, reached it
    /// first. The winner stands; the case needs a dispatcher's attention
    /// until one has looked ([`EventBody::ConflictResolved`]).
    HandoffRejected {
        handoff_id: HandoffId,
        responder_name: String,
        role: Role,
        /// Who made the rejected handoff.
        handed_off_by: String,
        /// The handoff that stands.
        winner: HandoffId,
        winner_responder_id: ResponderId,
        winner_responder_name: String,
        winner_handed_off_by: String,
    },
    /// A dispatcher looked at a rejected handoff: it no longer asks for
    /// attention.
    ConflictResolved {
        handoff_id: HandoffId,
    },
    /// A responder took the case.
    Acknowledged {
        handoff_id: Option<HandoffId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        responder_id: Option<ResponderId>,
    },
    /// The jurisdiction changed: a layer was replaced and the case recomputed,
    /// or a dispatcher confirmed a point near a border.
    JurisdictionChanged {
        from: JurisdictionAssignment,
        to: JurisdictionAssignment,
        reason: String,
    },
    /// A responder record was created or replaced.
    ResponderUpserted {
        responder: Responder,
    },
    /// Response targets or the link window changed (for every case from now on).
    SettingsChanged {
        targets: Targets,
        link_window_days: i64,
    },
    /// A person's account was added or changed; `user` is the whole account
    /// as it now is. Passwords are never in the log: only the change is.
    AccountSaved {
        user: User,
        change: AccountChange,
    },
    /// Someone opened the case's details: who saw it, and when, is the
    /// event's actor and clock.
    CaseViewed {},
    /// An event of a purged case, its body removed: the kind it was and
    /// the SHA-256 of the body it had ([`crate::retention`]). It changes
    /// nothing in any table.
    Redacted {
        kind: String,
        #[schemars(with = "String")]
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        sha256: crate::EventHash,
    },
    /// Written by the hub alone: one attempt to deliver a handoff to its
    /// responder on one channel, and what it came to
    /// ([`crate::delivery`]).
    DeliveryAttempted {
        handoff_id: HandoffId,
        /// The same for every attempt on one channel: a receiver tells a
        /// retry from a new handoff by it.
        delivery_id: String,
        responder_id: ResponderId,
        channel: crate::delivery::Channel,
        attempt: u32,
        outcome: crate::delivery::Outcome,
        /// What the other end answered (an HTTP status, a mail server's
        /// reply code) or why it could not be reached; never what was sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// When the next attempt is due (unix ms), after a failure.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_attempt_at: Option<i64>,
    },
    /// Written by the hub alone: a handoff missed its target (no
    /// acknowledgement, or nobody on scene, in the time the hub's targets
    /// gave it when it was made). The hub told the supervisor on duty for
    /// the case's troop and handed the case to the next suggested responder
    /// of the same role, when there was one (its own `handed_off` event,
    /// just after this one).
    Escalated {
        handoff_id: HandoffId,
        step: crate::delivery::Step,
        responder_id: ResponderId,
        responder_name: String,
        role: Role,
        /// When the target fell due (unix ms), and how long it was.
        due_at: i64,
        target_ms: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supervisor_id: Option<ResponderId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supervisor_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_handoff_id: Option<HandoffId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_responder_name: Option<String>,
    },
    /// A closed case's details were removed: every event of the case listed
    /// here was redacted, and the case left every table. The audit of the
    /// case (who did what, when) stays in the log.
    CasePurged {
        reason: String,
        redacted: Vec<crate::retention::Redaction>,
    },
}

impl EventBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::ReferralReceived { .. } => "referral_received",
            EventBody::PriorityOverridden { .. } => "priority_overridden",
            EventBody::NoteAdded { .. } => "note_added",
            EventBody::StatusChanged { .. } => "status_changed",
            EventBody::HandedOff { .. } => "handed_off",
            EventBody::HandoffRejected { .. } => "handoff_rejected",
            EventBody::ConflictResolved { .. } => "conflict_resolved",
            EventBody::Acknowledged { .. } => "acknowledged",
            EventBody::JurisdictionChanged { .. } => "jurisdiction_changed",
            EventBody::ResponderUpserted { .. } => "responder_upserted",
            EventBody::SettingsChanged { .. } => "settings_changed",
            EventBody::AccountSaved { .. } => "account_saved",
            EventBody::CaseViewed {} => "case_viewed",
            EventBody::Redacted { .. } => "redacted",
            EventBody::DeliveryAttempted { .. } => "delivery_attempted",
            EventBody::Escalated { .. } => "escalated",
            EventBody::CasePurged { .. } => "case_purged",
        }
    }

    /// One line for an audit listing, without victim details.
    pub fn summary(&self) -> String {
        match self {
            EventBody::ReferralReceived { triage, jurisdiction, .. } => {
                format!("referral received; triaged {} ({})", triage.priority, join_reasons(&triage.reasons))
                    + &format!("; jurisdiction {}", jurisdiction.label())
            }
            EventBody::PriorityOverridden { from, to, reason } => format!("priority {from} → {to}: {reason}"),
            EventBody::NoteAdded { text, .. } => format!("note: {text}"),
            EventBody::StatusChanged { from, to, disposition } => match disposition {
                Some(d) => format!("status {from} → {to} ({d})"),
                None => format!("status {from} → {to}"),
            },
            EventBody::HandedOff { responder_name, role, shared_fields, withheld_fields, sharing_override, .. } => {
                let mut s = format!("handed off to {responder_name} ({role}); shared {} fields", shared_fields.len());
                if !withheld_fields.is_empty() {
                    s += &format!(", withheld {} without consent", withheld_fields.len());
                }
                if let Some(reason) = sharing_override {
                    s += &format!("; sharing policy overridden: {reason}");
                }
                s
            }
            EventBody::HandoffRejected {
                responder_name,
                role,
                handed_off_by,
                winner_responder_name,
                winner_handed_off_by,
                ..
            } => format!(
                "handoff to {responder_name} ({role}) by {handed_off_by} rejected by the hub: \
                 {winner_handed_off_by} had already handed the case to {winner_responder_name}"
            ),
            EventBody::ConflictResolved { .. } => "rejected handoff looked at".to_string(),
            EventBody::Acknowledged { responder_id, .. } => match responder_id {
                Some(r) => format!("acknowledged by responder {r}"),
                None => "acknowledged".to_string(),
            },
            EventBody::JurisdictionChanged { from, to, reason } => {
                format!("jurisdiction {} → {}: {reason}", from.label(), to.label())
            }
            EventBody::ResponderUpserted { responder } => format!("responder {} saved", responder.id),
            EventBody::SettingsChanged { link_window_days, .. } => {
                format!("response targets and link window ({link_window_days} days) changed")
            }
            EventBody::AccountSaved { user, change } => {
                format!("account {} ({}): {}", user.name, user.role.label().to_lowercase(), change.as_str())
            }
            EventBody::CaseViewed {} => "case details viewed".to_string(),
            EventBody::Redacted { kind, .. } => {
                format!("{} (details removed by a purge)", kind.replace('_', " "))
            }
            EventBody::DeliveryAttempted { channel, attempt, outcome, detail, next_attempt_at, .. } => {
                let label = crate::delivery::label(*channel, *outcome, *attempt, detail.as_deref());
                if crate::delivery::reached(*outcome) {
                    let detail = detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
                    return format!("{label}{detail}, attempt {attempt}");
                }
                let next = next_attempt_at
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| format!("; next try {} UTC", t.format("%H:%M:%S")))
                    .unwrap_or_default();
                format!("{label}{next}")
            }
            EventBody::Escalated {
                step,
                responder_name,
                role,
                target_ms,
                supervisor_name,
                next_responder_name,
                ..
            } => {
                let minutes = target_ms / 60_000;
                let within = if minutes > 0 { format!("{minutes} min") } else { format!("{} s", target_ms / 1000) };
                let mut s = format!("escalated: {} by {responder_name} ({role}) within {within}", step.missed());
                match supervisor_name {
                    Some(name) => s += &format!("; supervisor {name} told"),
                    None => s += "; no supervisor on duty to tell",
                }
                match next_responder_name {
                    Some(name) => s += &format!("; handed to {name}"),
                    None => s += "; nobody else on duty to hand it to",
                }
                s
            }
            EventBody::CasePurged { reason, redacted } => {
                format!("case purged ({reason}); {} events redacted", redacted.len())
            }
        }
    }
}

fn join_reasons(reasons: &[Reason]) -> String {
    reasons.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("; ")
}
