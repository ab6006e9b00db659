//! Insights: the reports marketing acts on. Every report is computed here, from a
//! [`ReportData`] (the catalog implements it) and the index for text, so the CLI and
//! the app show the same numbers.
//! A report is a summary plus named tables of rows; every share carries its count and
//! denominator, every row names assets by `asset_id` and `path`, reasons by `code`,
//! reps by `rep` and deals by `deal_id`.
//!
//! Usage reports read daily rollups (`usage_daily`, `search_daily`) that triggers keep
//! current with every event, so they never scan raw events.

mod coverage;
pub mod data;
mod deals;
mod influence;
mod messaging;
mod searches;
mod usage;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use data::ReportData;

use crate::index::SearchIndex;
use crate::{Result, UserError};

/// The reports, one name each, for every front.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, ts(export))]
pub enum ReportName {
    Unused,
    Assets,
    Searches,
    Reasons,
    Stages,
    Influence,
    Coverage,
    Completeness,
    Messaging,
}

impl ReportName {
    /// Every report, in the order the fronts list them.
    pub const ALL: [ReportName; 9] = [
        ReportName::Unused,
        ReportName::Assets,
        ReportName::Searches,
        ReportName::Reasons,
        ReportName::Stages,
        ReportName::Influence,
        ReportName::Coverage,
        ReportName::Completeness,
        ReportName::Messaging,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::Unused => "unused",
            ReportName::Assets => "assets",
            ReportName::Searches => "searches",
            ReportName::Reasons => "reasons",
            ReportName::Stages => "stages",
            ReportName::Influence => "influence",
            ReportName::Coverage => "coverage",
            ReportName::Completeness => "completeness",
            ReportName::Messaging => "messaging",
        }
    }

    /// # Errors
    /// [`UserError::InvalidValue`] naming the reports there are.
    pub fn parse(name: &str) -> Result<ReportName> {
        ReportName::ALL
            .into_iter()
            .find(|r| r.as_str() == name.trim())
            .ok_or_else(|| {
                UserError::InvalidValue {
                    field: "report".into(),
                    message: format!(
                        "no report {name:?} (reports: {})",
                        ReportName::ALL.map(ReportName::as_str).join(", ")
                    ),
                }
                .into()
            })
    }

    /// Whether a segment splits this report.
    pub fn splits(self) -> bool {
        matches!(self, ReportName::Reasons | ReportName::Messaging)
    }
}

impl std::fmt::Display for ReportName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A segment to split deal reports by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, ts(export))]
pub enum By {
    Industry,
    Size,
    Region,
    Competitor,
    Stage,
    Rep,
    Month,
}

impl By {
    pub fn parse(s: &str) -> Result<By> {
        Ok(match s {
            "industry" => By::Industry,
            "size" => By::Size,
            "region" => By::Region,
            "competitor" => By::Competitor,
            "stage" => By::Stage,
            "rep" => By::Rep,
            "month" => By::Month,
            other => {
                return Err(UserError::UnknownField(
                    other.to_owned(),
                    "industry, size, region, competitor, stage, rep, month",
                )
                .into());
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            By::Industry => "industry",
            By::Size => "size",
            By::Region => "region",
            By::Competitor => "competitor",
            By::Stage => "stage",
            By::Rep => "rep",
            By::Month => "month",
        }
    }

    /// The segment of a deal.
    fn segment(self, d: &data::DealReason) -> String {
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
        match self {
            By::Industry => or_none(&d.industry),
            By::Size => or_none(&d.size),
            By::Region => or_none(&d.region),
            By::Competitor => or_none(&d.competitor),
            By::Stage => or_none(&d.stage),
            By::Rep => d.rep.clone(),
            By::Month => d.close_date.format("%Y-%m").to_string(),
        }
    }
}

/// The coded reasons of the deals closed in the window, with every segment field
/// normalised the same way: values that differ only in case or surrounding space are
/// one segment, shown in its most common spelling (by deals; ties go to the first in
/// byte order), and a blank value is none.
fn deal_reasons(data: &dyn ReportData, opts: &Options) -> Result<Vec<data::DealReason>> {
    let mut rows = data.deal_reasons(&opts.window_start(), &opts.window_end())?;
    type Field = fn(&mut data::DealReason) -> &mut Option<String>;
    let fields: [Field; 5] = [
        |d| &mut d.industry,
        |d| &mut d.size,
        |d| &mut d.region,
        |d| &mut d.competitor,
        |d| &mut d.stage,
    ];
    for field in fields {
        // key -> spelling -> deals
        let mut spellings: std::collections::HashMap<
            String,
            std::collections::BTreeMap<String, std::collections::HashSet<String>>,
        > = std::collections::HashMap::new();
        for d in &mut rows {
            let deal = d.deal_id.clone();
            let v = field(d);
            if let Some(text) = v.as_deref().map(str::trim) {
                if text.is_empty() {
                    *v = None;
                    continue;
                }
                let text = text.to_owned();
                spellings
                    .entry(text.to_lowercase())
                    .or_default()
                    .entry(text)
                    .or_default()
                    .insert(deal);
            }
        }
        let shown: std::collections::HashMap<String, String> = spellings
            .into_iter()
            .map(|(key, by_spelling)| {
                let best = by_spelling
                    .iter()
                    .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))
                    .map(|(s, _)| s.clone())
                    .unwrap_or_default();
                (key, best)
            })
            .collect();
        for d in &mut rows {
            let v = field(d);
            if let Some(text) = v.as_deref() {
                *v = shown.get(&text.trim().to_lowercase()).cloned();
            }
        }
    }
    Ok(rows)
}

/// The segment of a deal when a report is split `by` one, else `all`.
fn segment_of(by: Option<By>, d: &data::DealReason) -> String {
    by.map_or_else(|| "all".to_owned(), |b| b.segment(d))
}

/// How influence ties an asset to a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfluenceRule {
    /// Opened for the deal (`quiver open --deal`).
    Deal,
    /// Opened by the deal's rep in the N days up to the close.
    RepWindow,
    /// Opens tied to the deal; for a deal with none, the rep's opens before the close.
    Both,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Inclusive window; `None` means since the beginning.
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub by: Option<By>,
    pub anonymize: bool,
    pub today: NaiveDate,
    /// An asset younger than this (within the window) is too new to call unused.
    pub grace_days: i64,
    pub influence_rule: InfluenceRule,
    pub influence_days: i64,
    /// Below this many deals on either side, influence claims nothing.
    pub min_support: usize,
    /// Shares over fewer deals than this are flagged `small_sample`.
    pub small_sample: usize,
    /// Rows per ranked table.
    pub limit: usize,
    /// The funnel's stages, in order.
    pub stages: Vec<String>,
    /// stages' what-if: the points by which a stage's loss rate is lowered.
    pub what_if_points: f64,
}

impl Options {
    pub fn new(today: NaiveDate) -> Options {
        Options {
            from: None,
            to: today,
            by: None,
            anonymize: false,
            today,
            grace_days: 14,
            influence_rule: InfluenceRule::Both,
            influence_days: 30,
            min_support: 5,
            small_sample: 30,
            limit: 20,
            stages: crate::deals::DEFAULT_STAGES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            what_if_points: 10.0,
        }
    }

    /// `from` as a day (or the earliest possible).
    fn window_start(&self) -> String {
        self.from
            .map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string())
    }

    fn window_end(&self) -> String {
        self.to.to_string()
    }
}

/// What a column holds, so that every front shows it the same way without guessing
/// from the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, ts(export))]
pub enum ColumnKind {
    /// An id for scripts (`asset_id`); people read the title and path beside it.
    Id,
    Text,
    /// A file's path; people read its name.
    Path,
    /// `YYYY-MM-DD`.
    Date,
    /// A whole number of things.
    Count,
    /// Another number (a mean, a z-score).
    Number,
    /// A fraction from 0 to 1: a share, a rate, or a bound of its 95% interval.
    Share,
    /// A difference of two shares (a lift), in fractions: +0.12 is 12 points.
    Points,
    /// Yes or no (`small_sample`, `gap`, `claimed`).
    Flag,
    /// A list of `{code, deals}`.
    Codes,
    /// A list of `{asset_id, path, title}`.
    Assets,
}

impl ColumnKind {
    /// The kind of a report column, by its name: one table for every report, so a new
    /// column of a known family needs nothing more. A test runs every report and
    /// checks each value against its column's kind.
    pub fn of(column: &str) -> ColumnKind {
        match column {
            "asset_id" => ColumnKind::Id,
            "path" => ColumnKind::Path,
            "last_opened" | "last_searched" | "week" | "existed_since" => ColumnKind::Date,
            "small_sample" | "gap" | "claimed" => ColumnKind::Flag,
            "lift" | "lift_ci_low" | "lift_ci_high" => ColumnKind::Points,
            "top_reasons" => ColumnKind::Codes,
            "top_assets" => ColumnKind::Assets,
            "z" | "mean_coded_reasons" | "opens_per_week" | "amount_lost" | "what_if_revenue"
            | "what_if_gain" => ColumnKind::Number,
            "ci_low" | "ci_high" | "click_through" | "loss_rate" => ColumnKind::Share,
            c if c.ends_with("share") || c.starts_with("win_rate") => ColumnKind::Share,
            "deals"
            | "lost"
            | "won"
            | "no_decision"
            | "opens"
            | "reps"
            | "searches"
            | "number"
            | "raised"
            | "closed_deals"
            | "tagged_assets"
            | "text_matched_assets"
            | "title_matched_assets"
            | "covering_assets"
            | "primary"
            | "denominator"
            | "competitor_losses"
            | "coded_primary"
            | "with_notes"
            | "other_or_unknown"
            | "contest_entries"
            | "used_count"
            | "unused_count"
            | "unused"
            | "eligible"
            | "age_days"
            | "opens_ever"
            | "recent_4_weeks"
            | "previous_4_weeks"
            | "change"
            | "deals_used"
            | "deals_not_used"
            | "zero_result_searches"
            | "searches_opened"
            | "mentions"
            | "reached"
            | "lost_here" => ColumnKind::Count,
            _ => ColumnKind::Text,
        }
    }
}

/// A column of a table: its name (the key of every row) and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
}

/// One table of a report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Map<String, Value>>,
}

impl Table {
    fn new(name: &'static str, columns: &[&'static str]) -> Table {
        Table {
            name,
            columns: columns
                .iter()
                .map(|&name| Column {
                    name,
                    kind: ColumnKind::of(name),
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// The column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.name)
    }

    /// The table as CSV: a header of column names, then a line per row.
    ///
    /// # Errors
    /// Write errors.
    pub fn write_csv(&self, out: impl std::io::Write) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let csv_error = |e: csv::Error| crate::Error::io("writing CSV", std::io::Error::other(e));
        w.write_record(self.names()).map_err(csv_error)?;
        for row in &self.rows {
            // Text comes from people and files (queries, names, titles, paths): quoted
            // so that a spreadsheet never runs it. Numbers are written as they are.
            w.write_record(self.columns.iter().map(|c| {
                let text = cell(c.kind, &row[c.name]);
                match &row[c.name] {
                    Value::Number(_) | Value::Bool(_) => text,
                    _ => crate::csvcell::safe(&text).into_owned(),
                }
            }))
            .map_err(csv_error)?;
        }
        w.flush().map_err(|e| crate::Error::io("writing CSV", e))
    }

    /// Adds a row; values follow `columns`.
    fn push(&mut self, values: Vec<Value>) {
        debug_assert_eq!(
            values.len(),
            self.columns.len(),
            "{}: a value per column",
            self.name
        );
        self.rows.push(
            self.columns
                .iter()
                .map(|c| c.name.to_owned())
                .zip(values)
                .collect(),
        );
    }
}

/// A value as text for a file or a terminal: by its column's kind, not by guessing.
/// Numbers stay as JSON prints them (a share as its fraction, for spreadsheets);
/// lists as their short form.
pub fn cell(kind: ColumnKind, v: &Value) -> String {
    let file_name = |p: &str| p.rsplit('/').next().unwrap_or("").to_owned();
    match (kind, v) {
        (_, Value::Null) => String::new(),
        (_, Value::String(s)) => s.clone(),
        (ColumnKind::Codes, Value::Array(items)) => items
            .iter()
            .map(|i| format!("{} ({})", i["code"].as_str().unwrap_or(""), i["deals"]))
            .collect::<Vec<_>>()
            .join("; "),
        (ColumnKind::Assets, Value::Array(items)) => items
            .iter()
            .map(|i| file_name(i["path"].as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("; "),
        (_, other) => other.to_string(),
    }
}

/// A computed report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Report {
    pub report: ReportName,
    pub from: Option<String>,
    pub to: String,
    pub by: Option<&'static str>,
    pub summary: Map<String, Value>,
    /// Plain-language remarks: how a figure is computed, or that there is no data yet.
    pub notes: Vec<String>,
    pub tables: Vec<Table>,
}

impl Report {
    fn new(name: ReportName, opts: &Options) -> Report {
        Report {
            report: name,
            from: opts.from.map(|d| d.to_string()),
            to: opts.to.to_string(),
            by: opts.by.map(By::name),
            summary: Map::new(),
            notes: Vec::new(),
            tables: Vec::new(),
        }
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The table named, or the first: the one a CSV export writes.
    ///
    /// # Errors
    /// [`UserError::InvalidValue`] naming the tables there are.
    pub fn pick_table(&self, name: Option<&str>) -> Result<&Table> {
        let invalid = |message: String| -> crate::Error {
            UserError::InvalidValue {
                field: "table".into(),
                message,
            }
            .into()
        };
        match name {
            Some(name) => self.table(name).ok_or_else(|| {
                invalid(format!(
                    "no table {name:?} in the {} report (tables: {})",
                    self.report,
                    self.tables
                        .iter()
                        .map(|t| t.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
            None => self
                .tables
                .first()
                .ok_or_else(|| invalid(format!("the {} report has no table", self.report))),
        }
    }
}

/// Runs one report.
///
/// # Errors
/// [`UserError::InvalidValue`] for a split of a report that is not split; catalog
/// errors.
pub fn run(
    data: &dyn ReportData,
    index: &SearchIndex,
    name: ReportName,
    opts: &Options,
) -> Result<Report> {
    if opts.by.is_some() && !name.splits() {
        return Err(UserError::InvalidValue {
            field: "by".into(),
            message: format!(
                "the {name} report is not split by segment; a split works with {}",
                ReportName::ALL
                    .into_iter()
                    .filter(|r| r.splits())
                    .map(ReportName::as_str)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        }
        .into());
    }
    let mut report = match name {
        ReportName::Unused => usage::unused(data, opts)?,
        ReportName::Assets => usage::assets(data, opts)?,
        ReportName::Influence => influence::influence(data, opts)?,
        ReportName::Searches => searches::searches(data, opts)?,
        ReportName::Reasons => deals::reasons(data, opts)?,
        ReportName::Stages => deals::stages(data, opts)?,
        ReportName::Completeness => deals::completeness(data, opts)?,
        ReportName::Coverage => coverage::coverage(data, index, opts)?,
        ReportName::Messaging => messaging::messaging(data, index, opts)?,
    };
    if opts.anonymize {
        anonymize(&mut report, &data.pseudonym_key()?);
    }
    Ok(report)
}

/// A stable pseudonym: the same rep always gets the same one under one key, and
/// without the key (kept in the data dir) hashing a list of names does not undo it.
pub fn pseudonym(key: &[u8; 32], rep: &str) -> String {
    format!(
        "rep-{}",
        &blake3::keyed_hash(key, rep.as_bytes()).to_hex()[..8]
    )
}

fn anonymize(report: &mut Report, secret: &[u8; 32]) {
    let by_rep = report.by == Some("rep");
    for table in &mut report.tables {
        for row in &mut table.rows {
            for key in ["rep", "reps_list"] {
                if let Some(Value::String(r)) = row.get(key) {
                    let p = pseudonym(secret, r);
                    row.insert(key.to_owned(), Value::String(p));
                }
            }
            if by_rep && let Some(Value::String(seg)) = row.get("segment") {
                let p = pseudonym(secret, seg);
                row.insert("segment".to_owned(), Value::String(p));
            }
        }
    }
}

/// 95% Wilson score interval of `k` successes in `n`.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let (k, n) = (k as f64, n as f64);
    let z = 1.959_963_984_540_054_f64;
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// 95% interval of the difference `k1/n1 - k2/n2` of two proportions: Newcombe's
/// hybrid score method (his method 10), built from the two Wilson intervals. It keeps
/// within [-1, 1] and behaves at small counts and rates near 0 or 1, where the
/// textbook (Wald) interval does not.
pub fn newcombe(k1: usize, n1: usize, k2: usize, n2: usize) -> (f64, f64) {
    if n1 == 0 || n2 == 0 {
        return (-1.0, 1.0);
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let ((l1, u1), (l2, u2)) = (wilson(k1, n1), wilson(k2, n2));
    let d = p1 - p2;
    let below = ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let above = ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    ((d - below).max(-1.0), (d + above).min(1.0))
}

/// A share as JSON: count, denominator, share, and its interval.
fn share(count: usize, n: usize, small: usize) -> Vec<Value> {
    let (lo, hi) = wilson(count, n);
    vec![
        json!(count),
        json!(n),
        json!(if n == 0 {
            0.0
        } else {
            round(count as f64 / n as f64)
        }),
        json!(round(lo)),
        json!(round(hi)),
        json!(n < small),
    ]
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Merged codes count under the code they were merged into.
fn canonical_codes(data: &dyn ReportData) -> Result<std::collections::HashMap<String, String>> {
    let direct: std::collections::HashMap<String, Option<String>> = data
        .reasons()?
        .into_iter()
        .map(|r| (r.code, r.merged_into))
        .collect();
    let mut out = std::collections::HashMap::new();
    for code in direct.keys() {
        let mut current = code.clone();
        for _ in 0..64 {
            match direct.get(&current).cloned().flatten() {
                Some(next) => current = next,
                None => break,
            }
        }
        out.insert(code.clone(), current);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_known_values() {
        // 10 of 100: the textbook interval is about [0.0552, 0.1744].
        let (lo, hi) = wilson(10, 100);
        assert!(
            (lo - 0.0552).abs() < 1e-3 && (hi - 0.1744).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 0.0));
        let (lo, hi) = wilson(0, 5);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4, "few samples give a wide interval");
    }

    #[test]
    fn newcombe_matches_his_worked_example() {
        // Newcombe (1998), table II, example (a): 56/70 against 48/80, method 10 gives
        // [0.0524, 0.3339].
        let (lo, hi) = newcombe(56, 70, 48, 80);
        assert!(
            (lo - 0.0524).abs() < 1e-3 && (hi - 0.3339).abs() < 1e-3,
            "{lo} {hi}"
        );
        // 9/10 against 3/10: [0.1705, 0.8090].
        let (lo, hi) = newcombe(9, 10, 3, 10);
        assert!(
            (lo - 0.1705).abs() < 1e-3 && (hi - 0.8090).abs() < 1e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn pseudonyms_are_stable_and_distinct() {
        let (k1, k2) = ([1u8; 32], [2u8; 32]);
        assert_eq!(pseudonym(&k1, "Dana"), pseudonym(&k1, "Dana"));
        assert_ne!(pseudonym(&k1, "Dana"), pseudonym(&k1, "Sam"));
        assert_ne!(pseudonym(&k1, "Dana"), pseudonym(&k2, "Dana"), "keyed");
        assert!(!pseudonym(&k1, "Dana").contains("Dana"));
    }
}
