//! Every command the window can invoke. Each is one call into `beacon-api`;
//! errors reach the window as [`UiError`] (`{code, message, field}`).
//!
//! Commands are `async` in Tauri's sense (run off the main thread) so a slow
//! query never freezes the window.

use beacon_api::ApiError;
use beacon_api::domain::SystemClock;
use beacon_api::domain::referral::Referral;
use beacon_api::domain::{CaseId, CaseStatus, Priority, Responder, Role};
use beacon_api::geo::JurisdictionInfo;
use beacon_api::store::HandoffRecord;
use beacon_api::{
    AddOutcome, AlertBatch, AuditTrail, Beacon, CaseDetail, CasePoint, CaseView, ConflictRow, MapLayer, OpenCount,
    Preview, QueueQuery, QueueRow, ResponseStats, RosterView, SessionInfo, Suggestions, SyncPill,
};
use serde::Serialize;
use std::sync::{Arc, MutexGuard};
use tauri::State;

use crate::{AppState, UiError};

type Res<T> = Result<T, UiError>;

/// The console's `Beacon`, once someone has signed in (or the store is
/// unprotected), locked first if it sat idle too long: then every command
/// refuses with `sign_in_required` and the window asks for the password again.
fn beacon<'a>(s: &'a State<'_, AppState>) -> Res<Open<'a>> {
    let mut slot = s.beacon.lock().unwrap_or_else(|p| p.into_inner());
    let Some(b) = slot.as_mut() else { return Err(ApiError::SignInRequired.into()) };
    let idle = s.last_activity.lock().map(|t| t.elapsed()).unwrap_or_default();
    if idle > s.idle_lock && b.user().is_some() {
        b.sign_out();
    }
    Ok(Open(slot))
}

/// The console's open store (see [`beacon`]): never `None` inside.
struct Open<'a>(MutexGuard<'a, Option<Beacon>>);

impl std::ops::Deref for Open<'_> {
    type Target = Beacon;
    fn deref(&self) -> &Beacon {
        self.0.as_ref().expect("`beacon` hands out an open store only")
    }
}

impl std::ops::DerefMut for Open<'_> {
    fn deref_mut(&mut self) -> &mut Beacon {
        self.0.as_mut().expect("`beacon` hands out an open store only")
    }
}

/// The console stays open all shift beside other programs: a small page
/// cache per connection, the operating system's file cache for the rest.
pub(crate) fn lighten(b: &Beacon) {
    if let Err(e) = b.store().set_page_cache(beacon_api::PageCache::Light) {
        eprintln!("beacon-desktop: could not size the page cache: {e}");
    }
}

/// After a sign-in: hand the store's key to the background threads, and
/// start syncing if the store names a hub and sync could not run before.
fn hand_over<R: tauri::Runtime>(app: tauri::AppHandle<R>, s: &State<'_, AppState>, b: &Beacon) {
    if s.opener.hand_over(b.store_key()) {
        let configured = b.sync_status().is_ok_and(|st| st.hub.is_some());
        s.sync.restart(app, s.opener.clone(), configured);
    }
}

fn touch(s: &State<'_, AppState>) {
    if let Ok(mut t) = s.last_activity.lock() {
        *t = std::time::Instant::now();
    }
}

/// Who is signed in and what they may do (`sign_in_required` when nobody
/// is, or the console locked itself).
#[tauri::command(async)]
fn session(s: State<'_, AppState>) -> Res<SessionInfo> {
    Ok(beacon(&s)?.session()?)
}

/// Sign in (or unlock) with a user name and password; works offline. On a
/// protected store the first sign-in opens (decrypts) it.
#[tauri::command(async)]
fn sign_in<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    s: State<'_, AppState>,
    user: String,
    password: String,
) -> Res<SessionInfo> {
    let mut slot = s.beacon.lock().unwrap_or_else(|p| p.into_inner());
    match slot.as_mut() {
        Some(b) => b.sign_in_here(&user, &password)?,
        None => {
            let b = Beacon::sign_in(&s.store_path, &user, &password, Arc::new(SystemClock))?;
            lighten(&b);
            *slot = Some(b);
        }
    }
    signed_in(app, &s, slot.as_ref().expect("signed in above"))
}

/// How every sign-in ends: the idle clock restarted, the background
/// threads handed the store's key, and alerts heard as this person.
fn signed_in<R: tauri::Runtime>(app: tauri::AppHandle<R>, s: &State<'_, AppState>, b: &Beacon) -> Res<SessionInfo> {
    touch(s);
    let session = b.session()?;
    hand_over(app, s, b);
    listen_as(s, Some(&session));
    Ok(session)
}

/// Sign out: the console shows the sign-in form.
#[tauri::command(async)]
fn sign_out(s: State<'_, AppState>) -> Res<()> {
    if let Some(b) = s.beacon.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        b.sign_out();
    }
    listen_as(&s, None);
    Ok(())
}

/// The person touched the window: the idle lock starts counting again.
#[tauri::command]
fn activity(s: State<'_, AppState>) {
    touch(&s);
}

/// What creating the first administrator returns: the session, and the
/// recovery key to write down (shown this once).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FirstAdmin {
    pub session: SessionInfo,
    pub recovery_key: String,
}

/// The console's first start on a store with no account: its first admin,
/// which encrypts the store.
#[tauri::command(async)]
fn create_admin<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    s: State<'_, AppState>,
    user: String,
    password: String,
) -> Res<FirstAdmin> {
    let mut slot = s.beacon.lock().unwrap_or_else(|p| p.into_inner());
    let b = slot.take().ok_or(ApiError::SignInRequired)?;
    let (b, key) = match b.init_admin(&user, &password) {
        Ok(done) => done,
        Err(e) => {
            // The store as it now is: unprotected still, or protected if
            // the failure came after its key file (then sign in opens it).
            *slot = Beacon::open(&s.store_path, beacon_api::default_actor(), Arc::new(SystemClock)).ok();
            return Err(e.into());
        }
    };
    lighten(&b);
    let session = signed_in(app, &s, &b)?;
    *slot = Some(b);
    Ok(FirstAdmin { session, recovery_key: key.as_str().to_string() })
}

fn listen_as(s: &State<'_, AppState>, session: Option<&SessionInfo>) {
    if let Ok(mut l) = s.signed_in.lock() {
        *l = session
            .map(|x| crate::watch::Listener { responder_id: x.responder_id.clone(), hears_all: x.sees_all_cases });
    }
}

/// What the window shows about where it runs.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppInfo {
    pub store_path: String,
    pub actor: String,
    pub demo_loaded: bool,
    pub troops: Vec<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub change_marker: i64,
    /// The queue's order in words, for the help overlay.
    pub queue_order: Vec<String>,
}

#[tauri::command(async)]
fn app_info(s: State<'_, AppState>) -> Res<AppInfo> {
    let b = beacon(&s)?;
    Ok(AppInfo {
        store_path: s.store_path.display().to_string(),
        actor: b.actor().to_string(),
        demo_loaded: s.demo_loaded,
        troops: b.troops(),
        change_marker: b.store().change_marker().map_err(beacon_api::ApiError::from)?,
        queue_order: beacon_api::domain::queue::ORDER_HELP.iter().map(|l| l.to_string()).collect(),
    })
}

#[tauri::command(async)]
fn queue(s: State<'_, AppState>, query: QueueQuery) -> Res<Vec<QueueRow>> {
    Ok(beacon(&s)?.queue(&query)?)
}

/// Of the given (changed) cases, the rows that belong in the queue `query`: patches the queue after a change.
#[tauri::command(async)]
fn queue_rows(s: State<'_, AppState>, ids: Vec<CaseId>, query: QueueQuery) -> Res<Vec<QueueRow>> {
    Ok(beacon(&s)?.queue_rows(&ids, &query)?)
}

#[tauri::command(async)]
fn open_count(s: State<'_, AppState>) -> Res<u64> {
    Ok(beacon(&s)?.open_count()?)
}

#[tauri::command(async)]
fn case_detail(s: State<'_, AppState>, id: String) -> Res<CaseDetail> {
    Ok(beacon(&s)?.show(&id)?)
}

/// The open cases handed to the person signed in (a task-force member's home).
#[tauri::command(async)]
fn my_cases(s: State<'_, AppState>, limit: usize) -> Res<Vec<QueueRow>> {
    Ok(beacon(&s)?.my_cases(limit)?)
}

#[tauri::command(async)]
fn audit(s: State<'_, AppState>, id: String) -> Res<AuditTrail> {
    Ok(beacon(&s)?.audit(&id)?)
}

#[tauri::command(async)]
fn suggest(s: State<'_, AppState>, id: String) -> Res<Suggestions> {
    Ok(beacon(&s)?.suggest(&id)?)
}

#[tauri::command(async)]
fn handoff(s: State<'_, AppState>, id: String, responder: String) -> Res<HandoffRecord> {
    Ok(beacon(&s)?.handoff(&id, &responder)?)
}

/// A handoff sharing what the policy would withhold, for a recorded reason.
#[tauri::command(async)]
fn handoff_overriding_sharing(
    s: State<'_, AppState>,
    id: String,
    responder: String,
    reason: String,
) -> Res<HandoffRecord> {
    Ok(beacon(&s)?.handoff_overriding_sharing(&id, &responder, &reason)?)
}

/// The one-click handoff: to the top suggested responder of that role.
#[tauri::command(async)]
fn handoff_to_suggested(s: State<'_, AppState>, id: String, role: Role) -> Res<HandoffRecord> {
    Ok(beacon(&s)?.handoff_to_suggested(&id, role)?)
}

/// The sync status pill, as Rust words it.
#[tauri::command(async)]
fn sync_pill(s: State<'_, AppState>) -> Res<SyncPill> {
    Ok(beacon(&s)?.sync_pill(s.sync.last().as_ref(), chrono::Utc::now().timestamp_millis())?)
}

/// Connect to a hub (or change it): remember it and restart background sync.
#[tauri::command(async)]
fn connect_hub<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    s: State<'_, AppState>,
    hub: String,
    token: String,
) -> Res<SyncPill> {
    beacon(&s)?.set_hub(&hub, &token)?;
    s.sync.restart(app, s.opener.clone(), true);
    sync_pill(s)
}

/// Enrol with a hub: the person signs in to the hub once; the device token
/// it gives is remembered and background sync restarts.
#[tauri::command(async)]
fn enrol_hub<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    s: State<'_, AppState>,
    hub: String,
    user: String,
    password: String,
    device: String,
) -> Res<SyncPill> {
    beacon(&s)?.enrol(&hub, &user, &password, &device)?;
    s.sync.restart(app, s.opener.clone(), true);
    sync_pill(s)
}

/// Rejected handoffs nobody has looked at: the conflicts list.
#[tauri::command(async)]
fn conflicts(s: State<'_, AppState>) -> Res<Vec<ConflictRow>> {
    Ok(beacon(&s)?.conflicts()?)
}

/// Mark a case's rejected handoffs as looked at.
#[tauri::command(async)]
fn resolve_conflicts(s: State<'_, AppState>, id: String) -> Res<usize> {
    Ok(beacon(&s)?.resolve_conflicts(&id)?)
}

#[tauri::command(async)]
fn acknowledge(s: State<'_, AppState>, id: String) -> Res<()> {
    Ok(beacon(&s)?.acknowledge(&id)?)
}

#[tauri::command(async)]
fn set_status(s: State<'_, AppState>, id: String, status: CaseStatus, disposition: Option<String>) -> Res<()> {
    Ok(beacon(&s)?.set_status(&id, status, disposition.as_deref())?)
}

#[tauri::command(async)]
fn add_note(s: State<'_, AppState>, id: String, text: String) -> Res<()> {
    Ok(beacon(&s)?.add_note(&id, &text)?)
}

#[tauri::command(async)]
fn override_priority(s: State<'_, AppState>, id: String, priority: Priority, reason: String) -> Res<()> {
    Ok(beacon(&s)?.override_priority(&id, priority, &reason)?)
}

#[tauri::command(async)]
fn confirm_jurisdiction(s: State<'_, AppState>, id: String, jurisdiction_id: String) -> Res<()> {
    Ok(beacon(&s)?.confirm_jurisdiction(&id, &jurisdiction_id)?)
}

#[tauri::command(async)]
fn preview(s: State<'_, AppState>, referral: serde_json::Value) -> Res<Preview> {
    Ok(beacon(&s)?.preview(referral))
}

#[tauri::command(async)]
fn add_referral(s: State<'_, AppState>, referral: serde_json::Value) -> Res<AddOutcome> {
    Ok(beacon(&s)?.add_referral_json(referral)?)
}

#[tauri::command(async)]
fn responders(s: State<'_, AppState>) -> Res<Vec<Responder>> {
    Ok(beacon(&s)?.responders()?)
}

#[tauri::command(async)]
fn roster(s: State<'_, AppState>) -> Res<RosterView> {
    Ok(beacon(&s)?.roster()?)
}

#[tauri::command(async)]
fn set_on_duty(s: State<'_, AppState>, id: String, on_duty: bool) -> Res<()> {
    Ok(beacon(&s)?.set_on_duty(&id, on_duty)?)
}

#[tauri::command(async)]
fn stats(s: State<'_, AppState>, days: i64) -> Res<ResponseStats> {
    Ok(beacon(&s)?.stats(days)?)
}

#[tauri::command(async)]
fn map_layer(s: State<'_, AppState>) -> Res<MapLayer> {
    Ok(beacon(&s)?.map_layer())
}

#[tauri::command(async)]
fn jurisdictions(s: State<'_, AppState>) -> Res<Vec<JurisdictionInfo>> {
    Ok(beacon(&s)?.jurisdictions())
}

#[tauri::command(async)]
fn open_counts(s: State<'_, AppState>) -> Res<Vec<OpenCount>> {
    Ok(beacon(&s)?.open_counts()?)
}

#[tauri::command(async)]
fn open_points(s: State<'_, AppState>, limit: usize) -> Res<Vec<CasePoint>> {
    Ok(beacon(&s)?.open_points(limit)?)
}

#[tauri::command(async)]
fn cases_for_responder(s: State<'_, AppState>, responder: String, limit: usize) -> Res<Vec<CaseView>> {
    Ok(beacon(&s)?.cases_for_responder(&responder, limit)?)
}

#[tauri::command(async)]
fn alerts_since(s: State<'_, AppState>, after: i64, limit: usize) -> Res<AlertBatch> {
    Ok(beacon(&s)?.alerts_since(after, limit)?)
}

/// The documented indicator vocabulary: (value, meaning).
#[tauri::command]
fn indicators() -> Vec<(String, String)> {
    beacon_api::domain::referral::INDICATORS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The window reports a moment worth measuring (e.g. `queue-interactive`);
/// logged with the time since the process started and the wall clock.
#[tauri::command]
fn perf_mark(s: State<'_, AppState>, name: String, detail: Option<String>) {
    let wall = chrono::Utc::now().timestamp_millis();
    eprintln!(
        "beacon-desktop: perf {name} {} ms after start (wall {wall}){}",
        s.started.elapsed().as_millis(),
        detail.map(|d| format!(" {d}")).unwrap_or_default()
    );
}

/// Keeps `Referral` in the generated bindings: the form builds one.
#[allow(dead_code)]
fn _referral_type(_: Referral) {}

pub(crate) fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        queue,
        queue_rows,
        open_count,
        case_detail,
        audit,
        suggest,
        handoff,
        handoff_to_suggested,
        handoff_overriding_sharing,
        acknowledge,
        conflicts,
        resolve_conflicts,
        sync_pill,
        connect_hub,
        enrol_hub,
        set_status,
        add_note,
        override_priority,
        confirm_jurisdiction,
        preview,
        add_referral,
        responders,
        roster,
        set_on_duty,
        stats,
        map_layer,
        jurisdictions,
        open_counts,
        open_points,
        cases_for_responder,
        alerts_since,
        indicators,
        session,
        sign_in,
        sign_out,
        activity,
        create_admin,
        my_cases,
        perf_mark,
    ]
}
