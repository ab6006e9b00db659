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

/// Present while an index run is under way (see [`DataDir::index_dirty`]).
const DIRTY_MARK: &str = "index.dirty";

/// An opened data dir.
pub struct DataDir {
    pub root: PathBuf,
    pub catalog: Catalog,
    pub index: SearchIndex,
    pub config: Config,
    /// Why the search index could not be opened or rebuilt, if so: commands that do
    /// not search go on; a search reports it.
    pub index_error: Option<String>,
    /// Whether this opening found the index damaged and rebuilt it from the catalog.
    pub index_rebuilt: bool,
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
        // An index run that did not end cleanly (killed, a power cut) may have left
        // damaged files behind, and an `index/` folder deleted by hand is rebuilt.
        let missing = !index_dir.exists();
        let suspect = missing || root.join(DIRTY_MARK).exists();
        let mut dd = DataDir {
            root: root.to_owned(),
            catalog,
            index: SearchIndex::in_ram(),
            config,
            index_error: None,
            index_rebuilt: false,
        };
        let opened = std::panic::catch_unwind(|| SearchIndex::open(&index_dir))
            .unwrap_or_else(|_| Err(Error::Internal("the search index panicked".into())));
        match opened {
            Ok(index) => {
                dd.index = index;
                if suspect
                    && !SearchIndex::writer_busy(&index_dir)
                    && (if missing {
                        // A new data dir has nothing to rebuild.
                        !dd.catalog.indexed_assets()?.is_empty()
                    } else {
                        dd.index.damaged()
                    })
                {
                    dd.rebuild_index_or_note();
                } else if suspect && !SearchIndex::writer_busy(&index_dir) {
                    let _ = std::fs::remove_file(root.join(DIRTY_MARK));
                }
            }
            // The index is derived: whatever stops it opening (damaged files, tantivy's
            // own complaint), it is rebuilt from the catalog. Not while an index run
            // holds it; then, as when the rebuild fails (a full disk), commands that do
            // not search go on, and a search says why it can't.
            Err(e) if SearchIndex::writer_busy(&index_dir) => dd.index_error = Some(e.to_string()),
            Err(_) => dd.rebuild_index_or_note(),
        }
        Ok(dd)
    }

    /// Drops the search index and writes it again from the catalog's text, without
    /// reading any file. Returns `false` when an index run holds the writer (it keeps
    /// the index up to date itself).
    ///
    /// # Errors
    /// Catalog errors, and index errors (a full disk).
    pub fn rebuild_index(&mut self) -> Result<bool> {
        let dir = self.index_dir();
        if SearchIndex::writer_busy(&dir) {
            return Ok(false);
        }
        self.index = SearchIndex::in_ram();
        drop_index(&mut self.catalog, &dir)?;
        self.index = SearchIndex::open(&dir)?;
        crate::indexer::refresh(self)?;
        let _ = std::fs::remove_file(self.root.join(DIRTY_MARK));
        self.index_error = None;
        Ok(true)
    }

    fn rebuild_index_or_note(&mut self) {
        match self.rebuild_index() {
            Ok(true) => self.index_rebuilt = true,
            Ok(false) => {}
            Err(e) => self.index_error = Some(e.to_string()),
        }
    }

    /// Marks an index run as under way: a run that ends without [`DataDir::index_clean`]
    /// (a kill) gets its index's checksums verified at the next opening.
    pub(crate) fn index_dirty(&self) -> Result<()> {
        let path = self.root.join(DIRTY_MARK);
        std::fs::write(&path, b"").map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    pub(crate) fn index_clean(&self) {
        let _ = std::fs::remove_file(self.root.join(DIRTY_MARK));
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
