//! The hub's own events (a referral taken in over HTTP): chained and
//! clocked like any device's, from state kept in the database.

use beacon_domain::{CaseId, DeviceId, EventId, Hlc};
use beacon_sync::WireEvent;
use serde_json::value::RawValue;

use crate::HubDbError;
use crate::push::DeviceHead;

/// Who the hub's own events name as their actor.
pub const HUB_ACTOR: &str = "hub";

/// The next event of the hub's stream after `head`, with a clock after
/// both `last_hlc` and `now_ms`.
pub fn next_event(
    hub: DeviceId,
    head: DeviceHead,
    last_hlc: i64,
    now_ms: i64,
    case_id: Option<CaseId>,
    body_json: String,
) -> Result<WireEvent, HubDbError> {
    next_event_by(HUB_ACTOR, hub, head, last_hlc, now_ms, case_id, body_json)
}

/// [`next_event`] written for someone the hub speaks for (a responder
/// answering by link).
pub fn next_event_by(
    actor: &str,
    hub: DeviceId,
    head: DeviceHead,
    last_hlc: i64,
    now_ms: i64,
    case_id: Option<CaseId>,
    body_json: String,
) -> Result<WireEvent, HubDbError> {
    let last = Hlc::unpack(last_hlc);
    let hlc = if now_ms > last.wall_ms {
        Hlc { wall_ms: now_ms, counter: 0 }
    } else {
        // Same millisecond or a clock that went back: count on from the last.
        match last.counter.checked_add(1) {
            Some(counter) => Hlc { wall_ms: last.wall_ms, counter },
            None => Hlc { wall_ms: last.wall_ms + 1, counter: 0 },
        }
    };
    let body = RawValue::from_string(body_json).map_err(|e| HubDbError::Corrupt(format!("event body: {e}")))?;
    Ok(WireEvent::sealed(EventId::new(), hub, head.seq + 1, hlc, actor.into(), case_id, body, head.hash))
}
