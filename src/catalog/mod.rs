//! The catalog: one SQLite file (`catalog.sqlite3`) that is the source of truth for
//! library roots, assets, their versions and locations, extracted text and problems.
//! The search index is derived from it and can be rebuilt from it.
//!
//! WAL with `synchronous = FULL`: a write that a command has acknowledged is on disk,
//! so neither a kill nor a power cut loses it; readers never block the writer.

mod assets;
mod ingest;
mod library;
mod problems;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{M, Migrations};

pub use assets::{AssetDetail, AssetField, HistoryEntry, IndexDoc, LocationInfo, SearchRecord};
pub use ingest::{FileStat, Ingest, KnownPath};
pub use problems::ProblemRow;

use crate::{Result, UserError};

const MIGRATIONS: &[&str] = &[include_str!("schema/v1.sql")];

/// An open catalog.
pub struct Catalog {
    conn: Connection,
}

impl Catalog {
    /// Opens (creating and migrating as needed) the catalog at `path`.
    ///
    /// # Errors
    /// [`UserError::SchemaTooNew`] if a newer Quiver wrote it; SQLite errors otherwise.
    pub fn open(path: &Path) -> Result<Catalog> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let found = usize::try_from(found).unwrap_or(0);
        if found > MIGRATIONS.len() {
            return Err(UserError::SchemaTooNew {
                path: path.parent().unwrap_or(path).to_owned(),
                found,
                known: MIGRATIONS.len(),
            }
            .into());
        }
        migrations().to_latest(&mut conn)?;
        Ok(Catalog { conn })
    }

    /// The schema version this build writes.
    pub fn schema_version() -> usize {
        MIGRATIONS.len()
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations()
            .validate()
            .expect("every migration applies to an empty database");
    }

    #[test]
    fn newer_schema_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite3");
        drop(Catalog::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Catalog::open(&path)
            .err()
            .expect("a newer schema must be refused");
        assert_eq!(err.code(), "user.schema_too_new");
        assert!(err.to_string().contains("newer Quiver"), "{err}");
    }
}
