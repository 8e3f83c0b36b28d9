//! Beacon's operations: one function per thing a person can do. The `beacon`
//! command line and the desktop app's commands are thin calls into this
//! crate, so they can never disagree about a rule.
#![forbid(unsafe_code)]

mod cases;
mod demo;
mod desktop;
mod error;
mod identify;
mod import;
mod intake;
mod jurisdictions;
mod live;
mod protect;
pub mod referral_sheet;
mod responders;
mod retention;
mod roster;
mod session;
mod settings;
mod users;
pub mod vocabulary;
pub use identify::MIN_ID_PREFIX;
pub use import::{IMPORT_BATCH, IMPORT_LOCK_BUDGET};
pub use intake::Preview;
pub use protect::StoreKey;
pub use responders::{RosterReport, reached_by};
pub use retention::{PURGE_BATCH, PurgeReport, PurgedCase};
pub use roster::{RosterRow, RosterView, role_label, target_lines};
pub use session::{IDLE_LOCK_DEFAULT_MINUTES, IDLE_LOCK_MAX_MINUTES, SessionInfo};
pub use users::UserRow;
mod stats;
mod sync;
mod sync_pill;
mod views;

pub use demo::DemoReport;
pub use desktop::{Alert, AlertBatch, CasePoint, MapLayer, OpenCount};
pub use error::ApiError;
pub use stats::{ResponseStats, SegmentStats, StatsGroup};
pub use sync::{Enrolled, SyncReport, SyncStatus};
pub use sync_pill::{SyncAttempt, SyncFailure, SyncPill, SyncState};
pub use views::{
    AddOutcome, AuditTrail, CaseActions, CaseDetail, CaseView, ConflictRow, ImportProgress, ImportReport, QueueRow,
    Reach, ReachLine, Suggestions,
};

pub use beacon_auth as auth;
pub use beacon_domain as domain;
pub use beacon_geo as geo;
pub use beacon_store as store;
pub use beacon_store::PageCache;

pub use beacon_domain::QueueQuery;

use beacon_domain::event::Actor;
use beacon_domain::{Action, CaseId, Clock, Progress};
use beacon_geo::Gazetteer;
use beacon_store::{Store, StoreDir};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open store with the jurisdiction layer and the person acting.
#[derive(Debug)]
pub struct Beacon {
    store: Store,
    gazetteer: Arc<Gazetteer>,
    actor: Actor,
    access: session::Access,
    /// What the store was opened with, to open it again after its file is
    /// replaced (encrypting it, rotating its key).
    clock: Arc<dyn Clock>,
}

/// The store file used when neither `--store` nor `BEACON_STORE` says otherwise:
/// the platform's data directory (e.g. `~/.local/share/beacon/beacon.sqlite3`).
pub fn default_store_path() -> PathBuf {
    directories::ProjectDirs::from("org", "Beacon", "beacon")
        .map(|d| d.data_dir().join("beacon.sqlite3"))
        .unwrap_or_else(|| PathBuf::from("beacon.sqlite3"))
}

/// Whether the store at `path` is protected: it has accounts, its key
/// file beside it, and is encrypted under the key that file keeps.
pub fn is_protected_store(path: &Path) -> bool {
    beacon_auth::KeyFile::beside(path).exists()
}

/// Whose directory the store is in: Beacon's own at the default place.
fn store_dir(path: &Path) -> StoreDir {
    if path == default_store_path() { StoreDir::Own } else { StoreDir::Chosen }
}

/// Who is acting: `BEACON_ACTOR`, else the operating-system user.
pub fn default_actor() -> Actor {
    let name = std::env::var("BEACON_ACTOR")
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "dispatcher".into());
    Actor(name)
}

impl Beacon {
    /// Open the store at `path`. At the default place
    /// ([`default_store_path`]) its directory is Beacon's own and is kept
    /// private too; elsewhere the directory is left as it is unless Beacon
    /// creates it.
    ///
    /// A protected store (one with its key file, see [`is_protected_store`])
    /// is encrypted and opens only by signing in: [`Beacon::sign_in`].
    pub fn open(path: &Path, actor: Actor, clock: Arc<dyn Clock>) -> Result<Beacon, ApiError> {
        if is_protected_store(path) {
            return Err(ApiError::SignInRequired);
        }
        let store = Store::open_with(path, clock.clone(), store_dir(path))?;
        Beacon::with_store(store, actor, clock, session::Access::Unprotected)
    }

    /// A `Beacon` over an open store, acting with `access`.
    fn with_store(
        store: Store,
        actor: Actor,
        clock: Arc<dyn Clock>,
        access: session::Access,
    ) -> Result<Beacon, ApiError> {
        let gazetteer = Arc::new(jurisdictions::active_gazetteer(&store)?);
        Ok(Beacon { store, gazetteer, actor, access, clock })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    pub(crate) fn gazetteer_arc(&self) -> Arc<Gazetteer> {
        self.gazetteer.clone()
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The queue: open cases matching `q` in the order of
    /// [`beacon_domain::queue`] (with text, the matches newest first).
    pub fn queue(&self, q: &QueueQuery) -> Result<Vec<QueueRow>, ApiError> {
        self.require(Action::ReadQueue)?;
        let now = self.store.now();
        let q = self.resolve_query(q)?;
        let targets = self.store.settings()?.targets;
        Ok(to_rows(&targets, self.store.queue(&q, now)?, now))
    }

    /// The open cases handed to the signed-in person's responder record (a
    /// task-force member's home screen), in the queue's order.
    pub fn my_cases(&self, limit: usize) -> Result<Vec<QueueRow>, ApiError> {
        self.require(Action::ReadCase)?;
        let responder = match (self.own_responder(), self.user()) {
            (Some(mine), _) => mine.to_owned(),
            (None, Some(user)) => match &user.responder_id {
                Some(r) => r.0.clone(),
                None => return Ok(Vec::new()),
            },
            (None, None) => return Err(ApiError::Refused("nobody is signed in to have cases".into())),
        };
        let ids = self.store.cases_handed_to(&responder, limit)?;
        let now = self.store.now();
        let targets = self.store.settings()?.targets;
        let mut rows = to_rows(&targets, self.store.summaries(&ids)?, now);
        rows.retain(|r| r.place.is_some());
        rows.sort_by(|a, b| a.place.as_ref().map(|p| &p.order_key).cmp(&b.place.as_ref().map(|p| &p.order_key)));
        Ok(rows)
    }

    /// Walk every device's hash chain in the store (see [`Store::verify_chains`]).
    pub fn verify_chains(&self) -> Result<beacon_store::ChainReport, ApiError> {
        self.require(Action::Maintain)?;
        Ok(self.store.verify_chains()?)
    }

    /// The query in the store's terms: normalised, and a jurisdiction given
    /// by name resolved to its id (an unknown one is refused, not ignored).
    fn resolve_query(&self, q: &QueueQuery) -> Result<QueueQuery, ApiError> {
        let mut q = q.clone().normalized();
        if let Some(j) = &q.jurisdiction {
            q.jurisdiction =
                Some(self.resolve_jurisdiction(j).ok_or_else(|| ApiError::NotFound { what: "county", id: j.clone() })?);
        }
        Ok(q)
    }

    /// Full views (with the referral) of the given cases, in the given order.
    pub fn views(&self, ids: &[CaseId]) -> Result<Vec<CaseView>, ApiError> {
        self.require(Action::ReadCase)?;
        for id in ids {
            self.require_sees(*id)?;
        }
        let now = self.store.now();
        let settings = self.store.settings()?;
        let mut links = self.store.links_of(ids)?;
        let (respond, triage) = (self.require(Action::Respond).is_ok(), self.require(Action::Triage).is_ok());
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let record =
                self.store.case(*id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: id.to_string() })?;
            let deadline = deadline_of(&settings.targets, &record.summary, now);
            let place = place_of(&record.summary, deadline.as_ref(), now);
            let waiting = self.store.handoff_waiting(*id)?;
            let actions = views::CaseActions::of(record.summary.status, waiting, respond, triage);
            out.push(CaseView::from_record(record, links.remove(id).unwrap_or_default(), deadline, place, actions));
        }
        Ok(out)
    }

    /// A person opens a case by what they typed: [`Beacon::open_case`].
    pub fn show(&mut self, id: &str) -> Result<CaseDetail, ApiError> {
        let id = self.resolve(id)?;
        self.open_case(id)
    }

    /// A person opens the case's details: [`Beacon::detail`], and the
    /// opening is itself an audited event (who saw it, when), once per
    /// person and case within [`VIEW_AUDIT_WINDOW_MINUTES`].
    pub fn open_case(&mut self, id: CaseId) -> Result<CaseDetail, ApiError> {
        let detail = self.detail(id)?;
        self.record_view(id)?;
        Ok(detail)
    }

    /// Everything about one case, read without recording a view: for a
    /// screen refreshing a case already open.
    pub fn detail(&self, id: CaseId) -> Result<CaseDetail, ApiError> {
        let case = self.views(&[id])?.remove(0);
        let handoffs = self.store.handoffs(id)?;
        let not_on_hub = self.handoffs_not_on_hub()?;
        let mut reach = Vec::new();
        for h in handoffs.iter().filter(|h| h.withdrawn_at.is_none() && h.rejected_at.is_none()) {
            let on_hub = not_on_hub.as_ref().map(|waiting| !waiting.contains(&h.id));
            let phone = self.store.responder(&h.responder_id.0)?.and_then(|r| r.phone);
            reach.push(views::ReachLine::of(h, on_hub, phone));
        }
        Ok(CaseDetail {
            referral_sheet: referral_sheet::referral_sheet(&case.referral),
            jurisdiction_lines: referral_sheet::jurisdiction_lines(&case.jurisdiction),
            case,
            linked: self.store.links(id)?,
            notes: self.store.notes(id)?,
            handoffs,
            conflicts: self.store.conflicts_of(id)?.into_iter().map(ConflictRow::of).collect(),
            reach,
        })
    }

    /// Rebuild every table from the event log (see [`Store::rebuild`]).
    pub fn rebuild(&mut self) -> Result<beacon_store::RebuildReport, ApiError> {
        self.require(Action::Maintain)?;
        Ok(self.store.rebuild()?)
    }

    /// A case's events, oldest first: who did what, and when. The audit
    /// of a purged case outlives it (its events, redacted): it is asked for
    /// by the case's full id, since nothing else of it is left to match.
    pub fn audit(&self, id: &str) -> Result<AuditTrail, ApiError> {
        let id = match self.resolve(id) {
            Err(ApiError::NotFound { .. })
                if let Ok(full) = id.trim().parse::<CaseId>()
                    && self.store.is_purged(full)? =>
            {
                full
            }
            other => other?,
        };
        self.require_case(Action::ReadCase, id)?;
        Ok(self.store.events(id)?)
    }

    /// Record that the person acting opened the case, unless they did
    /// within the window (or the store cannot be written: a read-only copy
    /// opened for inspection).
    fn record_view(&mut self, id: CaseId) -> Result<(), ApiError> {
        if self.store.is_read_only() {
            return Ok(());
        }
        let now = self.store.now();
        let recent = self
            .store
            .last_viewed(id, &self.actor)?
            .is_some_and(|at| now - at < chrono::Duration::minutes(VIEW_AUDIT_WINDOW_MINUTES));
        if !recent {
            let actor = self.actor.clone();
            self.store.write(|w| w.append(&actor, Some(id), beacon_domain::EventBody::CaseViewed {}))?;
        }
        Ok(())
    }
}

/// A person's repeated openings of one case within this many minutes are
/// recorded once.
pub const VIEW_AUDIT_WINDOW_MINUTES: i64 = 5;

/// Queue rows of case summaries: each with its short id and deadline.
fn to_rows(
    targets: &beacon_domain::Targets,
    cases: Vec<beacon_store::CaseSummary>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<QueueRow> {
    cases
        .into_iter()
        .map(|case| {
            let deadline = deadline_of(targets, &case, now);
            let place = place_of(&case, deadline.as_ref(), now);
            QueueRow { short_id: case.id.short(), jurisdiction_label: case.jurisdiction.label(), place, case, deadline }
        })
        .collect()
}

/// Where a case goes in the queue at `now` ([`beacon_domain::queue`]); closed cases have no place.
fn place_of(
    c: &beacon_store::CaseSummary,
    deadline: Option<&beacon_domain::triage::Deadline>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<beacon_domain::QueuePlace> {
    let facts = beacon_domain::queue::facts(c.id, c.status, c.attention(), c.priority, deadline.map(|d| d.due_at))?;
    Some(beacon_domain::queue::place(&facts, now))
}

/// Where an open case stands against its next target; closed cases have none.
fn deadline_of(
    targets: &beacon_domain::Targets,
    c: &beacon_store::CaseSummary,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<beacon_domain::triage::Deadline> {
    if !c.status.is_open() {
        return None;
    }
    targets.deadline(c.priority, c.received_at, Progress::from_times(c.acknowledged_at, c.on_scene_at), now)
}
