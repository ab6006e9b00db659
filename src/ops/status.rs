//! What a data dir holds, in one shape for every front.

use std::path::PathBuf;

use serde::Serialize;

use super::Caller;
use crate::Result;
use crate::capture::{self, Rep};
use crate::catalog::Catalog;
use crate::datadir::DataDir;
use crate::index::SearchIndex;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Status {
    pub data_dir: PathBuf,
    pub schema_version: usize,
    pub library: Vec<PathBuf>,
    /// Assets with at least one file present.
    #[cfg_attr(test, ts(type = "number"))]
    pub assets: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub missing_assets: i64,
    /// Present files (an asset may have several).
    #[cfg_attr(test, ts(type = "number"))]
    pub files: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub problems: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub index_documents: u64,
    /// Assets whose search document is out of date (the next index run fixes them).
    #[cfg_attr(test, ts(type = "number"))]
    pub pending_index: i64,
    /// The rep set on this data dir, if any.
    pub rep: Option<Rep>,
    /// Who events are recorded for: the rep set, else the login name.
    pub current_rep: String,
    /// Whether an index run (of any process) holds the index writer.
    pub indexing: bool,
    /// The deal the rep is preparing for (opens are tied to it), until it closes.
    pub current_deal: Option<String>,
}

pub fn status(dd: &DataDir, caller: &Caller) -> Result<Status> {
    let counts = dd.catalog.counts()?;
    Ok(Status {
        data_dir: dd.root.clone(),
        schema_version: Catalog::schema_version(),
        library: dd.catalog.roots()?,
        assets: counts.assets,
        missing_assets: counts.missing_assets,
        files: counts.files,
        problems: counts.problems,
        index_documents: dd.index.num_docs()?,
        pending_index: counts.pending_index,
        rep: capture::rep(&dd.catalog)?,
        current_rep: caller.rep(&dd.catalog)?,
        indexing: SearchIndex::writer_busy(&dd.index_dir()),
        current_deal: super::current_deal(dd)?,
    })
}
