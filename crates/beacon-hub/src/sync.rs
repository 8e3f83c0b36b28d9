//! `POST /v1/sync/push` and `POST /v1/sync/pull`, for device tokens.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use beacon_hub_db::TokenRole;
use beacon_sync::{PullRequest, PullResponse, PushRequest, PushResponse};
use serde::de::DeserializeOwned;

use crate::{Hub, HubError, auth};

/// Most events in one page of a pull.
pub const MAX_PAGE: u32 = 1000;

/// Read a JSON body. The decoder's message can quote the body, so only its
/// position is passed on.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, HubError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() { "is not a valid request" } else { "is not JSON" };
        HubError::Malformed(format!("the body {what} (line {}, column {})", e.line(), e.column()))
    })
}

pub async fn push(State(hub): State<Hub>, headers: HeaderMap, body: Bytes) -> Result<Json<PushResponse>, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Device]).await?;
    let request: PushRequest = parse(&body)?;
    Ok(Json(hub.db.push(request.device, request.events, crate::now_ms()).await?))
}

pub async fn pull(State(hub): State<Hub>, headers: HeaderMap, body: Bytes) -> Result<Json<PullResponse>, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Device]).await?;
    let request: PullRequest = parse(&body)?;
    let limit = request.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    Ok(Json(hub.db.pull(request.after, limit, request.device).await?))
}
