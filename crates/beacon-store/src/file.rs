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

/// The files SQLite keeps beside the store while it is open.
pub(crate) fn companions(path: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm")]
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
