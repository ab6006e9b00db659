//! Capture: who opened which asset, when, from which search, for which deal; and every
//! search. Each record is one SQLite transaction, committed (WAL, `synchronous =
//! FULL`) before it is acknowledged, so an acknowledged event survives a kill.

pub mod exchange;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, EventRow};
use crate::search::Location;
use crate::{Result, UserError};

/// Who is using Quiver on this machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Rep {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub team: Option<String>,
}

/// The rep set with `quiver rep set`, if any.
pub fn rep(catalog: &Catalog) -> Result<Option<Rep>> {
    let Some(json) = catalog.meta("rep")? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&json).ok())
}

pub fn set_rep(catalog: &Catalog, rep: &Rep) -> Result<()> {
    if rep.name.trim().is_empty() {
        return Err(UserError::InvalidValue {
            field: "name".into(),
            message: "a rep needs a name".into(),
        }
        .into());
    }
    catalog.set_meta("rep", &serde_json::to_string(rep).expect("rep serialises"))
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, ts(export))]
pub enum Surface {
    Cli,
    App,
    Import,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Cli => "cli",
            Surface::App => "app",
            Surface::Import => "import",
        }
    }
}

/// An open (or an in-app preview) to record.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// Asset id (or unique prefix) or a path of one of its files.
    pub target: String,
    pub preview: bool,
    pub deal_id: Option<String>,
    pub query_id: Option<String>,
    pub location: Option<Location>,
    pub surface: Surface,
}

/// What an open was, as acknowledged to the rep.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct OpenAck {
    pub event_id: String,
    pub asset_id: String,
    pub title: String,
    /// The file opened.
    pub path: String,
    pub version: String,
    /// Expired or superseded material, in words, with where the current one is.
    pub warnings: Vec<String>,
}

/// Works out which file an open is for, and what to warn about, without recording it.
///
/// # Errors
/// [`UserError::NoSuchAsset`] when nothing matches; an asset with no file present; a
/// page or slide the file does not have, or a search not recorded here.
pub fn plan_open(catalog: &Catalog, req: &OpenRequest, today: &str) -> Result<OpenAck> {
    let target = req.target.as_str();
    let asset_id = catalog.resolve_asset(target)?;
    let by_path = std::fs::canonicalize(target)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
        .and_then(|p| catalog.file_of_asset(&p, &asset_id).ok().flatten());
    let record = catalog
        .search_record(&asset_id)?
        .ok_or_else(|| UserError::NoSuchAsset(target.to_owned()))?;
    let path = by_path.unwrap_or_else(|| record.path.clone());
    if path.is_empty() {
        return Err(UserError::InvalidValue {
            field: "asset".into(),
            message: format!(
                "no file of asset {asset_id} is present (its files were moved or deleted)"
            ),
        }
        .into());
    }
    let file = catalog.stored_file(&path)?;
    let (version, current) = (file.hash, file.current);
    check_links(catalog, req, &path)?;
    let mut warnings = Vec::new();
    if let Some(date) = record.expires_on.as_deref().filter(|d| *d < today) {
        warnings.push(format!(
            "this asset expired on {date}: check with marketing before sending it"
        ));
    }
    if !current {
        let newer = if record.path.is_empty() {
            "elsewhere".to_owned()
        } else {
            record.path.clone()
        };
        warnings.push(format!(
            "this is an older version of the asset; the current one is at {newer}"
        ));
    }
    Ok(OpenAck {
        event_id: String::new(),
        asset_id,
        title: record.title,
        path,
        version,
        warnings,
    })
}

/// Records an open planned with [`plan_open`], and acknowledges it.
pub fn record_open(
    catalog: &Catalog,
    req: &OpenRequest,
    mut ack: OpenAck,
    id: Option<String>,
    rep: &str,
    now: DateTime<Utc>,
) -> Result<OpenAck> {
    ack.event_id = id.unwrap_or_else(|| event_id(now));
    // By id: the same open recorded twice (a retry after an error that came after the
    // commit) is one event.
    catalog.tables().insert_event_if_new(&EventRow {
        id: ack.event_id.clone(),
        kind: if req.preview { "preview" } else { "open" }.to_owned(),
        at: now.to_rfc3339(),
        rep: rep.to_owned(),
        surface: req.surface.as_str().to_owned(),
        asset_id: Some(ack.asset_id.clone()),
        asset_hash: Some(ack.version.clone()),
        path: Some(ack.path.clone()),
        location_kind: req.location.as_ref().map(|l| l.kind.clone()),
        location_number: req.location.as_ref().map(|l| l.number),
        query_id: req.query_id.clone(),
        deal_id: req.deal_id.clone(),
        ..EventRow::default()
    })?;
    Ok(ack)
}

/// An open's page or slide must be one of the opened file's, and its search one recorded
/// here: the page and click-through reports count them.
fn check_links(catalog: &Catalog, req: &OpenRequest, path: &str) -> Result<()> {
    let invalid = |field: &str, message: String| UserError::InvalidValue {
        field: field.into(),
        message,
    };
    if let Some(loc) = &req.location {
        let (first, last) = catalog.section_range(path, &loc.kind)?;
        match (first, last) {
            (Some(a), Some(b)) if (a..=b).contains(&loc.number) => {}
            (Some(a), Some(b)) => {
                let kind = &loc.kind;
                return Err(invalid(
                    "at",
                    format!(
                        "{kind} {} is not in this file: it has {kind}s {a} to {b}",
                        loc.number
                    ),
                )
                .into());
            }
            _ => {
                return Err(invalid("at", format!("this file has no {}s", loc.kind)).into());
            }
        }
    }
    if let Some(id) = &req.query_id {
        let known = catalog.search_recorded(id)?;
        if !known {
            return Err(invalid("query-id", format!("no search {id:?} is recorded here")).into());
        }
    }
    Ok(())
}

/// Records a search; the returned id links the opens that follow it.
pub fn record_search(
    catalog: &Catalog,
    query: &str,
    filters: &[(String, String)],
    result_count: usize,
    rep: &str,
    surface: Surface,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = event_id(now);
    let filters: serde_json::Map<String, serde_json::Value> = filters
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    catalog.insert_event(&EventRow {
        id: id.clone(),
        kind: "search".to_owned(),
        at: now.to_rfc3339(),
        rep: rep.to_owned(),
        surface: surface.as_str().to_owned(),
        query: Some(query.to_owned()),
        filters: Some(serde_json::Value::Object(filters).to_string()),
        result_count: Some(result_count as i64),
        ..EventRow::default()
    })?;
    Ok(id)
}

/// A time-ordered (v7) event id for an event at `now`: the time the caller passes, not
/// the clock, so ids and `at` agree. The rest of the id is random.
fn event_id(now: DateTime<Utc>) -> String {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        u64::try_from(now.timestamp()).unwrap_or(0),
        now.timestamp_subsec_nanos(),
    );
    uuid::Uuid::new_v7(ts).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_carry_the_time_passed_in() {
        let now = DateTime::parse_from_rfc3339("2026-03-31T12:34:56.789Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = uuid::Uuid::parse_str(&event_id(now)).unwrap();
        assert_eq!(id.get_version_num(), 7);
        let (secs, nanos) = id.get_timestamp().expect("v7 has a time").to_unix();
        assert_eq!(
            (secs, nanos / 1_000_000),
            (now.timestamp() as u64, 789),
            "the id's millisecond time is the one passed, not the clock's"
        );
        assert_ne!(event_id(now), event_id(now), "the rest is random");
    }
}
