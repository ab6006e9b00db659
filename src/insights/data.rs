//! What the reports read, and nothing more: the interface between the report rules and
//! a store. The catalog implements it over SQLite (`catalog/reports.rs`); a team hub
//! could implement it over another database and get the same reports. The text that
//! coverage searches stays in the index, passed to those reports separately.
//!
//! Days are `YYYY-MM-DD` strings and windows are inclusive, unless a method says
//! otherwise. Methods that may see millions of rows stream them to a callback instead
//! of returning them.

use chrono::NaiveDate;

use crate::Result;
use crate::deals::Outcome;
use crate::reasons::Reason;

/// A closed deal, as influence reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DealRow {
    pub id: String,
    pub rep: String,
    pub outcome: Outcome,
    pub close_date: NaiveDate,
    /// The stage it was lost at, as recorded.
    pub stage: Option<String>,
    pub amount: Option<f64>,
}

/// One coded reason of a closed deal, with the deal's segments.
#[derive(Debug, Clone, PartialEq)]
pub struct DealReason {
    pub deal_id: String,
    pub outcome: Outcome,
    pub rep: String,
    pub close_date: NaiveDate,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<String>,
    pub competitor: Option<String>,
    pub stage: Option<String>,
    /// 0 for the primary reason, then the secondary reasons in order.
    pub rank: i64,
    /// As recorded: a merged code is not yet followed to its new code.
    pub code: String,
    /// Whether the reason carries a note (the buyer's words).
    pub noted: bool,
}

/// A present asset with its main file (newest content, then path order).
#[derive(Debug, Clone, PartialEq)]
pub struct PresentAsset {
    pub id: String,
    pub title: String,
    pub format: String,
    pub product: Option<String>,
    pub owner: Option<String>,
    /// RFC 3339: when Quiver first indexed it.
    pub created_at: String,
    /// The document's own created date, where extraction found one (RFC 3339 or a
    /// `YYYY-MM-DD` prefix).
    pub doc_created: Option<String>,
    /// The earliest modification time of its present files, in nanoseconds since 1970.
    pub file_modified_ns: Option<i64>,
    /// The first day it was opened or previewed.
    pub first_opened: Option<String>,
    pub expires_on: Option<String>,
    pub path: String,
    /// The library folder the main file is in.
    pub root: String,
}

/// What a report row shows of an asset (also a missing one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetCard {
    pub title: String,
    /// Its main present file; empty when none is present.
    pub path: String,
    pub expires_on: Option<String>,
}

/// An asset tagged as addressing a reason code.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressTag {
    pub asset_id: String,
    pub code: String,
}

/// Opens of one asset, all time.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetUsage {
    pub asset_id: String,
    pub opens: i64,
    pub last_day: String,
}

/// Opens of one asset by one rep on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageDay<'a> {
    pub day: &'a str,
    pub asset_id: &'a str,
    pub rep: &'a str,
    pub opens: i64,
}

/// Opens of one asset on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayOpens {
    pub day: String,
    pub opens: i64,
}

/// Opens at one page, slide or sheet of an asset.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationOpens {
    pub kind: String,
    pub number: i64,
    pub opens: i64,
}

/// A day on which a rep opened an asset, both by number (see [`OpenDays`]); the day
/// counts from the common era (0001-01-01 is 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenDay {
    pub rep: i64,
    pub asset: i64,
    pub day: i64,
}

/// Searches for one query (lower-cased, trimmed) in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRollup {
    pub query: String,
    pub searches: i64,
    pub reps: i64,
    pub zero_results: i64,
    pub opened: i64,
    pub last_day: String,
}

/// The reads behind every report.
pub trait ReportData {
    /// Every code of the taxonomy, retired ones too: active first, then by quality,
    /// category, kind and code.
    fn reasons(&self) -> Result<Vec<Reason>>;

    /// The deals closed in the window.
    fn deals(&self, from: &str, to: &str) -> Result<Vec<DealRow>>;

    /// Every coded reason of the deals closed in the window.
    fn deal_reasons(&self, from: &str, to: &str) -> Result<Vec<DealReason>>;

    /// The assets opened for the deals closed in the window, as (deal id, asset id):
    /// a deal's rows come together, ordered by asset, so repeats are neighbours.
    fn each_deal_open(&self, from: &str, to: &str, each: &mut dyn FnMut(&str, &str)) -> Result<()>;

    /// Present assets with their main file, by id.
    fn present_assets(&self) -> Result<Vec<PresentAsset>>;

    /// Ids of present assets, oldest first.
    fn present_asset_ids(&self) -> Result<Vec<String>>;

    /// How many assets have no file present.
    fn missing_assets(&self) -> Result<i64>;

    /// Title, main path and expiry of an asset.
    fn asset_card(&self, asset_id: &str) -> Result<Option<AssetCard>>;

    /// The reason codes present assets are tagged as addressing.
    fn address_tags(&self) -> Result<Vec<AddressTag>>;

    /// The texts of an asset's current version (page, slide or sheet) in order, while
    /// `each` returns true.
    fn each_asset_text(&self, asset_id: &str, each: &mut dyn FnMut(&str) -> bool) -> Result<()>;

    /// All-time opens of every asset ever opened.
    fn asset_usage(&self) -> Result<Vec<AssetUsage>>;

    /// Whether an asset was opened in the window.
    fn opened_between(&self, asset_id: &str, from: &str, to: &str) -> Result<bool>;

    /// The assets opened in the window.
    fn assets_opened_between(&self, from: &str, to: &str) -> Result<Vec<String>>;

    /// Opens per day, asset and rep in the window, in no particular order.
    fn each_usage_day(
        &self,
        from: &str,
        to: &str,
        each: &mut dyn FnMut(UsageDay<'_>),
    ) -> Result<()>;

    /// One asset's opens per day in the window.
    fn asset_days(&self, asset_id: &str, from: &str, to: &str) -> Result<Vec<DayOpens>>;

    /// One asset's opens per page, slide or sheet at or after `from` and before
    /// `before` (RFC 3339 prefixes): the 20 most opened.
    fn location_opens(
        &self,
        asset_id: &str,
        from: &str,
        before: &str,
    ) -> Result<Vec<LocationOpens>>;

    /// A reader of the open days that works on another thread, so a report can read
    /// them while it reads the rest.
    fn open_days(&self) -> Result<Box<dyn OpenDays + Send>>;

    /// The asset id of an asset number of [`OpenDays`].
    fn asset_of_number(&self, number: i64) -> Result<String>;

    /// Searches per query in the window.
    fn query_rollups(&self, from: &str, to: &str) -> Result<Vec<QueryRollup>>;

    /// Searches per query and day in the window, as (query, searches), in no
    /// particular order.
    fn each_query_day(&self, from: &str, to: &str, each: &mut dyn FnMut(&str, i64)) -> Result<()>;

    /// The secret that keys rep pseudonyms (made at first use, kept with the data).
    fn pseudonym_key(&self) -> Result<[u8; 32]>;
}

/// The days each rep opened each asset, keyed by numbers: influence folds millions of
/// them, and numbers keep that cheap.
pub trait OpenDays {
    /// Rep names by rep number (`None` for an unused number).
    fn rep_names(&self) -> Result<Vec<Option<String>>>;

    /// Every open day from `from` to `to` (day numbers, inclusive), in day order.
    fn each_open_day(&self, from: i64, to: i64, each: &mut dyn FnMut(OpenDay)) -> Result<()>;
}
