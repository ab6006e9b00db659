//! Finding the files of a library folder: recursive, skipping hidden files, Office
//! lock files and temp files, and following a symlink only if it stays inside the
//! folder.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::extract::{Format, is_known_unsupported};

/// A file found in a library folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
}

/// Whether a file name is one Quiver never indexes.
pub fn is_skipped_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('~')
        || [
            ".tmp",
            ".temp",
            ".swp",
            ".bak",
            ".part",
            ".crdownload",
            ".partial",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Every indexable file under `root` (canonical), with warnings for entries that
/// could not be read.
pub fn walk(root: &Path) -> (Vec<Found>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    let mut it = WalkDir::new(root).follow_links(true).into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_owned)
                    .unwrap_or_else(|| root.to_owned());
                warnings.push((path, e.to_string()));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0 && is_skipped_name(&name) {
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        if entry.path_is_symlink() {
            let inside = std::fs::canonicalize(entry.path()).is_ok_and(|t| t.starts_with(root));
            if !inside {
                if entry.file_type().is_dir() {
                    it.skip_current_dir();
                }
                continue;
            }
        }
        if entry.file_type().is_dir() && entry.path().to_str().is_none() {
            // Every file below would be skipped for its path: say it once, here.
            warnings.push((
                entry.path().to_owned(),
                "the folder name is not UTF-8 (an older encoding such as Latin-1?); rename it to index its files".into(),
            ));
            it.skip_current_dir();
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        if Format::from_extension(path).is_none() && !is_known_unsupported(path) {
            continue;
        }
        // The catalog, the index and every report name a file by its path as text; a
        // name in an older encoding would be stored altered and never found again.
        if path.to_str().is_none() {
            warnings.push((
                path.to_owned(),
                "the file name is not UTF-8 (an older encoding such as Latin-1?); rename it to index it".into(),
            ));
            continue;
        }
        match entry.metadata() {
            Ok(m) => found.push(Found {
                path: path.to_owned(),
                size: m.len(),
                mtime_ns: mtime_ns(&m),
            }),
            Err(e) => warnings.push((path.to_owned(), e.to_string())),
        }
    }
    (found, warnings)
}

fn mtime_ns(m: &std::fs::Metadata) -> i64 {
    use std::os::unix::fs::MetadataExt;
    m.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(m.mtime_nsec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_hidden_and_temp_files_are_skipped() {
        for name in [
            "~$deck.pptx",
            ".DS_Store",
            "draft.docx.tmp",
            "notes.txt~",
            ".~lock.x.odt#",
        ] {
            assert!(is_skipped_name(name), "{name} should be skipped");
        }
        for name in ["deck.pptx", "pricing.xlsx", "~tilde-start.md"] {
            assert!(!is_skipped_name(name), "{name} should be indexed");
        }
    }

    #[test]
    fn a_file_name_that_is_not_utf8_is_a_warning_not_a_file() {
        use std::os::unix::ffi::OsStrExt;
        let lib = tempfile::tempdir().unwrap();
        let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9 price list.txt");
        std::fs::write(lib.path().join(latin1), "prices").unwrap();
        std::fs::write(lib.path().join("café menu.txt"), "prices").unwrap();
        let folder = lib
            .path()
            .join(std::ffi::OsStr::from_bytes(b"ann\xe9e 2019"));
        std::fs::create_dir(&folder).unwrap();
        for n in 0..3 {
            std::fs::write(folder.join(format!("deck-{n}.md")), "# deck").unwrap();
        }
        let (found, mut warnings) = walk(lib.path());
        assert_eq!(found.len(), 1, "{found:?}");
        warnings.sort();
        let folder_warning = warnings.remove(0);
        assert_eq!(
            folder_warning.0, folder,
            "one warning for the folder, not its files"
        );
        assert!(found[0].path.ends_with("café menu.txt"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].0.file_name(), Some(latin1));
        assert!(warnings[0].1.contains("not UTF-8"), "{warnings:?}");
    }

    #[test]
    fn symlinks_out_of_the_root_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.md"), "# outside").unwrap();
        let lib = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(lib.path()).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.md"), "# inside").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
        std::os::unix::fs::symlink(root.join("sub"), root.join("alias")).unwrap();
        let (found, _) = walk(&root);
        let names: Vec<String> = found
            .iter()
            .map(|f| f.path.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert!(names.contains(&"sub/a.md".to_owned()));
        assert!(
            names.contains(&"alias/a.md".to_owned()),
            "links inside the root are followed"
        );
        assert!(
            !names.iter().any(|n| n.contains("secret")),
            "links out of the root are not: {names:?}"
        );
    }
}
