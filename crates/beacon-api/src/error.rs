use beacon_domain::{Action, CaseId, FieldError, RecordError, TransitionError, UserRole};
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
    /// The case's state machine refuses the change (see [`beacon_domain::Change`]).
    #[error("case {} is `{}` and cannot go to `{}`{}", .case.short(), .error.from, .error.to, hint(.error))]
    Transition { case: CaseId, error: TransitionError },
    #[error("{0}")]
    Refused(String),
    /// Only a closed case is purged.
    #[error("case {} is not closed: close it before purging it", .case.short())]
    NotClosed { case: CaseId },
    /// The cause is printed here and not also reported as `source()`, so the
    /// command line, which prints the chain, says it once.
    #[error("could not read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Layer(#[from] beacon_geo::GeoError),
    /// The hub could not be reached (network, DNS, timeout): try again later.
    #[error("the hub could not be reached: {0}")]
    HubUnreachable(String),
    /// The hub answered with a refusal; `code` is the hub's stable code
    /// (`forked`, `bad_token`, `rate_limited`, …).
    #[error("the hub refused: {message}")]
    HubRefused { code: String, message: String, retryable: bool },
    /// The store has accounts and nobody has signed in.
    #[error("sign in first: this store has accounts (--user NAME, or BEACON_USER)")]
    SignInRequired,
    /// The person's role does not allow it ([`beacon_domain::access::may`]).
    #[error("{} may not {}", role_phrase(*.role), .action.describe())]
    Forbidden { role: UserRole, action: Action },
    /// A task-force member asked for a case not handed to them.
    #[error("case {} is not one of the cases handed to you", .case.short())]
    NotYourCase { case: CaseId },
    /// Signing in, or changing who can.
    #[error(transparent)]
    Auth(#[from] beacon_auth::AuthError),
}

fn role_phrase(role: UserRole) -> String {
    let label = role.label().to_lowercase();
    let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {label}")
}

impl ApiError {
    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid_input",
            ApiError::Rejected(_) => "records_rejected",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Ambiguous { .. } => "ambiguous_id",
            ApiError::Transition { .. } => "invalid_transition",
            ApiError::Refused(_) => "refused",
            ApiError::NotClosed { .. } => "case_not_closed",
            ApiError::Io { .. } => "io",
            ApiError::Store(StoreError::Busy) => "store_busy",
            ApiError::Store(StoreError::TooNew { .. }) => "store_too_new",
            ApiError::Store(StoreError::NotBeacon { .. }) => "not_a_store",
            ApiError::Store(StoreError::WrongKey { .. } | StoreError::BadKey) => "wrong_key",
            ApiError::Store(StoreError::ReadOnly { .. } | StoreError::NeedsWrite { .. }) => "store_read_only",
            ApiError::Store(_) => "store",
            ApiError::Layer(_) => "invalid_layer",
            ApiError::HubUnreachable(_) => "hub_unreachable",
            ApiError::HubRefused { .. } => "hub_refused",
            ApiError::SignInRequired => "sign_in_required",
            ApiError::Forbidden { .. } | ApiError::NotYourCase { .. } => "forbidden",
            ApiError::Auth(e) => e.code(),
        }
    }

    /// The person asked for something that cannot be done as asked (bad input,
    /// unknown id, illegal transition): exit code 2 on the command line.
    pub fn is_user_error(&self) -> bool {
        // The hub refusing who is asking (a wrong password, a role, a
        // disabled person) is for the person to mend, not a failure.
        if let ApiError::HubRefused { code, .. } = self {
            return matches!(
                code.as_str(),
                "wrong_password" | "locked_out" | "forbidden" | "invalid_input" | "user_disabled" | "wrong_role"
            );
        }
        matches!(
            self,
            ApiError::Invalid { .. }
                | ApiError::Rejected(_)
                | ApiError::NotFound { .. }
                | ApiError::Ambiguous { .. }
                | ApiError::Transition { .. }
                | ApiError::Refused(_)
                | ApiError::NotClosed { .. }
                | ApiError::Layer(_)
                | ApiError::SignInRequired
                | ApiError::Forbidden { .. }
                | ApiError::NotYourCase { .. }
                | ApiError::Auth(
                    beacon_auth::AuthError::WrongPassword
                        | beacon_auth::AuthError::LockedOut { .. }
                        | beacon_auth::AuthError::WrongRecoveryKey
                        | beacon_auth::AuthError::Invalid(_)
                        | beacon_auth::AuthError::Exists(_)
                        | beacon_auth::AuthError::NoSuchUser(_)
                )
        )
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Store(e) => e.is_retryable(),
            ApiError::HubUnreachable(_) => true,
            ApiError::HubRefused { retryable, .. } => *retryable,
            _ => false,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, field: &str, problem: impl Into<String>) -> Self {
        ApiError::Invalid { what: what.into(), error: FieldError::new(field, problem) }
    }
}

fn hint(error: &TransitionError) -> String {
    error.hint().map(|h| format!(" ({h})")).unwrap_or_default()
}

/// The store refuses an event the case's state machine refuses, whoever
/// appends it; such a refusal is the person's, like the API's own checks.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Transition { case, error } => ApiError::Transition { case, error },
            StoreError::HandoffNotWaiting { case } => {
                ApiError::Refused(format!("case {} has no handoff waiting for acknowledgement", case.short()))
            }
            e => ApiError::Store(e),
        }
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
