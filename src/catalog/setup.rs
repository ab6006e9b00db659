//! Creating a catalog safely: under a lock between processes, under a temporary name
//! until it is whole, and never mistaking a damaged file for a new data dir.
//!
//! A catalog that exists is never replaced or deleted here. A 0-byte, truncated or
//! overwritten `catalog.sqlite3` once passed for a new data dir (SQLite takes an empty
//! file as an empty database), and the search index was deleted to match it.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{Error, Result, UserError};

/// The first 16 bytes of every SQLite database file.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// An exclusive lock on `<catalog>.lock`, held while a catalog is created or migrated.
/// `None` when the folder is read-only: nothing can be created or migrated there, and
/// readers need no lock.
pub(super) struct SetupLock(Option<File>);

impl Drop for SetupLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            // SAFETY: flock on a descriptor this struct owns.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
        }
    }
}

fn lock_path(catalog: &Path) -> PathBuf {
    let mut p = catalog.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

pub(super) fn lock(catalog: &Path) -> Result<SetupLock> {
    let path = lock_path(catalog);
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if matches!(e.raw_os_error(), Some(libc::EROFS | libc::EACCES)) => {
            return Ok(SetupLock(None));
        }
        Err(e) => return Err(Error::io(format!("creating {}", path.display()), e)),
    };
    loop {
        // SAFETY: flock on a descriptor we own; blocks until the other process is done
        // creating or migrating (a fraction of a second).
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 {
            return Ok(SetupLock(Some(file)));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(Error::io(format!("locking {}", path.display()), e));
        }
    }
}

/// An existing catalog must at least begin like a SQLite database.
pub(super) fn check_header(path: &Path) -> Result<()> {
    let mut head = [0u8; 16];
    let mut f =
        File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }
    let reason = if got == 0 {
        "the file is empty (0 bytes)"
    } else if got < head.len() || &head != MAGIC {
        "the file is not a SQLite database"
    } else {
        return Ok(());
    };
    Err(UserError::CatalogDamaged {
        path: path.to_owned(),
        reason: reason.into(),
    }
    .into())
}

/// Creates a new catalog under a temporary name and renames it into place once it has
/// its first page: a kill half-way leaves only the temporary file, so a `catalog.sqlite3`
/// that exists was whole once.
pub(super) fn create(path: &Path) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    {
        let conn = Connection::open(&tmp)?;
        // A page on disk, in WAL mode from the start (the mode is kept in the file).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch("PRAGMA user_version = 0; VACUUM;")?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut side = tmp.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&tmp, path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// SQLite's "not a database" and "malformed" at open mean a damaged file, which the
/// user must restore; other errors pass through.
pub(super) fn damaged(path: &Path, e: Error) -> Error {
    let code = match &e {
        Error::Sqlite(s) => s.sqlite_error_code(),
        Error::Migration(rusqlite_migration::Error::RusqliteError { err, .. }) => {
            err.sqlite_error_code()
        }
        _ => None,
    };
    match code {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            UserError::CatalogDamaged {
                path: path.to_owned(),
                reason: e.to_string(),
            }
            .into()
        }
        _ => e,
    }
}
