//! Beacon's desktop console: a Tauri shell over `beacon-api`.
//!
//! - `commands`: every `#[tauri::command]`, each a one-line call into `beacon-api`.
//! - `watch`: a background thread that polls the store's change marker and tells
//!   the window (and the desktop) what changed, whichever process wrote it.
//! - `notify`: desktop notifications; survives a missing bus or daemon.
//! - `webview`: WebKit settings for a one-page console (memory).
#![forbid(unsafe_code)]

mod commands;
#[cfg(test)]
mod commands_test;
mod error;
mod notify;
mod opener;
mod sync;
mod watch;
mod webview;

pub use error::UiError;

use beacon_api::Beacon;
use beacon_api::domain::{ManualClock, SystemClock};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How many referrals the demo data set loaded on first run holds.
pub const FIRST_RUN_DEMO_REFERRALS: usize = 600;

/// What the commands share.
#[derive(Debug)]
pub struct AppState {
    /// The store as the window's commands use it: `None` until someone
    /// signs in to a protected (encrypted) store.
    pub(crate) beacon: Mutex<Option<Beacon>>,
    pub(crate) store_path: PathBuf,
    /// How the background threads open the store (with the key a sign-in gave).
    pub(crate) opener: Arc<opener::Opener>,
    /// Who the console is signed in as, for the watcher's notifications.
    pub(crate) signed_in: Arc<Mutex<Option<watch::Listener>>>,
    /// The last time the person touched the window (the window reports it).
    pub(crate) last_activity: Mutex<Instant>,
    /// How long the console may sit idle before it locks.
    pub(crate) idle_lock: std::time::Duration,
    pub(crate) started: Instant,
    pub(crate) demo_loaded: bool,
    pub(crate) sync: Arc<sync::SyncRuntime>,
}

/// `BEACON_STORE` if set, else the platform's data directory — the same store the CLI uses.
pub fn store_path() -> PathBuf {
    std::env::var_os("BEACON_STORE")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(beacon_api::default_store_path)
}

/// Open the store; on first run with an empty store, load the demo data set
/// so a new user sees a realistic console. Returns the store (`None` when it
/// is protected: it opens when someone signs in) and whether the demo was loaded.
pub fn open_store(path: &std::path::Path) -> Result<(Option<Beacon>, bool), beacon_api::ApiError> {
    if beacon_api::is_protected_store(path) {
        return Ok((None, false));
    }
    // The store creates its directory itself, private (0700).
    let b = Beacon::open(path, beacon_api::default_actor(), Arc::new(SystemClock))?;
    // The demo's people need a password the person starting the console
    // knows: without BEACON_DEMO_PASSWORD the console starts empty and asks
    // for the store's first administrator instead.
    let skip = std::env::var("BEACON_NO_DEMO").is_ok_and(|v| v == "1");
    let password = std::env::var("BEACON_DEMO_PASSWORD").ok().filter(|p| !p.is_empty());
    let Some(password) = password.filter(|_| !skip) else { return Ok((Some(b), false)) };
    if !b.store().has_no_cases()? || !b.responders()?.is_empty() {
        return Ok((Some(b), false));
    }
    drop(b);
    // The demo's history is written on a clock it moves through the past
    // months; its people protect (and so encrypt) the store.
    let now = chrono::Utc::now();
    let clock = ManualClock::at(now);
    let mut demo = Beacon::open(path, beacon_api::default_actor(), Arc::new(clock.clone()))?;
    demo.load_demo(FIRST_RUN_DEMO_REFERRALS, 2026, now, &clock)?;
    demo.add_demo_users(&password)?;
    Ok((None, true))
}

/// How long the console may sit idle before it locks:
/// `BEACON_IDLE_LOCK_MINUTES`, else 15; never more than 30.
fn idle_lock() -> std::time::Duration {
    let minutes = std::env::var("BEACON_IDLE_LOCK_MINUTES")
        .ok()
        .and_then(|m| m.trim().parse::<u32>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(beacon_api::IDLE_LOCK_DEFAULT_MINUTES)
        .min(beacon_api::IDLE_LOCK_MAX_MINUTES);
    std::time::Duration::from_secs(u64::from(minutes) * 60)
}

/// Exports the desktop crate's own payload types (used by the `export-bindings` bin).
#[cfg(feature = "ts")]
pub fn export_bindings(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    commands::AppInfo::export_all(cfg)?;
    commands::FirstAdmin::export_all(cfg)?;
    watch::StoreChanged::export_all(cfg)?;
    watch::AlertEvent::export_all(cfg)?;
    Ok(())
}

pub fn run() {
    let started = Instant::now();
    let path = store_path();
    let (beacon, demo_loaded) = match open_store(&path) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("beacon-desktop: could not open the store at {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    eprintln!(
        "beacon-desktop: store {} open in {} ms{}",
        path.display(),
        started.elapsed().as_millis(),
        if demo_loaded { " (demo data set loaded)" } else { "" }
    );
    if let Some(b) = &beacon {
        commands::lighten(b);
    }
    let opener = Arc::new(opener::Opener::new(&path));
    let signed_in = Arc::new(Mutex::new(None));
    let hub_configured = beacon.as_ref().is_some_and(|b| b.sync_status().is_ok_and(|s| s.hub.is_some()));
    let state = AppState {
        beacon: Mutex::new(beacon),
        store_path: path.clone(),
        opener: opener.clone(),
        signed_in: signed_in.clone(),
        last_activity: Mutex::new(Instant::now()),
        idle_lock: idle_lock(),
        started,
        demo_loaded,
        sync: Arc::default(),
    };
    let sync = Arc::clone(&state.sync);
    let result = tauri::Builder::default()
        .manage(state)
        .invoke_handler(commands::handler())
        .setup(move |app| {
            use tauri::Manager;
            if let Some(window) = app.get_webview_window("main") {
                webview::make_lean(&window)?;
            }
            watch::spawn(app.handle().clone(), opener.clone(), signed_in.clone());
            sync.restart(app.handle().clone(), opener.clone(), hub_configured);
            Ok(())
        })
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("beacon-desktop: {e}");
        std::process::exit(1);
    }
}
