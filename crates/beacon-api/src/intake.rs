//! Referrals coming in: one at a time, or a file of many.

use beacon_domain::event::EventBody;
use beacon_domain::intake::{self, records};
use beacon_domain::referral::Referral;
use beacon_domain::triage::{self, Triage};
use beacon_domain::{CaseId, FieldError, JurisdictionAssignment};
use serde::Serialize;
use std::io::BufRead;

use crate::views::{AddOutcome, ImportProgress, ImportReport};
use crate::{ApiError, Beacon};

/// Records per transaction in an import: large enough to amortise the
/// commit's fsync, small enough that a crash loses little unacknowledged work.
pub const IMPORT_BATCH: usize = 5_000;

/// What a referral would become, for a form that previews as it is typed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preview {
    pub triage: Option<Triage>,
    pub jurisdiction: Option<JurisdictionAssignment>,
    /// How screens name that jurisdiction.
    pub jurisdiction_label: Option<String>,
    /// Every problem, each naming its field; empty when the referral can be saved.
    pub problems: Vec<FieldError>,
}

impl Beacon {
    pub(crate) fn assign_location(
        &self,
        location: Option<&beacon_domain::referral::Location>,
    ) -> JurisdictionAssignment {
        location.map(|l| self.gazetteer().assign(l)).unwrap_or_else(JurisdictionAssignment::unknown)
    }

    /// Validate without storing.
    pub fn preview(&self, value: serde_json::Value) -> Preview {
        match intake::all_problems(value, self.store().now()) {
            Ok(r) => {
                let jurisdiction = self.assign_location(r.location.as_ref());
                Preview {
                    triage: Some(triage::triage(&r)),
                    jurisdiction_label: Some(jurisdiction.label()),
                    jurisdiction: Some(jurisdiction),
                    problems: Vec::new(),
                }
            }
            Err(problems) => Preview { triage: None, jurisdiction: None, jurisdiction_label: None, problems },
        }
    }

    /// Store one referral given as JSON. Adding the same referral twice is not an error.
    pub fn add_referral_json(&mut self, value: serde_json::Value) -> Result<AddOutcome, ApiError> {
        let what = value
            .get("external_id")
            .and_then(|v| v.as_str())
            .map(|id| format!("referral {}", id.chars().take(64).collect::<String>()))
            .unwrap_or_else(|| "referral".into());
        let referral = intake::referral_from_value(value, self.store().now())
            .map_err(|error| ApiError::Invalid { what, error })?;
        self.add_referral(referral)
    }

    pub fn add_referral(&mut self, referral: Referral) -> Result<AddOutcome, ApiError> {
        let id = CaseId::for_referral(referral.source, &referral.external_id);
        let triage = triage::triage(&referral);
        let jurisdiction = self.assign_location(referral.location.as_ref());
        let outcome = AddOutcome {
            id,
            short_id: id.short(),
            created: true,
            priority: triage.priority,
            jurisdiction: jurisdiction.clone(),
        };
        let actor = self.actor().clone();
        let created = self.store_mut().write::<_, ApiError>(|w| {
            if w.referral_exists(referral.source, &referral.external_id)? {
                return Ok(false);
            }
            w.append(
                &actor,
                Some(id),
                EventBody::ReferralReceived { referral: Box::new(referral), triage, jurisdiction },
            )?;
            Ok(true)
        })?;
        if !created {
            // Report what is stored, not what this copy would have become.
            let stored =
                self.store().case(id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: id.to_string() })?;
            return Ok(AddOutcome {
                created: false,
                priority: stored.summary.priority,
                jurisdiction: stored.summary.jurisdiction,
                ..outcome
            });
        }
        Ok(outcome)
    }

    /// Import every record of a JSON array, JSON Lines or CSV input. Each
    /// record is stored whole or rejected whole; good records are stored even
    /// when others are rejected; a record already in the store is skipped.
    /// `progress` is called after every committed batch: what it reports as
    /// stored is durable.
    pub fn import<R: BufRead>(
        &mut self,
        input: R,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        self.import_in_batches(input, IMPORT_BATCH, progress)
    }

    /// [`Beacon::import`] committing every `batch_size` records: smaller
    /// batches hold the write lock for less time (the desktop app waits less
    /// for a handoff during a large import), larger ones import faster.
    pub fn import_in_batches<R: BufRead>(
        &mut self,
        input: R,
        batch_size: usize,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        if !(1..=100_000).contains(&batch_size) {
            return Err(ApiError::invalid("import", "batch", "must be between 1 and 100000 records"));
        }
        let now = self.store().now();
        self.store().set_bulk_cache(true)?;
        let report = self.import_records(input, batch_size, now, progress);
        self.store().set_bulk_cache(false)?;
        report
    }

    fn import_records<R: BufRead>(
        &mut self,
        input: R,
        batch_size: usize,
        now: chrono::DateTime<chrono::Utc>,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        let mut report = ImportReport::default();
        let mut read = 0u64;
        let mut batch: Vec<Referral> = Vec::with_capacity(batch_size);
        let mut records = records(input, now);
        loop {
            let next = records.next();
            let done = next.is_none();
            match next {
                Some(Ok(r)) => {
                    read += 1;
                    batch.push(r);
                }
                Some(Err(e)) => {
                    read += 1;
                    report.rejected.push(e);
                }
                None => {}
            }
            if batch.len() >= batch_size || (done && !batch.is_empty()) {
                let (stored, dup) = self.store_batch(std::mem::take(&mut batch))?;
                report.stored += stored;
                report.duplicates += dup;
                progress(ImportProgress {
                    read,
                    stored: report.stored,
                    duplicates: report.duplicates,
                    rejected: report.rejected.len() as u64,
                });
            }
            if done {
                break;
            }
        }
        Ok(report)
    }

    fn store_batch(&mut self, batch: Vec<Referral>) -> Result<(u64, u64), ApiError> {
        // Triage and assignment are pure: do them before taking the write lock.
        let prepared: Vec<_> = batch
            .into_iter()
            .map(|r| {
                let id = CaseId::for_referral(r.source, &r.external_id);
                let triage = triage::triage(&r);
                let jurisdiction = self.assign_location(r.location.as_ref());
                (id, r, triage, jurisdiction)
            })
            .collect();
        let actor = self.actor().clone();
        self.store_mut().write::<_, ApiError>(|w| {
            let (mut stored, mut dup) = (0, 0);
            for (id, referral, triage, jurisdiction) in prepared {
                // Also catches the same referral twice within one file.
                if w.referral_exists(referral.source, &referral.external_id)? {
                    dup += 1;
                    continue;
                }
                w.append(
                    &actor,
                    Some(id),
                    EventBody::ReferralReceived { referral: Box::new(referral), triage, jurisdiction },
                )?;
                stored += 1;
            }
            Ok((stored, dup))
        })
    }
}
