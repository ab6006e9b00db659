//! Opening an asset: plan, launch, record, in that order for every front.

use serde::Deserialize;

use super::Caller;
use crate::Result;
use crate::capture::{self, OpenAck, OpenRequest};
use crate::datadir::DataDir;
use crate::search::Location;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export, optional_fields))]
pub struct OpenInput {
    /// Asset id (or unique prefix) or a path of one of its files.
    pub target: String,
    /// The deal being prepared for; blank is none.
    #[serde(default)]
    pub deal_id: Option<String>,
    /// The search this open follows.
    #[serde(default)]
    pub query_id: Option<String>,
    /// The page or slide opened.
    #[serde(default)]
    pub location: Option<Location>,
    /// Seen inside Quiver (the preview pane), not opened in a viewer.
    #[serde(default)]
    pub preview: bool,
    /// Record without launching a viewer (for scripts and tests).
    #[serde(default)]
    pub no_launch: bool,
    /// The event's id (a UUID), chosen by the caller so that a retry of an open whose
    /// answer was lost records it once and gets the same answer.
    #[serde(default)]
    pub event_id: Option<String>,
}

/// Opens an asset: works out the file, launches it with `launch` (unless a preview or
/// `no_launch`) at the page or slide that matched, then records the open. An open whose
/// viewer did not start is not recorded. `launch` gets the file and the page or slide
/// (1-based) and returns what to tell the rep, if anything (that the viewer could not
/// go to the page).
///
/// # Errors
/// As [`capture::plan_open`]; whatever `launch` returns; catalog errors.
pub fn open(
    dd: &DataDir,
    caller: &Caller,
    input: OpenInput,
    launch: impl FnOnce(&str, Option<u32>) -> Result<Option<String>>,
) -> Result<OpenAck> {
    let deal_id = match input.deal_id.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => Some(super::resolve_deal(dd, d)?),
        _ => None,
    };
    let req = OpenRequest {
        target: input.target,
        preview: input.preview,
        deal_id,
        query_id: input.query_id,
        location: input.location,
        surface: caller.surface,
    };
    if let Some(id) = &input.event_id
        && uuid::Uuid::parse_str(id).is_err()
    {
        return Err(crate::UserError::InvalidValue {
            field: "event-id".into(),
            message: format!("{id:?} is not a UUID"),
        }
        .into());
    }
    let mut plan = capture::plan_open(&dd.catalog, &req, &caller.today().to_string())?;
    // A retry of an open already recorded: the same answer, and no second viewer.
    if let Some(id) = &input.event_id
        && dd.catalog.event_recorded(id)?
    {
        plan.event_id = id.clone();
        return Ok(plan);
    }
    if !input.preview && !input.no_launch {
        let page = req
            .location
            .as_ref()
            .filter(|l| l.kind == "page" || l.kind == "slide")
            .map(|l| l.number);
        if let Some(note) = launch(&plan.path, page)? {
            plan.warnings.push(note);
        }
    }
    let rep = caller.rep(&dd.catalog)?;
    capture::record_open(&dd.catalog, &req, plan, input.event_id, &rep, caller.now)
}
