use chrono::{DateTime, Utc};

/// Why signing in or changing the key file failed. Messages never carry a
/// password, and a wrong name reads the same as a wrong password.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong user name or password")]
    WrongPassword,
    #[error("{user} is locked after too many failed sign-ins until {until} (UTC), or until an admin unlocks it")]
    LockedOut { user: String, until: DateTime<Utc> },
    #[error("the recovery key does not open this store")]
    WrongRecoveryKey,
    #[error("{0}")]
    Invalid(String),
    #[error("there is already a person called {0}")]
    Exists(String),
    #[error("nobody called {0} can sign in to this store")]
    NoSuchUser(String),
    #[error("the key file {path} is damaged or not Beacon's: {why}")]
    Damaged { path: String, why: String },
    #[error("could not {doing} {path}: {cause}")]
    Io { doing: &'static str, path: String, cause: std::io::Error },
}

impl AuthError {
    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::WrongPassword => "wrong_password",
            AuthError::LockedOut { .. } => "locked_out",
            AuthError::WrongRecoveryKey => "wrong_recovery_key",
            AuthError::Invalid(_) => "invalid_input",
            AuthError::Exists(_) => "exists",
            AuthError::NoSuchUser(_) => "not_found",
            AuthError::Damaged { .. } => "key_file_damaged",
            AuthError::Io { .. } => "io",
        }
    }
}
