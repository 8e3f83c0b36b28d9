//! Checking a password where nothing is to be unwrapped (the hub's
//! accounts): Argon2id, as for a store's key file, keeping the salt, the
//! cost and a SHA-256 of what the password derives.

use crate::crypto::Kdf;
use crate::{AuthError, check_password};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Serialize, Deserialize)]
struct Verifier {
    kdf: Kdf,
    #[serde(with = "hex32")]
    check: [u8; 32],
}

/// What to keep of `password` to check it later: a JSON text holding no
/// secret but Argon2id's own cost to attack.
pub fn password_verifier(password: &str) -> Result<String, AuthError> {
    check_password(password)?;
    let kdf = Kdf::fresh();
    let check = digest(&kdf, password).ok_or_else(|| AuthError::Invalid("password".into()))?;
    Ok(serde_json::to_string(&Verifier { kdf, check }).expect("a verifier serialises"))
}

/// Whether `password` is the one `verifier` was made from. A damaged
/// verifier matches nothing.
pub fn password_matches(verifier: &str, password: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Verifier>(verifier) else { return false };
    let Some(check) = digest(&v.kdf, password) else { return false };
    // Every byte compared, whatever the first difference.
    check.iter().zip(v.check.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// What a wrong user name costs: the same work as a wrong password.
pub fn spend_like_a_check(password: &str) {
    let _ = digest(&Kdf::fresh(), password);
}

fn digest(kdf: &Kdf, password: &str) -> Option<[u8; 32]> {
    let key = kdf.derive(password).ok()?;
    Some(Sha256::digest(key.as_ref()).into())
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; 32];
        if text.len() != 64 {
            return Err(serde::de::Error::custom("64 hexadecimal digits"));
        }
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(serde::de::Error::custom)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_matches_its_password_only() {
        let v = password_verifier("the hub password").unwrap();
        assert!(password_matches(&v, "the hub password"));
        assert!(!password_matches(&v, "the hub passworD"));
        assert!(!v.contains("the hub password"));
        assert_ne!(v, password_verifier("the hub password").unwrap(), "salted");
        assert!(!password_matches("{}", "the hub password"));
        assert!(password_verifier("short").is_err());
    }
}
