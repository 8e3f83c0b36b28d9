//! Live updates: a background thread with its own store connection polls the
//! change marker (one read of the event log's primary key) every 50 ms. When
//! it moves — a write by this app or by any other process, such as the CLI —
//! the window gets a `store-changed` event naming the cases touched, so it
//! patches those rows instead of reloading; new P1/P2 referrals and handoffs
//! to the signed-in responder become `alert` events plus a desktop
//! notification.

use beacon_api::domain::CaseId;
use beacon_api::{Alert, Beacon};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Emitter};

use crate::opener::Opener;

pub const POLL: Duration = Duration::from_millis(50);
/// Past this many changed cases at once (a bulk import) the window reloads
/// instead of patching.
const MAX_PATCHED_CASES: usize = 500;
const MAX_NOTIFICATIONS_AT_ONCE: usize = 3;

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreChanged {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub marker: i64,
    /// The cases touched since the last event, in order of first change.
    pub case_ids: Vec<CaseId>,
    /// False when the change is too large to patch, or touched more than
    /// cases (responders, settings, the jurisdiction layer): reload all.
    pub complete: bool,
}

/// An alert the window should announce (sound + banner), with the text the
/// desktop notification carried.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertEvent {
    pub alert: Alert,
    pub title: String,
    pub body: String,
}

/// Who the console is signed in as, for the watcher: whose handoffs are
/// "mine", and whether they hear of every urgent referral (a task-force
/// member hears only of what is handed to them).
#[derive(Clone, Debug, Default)]
pub struct Listener {
    pub responder_id: Option<String>,
    pub hears_all: bool,
}

pub fn spawn(app: AppHandle, opener: Arc<Opener>, signed_in: Arc<Mutex<Option<Listener>>>) {
    let spawned = std::thread::Builder::new().name("beacon-watch".into()).spawn(move || {
        // Opened when it can be (a protected store: after a sign-in here),
        // and again whenever the opener says the store changed under it.
        let mut open: Option<(u64, Beacon)> = None;
        let (mut last, mut folds, mut alerts_after) = (0, 0, 0);
        loop {
            if open.as_ref().is_none_or(|(generation, _)| *generation != opener.generation()) {
                open = match opener.open() {
                    Some((generation, Ok(b))) => Some((generation, b)),
                    Some((_, Err(e))) => {
                        eprintln!("beacon-desktop: live updates wait: could not open the store: {e}");
                        None
                    }
                    None => None,
                };
                let Some((_, b)) = &open else {
                    std::thread::sleep(POLL * 10);
                    continue;
                };
                // It reads the newest events only.
                let _ = b.store().set_page_cache(beacon_api::PageCache::Light);
                last = b.store().change_marker().unwrap_or(0);
                // A fold (sync reaching into the past) rewrites tables without an event.
                folds = b.store().fold_count().unwrap_or(0);
                alerts_after = last;
                // Prepare the statements (and read the schema) now, so the first
                // change after start reaches the window as fast as the others.
                let _ = b.changes_since(last, 1);
                let _ = b.alerts_since(last, 1);
            }
            let Some((_, b)) = &open else { continue };
            std::thread::sleep(POLL);
            let marker = match b.store().change_marker() {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("beacon-desktop: could not read the change marker: {e}");
                    continue;
                }
            };
            if marker == last {
                let now_folds = b.store().fold_count().unwrap_or(folds);
                if now_folds != folds {
                    folds = now_folds;
                    let _ = app.emit("store-changed", StoreChanged { marker, case_ids: Vec::new(), complete: false });
                }
                continue;
            }
            folds = b.store().fold_count().unwrap_or(folds);
            let changed = match b.changes_since(last, MAX_PATCHED_CASES) {
                Ok(c) => StoreChanged { marker: c.marker, case_ids: c.case_ids, complete: c.complete },
                Err(e) => {
                    eprintln!("beacon-desktop: could not read what changed: {e}");
                    StoreChanged { marker, case_ids: Vec::new(), complete: false }
                }
            };
            last = changed.marker.max(marker);
            let _ = app.emit("store-changed", changed);
            loop {
                let batch = match b.alerts_since(alerts_after, 200) {
                    Ok(batch) => batch,
                    Err(e) => {
                        eprintln!("beacon-desktop: could not read new events: {e}");
                        break;
                    }
                };
                alerts_after = batch.next;
                // Signed out or locked, the console still rings for an urgent
                // tip (its notification names no victim detail).
                let listener = signed_in.lock().ok().and_then(|g| g.clone());
                let me = listener.as_ref().and_then(|l| l.responder_id.clone());
                let hears_all = listener.as_ref().is_none_or(|l| l.hears_all);
                let wanted: Vec<(&Alert, bool)> = batch
                    .alerts
                    .iter()
                    .filter_map(|a| a.heard(hears_all, me.as_deref()).map(|for_me| (a, for_me)))
                    .collect();
                // A bulk import must not bury the desktop: past a few, one summary.
                if wanted.len() > MAX_NOTIFICATIONS_AT_ONCE {
                    let title = format!("{} new urgent referrals or handoffs", wanted.len());
                    crate::notify::send(&app, &title, "Open Beacon to triage.", None);
                }
                for (i, (a, for_me)) in wanted.iter().enumerate() {
                    let (title, body) = a.notification(*for_me);
                    if wanted.len() <= MAX_NOTIFICATIONS_AT_ONCE {
                        crate::notify::send(&app, &title, &body, Some(a.case_id.to_string()));
                    }
                    if i < MAX_NOTIFICATIONS_AT_ONCE {
                        let _ = app.emit("alert", AlertEvent { alert: (*a).clone(), title, body });
                    }
                }
                if batch.alerts.len() < 200 {
                    break;
                }
            }
        }
    });
    if let Err(e) = spawned {
        eprintln!("beacon-desktop: live updates are off: {e}");
    }
}
