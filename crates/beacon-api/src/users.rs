//! People's accounts: the first admin, adding, disabling, passwords,
//! unlocking. The account (name, role, responder) is an event in the log;
//! the password only ever reaches the store's key file, wrapped around the
//! store's key.

use beacon_auth::{AuthError, KeyFile, Lockout, RecoveryKey, check_password, check_user_name};
use beacon_domain::access::{Action, User, UserRole};
use beacon_domain::event::Actor;
use beacon_domain::{AccountChange, Clock};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

use crate::session::Access;
use crate::{ApiError, Beacon};

/// An account as `beacon user list` shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserRow {
    #[serde(flatten)]
    pub user: User,
    /// Whether the key file holds a password for them here.
    pub can_sign_in: bool,
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Beacon {
    /// Protect the store: add its first admin, start its key file, and
    /// encrypt the store under the new data key. Only for a store with no
    /// account yet. Returns the store, open and signed in as the admin, and
    /// the recovery key, to be shown once and kept somewhere safe.
    ///
    /// The admin's account is written first, so a crash before the store is
    /// encrypted leaves an unprotected store where the same admin can be
    /// made again.
    pub fn init_admin(mut self, name: &str, password: &str) -> Result<(Beacon, RecoveryKey), ApiError> {
        if self.is_protected() {
            return Err(ApiError::Refused("this store is protected already; sign in as an admin".into()));
        }
        check_user_name(name)?;
        check_password(password)?;
        // Accounts synced from other desktops are listed here without a
        // password; the first admin may be one of them, but taking another
        // role's name would make that person an admin.
        let existing = self.store.user(name)?;
        if existing.as_ref().is_some_and(|u| u.role != UserRole::Admin || u.disabled) {
            return Err(AuthError::Exists(name.to_owned()).into());
        }
        let keys_path = KeyFile::beside(self.store.path());
        let (keys, unlocked, recovery) = KeyFile::prepare(&keys_path, name, password)?;
        let admin = User { name: name.to_owned(), role: UserRole::Admin, responder_id: None, disabled: false };
        self.actor = Actor(name.to_owned());
        if existing.is_none() {
            self.save_account(admin.clone(), AccountChange::Added)?;
        }
        let mut protected = self.encrypt_under(&keys, &unlocked)?;
        protected.access = Access::Person { user: admin, keys: Box::new(unlocked) };
        Ok((protected, recovery))
    }

    /// Open with the recovery key, as an admin called `recovery`: to set a
    /// forgotten password.
    pub fn sign_in_with_recovery(path: &Path, key: &str, clock: Arc<dyn Clock>) -> Result<Beacon, ApiError> {
        let unlocked = crate::session::key_file(path)?.recover(&RecoveryKey::parse(key))?;
        Beacon::unlocked(path, unlocked, clock)
    }

    /// Add a person. A task-force member must be a responder on the roster.
    pub fn add_user(
        &mut self,
        name: &str,
        role: UserRole,
        responder: Option<&str>,
        password: &str,
    ) -> Result<User, ApiError> {
        self.require(Action::ManageUsers)?;
        check_user_name(name)?;
        check_password(password)?;
        // An account synced from another desktop gets its password here with
        // `set_password`, keeping the role it was given there.
        if self.store.user(name)?.is_some() {
            return Err(AuthError::Exists(name.to_owned()).into());
        }
        let responder_id = match responder {
            Some(id) => {
                let r = self
                    .store
                    .responder(id)?
                    .ok_or_else(|| ApiError::NotFound { what: "responder", id: id.to_owned() })?;
                Some(r.id)
            }
            None if role.needs_responder() => {
                return Err(ApiError::invalid(
                    format!("user {name}"),
                    "responder",
                    "a task-force member is a responder on the roster: give --responder ID",
                ));
            }
            None => None,
        };
        let user = User { name: name.to_owned(), role, responder_id, disabled: false };
        let mut keys = self.key_file()?;
        keys.add(self.keys().ok_or(ApiError::SignInRequired)?, name, password)?;
        self.save_account(user.clone(), AccountChange::Added)?;
        Ok(user)
    }

    /// Everyone with an account, with whether they can sign in here.
    pub fn users(&self) -> Result<Vec<UserRow>, ApiError> {
        self.require(Action::ManageUsers)?;
        let people = self.key_file()?.people();
        Ok(self
            .store
            .users()?
            .into_iter()
            .map(|user| {
                let person = people.iter().find(|p| p.name == user.name);
                UserRow {
                    can_sign_in: person.is_some() && !user.disabled,
                    failed_attempts: person.map(|p| p.failures).unwrap_or(0),
                    locked_until: person.and_then(|p| p.locked_until),
                    user,
                }
            })
            .collect())
    }

    /// Disable an account: its password stops opening the store at once.
    /// Nobody disables themselves, so a store always keeps an admin.
    pub fn disable_user(&mut self, name: &str) -> Result<(), ApiError> {
        self.require(Action::ManageUsers)?;
        if self.user().is_some_and(|me| me.name == name) {
            return Err(ApiError::Refused("you cannot disable your own account".into()));
        }
        let mut user = self.existing_user(name)?;
        if user.disabled {
            return Ok(());
        }
        self.key_file()?.remove(name)?;
        user.disabled = true;
        self.save_account(user, AccountChange::Disabled)
    }

    /// Set a password: an admin sets anyone's; everyone may set their own.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), ApiError> {
        if self.user().is_none_or(|me| me.name != name) {
            self.require(Action::ManageUsers)?;
        }
        let user = self.existing_user(name)?;
        if user.disabled {
            return Err(ApiError::Refused(format!("{name}'s account is disabled")));
        }
        let mut keys = self.key_file()?;
        keys.set_password(self.keys().ok_or(ApiError::SignInRequired)?, name, password)?;
        self.save_account(user, AccountChange::PasswordSet)
    }

    /// Lift a lockout after failed sign-ins.
    pub fn unlock_user(&mut self, name: &str) -> Result<(), ApiError> {
        self.require(Action::ManageUsers)?;
        let user = self.existing_user(name)?;
        self.key_file()?.unlock(name)?;
        self.save_account(user, AccountChange::Unlocked)
    }

    /// How many failed sign-ins lock a name, and for how long.
    pub fn lockout(&self) -> Result<Lockout, ApiError> {
        Ok(self.key_file()?.lockout())
    }

    pub fn set_lockout(&mut self, after_failures: u32, minutes: u32) -> Result<(), ApiError> {
        self.require(Action::ManageSettings)?;
        Ok(self.key_file()?.set_lockout(Lockout { after_failures, minutes })?)
    }

    fn existing_user(&self, name: &str) -> Result<User, ApiError> {
        self.store.user(name)?.ok_or_else(|| ApiError::NotFound { what: "user", id: name.to_owned() })
    }

    fn key_file(&self) -> Result<KeyFile, ApiError> {
        crate::session::key_file(self.store.path())
    }
}
