//! Exporting events, for another machine or a backup.

use std::io::Write;

use crate::capture::exchange;
use crate::datadir::DataDir;
use crate::{Error, Result, UserError};

/// Writes events as NDJSON to `out`, since a day (`2026-10-01`) or an RFC 3339 time;
/// with `anonymize`, rep names become their keyed pseudonyms. Returns how many.
///
/// # Errors
/// [`UserError::InvalidValue`] for a `since` that is neither; catalog and write errors.
pub fn export_events(
    dd: &DataDir,
    since: Option<&str>,
    anonymize: bool,
    out: &mut dyn Write,
) -> Result<usize> {
    if let Some(s) = since
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
        && chrono::DateTime::parse_from_rfc3339(s).is_err()
    {
        return Err(UserError::InvalidValue {
            field: "since".into(),
            message: format!("{s:?} is not a date (2026-10-01) or an RFC 3339 time"),
        }
        .into());
    }
    let n = if anonymize {
        anonymized(dd, since, out)?
    } else {
        exchange::export(&dd.catalog, since, out)?
    };
    // A buffered writer dropped unflushed loses its error with its last bytes.
    out.flush().map_err(|e| Error::io("writing events", e))?;
    Ok(n)
}

/// [`export_events`] into the file at `path`, written atomically: on any failure (a
/// full disk included) the file is not left short, and the error says so.
///
/// # Errors
/// As [`export_events`]; [`UserError::DiskFull`] when the disk is full.
pub fn export_events_to(
    dd: &DataDir,
    since: Option<&str>,
    anonymize: bool,
    path: &std::path::Path,
) -> Result<usize> {
    crate::fsutil::write_atomically(path, |w| export_events(dd, since, anonymize, w))
}

fn anonymized(dd: &DataDir, since: Option<&str>, out: &mut dyn Write) -> Result<usize> {
    let mut buf = Vec::new();
    let n = exchange::export(&dd.catalog, since, &mut buf)?;
    let key = dd.catalog.pseudonym_key()?;
    for line in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let mut e: serde_json::Value = serde_json::from_slice(line)
            .map_err(|e| Error::Internal(format!("an exported event is not JSON: {e}")))?;
        if let Some(rep) = e["rep"].as_str() {
            e["rep"] = serde_json::json!(crate::insights::pseudonym(&key, rep));
        }
        writeln!(out, "{e}").map_err(|e| Error::io("writing events", e))?;
    }
    Ok(n)
}
