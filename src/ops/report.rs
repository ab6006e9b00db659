//! Running a report: every check on its options, for every front.

use chrono::NaiveDate;
use serde::Deserialize;

use super::Caller;
use crate::datadir::DataDir;
use crate::insights::{self, By, InfluenceRule, Options, Report, ReportName};
use crate::{Result, UserError};

/// A report and its options as a front gives them; `None` is the default.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export, optional_fields))]
pub struct ReportRequest {
    pub name: ReportName,
    /// Start of the window (inclusive); default: the beginning.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// End of the window (inclusive); default: today.
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Segment to split deal reports by.
    #[serde(default)]
    pub by: Option<By>,
    #[serde(default)]
    pub anonymize: bool,
    /// Rows per ranked table.
    #[serde(default)]
    pub limit: Option<usize>,
    /// influence: `deal`, `rep` or `both`.
    #[serde(default)]
    pub rule: Option<String>,
    /// influence: days before the close that count.
    #[serde(default)]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub days: Option<i64>,
    /// influence: deals needed on each side before a win rate is claimed.
    #[serde(default)]
    pub min_support: Option<usize>,
    /// unused: days an asset must have existed in the window to be judged.
    #[serde(default)]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub grace_days: Option<i64>,
    /// stages: the points by which each stage's loss rate is lowered in the what-if
    /// column (default 10).
    #[serde(default)]
    pub what_if: Option<f64>,
}

fn invalid(field: &str, message: String) -> crate::Error {
    UserError::InvalidValue {
        field: field.into(),
        message,
    }
    .into()
}

impl ReportRequest {
    /// The report's options, checked.
    ///
    /// # Errors
    /// [`UserError::InvalidValue`] naming the option that is wrong.
    pub fn options(&self, dd: &DataDir, caller: &Caller) -> Result<Options> {
        let today = caller.today();
        let mut opts = Options::new(today);
        opts.from = self.from;
        opts.to = self.to.unwrap_or(today);
        if let Some(from) = opts.from.filter(|f| *f > opts.to) {
            return Err(invalid(
                "from",
                format!("the window starts on {from}, after it ends on {}", opts.to),
            ));
        }
        opts.by = self.by;
        opts.anonymize = self.anonymize;
        if let Some(limit) = self.limit {
            opts.limit = limit;
        }
        if let Some(rule) = &self.rule {
            opts.influence_rule = match rule.as_str() {
                "deal" => InfluenceRule::Deal,
                "rep" => InfluenceRule::RepWindow,
                "both" => InfluenceRule::Both,
                other => {
                    return Err(invalid(
                        "rule",
                        format!("{other:?} is not deal, rep or both"),
                    ));
                }
            };
        }
        if let Some(days) = self.days {
            if days < 0 {
                return Err(invalid("days", format!("{days} is below 0")));
            }
            opts.influence_days = days;
        }
        if let Some(n) = self.min_support {
            opts.min_support = n;
        }
        if let Some(days) = self.grace_days {
            if days < 0 {
                return Err(invalid("grace_days", format!("{days} is below 0")));
            }
            opts.grace_days = days;
        }
        if let Some(points) = self.what_if {
            if !(0.0..=100.0).contains(&points) {
                return Err(invalid(
                    "what_if",
                    format!("{points} is not between 0 and 100 points"),
                ));
            }
            opts.what_if_points = points;
        }
        opts.stages = dd.config.stages.clone();
        Ok(opts)
    }
}

/// Runs a report.
///
/// # Errors
/// As [`ReportRequest::options`] and [`insights::run`].
pub fn report(dd: &DataDir, caller: &Caller, req: &ReportRequest) -> Result<Report> {
    let opts = req.options(dd, caller)?;
    insights::run(&dd.catalog, &dd.index, req.name, &opts)
}

/// Writes one table of a report as CSV to `path` (the first table when `table` is
/// `None`), atomically: the file is whole or not there. Returns the table's name.
///
/// # Errors
/// As [`report`]; [`UserError::InvalidValue`] for a table the report does not have;
/// write errors ([`UserError::DiskFull`] on a full disk).
pub fn report_csv(
    dd: &DataDir,
    caller: &Caller,
    req: &ReportRequest,
    table: Option<&str>,
    path: &std::path::Path,
) -> Result<&'static str> {
    let report = report(dd, caller, req)?;
    let table = report.pick_table(table)?;
    crate::fsutil::write_atomically(path, |w| table.write_csv(w))?;
    Ok(table.name)
}
