//! What a person types to name a case, and the one case it names.
//!
//! An identifier must never quietly name a different case than the one a
//! person means, because the next thing they do (a handoff) acts on it:
//! - a full case id or an external id that matches exactly wins over any
//!   short id; when it matches several cases, nothing is chosen and every
//!   candidate is listed;
//! - a short id (the start of a case id) must have at least
//!   [`MIN_ID_PREFIX`] characters, and is refused with every candidate
//!   listed when it matches more than one case.

use beacon_domain::CaseId;

use crate::{ApiError, Beacon};

/// Fewest hex digits of a case id accepted as a short id. Screens show
/// eight; six keep the chance that two cases share a prefix small (one in
/// sixteen million per pair) and refuse the two or three digits a person
/// might type by accident.
pub const MIN_ID_PREFIX: usize = 6;

impl Beacon {
    /// The one case `ident` (a full or short case id, or an external id) names.
    pub fn resolve(&self, ident: &str) -> Result<CaseId, ApiError> {
        let ident = ident.trim();
        if ident.is_empty() {
            return Err(ApiError::invalid("case", "id", "is empty: type a case id or the referral's external id"));
        }
        let exact = self.store().cases_named(ident)?;
        if exact.len() > 1 {
            return Err(ApiError::Ambiguous { id: ident.to_string(), candidates: exact });
        }
        if let Some(one) = exact.first() {
            return Ok(one.id);
        }
        let not_found = || ApiError::NotFound { what: "case", id: ident.to_string() };
        if !ident.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(not_found());
        }
        if ident.chars().filter(char::is_ascii_hexdigit).count() < MIN_ID_PREFIX {
            return Err(ApiError::invalid(
                format!("case `{ident}`"),
                "id",
                format!("no external id matches, and a short id needs at least {MIN_ID_PREFIX} characters"),
            ));
        }
        let mut found = self.store().cases_with_id_prefix(ident)?;
        match found.len() {
            0 => Err(not_found()),
            1 => Ok(found.remove(0).id),
            _ => Err(ApiError::Ambiguous { id: ident.to_string(), candidates: found }),
        }
    }
}
