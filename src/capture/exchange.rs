//! Event exchange as NDJSON, one event a line: how history moves between machines and
//! how usage from other tools comes in. Import is idempotent by event id; an event
//! names its asset by id, by content hash (which survives the move to another data
//! dir), or by path.

use std::io::{BufRead, Write};

use chrono::DateTime;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::catalog::{Catalog, EventRow, Tables};
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
    let mut n = 0;
    catalog.each_event_since(since.unwrap_or(""), &mut |row| {
        let event = Event {
            location: row
                .location_kind
                .zip(row.location_number)
                .map(|(kind, number)| Location {
                    kind,
                    number,
                    name: None,
                }),
            filters: row.filters.and_then(|f| serde_json::from_str(&f).ok()),
            id: row.id,
            kind: row.kind,
            at: row.at,
            rep: row.rep,
            surface: row.surface,
            asset_id: row.asset_id,
            asset_hash: row.asset_hash,
            path: row.path,
            query_id: row.query_id,
            deal_id: row.deal_id,
            query: row.query,
            result_count: row.result_count,
        };
        let line = serde_json::to_string(&event).expect("events serialise");
        writeln!(out, "{line}").map_err(|e| crate::Error::io("writing events", e))?;
        n += 1;
        Ok(())
    })?;
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
    let tx = catalog.transaction()?;
    let db = tx.tables();
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
            match resolve_asset(db, &event)? {
                Some(id) => Some(id),
                None => {
                    fail("names no asset of this library (by asset_id, asset_hash or path)".into());
                    continue;
                }
            }
        };
        // Opens carry their file's hash and path, so they can move to another machine.
        let (hash, path) = match (&asset_id, &event.asset_hash) {
            (Some(id), None) => {
                let file = db.current_file(id)?;
                (file.hash, file.path)
            }
            _ => (event.asset_hash.clone(), event.path.clone()),
        };
        let inserted = db.insert_event_if_new(&EventRow {
            id: event.id,
            kind: event.kind,
            at,
            rep: event.rep,
            surface: event.surface,
            asset_id,
            asset_hash: hash,
            path: path.or(event.path),
            location_kind: event.location.as_ref().map(|l| l.kind.clone()),
            location_number: event.location.as_ref().map(|l| l.number),
            query_id: event.query_id,
            deal_id: event.deal_id,
            query: event.query,
            filters: event.filters.as_ref().map(|f| f.to_string()),
            result_count: event.result_count,
        })?;
        if inserted {
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

fn resolve_asset(db: Tables<'_>, e: &Event) -> Result<Option<String>> {
    if let Some(id) = e.asset_id.as_deref()
        && let Some(found) = db.asset_by_id(id)?
    {
        return Ok(Some(found));
    }
    if let Some(hash) = e.asset_hash.as_deref()
        && let Some(found) = db.asset_by_hash(hash)?
    {
        return Ok(Some(found));
    }
    match e.path.as_deref() {
        Some(path) => db.asset_by_path(path),
        None => Ok(None),
    }
}
