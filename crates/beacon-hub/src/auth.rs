//! Who is calling: the bearer token, looked up by its hash, and the roles
//! each route admits.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use beacon_hub_db::{TokenInfo, TokenRole};

use crate::{Hub, HubError, tokens};

/// The caller's token, if it is known, not revoked, and of one of `roles`.
/// 401 without a token, with an unknown or revoked one, or one enrolled for
/// a person since disabled; 403 with a token of another role.
pub async fn require(hub: &Hub, headers: &HeaderMap, roles: &[TokenRole]) -> Result<TokenInfo, HubError> {
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(HubError::NoToken)?;
    let token = hub.db.token_by_hash(tokens::hash(presented)).await?.ok_or(HubError::BadToken)?;
    // A disabled person's tokens were revoked with them; said apart so
    // the desktop can tell its person to ask an administrator.
    if token.user.as_ref().is_some_and(|u| u.disabled) {
        return Err(HubError::UserDisabled);
    }
    if token.revoked_at.is_some() {
        return Err(HubError::BadToken);
    }
    if !roles.contains(&token.role) {
        return Err(HubError::WrongRole(token.role.as_str()));
    }
    Ok(token)
}
