//! One operation per user action, for every front. The CLI, the desktop app's commands
//! and (later) the team hub's handlers call these and only add presentation, so the
//! fronts cannot disagree on a rule: the checks, the order of steps and what is recorded
//! live here. GitButler's `but-api` is the model.
//!
//! An operation that records something, or depends on today, takes a [`Caller`]: the
//! time and the login name come from the front, because the core reads no clock and no
//! environment.

mod assets;
mod deals;
mod events;
mod maintenance;
mod open;
mod reasons;
mod report;
mod search;
mod status;

use chrono::{DateTime, Utc};

use crate::Result;
use crate::capture::{self, Surface};
use crate::catalog::Catalog;
use crate::datadir::DataDir;

pub use assets::{
    AssetPage, AssetSet, Preview, asset_bytes, asset_page, preview, set_asset_fields,
};
pub use deals::{
    DealPatch, Saved, current_deal, edit_deal, find_deals, record_deal, resolve_deal, save_deal,
    set_current_deal, show_deal,
};
pub use events::{export_events, export_events_to};
pub use maintenance::{Backup, Checkup, backup, doctor};
pub use open::{OpenInput, open};
pub use reasons::find_reasons;
pub use report::{ReportRequest, report, report_csv};
pub use search::{SearchInput, SearchOutput, record_search, search};
pub use status::{Status, status};

/// Who asks, when, and from where: what a front knows that the core must not read
/// itself.
#[derive(Debug, Clone)]
pub struct Caller {
    pub now: DateTime<Utc>,
    /// The OS login name, for events recorded before a rep has named themselves.
    pub login: Option<String>,
    pub surface: Surface,
}

impl Caller {
    pub fn new(now: DateTime<Utc>, login: Option<String>, surface: Surface) -> Caller {
        Caller {
            now,
            login,
            surface,
        }
    }

    /// The rep events are recorded for: the one set on this data dir, else the login
    /// name, so nothing goes unattributed.
    pub fn rep(&self, catalog: &Catalog) -> Result<String> {
        Ok(match capture::rep(catalog)? {
            Some(r) => r.name,
            None => self.login.clone().unwrap_or_else(|| "unknown".into()),
        })
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.now.date_naive()
    }
}

/// Removes the sample library and its history (`quiver demo remove`, Settings).
///
/// # Errors
/// As [`crate::demo::remove`].
pub fn remove_demo(dd: &mut DataDir, _caller: &Caller) -> Result<crate::demo::Removed> {
    crate::demo::remove(dd)
}
