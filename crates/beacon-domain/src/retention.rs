//! Retention: how long a closed case's details are kept, and what a purge
//! leaves behind.
//!
//! A purge removes what a case says (the referral, notes, names, places)
//! and keeps the audit of it: who did what to the case, and when. Each of
//! the case's events keeps its id, device, sequence, clock, actor and case
//! id, and its body is replaced by [`EventBody::Redacted`]: the kind it was
//! and the SHA-256 of the body it had. The `case_purged` event lists, for
//! each event it redacted, the event's chain hash and its seal
//! ([`crate::Chained::seal`]), so `beacon audit verify` can still check every
//! redacted event (its links, and every part of it but the body) long after
//! the case is gone. Nothing in Beacon deletes an event: the audit trail
//! lasts as long as the store, which is what tamper evidence needs (every
//! link of every chain), and at least a year by construction.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::{EventHash, body_digest};
use crate::event::EventBody;
use crate::ids::EventId;

/// The shortest retention of a closed case that may be set: a slip of the
/// keyboard ("1") must not purge last week's cases.
pub const MIN_CLOSED_CASE_DAYS: u32 = 30;

/// What a purge records of one event it redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Redaction {
    pub event_id: EventId,
    /// The event's chain hash: the link the next event of its device names.
    #[schemars(with = "String")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub hash: EventHash,
    /// Its seal: everything the hash covers, with the body's SHA-256 in
    /// place of the body.
    #[schemars(with = "String")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub seal: EventHash,
}

/// Why a retention setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error("retention of closed cases: at least {MIN_CLOSED_CASE_DAYS} days")]
    TooShort,
}

/// Check a retention of closed cases, in days.
pub fn closed_case_days(days: u32) -> Result<u32, RetentionError> {
    if days < MIN_CLOSED_CASE_DAYS { Err(RetentionError::TooShort) } else { Ok(days) }
}

/// Whether a case closed at `closed_at_ms` is due to be purged at `now_ms`
/// under a retention of `days`.
pub fn purge_due(closed_at_ms: i64, now_ms: i64, days: u32) -> bool {
    closed_at_ms.saturating_add(i64::from(days) * 86_400_000) <= now_ms
}

/// Whether an event of kind `kind` is redacted when its case is purged:
/// every event but a purge's own record and one already redacted.
pub fn redacts(kind: &str) -> bool {
    kind != "redacted" && kind != "case_purged"
}

/// The body a redacted event keeps, from the body it had (its JSON text,
/// exactly as stored): the same on every holder, so the hub and every
/// device redact an event to the same text. `None` when the text is not an
/// event body.
pub fn redacted_body(body_json: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Kind {
        kind: String,
    }
    let Kind { kind } = serde_json::from_str(body_json).ok()?;
    let body = EventBody::Redacted { kind, sha256: body_digest(body_json) };
    serde_json::to_string(&body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_body_keeps_the_kind_and_the_digest_and_nothing_else() {
        let original = r#"{"kind":"note_added","payload":{"note_id":"x","text":"met at the Motel 6 on I-70"}}"#;
        let redacted = redacted_body(original).unwrap();
        assert!(!redacted.contains("Motel"), "{redacted}");
        let EventBody::Redacted { kind, sha256 } = serde_json::from_str(&redacted).unwrap() else {
            panic!("not a redacted body: {redacted}")
        };
        assert_eq!((kind.as_str(), sha256), ("note_added", body_digest(original)));
        assert_eq!(redacted_body(original), Some(redacted), "every holder redacts to the same text");
        assert_eq!(redacted_body("not json"), None);
    }

    #[test]
    fn retention_has_a_floor_and_a_case_is_due_only_after_it() {
        assert_eq!(closed_case_days(29), Err(RetentionError::TooShort));
        assert_eq!(closed_case_days(30), Ok(30));
        let day = 86_400_000;
        assert!(!purge_due(0, 30 * day - 1, 30));
        assert!(purge_due(0, 30 * day, 30));
        assert!(!redacts("redacted") && !redacts("case_purged") && redacts("case_viewed"));
    }
}
