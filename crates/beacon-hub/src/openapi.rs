//! `GET /openapi.json`: the hub's API, generated from the handlers and the
//! protocol types (`beacon-sync`), so the document cannot drift from the code.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use beacon_hub_db::TokenRole;
use beacon_sync::{
    Cursor, IntakeOutcome, IntakeReport, PullRequest, PullResponse, PushRequest, PushResponse, Rejection, WireEvent,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;
use crate::{Hub, HubError, auth};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Beacon hub",
        description = "Referrals in over HTTP, and sync between Beacon desktops. Every route but /healthz and /v1/enrol (a person's name and password, once, for a device token bound to them) needs a bearer token of the role it names; a refusal is a status with {code, message, retryable}."
    ),
    paths(
        crate::healthz,
        crate::people::enrol,
        crate::intake::post_referrals,
        crate::intake::get_case_eido,
        crate::sync::push,
        crate::sync::pull,
        crate::sync::directory,
        crate::stream::stream,
        crate::metrics::get_metrics,
        get_openapi
    ),
    components(schemas(
        WireEvent,
        PushRequest,
        PushResponse,
        PullRequest,
        PullResponse,
        Cursor,
        IntakeReport,
        IntakeOutcome,
        Rejection,
        ErrorBody,
        beacon_sync::EnrolRequest,
        beacon_sync::EnrolResponse,
        beacon_sync::HubDirectory,
        beacon_sync::ResponderReach,
        beacon_sync::HubTarget
    )),
    modifiers(&Bearer),
    security(("bearer" = []))
)]
#[derive(Debug)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description, for a token of any role.
#[utoipa::path(
    get,
    path = "/openapi.json",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this hub"),
        (status = 401, description = "No token, or an unknown or revoked one", body = ErrorBody)
    )
)]
pub async fn get_openapi(
    State(hub): State<Hub>,
    headers: HeaderMap,
) -> Result<Json<utoipa::openapi::OpenApi>, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Intake, TokenRole::Device, TokenRole::Admin]).await?;
    Ok(Json(ApiDoc::openapi()))
}
