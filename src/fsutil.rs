//! Writing files so that a reader never sees half of one: every file Quiver writes
//! (exports, CSV reports, the sample library) goes through [`write_atomically`].
//!
//! A buffered writer dropped without a flush loses its last bytes and the error that
//! went with them: an export under 8 KiB on a full disk once left an empty file and
//! exit status 0. Here the bytes go to a temporary name beside the target, are flushed
//! and synced (each step checked), and only then renamed over the target, so the target
//! is either the old file or the whole new one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Writes `path` through `fill`, atomically: `fill` writes to a temporary file in the
/// same folder, which is flushed, synced and renamed into place. On any error the
/// temporary file is removed and the target is left as it was.
///
/// # Errors
/// `fill`'s error, or the I/O error of creating, writing, syncing or renaming
/// ([`crate::UserError::DiskFull`] when the disk is full).
pub fn write_atomically<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let tmp = temp_name(path);
    let result = write_then_rename(path, &tmp, fill);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically (see [`write_atomically`]).
///
/// # Errors
/// As [`write_atomically`].
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |w| {
        w.write_all(bytes)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    })
}

/// Bytes free for an unprivileged writer on the file system of `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into a zeroed struct we own; the path is a valid C string.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(c.as_ptr(), &mut s) == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
    }
}

fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_then_rename<T>(
    path: &Path,
    tmp: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let at = |what: &str| format!("{what} {}", path.display());
    let file = File::create(tmp).map_err(|e| Error::io(at("creating"), e))?;
    let mut w = BufWriter::new(file);
    let value = fill(&mut w)?;
    // `into_inner` flushes and reports the flush's error; dropping would swallow it.
    let file = w
        .into_inner()
        .map_err(|e| Error::io(at("writing"), e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(at("syncing"), e))?;
    drop(file);
    std::fs::rename(tmp, path).map_err(|e| Error::io(at("renaming into place"), e))?;
    // The rename is durable once the folder is synced; a failure here leaves a whole
    // file in place, so it is not worth failing the write for.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        let r: Result<()> = write_atomically(&path, |w| {
            w.write_all(b"new, half").unwrap();
            Err(Error::Internal("stop".into()))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the temporary file is removed"
        );
        write_bytes(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
