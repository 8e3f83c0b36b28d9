use beacon_domain::{FieldError, RecordError, TransitionError};
use beacon_store::StoreError;

/// Everything an operation can refuse or fail with. Each variant has a stable
/// [`ApiError::code`] the UI and scripts can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{what}: {error}")]
    Invalid { what: String, error: FieldError },
    #[error("{} record(s) rejected", .0.len())]
    Rejected(Vec<RecordError>),
    #[error("no {what} matches `{id}`")]
    NotFound { what: &'static str, id: String },
    #[error("`{id}` could mean {} cases: {}; type the full case id", .candidates.len(), list(.candidates))]
    Ambiguous { id: String, candidates: Vec<beacon_store::CaseMatch> },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("{0}")]
    Refused(String),
    /// The cause is printed here and not also reported as `source()`, so the
    /// command line, which prints the chain, says it once.
    #[error("could not read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Layer(#[from] beacon_geo::GeoError),
}

impl ApiError {
    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid_input",
            ApiError::Rejected(_) => "records_rejected",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Ambiguous { .. } => "ambiguous_id",
            ApiError::Transition(_) => "invalid_transition",
            ApiError::Refused(_) => "refused",
            ApiError::Io { .. } => "io",
            ApiError::Store(StoreError::Busy) => "store_busy",
            ApiError::Store(StoreError::TooNew { .. }) => "store_too_new",
            ApiError::Store(StoreError::NotBeacon { .. }) => "not_a_store",
            ApiError::Store(StoreError::ReadOnly { .. } | StoreError::NeedsWrite { .. }) => "store_read_only",
            ApiError::Store(_) => "store",
            ApiError::Layer(_) => "invalid_layer",
        }
    }

    /// The person asked for something that cannot be done as asked (bad input,
    /// unknown id, illegal transition): exit code 2 on the command line.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            ApiError::Invalid { .. }
                | ApiError::Rejected(_)
                | ApiError::NotFound { .. }
                | ApiError::Ambiguous { .. }
                | ApiError::Transition(_)
                | ApiError::Refused(_)
                | ApiError::Layer(_)
        )
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ApiError::Store(e) if e.is_retryable())
    }

    pub(crate) fn invalid(what: impl Into<String>, field: &str, problem: impl Into<String>) -> Self {
        ApiError::Invalid { what: what.into(), error: FieldError::new(field, problem) }
    }
}

fn list(candidates: &[beacon_store::CaseMatch]) -> String {
    candidates.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl From<beacon_geo::LayerError> for ApiError {
    fn from(e: beacon_geo::LayerError) -> Self {
        ApiError::Layer(e.into())
    }
}

impl From<beacon_geo::TableError> for ApiError {
    fn from(e: beacon_geo::TableError) -> Self {
        ApiError::Layer(e.into())
    }
}
