//! Events as they travel, and the push and pull messages.

use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, Chained, DeviceId, EventHash, EventId, Hlc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One event on the wire. The body travels as the exact JSON text its
/// device stored and hashed: it is never re-encoded on the way, so every
/// holder can check the hash.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    #[schema(value_type = String, format = Uuid)]
    pub id: EventId,
    #[schema(value_type = String, format = Uuid)]
    pub device: DeviceId,
    /// 1, 2, 3… per device, without gaps.
    pub seq: u64,
    /// Packed hybrid logical clock ([`Hlc::pack`]).
    pub hlc: i64,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<CaseId>,
    /// `{"kind": …, "payload": …}`, as stored.
    #[schema(value_type = Object)]
    pub body: Box<RawValue>,
    /// The hash of the device's previous event ([`EventHash::GENESIS`] for its
    /// first): with it, every event can be checked on its own, even by a
    /// device that receives only some of another device's events.
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub prev: EventHash,
    /// This event's place in its device's chain: its content hashed after `prev`.
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub hash: EventHash,
}

impl WireEvent {
    /// An event with its hash computed after `prev`.
    #[allow(clippy::too_many_arguments)]
    pub fn sealed(
        id: EventId,
        device: DeviceId,
        seq: u64,
        hlc: Hlc,
        actor: String,
        case_id: Option<CaseId>,
        body: Box<RawValue>,
        prev: EventHash,
    ) -> WireEvent {
        let mut event = WireEvent { id, device, seq, hlc: hlc.pack(), actor, case_id, body, prev, hash: prev };
        event.hash = event.chained().hash(&prev);
        event
    }

    /// What the chain covers of this event.
    pub fn chained(&self) -> Chained<'_> {
        Chained {
            device: self.device,
            seq: self.seq,
            hlc: Hlc::unpack(self.hlc),
            id: self.id,
            actor: &self.actor,
            case_id: self.case_id,
            body_json: self.body.get(),
        }
    }

    /// Whether `hash` is this event's content chained after `prev`: the
    /// event is as its device wrote it. A redacted event (of a purged case)
    /// no longer has the body its hash covers: it is taken as its hash
    /// says, and its place is still checked by the links either side of
    /// it; `beacon audit verify` checks the rest against the purge that
    /// redacted it (see `beacon_domain::retention`).
    pub fn is_intact(&self) -> bool {
        self.is_redacted() || self.chained().hash(&self.prev) == self.hash
    }

    /// Whether the body is a redacted one (`{"kind":"redacted",…}`).
    pub fn is_redacted(&self) -> bool {
        self.kind().as_deref() == Some("redacted")
    }

    /// The event's kind (`note_added`, …), read without decoding the payload.
    pub fn kind(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Kind {
            kind: String,
        }
        serde_json::from_str::<Kind>(self.body.get()).ok().map(|k| k.kind)
    }

    /// The body, decoded (and so checked against the event types).
    pub fn decode_body(&self) -> Result<EventBody, serde_json::Error> {
        serde_json::from_str(self.body.get())
    }
}

/// `POST /v1/sync/push`: the next events of one device, in sequence.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    #[schema(value_type = String, format = Uuid)]
    pub device: DeviceId,
    pub events: Vec<WireEvent>,
}

/// The answer to a push the hub accepted (wholly: a push is one transaction).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    /// Events stored by this push (events the hub already held are not counted).
    pub stored: u64,
    /// The highest sequence of this device the hub holds, after the push.
    /// Lower than the device's own means the hub lost events (restored from
    /// a backup): the device pushes again from there.
    pub hub_seq: u64,
}

/// Where a device is in the hub's arrival order. Opaque to devices: they
/// keep the last one they were given and send it back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Cursor(pub u64);

/// `POST /v1/sync/pull`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    /// The cursor of the last page applied; the start when absent.
    #[serde(default)]
    pub after: Cursor,
    /// Most events in the page (the hub caps it).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The device asking: the hub reports what it holds of it, so a device
    /// can tell the hub lost some of its events.
    #[schema(value_type = String, format = Uuid)]
    pub device: DeviceId,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullResponse {
    /// In the hub's arrival order. A device applies a page in one transaction.
    pub events: Vec<WireEvent>,
    /// Send this back to get the next page.
    pub next: Cursor,
    /// More events wait after this page.
    pub more: bool,
    /// The highest sequence of the asking device the hub holds.
    pub hub_seq_of_device: u64,
}

/// What the hub tells a desktop about reaching responders
/// (`GET /v1/sync/directory`): how each is reached, never an address or a
/// secret; and the escalation targets in force, which a dispatcher is shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HubDirectory {
    pub channels: Vec<ResponderReach>,
    /// One per priority, P1 first.
    pub targets: Vec<HubTarget>,
}

/// The channels the hub reaches one responder on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResponderReach {
    pub responder_id: String,
    /// `email`, `webhook`.
    pub channels: Vec<String>,
    /// The webhook answered 410 Gone and is off until set again.
    #[serde(default)]
    pub webhook_disabled: bool,
}

/// How long a responder has, from the handoff, before the hub escalates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HubTarget {
    /// `P1` … `P4`.
    pub priority: String,
    pub ack_ms: i64,
    /// None: no on-scene target for this priority.
    pub onscene_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_domain::NoteId;

    fn event(prev: &EventHash) -> WireEvent {
        let body = serde_json::to_string(&EventBody::NoteAdded { note_id: NoteId::new(), text: "x".into() }).unwrap();
        WireEvent::sealed(
            EventId::new(),
            DeviceId::new_random(),
            1,
            Hlc { wall_ms: 1_700_000_000_000, counter: 3 },
            "a".into(),
            None,
            RawValue::from_string(body).unwrap(),
            *prev,
        )
    }

    #[test]
    fn an_event_keeps_its_hash_through_the_wire() {
        let e = event(&EventHash::GENESIS);
        let text = serde_json::to_string(&PushRequest { device: e.device, events: vec![e.clone()] }).unwrap();
        let back: PushRequest = serde_json::from_str(&text).unwrap();
        assert!(back.events[0].is_intact());
        assert!(matches!(back.events[0].decode_body().unwrap(), EventBody::NoteAdded { .. }));
        assert_eq!(back.events[0].kind().as_deref(), Some("note_added"));
        let moved = WireEvent { prev: e.hash, ..back.events[0].clone() };
        assert!(!moved.is_intact(), "the same content after another predecessor is not intact");
    }

    #[test]
    fn a_body_changed_on_the_way_no_longer_matches() {
        let e = event(&EventHash::GENESIS);
        let text = serde_json::to_string(&e).unwrap().replace("\"text\":\"x\"", "\"text\":\"y\"");
        let back: WireEvent = serde_json::from_str(&text).unwrap();
        assert!(!back.is_intact());
    }
}
