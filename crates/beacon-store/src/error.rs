use beacon_domain::{CaseId, TransitionError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the store at {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("could not create {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the store was written by a newer Beacon (schema {found}, this one knows up to {known}); upgrade Beacon")]
    TooNew { found: i64, known: i64 },
    #[error("the store is busy: another Beacon is writing; try again")]
    Busy,
    #[error("the store is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored JSON could not be read ({what}): {source}")]
    Json { what: &'static str, source: serde_json::Error },
    /// The event asks the case for a change its state machine refuses.
    #[error("case {}: {error}", .case.short())]
    Transition { case: CaseId, error: TransitionError },
    /// The event acknowledges a handoff that is not waiting (acknowledged,
    /// withdrawn, or not the case's).
    #[error("case {}: that handoff is not waiting for acknowledgement", .case.short())]
    HandoffNotWaiting { case: CaseId },
}

impl StoreError {
    pub(crate) fn open(path: &Path, source: rusqlite::Error) -> Self {
        StoreError::Open { path: path.to_path_buf(), source }
    }

    pub(crate) fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
        move |source| StoreError::Json { what, source }
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
