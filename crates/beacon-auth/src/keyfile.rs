//! The key file beside a store: who can sign in, each person's wrapped
//! master key, the recovery key's, the data key under the master key, and
//! the failed attempts that lock a name.

use crate::crypto::{self, DataKey, Kdf, Key, RecoveryKey, Sealed};
use crate::{AuthError, Lockout, check_password, check_user_name};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const FORMAT: &str = "beacon-keys";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Doc {
    format: String,
    version: u32,
    #[serde(default)]
    lockout: Lockout,
    /// The data key, under the master key.
    data_key: Sealed,
    /// The master key, under the recovery key.
    recovery: Sealed,
    people: BTreeMap<String, Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    kdf: Kdf,
    /// The master key, under the key this person's password derives.
    master: Sealed,
    #[serde(default)]
    failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locked_until: Option<DateTime<Utc>>,
}

/// A person who can sign in, as the key file knows them (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: String,
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// What signing in yields: who, and the keys. Dropped, the keys are zeroed.
pub struct Unlocked {
    person: String,
    master: Key,
    data: DataKey,
}

impl Unlocked {
    /// The name signed in, or `recovery` when the recovery key opened it.
    pub fn person(&self) -> &str {
        &self.person
    }

    pub fn data_key(&self) -> &DataKey {
        &self.data
    }
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked").field("person", &self.person).field("data", &self.data).finish_non_exhaustive()
    }
}

/// The key file of one store.
#[derive(Debug)]
pub struct KeyFile {
    path: PathBuf,
    doc: Doc,
}

fn person_context(name: &str) -> String {
    format!("person:{name}")
}
const DATA_CONTEXT: &str = "data key";
const RECOVERY_CONTEXT: &str = "recovery";

impl KeyFile {
    /// Where the key file of the store at `store` lives: beside it.
    pub fn beside(store: &Path) -> PathBuf {
        let mut name = store.file_name().unwrap_or_default().to_os_string();
        name.push(".keys");
        store.with_file_name(name)
    }

    /// Start a key file with its first person (the first admin), a fresh
    /// data key, and a recovery key to print once. Refuses to replace one.
    pub fn create(path: &Path, name: &str, password: &str) -> Result<(KeyFile, Unlocked, RecoveryKey), AuthError> {
        let created = KeyFile::prepare(path, name, password)?;
        created.0.save()?;
        Ok(created)
    }

    /// [`KeyFile::create`] without writing the file: the caller saves it
    /// ([`KeyFile::save`]) once the store is encrypted under its data key.
    pub fn prepare(path: &Path, name: &str, password: &str) -> Result<(KeyFile, Unlocked, RecoveryKey), AuthError> {
        check_user_name(name)?;
        check_password(password)?;
        if path.exists() {
            return Err(AuthError::Exists(format!("key file at {}", path.display())));
        }
        let (master, data) = (crypto::random_key(), crypto::random_key());
        let recovery_key = RecoveryKey::generate();
        let doc = Doc {
            format: FORMAT.into(),
            version: VERSION,
            lockout: Lockout::default(),
            data_key: crypto::seal(&master, &data, DATA_CONTEXT),
            recovery: crypto::seal(&recovery_key.wrapping_key(), &master, RECOVERY_CONTEXT),
            people: BTreeMap::new(),
        };
        let mut file = KeyFile { path: path.to_owned(), doc };
        file.doc.people.insert(name.to_owned(), entry(&master, name, password)?);
        Ok((file, Unlocked { person: name.to_owned(), master, data: DataKey(data) }, recovery_key))
    }

    pub fn load(path: &Path) -> Result<KeyFile, AuthError> {
        let bytes = std::fs::read(path).map_err(|cause| AuthError::Io {
            doing: "read",
            path: path.display().to_string(),
            cause,
        })?;
        let damaged = |why: String| AuthError::Damaged { path: path.display().to_string(), why };
        let doc: Doc = serde_json::from_slice(&bytes).map_err(|e| damaged(format!("line {}", e.line())))?;
        if doc.format != FORMAT {
            return Err(damaged("not a Beacon key file".into()));
        }
        if doc.version != VERSION {
            return Err(damaged(format!("version {} (this Beacon reads {VERSION})", doc.version)));
        }
        Ok(KeyFile { path: path.to_owned(), doc })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sign in: the keys, or why not. A wrong password counts towards the
    /// lockout (and is saved before this returns); a locked name is
    /// refused without trying the password; an unknown name costs the same
    /// time as a known one and reads the same as a wrong password.
    pub fn sign_in(&mut self, name: &str, password: &str, now: DateTime<Utc>) -> Result<Unlocked, AuthError> {
        let Some(entry) = self.doc.people.get(name) else {
            let _same_cost = Kdf::fresh().derive(password);
            return Err(AuthError::WrongPassword);
        };
        if let Some(until) = entry.locked_until.filter(|until| *until > now) {
            return Err(AuthError::LockedOut { user: name.to_owned(), until });
        }
        let opened =
            entry.kdf.derive(password).ok().and_then(|kek| crypto::open(&kek, &entry.master, &person_context(name)));
        let Some(master) = opened else {
            let (failures, locked_until) = self.doc.lockout.after_failure(entry.failures, now);
            let entry = self.doc.people.get_mut(name).expect("looked up above");
            entry.failures = failures;
            entry.locked_until = locked_until;
            self.save()?;
            return Err(match locked_until {
                Some(until) => AuthError::LockedOut { user: name.to_owned(), until },
                None => AuthError::WrongPassword,
            });
        };
        if entry.failures != 0 || entry.locked_until.is_some() {
            let entry = self.doc.people.get_mut(name).expect("looked up above");
            entry.failures = 0;
            entry.locked_until = None;
            self.save()?;
        }
        self.unlocked(name, master)
    }

    /// Open with the recovery key (every admin's password forgotten).
    pub fn recover(&self, key: &RecoveryKey) -> Result<Unlocked, AuthError> {
        let master = crypto::open(&key.wrapping_key(), &self.doc.recovery, RECOVERY_CONTEXT)
            .ok_or(AuthError::WrongRecoveryKey)?;
        self.unlocked(crate::names::RECOVERY_USER, master)
    }

    fn unlocked(&self, person: &str, master: Key) -> Result<Unlocked, AuthError> {
        let data = crypto::open(&master, &self.doc.data_key, DATA_CONTEXT).ok_or_else(|| AuthError::Damaged {
            path: self.path.display().to_string(),
            why: "the data key does not open with the master key".into(),
        })?;
        Ok(Unlocked { person: person.to_owned(), master, data: DataKey(data) })
    }

    /// Let `name` sign in with `password`. `by` is someone signed in (it
    /// carries the master key to wrap).
    pub fn add(&mut self, by: &Unlocked, name: &str, password: &str) -> Result<(), AuthError> {
        check_user_name(name)?;
        if self.doc.people.contains_key(name) {
            return Err(AuthError::Exists(name.to_owned()));
        }
        self.set_password(by, name, password)
    }

    /// Set (or reset) `name`'s password; clears any lockout.
    pub fn set_password(&mut self, by: &Unlocked, name: &str, password: &str) -> Result<(), AuthError> {
        check_user_name(name)?;
        check_password(password)?;
        self.doc.people.insert(name.to_owned(), entry(&by.master, name, password)?);
        self.save()
    }

    /// `name` can no longer sign in here (disabled): their wrapped key is
    /// gone, so not even a copy of this file opens for their password.
    pub fn remove(&mut self, name: &str) -> Result<bool, AuthError> {
        let removed = self.doc.people.remove(name).is_some();
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    /// Put a new data key in place of the old (`beacon rekey`), under the
    /// same master key: nobody's password changes. `by` then holds the new one.
    pub fn replace_data_key(&mut self, by: &mut Unlocked, new: DataKey) -> Result<(), AuthError> {
        self.doc.data_key = crypto::seal(&by.master, &new.0, DATA_CONTEXT);
        self.save()?;
        by.data = new;
        Ok(())
    }

    /// Clear `name`'s failed attempts and lock.
    pub fn unlock(&mut self, name: &str) -> Result<(), AuthError> {
        let entry = self.doc.people.get_mut(name).ok_or_else(|| AuthError::NoSuchUser(name.to_owned()))?;
        entry.failures = 0;
        entry.locked_until = None;
        self.save()
    }

    pub fn lockout(&self) -> Lockout {
        self.doc.lockout
    }

    pub fn set_lockout(&mut self, lockout: Lockout) -> Result<(), AuthError> {
        if lockout.after_failures == 0 || lockout.minutes == 0 {
            return Err(AuthError::Invalid("lockout: at least one failure and one minute".into()));
        }
        self.doc.lockout = lockout;
        self.save()
    }

    pub fn people(&self) -> Vec<Person> {
        self.doc
            .people
            .iter()
            .map(|(name, e)| Person { name: name.clone(), failures: e.failures, locked_until: e.locked_until })
            .collect()
    }

    pub fn can_sign_in(&self, name: &str) -> bool {
        self.doc.people.contains_key(name)
    }

    /// Write the whole file anew beside the old, then put it in its place:
    /// a crash leaves the old file or the new, never half of one.
    pub fn save(&self) -> Result<(), AuthError> {
        let io = |doing, cause| AuthError::Io { doing, path: self.path.display().to_string(), cause };
        let text = serde_json::to_vec_pretty(&self.doc).expect("the key file serialises");
        let mut tmp_name = self.path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".new");
        let tmp = self.path.with_file_name(tmp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| io("write", e))?;
        file.write_all(&text).and_then(|_| file.sync_all()).map_err(|e| io("write", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io("replace", e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself must reach the disk before we say it is done.
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("sync the folder of", e))?;
        }
        Ok(())
    }
}

fn entry(master: &Key, name: &str, password: &str) -> Result<Entry, AuthError> {
    let kdf = Kdf::fresh();
    let kek = kdf.derive(password).map_err(AuthError::Invalid)?;
    Ok(Entry { master: crypto::seal(&kek, master, &person_context(name)), kdf, failures: 0, locked_until: None })
}
