use beacon_api::ApiError;
use serde::Serialize;

/// An error as the window receives it: a stable code, the message in plain
/// words, and the field it is about (when it is about one) so the UI can put
/// it next to what caused it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UiError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    /// The field as people read it ("Location zip"), to start the message with.
    pub field_label: Option<String>,
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        let field = match &e {
            ApiError::Invalid { error, .. } if !error.field.is_empty() => Some(error.field.clone()),
            _ => None,
        };
        let message = match &e {
            ApiError::Invalid { error, .. } => error.problem.clone(),
            _ => e.to_string(),
        };
        let field_label = field.as_deref().map(beacon_api::domain::sharing::label);
        UiError { code: e.code().to_string(), message, field, field_label }
    }
}
