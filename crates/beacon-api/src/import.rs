//! Importing a file of referrals: a pipeline of two threads.
//!
//! One thread reads, validates, triages, locates and encodes each record
//! (pure work, no lock held); the calling thread appends them to the store.
//! A write transaction ends after `batch_size` records or
//! [`IMPORT_LOCK_BUDGET`], whichever comes first, so a person's note or
//! handoff from another window or process never waits long behind an import.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use beacon_domain::CaseId;
use beacon_domain::event::EventBody;
use beacon_domain::intake::records;
use beacon_domain::referral::Source;
use beacon_domain::triage;
use beacon_domain::validate::RecordError;
use beacon_store::{EncodedBody, PageCache};

use crate::views::{ImportProgress, ImportReport};
use crate::{ApiError, Beacon};

/// Most records per transaction in an import: large enough to amortise the
/// commit's fsync, small enough that a crash loses little unacknowledged work.
pub const IMPORT_BATCH: usize = 5_000;

/// Longest an import holds the write lock in one transaction. The store's
/// other writers (a dispatcher's note, a handoff) wait at most about this.
pub const IMPORT_LOCK_BUDGET: Duration = Duration::from_millis(100);

/// Transactions between two checkpoints of an import (see [`beacon_store::Store::checkpoint`]).
const COMMITS_PER_CHECKPOINT: u64 = 16;

/// Records the reading thread hands over at a time.
const CHUNK: usize = 256;

/// One record of the input, ready to append (or why it cannot be).
enum Item {
    Ready { id: CaseId, source: Source, external_id: String, body: Box<EncodedBody> },
    Rejected(RecordError),
}

impl Beacon {
    /// Import every record of a JSON array, JSON Lines or CSV input. Each
    /// record is stored whole or rejected whole; good records are stored even
    /// when others are rejected; a record already in the store is skipped.
    /// `progress` is called after every committed batch: what it reports as
    /// stored is durable.
    pub fn import<R: BufRead + Send>(
        &mut self,
        input: R,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        self.import_in_batches(input, IMPORT_BATCH, progress)
    }

    /// [`Beacon::import`] committing at most every `batch_size` records:
    /// smaller batches lose less to a crash, larger ones import faster (up
    /// to the lock budget).
    pub fn import_in_batches<R: BufRead + Send>(
        &mut self,
        input: R,
        batch_size: usize,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        self.require(beacon_domain::Action::Intake)?;
        if !(1..=100_000).contains(&batch_size) {
            return Err(ApiError::invalid("import", "batch", "must be between 1 and 100000 records"));
        }
        // Back to what the caller had after (the console keeps a light one).
        let before = self.store().page_cache();
        self.store().set_page_cache(PageCache::Bulk)?;
        let report = self.run_import(input, batch_size, progress);
        self.store().set_page_cache(before)?;
        report
    }

    fn run_import<R: BufRead + Send>(
        &mut self,
        input: R,
        batch_size: usize,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        let now = self.store().now();
        let gazetteer = self.gazetteer_arc();
        // Two chunks in flight: the reader stays ahead without holding the
        // whole file in memory.
        let (send, receive) = sync_channel::<Result<Vec<Item>, ApiError>>(2);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut chunk = Vec::with_capacity(CHUNK);
                for record in records(input, now) {
                    let item = match record {
                        Err(rejected) => Item::Rejected(rejected),
                        Ok(referral) => {
                            let id = CaseId::for_referral(referral.source, &referral.external_id);
                            let triage = triage::triage(&referral);
                            let jurisdiction = crate::intake::assign(&gazetteer, referral.location.as_ref());
                            let (source, external_id) = (referral.source, referral.external_id.clone());
                            let body =
                                EventBody::ReferralReceived { referral: Box::new(referral), triage, jurisdiction };
                            match EncodedBody::new(body) {
                                Ok(body) => Item::Ready { id, source, external_id, body: Box::new(body) },
                                Err(e) => {
                                    // The writer stops at the first error; nothing after it matters.
                                    let _ = send.send(Err(e.into()));
                                    return;
                                }
                            }
                        }
                    };
                    chunk.push(item);
                    if chunk.len() == CHUNK && send.send(Ok(std::mem::take(&mut chunk))).is_err() {
                        return; // the writer stopped
                    }
                }
                if !chunk.is_empty() {
                    let _ = send.send(Ok(chunk));
                }
            });
            // Dropping `receive` on an error stops the reader at its next send.
            self.write_imported(receive, batch_size, progress)
        })
    }

    fn write_imported(
        &mut self,
        receive: Receiver<Result<Vec<Item>, ApiError>>,
        batch_size: usize,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        let mut report = ImportReport::default();
        let mut read = 0u64;
        let mut queued: VecDeque<Item> = VecDeque::new();
        let mut finished = false;
        let mut commits = 0u64;
        let actor = self.actor().clone();
        loop {
            // Wait for work before taking the lock.
            if queued.is_empty() && !finished {
                match receive.recv() {
                    Ok(chunk) => queued.extend(chunk?),
                    Err(_) => finished = true,
                }
            }
            if queued.is_empty() && finished {
                break;
            }
            let started = Instant::now();
            let (stored, duplicates, rejected) = self.store_mut().write::<_, ApiError>(|w| {
                let (mut stored, mut duplicates, mut rejected) = (0u64, 0u64, Vec::new());
                let mut taken = 0;
                while taken < batch_size {
                    let Some(item) = queued.pop_front() else {
                        // Out of prepared records: wait for more while the budget lasts.
                        let left = IMPORT_LOCK_BUDGET.saturating_sub(started.elapsed());
                        if finished || left.is_zero() {
                            break;
                        }
                        match receive.recv_timeout(left) {
                            Ok(chunk) => queued.extend(chunk?),
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => finished = true,
                        }
                        continue;
                    };
                    taken += 1;
                    match item {
                        Item::Rejected(e) => rejected.push(e),
                        Item::Ready { id, source, external_id, body } => {
                            // Also catches the same referral twice within one file.
                            if w.referral_exists(source, &external_id)? {
                                duplicates += 1;
                            } else {
                                w.append_encoded(&actor, Some(id), *body)?;
                                stored += 1;
                            }
                        }
                    }
                    if started.elapsed() >= IMPORT_LOCK_BUDGET {
                        break;
                    }
                }
                Ok((stored, duplicates, rejected))
            })?;
            // Let a person's write that waited for this transaction go first,
            // and copy the log back now and then, so that their commit never
            // has to (the copy takes no write lock).
            commits += 1;
            if commits.is_multiple_of(COMMITS_PER_CHECKPOINT) {
                self.store().checkpoint()?;
            } else {
                std::thread::sleep(beacon_store::WRITER_GAP);
            }
            read += stored + duplicates + rejected.len() as u64;
            report.stored += stored;
            report.duplicates += duplicates;
            report.rejected.extend(rejected);
            progress(ImportProgress {
                read,
                stored: report.stored,
                duplicates: report.duplicates,
                rejected: report.rejected.len() as u64,
            });
        }
        Ok(report)
    }
}
