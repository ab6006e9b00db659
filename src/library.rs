//! The library: which folders Quiver indexes.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::{Result, UserError};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Added {
    pub path: String,
    /// `added`, `already` (in the library), or `covered` (inside a library folder).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub covered_by: Option<String>,
}

/// The `folder` filter's value for a folder given by its full path: its name as search
/// knows it (the library folder's name, then the path below it). Any other value is
/// returned as it is.
///
/// # Errors
/// Catalog errors.
pub fn folder_filter(catalog: &Catalog, value: &str) -> Result<String> {
    let path = Path::new(value);
    if !path.is_absolute() {
        return Ok(value.to_owned());
    }
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    for root in catalog.roots()? {
        if let (Ok(below), Some(name)) = (path.strip_prefix(&root), root.file_name()) {
            let mut facet = PathBuf::from(name);
            facet.push(below);
            return Ok(facet.to_string_lossy().into_owned());
        }
    }
    Ok(value.to_owned())
}

/// Where a file sits, as a rep reads it: the library folder's name and the folders
/// below it (`collateral/pricing`), not a cut-off absolute path. A file outside every
/// library folder shows its parent folder.
pub fn folder_label(roots: &[PathBuf], path: &str) -> String {
    let path = Path::new(path);
    let parent = path.parent().unwrap_or(path);
    for root in roots {
        if let (Ok(below), Some(name)) = (parent.strip_prefix(root), root.file_name()) {
            let mut label = PathBuf::from(name);
            if !below.as_os_str().is_empty() {
                label.push(below);
            }
            return label.to_string_lossy().into_owned();
        }
    }
    parent.to_string_lossy().into_owned()
}

/// Refuses a folder that a page typed, not a person in a shell: one that is hidden or
/// inside a hidden folder (`~/.ssh`, `~/.config`). The walk skips hidden files below a
/// library folder, but a hidden library folder's own files would be indexed, and
/// collateral is never kept there.
///
/// # Errors
/// [`UserError::NoSuchFolder`]; [`UserError::InvalidValue`] for a hidden folder.
pub fn check_not_hidden(path: &Path) -> Result<()> {
    let canonical =
        std::fs::canonicalize(path).map_err(|_| UserError::NoSuchFolder(path.to_owned()))?;
    let hidden = canonical
        .components()
        .any(|part| part.as_os_str().to_string_lossy().starts_with('.'));
    if hidden {
        return Err(UserError::InvalidValue {
            field: "folder".into(),
            message: format!(
                "{} is a hidden folder or inside one: collateral is not kept there, and its files may be private",
                canonical.display()
            ),
        }
        .into());
    }
    Ok(())
}

/// Adds folders. Each is stored canonical (symlinks resolved), and a folder inside one
/// already in the library is not added twice.
///
/// # Errors
/// [`UserError::NoSuchFolder`] when a path is not an existing folder; nothing is added
/// then.
pub fn add(catalog: &Catalog, paths: &[PathBuf], now: DateTime<Utc>) -> Result<Vec<Added>> {
    let mut canonical = Vec::with_capacity(paths.len());
    for p in paths {
        match std::fs::canonicalize(p) {
            Ok(c) if c.is_dir() => canonical.push(c),
            _ => return Err(UserError::NoSuchFolder(p.clone()).into()),
        }
    }
    let mut out = Vec::new();
    for path in canonical {
        let roots = catalog.roots()?;
        let shown = path.display().to_string();
        if let Some(parent) = roots.iter().find(|r| path.starts_with(r) && **r != path) {
            out.push(Added {
                path: shown,
                status: "covered",
                covered_by: Some(parent.display().to_string()),
            });
            continue;
        }
        let status = if catalog.add_root(&path, now)? {
            "added"
        } else {
            "already"
        };
        // A folder that contains library folders replaces them.
        for child in roots.iter().filter(|r| r.starts_with(&path) && **r != path) {
            catalog.remove_root(child)?;
        }
        out.push(Added {
            path: shown,
            status,
            covered_by: None,
        });
    }
    Ok(out)
}

/// Removes a folder; its files are marked missing by the next index run.
///
/// # Errors
/// [`UserError::NotInLibrary`] when it is not a library folder.
pub fn remove(catalog: &Catalog, path: &Path) -> Result<PathBuf> {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    for candidate in [&canonical, &path.to_owned()] {
        if catalog.remove_root(candidate)? {
            return Ok(candidate.clone());
        }
    }
    Err(UserError::NotInLibrary(path.to_owned()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_folder_or_one_inside_it_is_refused() {
        let home = tempfile::Builder::new().prefix("home").tempdir().unwrap();
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(ssh.join("keys")).unwrap();
        for hidden in [ssh.clone(), ssh.join("keys"), ssh.join(".")] {
            let err = check_not_hidden(&hidden).unwrap_err();
            assert_eq!(err.field(), Some("folder"), "{}", hidden.display());
        }
        check_not_hidden(home.path()).expect("a plain folder is fine");
    }
}
