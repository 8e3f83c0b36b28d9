//! The few primitives the key file is made of: Argon2id to turn a password
//! into a key, XChaCha20-Poly1305 to wrap one key under another.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

pub(crate) type Key = Zeroizing<[u8; 32]>;

pub(crate) fn random_key() -> Key {
    let mut k = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(k.as_mut());
    k
}

/// How a password became a key: Argon2id with its salt and costs, kept per
/// person so the costs can be raised for new passwords without breaking old.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Kdf {
    #[serde(with = "b64")]
    salt: Vec<u8>,
    m_kib: u32,
    t: u32,
    p: u32,
}

impl Kdf {
    /// OWASP's first Argon2id choice: 19 MiB, two passes, one lane (about
    /// 50 ms on a laptop core).
    pub(crate) fn fresh() -> Kdf {
        let mut salt = vec![0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        Kdf { salt, m_kib: 19 * 1024, t: 2, p: 1 }
    }

    pub(crate) fn derive(&self, password: &str) -> Result<Key, String> {
        let params = Params::new(self.m_kib, self.t, self.p, Some(32)).map_err(|e| e.to_string())?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(password.as_bytes(), &self.salt, out.as_mut())
            .map_err(|e| e.to_string())?;
        Ok(out)
    }
}

/// A key wrapped under another: the nonce and the ciphertext with its tag.
/// The associated data (whose key this is) is not stored: the reader must
/// know it, so an entry moved to another name no longer opens.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Sealed {
    #[serde(with = "b64")]
    nonce: Vec<u8>,
    #[serde(with = "b64")]
    sealed: Vec<u8>,
}

pub(crate) fn seal(under: &Key, secret: &Key, context: &str) -> Sealed {
    let mut nonce = vec![0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(under.as_ref().into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret.as_ref(), aad: context.as_bytes() })
        .expect("XChaCha20-Poly1305 encrypts any 32 bytes");
    Sealed { nonce, sealed }
}

/// The wrapped key, or `None` when `under` is the wrong key (or the entry
/// was altered).
pub(crate) fn open(under: &Key, sealed: &Sealed, context: &str) -> Option<Key> {
    if sealed.nonce.len() != 24 {
        return None;
    }
    let cipher = XChaCha20Poly1305::new(under.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&sealed.nonce), Payload { msg: &sealed.sealed, aad: context.as_bytes() })
            .ok()?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return None;
    }
    key.copy_from_slice(&plain);
    Some(key)
}

/// The key the store's file is encrypted with. Shown to nobody; handed to
/// the store as SQLCipher's raw key.
pub struct DataKey(pub(crate) Key);

impl DataKey {
    /// A fresh random data key (a new store, or `beacon rekey`).
    pub fn generate() -> DataKey {
        DataKey(random_key())
    }

    /// SQLCipher's raw-key form, `x'…'` (64 hex digits), for `PRAGMA key`.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(67));
        s.push_str("x'");
        for b in self.0.iter() {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\'');
        s
    }

    /// A fingerprint to tell two keys apart in tests and logs without
    /// revealing either.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_ref());
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({})", self.fingerprint())
    }
}

/// The recovery key: 160 random bits, written as eight groups of four
/// letters and digits. Printed once, when the store is made; it opens the
/// store when every admin has forgotten their password.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryKey(Zeroizing<String>);

const RECOVERY_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl RecoveryKey {
    pub(crate) fn generate() -> RecoveryKey {
        let mut bytes = Zeroizing::new([0u8; 20]);
        rand::rng().fill_bytes(bytes.as_mut());
        // 20 bytes = 160 bits = 32 five-bit symbols.
        let mut text = Zeroizing::new(String::with_capacity(39));
        let mut acc: u32 = 0;
        let mut bits = 0;
        let mut symbols = 0;
        for b in bytes.iter() {
            acc = (acc << 8) | u32::from(*b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                if symbols > 0 && symbols % 4 == 0 {
                    text.push('-');
                }
                text.push(RECOVERY_ALPHABET[((acc >> bits) & 31) as usize] as char);
                symbols += 1;
            }
        }
        RecoveryKey(text)
    }

    /// The key as typed back: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> RecoveryKey {
        let cleaned: String =
            text.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
        let mut out = Zeroizing::new(String::new());
        for (i, c) in cleaned.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        RecoveryKey(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that wraps the master key: the recovery key is random and
    /// long, so a hash (not a slow KDF) is enough.
    pub(crate) fn wrapping_key(&self) -> Key {
        let mut h = Sha256::new();
        h.update(b"beacon recovery key v1\0");
        h.update(self.0.as_bytes());
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&h.finalize());
        k
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(…)")
    }
}

mod b64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        B64.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_opens_only_under_its_key_and_its_context() {
        let (under, secret) = (random_key(), random_key());
        let sealed = seal(&under, &secret, "user:ann");
        assert_eq!(open(&under, &sealed, "user:ann").as_deref(), Some(&*secret));
        assert!(open(&under, &sealed, "user:bob").is_none(), "moved to another name");
        assert!(open(&random_key(), &sealed, "user:ann").is_none(), "wrong key");
        let mut tampered = sealed.clone();
        tampered.sealed[0] ^= 1;
        assert!(open(&under, &tampered, "user:ann").is_none(), "altered");
    }

    #[test]
    fn a_password_derives_the_same_key_with_its_salt_only() {
        let kdf = Kdf::fresh();
        assert_eq!(*kdf.derive("correct horse").unwrap(), *kdf.derive("correct horse").unwrap());
        assert_ne!(*kdf.derive("correct horse").unwrap(), *kdf.derive("correct horsf").unwrap());
        assert_ne!(*kdf.derive("correct horse").unwrap(), *Kdf::fresh().derive("correct horse").unwrap());
    }

    #[test]
    fn a_recovery_key_reads_back_however_it_is_typed() {
        let key = RecoveryKey::generate();
        assert_eq!(key.as_str().len(), 39, "{}", key.as_str());
        let typed = key.as_str().to_lowercase().replace('-', " ");
        assert_eq!(*RecoveryKey::parse(&typed).wrapping_key(), *key.wrapping_key());
        assert!(!format!("{key:?}").contains(&key.as_str()[..4]));
    }
}
