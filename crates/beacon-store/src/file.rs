//! The store's files on disk: the database, the `-wal` and `-shm` SQLite
//! keeps beside it, and the directory holding them.
//!
//! They hold victim data, so they are the user's alone: files 0600 and a
//! directory Beacon creates (or its own data directory) 0700, whatever the
//! process umask. SQLite creates the `-wal`, `-shm` and `-journal` files
//! with the database file's permissions and corrects them when the umask
//! took bits away (`robust_open` in its unix VFS), so a 0600 store file
//! yields 0600 companions; ones left by an earlier, looser Beacon are
//! tightened on open.
//!
//! A store this process may not change (its file or its directory has no
//! write permission, or the file system is read-only) is opened read-only
//! and left exactly as it is: see [`Access`].

use std::io;
use std::path::{Path, PathBuf};

/// Permissions of the store file and the files beside it.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;
/// Permissions of a directory Beacon creates for a store.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;

/// Whose directory the store file is in, which decides whether opening
/// keeps that directory private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreDir {
    /// A directory someone chose (`--store`, `BEACON_STORE`): created 0700
    /// if it does not exist, otherwise left as it is: it may be shared.
    #[default]
    Chosen,
    /// Beacon's own data directory (the default place for the store):
    /// created 0700, and tightened to 0700 whenever the store is opened for
    /// writing.
    Own,
}

/// How the store is to be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    ReadWrite,
    /// Read only, with SQLite's `SQLITE_OPEN_READONLY`, which it enforces
    /// whoever the process is (root included).
    ///
    /// A read-only connection to a WAL store still needs the wal-index
    /// (`-shm`) and opens the `-wal`: given neither, SQLite creates both
    /// when the directory lets it, and, unable to take the write lock a
    /// read-only file cannot give, never removes them. So:
    ///
    /// - With a `-wal` beside the store (a Beacon has it open, or one
    ///   stopped without closing), committed transactions may be in the
    ///   `-wal` alone: SQLite opens it and its `-shm` as usual, taking read
    ///   locks so that a writer still running is seen, and reading the
    ///   index into memory if the `-shm` cannot be written. (Only if the
    ///   `-shm` alone is missing can it create one.)
    /// - With no `-wal` (and no rollback `-journal`), no connection has the
    ///   store open (SQLite removes the `-wal` when the last one closes,
    ///   after copying all of it into the store), so the store file holds
    ///   every committed transaction and is opened `immutable=1`: read as
    ///   it is, creating nothing. This takes no locks, so a writer with
    ///   write access that started while this connection is reading would
    ///   not be noticed; its changes reach the store file only when it
    ///   checkpoints, and the store is read-only to this process.
    ///   `readonly_shm=1` would not do: it needs an existing `-shm`.
    ReadOnly {
        immutable: bool,
    },
}

/// The files SQLite keeps beside the store while it is open.
pub(crate) fn companions(path: &Path) -> [PathBuf; 2] {
    [with_suffix(path, "-wal"), with_suffix(path, "-shm")]
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// How the store at `path` (which exists) can be opened: read-write,
/// unless this process may not change it or its directory. A mode with no
/// write bit at all (a file 0444, a directory 0555) is taken as read-only
/// even for root, whom `access(W_OK)` never refuses on a writable file
/// system: someone made it read-only on purpose. Only looks: creates nothing.
pub(crate) fn access(path: &Path) -> io::Result<Access> {
    let [wal, _] = companions(path);
    let journal = with_suffix(path, "-journal");
    if std::fs::metadata(path)?.permissions().readonly() || !may_write(path) || !dir_writable(path)? {
        let immutable = !wal.exists() && !journal.exists();
        return Ok(Access::ReadOnly { immutable });
    }
    Ok(Access::ReadWrite)
}

/// Whether a store file could be created (and a store's `-wal` and `-shm`
/// created beside it) in the directory holding `path`.
pub(crate) fn dir_writable(path: &Path) -> io::Result<bool> {
    let dir = parent(path).unwrap_or(Path::new("."));
    Ok(!std::fs::metadata(dir)?.permissions().readonly() && may_write(dir))
}

/// `access(W_OK)`: whether this process may write `path`. The mode bits
/// alone do not say it: they do not stop root, ownership and groups decide
/// for others, and a read-only file system stops everyone.
#[cfg(unix)]
fn may_write(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}

#[cfg(not(unix))]
fn may_write(_path: &Path) -> bool {
    true
}

/// The `file:` URI (for `SQLITE_OPEN_URI`) opening `path` immutable.
pub(crate) fn immutable_uri(path: &Path) -> io::Result<PathBuf> {
    // An absolute path behind an empty authority: `file:///…`.
    let absolute = std::path::absolute(path)?;
    let mut uri = String::from("file://");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    Ok(PathBuf::from(uri))
}

/// The directory holding the store, unless it is the current directory
/// given as an empty path.
pub(crate) fn parent(path: &Path) -> Option<&Path> {
    path.parent().filter(|d| !d.as_os_str().is_empty())
}

/// Create `dir` and any missing directories above it, each 0700.
pub(crate) fn create_dirs(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut next = Some(dir);
    while let Some(d) = next.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d);
        next = d.parent();
    }
    for d in missing.into_iter().rev() {
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
        match builder.create(d) {
            // The umask may have taken bits from the mode asked for; set it exactly.
            Ok(()) => set_mode(d, DIR_MODE)?,
            // Created meanwhile by another process: not ours to change.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Create the store file, empty and 0600, if it does not exist. SQLite
/// would create it 0644 less the umask.
pub(crate) fn create_file(path: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(path) {
        Ok(_) => set_mode(path, FILE_MODE),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Take group and other access away from the store and the files beside
/// it, and from its directory when it is Beacon's own. A file owned by
/// another user (shared with us through its group) is left as it is: only
/// its owner may change it.
pub(crate) fn make_private(path: &Path, dir: StoreDir) -> Result<(), (PathBuf, io::Error)> {
    let [wal, shm] = companions(path);
    for file in [path, &wal, &shm] {
        tighten(file).map_err(|e| (file.to_path_buf(), e))?;
    }
    if dir == StoreDir::Own
        && let Some(d) = parent(path)
    {
        tighten(d).map_err(|e| (d.to_path_buf(), e))?;
    }
    Ok(())
}

#[cfg(unix)]
fn tighten(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(path) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if mode & 0o077 == 0 {
        return Ok(());
    }
    match set_mode(path, mode & 0o700) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn tighten(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
