//! Token records: who may call the hub, and what they may see.

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
