//! Why the hub refused a sync request, and what the device should do.

use beacon_domain::{CaseId, DeviceId};
use serde::{Deserialize, Serialize};

/// A refusal, with a stable `code` on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SyncError {
    /// The push skips sequence numbers: the device sends again from `expected`.
    #[error("events of device {device} must continue at sequence {expected}, not {got}")]
    Gap { device: DeviceId, expected: u64, got: u64 },
    /// The hub holds a different event at this sequence: this device's store
    /// was restored from a backup or copied. It must stop pushing under this
    /// device id and re-enrol as a new device; its unsent events are kept
    /// for a person to review.
    #[error("device {device} has forked at sequence {seq}: re-enrol it as a new device")]
    Forked { device: DeviceId, seq: u64 },
    /// An event's hash is not its content chained to the previous one.
    #[error("event {seq} of device {device} does not match its hash")]
    BadHash { device: DeviceId, seq: u64 },
    /// A push names a device other than the one the request is for, or the token's.
    #[error("the events are not all from device {device}")]
    WrongDevice { device: DeviceId },
    /// The event's clock is further ahead of the hub's than allowed: the
    /// device's clock must be corrected before it pushes again.
    #[error("event {seq} of device {device} is {ahead_ms} ms ahead of the hub's clock")]
    ClockAhead { device: DeviceId, seq: u64, ahead_ms: i64 },
    /// The event concerns a case outside the token's scope.
    #[error("case {case_id} is outside this device's scope")]
    OutOfScope { case_id: CaseId },
    /// The event's body is not one of Beacon's events.
    #[error("event {seq} of device {device}: {field}: {message}")]
    Invalid { device: DeviceId, seq: u64, field: String, message: String },
    /// The hub could not finish now (its database is unavailable, say).
    #[error("the hub is unavailable; try again later")]
    Unavailable,
}

impl SyncError {
    /// Whether sending the same request again later can succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, SyncError::Unavailable | SyncError::ClockAhead { .. })
    }

    /// The stable code (as on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Gap { .. } => "gap",
            SyncError::Forked { .. } => "forked",
            SyncError::BadHash { .. } => "bad_hash",
            SyncError::WrongDevice { .. } => "wrong_device",
            SyncError::ClockAhead { .. } => "clock_ahead",
            SyncError::OutOfScope { .. } => "out_of_scope",
            SyncError::Invalid { .. } => "invalid",
            SyncError::Unavailable => "unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_on_the_wire_is_the_stable_code() {
        let device = DeviceId::new_random();
        for e in [
            SyncError::Gap { device, expected: 3, got: 5 },
            SyncError::Forked { device, seq: 2 },
            SyncError::BadHash { device, seq: 2 },
            SyncError::WrongDevice { device },
            SyncError::ClockAhead { device, seq: 1, ahead_ms: 600_000 },
            SyncError::Invalid { device, seq: 1, field: "payload".into(), message: "m".into() },
            SyncError::Unavailable,
        ] {
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["code"], e.code());
            let back: SyncError = serde_json::from_value(v).unwrap();
            assert_eq!(back, e);
        }
        assert!(SyncError::Unavailable.retryable());
        assert!(!SyncError::Forked { device, seq: 1 }.retryable());
    }
}
