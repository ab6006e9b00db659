//! Library roots: the folders Quiver watches.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Catalog;
use crate::Result;

impl Catalog {
    pub fn add_root(&self, path: &Path, now: DateTime<Utc>) -> Result<bool> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO library_roots (path, added_at) VALUES (?1, ?2)",
            (path.to_string_lossy(), now.to_rfc3339()),
        )?;
        Ok(n > 0)
    }

    pub fn remove_root(&self, path: &Path) -> Result<bool> {
        let n = self.conn().execute(
            "DELETE FROM library_roots WHERE path = ?1",
            [path.to_string_lossy()],
        )?;
        Ok(n > 0)
    }

    pub fn roots(&self) -> Result<Vec<PathBuf>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path FROM library_roots ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows
            .map(|r| r.map(PathBuf::from))
            .collect::<Result<_, _>>()?)
    }
}
