//! `POST /v1/referrals`: referrals in, triaged and placed by the domain
//! crates exactly as a desktop would, stored as events of the hub.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, intake, triage};
use beacon_hub_db::{IntakeRecord, TokenRole};
use beacon_sync::{IntakeOutcome, IntakeReport, Rejection};
use serde_json::Value;

use crate::{Hub, HubError, auth};

/// Most referrals in one request.
pub const MAX_BATCH: usize = 1000;

/// Take referrals in.
#[utoipa::path(
    post,
    path = "/v1/referrals",
    request_body(
        content(
            (Object = "application/json"),
            (Object = "application/vnd.nena.eido+json")
        ),
        description = "One referral in Beacon's referral format (docs/referral-format.md, docs/referral.schema.json), or an array of up to 1000; or, as application/vnd.nena.eido+json, one NENA EIDO document or an array of them, each mapped to a referral with the whole document kept under `eido`"
    ),
    responses(
        (status = 201, description = "At least one referral became a new case; the rest were known or rejected", body = IntakeReport),
        (status = 200, description = "Every valid referral was known already: nothing stored", body = IntakeReport),
        (status = 400, description = "Not JSON, or neither a referral nor an array", body = crate::error::ErrorBody),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::error::ErrorBody),
        (status = 403, description = "Not an intake token", body = crate::error::ErrorBody),
        (status = 413, description = "The body is over the hub's limit"),
        (status = 422, description = "No referral could be taken: each problem by index and field, never its value", body = [Rejection]),
        (status = 429, description = "Over this token's rate", body = crate::error::ErrorBody)
    )
)]
pub async fn post_referrals(State(hub): State<Hub>, headers: HeaderMap, body: Bytes) -> Result<Response, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Intake]).await?;
    let eido = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with(beacon_eido::MEDIA_TYPE));
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| HubError::Malformed(format!("the body is not JSON (line {}, column {})", e.line(), e.column())))?;
    let items = match value {
        Value::Array(items) => items,
        item @ Value::Object(_) => vec![item],
        _ => return Err(HubError::Malformed("the body must be a referral or an array of referrals".into())),
    };
    if items.len() > MAX_BATCH {
        return Err(HubError::Malformed(format!("at most {MAX_BATCH} referrals in one request")));
    }
    let now = chrono::Utc::now();
    let mut report = IntakeReport::default();
    let mut records = Vec::new();
    let mut indexes = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        // An EIDO document becomes a referral first; the same rules then hold.
        let checked = if eido {
            beacon_eido::referral_json(&item).map_err(|e| vec![e]).and_then(|r| intake::all_problems(r, now))
        } else {
            intake::all_problems(item, now)
        };
        match checked {
            Err(problems) => report.rejected.extend(problems.into_iter().map(|p| Rejection {
                index,
                field: p.field,
                message: p.problem,
            })),
            Ok(referral) => {
                let case_id = CaseId::for_referral(referral.source, &referral.external_id);
                let triage = triage::triage(&referral);
                let jurisdiction = referral
                    .location
                    .as_ref()
                    .map(|l| hub.gazetteer.assign(l))
                    .unwrap_or_else(beacon_domain::JurisdictionAssignment::unknown);
                let (source, external_id, troop) =
                    (referral.source, referral.external_id.clone(), jurisdiction.troop.clone());
                let body = EventBody::ReferralReceived { referral: Box::new(referral), triage, jurisdiction };
                let body_json = serde_json::to_string(&body)
                    .map_err(|_| HubError::Malformed(format!("referral {index} could not be encoded")))?;
                records.push(IntakeRecord { case_id, source, external_id, troop, body_json });
                indexes.push(index);
            }
        }
    }
    if records.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report.rejected)).into_response());
    }
    let stored = hub.db.intake(records, beacon_hub_db::now_ms()).await?;
    let created = stored.iter().any(|(_, created)| *created);
    report.accepted = indexes
        .into_iter()
        .zip(stored)
        .map(|(index, (case_id, created))| IntakeOutcome { index, case_id, created })
        .collect();
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(report)).into_response())
}

/// A case as a NENA EIDO document, for an agency's dispatch system.
#[utoipa::path(
    get,
    path = "/v1/cases/{id}/eido",
    params(("id" = String, Path, description = "The case id (a UUID)")),
    responses(
        (status = 200, description = "The case as an EIDO document: the incident, its location (PIDF-LO), the narrative as a note, Beacon's priority; no people", content_type = "application/vnd.nena.eido+json", body = Object),
        (status = 400, description = "The id is not a case id", body = crate::error::ErrorBody),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::error::ErrorBody),
        (status = 403, description = "Not an intake token (the role of an agency's systems)", body = crate::error::ErrorBody),
        (status = 404, description = "The hub holds no such case", body = crate::error::ErrorBody),
        (status = 429, description = "Over this token's rate", body = crate::error::ErrorBody)
    )
)]
pub async fn get_case_eido(
    State(hub): State<Hub>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Intake]).await?;
    let case_id: CaseId =
        id.parse().map_err(|_| HubError::Malformed("the path must name a case by its id (a UUID)".into()))?;
    let event = hub.db.case_received(case_id).await?.ok_or(HubError::NotFound("case"))?;
    let Ok(EventBody::ReferralReceived { referral, triage, jurisdiction }) = event.decode_body() else {
        return Err(HubError::NotFound("case"));
    };
    let group = jurisdiction.troop.as_ref().map(|t| format!("Troop {t}"));
    let doc = beacon_eido::eido_document(
        beacon_eido::CaseForEido {
            case_id,
            referral: &referral,
            priority: triage.priority,
            dispatch_group: group.as_deref(),
            issuer: EIDO_ISSUER,
        },
        chrono::Utc::now(),
    );
    Ok(([(axum::http::header::CONTENT_TYPE, beacon_eido::MEDIA_TYPE)], Json(doc)).into_response())
}

/// The agency id the hub writes its EIDO documents as.
const EIDO_ISSUER: &str = "beacon-hub";
