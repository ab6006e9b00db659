//! `backup` and `doctor`: copying a data dir while it is in use, and checking (and on
//! request repairing) what it holds.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::datadir::DataDir;
use crate::{Error, Result, UserError};

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Backup {
    pub dest: PathBuf,
    /// The catalog copy, `DEST/catalog.sqlite3`: one file (its WAL folded in).
    pub catalog: PathBuf,
    pub catalog_bytes: u64,
    /// Whether `config.toml` was copied (there may be none).
    pub config: bool,
    /// The search index is not copied: it is derived, and a data dir restored from
    /// this backup rebuilds it from the catalog when it is first opened.
    pub index: &'static str,
}

/// Backs the data dir up into `dest`, a folder that does not exist or is empty: the
/// catalog through SQLite's online backup (consistent while others write), and the
/// config. Searches, opens and index runs may go on meanwhile.
///
/// # Errors
/// [`UserError::InvalidValue`] for a `dest` that holds files; I/O and SQLite errors
/// ([`UserError::DiskFull`] on a full disk).
pub fn backup(dd: &DataDir, dest: &Path) -> Result<Backup> {
    let taken = std::fs::read_dir(dest).is_ok_and(|mut d| d.next().is_some());
    if taken {
        return Err(UserError::InvalidValue {
            field: "dest".into(),
            message: format!(
                "{} is not empty: a backup goes into a new or empty folder",
                dest.display()
            ),
        }
        .into());
    }
    std::fs::create_dir_all(dest)
        .map_err(|e| Error::io(format!("creating {}", dest.display()), e))?;
    let catalog = dest.join("catalog.sqlite3");
    let catalog_bytes = dd.catalog.backup_to(&catalog)?;
    let config_path = dd.root.join("config.toml");
    let config = match std::fs::read(&config_path) {
        Ok(bytes) => {
            crate::fsutil::write_bytes(&dest.join("config.toml"), &bytes)?;
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(format!("reading {}", config_path.display()), e)),
    };
    Ok(Backup {
        dest: dest.to_owned(),
        catalog,
        catalog_bytes,
        config,
        index: "not copied: rebuilt from the catalog when the restored data dir is first opened",
    })
}

/// What `doctor` found, and did.
#[derive(Debug, Clone, Serialize)]
pub struct Checkup {
    /// What SQLite's `quick_check` found wrong in the catalog; empty when sound.
    pub catalog_problems: Vec<String>,
    /// Whether a segment file of the index fails its checksum.
    pub index_damaged: bool,
    pub index_documents: u64,
    /// Assets the catalog says are indexed.
    pub catalog_indexed: usize,
    /// Indexed by the catalog's account, but not in the index.
    pub missing_from_index: usize,
    /// In the index without the catalog vouching for them, or there twice.
    pub extra_in_index: usize,
    /// Whether everything agrees.
    pub healthy: bool,
    /// Whether the index was rebuilt (`repair` and something was wrong with it).
    pub repaired: bool,
}

/// Checks the catalog (`quick_check`), the index (checksums) and that they agree;
/// with `repair`, rebuilds an index that is damaged or disagrees. A damaged catalog
/// is not repaired here: it is restored from a backup.
///
/// # Errors
/// SQLite and index errors; [`UserError::IndexingRunning`] when a repair is asked
/// while an index run holds the index.
pub fn doctor(dd: &mut DataDir, repair: bool) -> Result<Checkup> {
    let mut checkup = examine(dd)?;
    let index_wrong =
        checkup.index_damaged || checkup.missing_from_index > 0 || checkup.extra_in_index > 0;
    if repair && index_wrong {
        if !dd.rebuild_index()? {
            return Err(UserError::IndexingRunning(dd.index_dir()).into());
        }
        checkup = examine(dd)?;
        checkup.repaired = true;
    }
    Ok(checkup)
}

fn examine(dd: &DataDir) -> Result<Checkup> {
    let catalog_problems = dd.catalog.quick_check()?;
    let index_damaged = dd.index_error.is_some() || dd.index.damaged();
    let (in_index, index_documents) = if index_damaged {
        (Default::default(), 0)
    } else {
        (dd.index.asset_ids()?, dd.index.num_docs()?)
    };
    let believed: HashSet<String> = dd.catalog.indexed_assets()?;
    let missing_from_index = believed
        .iter()
        .filter(|id| !in_index.contains_key(*id))
        .count();
    let extra_in_index = in_index
        .iter()
        .map(|(id, n)| if believed.contains(id) { n - 1 } else { *n })
        .sum();
    Ok(Checkup {
        healthy: catalog_problems.is_empty()
            && !index_damaged
            && missing_from_index == 0
            && extra_in_index == 0,
        catalog_problems,
        index_damaged,
        index_documents,
        catalog_indexed: believed.len(),
        missing_from_index,
        extra_in_index,
        repaired: false,
    })
}
