//! Background sync: a thread with its own store connection runs
//! `beacon-api`'s sync loop against the remembered hub, records each
//! outcome for the status pill and tells the window (`sync-changed`).
//! What the sync pulls reaches the screen like any other write: the
//! watcher (`watch.rs`) sees the store change, patches the rows and raises
//! the same alerts and notifications as for local changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use beacon_api::SyncAttempt;
use tauri::{AppHandle, Emitter};

use crate::opener::Opener;

/// Longest time between syncs when nothing prompts one (the hub's live
/// stream and this console's own changes prompt them at once).
const EVERY: Duration = Duration::from_secs(30);

/// The running loop, if any, and what it last did.
#[derive(Debug, Default)]
pub struct SyncRuntime {
    last: Mutex<Option<SyncAttempt>>,
    stop: Mutex<Option<Arc<AtomicBool>>>,
}

impl SyncRuntime {
    pub fn last(&self) -> Option<SyncAttempt> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stop any running loop and, when the store names a hub, start one.
    pub fn restart<R: tauri::Runtime>(self: &Arc<Self>, app: AppHandle<R>, opener: Arc<Opener>, configured: bool) {
        if let Some(old) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            old.store(true, Ordering::Relaxed);
        }
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if !configured {
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        *self.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&stop));
        let runtime = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("beacon-sync".into()).spawn(move || {
            let mut b = match opener.open() {
                Some((_, Ok(b))) => b,
                Some((_, Err(e))) => {
                    eprintln!("beacon-desktop: sync is off: could not open the store: {e}");
                    return;
                }
                // Restarted when someone signs in.
                None => return,
            };
            let record = |result: &Result<beacon_api::SyncReport, beacon_api::ApiError>| {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let attempt = SyncAttempt::of(result, chrono::Utc::now().timestamp_millis());
                if let Some(f) = &attempt.failure {
                    eprintln!("beacon-desktop: sync: {} ({})", f.message, f.code);
                }
                *runtime.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(attempt);
                let _ = app.emit("sync-changed", ());
            };
            // A refusal no retry mends is recorded by `record`; the pill says
            // so until the hub settings change.
            let _ = b.sync_forever(EVERY, &stop, record);
        });
        if let Err(e) = spawned {
            eprintln!("beacon-desktop: sync is off: {e}");
        }
    }
}
