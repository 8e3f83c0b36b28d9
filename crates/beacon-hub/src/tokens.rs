//! Tokens: made once, shown once, stored only as a SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every token starts with this, so one pasted into the wrong place is
/// recognisable (and secret scanners can find it).
pub const PREFIX: &str = "bkn_";

/// A new random token (256 bits).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut out = String::from(PREFIX);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What the hub stores of a token. Tokens carry 256 random bits, so a
/// plain SHA-256 is enough: there is nothing to guess that a slow hash
/// would protect.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_apart() {
        let (a, b) = (generate(), generate());
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_ne!(a, b);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&a));
    }
}
