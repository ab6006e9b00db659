//! One asset's use, for its page: opens by week, page or slide, rep, deal and the
//! searches that led to them. Read from the events (an asset has few enough), through
//! `events_by_asset`.

use rusqlite::params;

use super::Catalog;
use crate::Result;

/// A value and how many opens it had.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Tally {
    pub value: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub opens: i64,
}

/// A deal the asset was opened for, with how it closed (`None`: still open).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct DealUse {
    pub deal_id: String,
    pub outcome: Option<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub opens: i64,
}

/// An asset's opens (previews not counted), from `from` to `to` (inclusive days).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Activity {
    /// By the Monday of their week (`YYYY-MM-DD`), oldest first.
    pub weekly: Vec<Tally>,
    /// By page or slide (`page 4`), most opened first.
    pub locations: Vec<Tally>,
    pub reps: Vec<Tally>,
    pub deals: Vec<DealUse>,
    /// The searches the opens followed, by query (lower-cased), most first.
    pub queries: Vec<Tally>,
}

impl Catalog {
    /// # Errors
    /// Catalog errors.
    pub fn asset_activity(&self, asset_id: &str, from: &str, to: &str) -> Result<Activity> {
        // Times are RFC 3339: every time of the last day sorts before its "T99".
        let to = format!("{to}T99");
        let tally = |sql: &str| -> Result<Vec<Tally>> {
            let mut stmt = self.conn().prepare(sql)?;
            let rows = stmt.query_map(params![asset_id, from, to], |r| {
                Ok(Tally {
                    value: r.get(0)?,
                    opens: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        // The opens of the asset in the window, as `e`.
        const OPENS: &str = "e.asset_id = ?1 AND e.kind = 'open' AND e.at >= ?2 AND e.at < ?3";
        let weekly = tally(&format!(
            "SELECT date(substr(e.at, 1, 10), '-' || ((strftime('%w', substr(e.at, 1, 10)) + 6) % 7) || ' days') AS week,
                    count(*) FROM events e WHERE {OPENS} GROUP BY week ORDER BY week"
        ))?;
        let locations = tally(&format!(
            "SELECT e.location_kind || ' ' || e.location_number, count(*) FROM events e
              WHERE {OPENS} AND e.location_kind IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50"
        ))?;
        let reps = tally(&format!(
            "SELECT e.rep, count(*) FROM events e WHERE {OPENS} GROUP BY e.rep ORDER BY 2 DESC, 1"
        ))?;
        let queries = tally(&format!(
            "SELECT lower(trim(s.query)), count(*) FROM events e JOIN events s ON s.id = e.query_id
              WHERE {OPENS} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 30"
        ))?;
        let mut stmt = self.conn().prepare(&format!(
            "SELECT e.deal_id, d.outcome, count(*) FROM events e LEFT JOIN deals d ON d.id = e.deal_id
              WHERE {OPENS} AND e.deal_id IS NOT NULL GROUP BY e.deal_id ORDER BY 3 DESC, 1"
        ))?;
        let deals = stmt
            .query_map(params![asset_id, from, to], |r| {
                Ok(DealUse {
                    deal_id: r.get(0)?,
                    outcome: r.get(1)?,
                    opens: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Activity {
            weekly,
            locations,
            reps,
            deals,
            queries,
        })
    }
}
