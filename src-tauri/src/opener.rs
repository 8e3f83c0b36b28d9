//! How the console's background threads (the watcher, the sync loop) open
//! the store: an unprotected one at once; a protected one, which is
//! encrypted, only once someone has signed in at this console and its key
//! was handed over. A new key (the first sign-in, or the store encrypted by
//! its first admin) starts a new generation, and the threads open the
//! store again: a connection from before the change would read the old file.

use beacon_api::domain::SystemClock;
use beacon_api::{ApiError, Beacon, StoreKey};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub struct Opener {
    path: PathBuf,
    state: Mutex<Opening>,
}

struct Opening {
    generation: u64,
    key: Option<StoreKey>,
}

// The key never reaches a log line.
impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener").field("path", &self.path).field("generation", &self.generation()).finish()
    }
}

impl Opener {
    pub fn new(path: &Path) -> Opener {
        Opener { path: path.to_owned(), state: Mutex::new(Opening { generation: 0, key: None }) }
    }

    /// Bumped whenever the store must be opened again.
    pub fn generation(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).generation
    }

    /// The key a sign-in unwrapped (`None`: the store is not protected).
    /// Returns whether it changed, so the threads open the store again.
    pub fn hand_over(&self, key: Option<StoreKey>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let same = match (&state.key, &key) {
            (Some(a), Some(b)) => a.as_str() == b.as_str(),
            (None, None) => true,
            _ => false,
        };
        if same {
            return false;
        }
        state.key = key;
        state.generation += 1;
        true
    }

    /// Open the store for background work, with the generation it belongs
    /// to; `None` while it is protected and nobody has signed in here yet.
    pub fn open(&self) -> Option<(u64, Result<Beacon, ApiError>)> {
        // Not held while the store opens: a sign-in handing over its key must not wait.
        let (generation, key) = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            (state.generation, state.key.clone())
        };
        if key.is_none() && beacon_api::is_protected_store(&self.path) {
            return None;
        }
        let key = key.as_ref().map(|k| k.as_str());
        Some((generation, Beacon::open_for_device(&self.path, Arc::new(SystemClock), key)))
    }
}
