//! Event exchange as NDJSON, one event a line: how history moves between machines and
//! how usage from other tools comes in. Import is idempotent by event id; an event
//! names its asset by id, by content hash (which survives the move to another data
//! dir), or by path.

use std::io::{BufRead, Write};

use chrono::DateTime;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::catalog::Catalog;
use crate::search::Location;

/// One line of the exchange format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// `open`, `preview` or `search`.
    pub kind: String,
    /// RFC 3339.
    pub at: String,
    pub rep: String,
    #[serde(default = "import_surface")]
    pub surface: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_count: Option<i64>,
}

fn import_surface() -> String {
    "import".into()
}

/// Writes every event at or after `since` (RFC 3339 or a date), oldest first.
pub fn export(catalog: &Catalog, since: Option<&str>, out: &mut dyn Write) -> Result<usize> {
    let mut stmt = catalog.conn().prepare(
        "SELECT id, kind, at, rep, surface, asset_id, asset_hash, path, location_kind, location_number,
           query_id, deal_id, query, filters, result_count
         FROM events WHERE at >= ?1 ORDER BY at, id",
    )?;
    let rows = stmt.query_map([since.unwrap_or("")], |r| {
        let kind: Option<String> = r.get(8)?;
        let number: Option<u32> = r.get(9)?;
        let filters: Option<String> = r.get(13)?;
        Ok(Event {
            id: r.get(0)?,
            kind: r.get(1)?,
            at: r.get(2)?,
            rep: r.get(3)?,
            surface: r.get(4)?,
            asset_id: r.get(5)?,
            asset_hash: r.get(6)?,
            path: r.get(7)?,
            location: kind.zip(number).map(|(kind, number)| Location {
                kind,
                number,
                name: None,
            }),
            query_id: r.get(10)?,
            deal_id: r.get(11)?,
            query: r.get(12)?,
            filters: filters.and_then(|f| serde_json::from_str(&f).ok()),
            result_count: r.get(14)?,
        })
    })?;
    let mut n = 0;
    for event in rows {
        let line = serde_json::to_string(&event?).expect("events serialise");
        writeln!(out, "{line}").map_err(|e| crate::Error::io("writing events", e))?;
        n += 1;
    }
    Ok(n)
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    /// Events already present (same id): importing twice changes nothing.
    pub duplicates: usize,
    pub failed: Vec<LineError>,
}

#[derive(Debug, Serialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// Imports NDJSON events; bad lines are reported by number and good ones kept.
/// Events dated after `now` (beyond a few minutes of clock skew) are refused.
pub fn import(
    catalog: &mut Catalog,
    input: &mut dyn BufRead,
    now: DateTime<chrono::Utc>,
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let tx = catalog.conn_mut().transaction()?;
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| crate::Error::io("reading events", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut fail = |message: String| {
            report.failed.push(LineError {
                line: line_no,
                message,
            })
        };
        let event: Event = match serde_json::from_str(&line) {
            Ok(e) => e,
            Err(e) => {
                fail(format!("not a valid event: {e}"));
                continue;
            }
        };
        if let Err(message) = check(&event, now) {
            fail(message);
            continue;
        }
        // Rollups bucket by UTC day: store every time in UTC.
        let at = DateTime::parse_from_rfc3339(&event.at)
            .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
            .unwrap_or_else(|_| event.at.clone());
        let asset_id = if event.kind == "search" {
            None
        } else {
            match resolve_asset(&tx, &event)? {
                Some(id) => Some(id),
                None => {
                    fail("names no asset of this library (by asset_id, asset_hash or path)".into());
                    continue;
                }
            }
        };
        // Opens carry their file's hash and path, so they can move to another machine.
        let (hash, path) = match (&asset_id, &event.asset_hash) {
            (Some(id), None) => current_file(&tx, id)?,
            _ => (event.asset_hash.clone(), event.path.clone()),
        };
        let inserted = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (id, kind, at, rep, surface, asset_id, asset_hash, path,
               location_kind, location_number, query_id, deal_id, query, filters, result_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
                event.id,
                event.kind,
                at,
                event.rep,
                event.surface,
                asset_id,
                hash,
                path.or(event.path.clone()),
                event.location.as_ref().map(|l| l.kind.clone()),
                event.location.as_ref().map(|l| l.number),
                event.query_id,
                event.deal_id,
                event.query,
                event.filters.as_ref().map(|f| f.to_string()),
                event.result_count
            ])?;
        if inserted == 1 {
            report.imported += 1;
        } else {
            report.duplicates += 1;
        }
    }
    tx.commit()?;
    Ok(report)
}

fn check(e: &Event, now: DateTime<chrono::Utc>) -> std::result::Result<(), String> {
    if e.id.trim().is_empty() {
        return Err("missing id".into());
    }
    if !matches!(e.kind.as_str(), "open" | "preview" | "search") {
        return Err(format!("kind {:?} is not open, preview or search", e.kind));
    }
    match DateTime::parse_from_rfc3339(&e.at) {
        Err(_) => return Err(format!("at {:?} is not an RFC 3339 time", e.at)),
        Ok(t) if t > now + chrono::Duration::minutes(5) => {
            return Err(format!("at {} is in the future", e.at));
        }
        Ok(_) => {}
    }
    if e.rep.trim().is_empty() {
        return Err("missing rep".into());
    }
    if e.kind == "search" && e.query.is_none() {
        return Err("a search event needs a query".into());
    }
    Ok(())
}

/// The hash and main path of an asset's current version.
fn current_file(
    conn: &rusqlite::Connection,
    asset_id: &str,
) -> Result<(Option<String>, Option<String>)> {
    Ok(conn
        .prepare_cached(
            "SELECT v.hash, (SELECT path FROM locations l WHERE l.asset_id = a.id AND l.status = 'present'
               ORDER BY l.version_id = a.current_version DESC, l.path LIMIT 1)
             FROM assets a JOIN versions v ON v.id = a.current_version WHERE a.id = ?1",
        )?
        .query_row([asset_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None)))
}

fn resolve_asset(conn: &rusqlite::Connection, e: &Event) -> Result<Option<String>> {
    let lookups = [
        (e.asset_id.as_deref(), "SELECT id FROM assets WHERE id = ?1"),
        (
            e.asset_hash.as_deref(),
            "SELECT asset_id FROM versions WHERE hash = ?1 LIMIT 1",
        ),
        (
            e.path.as_deref(),
            "SELECT asset_id FROM locations WHERE path = ?1",
        ),
    ];
    for (key, sql) in lookups {
        let Some(key) = key else { continue };
        let found: Option<String> = conn
            .prepare_cached(sql)?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}
