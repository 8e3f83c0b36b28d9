//! `POST /v1/sync/push` and `POST /v1/sync/pull`, for device tokens.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use beacon_hub_db::{TokenRole, TokenScope};
use beacon_sync::{PullRequest, PullResponse, PushRequest, PushResponse};
use serde::de::DeserializeOwned;

use crate::{Hub, HubError, auth};

/// Most events in one page of a pull.
pub const MAX_PAGE: u32 = 2000;

/// Read a JSON body. The decoder's message can quote the body, so only its
/// position is passed on.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, HubError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() { "is not a valid request" } else { "is not JSON" };
        HubError::Malformed(format!("the body {what} (line {}, column {})", e.line(), e.column()))
    })
}

/// Store this device's next events.
#[utoipa::path(
    post,
    path = "/v1/sync/push",
    request_body = PushRequest,
    responses(
        (status = 200, description = "Stored (events the hub held already are skipped)", body = PushResponse),
        (status = 400, description = "Not a push request", body = crate::error::ErrorBody),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::error::ErrorBody),
        (status = 403, description = "Not a device token, an event about a case outside the token's scope (out_of_scope), or one the token's person may not write by their role (forbidden)", body = crate::error::ErrorBody),
        (status = 409, description = "Refused as a whole: gap, forked, bad_hash, wrong_device or clock_ahead, with what the device must do", body = crate::error::ErrorBody),
        (status = 413, description = "The body is over the hub's limit"),
        (status = 422, description = "An event's body is not one of Beacon's events", body = crate::error::ErrorBody),
        (status = 429, description = "Over this token's rate", body = crate::error::ErrorBody)
    )
)]
pub async fn push(State(hub): State<Hub>, headers: HeaderMap, body: Bytes) -> Result<Json<PushResponse>, HubError> {
    let token = auth::require(&hub, &headers, &[TokenRole::Device]).await?;
    let request: PushRequest = parse(&body)?;
    crate::people::check_push(&token, &request.events)?;
    Ok(Json(hub.db.push(request.device, token.scope, request.events, beacon_hub_db::now_ms()).await?))
}

/// The events after a cursor, in the hub's arrival order.
#[utoipa::path(
    post,
    path = "/v1/sync/pull",
    request_body = PullRequest,
    responses(
        (status = 200, description = "A page of events, the cursor to continue from, and what the hub holds of the asking device", body = PullResponse),
        (status = 400, description = "Not a pull request", body = crate::error::ErrorBody),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::error::ErrorBody),
        (status = 403, description = "Not a device token", body = crate::error::ErrorBody),
        (status = 429, description = "Over this token's rate", body = crate::error::ErrorBody)
    )
)]
pub async fn pull(State(hub): State<Hub>, headers: HeaderMap, body: Bytes) -> Result<Json<PullResponse>, HubError> {
    let token = auth::require(&hub, &headers, &[TokenRole::Device]).await?;
    let request: PullRequest = parse(&body)?;
    let limit = request.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let page = hub.db.pull(request.after, limit, request.device, token.scope.clone()).await?;
    if let TokenScope::Responder(responder_id) = &token.scope {
        // The responder's own Beacon now holds these handoffs: "seen on device".
        let handoffs = beacon_hub_db::delivery::handoffs_to(responder_id, &page.events);
        if !handoffs.is_empty()
            && let Err(e) = hub.db.record_seen(responder_id, handoffs, beacon_hub_db::now_ms()).await
        {
            // The page is the device's either way: only the record of it is missed.
            eprintln!("beacon-hub: recording a handoff seen on a device: {e}");
        }
    }
    if let Some(newest) = page.events.iter().map(|e| beacon_domain::Hlc::unpack(e.hlc).wall_ms).max() {
        let age_ms = beacon_hub_db::now_ms().saturating_sub(newest).max(0) as u64;
        hub.metrics.observe_sync_lag(std::time::Duration::from_millis(age_ms));
    }
    Ok(Json(page))
}

#[utoipa::path(
    get,
    path = "/v1/sync/directory",
    responses(
        (status = 200, description = "How each responder is reached (kinds only), and the escalation targets", body = beacon_sync::HubDirectory),
        (status = 401, description = "No token, or not a device token", body = crate::error::ErrorBody)
    )
)]
/// How the hub reaches each responder, and its escalation targets: for the
/// console to show, never an address or a secret.
pub async fn directory(
    State(hub): State<Hub>,
    headers: HeaderMap,
) -> Result<Json<beacon_sync::HubDirectory>, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Device]).await?;
    let settings = beacon_hub_db::HubSettings::from_pairs(&hub.db.settings().await?);
    let targets = beacon_domain::Priority::ALL
        .into_iter()
        .map(|p| {
            let t = settings.target(p);
            beacon_sync::HubTarget { priority: p.to_string(), ack_ms: t.ack_ms, onscene_ms: t.onscene_ms }
        })
        .collect();
    let channels = hub
        .db
        .list_channels()
        .await?
        .into_iter()
        .map(|c| beacon_sync::ResponderReach {
            channels: c.deliverable().iter().map(|k| k.as_str().to_string()).collect(),
            webhook_disabled: c.webhook_disabled_at.is_some(),
            responder_id: c.responder_id,
        })
        .collect();
    Ok(Json(beacon_sync::HubDirectory { channels, targets }))
}
