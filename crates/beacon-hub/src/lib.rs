//! `beacon-hub`: the HTTP server. Routes are thin: each checks the caller's
//! token, hands the request to the domain crates (intake) or the database
//! (`beacon-hub-db`), and turns the answer into a status and JSON.
//!
//! Nothing is decided in this process's memory alone: tokens, sequence
//! numbers, chain heads and clocks live in the database, so several hub
//! processes can serve one database.

#![forbid(unsafe_code)]

pub mod auth;
mod error;
mod intake;
mod sync;
pub mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use beacon_geo::Gazetteer;
use beacon_hub_db::HubDb;

pub use error::HubError;

/// Largest request body the hub reads, unless configured: one referral of
/// up to 1 MiB, or a batch that fits in as much.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// What every request handler shares.
#[derive(Clone, Debug)]
pub struct Hub {
    pub db: Arc<dyn HubDb>,
    /// The jurisdiction layer intake places referrals with (the desktop's
    /// shipped layer, so both place a referral the same way).
    pub gazetteer: Arc<Gazetteer>,
}

impl Hub {
    pub fn new(db: Arc<dyn HubDb>) -> Result<Hub, beacon_geo::GeoError> {
        Ok(Hub { db, gazetteer: Arc::new(Gazetteer::default_layer()?) })
    }
}

/// Every route of the hub.
pub fn router(hub: Hub, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/referrals", post(intake::post_referrals))
        .route("/v1/sync/push", post(sync::push))
        .route("/v1/sync/pull", post(sync::pull))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(hub)
}

/// Liveness for a load balancer: answers without a token, says nothing
/// about the data. Fails when the database does not answer.
async fn healthz(axum::extract::State(hub): axum::extract::State<Hub>) -> Result<&'static str, HubError> {
    hub.db.event_count().await?;
    Ok("ok\n")
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
