//! Encrypting a plaintext store, and changing the key of an encrypted one.
//!
//! SQLCipher turns a plaintext database into an encrypted one only by
//! copying it (`sqlcipher_export`), and Beacon rotates a key the same way,
//! so both are one operation: copy the store under the new key, then put
//! the copy in the store's place. Each step is safe to crash after:
//!
//! 1. [`Store::copy_encrypted`] writes the copy to `<store>.encrypting-partial`,
//!    syncs it, and renames it to `<store>.encrypting`: a file by that name
//!    is always a whole copy.
//! 2. The caller records the new key where it keeps keys (Beacon's key file).
//! 3. [`Store::replace_with_encrypted`] closes the store and renames the copy
//!    over it.
//!
//! [`settle`], given the key in force, finishes or undoes an interrupted
//! change before the store is opened: a `.encrypting` copy that opens with
//! that key means step 2 happened, so it is the store; one that does not
//! is left over from before step 2 and is removed, and the store as it was
//! still opens with the key in force.
//!
//! The store must not be open in another process meanwhile: a connection
//! opened before the swap keeps reading and writing the old file.

use crate::{APPLICATION_ID, Store, StoreDir, StoreError, check_key, file};
use beacon_domain::Clock;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The whole encrypted copy waiting to take the store's place.
pub fn pending_copy(store: &Path) -> PathBuf {
    with_suffix(store, ".encrypting")
}

fn partial_copy(store: &Path) -> PathBuf {
    with_suffix(store, ".encrypting-partial")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |cause| StoreError::Io { action, path, cause }
}

fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", path)(e)),
        _ => Ok(()),
    }
}

fn sync_dir_of(path: &Path) -> Result<(), StoreError> {
    let dir = file::parent(path).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("sync the folder of", path))
}

impl Store {
    /// Step 1: a whole copy of the store encrypted under `key` (SQLCipher's
    /// raw-key form), at [`pending_copy`]. Returns its path.
    pub fn copy_encrypted(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        self.check_writable()?;
        let (partial, whole) = (partial_copy(&self.path), pending_copy(&self.path));
        for leftover in [&partial, &whole] {
            remove_if_present(leftover)?;
        }
        remove_if_present(&with_suffix(&partial, "-journal"))?;
        // Created 0600 before SQLite writes a byte to it.
        file::create_file(&partial).map_err(io("create", &partial))?;
        let name = partial.to_str().ok_or_else(|| StoreError::Io {
            action: "name",
            path: partial.clone(),
            cause: std::io::Error::other("the store's path is not UTF-8"),
        })?;
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        self.conn.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", [name, key])?;
        let copied = self.conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(())).and_then(|()| {
            // The export copies tables and indexes; the header fields
            // that say "a Beacon store at this schema" are set here.
            self.conn.execute_batch(&format!(
                "PRAGMA encrypted.user_version = {version}; PRAGMA encrypted.application_id = {APPLICATION_ID};"
            ))
        });
        let detached = self.conn.execute_batch("DETACH DATABASE encrypted");
        copied?;
        detached?;
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io("sync", &partial))?;
        std::fs::rename(&partial, &whole).map_err(io("rename", &partial))?;
        sync_dir_of(&whole)?;
        Ok(whole)
    }

    /// Step 3: close the store and put the copy made by
    /// [`Store::copy_encrypted`] in its place, then open it with `key`.
    pub fn replace_with_encrypted(self, key: &str, clock: Arc<dyn Clock>, dir: StoreDir) -> Result<Store, StoreError> {
        let path = self.path.clone();
        let whole = pending_copy(&path);
        if !whole.exists() {
            return Err(StoreError::Corrupt("no encrypted copy to put in the store's place".into()));
        }
        // Closing the last connection copies the WAL into the old file and
        // removes it; a WAL left beside the path must never be read as the
        // new file's.
        self.conn.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
        swap(&path)?;
        Store::open_keyed(&path, clock, dir, Some(key))
    }
}

/// Rename the pending copy over the store, with nothing of the old file's
/// WAL left beside it.
fn swap(path: &Path) -> Result<(), StoreError> {
    for companion in file::companions(path) {
        remove_if_present(&companion)?;
    }
    let whole = pending_copy(path);
    std::fs::rename(&whole, path).map_err(io("rename", &whole))?;
    sync_dir_of(path)
}

/// What [`settle`] found beside the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// No change was under way.
    Nothing,
    /// An encrypted copy had been made and its key recorded: it is now the store.
    Finished,
    /// A copy whose key was never recorded: removed.
    Undone,
}

/// Finish or undo an interrupted [`Store::copy_encrypted`] before the store
/// at `path` is opened with `key`, the key in force (see the module's steps).
pub fn settle(path: &Path, key: &str) -> Result<Settled, StoreError> {
    check_key(key)?;
    let partial = partial_copy(path);
    remove_if_present(&partial)?;
    remove_if_present(&with_suffix(&partial, "-journal"))?;
    let whole = pending_copy(path);
    if !whole.exists() {
        return Ok(Settled::Nothing);
    }
    if opens_with(&whole, key) {
        swap(path)?;
        Ok(Settled::Finished)
    } else {
        remove_if_present(&whole)?;
        Ok(Settled::Undone)
    }
}

/// Whether the file at `path` is a database that `key` opens.
fn opens_with(path: &Path, key: &str) -> bool {
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else { return false };
    conn.execute_batch(&format!("PRAGMA key = \"{key}\";")).is_ok()
        && conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).is_ok_and(|n| n > 0)
}
