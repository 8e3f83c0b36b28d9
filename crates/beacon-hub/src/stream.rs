//! `GET /v1/sync/stream`: server-sent events telling a connected desktop
//! that the hub holds new events, so it pulls at once instead of waiting
//! for its next round. The stream carries no event data (a pull does, under
//! the device's scope): only `ready` when it opens and `appended` after each
//! append by any hub process on the database.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use beacon_hub_db::TokenRole;
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};

use crate::{Hub, HubError, auth};

/// A comment line this often keeps proxies from closing an idle stream and
/// lets a client tell a silent hub from a dead connection.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The live stream of appends, for device tokens.
#[utoipa::path(
    get,
    path = "/v1/sync/stream",
    responses(
        (status = 200, description = "text/event-stream: `ready` once, then `appended` whenever the hub stores events; a comment every 15 s", content_type = "text/event-stream", body = String),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::error::ErrorBody),
        (status = 403, description = "Not a device token", body = crate::error::ErrorBody),
        (status = 429, description = "Over this token's rate", body = crate::error::ErrorBody)
    )
)]
pub async fn stream(
    State(hub): State<Hub>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Device]).await?;
    let mut appended = hub.db.appended();
    appended.borrow_and_update();
    let connected = hub.metrics.stream_opened();
    let changes = stream::unfold((appended, connected), |(mut appended, connected)| async move {
        appended.changed().await.ok()?;
        Some((Ok(Event::default().event("appended").data("")), (appended, connected)))
    });
    let ready = stream::once(async { Ok(Event::default().event("ready").data("")) });
    Ok(Sse::new(ready.chain(changes)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
