//! The catalog writes of an index run. The order of writes is what makes a run safe to
//! kill: content is recorded here first (`current_version`), the search index is
//! written and committed next, and only then is the asset marked indexed
//! (`indexed_version`). Whatever a kill interrupts, the next run sees an asset whose
//! two versions differ and indexes it again, replacing its document.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::Catalog;
use crate::Result;
use crate::extract::{Document, Problem, ProblemKind};

/// What the catalog knows of a path from earlier runs.
#[derive(Debug, Clone)]
pub struct KnownPath {
    pub asset_id: String,
    pub hash: String,
    pub size: i64,
    pub mtime_ns: i64,
    pub present: bool,
}

/// A file as the walk found it.
#[derive(Debug, Clone)]
pub struct FileStat {
    pub path: String,
    pub root: String,
    pub size: i64,
    pub mtime_ns: i64,
}

impl Catalog {
    pub fn known_paths(&self) -> Result<HashMap<String, KnownPath>> {
        let mut stmt = self.conn().prepare(
            "SELECT l.path, l.asset_id, v.hash, l.size, l.mtime_ns, l.status
             FROM locations l JOIN versions v ON v.id = l.version_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                KnownPath {
                    asset_id: r.get(1)?,
                    hash: r.get(2)?,
                    size: r.get(3)?,
                    mtime_ns: r.get(4)?,
                    present: r.get::<_, String>(5)? == "present",
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `(size, mtime_ns, kind)` of every path with a recorded problem.
    pub fn known_problems(&self) -> Result<HashMap<String, (i64, i64, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path, size, mtime_ns, kind FROM problems")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Assets whose search document is out of date: new content, changed fields or
    /// paths, or missing assets still in the index.
    pub fn assets_to_index(&self) -> Result<Vec<(String, bool)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, status = 'present' FROM assets
             WHERE (status = 'present' AND (indexed_version IS NOT current_version OR index_stale))
                OR (status = 'missing' AND indexed_version IS NOT NULL)",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every asset the catalog believes the index holds.
    pub fn indexed_assets(&self) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM assets WHERE indexed_version IS NOT NULL")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets that these assets are indexed, so the next sync writes them again.
    pub fn forget_indexed(&mut self, ids: &[String]) -> Result<()> {
        // No transaction (and no wait for the write lock) for nothing to write.
        if ids.is_empty() {
            return Ok(());
        }
        let tx = self.conn_mut().transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE assets SET indexed_version = NULL WHERE id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records that the committed search index now holds these assets as they are in
    /// the catalog (or, for missing ones, no longer holds them).
    pub fn mark_indexed(&mut self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let tx = self.conn_mut().transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE assets SET
                   indexed_version = CASE WHEN status = 'present' THEN current_version END,
                   index_stale = 0
                 WHERE id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn begin(&mut self) -> Result<Ingest<'_>> {
        Ok(Ingest {
            tx: self.conn_mut().transaction()?,
        })
    }
}

/// One batch of catalog changes, committed together.
pub struct Ingest<'c> {
    tx: Transaction<'c>,
}

impl Ingest<'_> {
    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }

    /// Same bytes, new modification time: only the stat changes.
    pub fn touch(&self, f: &FileStat, now: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE locations SET size = ?2, mtime_ns = ?3, last_seen = ?4 WHERE path = ?1",
            params![f.path, f.size, f.mtime_ns, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Links `f` to an asset that already has these bytes (a move, a copy, a revert),
    /// without extracting. Returns the asset id, or `None` when the bytes are new.
    pub fn link_known_bytes(
        &self,
        f: &FileStat,
        hash: &str,
        prior: Option<&KnownPath>,
        vanished: &HashSet<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        // A changed file keeps its asset: look for the bytes within it first.
        let found: Option<(String, i64)> = match prior {
            Some(p) => self
                .tx
                .query_row(
                    "SELECT asset_id, id FROM versions WHERE asset_id = ?1 AND hash = ?2",
                    [&p.asset_id, hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            None => self
                .tx
                .query_row(
                    // Prefer an asset whose file just vanished (a move), then a present one.
                    "SELECT v.asset_id, v.id FROM versions v JOIN assets a ON a.id = v.asset_id
                     WHERE v.hash = ?1 ORDER BY a.status = 'present', a.created_at LIMIT 1",
                    [hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
        };
        let Some((asset_id, version_id)) = found else {
            return Ok(None);
        };
        let event =
            match prior {
                Some(p) if p.present => "changed",
                Some(_) => "returned",
                None => {
                    let moved: bool = self.tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM locations WHERE asset_id = ?1 AND version_id = ?2
                       AND (status = 'missing' OR path IN (SELECT value FROM json_each(?3))))",
                    params![asset_id, version_id, vanished_json(vanished, &asset_id, &self.tx)?],
                    |r| r.get(0),
                )?;
                    if moved { "moved" } else { "copied" }
                }
            };
        self.upsert_location(f, &asset_id, version_id, now)?;
        self.history(&asset_id, &f.path, event, now)?;
        self.tx.execute(
            "UPDATE assets SET status = 'present', index_stale = 1 WHERE id = ?1",
            [&asset_id],
        )?;
        if prior.is_some() {
            // Reverted to older bytes: they are the current content again.
            self.tx.execute(
                "UPDATE assets SET current_version = ?2 WHERE id = ?1",
                params![asset_id, version_id],
            )?;
        }
        self.clear_problem(&f.path)?;
        Ok(Some(asset_id))
    }

    /// Records new content at `f`: a new version of the asset the path belonged to, or
    /// a new asset. Returns the asset id.
    pub fn record_extracted(
        &self,
        f: &FileStat,
        hash: &str,
        prior: Option<&KnownPath>,
        doc: &Document,
        fallback_title: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let now_s = now.to_rfc3339();
        let (asset_id, event) = match prior {
            Some(p) => (
                p.asset_id.clone(),
                if p.present { "changed" } else { "returned" },
            ),
            None => {
                // Random, not time-ordered: a short prefix of it should identify an asset.
                let id = uuid::Uuid::new_v4().to_string();
                self.tx.execute(
                    "INSERT INTO assets (id, created_at, status) VALUES (?1, ?2, 'present')",
                    [&id, &now_s],
                )?;
                (id, "added")
            }
        };
        self.tx.execute(
            "INSERT INTO versions (asset_id, hash, byte_size, first_seen) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (asset_id, hash) DO NOTHING",
            params![asset_id, hash, f.size, now_s],
        )?;
        let version_id: i64 = self.tx.query_row(
            "SELECT id FROM versions WHERE asset_id = ?1 AND hash = ?2",
            [&asset_id, hash],
            |r| r.get(0),
        )?;
        self.tx
            .execute("DELETE FROM sections WHERE version_id = ?1", [version_id])?;
        for s in &doc.sections {
            self.tx.execute(
                "INSERT INTO sections (version_id, number, kind, name, text) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    version_id,
                    s.number,
                    serde_json::to_value(s.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned)),
                    s.name,
                    s.text
                ],
            )?;
        }
        let title = doc
            .title
            .clone()
            .unwrap_or_else(|| fallback_title.to_owned());
        self.tx.execute(
            "UPDATE assets SET status = 'present', current_version = ?2, title = ?3, author = ?4,
               format = ?5, doc_created = ?6, doc_modified = ?7, page_count = ?8, byte_size = ?9,
               has_text = ?10
             WHERE id = ?1",
            params![
                asset_id,
                version_id,
                title,
                doc.author,
                doc.format.map(|f| f.as_str()),
                doc.created,
                doc.modified,
                doc.page_count,
                f.size,
                doc.has_text()
            ],
        )?;
        self.upsert_location(f, &asset_id, version_id, now)?;
        self.history(&asset_id, &f.path, event, now)?;
        self.clear_problem(&f.path)?;
        Ok(asset_id)
    }

    /// Records why `f` could not be indexed. A path that had good content keeps it
    /// searchable; its stat is left alone so the file is tried again next run.
    pub fn record_problem(
        &self,
        f: &FileStat,
        problem: &Problem,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.tx.execute(
            "INSERT INTO problems (path, root, kind, message, size, mtime_ns, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, message = excluded.message,
               size = excluded.size, mtime_ns = excluded.mtime_ns, at = excluded.at",
            params![
                f.path,
                f.root,
                problem.kind.as_str(),
                problem.message,
                f.size,
                f.mtime_ns,
                now.to_rfc3339()
            ],
        )?;
        Ok(())
    }

    /// What the walk of the library folders could not reach this run, as (path, library
    /// folder, reason), in place of what it could not reach the last: a loop or a folder
    /// fixed since then leaves.
    pub fn replace_skipped(
        &self,
        skipped: &[(String, String, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let kind = ProblemKind::Skipped.as_str();
        self.tx
            .execute("DELETE FROM problems WHERE kind = ?1", [kind])?;
        for (path, root, message) in skipped {
            self.tx.execute(
                "INSERT INTO problems (path, root, kind, message, size, mtime_ns, at)
                 VALUES (?1, ?2, ?3, ?4, 0, 0, ?5)
                 ON CONFLICT (path) DO UPDATE SET kind = excluded.kind,
                   message = excluded.message, at = excluded.at",
                params![path, root, kind, message, now.to_rfc3339()],
            )?;
        }
        Ok(())
    }

    pub fn clear_problem(&self, path: &str) -> Result<()> {
        self.tx
            .execute("DELETE FROM problems WHERE path = ?1", [path])?;
        Ok(())
    }

    /// The file at `path` is gone. Its history stays; the asset goes missing when it
    /// has no other present location.
    pub fn mark_missing(&self, path: &str, now: DateTime<Utc>) -> Result<()> {
        let asset_id: Option<String> = self
            .tx
            .query_row(
                "UPDATE locations SET status = 'missing' WHERE path = ?1 AND status = 'present'
                 RETURNING asset_id",
                [path],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = asset_id {
            self.history(&id, path, "missing", now)?;
            self.tx.execute(
                "UPDATE assets SET index_stale = 1,
                   status = CASE WHEN EXISTS (SELECT 1 FROM locations
                     WHERE asset_id = ?1 AND status = 'present') THEN 'present' ELSE 'missing' END
                 WHERE id = ?1",
                [&id],
            )?;
        }
        Ok(())
    }

    fn upsert_location(
        &self,
        f: &FileStat,
        asset_id: &str,
        version_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now_s = now.to_rfc3339();
        self.tx.execute(
            "INSERT INTO locations (path, root, asset_id, version_id, size, mtime_ns, status, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'present', ?7, ?7)
             ON CONFLICT (path) DO UPDATE SET root = excluded.root, asset_id = excluded.asset_id,
               version_id = excluded.version_id, size = excluded.size, mtime_ns = excluded.mtime_ns,
               status = 'present', last_seen = excluded.last_seen",
            params![f.path, f.root, asset_id, version_id, f.size, f.mtime_ns, now_s],
        )?;
        Ok(())
    }

    fn history(&self, asset_id: &str, path: &str, event: &str, now: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "INSERT INTO path_history (asset_id, path, event, at) VALUES (?1, ?2, ?3, ?4)",
            params![asset_id, path, event, now.to_rfc3339()],
        )?;
        Ok(())
    }
}

/// The vanished paths of one asset, as a JSON array for `json_each`.
fn vanished_json(vanished: &HashSet<String>, asset_id: &str, tx: &Transaction) -> Result<String> {
    let mut stmt = tx.prepare_cached("SELECT path FROM locations WHERE asset_id = ?1")?;
    let paths: Vec<String> = stmt
        .query_map([asset_id], |r| r.get::<_, String>(0))?
        .filter_map(|p| p.ok())
        .filter(|p| vanished.contains(p))
        .collect();
    Ok(serde_json::to_string(&paths).expect("strings serialise"))
}
