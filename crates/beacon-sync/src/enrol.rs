//! Enrolling a desktop: a person signs in to the hub once, with their user
//! name and password, and the hub gives the desktop a device token bound to
//! them. What the token may receive and push follows that person's role.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/enrol`: no token; the person's password instead.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrolRequest {
    pub user: String,
    pub password: String,
    /// What the desktop is called (1–64 of a-z, 0-9, '.', '_', '-'), to
    /// tell its token from the person's others.
    pub device_name: String,
}

// The password never reaches a log line.
impl std::fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolRequest").field("user", &self.user).field("device_name", &self.device_name).finish()
    }
}

/// The device token (shown this once) and what it may do.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrolResponse {
    pub token: String,
    /// The name the hub lists the token by (and an operator revokes it by).
    pub token_name: String,
    /// The person's role: dispatcher, task_force or supervisor.
    pub role: String,
    /// What the desktop receives: all, or responder:ID for a task-force member.
    pub scope: String,
}

impl std::fmt::Debug for EnrolResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolResponse")
            .field("token_name", &self.token_name)
            .field("role", &self.role)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
