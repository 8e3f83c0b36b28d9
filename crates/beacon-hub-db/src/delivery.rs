//! What the hub keeps to deliver each handoff to its responder, decided
//! once for every backend: which channels a handoff goes out on, and the
//! event that records each attempt (`beacon_domain::delivery` has the rules
//! of retrying).

use beacon_domain::delivery::{Channel, Outcome};
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, HandoffId, ResponderId};

/// How a responder is reached. Webhook secrets never leave the hub.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ResponderChannels {
    pub responder_id: String,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    /// `whsec_…`; during a rotation several, each of which signs.
    pub webhook_secrets: Vec<String>,
    /// When the endpoint answered 410 Gone: nothing goes to it until its
    /// address is set again.
    pub webhook_disabled_at: Option<i64>,
    pub updated_at: i64,
}

impl std::fmt::Debug for ResponderChannels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponderChannels")
            .field("responder_id", &self.responder_id)
            .field("email", &self.email)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secrets", &format_args!("[{} hidden]", self.webhook_secrets.len()))
            .field("webhook_disabled_at", &self.webhook_disabled_at)
            .finish()
    }
}

impl ResponderChannels {
    /// The channels a new handoff to this responder goes out on, at once.
    pub fn deliverable(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.webhook_url.is_some() && !self.webhook_secrets.is_empty() && self.webhook_disabled_at.is_none() {
            out.push(Channel::Webhook);
        }
        if self.email.is_some() {
            out.push(Channel::Email);
        }
        out
    }
}

/// A delivery id: the receiver's `webhook-id`, the same on every attempt.
pub fn new_delivery_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// What a delivery carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The handoff, to its responder.
    Handoff,
    /// An escalation of the handoff, to a supervisor.
    Escalation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Handoff => "handoff",
            Purpose::Escalation => "escalation",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Purpose, crate::HubDbError> {
        match text {
            "handoff" => Ok(Purpose::Handoff),
            "escalation" => Ok(Purpose::Escalation),
            _ => Err(crate::HubDbError::Corrupt("a delivery's purpose is unknown".into())),
        }
    }
}

/// A delivery a hub process claimed: everything its attempt needs.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub delivery_id: String,
    pub purpose: Purpose,
    pub handoff_id: HandoffId,
    pub case_id: CaseId,
    pub responder_id: ResponderId,
    pub channel: Channel,
    /// This attempt's number: 1 for the first.
    pub attempt: u32,
    /// The `handed_off` event's body, as stored (for an escalation, the
    /// `escalated` event's).
    pub handoff_body: String,
    /// The case's `referral_received` body, when the hub holds it.
    pub referral_body: Option<String>,
    pub channels: ResponderChannels,
}

/// What one attempt came to, as the hub records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub delivery_id: String,
    pub handoff_id: HandoffId,
    pub case_id: CaseId,
    pub responder_id: ResponderId,
    pub channel: Channel,
    pub attempt: u32,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub next_attempt_at: Option<i64>,
}

impl Attempt {
    /// The `delivery_attempted` event the hub writes into its stream.
    pub fn event_body(&self) -> String {
        let body = EventBody::DeliveryAttempted {
            handoff_id: self.handoff_id,
            delivery_id: self.delivery_id.clone(),
            responder_id: self.responder_id.clone(),
            channel: self.channel,
            attempt: self.attempt,
            outcome: self.outcome,
            detail: self.detail.clone(),
            next_attempt_at: self.next_attempt_at,
        };
        // An enum of plain fields always encodes.
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// The delivery's state once this attempt is recorded.
    pub fn state(&self) -> &'static str {
        if self.outcome.is_final() { self.outcome.as_str() } else { "pending" }
    }
}

/// Parse the columns a backend read back into a [`DueDelivery`]'s ids.
pub(crate) fn ids(
    handoff_id: &str,
    case_id: &str,
    channel: &str,
) -> Result<(HandoffId, CaseId, Channel), crate::HubDbError> {
    let corrupt = |what: &str| crate::HubDbError::Corrupt(format!("a delivery's {what} is malformed"));
    Ok((
        handoff_id.parse().map_err(|_| corrupt("handoff id"))?,
        case_id.parse().map_err(|_| corrupt("case id"))?,
        channel.parse().map_err(|_| corrupt("channel"))?,
    ))
}

/// The handoffs to `responder_id` in a page a device signed in as that
/// responder pulled: what may be news to record as seen on their device.
pub fn handoffs_to(responder_id: &str, events: &[beacon_sync::WireEvent]) -> Vec<HandoffId> {
    events
        .iter()
        .filter(|e| e.kind().as_deref() == Some("handed_off"))
        .filter_map(|e| match e.decode_body() {
            Ok(EventBody::HandedOff { handoff_id, responder_id: to, .. }) if to.0 == responder_id => Some(handoff_id),
            _ => None,
        })
        .collect()
}

/// The `device` attempt the hub records when the responder's own Beacon
/// first pulls a handoff: only for one that still stands, for an open case,
/// to that responder and not answered yet (a device that enrols later and
/// pulls old cases writes nothing).
pub fn seen_on_device(state: &crate::HandoffState, responder_id: &str) -> Option<Attempt> {
    let news = state.stands
        && state.case_closed_at.is_none()
        && state.acknowledged_at.is_none()
        && state.responder_id.0 == responder_id;
    news.then(|| Attempt {
        delivery_id: new_delivery_id(),
        handoff_id: state.handoff_id,
        case_id: state.case_id,
        responder_id: state.responder_id.clone(),
        channel: Channel::Device,
        attempt: 1,
        outcome: Outcome::Delivered,
        detail: None,
        next_attempt_at: None,
    })
}
