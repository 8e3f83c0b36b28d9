use thiserror::Error;

/// A database failure. Says whether trying again can help.
#[derive(Debug, Error)]
pub enum HubDbError {
    /// The database cannot be reached or is busy: try again later.
    #[error("the hub database is unavailable: {0}")]
    Unavailable(String),
    /// A token name already in use.
    #[error("a token named {0:?} exists already")]
    NameTaken(String),
    /// The key given does not open the database (or none was given for an
    /// encrypted one, or one was given for a plain one).
    #[error("{}", if *encrypted {
        "this key does not open the hub database (it is not this database's key, or the database is not encrypted)"
    } else {
        "the hub database is encrypted: give its key (--db-key-file or BEACON_HUB_DB_KEY)"
    })]
    WrongKey { encrypted: bool },
    /// What the database holds breaks the hub's rules.
    #[error("the hub database is inconsistent: {0}")]
    Corrupt(String),
}

impl HubDbError {
    pub fn retryable(&self) -> bool {
        matches!(self, HubDbError::Unavailable(_))
    }
}

impl From<rusqlite::Error> for HubDbError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                HubDbError::Unavailable(e.to_string())
            }
            _ => HubDbError::Corrupt(e.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for HubDbError {
    fn from(e: tokio::task::JoinError) -> Self {
        HubDbError::Unavailable(format!("database task failed: {e}"))
    }
}
