//! Token records: who may call the hub, and what they may see.

use beacon_domain::UserRole;
use std::fmt;
use std::str::FromStr;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenRole {
    /// Post referrals (the hotline's feed).
    Intake,
    /// Push and pull events (a desktop).
    Device,
    /// Read the hub's metrics and documents.
    Admin,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Intake => "intake",
            TokenRole::Device => "device",
            TokenRole::Admin => "admin",
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "intake" => Ok(TokenRole::Intake),
            "device" => Ok(TokenRole::Device),
            "admin" => Ok(TokenRole::Admin),
            _ => Err("a role is intake, device or admin".into()),
        }
    }
}

/// Which cases a device token's holder receives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TokenScope {
    All,
    /// One patrol troop's cases.
    Troop(String),
    /// The cases handed to one responder.
    Responder(String),
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenScope::All => f.write_str("all"),
            TokenScope::Troop(t) => write!(f, "troop:{t}"),
            TokenScope::Responder(r) => write!(f, "responder:{r}"),
        }
    }
}

impl FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || "a scope is all, troop:LETTER or responder:ID".to_string();
        match s.split_once(':') {
            None if s == "all" => Ok(TokenScope::All),
            Some(("troop", t)) if !t.is_empty() && t.len() <= 8 => Ok(TokenScope::Troop(t.to_string())),
            Some(("responder", r)) if !r.is_empty() && r.len() <= 128 => Ok(TokenScope::Responder(r.to_string())),
            _ => Err(bad()),
        }
    }
}

/// A stored token, without its secret (the hub keeps only a hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub role: TokenRole,
    pub scope: TokenScope,
    /// Unix ms.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The person a device token was enrolled for (none: made by an
    /// operator with `beacon-hub token create`).
    pub user: Option<TokenUser>,
}

/// The person behind an enrolled device's token, as the hub holds them now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUser {
    pub name: String,
    pub role: UserRole,
    pub disabled: bool,
}

/// A person who may enrol desktops with the hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubUser {
    pub name: String,
    pub role: UserRole,
    /// The roster's id of the responder a task-force member is.
    pub responder_id: Option<String>,
    /// What checks their password (`beacon_auth::password_verifier`).
    pub verifier: String,
    /// Failed enrolments in a row, and until when (unix ms) they are locked.
    pub failures: u32,
    pub locked_until: Option<i64>,
    /// Unix ms.
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

/// A token's columns, with its person's, as both backends read them.
pub(crate) const TOKEN_COLUMNS: &str =
    "SELECT t.name, t.role, t.scope, t.created_at, t.revoked_at, u.name, u.role, u.disabled_at
     FROM tokens t LEFT JOIN hub_users u ON u.name = t.user_name";

/// A person's columns, as both backends read them.
pub(crate) const USER_COLUMNS: &str =
    "SELECT name, role, responder_id, verifier, failures, locked_until, disabled_at, created_at FROM hub_users";

/// Parse what a row says of a role.
pub(crate) fn user_role(text: &str, whose: &str) -> Result<UserRole, crate::HubDbError> {
    text.parse().map_err(|_| crate::HubDbError::Corrupt(format!("user {whose:?} has an unknown role")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_read_back_what_they_print() {
        for role in [TokenRole::Intake, TokenRole::Device, TokenRole::Admin] {
            assert_eq!(role.to_string().parse::<TokenRole>(), Ok(role));
        }
        for scope in [TokenScope::All, TokenScope::Troop("C".into()), TokenScope::Responder("T-12".into())] {
            assert_eq!(scope.to_string().parse::<TokenScope>(), Ok(scope));
        }
        for bad in ["", "troop:", "county:5", "everything", "responder:"] {
            assert!(bad.parse::<TokenScope>().is_err(), "{bad}");
        }
        assert!("root".parse::<TokenRole>().is_err());
    }
}
