//! Time. The wall clock is injected so tests control it, and events are
//! stamped with a hybrid logical clock so that, once devices sync, events
//! order causally even when device clocks disagree.

use chrono::{DateTime, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(AtomicI64::new(t.timestamp_millis())))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        self.0.store(t.timestamp_millis(), Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0.load(Ordering::SeqCst)).single().unwrap_or_default()
    }
}

/// Hybrid logical clock timestamp: wall milliseconds plus a counter for
/// events within the same millisecond (or while the wall clock lags a peer).
/// Packed into one `i64` (48 bits of ms, 16 of counter) so it sorts as an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u16,
}

impl Hlc {
    pub const ZERO: Hlc = Hlc { wall_ms: 0, counter: 0 };

    pub fn pack(&self) -> i64 {
        (self.wall_ms << 16) | i64::from(self.counter)
    }

    pub fn unpack(v: i64) -> Hlc {
        Hlc { wall_ms: v >> 16, counter: (v & 0xFFFF) as u16 }
    }
}

/// Issues monotonically increasing HLC timestamps.
#[derive(Debug)]
pub struct HlcClock {
    clock: Arc<dyn Clock>,
    last: Hlc,
}

impl HlcClock {
    pub fn new(clock: Arc<dyn Clock>, last: Hlc) -> Self {
        HlcClock { clock, last }
    }

    pub fn wall(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A timestamp for a local event.
    pub fn tick(&mut self) -> Hlc {
        let now = self.clock.now().timestamp_millis();
        self.last =
            if now > self.last.wall_ms { Hlc { wall_ms: now, counter: 0 } } else { self.bump(self.last.wall_ms) };
        self.last
    }

    /// Merge a timestamp seen from another device (for sync).
    pub fn observe(&mut self, remote: Hlc) -> Hlc {
        let now = self.clock.now().timestamp_millis();
        let wall = now.max(self.last.wall_ms).max(remote.wall_ms);
        self.last = if wall == now && now > self.last.wall_ms && now > remote.wall_ms {
            Hlc { wall_ms: now, counter: 0 }
        } else {
            let base = if wall == self.last.wall_ms { self.last.counter } else { 0 };
            let base = if wall == remote.wall_ms { base.max(remote.counter) } else { base };
            self.bump_from(wall, base)
        };
        self.last
    }

    fn bump(&self, wall: i64) -> Hlc {
        self.bump_from(wall, self.last.counter)
    }

    fn bump_from(&self, wall: i64, counter: u16) -> Hlc {
        match counter.checked_add(1) {
            Some(c) => Hlc { wall_ms: wall, counter: c },
            // 65,535 events in one millisecond: borrow the next millisecond.
            None => Hlc { wall_ms: wall + 1, counter: 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_is_monotonic_when_the_wall_clock_stands_still_or_goes_back() {
        let wall = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap());
        let mut hlc = HlcClock::new(Arc::new(wall.clone()), Hlc::ZERO);
        let a = hlc.tick();
        let b = hlc.tick();
        wall.advance_ms(-5_000);
        let c = hlc.tick();
        assert!(a < b && b < c, "{a:?} {b:?} {c:?}");
        assert!(a.pack() < b.pack() && b.pack() < c.pack());
        assert_eq!(Hlc::unpack(c.pack()), c);
    }

    #[test]
    fn observing_a_peer_ahead_moves_past_it() {
        let wall = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap());
        let mut hlc = HlcClock::new(Arc::new(wall.clone()), Hlc::ZERO);
        let local = hlc.tick();
        let remote = Hlc { wall_ms: local.wall_ms + 60_000, counter: 7 };
        let merged = hlc.observe(remote);
        assert!(merged > remote);
        assert!(hlc.tick() > merged);
    }
}
