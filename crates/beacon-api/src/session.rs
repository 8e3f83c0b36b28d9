//! Who is acting, and whether they may: signing in, and the check every
//! operation makes before it touches the store.
//!
//! A store without its own key file is *unprotected*: it behaves as it did
//! before accounts existed, acting as the operating-system user, until
//! `beacon init` (or the console's first start) adds its first admin. From
//! then on every operation needs someone signed in, and asks
//! [`beacon_domain::access::may`]. Accounts are events, so they sync; a
//! password never does: a person signs in on a desktop whose key file has
//! one for them (`beacon user passwd` there gives it).

use beacon_auth::{KeyFile, Unlocked};
use beacon_domain::access::{self, Action, CaseScope, Home, User, UserRole};
use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{AccountChange, CaseId, Clock};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

use crate::{ApiError, Beacon};

/// How a [`Beacon`] may act.
#[derive(Debug)]
pub(crate) enum Access {
    /// The store has no account yet.
    Unprotected,
    /// The store has accounts; nobody has signed in.
    SignedOut,
    /// A person signed in; the keys their password unwrapped.
    Person { user: User, keys: Box<Unlocked> },
    /// The device's own background work (the sync loop): syncing only.
    Device,
}

/// The signed-in person as a front end shows them, with everything Rust
/// decided about what they may do (a front end hides the rest; the API
/// refuses it anyway).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    /// False for a store with no account yet (anyone may act).
    pub protected: bool,
    pub user: String,
    pub role: Option<UserRole>,
    /// "Dispatcher", "Task force", …
    pub role_label: String,
    pub home: Home,
    pub may: Vec<Action>,
    /// The responder on the roster the person is, if any: whose handoffs
    /// are "mine".
    pub responder_id: Option<String>,
    /// Whether the person reads every case (else only those handed to them).
    pub sees_all_cases: bool,
}

/// Who acts when the recovery key opened the store: an admin by that name.
pub(crate) use beacon_auth::RECOVERY_USER as RECOVERY;

/// The key file of the store at `path`, which must have accounts.
pub(crate) fn key_file(path: &Path) -> Result<KeyFile, ApiError> {
    let keys = KeyFile::beside(path);
    if !keys.exists() {
        return Err(ApiError::Refused("this store has no accounts yet: `beacon init` adds the first admin".into()));
    }
    Ok(KeyFile::load(&keys)?)
}

/// Minutes a console may sit idle before it locks: 15 unless set, never
/// more than 30 (CJIS asks for a session lock after at most 30).
pub const IDLE_LOCK_DEFAULT_MINUTES: u32 = 15;
pub const IDLE_LOCK_MAX_MINUTES: u32 = 30;

impl Beacon {
    /// Open the store at `path` and sign in as `name`. The store must have
    /// accounts; a wrong password counts towards the lockout.
    ///
    /// The password unwraps the store's key; the store, encrypted under
    /// it, is opened only then.
    pub fn sign_in(path: &Path, name: &str, password: &str, clock: Arc<dyn Clock>) -> Result<Beacon, ApiError> {
        let unlocked = key_file(path)?.sign_in(name, password, clock.now())?;
        Beacon::unlocked(path, unlocked, clock)
    }

    /// Open the protected store at `path` with keys a sign-in (or the
    /// recovery key) unwrapped, as that person.
    pub(crate) fn unlocked(path: &Path, unlocked: Unlocked, clock: Arc<dyn Clock>) -> Result<Beacon, ApiError> {
        let store = crate::protect::open_encrypted(path, clock.clone(), &unlocked.data_key().sqlcipher_literal())?;
        let name = unlocked.person().to_owned();
        let mut beacon = Beacon::with_store(store, Actor(name.clone()), clock, Access::SignedOut)?;
        beacon.become_person(&name, unlocked)?;
        Ok(beacon)
    }

    /// Sign in on an open store (the console's sign-in form, the lock screen).
    pub fn sign_in_here(&mut self, name: &str, password: &str) -> Result<(), ApiError> {
        let unlocked = key_file(self.store.path())?.sign_in(name, password, self.store.now())?;
        self.become_person(name, unlocked)
    }

    /// Act as `name`, whose password (or the recovery key) gave `unlocked`.
    fn become_person(&mut self, name: &str, unlocked: Unlocked) -> Result<(), ApiError> {
        let user = if name == RECOVERY {
            User { name: RECOVERY.into(), role: UserRole::Admin, responder_id: None, disabled: false }
        } else {
            self.store.user(name)?.filter(|u| !u.disabled).ok_or(beacon_auth::AuthError::WrongPassword)?
        };
        self.actor = Actor(user.name.clone());
        self.access = Access::Person { user, keys: Box::new(unlocked) };
        Ok(())
    }

    /// Forget who signed in: every operation needs a sign-in again.
    pub fn sign_out(&mut self) {
        if !matches!(self.access, Access::Unprotected) {
            self.access = Access::SignedOut;
        }
    }

    /// For the device's own background work: the console's sync loop, and
    /// its watcher, which reads what changed to tell the window (the window
    /// itself asks as the person signed in). It may sync and read, nothing else.
    pub fn for_device(mut self) -> Beacon {
        self.access = Access::Device;
        self
    }

    /// The person signed in, if any.
    pub fn user(&self) -> Option<&User> {
        match &self.access {
            Access::Person { user, .. } => Some(user),
            _ => None,
        }
    }

    pub fn is_protected(&self) -> bool {
        !matches!(self.access, Access::Unprotected)
    }

    /// Who is acting and what they may do, for a front end.
    pub fn session(&self) -> Result<SessionInfo, ApiError> {
        match &self.access {
            Access::Unprotected => Ok(SessionInfo {
                protected: false,
                user: self.actor.0.clone(),
                role: None,
                role_label: "Unprotected store".into(),
                home: Home::Queue,
                may: Action::ALL.to_vec(),
                responder_id: None,
                sees_all_cases: true,
            }),
            Access::Person { user, .. } => Ok(SessionInfo {
                protected: true,
                user: user.name.clone(),
                role: Some(user.role),
                role_label: user.role.label().into(),
                home: user.role.home(),
                may: access::allowed(user.role),
                responder_id: user.responder_id.as_ref().map(|r| r.0.clone()),
                sees_all_cases: user.role.sees() == CaseScope::All,
            }),
            Access::SignedOut | Access::Device => Err(ApiError::SignInRequired),
        }
    }

    /// Refuse unless whoever is acting may do `action`.
    pub(crate) fn require(&self, action: Action) -> Result<(), ApiError> {
        match &self.access {
            Access::Unprotected => Ok(()),
            Access::SignedOut => Err(ApiError::SignInRequired),
            Access::Device if matches!(action, Action::Sync | Action::ReadCase) => Ok(()),
            Access::Device => Err(ApiError::SignInRequired),
            Access::Person { user, .. } if access::may(user.role, action) => Ok(()),
            Access::Person { user, .. } => Err(ApiError::Forbidden { role: user.role, action }),
        }
    }

    /// [`Beacon::require`], and the case within what the person reads.
    pub(crate) fn require_case(&self, action: Action, case: CaseId) -> Result<(), ApiError> {
        self.require(action)?;
        self.require_sees(case)
    }

    /// Whether the person reads this case (a task-force member: only the
    /// cases handed to them).
    pub(crate) fn require_sees(&self, case: CaseId) -> Result<(), ApiError> {
        let Access::Person { user, .. } = &self.access else { return Ok(()) };
        match user.role.sees() {
            CaseScope::All => Ok(()),
            CaseScope::None => Err(ApiError::Forbidden { role: user.role, action: Action::ReadCase }),
            CaseScope::HandedToMe => {
                let mine = match &user.responder_id {
                    Some(r) => self.store.is_handed_to(case, &r.0)?,
                    None => false,
                };
                if mine { Ok(()) } else { Err(ApiError::NotYourCase { case }) }
            }
        }
    }

    /// The responder whose cases the person works, when they read only those.
    pub(crate) fn own_responder(&self) -> Option<&str> {
        match &self.access {
            Access::Person { user, .. } if user.role.sees() == CaseScope::HandedToMe => {
                Some(user.responder_id.as_ref().map(|r| r.0.as_str()).unwrap_or(""))
            }
            _ => None,
        }
    }

    /// The keys the signed-in person's password unwrapped.
    pub(crate) fn keys(&self) -> Option<&Unlocked> {
        match &self.access {
            Access::Person { keys, .. } => Some(keys),
            _ => None,
        }
    }

    /// Record an account change in the log (and so in the `users` table).
    pub(crate) fn save_account(&mut self, user: User, change: AccountChange) -> Result<(), ApiError> {
        let actor = self.actor.clone();
        self.store.write(|w| {
            w.append(&actor, None, EventBody::AccountSaved { user, change })?;
            Ok::<_, ApiError>(())
        })
    }
}
