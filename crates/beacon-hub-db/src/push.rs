//! Accepting a device's push: the one rule every backend applies.
//!
//! A push is the device's next events in sequence. Events the hub already
//! holds with the same hash are skipped (a repeated delivery); the same
//! sequence with another hash means the device forked; a gap, a broken
//! chain, an unreadable body or a clock too far ahead refuse the whole push.

use beacon_domain::event::EventBody;
use beacon_domain::{DeviceId, EventHash, Hlc};
use beacon_sync::{SyncError, WireEvent};

/// How far ahead of the hub's clock an event's clock may be. Further means
/// the device's clock is wrong, and last-writer-wins would let it win every
/// merge until the world caught up.
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;

/// The last event of a device the hub holds (sequence 0 and the genesis
/// hash for a device it has never heard from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceHead {
    pub seq: u64,
    pub hash: EventHash,
}

impl DeviceHead {
    pub const NEW: DeviceHead = DeviceHead { seq: 0, hash: EventHash::GENESIS };
}

/// What to store of a push, once it passed.
#[derive(Debug)]
pub struct Plan<'a> {
    /// The events the hub does not hold yet, in sequence, each with its
    /// body decoded (once, here).
    pub new: Vec<(&'a WireEvent, EventBody)>,
    /// The device's head after storing them.
    pub head: DeviceHead,
}

/// Decide a push. `held(seq)` is the stored hash of an event at or below
/// `head.seq` (the backend reads them for the push's range).
pub fn plan<'a>(
    device: DeviceId,
    head: DeviceHead,
    held: &dyn Fn(u64) -> Option<EventHash>,
    events: &'a [WireEvent],
    now_ms: i64,
) -> Result<Plan<'a>, SyncError> {
    let mut next = DeviceHead { ..head };
    let mut new = Vec::new();
    for event in events {
        if event.device != device {
            return Err(SyncError::WrongDevice { device });
        }
        if event.seq == 0 {
            // Sequences start at 1: a 0 can be neither stored nor known.
            return Err(SyncError::Gap { device, expected: next.seq + 1, got: 0 });
        }
        if event.seq <= head.seq {
            // Already stored: the same event again, or a different history.
            if held(event.seq) != Some(event.hash) {
                return Err(SyncError::Forked { device, seq: event.seq });
            }
            continue;
        }
        let expected = next.seq + 1;
        if event.seq != expected {
            return Err(SyncError::Gap { device, expected, got: event.seq });
        }
        if event.prev != next.hash || !event.is_intact() {
            return Err(SyncError::BadHash { device, seq: event.seq });
        }
        let invalid = |message: &str| SyncError::Invalid {
            device,
            seq: event.seq,
            field: "body".into(),
            message: message.into(),
        };
        // The decoder's message can quote the body: say only where.
        let body = event.decode_body().map_err(|_| invalid("is not one of Beacon's events"))?;
        if matches!(body, EventBody::HandoffRejected { .. }) {
            return Err(invalid("is a handoff rejection, which only the hub writes"));
        }
        let ahead_ms = Hlc::unpack(event.hlc).wall_ms - now_ms;
        if ahead_ms > MAX_CLOCK_AHEAD_MS {
            return Err(SyncError::ClockAhead { device, seq: event.seq, ahead_ms });
        }
        new.push((event, body));
        next = DeviceHead { seq: event.seq, hash: event.hash };
    }
    Ok(Plan { new, head: next })
}
