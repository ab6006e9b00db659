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
    // Lines as bytes: one line that is not UTF-8 fails alone, with its number, where
    // `lines()` stopped the whole import at it.
    for (i, line) in input.split(b'\n').enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| crate::Error::io("reading events", e))?;
        let mut fail = |message: String| {
            report.failed.push(LineError {
                line: line_no,
                message,
            })
        };
        let line = match std::str::from_utf8(&line) {
            // A BOM (editors on Windows write one) is not part of the first event.
            Ok(l) => l.trim_start_matches('\u{feff}').trim_end_matches('\r'),
            Err(e) => {
                fail(format!("not UTF-8 text (byte {})", e.valid_up_to() + 1));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = match serde_json::from_str(line) {
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;

    fn event() -> impl Strategy<Value = Event> {
        (
            "[0-9a-f]{8}-[0-9a-f]{4}",
            0i64..250_000_000,
            "[\\PC]{1,12}",
            "[\\PC]{0,30}",
            proptest::collection::btree_map("[a-z]{1,8}", "[\\PC]{0,10}", 0..3),
            0i64..1000,
            prop_oneof![Just("cli"), Just("app"), Just("import")],
        )
            .prop_map(|(id, secs, rep, query, filters, count, surface)| Event {
                id,
                kind: "search".into(),
                at: Utc
                    .timestamp_opt(1_500_000_000 + secs, 0)
                    .unwrap()
                    .to_rfc3339(),
                rep: format!("r{rep}"),
                surface: surface.into(),
                query: Some(query),
                filters: Some(serde_json::to_value(filters).unwrap()),
                result_count: Some(count),
                asset_id: None,
                asset_hash: None,
                path: None,
                location: None,
                query_id: None,
                deal_id: None,
            })
    }

    fn export_all(catalog: &Catalog) -> String {
        let mut out = Vec::new();
        export(catalog, None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Events exported from one data dir and imported into another export the
        /// same, line for line; importing them again adds nothing.
        #[test]
        fn events_survive_ndjson(events in proptest::collection::vec(event(), 1..8)) {
            let dir = tempfile::tempdir().unwrap();
            let mut a = Catalog::open(&dir.path().join("a.sqlite3")).unwrap();
            let mut b = Catalog::open(&dir.path().join("b.sqlite3")).unwrap();
            let text: String = events.iter().map(|e| serde_json::to_string(e).unwrap() + "\n").collect();
            let now = Utc::now();
            let first = import(&mut a, &mut text.as_bytes(), now).unwrap();
            prop_assert!(first.failed.is_empty(), "{:?}", first.failed.iter().map(|f| &f.message).collect::<Vec<_>>());
            let distinct: std::collections::HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
            prop_assert_eq!(first.imported, distinct.len());
            let exported = export_all(&a);
            let second = import(&mut b, &mut exported.as_bytes(), now).unwrap();
            prop_assert_eq!(second.imported, distinct.len());
            prop_assert_eq!(export_all(&b), exported.clone());
            let third = import(&mut b, &mut exported.as_bytes(), now).unwrap();
            prop_assert_eq!((third.imported, third.duplicates), (0, distinct.len()));
        }
    }
}
