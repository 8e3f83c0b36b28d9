//! Encryption at rest. A protected store (one with its key file) is
//! encrypted with SQLCipher under its data key, which only a sign-in
//! unwraps: nothing of it is readable before someone signs in. Protecting a
//! store (its first admin) encrypts it; `beacon rekey` rotates the data key.
//! Both replace the store file by an encrypted copy in steps that survive a
//! crash at any point (see `beacon_store`'s `encrypt` module); every open
//! with a key first settles a change a crash interrupted.

use beacon_auth::{DataKey, KeyFile, Unlocked, Zeroizing};
use beacon_domain::Action;
use beacon_domain::Clock;
use beacon_store::{Store, StoreError};
use std::path::Path;
use std::sync::Arc;

use crate::session::Access;
use crate::{ApiError, Beacon, store_dir};

/// The store's key in SQLCipher's raw form, for the console's background
/// work to open the store with once someone has signed in. Zeroed when dropped.
pub type StoreKey = Zeroizing<String>;

/// Open the protected store at `path` with `key`: settle an interrupted
/// change first, and encrypt a store protected before its file was (an
/// earlier Beacon kept protected stores in plaintext).
pub(crate) fn open_encrypted(path: &Path, clock: Arc<dyn Clock>, key: &str) -> Result<Store, ApiError> {
    beacon_store::settle(path, key)?;
    let dir = store_dir(path);
    match Store::open_keyed(path, clock.clone(), dir, Some(key)) {
        Err(StoreError::WrongKey { path: wrong }) => {
            let Ok(plain) = Store::open_keyed(path, clock.clone(), dir, None) else {
                return Err(StoreError::WrongKey { path: wrong }.into());
            };
            plain.copy_encrypted(key)?;
            Ok(plain.replace_with_encrypted(key, clock, dir)?)
        }
        opened => Ok(opened?),
    }
}

impl Beacon {
    /// Open the store for the device's own background work (the console's
    /// watcher and sync loop; see [`Beacon::for_device`]), with the key a
    /// sign-in in this process gave ([`Beacon::store_key`]); `None` for an
    /// unprotected store.
    pub fn open_for_device(path: &Path, clock: Arc<dyn Clock>, key: Option<&str>) -> Result<Beacon, ApiError> {
        let store = match key {
            Some(key) => open_encrypted(path, clock.clone(), key)?,
            None if crate::is_protected_store(path) => return Err(ApiError::SignInRequired),
            None => Store::open_with(path, clock.clone(), store_dir(path))?,
        };
        Beacon::with_store(store, crate::default_actor(), clock, Access::Device)
    }

    /// The key the store is open with, if it is protected and someone
    /// signed in: for opening it again elsewhere in this process.
    pub fn store_key(&self) -> Option<StoreKey> {
        self.keys().map(|k| k.data_key().sqlcipher_literal())
    }

    /// Encrypt this (plaintext) store under the data key of `keys`, whose
    /// key file is saved once the encrypted copy is whole and before it
    /// takes the store's place: a crash leaves either the plaintext store
    /// and no key file, or the key file and an encrypted store (or its copy,
    /// which the next sign-in puts in place).
    pub(crate) fn encrypt_under(self, keys: &KeyFile, unlocked: &Unlocked) -> Result<Beacon, ApiError> {
        let key = unlocked.data_key().sqlcipher_literal();
        self.store.copy_encrypted(&key)?;
        keys.save()?;
        self.replace_store(&key)
    }

    /// Rotate the store's data key (`beacon rekey`): a new random key
    /// encrypts a fresh copy of the store, the key file keeps the new key
    /// under the same master key (nobody's password changes), and the copy
    /// takes the store's place. An admin's task; nothing else may have the
    /// store open meanwhile. Returns the store opened under the new key.
    pub fn rekey(mut self) -> Result<Beacon, ApiError> {
        self.require(Action::Maintain)?;
        let keys_path = KeyFile::beside(self.store.path());
        let mut keys = KeyFile::load(&keys_path)?;
        let new = DataKey::generate();
        let key = new.sqlcipher_literal();
        self.store.copy_encrypted(&key)?;
        let Access::Person { keys: unlocked, .. } = &mut self.access else { return Err(ApiError::SignInRequired) };
        keys.replace_data_key(unlocked, new)?;
        self.replace_store(&key)
    }

    /// Put the encrypted copy made under `key` in the store's place and
    /// open it, keeping who is acting.
    fn replace_store(self, key: &str) -> Result<Beacon, ApiError> {
        let Beacon { store, gazetteer, actor, access, clock } = self;
        let path = store.path().to_path_buf();
        let store = store.replace_with_encrypted(key, clock.clone(), store_dir(&path))?;
        Ok(Beacon { store, gazetteer, actor, access, clock })
    }
}
