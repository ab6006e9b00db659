//! Backing the catalog up and checking it: SQLite's online backup API and
//! `PRAGMA quick_check`.

use std::path::Path;

use super::Catalog;
use crate::{Error, Result};

impl Catalog {
    /// Copies the catalog, as one consistent state, to a new file at `to` (written
    /// under a temporary name and renamed, so `to` is whole or absent). Other
    /// processes may go on writing: the copy is of a moment between their writes, and
    /// holds what the `-wal` file held, so the copy is one file.
    ///
    /// # Errors
    /// SQLite and I/O errors ([`crate::UserError::DiskFull`] on a full disk).
    pub fn backup_to(&self, to: &Path) -> Result<u64> {
        let mut tmp = to.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = std::path::PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        let copied = (|| -> Result<()> {
            self.conn()
                .backup(rusqlite::MAIN_DB, &tmp, None)
                .map_err(Error::from)?;
            // A copy in the rollback journal mode: one file, whatever opens it next.
            let copy = rusqlite::Connection::open(&tmp)?;
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            drop(copy);
            let f = std::fs::File::open(&tmp)
                .map_err(|e| Error::io(format!("opening {}", tmp.display()), e))?;
            f.sync_all()
                .map_err(|e| Error::io(format!("syncing {}", tmp.display()), e))?;
            std::fs::rename(&tmp, to).map_err(|e| Error::io(format!("writing {}", to.display()), e))
        })();
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::metadata(to)
            .map(|m| m.len())
            .map_err(|e| Error::io(format!("reading {}", to.display()), e))
    }

    /// SQLite's `PRAGMA quick_check`: empty when the file is sound, else what is
    /// wrong.
    ///
    /// # Errors
    /// SQLite errors (a file too damaged to check).
    pub fn quick_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare("PRAGMA quick_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let found: Vec<String> = rows.collect::<Result<_, _>>()?;
        Ok(found.into_iter().filter(|l| l != "ok").collect())
    }
}
