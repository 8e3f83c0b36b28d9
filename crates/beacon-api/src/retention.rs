//! Retention: how long closed cases are kept, and purging them (the rule:
//! [`beacon_domain::retention`]; the store's side: `beacon-store/src/purge.rs`).

use beacon_domain::retention;
use beacon_domain::{Action, CaseId, CaseStatus};
use serde::Serialize;

use crate::{ApiError, Beacon};

/// Configuration key of the retention of closed cases, in days.
const CLOSED_CASE_DAYS_KEY: &str = "retention.closed_case_days";

/// Most cases one `purge` run takes: a store that has never been purged
/// catches up over a few runs, each of bounded length.
pub const PURGE_BATCH: usize = 10_000;

/// What a purge did, or would do (`dry_run`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    /// The retention applied, in days after closure (none for one case purged by hand).
    pub retention_days: Option<u32>,
    /// Each case purged, with how many of its events were redacted.
    pub cases: Vec<PurgedCase>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurgedCase {
    pub case: CaseId,
    pub short_id: String,
    /// Events redacted (0 in a dry run).
    pub events_redacted: usize,
}

impl Beacon {
    /// How long closed cases are kept, in days; `None` until someone sets it
    /// (until then nothing is purged by retention).
    pub fn retention(&self) -> Result<Option<u32>, ApiError> {
        self.require(Action::Purge)?;
        Ok(self.store().config(CLOSED_CASE_DAYS_KEY)?.and_then(|v| v.parse().ok()))
    }

    /// Keep closed cases `days` after closure, at least
    /// [`retention::MIN_CLOSED_CASE_DAYS`].
    pub fn set_retention(&mut self, days: u32) -> Result<(), ApiError> {
        self.require(Action::Purge)?;
        let days = retention::closed_case_days(days)
            .map_err(|e| ApiError::invalid("retention", "closed_case_days", e.to_string()))?;
        self.store.write(|w| w.set_config(CLOSED_CASE_DAYS_KEY, &days.to_string()))?;
        Ok(())
    }

    /// Purge every closed case past the retention, and redact what arrived
    /// of cases purged before (events from a device that was offline).
    pub fn purge_due(&mut self, dry_run: bool) -> Result<PurgeReport, ApiError> {
        self.require(Action::Purge)?;
        let days = self.retention()?.ok_or_else(|| {
            ApiError::Refused("no retention is set: `beacon retention set --closed-cases DAYS` first".into())
        })?;
        let mut cases = self.store.closed_cases_due(days, PURGE_BATCH)?;
        cases.extend(self.store.purged_cases_with_leftovers()?);
        let reason = format!("retention: closed more than {days} days");
        let mut report = self.purge_cases(&cases, &reason, dry_run)?;
        report.retention_days = Some(days);
        Ok(report)
    }

    /// Purge one closed case now, with the reason (a court order, an
    /// agency's instruction), whatever the retention.
    pub fn purge_case(&mut self, id: &str, reason: &str, dry_run: bool) -> Result<PurgeReport, ApiError> {
        self.require(Action::Purge)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid("purge", "reason", "is empty: say why the case is purged"));
        }
        let case = self.resolve(id)?;
        let status = self.store.case(case)?.map(|r| r.summary.status);
        if status != Some(CaseStatus::Closed) {
            return Err(ApiError::NotClosed { case });
        }
        self.purge_cases(&[case], reason, dry_run)
    }

    fn purge_cases(&mut self, cases: &[CaseId], reason: &str, dry_run: bool) -> Result<PurgeReport, ApiError> {
        let done: Vec<(CaseId, usize)> = if dry_run {
            cases.iter().map(|c| (*c, 0)).collect()
        } else {
            let actor = self.actor().clone();
            self.store.purge(&actor, cases, reason)?
        };
        Ok(PurgeReport {
            dry_run,
            retention_days: None,
            cases: done
                .into_iter()
                .map(|(case, events_redacted)| PurgedCase { case, short_id: case.short(), events_redacted })
                .collect(),
        })
    }
}
