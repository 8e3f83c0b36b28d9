//! The hub's database, behind one trait with a backend per database.
//!
//! - [`HubDb`] is everything the hub asks of storage. The server holds a
//!   `dyn HubDb` and never knows which database is behind it.
//! - The rules live here once, as plain functions every backend calls:
//!   [`push::plan`] decides what of a push is new, known or refused;
//!   [`effects::effects`] what storing it does besides (handoffs checked as
//!   intents in arrival order, cases filed and entering scopes);
//!   [`stream::next_event`] writes the hub's own events (intake, handoff
//!   rejections) into its chain. A backend only loads and stores.
//! - Nothing the hub decides lives only in one process's memory: sequence
//!   numbers, chain heads and clocks are read and written in the same
//!   transaction as the events, so several hub processes can share one
//!   database.

#![forbid(unsafe_code)]

pub mod answers;
pub mod delivery;
pub mod effects;
mod error;
pub mod escalation;
mod postgres;
pub mod push;
pub mod settings;
mod sqlite;
pub mod stream;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;

use async_trait::async_trait;
use beacon_domain::referral::Source;
use beacon_domain::{CaseId, DeviceId, HandoffId};
use beacon_sync::{Cursor, PullResponse, PushResponse, SyncError, WireEvent};

pub use answers::{Answer, AnswerRefused, HandoffState};
pub use delivery::{Attempt, DueDelivery, ResponderChannels};
pub use error::HubDbError;
pub use postgres::PostgresHubDb;
pub use settings::HubSettings;
pub use sqlite::SqliteHubDb;
pub use tokens::{HubUser, TokenInfo, TokenRole, TokenScope, TokenUser};

/// One referral the hub takes in, already validated, triaged and placed
/// (by the domain crates, as a desktop would).
#[derive(Clone, Debug)]
pub struct IntakeRecord {
    pub case_id: CaseId,
    pub source: Source,
    pub external_id: String,
    /// The troop it was placed in, for device scopes.
    pub troop: Option<String>,
    /// The `referral_received` event body, encoded.
    pub body_json: String,
}

/// What a push came to: stored, or refused as a whole.
pub type PushResult = Result<PushResponse, PushRefused>;

/// Why a push stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum PushRefused {
    /// The device must change what it sends.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] HubDbError),
}

/// Everything the hub asks of its database.
#[async_trait]
pub trait HubDb: Send + Sync + std::fmt::Debug {
    /// Bring the schema up to date (idempotent).
    async fn migrate(&self) -> Result<(), HubDbError>;

    /// Which database this is, for logs and metrics ("sqlite", "postgres").
    fn backend(&self) -> &'static str;

    /// Store a token (its SHA-256 only). A name already used is refused.
    async fn create_token(
        &self,
        name: &str,
        hash: [u8; 32],
        role: TokenRole,
        scope: TokenScope,
    ) -> Result<(), HubDbError>;
    /// Revoke a token by name; false when there is none of that name.
    async fn revoke_token(&self, name: &str) -> Result<bool, HubDbError>;
    async fn list_tokens(&self) -> Result<Vec<TokenInfo>, HubDbError>;
    /// The token with this hash, revoked or not, with its person if it has one.
    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<TokenInfo>, HubDbError>;
    /// Store a device token enrolled for `user` (its SHA-256 only).
    async fn create_user_token(
        &self,
        name: &str,
        hash: [u8; 32],
        scope: TokenScope,
        user: &str,
    ) -> Result<(), HubDbError>;

    /// Add a person, or replace what the hub holds of them.
    async fn save_user(&self, user: HubUser) -> Result<(), HubDbError>;
    async fn user(&self, name: &str) -> Result<Option<HubUser>, HubDbError>;
    async fn list_users(&self) -> Result<Vec<HubUser>, HubDbError>;
    /// Disable a person and revoke every token enrolled for them, in one
    /// transaction; false when there is nobody of that name.
    async fn disable_user(&self, name: &str, now_ms: i64) -> Result<bool, HubDbError>;

    /// Take referrals in, in order, as events of the hub's own device. A
    /// referral whose `source` + `external_id` the hub holds is not stored
    /// again: its existing case id comes back with `false`.
    async fn intake(&self, records: Vec<IntakeRecord>, now_ms: i64) -> Result<Vec<(CaseId, bool)>, HubDbError>;

    /// Store a device's next events, all or none ([`push::plan`]), with
    /// their effects ([`effects::effects`]) under the token's `scope`.
    async fn push(&self, device: DeviceId, scope: TokenScope, events: Vec<WireEvent>, now_ms: i64) -> PushResult;

    /// Events after `after` in arrival order, at most `limit`, of the cases
    /// in `scope` (and events of no case). A scoped page starts with the
    /// earlier events of cases that entered the scope within the page.
    async fn pull(
        &self,
        after: Cursor,
        limit: u32,
        device: DeviceId,
        scope: TokenScope,
    ) -> Result<PullResponse, HubDbError>;

    /// The `referral_received` event of a case, if the hub holds it.
    async fn case_received(&self, case_id: CaseId) -> Result<Option<WireEvent>, HubDbError>;

    /// Events stored, in all.
    async fn event_count(&self) -> Result<u64, HubDbError>;

    /// Set how a responder is reached (replacing what was set; setting a
    /// webhook address again enables an endpoint a 410 disabled).
    async fn set_channels(&self, channels: ResponderChannels) -> Result<(), HubDbError>;
    async fn channels(&self, responder_id: &str) -> Result<Option<ResponderChannels>, HubDbError>;
    async fn list_channels(&self) -> Result<Vec<ResponderChannels>, HubDbError>;

    /// An operator's setting (`beacon-hub config set`).
    async fn set_setting(&self, key: &str, value: &str) -> Result<(), HubDbError>;
    async fn settings(&self) -> Result<Vec<(String, String)>, HubDbError>;

    /// A 32-byte secret of the hub's own (the key its acknowledgement links
    /// are signed with), made on first use and the same for every hub
    /// process on the database. Never shown, never set by hand.
    async fn hub_secret(&self, name: &str) -> Result<[u8; 32], HubDbError>;

    /// Claim up to `limit` deliveries due at `now_ms` for `worker` until
    /// `now_ms + lease_ms`: no other process takes them meanwhile. A claim
    /// whose worker died lapses, and the delivery is claimed again.
    async fn claim_deliveries(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, HubDbError>;

    /// Record an attempt: the delivery's state, the hub's
    /// `delivery_attempted` event, and (on 410 Gone) the endpoint disabled,
    /// in one transaction.
    async fn record_attempt(&self, attempt: Attempt, now_ms: i64) -> Result<(), HubDbError>;

    /// Record that a device signed in as `responder_id` pulled these
    /// handoffs: for each that [`delivery::seen_on_device`] says is news, a
    /// `device` delivery kept as made and the hub's `delivery_attempted`
    /// event, once per handoff however many devices or pulls. Returns how
    /// many were recorded.
    async fn record_seen(&self, responder_id: &str, handoffs: Vec<HandoffId>, now_ms: i64)
    -> Result<usize, HubDbError>;

    /// A handoff with its answers so far, for the page its link opens.
    async fn handoff_state(&self, handoff_id: HandoffId) -> Result<Option<HandoffState>, HubDbError>;

    /// Record a responder's answer by link: the hub writes the events
    /// [`answers::events_for`] decides into its stream, in one transaction
    /// with the answer kept. Returns the handoff as it now stands.
    async fn answer(
        &self,
        handoff_id: HandoffId,
        answer: Answer,
        now_ms: i64,
    ) -> Result<Result<HandoffState, AnswerRefused>, HubDbError>;

    /// Fire up to `limit` deadlines due at `now_ms` ([`escalation`]): each
    /// marked fired in the transaction that writes its `escalated` event,
    /// the next handoff and the supervisor's delivery, so each fires once.
    /// Returns how many fired.
    async fn fire_escalations(&self, worker: &str, now_ms: i64, limit: u32) -> Result<usize, HubDbError>;

    /// When the next unsettled deadline falls due (unix ms), if any.
    async fn next_escalation_due(&self) -> Result<Option<i64>, HubDbError>;

    /// When the next pending delivery is due (unix ms), if any.
    async fn next_delivery_due(&self) -> Result<Option<i64>, HubDbError>;

    /// Devices whose events are stored (the hub's own included).
    async fn device_count(&self) -> Result<u64, HubDbError>;

    /// Changes each time events are appended, by this process or (on
    /// PostgreSQL) by any hub process sharing the database: what a live
    /// stream waits on. Call from within the async runtime.
    fn appended(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// Unix milliseconds now: the hub's clock, for its events and checks.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
