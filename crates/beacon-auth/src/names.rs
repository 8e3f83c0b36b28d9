//! What a user name and a password must be.

use crate::AuthError;
use rand::Rng;

/// The shortest password Beacon takes (CJIS asks at least eight characters).
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;

/// Who acts when the recovery key opened a store; nobody else may take the name.
pub const RECOVERY_USER: &str = "recovery";

/// A user name: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
/// Names are compared as typed, so they are lower case only.
pub fn check_user_name(name: &str) -> Result<(), AuthError> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(ok_char)
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if name == RECOVERY_USER {
        return Err(AuthError::Invalid(format!("user name: '{RECOVERY_USER}' is kept for the recovery key")));
    }
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(
            "user name: 1–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit".into(),
        ))
    }
}

/// A password: at least [`MIN_PASSWORD_CHARS`] characters, at most 1 KiB.
pub fn check_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::Invalid(format!("password: at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::Invalid("password: at most 1024 bytes".into()));
    }
    Ok(())
}

/// A password to print once (the demo's, a reset's): four groups of four
/// letters and digits without look-alikes, about 80 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let groups: Vec<String> =
        (0..4).map(|_| (0..4).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()).collect();
    groups.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_lower_case_words() {
        for good in ["admin", "j.smith", "taskforce", "d-2", "7troop"] {
            assert!(check_user_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Admin", "a b", "-x", "ölaf", &"x".repeat(65), "a/b"] {
            assert!(check_user_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_floor_and_a_ceiling_and_never_appear_in_the_error() {
        let err = check_password("short-pw").unwrap_err().to_string();
        assert!(!err.contains("short-pw"));
        assert!(check_password("long enough pass").is_ok());
        assert!(check_password(&"x".repeat(1025)).is_err());
        let generated = generate_password();
        assert!(check_password(&generated).is_ok(), "{generated}");
        assert_ne!(generated, generate_password());
    }
}
