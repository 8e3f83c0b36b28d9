//! The key file on a real disk: signing in, lockout, people coming and
//! going, the recovery key.

use beacon_auth::{AuthError, KeyFile, Lockout, RecoveryKey};
use chrono::{Duration, Utc};

const ADMIN_PW: &str = "first admin password";

fn fresh() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = KeyFile::beside(&dir.path().join("beacon.sqlite3"));
    (dir, path)
}

#[test]
fn everyone_who_signs_in_gets_the_same_data_key_and_nobody_else_does() {
    let (_dir, path) = fresh();
    assert_eq!(path.file_name().unwrap(), "beacon.sqlite3.keys");
    let (mut file, admin, recovery) = KeyFile::create(&path, "admin", ADMIN_PW).unwrap();
    file.add(&admin, "dana", "dispatcher password").unwrap();

    let mut reread = KeyFile::load(&path).unwrap();
    let dana = reread.sign_in("dana", "dispatcher password", Utc::now()).unwrap();
    assert_eq!(dana.person(), "dana");
    assert_eq!(dana.data_key().fingerprint(), admin.data_key().fingerprint());
    let recovered = reread.recover(&RecoveryKey::parse(&recovery.as_str().to_lowercase())).unwrap();
    assert_eq!(recovered.data_key().fingerprint(), admin.data_key().fingerprint());

    assert!(matches!(reread.sign_in("dana", "dispatcher passworD", Utc::now()), Err(AuthError::WrongPassword)));
    assert!(matches!(reread.sign_in("nobody", "dispatcher password", Utc::now()), Err(AuthError::WrongPassword)));
    assert!(matches!(reread.recover(&RecoveryKey::parse("AAAA-BBBB")), Err(AuthError::WrongRecoveryKey)));
    assert!(matches!(file.add(&admin, "dana", "another password"), Err(AuthError::Exists(_))));
    assert!(KeyFile::create(&path, "admin", ADMIN_PW).is_err(), "never replaces a key file");

    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [ADMIN_PW, "dispatcher password", recovery.as_str()] {
        assert!(!text.contains(secret), "the key file holds no password or recovery key");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn five_wrong_passwords_lock_the_name_until_the_time_is_up_or_an_admin_unlocks_it() {
    let (_dir, path) = fresh();
    let (mut file, admin, _) = KeyFile::create(&path, "admin", ADMIN_PW).unwrap();
    file.add(&admin, "dana", "dispatcher password").unwrap();
    let now = Utc::now();
    for attempt in 1..=4 {
        assert!(matches!(file.sign_in("dana", "guess", now), Err(AuthError::WrongPassword)), "attempt {attempt}");
    }
    // The count survives a restart: it is in the file, not in memory.
    let mut file = KeyFile::load(&path).unwrap();
    assert_eq!(file.people().iter().find(|p| p.name == "dana").unwrap().failures, 4);
    let Err(AuthError::LockedOut { until, .. }) = file.sign_in("dana", "guess", now) else { panic!("fifth locks") };
    assert_eq!(until, now + Duration::minutes(10));
    // Locked: even the right password is refused, and the admin is not affected.
    assert!(matches!(file.sign_in("dana", "dispatcher password", now), Err(AuthError::LockedOut { .. })));
    file.sign_in("admin", ADMIN_PW, now).unwrap();
    // After the time is up the right password works and clears the count.
    file.sign_in("dana", "dispatcher password", until + Duration::seconds(1)).unwrap();
    assert_eq!(file.people().iter().find(|p| p.name == "dana").unwrap().failures, 0);

    // A configured rule, and an admin's unlock.
    file.set_lockout(Lockout { after_failures: 2, minutes: 60 }).unwrap();
    file.sign_in("dana", "guess", now).unwrap_err();
    assert!(matches!(file.sign_in("dana", "guess", now), Err(AuthError::LockedOut { .. })));
    file.unlock("dana").unwrap();
    file.sign_in("dana", "dispatcher password", now).unwrap();
}

#[test]
fn a_removed_person_cannot_sign_in_and_a_new_password_replaces_the_old() {
    let (_dir, path) = fresh();
    let (mut file, admin, _) = KeyFile::create(&path, "admin", ADMIN_PW).unwrap();
    file.add(&admin, "dana", "dispatcher password").unwrap();
    file.set_password(&admin, "dana", "a new password here").unwrap();
    assert!(file.sign_in("dana", "dispatcher password", Utc::now()).is_err());
    file.sign_in("dana", "a new password here", Utc::now()).unwrap();
    assert!(file.remove("dana").unwrap());
    assert!(!file.can_sign_in("dana"));
    assert!(matches!(file.sign_in("dana", "a new password here", Utc::now()), Err(AuthError::WrongPassword)));
    assert!(matches!(file.add(&admin, "Dana", "dispatcher password"), Err(AuthError::Invalid(_))));
    assert!(matches!(file.add(&admin, "erin", "short"), Err(AuthError::Invalid(_))));
}

#[test]
fn an_entry_copied_to_another_name_does_not_open() {
    let (_dir, path) = fresh();
    let (mut file, admin, _) = KeyFile::create(&path, "admin", ADMIN_PW).unwrap();
    file.add(&admin, "dana", "dispatcher password").unwrap();
    drop(file);
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let dana = doc["people"]["dana"].clone();
    doc["people"]["admin"] = dana;
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let mut file = KeyFile::load(&path).unwrap();
    assert!(file.sign_in("admin", "dispatcher password", Utc::now()).is_err(), "dana's password is not admin's");
    std::fs::write(&path, b"{\"format\":\"something else\"}").unwrap();
    assert!(matches!(KeyFile::load(&path), Err(AuthError::Damaged { .. })));
}
