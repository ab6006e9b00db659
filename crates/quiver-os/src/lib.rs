//! What Quiver's fronts (the CLI and the desktop app) take from the operating system:
//! the login name, for events recorded before a rep has named themselves, and a viewer
//! for the file a rep opens. The core reads no environment and starts no process, so
//! these live here, once, for both fronts.

mod handler;
mod launch;

pub use launch::{LaunchError, Launched, launch};

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

/// The data dir when none is given: `QUIVER_DATA_DIR`, else the OS's data dir for
/// Quiver (`~/.local/share/Quiver` on Linux).
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("QUIVER_DATA_DIR").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    directories::ProjectDirs::from("", "", "Quiver").map(|d| d.data_dir().to_owned())
}

/// The launcher `quiver::ops::open` takes, for both fronts: the viewer at the page when
/// it can, what to tell the rep when it cannot, and a failure as the core's error.
///
/// # Errors
/// [`quiver::UserError::ViewerFailed`] when no viewer started.
pub fn open_viewer(path: &str, page: Option<u32>) -> quiver::Result<Option<String>> {
    match launch(path, page) {
        Ok(launched) => Ok(launched.note),
        Err(e) => Err(quiver::UserError::ViewerFailed {
            path: e.path,
            reason: e.reason,
        }
        .into()),
    }
}

/// A front's extraction worker (the front's binary started with
/// `quiver::extract::pool::WORKER_ARG`): `QUIVER_PDFIUM` may name the PDFium library
/// to use, read here because the core reads no environment; `args` are the arguments
/// after the worker's.
pub fn extraction_worker(args: &[String]) -> std::process::ExitCode {
    if let Some(p) = std::env::var_os("QUIVER_PDFIUM").filter(|p| !p.is_empty()) {
        quiver::extract::pdf::use_library(p.into());
    }
    match quiver::extract::pool::serve_stdio(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}
