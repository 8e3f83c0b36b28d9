//! Signing in to a Beacon store, without a network.
//!
//! A store has a random **data key** (what SQLCipher encrypts the store
//! with). Beside the store sits its key file (`<store>.keys`): the data key
//! wrapped under a random **master key**, and the master key wrapped once
//! per person under a key derived from their password with Argon2id, and
//! once under the **recovery key** printed when the store was created. So:
//!
//! - signing in is unwrapping: a wrong password fails the AEAD tag, and no
//!   password hash is kept anywhere to attack but Argon2id's own cost;
//! - a password change re-wraps one small key, not the store;
//! - rotating the data key (`beacon rekey`) re-wraps it under the master
//!   key and touches no one's password;
//! - failed attempts are counted in the key file (it must be writable
//!   before anyone has signed in) and lock the name for a while.
//!
//! Roles, the responder a person is and whether they are disabled live in
//! the store itself, which only a signed-in person can read.
#![forbid(unsafe_code)]

mod crypto;
mod error;
mod keyfile;
mod lockout;
mod names;
mod verifier;

pub use crypto::{DataKey, RecoveryKey};
pub use error::AuthError;
pub use keyfile::{KeyFile, Person, Unlocked};
pub use lockout::Lockout;
pub use names::{MIN_PASSWORD_CHARS, RECOVERY_USER, check_password, check_user_name, generate_password};
pub use verifier::{password_matches, password_verifier, spend_like_a_check};
pub use zeroize::Zeroizing;
