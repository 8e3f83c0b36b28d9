//! The link in a handoff's mail and webhook: it lets the responder it was
//! sent to acknowledge that one handoff, and report on scene, without
//! signing in, until it expires.
//!
//! A link is `/ack/<token>`, the token the base64url of the handoff id (16
//! bytes), the expiry (unix seconds, 8 bytes) and an HMAC-SHA256 of both
//! under a key only the hub holds ([`beacon_hub_db::HubDb::hub_secret`]),
//! cut to 16 bytes. Nobody can make one for another handoff, or move its
//! expiry, without the key; the hub keeps nothing per link, so a link made
//! by one hub process works on every other.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use beacon_domain::HandoffId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the link key among the hub's secrets.
pub const KEY_NAME: &str = "ack-link";

/// How long a link works after it is sent.
pub const LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

const DOMAIN: &[u8] = b"beacon.ack-link.v1";
const MAC_LEN: usize = 16;
const TOKEN_LEN: usize = 16 + 8 + MAC_LEN;

fn mac(key: &[u8; 32], handoff: &HandoffId, expires_s: i64) -> [u8; MAC_LEN] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a 32-byte key");
    mac.update(DOMAIN);
    mac.update(handoff.0.as_bytes());
    mac.update(&expires_s.to_be_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// A token for `handoff`, good until `expires_ms`.
pub fn token(key: &[u8; 32], handoff: HandoffId, expires_ms: i64) -> String {
    let expires_s = expires_ms / 1000;
    let mut bytes = Vec::with_capacity(TOKEN_LEN);
    bytes.extend_from_slice(handoff.0.as_bytes());
    bytes.extend_from_slice(&expires_s.to_be_bytes());
    bytes.extend_from_slice(&mac(key, &handoff, expires_s));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The address a responder opens: `public_url` + `/ack/` + a token made now.
pub fn url(public_url: &str, key: &[u8; 32], handoff: HandoffId, now_ms: i64) -> String {
    format!("{}/ack/{}", public_url.trim_end_matches('/'), token(key, handoff, now_ms + LIFETIME_MS))
}

/// Why a token was refused (the page says which, and nothing more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a token this hub made.
    Invalid,
    Expired,
}

/// The handoff a token is for, if the hub made it and it has not expired.
pub fn check(key: &[u8; 32], token: &str, now_ms: i64) -> Result<HandoffId, Refused> {
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| Refused::Invalid)?;
    if bytes.len() != TOKEN_LEN {
        return Err(Refused::Invalid);
    }
    let handoff = HandoffId(uuid::Uuid::from_slice(&bytes[..16]).map_err(|_| Refused::Invalid)?);
    let expires_s = i64::from_be_bytes(bytes[16..24].try_into().map_err(|_| Refused::Invalid)?);
    let expected = mac(key, &handoff, expires_s);
    // Constant time: the comparison must not tell how much of a guess was right.
    let same = expected.iter().zip(&bytes[24..]).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same {
        return Err(Refused::Invalid);
    }
    if now_ms / 1000 > expires_s {
        return Err(Refused::Expired);
    }
    Ok(handoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_own_handoff_until_it_expires_and_nothing_else() {
        let key = [7u8; 32];
        let handoff = HandoffId(uuid::Uuid::now_v7());
        let t = token(&key, handoff, 10_000_000);
        assert_eq!(check(&key, &t, 9_000_000), Ok(handoff));
        assert_eq!(check(&key, &t, 10_001_000), Err(Refused::Expired));
        assert_eq!(check(&[8u8; 32], &t, 9_000_000), Err(Refused::Invalid), "another hub's key");
        // Another handoff's id in the same token, or a later expiry: refused.
        let mut bytes = URL_SAFE_NO_PAD.decode(&t).unwrap();
        bytes[3] ^= 1;
        assert_eq!(check(&key, &URL_SAFE_NO_PAD.encode(&bytes), 9_000_000), Err(Refused::Invalid));
        let mut bytes = URL_SAFE_NO_PAD.decode(&t).unwrap();
        bytes[23] ^= 1;
        assert_eq!(check(&key, &URL_SAFE_NO_PAD.encode(&bytes), 9_000_000), Err(Refused::Invalid));
        assert_eq!(check(&key, "not-a-token", 0), Err(Refused::Invalid));
        assert_eq!(check(&key, &t[..t.len() - 2], 0), Err(Refused::Invalid));
    }
}
