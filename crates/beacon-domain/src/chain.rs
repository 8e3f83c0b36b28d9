//! The per-device hash chain: each event a device writes carries a SHA-256
//! of its content and of the previous event of the same device.
//!
//! Why it exists: sync must tell a repeated delivery (same sequence, same
//! hash: a no-op) from a forked device (same sequence, different hash: a
//! store restored from a backup, a copied disk), and the audit trail must
//! show when a stored event was changed afterwards. Both read this one
//! definition.
//!
//! What is hashed, in this order (integers big-endian, text as UTF-8 with
//! a 4-byte length in front, so no two events share an encoding):
//! `"beacon.event.v1"`, the previous hash (32 zero bytes for a device's
//! first event), device id (16 bytes), sequence (8), packed HLC (8), event
//! id (16), actor, case id (1 byte flag then 16 bytes when present), and the
//! body exactly as stored (the JSON text `{"kind":…,"payload":…}`). The body
//! is hashed as text, never re-encoded: every holder hashes the same bytes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::clock::Hlc;
use crate::ids::{CaseId, DeviceId, EventId};

/// Version tag of the encoding above; a new encoding gets a new tag.
const DOMAIN: &[u8] = b"beacon.event.v1";

/// Tag of an event's seal ([`Chained::seal`]): the same encoding with the
/// body's SHA-256 in place of the body.
const SEAL_DOMAIN: &[u8] = b"beacon.event.seal.v1";

/// SHA-256 of an event in its device's chain. Written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventHash(pub [u8; 32]);

impl EventHash {
    /// What a device's first event chains to.
    pub const GENESIS: EventHash = EventHash([0; 32]);

    /// Read from the 32 bytes a store keeps.
    pub fn from_slice(bytes: &[u8]) -> Option<EventHash> {
        bytes.try_into().ok().map(EventHash)
    }
}

impl fmt::Display for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventHash({self})")
    }
}

/// A hash that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event hash is 64 hexadecimal digits")]
pub struct BadHash;

impl std::str::FromStr for EventHash {
    type Err = BadHash;
    fn from_str(s: &str) -> Result<Self, BadHash> {
        let s = s.as_bytes();
        if s.len() != 64 {
            return Err(BadHash);
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8).ok_or(BadHash);
        let mut out = [0u8; 32];
        for (i, pair) in s.chunks(2).enumerate() {
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Ok(EventHash(out))
    }
}

impl Serialize for EventHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Everything of an event the chain covers.
#[derive(Clone, Copy, Debug)]
pub struct Chained<'a> {
    pub device: DeviceId,
    pub seq: u64,
    pub hlc: Hlc,
    pub id: EventId,
    pub actor: &'a str,
    pub case_id: Option<CaseId>,
    /// The body's JSON text, exactly as stored.
    pub body_json: &'a str,
}

impl Chained<'_> {
    /// The hash of this event after `prev` (the device's previous event, or
    /// [`EventHash::GENESIS`]).
    pub fn hash(&self, prev: &EventHash) -> EventHash {
        let mut h = self.covered(DOMAIN, prev);
        text(&mut h, self.body_json);
        EventHash(h.finalize().into())
    }

    /// The event's seal: everything [`Chained::hash`] covers, with the
    /// body's SHA-256 in place of the body. A purge records it for each
    /// event it redacts, so that once the body is gone the event's device,
    /// sequence, clock, id, actor and case can still be checked (see
    /// `crate::retention`).
    pub fn seal(&self, prev: &EventHash) -> EventHash {
        self.seal_with_body_digest(prev, &body_digest(self.body_json))
    }

    /// [`Chained::seal`] of an event whose body is known only by its
    /// SHA-256 (`body_json` is not read): how a redacted event is checked.
    pub fn seal_with_body_digest(&self, prev: &EventHash, body: &EventHash) -> EventHash {
        let mut h = self.covered(SEAL_DOMAIN, prev);
        h.update(body.0);
        EventHash(h.finalize().into())
    }

    /// Everything but the body, after `tag` and the previous hash.
    fn covered(&self, tag: &[u8], prev: &EventHash) -> Sha256 {
        let mut h = Sha256::new();
        h.update(tag);
        h.update(prev.0);
        h.update(self.device.as_uuid().as_bytes());
        h.update(self.seq.to_be_bytes());
        h.update(self.hlc.pack().to_be_bytes());
        h.update(self.id.as_uuid().as_bytes());
        text(&mut h, self.actor);
        match self.case_id {
            Some(case) => {
                h.update([1]);
                h.update(case.as_uuid().as_bytes());
            }
            None => h.update([0]),
        }
        h
    }
}

/// SHA-256 of an event's body text, exactly as stored.
pub fn body_digest(body_json: &str) -> EventHash {
    EventHash(Sha256::digest(body_json.as_bytes()).into())
}

fn text(h: &mut Sha256, s: &str) {
    // A body is at most a few hundred KiB (intake limits), far below 4 GiB.
    h.update((s.len() as u32).to_be_bytes());
    h.update(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn event(body: &str) -> Chained<'_> {
        Chained {
            device: DeviceId(Uuid::from_u128(1)),
            seq: 1,
            hlc: Hlc { wall_ms: 1_700_000_000_000, counter: 0 },
            id: EventId(Uuid::from_u128(2)),
            actor: "dispatcher",
            case_id: Some(CaseId(Uuid::from_u128(3))),
            body_json: body,
        }
    }

    #[test]
    fn every_covered_part_changes_the_hash() {
        let base = event(r#"{"kind":"note_added"}"#);
        let h = base.hash(&EventHash::GENESIS);
        let variants = [
            Chained { seq: 2, ..base },
            Chained { hlc: Hlc { wall_ms: 1_700_000_000_000, counter: 1 }, ..base },
            Chained { actor: "dispatcher2", ..base },
            Chained { case_id: None, ..base },
            Chained { device: DeviceId(Uuid::from_u128(9)), ..base },
            Chained { id: EventId(Uuid::from_u128(9)), ..base },
            event(r#"{"kind":"note_added" }"#),
        ];
        for v in variants {
            assert_ne!(v.hash(&EventHash::GENESIS), h, "{v:?}");
        }
        assert_ne!(base.hash(&h), h, "the previous hash is covered");
        assert_eq!(base.hash(&EventHash::GENESIS), h, "the same event hashes the same");
    }

    #[test]
    fn the_seal_covers_what_the_hash_covers_and_needs_only_the_body_digest() {
        let base = event(r#"{"kind":"note_added"}"#);
        let seal = base.seal(&EventHash::GENESIS);
        let digest = body_digest(r#"{"kind":"note_added"}"#);
        let redacted = Chained { body_json: "anything", ..base };
        assert_eq!(redacted.seal_with_body_digest(&EventHash::GENESIS, &digest), seal);
        assert_ne!(seal, base.hash(&EventHash::GENESIS), "a seal is not the chain hash");
        assert_ne!(
            Chained { actor: "someone else", ..redacted }.seal_with_body_digest(&EventHash::GENESIS, &digest),
            seal
        );
        assert_ne!(redacted.seal_with_body_digest(&seal, &digest), seal, "the previous hash is covered");
        assert_ne!(event("{}").seal(&EventHash::GENESIS), seal, "the body is covered");
    }

    #[test]
    fn length_prefixes_keep_neighbouring_texts_apart() {
        let a = Chained { actor: "ab", ..event("c") };
        let b = Chained { actor: "a", ..event("bc") };
        assert_ne!(a.hash(&EventHash::GENESIS), b.hash(&EventHash::GENESIS));
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_text() {
        let h = event("{}").hash(&EventHash::GENESIS);
        let text = h.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<EventHash>(), Ok(h));
        assert_eq!(serde_json::from_str::<EventHash>(&format!("\"{text}\"")).ok(), Some(h));
        assert_eq!("zz".repeat(32).parse::<EventHash>(), Err(BadHash));
        assert_eq!("ab".parse::<EventHash>(), Err(BadHash));
    }
}
