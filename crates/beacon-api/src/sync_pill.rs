//! How the console reads sync at a glance: the status pill's state and
//! words, decided here once (the window shows them as they come).

use serde::Serialize;

use crate::sync::SyncReport;
use crate::{ApiError, Beacon};

/// The last sync a background loop attempted (kept in memory by whoever
/// runs the loop; the store remembers only the last success).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncAttempt {
    /// Unix ms.
    pub at_ms: i64,
    /// `None` when it succeeded.
    pub failure: Option<SyncFailure>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncFailure {
    /// The error's stable code (`hub_unreachable`, `hub_refused`, …).
    pub code: String,
    pub message: String,
    /// Whether trying again later can help (the loop does so by itself).
    pub retryable: bool,
}

impl SyncAttempt {
    pub fn of(result: &Result<SyncReport, ApiError>, at_ms: i64) -> SyncAttempt {
        SyncAttempt {
            at_ms,
            failure: result.as_ref().err().map(|e| SyncFailure {
                code: e.code().to_string(),
                message: e.to_string(),
                retryable: e.is_retryable(),
            }),
        }
    }
}

/// Where sync stands, as the pill shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// No hub configured: this console is on its own.
    LocalOnly,
    /// Configured, and no sync has finished yet since the console started.
    Connecting,
    /// The last sync succeeded.
    Synced,
    /// The hub cannot be reached (or is busy): changes wait and go later.
    Offline,
    /// The hub refused in a way no retry mends (a revoked token, a forked
    /// store): a person must act.
    Stopped,
}

/// The status pill: its state, its words, and a longer line for a tooltip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncPill {
    pub state: SyncState,
    pub text: String,
    pub detail: String,
    pub hub: Option<String>,
    /// This console's changes the hub has not confirmed.
    pub waiting: u64,
    /// Rejected handoffs nobody has looked at.
    pub conflicts: u64,
}

impl Beacon {
    /// The pill at `now_ms`, given the background loop's last attempt.
    pub fn sync_pill(&self, last: Option<&SyncAttempt>, now_ms: i64) -> Result<SyncPill, ApiError> {
        let status = self.sync_status()?;
        Ok(pill(&status, last, now_ms))
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn pill(status: &crate::SyncStatus, last: Option<&SyncAttempt>, now_ms: i64) -> SyncPill {
    let ago = |at: i64| beacon_domain::triage::format_span(((now_ms - at).max(0) / 1000) as u64);
    let waiting = (status.waiting > 0).then(|| plural(status.waiting, "change waiting", "changes waiting"));
    let (state, mut text, detail) = match (&status.hub, last) {
        (None, _) => (SyncState::LocalOnly, "Local only".to_string(), "Not connected to a hub.".to_string()),
        (Some(hub), None) => (SyncState::Connecting, "Connecting…".to_string(), format!("Connecting to {hub}.")),
        (Some(hub), Some(a)) => match &a.failure {
            None => {
                let when =
                    if now_ms - a.at_ms < 10_000 { "just now".to_string() } else { format!("{} ago", ago(a.at_ms)) };
                (SyncState::Synced, format!("Synced {when}"), format!("In sync with {hub}."))
            }
            Some(f) if f.retryable => {
                let since =
                    status.last_success.map_or("never synced".to_string(), |t| format!("last synced {} ago", ago(t)));
                (
                    SyncState::Offline,
                    "Offline".to_string(),
                    format!("{hub} cannot be reached ({since}); changes wait here and go when it answers."),
                )
            }
            Some(f) => {
                (SyncState::Stopped, "Sync stopped".to_string(), format!("{}. Check the hub settings.", f.message))
            }
        },
    };
    if let Some(w) = waiting.filter(|_| state != SyncState::LocalOnly) {
        text = format!("{text} · {w}");
    }
    if status.conflicts > 0 {
        text = format!("{text} · {}", plural(status.conflicts, "conflict", "conflicts"));
    }
    SyncPill { state, text, detail, hub: status.hub.clone(), waiting: status.waiting, conflicts: status.conflicts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SyncStatus;

    const NOW: i64 = 1_790_000_000_000;

    fn status(hub: bool, waiting: u64, conflicts: u64) -> SyncStatus {
        SyncStatus {
            hub: hub.then(|| "https://hub.example".to_string()),
            last_success: Some(NOW - 90_000),
            waiting,
            conflicts,
        }
    }

    fn failed(retryable: bool) -> SyncAttempt {
        let failure =
            SyncFailure { code: "hub_unreachable".into(), message: "the hub refused: token revoked".into(), retryable };
        SyncAttempt { at_ms: NOW - 1000, failure: Some(failure) }
    }

    #[test]
    fn the_pill_reads_as_a_dispatcher_needs() {
        let ok = SyncAttempt { at_ms: NOW - 12_000, failure: None };
        let cases: [(SyncStatus, Option<SyncAttempt>, SyncState, &str); 7] = [
            (status(false, 3, 0), None, SyncState::LocalOnly, "Local only"),
            (status(true, 0, 0), None, SyncState::Connecting, "Connecting…"),
            (
                status(true, 0, 0),
                Some(SyncAttempt { at_ms: NOW - 3000, failure: None }),
                SyncState::Synced,
                "Synced just now",
            ),
            (status(true, 0, 0), Some(ok.clone()), SyncState::Synced, "Synced 12s ago"),
            (status(true, 1, 2), Some(ok), SyncState::Synced, "Synced 12s ago · 1 change waiting · 2 conflicts"),
            (status(true, 4, 0), Some(failed(true)), SyncState::Offline, "Offline · 4 changes waiting"),
            (status(true, 0, 1), Some(failed(false)), SyncState::Stopped, "Sync stopped · 1 conflict"),
        ];
        for (s, last, state, text) in cases {
            let p = pill(&s, last.as_ref(), NOW);
            assert_eq!((p.state, p.text.as_str()), (state, text));
        }
        let offline = pill(&status(true, 4, 0), Some(&failed(true)), NOW);
        assert!(offline.detail.contains("last synced 1m"), "{}", offline.detail);
    }
}
