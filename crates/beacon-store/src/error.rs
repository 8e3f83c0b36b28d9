use beacon_domain::{CaseId, TransitionError};
use std::path::{Path, PathBuf};

/// Why the store failed. Each message states its cause once: a variant that
/// wraps another error prints it in its own message and does not also
/// report it as its `source()` (the `cause` fields are not named `source`),
/// because `rusqlite::Error`'s own chain repeats the same words
/// ("file is not a database: file is not a database: Error code 26 …")
/// and the command line prints the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the store at {path}: {cause}")]
    Open { path: PathBuf, cause: rusqlite::Error },
    #[error("could not {action} {path}: {cause}")]
    Io { action: &'static str, path: PathBuf, cause: std::io::Error },
    #[error("{path} is not a Beacon store: it holds another application's data, and was left unchanged")]
    NotBeacon { path: PathBuf },
    /// An encrypted store and a key that does not open it (or no key).
    #[error("the store at {path} is encrypted and this key does not open it")]
    WrongKey { path: PathBuf },
    #[error("a store key is 32 bytes written as SQLCipher's x'…' (64 hexadecimal digits)")]
    BadKey,
    #[error("the store was written by a newer Beacon (schema {found}, this one knows up to {known}); upgrade Beacon")]
    TooNew { found: i64, known: i64 },
    #[error("the store at {path} is read-only: it can be read but not changed")]
    ReadOnly { path: PathBuf },
    /// A store that cannot be used without changing it, which this process may not do.
    #[error("the store at {path} {why}")]
    NeedsWrite { path: PathBuf, why: String },
    #[error("the store is busy: another Beacon is writing; try again")]
    Busy,
    #[error("the store is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored JSON could not be read ({what}): {cause}")]
    Json { what: &'static str, cause: serde_json::Error },
    /// The event asks the case for a change its state machine refuses.
    #[error("case {}: {error}", .case.short())]
    Transition { case: CaseId, error: TransitionError },
    /// The event acknowledges a handoff that is not waiting (acknowledged,
    /// withdrawn, or not the case's).
    #[error("case {}: that handoff is not waiting for acknowledgement", .case.short())]
    HandoffNotWaiting { case: CaseId },
}

impl StoreError {
    pub(crate) fn open(path: &Path, cause: rusqlite::Error) -> Self {
        StoreError::Open { path: path.to_path_buf(), cause }
    }

    pub(crate) fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
        move |cause| StoreError::Json { what, cause }
    }

    /// Whether trying the same thing again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Busy)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::Sqlite(e),
        }
    }
}
