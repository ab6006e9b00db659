//! What Quiver's fronts (the CLI and the desktop app) take from the operating system:
//! the login name, for events recorded before a rep has named themselves, and a viewer
//! for the file a rep opens. The core reads no environment and starts no process, so
//! these live here, once, for both fronts.

use std::ffi::OsStr;
use std::fmt;
use std::process::{Command, Stdio};

/// The login name: `$USER`, else the password database's entry for our uid.
pub fn login_name() -> Option<String> {
    if let Ok(user) = std::env::var("USER")
        && !user.is_empty()
    {
        return Some(user);
    }
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name
    // out at once, on this thread, before any other call could overwrite it.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// A viewer that could not be started.
#[derive(Debug)]
pub struct LaunchError {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not launch a viewer for {}: {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for LaunchError {}

/// Launches a viewer for `path`: the command in `QUIVER_VIEWER` when set (like
/// `$BROWSER`: for kiosks, remote sessions and scripted runs), else the OS's default
/// application for the file.
///
/// # Errors
/// [`LaunchError`] when no viewer could be started.
pub fn launch(path: &str) -> Result<(), LaunchError> {
    let failed = |reason: String| LaunchError {
        path: path.to_owned(),
        reason,
    };
    match std::env::var("QUIVER_VIEWER") {
        Ok(viewer) if !viewer.trim().is_empty() => {
            let mut words = viewer.split_whitespace();
            let program = words.next().expect("not blank");
            Command::new(program)
                .args(words)
                .arg(OsStr::new(path))
                .stdin(Stdio::null())
                .spawn()
                .map_err(|e| failed(e.to_string()))?;
            Ok(())
        }
        _ => opener::open(path).map_err(|e| failed(e.to_string())),
    }
}

/// The data dir when none is given: `QUIVER_DATA_DIR`, else the OS's data dir for
/// Quiver (`~/.local/share/Quiver` on Linux).
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("QUIVER_DATA_DIR").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    directories::ProjectDirs::from("", "", "Quiver").map(|d| d.data_dir().to_owned())
}
