//! Every refusal the hub sends: a status and `{"code", "message"}`, with a
//! stable code a client can act on. Messages never quote what was sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beacon_hub_db::{HubDbError, PushRefused};
use beacon_sync::SyncError;
use serde_json::json;

/// The body of every refusal. A sync refusal adds its own fields (the
/// sequence to resume from, say) beside these.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable: a client acts on it (`no_token`, `wrong_role`, `forked`, `gap`, `rate_limited`, …).
    pub code: String,
    /// For people; never quotes what was sent.
    pub message: String,
    /// Whether the same request can succeed later.
    pub retryable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("a bearer token is needed")]
    NoToken,
    #[error("this token is not known or was revoked")]
    BadToken,
    #[error("a {0} token cannot do this")]
    WrongRole(&'static str),
    /// The token's person was disabled: their desktops are signed out of the hub.
    #[error("the person this desktop was enrolled for is disabled")]
    UserDisabled,
    /// Enrolment: the name or the password is wrong (which, is not said).
    #[error("wrong user name or password")]
    WrongPassword,
    #[error("too many wrong passwords: this name is locked for a while")]
    LockedOut,
    /// What the token's person may not do, by their role.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the request is not acceptable; the value is never quoted.
    #[error("{field}: {why}")]
    Invalid { field: &'static str, why: &'static str },
    #[error("{0}")]
    Malformed(String),
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Db(#[from] HubDbError),
}

impl From<PushRefused> for HubError {
    fn from(e: PushRefused) -> Self {
        match e {
            PushRefused::Sync(e) => HubError::Sync(e),
            PushRefused::Db(e) => HubError::Db(e),
        }
    }
}

impl HubError {
    pub fn status(&self) -> StatusCode {
        match self {
            HubError::NoToken | HubError::BadToken | HubError::UserDisabled | HubError::WrongPassword => {
                StatusCode::UNAUTHORIZED
            }
            HubError::LockedOut => StatusCode::TOO_MANY_REQUESTS,
            HubError::WrongRole(_) | HubError::Forbidden(_) => StatusCode::FORBIDDEN,
            HubError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::Malformed(_) => StatusCode::BAD_REQUEST,
            HubError::NotFound(_) => StatusCode::NOT_FOUND,
            HubError::Sync(SyncError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
            HubError::Sync(SyncError::OutOfScope { .. }) => StatusCode::FORBIDDEN,
            HubError::Sync(SyncError::Invalid { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::Sync(_) => StatusCode::CONFLICT,
            HubError::Db(e) if e.retryable() => StatusCode::SERVICE_UNAVAILABLE,
            HubError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            HubError::NoToken => "no_token",
            HubError::BadToken => "bad_token",
            HubError::WrongRole(_) => "wrong_role",
            HubError::UserDisabled => "user_disabled",
            HubError::WrongPassword => "wrong_password",
            HubError::LockedOut => "locked_out",
            HubError::Forbidden(_) => "forbidden",
            HubError::Invalid { .. } => "invalid_input",
            HubError::Malformed(_) => "malformed",
            HubError::NotFound(_) => "not_found",
            HubError::Sync(e) => e.code(),
            HubError::Db(e) if e.retryable() => "unavailable",
            HubError::Db(_) => "internal",
        }
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            // A sync refusal carries its fields, so a device knows where to resume.
            HubError::Sync(e) => {
                let mut v = serde_json::to_value(e).unwrap_or_else(|_| json!({ "code": e.code() }));
                v["message"] = json!(e.to_string());
                v["retryable"] = json!(e.retryable());
                v
            }
            // The database's own message stays in the hub's log.
            HubError::Db(e) if !e.retryable() => {
                eprintln!("beacon-hub: database error: {e}");
                body(self.code(), "the hub failed to complete the request".into(), false)
            }
            HubError::LockedOut => body(self.code(), self.to_string(), true),
            _ => body(self.code(), self.to_string(), status.is_server_error()),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn body(code: &str, message: String, retryable: bool) -> serde_json::Value {
    serde_json::to_value(ErrorBody { code: code.into(), message, retryable })
        .unwrap_or_else(|_| json!({ "code": code }))
}
