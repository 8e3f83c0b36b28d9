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
        content = Object,
        description = "One referral in Beacon's referral format (docs/referral-format.md, docs/referral.schema.json), or an array of up to 1000",
        content_type = "application/json"
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
        match intake::all_problems(item, now) {
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
