//! The catalog: one SQLite file (`catalog.sqlite3`) that is the source of truth for
//! library roots, assets, their versions and locations, extracted text and problems.
//! The search index is derived from it and can be rebuilt from it.
//!
//! WAL with `synchronous = FULL`: a write that a command has acknowledged is on disk,
//! so neither a kill nor a power cut loses it; readers never block the writer.

mod activity;
mod assets;
mod deals;
mod demo;
mod events;
mod ingest;
mod library;
mod maintenance;
mod problems;
mod reasons;
mod reports;
mod setup;
mod snapshot;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

pub use activity::{Activity, DealUse, Tally};
pub use assets::{
    AssetDetail, AssetField, HistoryEntry, IndexDoc, LocationInfo, SearchRecord, SectionHead,
    SectionText, SectionTexts,
};
pub(crate) use deals::FieldChange;
pub use events::{CurrentFile, EventRow, StoredFile};
pub use ingest::{FileStat, Ingest, KnownPath};
pub use problems::ProblemRow;
pub use snapshot::Snapshot;

use crate::{Result, UserError};

const MIGRATIONS: &[&str] = &[
    include_str!("schema/v1.sql"),
    include_str!("schema/v2.sql"),
    include_str!("schema/v3.sql"),
    include_str!("schema/v4.sql"),
    include_str!("schema/v5.sql"),
    include_str!("schema/v6.sql"),
    include_str!("schema/v7.sql"),
];

/// How much the catalog holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Counts {
    /// Assets with at least one file present.
    pub assets: i64,
    pub missing_assets: i64,
    /// Present files (an asset may have several).
    pub files: i64,
    pub problems: i64,
    /// Assets whose search document is out of date (the next index run fixes them).
    pub pending_index: i64,
}

/// An open catalog.
pub struct Catalog {
    conn: Connection,
}

/// Above this size the WAL is checkpointed when a catalog closes: every process that
/// opens the catalog first reads the whole WAL, so it must stay small.
const WAL_KEEP_BYTES: u64 = 1 << 20;

impl Drop for Catalog {
    fn drop(&mut self) {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return;
        };
        let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
        if wal > WAL_KEEP_BYTES {
            // Best effort, and without waiting: another process reading or writing makes
            // the checkpoint give up at once, and the next close tries again.
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

impl Catalog {
    /// For unit tests elsewhere in the crate: asset `a` with one version, numbered
    /// `version`, whose pages hold `pages`.
    #[cfg(test)]
    pub(crate) fn add_test_version(&self, version: i64, pages: &[&str]) {
        self.conn
            .execute_batch(&format!(
                "INSERT INTO assets (id, created_at, status) VALUES ('a', 'now', 'present');
                 INSERT INTO versions (id, asset_id, hash, byte_size, first_seen)
                 VALUES ({version}, 'a', 'h', 0, 'now');"
            ))
            .unwrap();
        for (n, text) in pages.iter().enumerate() {
            self.conn
                .execute(
                    "INSERT INTO sections (version_id, number, kind, text) VALUES (?1, ?2, 'page', ?3)",
                    rusqlite::params![version, n as i64 + 1, text],
                )
                .unwrap();
        }
    }

    /// Opens (creating and migrating as needed) the catalog at `path`.
    ///
    /// # Errors
    /// [`UserError::SchemaTooNew`] if a newer Quiver wrote it; SQLite errors otherwise.
    pub fn open(path: &Path) -> Result<Catalog> {
        // Creating and migrating are serialised across processes: two first commands
        // on a new data dir used to race (one migrating a half-created schema, or
        // finding the catalog busy before SQLite's busy handler applied).
        let _setup = setup::lock(path)?;
        if path.exists() {
            setup::check_header(path)?;
        } else {
            setup::create(path)?;
        }
        Catalog::open_checked(path).map_err(|e| setup::damaged(path, e))
    }

    fn open_checked(path: &Path) -> Result<Catalog> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Each CLI command is a process: checkpointing and deleting the WAL at every
        // exit, then recreating it (two more fsyncs) at the next write, cost more than
        // the command. `Drop` checkpoints once the WAL has grown.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A transaction that reads and then writes takes the write lock up front. Begun
        // deferred, it reads a snapshot first, and if another process commits before it
        // writes, SQLite fails it at once (the busy timeout cannot help: the snapshot is
        // stale for good); an index run died that way while searches recorded events.
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        // The default 2 MB page cache thrashes once events reach the millions: bulk
        // imports update several indexes at random places. 64 MB of cache and a memory
        // map keep them in memory.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "mmap_size", 268_435_456)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
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

    /// SQL stays in this module: the rest of the crate calls typed functions.
    fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The tables through this catalog's connection, each statement its own
    /// transaction.
    pub(crate) fn tables(&self) -> Tables<'_> {
        Tables { conn: &self.conn }
    }

    /// Starts a unit of work: the store functions called through [`Tx::tables`] commit
    /// together, or not at all when the `Tx` is dropped uncommitted.
    /// A write transaction on a shared catalog: `BEGIN IMMEDIATE`, so it takes the
    /// write lock (waiting out the busy timeout) before its first read, and never fails
    /// halfway when another writer got there first.
    pub(crate) fn write(&self) -> Result<Tx<'_>> {
        Ok(Tx {
            tx: rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?,
        })
    }

    pub(crate) fn transaction(&mut self) -> Result<Tx<'_>> {
        Ok(Tx {
            tx: self.conn.transaction()?,
        })
    }

    /// A second, read-only connection to the same file, for a read that runs on
    /// another thread (WAL lets it read while this connection works).
    fn reader(&self) -> Result<Connection> {
        let path = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| crate::Error::Internal("the catalog has no file".into()))?;
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "mmap_size", 268_435_456)?;
        Ok(conn)
    }

    /// Starts copying the WAL into the database file on another thread, for a caller
    /// that has written a lot and has other work before it closes: the checkpoint at
    /// close then has only what came after. Best effort, like that one.
    pub(crate) fn checkpoint_meanwhile(&self) -> std::thread::JoinHandle<()> {
        let path = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        std::thread::spawn(move || {
            let Some(path) = path else { return };
            if let Ok(conn) =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            {
                // TRUNCATE, so the WAL that remains at close is small enough to stay;
                // without waiting, like that one: TRUNCATE holds the write lock while
                // it waits for readers, and other processes' writes would wait too.
                let _ = conn.busy_timeout(Duration::ZERO);
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
        })
    }

    fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Whether any history is here: an event or a deal.
    pub fn holds_history(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM deals)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Counts for `quiver status`.
    pub fn counts(&self) -> Result<Counts> {
        Ok(self.conn.query_row(
            "SELECT
               (SELECT count(*) FROM assets WHERE status = 'present'),
               (SELECT count(*) FROM assets WHERE status = 'missing'),
               (SELECT count(*) FROM locations WHERE status = 'present'),
               (SELECT count(*) FROM problems),
               (SELECT count(*) FROM assets
                 WHERE (status = 'present' AND (indexed_version IS NOT current_version OR index_stale))
                    OR (status = 'missing' AND indexed_version IS NOT NULL))",
            [],
            |r| {
                Ok(Counts {
                    assets: r.get(0)?,
                    missing_assets: r.get(1)?,
                    files: r.get(2)?,
                    problems: r.get(3)?,
                    pending_index: r.get(4)?,
                })
            },
        )?)
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The secret that keys rep pseudonyms: 32 bytes made at first use (from two random
    /// UUIDs, 244 random bits) and kept in the catalog, so a pseudonym is stable for
    /// this data dir and cannot be undone by hashing a list of names.
    ///
    /// # Errors
    /// Catalog errors (the first use writes).
    pub fn pseudonym_key(&self) -> Result<[u8; 32]> {
        let parse = |hex: &str| -> Option<[u8; 32]> {
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<_>>()?;
            bytes.try_into().ok()
        };
        if let Some(key) = self.meta("pseudonym_key")?.as_deref().and_then(parse) {
            return Ok(key);
        }
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        // Another process may have made one first: theirs is kept.
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('pseudonym_key', ?1)",
            [hex],
        )?;
        self.meta("pseudonym_key")?
            .as_deref()
            .and_then(parse)
            .ok_or_else(|| {
                crate::Error::Internal("the pseudonym key is not 32 bytes of hex".into())
            })
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

/// The catalog's tables through one connection: the catalog's own, or a transaction's.
/// Domain rules (capture, deals, reasons) call the same typed store functions either
/// way, so a unit of work is atomic without the rules seeing SQL.
#[derive(Clone, Copy)]
pub(crate) struct Tables<'c> {
    conn: &'c Connection,
}

/// A unit of work on the catalog (see [`Catalog::transaction`]).
pub(crate) struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
}

impl Tx<'_> {
    pub(crate) fn tables(&self) -> Tables<'_> {
        Tables { conn: &self.tx }
    }

    /// Foreign keys are checked at commit, not per statement: for a batch whose rows
    /// refer to rows further down.
    pub(crate) fn defer_foreign_keys(&self) -> Result<()> {
        self.tx.pragma_update(None, "defer_foreign_keys", "ON")?;
        Ok(())
    }

    pub(crate) fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }

    /// Undoes the unit of work (what dropping it does too), reporting any error.
    pub(crate) fn rollback(self) -> Result<()> {
        self.tx.rollback()?;
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
    fn an_older_data_dir_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        // What the first release wrote: schema v1 only.
        Migrations::new(vec![M::up(MIGRATIONS[0])])
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO library_roots (path, added_at) VALUES ('/lib', 'then');
             INSERT INTO assets (id, created_at, status) VALUES ('a', 'then', 'present');
             INSERT INTO versions (id, asset_id, hash, byte_size, first_seen)
             VALUES (7, 'a', 'h', 3, 'then');
             INSERT INTO sections (version_id, number, kind, name, text)
             VALUES (7, 2, 'sheet', 'Prices', 'second'), (7, 1, 'page', NULL, 'first');",
        )
        .unwrap();
        drop(conn);
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(
            catalog.roots().unwrap(),
            vec![std::path::PathBuf::from("/lib")],
            "data survives"
        );
        // v4 moved the texts to a rowid table, read in pieces.
        let heads = catalog.section_heads(7).unwrap();
        let shape: Vec<(u32, &str, Option<&str>)> = heads
            .iter()
            .map(|h| (h.number, h.kind.as_str(), h.name.as_deref()))
            .collect();
        assert_eq!(shape, [(1, "page", None), (2, "sheet", Some("Prices"))]);
        let mut texts = catalog.section_texts();
        let mut buf = [0; 16];
        let n = texts.read_at(heads[1].id, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"second");
        let version: i64 = catalog
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(
            version as usize,
            MIGRATIONS.len(),
            "migrated to the latest schema"
        );
        let events: i64 = catalog
            .conn()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 0, "the v2 tables exist");
    }

    #[test]
    fn v3_numbers_the_open_days_of_a_v2_catalog_and_keeps_them_by_trigger() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite3");
        let open = |conn: &Connection, id: &str, at: &str, rep: &str, asset: &str| {
            conn.execute(
                "INSERT INTO events (id, kind, at, rep, surface, asset_id) VALUES (?1, 'open', ?2, ?3, 'cli', ?4)",
                [id, at, rep, asset],
            )
            .unwrap();
        };
        {
            let mut conn = Connection::open(&path).unwrap();
            Migrations::new(MIGRATIONS[..2].iter().map(|sql| M::up(sql)).collect())
                .to_latest(&mut conn)
                .unwrap();
            open(&conn, "e1", "2024-02-29T23:59:00Z", "ana", "a1");
            open(&conn, "e2", "2024-02-29T08:00:00Z", "ana", "a1");
            open(&conn, "e3", "0001-01-01T00:00:00Z", "bo", "a2");
        }
        let catalog = Catalog::open(&path).unwrap();
        open(catalog.conn(), "e4", "2026-11-22T10:00:00Z", "bo", "a1");
        let mut stmt = catalog
            .conn()
            .prepare(
                "SELECT o.day, r.rep, a.asset_id FROM open_days o
                 JOIN rep_numbers r ON r.no = o.rep JOIN asset_numbers a ON a.no = o.asset
                 ORDER BY o.day",
            )
            .unwrap();
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let day = |d: &str| {
            i64::from(chrono::Datelike::num_days_from_ce(
                &chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap(),
            ))
        };
        assert_eq!(
            rows,
            vec![
                (day("0001-01-01"), "bo".into(), "a2".into()),
                (day("2024-02-29"), "ana".into(), "a1".into()),
                (day("2026-11-22"), "bo".into(), "a1".into()),
            ],
            "one row per rep, asset and day: backfilled, then by trigger"
        );
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
