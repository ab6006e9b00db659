//! The desktop's default application for a file type, read the way `xdg-mime` reads
//! it (the freedesktop.org MIME applications spec), without needing xdg-utils: the
//! first `mimeapps.list` that names a default, then the desktop entry's `Exec` line.

use std::path::{Path, PathBuf};

/// The MIME type of the formats Quiver opens, by extension.
pub fn mime_of(path: &str) -> Option<&'static str> {
    let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "html" | "htm" => "text/html",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "txt" => "text/plain",
        _ => return None,
    })
}

fn env_dir(var: &str, home_default: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(v) => Some(v.into()),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(home_default)),
    }
}

fn data_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = env_dir("XDG_DATA_HOME", ".local/share")
        .into_iter()
        .collect();
    let system = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    dirs.extend(system.split(':').map(PathBuf::from));
    dirs
}

/// The `mimeapps.list` files, most specific first.
fn mimeapps_lists() -> Vec<PathBuf> {
    let mut lists = Vec::new();
    if let Some(config) = env_dir("XDG_CONFIG_HOME", ".config") {
        lists.push(config.join("mimeapps.list"));
    }
    let system = std::env::var("XDG_CONFIG_DIRS")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/etc/xdg".into());
    lists.extend(
        system
            .split(':')
            .map(|d| PathBuf::from(d).join("mimeapps.list")),
    );
    for dir in data_dirs() {
        lists.push(dir.join("applications/mimeapps.list"));
        lists.push(dir.join("applications/defaults.list"));
    }
    lists
}

/// The desktop entry id (`org.gnome.Evince.desktop`) of the default application.
fn default_entry(mime: &str) -> Option<String> {
    for list in mimeapps_lists() {
        let Ok(text) = std::fs::read_to_string(&list) else {
            continue;
        };
        let mut in_defaults = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_defaults = line == "[Default Applications]";
            } else if in_defaults
                && let Some((key, value)) = line.split_once('=')
                && key.trim() == mime
                && let Some(first) = value.split(';').map(str::trim).find(|v| !v.is_empty())
            {
                return Some(first.to_owned());
            }
        }
    }
    None
}

/// The program a desktop entry runs: the first word of its `Exec` line.
fn entry_program(entry: &str) -> Option<String> {
    for dir in data_dirs() {
        let Ok(text) = std::fs::read_to_string(dir.join("applications").join(entry)) else {
            continue;
        };
        let exec = text.lines().find_map(|l| l.trim().strip_prefix("Exec="))?;
        return exec
            .split_whitespace()
            .find(|w| !w.contains('='))
            .map(str::to_owned);
    }
    None
}

/// The program that opens `path` by default on this desktop, if one is set.
pub fn default_program(path: &str) -> Option<String> {
    entry_program(&default_entry(mime_of(path)?)?)
}

/// The arguments that make `program` open at page (or slide) `page`, 1-based, for the
/// viewers that have a way; `None` for one that has not (LibreOffice opens a deck at
/// its first slide).
pub fn page_args(program: &str, path: &str, page: u32) -> Option<Vec<String>> {
    let name = Path::new(program).file_name()?.to_str()?;
    let args = match name {
        "evince" | "atril" | "xreader" => vec![format!("--page-index={page}"), path.to_owned()],
        "okular" => vec!["-p".into(), page.to_string(), path.to_owned()],
        "zathura" => vec![format!("--page={page}"), path.to_owned()],
        "qpdfview" => vec![format!("{path}#{page}")],
        "mupdf" | "mupdf-gl" => vec![path.to_owned(), page.to_string()],
        _ => return None,
    };
    Some(args)
}
