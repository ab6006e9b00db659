//! Events (opens, previews, searches) as stored, and the lookups capture makes before
//! recording one. The rollups the reports read follow by trigger (`schema/v2.sql`).

use rusqlite::OptionalExtension;

use super::{Catalog, Tables};
use crate::Result;

/// One row of `events`, as written and as exported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventRow {
    pub id: String,
    /// `open`, `preview` or `search`.
    pub kind: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub rep: String,
    pub surface: String,
    pub asset_id: Option<String>,
    pub asset_hash: Option<String>,
    pub path: Option<String>,
    pub location_kind: Option<String>,
    pub location_number: Option<u32>,
    pub query_id: Option<String>,
    pub deal_id: Option<String>,
    pub query: Option<String>,
    /// A JSON object.
    pub filters: Option<String>,
    pub result_count: Option<i64>,
}

/// The version a file of the library holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    /// The content hash of its version.
    pub hash: String,
    /// Whether that is the asset's current version.
    pub current: bool,
}

/// An asset's current version: its hash and its main present file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentFile {
    pub hash: Option<String>,
    pub path: Option<String>,
}

impl Catalog {
    /// `path` itself when it is a file of `asset_id`.
    pub(crate) fn file_of_asset(&self, path: &str, asset_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT path FROM locations WHERE path = ?1 AND asset_id = ?2",
                [path, asset_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The version at a known path.
    ///
    /// # Errors
    /// A SQLite error when no file is known at `path`.
    pub(crate) fn stored_file(&self, path: &str) -> Result<StoredFile> {
        Ok(self.conn.query_row(
            "SELECT v.hash, l.version_id = a.current_version FROM locations l
             JOIN versions v ON v.id = l.version_id JOIN assets a ON a.id = l.asset_id
             WHERE l.path = ?1",
            [path],
            |r| {
                Ok(StoredFile {
                    hash: r.get(0)?,
                    current: r.get(1)?,
                })
            },
        )?)
    }

    /// The first and last number of the sections of one kind (`page`, `slide`,
    /// `sheet`) of the file at `path`; `None` when it has none.
    pub(crate) fn section_range(
        &self,
        path: &str,
        kind: &str,
    ) -> Result<(Option<u32>, Option<u32>)> {
        Ok(self.conn.query_row(
            "SELECT min(s.number), max(s.number) FROM sections s
             JOIN locations l ON l.version_id = s.version_id
             WHERE l.path = ?1 AND s.kind = ?2",
            [path, kind],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Whether a search with this id is recorded.
    pub(crate) fn search_recorded(&self, id: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1 AND kind = 'search')",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Whether an event with this id is recorded.
    pub(crate) fn event_recorded(&self, id: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Records one event (its own transaction).
    ///
    /// # Errors
    /// A SQLite error, also for an id already recorded.
    pub(crate) fn insert_event(&self, e: &EventRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO events (id, kind, at, rep, surface, asset_id, asset_hash, path, location_kind,
               location_number, query_id, deal_id, query, filters, result_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            event_params(e),
        )?;
        Ok(())
    }

    /// Every event at or after `since` (an RFC 3339 time or a prefix of one), oldest
    /// first, streamed to `each`.
    pub(crate) fn each_event_since(
        &self,
        since: &str,
        each: &mut dyn FnMut(EventRow) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, at, rep, surface, asset_id, asset_hash, path, location_kind, location_number,
               query_id, deal_id, query, filters, result_count
             FROM events WHERE at >= ?1 ORDER BY at, id",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok(EventRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                at: r.get(2)?,
                rep: r.get(3)?,
                surface: r.get(4)?,
                asset_id: r.get(5)?,
                asset_hash: r.get(6)?,
                path: r.get(7)?,
                location_kind: r.get(8)?,
                location_number: r.get(9)?,
                query_id: r.get(10)?,
                deal_id: r.get(11)?,
                query: r.get(12)?,
                filters: r.get(13)?,
                result_count: r.get(14)?,
            })
        })?;
        for row in rows {
            each(row?)?;
        }
        Ok(())
    }
}

fn event_params(e: &EventRow) -> impl rusqlite::Params + '_ {
    (
        &e.id,
        &e.kind,
        &e.at,
        &e.rep,
        &e.surface,
        &e.asset_id,
        &e.asset_hash,
        &e.path,
        &e.location_kind,
        e.location_number,
        &e.query_id,
        &e.deal_id,
        &e.query,
        &e.filters,
        e.result_count,
    )
}

impl Tables<'_> {
    /// Records an event unless its id is recorded already; whether it was new.
    /// Cached: an import calls it per line.
    pub(crate) fn insert_event_if_new(&self, e: &EventRow) -> Result<bool> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO events (id, kind, at, rep, surface, asset_id, asset_hash, path,
                   location_kind, location_number, query_id, deal_id, query, filters, result_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(event_params(e))?;
        Ok(inserted == 1)
    }

    /// The asset with this exact id.
    pub(crate) fn asset_by_id(&self, id: &str) -> Result<Option<String>> {
        self.one_id("SELECT id FROM assets WHERE id = ?1", id)
    }

    /// The asset one of whose versions has this content hash.
    pub(crate) fn asset_by_hash(&self, hash: &str) -> Result<Option<String>> {
        self.one_id(
            "SELECT asset_id FROM versions WHERE hash = ?1 LIMIT 1",
            hash,
        )
    }

    /// The asset of the file at `path`.
    pub(crate) fn asset_by_path(&self, path: &str) -> Result<Option<String>> {
        self.one_id("SELECT asset_id FROM locations WHERE path = ?1", path)
    }

    fn one_id(&self, sql: &str, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// The hash and main path of an asset's current version.
    pub(crate) fn current_file(&self, asset_id: &str) -> Result<CurrentFile> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT v.hash, (SELECT path FROM locations l WHERE l.asset_id = a.id AND l.status = 'present'
                   ORDER BY l.version_id = a.current_version DESC, l.path LIMIT 1)
                 FROM assets a JOIN versions v ON v.id = a.current_version WHERE a.id = ?1",
            )?
            .query_row([asset_id], |r| {
                Ok(CurrentFile {
                    hash: r.get(0)?,
                    path: r.get(1)?,
                })
            })
            .optional()?
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(id: &str, at: &str) -> EventRow {
        EventRow {
            id: id.into(),
            kind: "search".into(),
            at: at.into(),
            rep: "ana".into(),
            surface: "cli".into(),
            query: Some("roi".into()),
            filters: Some("{}".into()),
            result_count: Some(3),
            ..EventRow::default()
        }
    }

    #[test]
    fn events_round_trip_and_an_import_is_one_unit_of_work() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite3")).unwrap();
        catalog
            .insert_event(&search("e1", "2026-03-01T10:00:00+00:00"))
            .unwrap();
        assert!(
            catalog
                .insert_event(&search("e1", "2026-03-01T10:00:00+00:00"))
                .is_err(),
            "a recorded id is not recorded twice"
        );
        {
            let tx = catalog.transaction().unwrap();
            let db = tx.tables();
            assert!(
                db.insert_event_if_new(&search("e2", "2026-03-02T10:00:00+00:00"))
                    .unwrap()
            );
            assert!(
                !db.insert_event_if_new(&search("e1", "2026-03-01T10:00:00+00:00"))
                    .unwrap(),
                "an import skips ids it has"
            );
            // Dropped uncommitted: as if the import was killed.
        }
        let mut seen = Vec::new();
        catalog
            .each_event_since("", &mut |e| {
                seen.push(e);
                Ok(())
            })
            .unwrap();
        assert_eq!(
            seen,
            vec![search("e1", "2026-03-01T10:00:00+00:00")],
            "an uncommitted unit of work leaves nothing behind"
        );
        assert!(catalog.search_recorded("e1").unwrap());
        assert!(!catalog.search_recorded("e2").unwrap());
        let tx = catalog.transaction().unwrap();
        tx.tables()
            .insert_event_if_new(&search("e2", "2026-03-02T10:00:00+00:00"))
            .unwrap();
        tx.commit().unwrap();
        let mut ids = Vec::new();
        catalog
            .each_event_since("2026-03-02", &mut |e| {
                ids.push(e.id);
                Ok(())
            })
            .unwrap();
        assert_eq!(ids, ["e2"], "events at or after the day given");
    }
}
