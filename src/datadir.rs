//! The data dir: where one Quiver keeps its catalog, index and config.
//!
//! ```text
//! <data dir>/
//!   catalog.sqlite3   source of truth (SQLite, WAL)
//!   index/            tantivy index, derived from the catalog
//!   config.toml       optional limits
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::index::{self, SearchIndex};
use crate::{Error, Result, UserError};

const CATALOG_FILE: &str = "catalog.sqlite3";

/// An opened data dir.
pub struct DataDir {
    pub root: PathBuf,
    pub catalog: Catalog,
    pub index: SearchIndex,
    pub config: Config,
}

impl DataDir {
    /// Opens (creating, migrating) a data dir. An index written by another schema
    /// version, or one whose files are damaged, is rebuilt from the catalog.
    ///
    /// # Errors
    /// [`crate::UserError::SchemaTooNew`] for a data dir of a newer Quiver, or I/O and
    /// database errors.
    pub fn open(root: &Path, now: DateTime<Utc>) -> Result<DataDir> {
        std::fs::create_dir_all(root)
            .map_err(|e| Error::io(format!("creating data dir {}", root.display()), e))?;
        let mut catalog = Catalog::open(&root.join(CATALOG_FILE))?;
        let config = Config::load(&root.join("config.toml"))?;
        let index_dir = root.join("index");
        if catalog.meta("index_schema")?.as_deref() != Some(index::SCHEMA_VERSION) {
            drop_index(&mut catalog, &index_dir)?;
            catalog.set_meta("index_schema", index::SCHEMA_VERSION)?;
        }
        crate::reasons::seed(&catalog, now)?;
        let index = match SearchIndex::open(&index_dir) {
            Ok(index) => index,
            // Damaged files (a power cut during a commit, say): the index is derived.
            // Not while an index run holds it, and not for other errors (a full disk,
            // no file handles left), which a rebuild would not cure.
            Err(e) if SearchIndex::is_damaged(&e) && !SearchIndex::writer_busy(&index_dir) => {
                drop_index(&mut catalog, &index_dir)?;
                SearchIndex::open(&index_dir)?
            }
            Err(e) => return Err(e),
        };
        Ok(DataDir {
            root: root.to_owned(),
            catalog,
            index,
            config,
        })
    }

    /// Opens a data dir that has been set up before, for a command that only reads
    /// it: a mistyped `--data-dir` is then an error, not a new, empty data dir.
    ///
    /// # Errors
    /// [`UserError::NoDataDir`] when `root` holds no catalog, else as [`DataDir::open`].
    pub fn open_existing(root: &Path, now: DateTime<Utc>) -> Result<DataDir> {
        if !root.join(CATALOG_FILE).is_file() {
            return Err(UserError::NoDataDir(root.to_owned()).into());
        }
        DataDir::open(root, now)
    }

    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }
}

/// Deletes the search index; the next index run rebuilds it from the catalog's text,
/// without reading any file.
fn drop_index(catalog: &mut Catalog, index_dir: &Path) -> Result<()> {
    if index_dir.exists() {
        std::fs::remove_dir_all(index_dir)
            .map_err(|e| Error::io(format!("removing the index {}", index_dir.display()), e))?;
    }
    let all: Vec<String> = catalog.indexed_assets()?.into_iter().collect();
    catalog.forget_indexed(&all)
}
