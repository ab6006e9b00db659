//! What `quiver demo` added, and taking it out again.

use rusqlite::params;

use super::{Catalog, Tables};
use crate::Result;

/// What the demo removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoRemoval {
    pub assets: usize,
    pub events: usize,
    pub deals: usize,
}

impl Catalog {
    /// The rowid of the newest event (0 with none): the demo notes it when it ends.
    pub(crate) fn last_event_rowid(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(rowid), 0) FROM events", [], |r| {
                r.get(0)
            })?)
    }
}

impl Tables<'_> {
    pub(crate) fn delete_meta(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Removes the demo's events (rowid at most `events_through`), its deals (`deals`)
    /// and the assets found only in its library folder `root` (with their files'
    /// rows, versions and texts), and the folder itself; then rebuilds the daily
    /// rollups from the events that remain. Returns the asset ids removed.
    pub(crate) fn remove_demo(
        &self,
        root: &str,
        events_through: i64,
        deals: &[String],
    ) -> Result<(DemoRemoval, Vec<String>)> {
        let c = self.conn;
        let mut out = DemoRemoval {
            events: c.execute("DELETE FROM events WHERE rowid <= ?1", [events_through])?,
            ..DemoRemoval::default()
        };
        for id in deals {
            c.execute("DELETE FROM deal_reasons WHERE deal_id = ?1", [id])?;
            c.execute("DELETE FROM deal_audit WHERE deal_id = ?1", [id])?;
            c.execute("DELETE FROM open_deals WHERE id = ?1", [id])?;
            out.deals += c.execute("DELETE FROM deals WHERE id = ?1", [id])?;
        }
        // Assets with a file in the demo's folder; those with a file elsewhere too stay.
        let in_root: Vec<String> = c
            .prepare("SELECT DISTINCT asset_id FROM locations WHERE root = ?1")?
            .query_map([root], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        c.execute("DELETE FROM locations WHERE root = ?1", [root])?;
        c.execute("DELETE FROM problems WHERE root = ?1", [root])?;
        let mut removed = Vec::new();
        for id in in_root {
            let elsewhere: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM locations WHERE asset_id = ?1)",
                [&id],
                |r| r.get(0),
            )?;
            if elsewhere {
                c.execute("UPDATE assets SET index_stale = 1 WHERE id = ?1", [&id])?;
                continue;
            }
            c.execute(
                "DELETE FROM sections WHERE version_id IN (SELECT id FROM versions WHERE asset_id = ?1)",
                [&id],
            )?;
            c.execute("DELETE FROM path_history WHERE asset_id = ?1", [&id])?;
            c.execute("DELETE FROM versions WHERE asset_id = ?1", [&id])?;
            c.execute("DELETE FROM assets WHERE id = ?1", [&id])?;
            removed.push(id);
        }
        out.assets = removed.len();
        c.execute("DELETE FROM library_roots WHERE path = ?1", params![root])?;
        // The rollups, from the events that remain.
        c.execute_batch(
            "DELETE FROM usage_daily;
             INSERT INTO usage_daily (day, asset_id, rep, opens)
             SELECT substr(at, 1, 10), asset_id, rep, count(*) FROM events
             WHERE kind IN ('open', 'preview') AND asset_id IS NOT NULL
             GROUP BY 1, 2, 3;
             DELETE FROM asset_usage;
             INSERT INTO asset_usage (asset_id, opens, last_day)
             SELECT asset_id, sum(opens), max(day) FROM usage_daily GROUP BY asset_id;
             DELETE FROM search_daily;
             INSERT INTO search_daily (day, query, rep, searches, zero_results, opened)
             SELECT substr(at, 1, 10), lower(trim(query)), rep, count(*),
                    sum(coalesce(result_count = 0, 0)), sum(opened)
             FROM events WHERE kind = 'search' GROUP BY 1, 2, 3;
             DELETE FROM open_days;
             INSERT OR IGNORE INTO open_days (day, rep, asset)
             SELECT CAST(julianday(substr(e.at, 1, 10)) - 1721424.5 AS INTEGER), r.no, a.no
             FROM events e
             JOIN rep_numbers r ON r.rep = e.rep
             JOIN asset_numbers a ON a.asset_id = e.asset_id
             WHERE e.kind IN ('open', 'preview') AND e.deal_id IS NULL
               AND julianday(substr(e.at, 1, 10)) IS NOT NULL;",
        )?;
        Ok((out, removed))
    }
}
