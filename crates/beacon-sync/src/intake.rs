//! What `POST /v1/referrals` answers.

use beacon_domain::CaseId;
use serde::{Deserialize, Serialize};

/// One referral taken in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntakeOutcome {
    /// Position in the request (0 for a single referral).
    pub index: usize,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    /// False when the hub already had this `source` + `external_id`: nothing was stored.
    pub created: bool,
}

/// One referral refused. Names the field, never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rejection {
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// The whole answer: 201 when something was created, 200 when every
/// referral was already known, 422 when none could be taken.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntakeReport {
    pub accepted: Vec<IntakeOutcome>,
    pub rejected: Vec<Rejection>,
}
