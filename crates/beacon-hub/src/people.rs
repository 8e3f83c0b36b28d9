//! People on the hub: `POST /v1/enrol` (a person signs in once and the
//! desktop gets a device token bound to them), and the check of what a
//! person's desktop pushes against their role. The rules are the domain's
//! (`beacon_domain::access`); the password check is `beacon_auth`'s.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use beacon_domain::UserRole;
use beacon_domain::access::{self, CaseScope};
use beacon_domain::event::EventBody;
use beacon_hub_db::{HubUser, TokenInfo, TokenScope};
use beacon_sync::{EnrolRequest, EnrolResponse, WireEvent};
use chrono::{TimeZone, Utc};

use crate::{Hub, HubError, tokens};

/// Take in an account (`beacon-hub user add`): checked, password kept only
/// as its Argon2id verifier.
pub fn new_user(name: &str, role: UserRole, responder_id: Option<String>, password: &str) -> Result<HubUser, HubError> {
    beacon_auth::check_user_name(name).map_err(|_| HubError::Invalid {
        field: "user",
        why: "1–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
    })?;
    if role.needs_responder() && responder_id.is_none() {
        return Err(HubError::Invalid { field: "responder", why: "a task-force member is a responder on the roster" });
    }
    let verifier = beacon_auth::password_verifier(password)
        .map_err(|_| HubError::Invalid { field: "password", why: "at least 10 characters, at most 1 KiB" })?;
    Ok(HubUser {
        name: name.to_owned(),
        role,
        responder_id,
        verifier,
        failures: 0,
        locked_until: None,
        disabled_at: None,
        created_at: beacon_hub_db::now_ms(),
    })
}

/// What a desktop enrolled by a person of `role` receives.
pub fn scope_of(user: &HubUser) -> Result<TokenScope, HubError> {
    match user.role.sees() {
        CaseScope::All => Ok(TokenScope::All),
        CaseScope::HandedToMe => match &user.responder_id {
            Some(id) => Ok(TokenScope::Responder(id.clone())),
            None => Err(HubError::Forbidden("this task-force account is linked to no responder".into())),
        },
        CaseScope::None => Err(HubError::Forbidden(format!(
            "an {} reads no case, so has no desktop to sync: enrol as a dispatcher, supervisor or task-force member",
            user.role.label().to_lowercase()
        ))),
    }
}

/// Enrol a desktop: the person's name and password, once; a device token
/// bound to them comes back (shown this once).
#[utoipa::path(
    post,
    path = "/v1/enrol",
    request_body = EnrolRequest,
    security(()),
    responses(
        (status = 200, description = "The device token, shown once, and what it may do", body = EnrolResponse),
        (status = 400, description = "Not an enrol request", body = crate::error::ErrorBody),
        (status = 401, description = "Wrong user name or password (which, is not said), or a disabled person", body = crate::error::ErrorBody),
        (status = 403, description = "A role with no desktop to sync (an administrator)", body = crate::error::ErrorBody),
        (status = 422, description = "A field is not acceptable (the device name)", body = crate::error::ErrorBody),
        (status = 429, description = "Locked after too many wrong passwords, or over the rate", body = crate::error::ErrorBody)
    )
)]
pub async fn enrol(State(hub): State<Hub>, body: Bytes) -> Result<Json<EnrolResponse>, HubError> {
    let request: EnrolRequest = crate::sync::parse(&body)?;
    beacon_auth::check_user_name(&request.device_name).map_err(|_| HubError::Invalid {
        field: "device_name",
        why: "1–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
    })?;
    let now = beacon_hub_db::now_ms();
    let Some(mut user) = hub.db.user(&request.user).await? else {
        // The same work as a wrong password: a name's existence is not told by time.
        let password = request.password.clone();
        let _ = tokio::task::spawn_blocking(move || beacon_auth::spend_like_a_check(&password)).await;
        return Err(HubError::WrongPassword);
    };
    if user.locked_until.is_some_and(|until| until > now) {
        return Err(HubError::LockedOut);
    }
    let (verifier, password) = (user.verifier.clone(), request.password.clone());
    let matches =
        tokio::task::spawn_blocking(move || beacon_auth::password_matches(&verifier, &password)).await.unwrap_or(false);
    if !matches {
        let at = Utc.timestamp_millis_opt(now).single().unwrap_or_else(Utc::now);
        let (failures, locked) = beacon_auth::Lockout::default().after_failure(user.failures, at);
        user.failures = failures;
        user.locked_until = locked.map(|t| t.timestamp_millis());
        hub.db.save_user(user).await?;
        return Err(if locked.is_some() { HubError::LockedOut } else { HubError::WrongPassword });
    }
    if user.disabled_at.is_some() {
        return Err(HubError::WrongPassword);
    }
    let scope = scope_of(&user)?;
    if user.failures != 0 || user.locked_until.is_some() {
        user.failures = 0;
        user.locked_until = None;
        hub.db.save_user(user.clone()).await?;
    }
    let token = tokens::generate();
    // Unique per enrolment: enrolling the same desktop again gives it a new token.
    let token_name = format!("{}@{}#{}", user.name, request.device_name, &tokens::generate()[4..10]);
    hub.db.create_user_token(&token_name, tokens::hash(&token), scope.clone(), &user.name).await?;
    Ok(Json(EnrolResponse { token, token_name, role: user.role.as_str().into(), scope: scope.to_string() }))
}

/// Refuse a push holding an event the token's person wrote and may not
/// write (by their role). Others who work at the same desktop write under
/// their own names, which the hub cannot check (docs/security.md says so);
/// an operator's device token (no person) is bound by its scope alone.
pub fn check_push(token: &TokenInfo, events: &[WireEvent]) -> Result<(), HubError> {
    let Some(person) = &token.user else { return Ok(()) };
    for event in events.iter().filter(|e| e.actor == person.name) {
        // A body that is not one of Beacon's events is refused with its
        // field by the push itself.
        let Ok(body) = serde_json::from_str::<EventBody>(event.body.get()) else { continue };
        if !access::may_write(person.role, &person.name, &body) {
            return Err(HubError::Forbidden(format!(
                "a {} may not write a {} event (event {}); nothing of this push was stored",
                person.role.label().to_lowercase(),
                body.kind(),
                event.id
            )));
        }
    }
    Ok(())
}
