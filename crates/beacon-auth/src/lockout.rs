//! Failed sign-ins lock a name for a while.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The lockout rule: after `after_failures` wrong passwords in a row the
/// name is locked for `minutes` (or until an admin unlocks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    pub after_failures: u32,
    pub minutes: u32,
}

impl Default for Lockout {
    /// Five attempts, as the CJIS Security Policy asks; ten minutes, its floor.
    fn default() -> Self {
        Lockout { after_failures: 5, minutes: 10 }
    }
}

impl Lockout {
    /// Where a failure leaves a name that had `failures` before it.
    pub fn after_failure(&self, failures: u32, now: DateTime<Utc>) -> (u32, Option<DateTime<Utc>>) {
        let failures = failures.saturating_add(1);
        if failures >= self.after_failures {
            (0, Some(now + Duration::minutes(i64::from(self.minutes))))
        } else {
            (failures, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_locks_and_starts_the_count_again() {
        let rule = Lockout::default();
        let now = Utc::now();
        let mut failures = 0;
        for _ in 0..4 {
            let (f, locked) = rule.after_failure(failures, now);
            assert!(locked.is_none());
            failures = f;
        }
        assert_eq!(failures, 4);
        let (f, locked) = rule.after_failure(failures, now);
        assert_eq!((f, locked), (0, Some(now + Duration::minutes(10))));
    }
}
