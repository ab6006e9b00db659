//! Files that could not be indexed, and why.

use serde::Serialize;

use super::Catalog;
use crate::Result;

/// One row of `quiver problems`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct ProblemRow {
    pub path: String,
    /// A stable reason code (`encrypted`, `corrupt`, `too_large`, ...).
    pub kind: String,
    /// The reason in words.
    pub reason: String,
    pub at: String,
}

impl Catalog {
    pub fn problems(&self) -> Result<Vec<ProblemRow>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path, kind, message, at FROM problems ORDER BY kind, path")?;
        let rows = stmt.query_map([], |r| {
            Ok(ProblemRow {
                path: r.get(0)?,
                kind: r.get(1)?,
                reason: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
