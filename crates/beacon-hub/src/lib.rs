//! `beacon-hub`: the HTTP server. Routes are thin: each checks the caller's
//! token, hands the request to the domain crates (intake) or the database
//! (`beacon-hub-db`), and turns the answer into a status and JSON.
//!
//! Nothing is decided in this process's memory alone: tokens, sequence
//! numbers, chain heads and clocks live in the database, so several hub
//! processes can serve one database.

#![forbid(unsafe_code)]

pub mod ack;
pub mod auth;
pub mod delivery;
mod error;
mod intake;
pub mod limits;
mod metrics;
pub mod openapi;
pub mod people;
mod stream;
mod sync;
pub mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use beacon_geo::Gazetteer;
use beacon_hub_db::HubDb;

pub use error::HubError;

/// Largest request body the hub reads, unless configured: one referral of
/// up to 1 MiB, or a batch that fits in as much.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// How a hub serves: its limits.
#[derive(Clone, Copy, Debug)]
pub struct HubConfig {
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Requests per caller.
    pub rate: limits::Rate,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig { max_body: DEFAULT_MAX_BODY, rate: limits::Rate::default() }
    }
}

/// What every request handler shares.
#[derive(Clone, Debug)]
pub struct Hub {
    pub db: Arc<dyn HubDb>,
    /// The jurisdiction layer intake places referrals with (the desktop's
    /// shipped layer, so both place a referral the same way).
    pub gazetteer: Arc<Gazetteer>,
    metrics: Arc<metrics::Metrics>,
    limiter: Arc<limits::Limiter>,
    config: HubConfig,
}

impl Hub {
    pub fn new(db: Arc<dyn HubDb>, config: HubConfig) -> Result<Hub, beacon_geo::GeoError> {
        Ok(Hub {
            db,
            gazetteer: Arc::new(Gazetteer::default_layer()?),
            metrics: Arc::default(),
            limiter: Arc::new(limits::Limiter::new(config.rate)),
            config,
        })
    }
}

/// Every route of the hub. Outermost first: the rate limit (before any
/// work), then metrics (so refusals are counted too), then the body limit.
pub fn router(hub: Hub) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::get_metrics))
        .route("/openapi.json", get(openapi::get_openapi))
        .route("/v1/enrol", post(people::enrol))
        .route("/v1/referrals", post(intake::post_referrals))
        .route("/v1/cases/{id}/eido", get(intake::get_case_eido))
        .route("/v1/sync/push", post(sync::push))
        .route("/v1/sync/pull", post(sync::pull))
        .route("/v1/sync/stream", get(stream::stream))
        .route("/v1/sync/directory", get(sync::directory))
        .route("/ack/{token}", get(ack::get_page).post(ack::post_answer))
        .layer(DefaultBodyLimit::max(hub.config.max_body))
        .route_layer(middleware::from_fn_with_state(hub.clone(), metrics::track))
        .layer(middleware::from_fn_with_state(hub.clone(), limits::limit))
        .with_state(hub)
}

/// Liveness for a load balancer: answers without a token, says nothing
/// about the data. Fails when the database does not answer.
#[utoipa::path(
    get,
    path = "/healthz",
    security(()),
    responses(
        (status = 200, description = "The hub and its database answer", body = String),
        (status = 503, description = "The database does not answer", body = error::ErrorBody)
    )
)]
pub(crate) async fn healthz(axum::extract::State(hub): axum::extract::State<Hub>) -> Result<&'static str, HubError> {
    hub.db.event_count().await?;
    Ok("ok\n")
}
