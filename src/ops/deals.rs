//! Recording and editing a closed deal: the merge rule for an edit lives here, once.

use serde::{Deserialize, Serialize};

use super::Caller;
use crate::datadir::DataDir;
use crate::deals::{self, Change, Deal, DealInput, KnownDeal, ReasonEntry};
use crate::{Result, UserError};

/// Fields given for a deal; `None` keeps what the deal has.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export, optional_fields))]
pub struct DealPatch {
    pub name: Option<String>,
    pub account: Option<String>,
    pub rep: Option<String>,
    pub outcome: Option<String>,
    pub close_date: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub competitor: Option<String>,
    pub stage: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<String>,
    /// `CODE` or `CODE: the buyer's words`.
    pub primary: Option<String>,
    /// Secondary reasons in rank order; given ones replace the deal's.
    #[serde(default)]
    pub secondary: Vec<String>,
}

impl DealPatch {
    /// Applies the given fields over `deal`. A new primary reason alone keeps the
    /// secondary reasons; given secondaries replace them.
    pub fn apply(self, mut deal: DealInput) -> DealInput {
        macro_rules! set {
            ($($field:ident),*) => { $( if self.$field.is_some() { deal.$field = self.$field; } )* };
        }
        set!(
            name, account, amount, currency, competitor, stage, industry, size, region
        );
        if let Some(v) = self.rep {
            deal.rep = v;
        }
        if let Some(v) = self.outcome {
            deal.outcome = v;
        }
        if let Some(v) = self.close_date {
            deal.close_date = v;
        }
        if self.primary.is_some() || !self.secondary.is_empty() {
            let primary = self
                .primary
                .map(|p| ReasonEntry::parse(&p))
                .or_else(|| deal.reasons.first().cloned());
            let secondary: Vec<ReasonEntry> = if self.secondary.is_empty() {
                deal.reasons.iter().skip(1).cloned().collect()
            } else {
                self.secondary
                    .iter()
                    .map(|s| ReasonEntry::parse(s))
                    .collect()
            };
            deal.reasons = primary.into_iter().chain(secondary).collect();
        }
        deal
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Saved {
    pub change: Change,
    pub deal: Deal,
}

/// Saves a whole deal as a form gives it: new (`edit` false) or a change to a recorded
/// one. A deal without a rep is the caller's.
///
/// # Errors
/// As [`deals::save`].
pub fn save_deal(dd: &DataDir, caller: &Caller, deal: DealInput, edit: bool) -> Result<Saved> {
    let me = caller.rep(&dd.catalog)?;
    let deal = if deal.rep.trim().is_empty() {
        DealInput {
            rep: me.clone(),
            ..deal
        }
    } else {
        deal
    };
    let (change, deal) = deals::save(
        &dd.catalog,
        deal,
        &me,
        edit,
        &dd.config.stages,
        caller.today(),
        caller.now,
    )?;
    Ok(Saved { change, deal })
}

/// Records a new deal from the fields given.
///
/// # Errors
/// As [`deals::save`].
pub fn record_deal(
    dd: &DataDir,
    caller: &Caller,
    deal_id: Option<String>,
    fields: DealPatch,
) -> Result<Saved> {
    let base = DealInput {
        deal_id: deal_id.unwrap_or_default(),
        ..DealInput::default()
    };
    save_deal(dd, caller, fields.apply(base), false)
}

/// Changes the given fields of a recorded deal; the audit trail keeps who changed what.
///
/// # Errors
/// [`UserError::NoSuchDeal`]; as [`deals::save`].
pub fn edit_deal(dd: &DataDir, caller: &Caller, deal_id: &str, fields: DealPatch) -> Result<Saved> {
    let current = deals::get(&dd.catalog, deal_id)?
        .ok_or_else(|| UserError::NoSuchDeal(deal_id.to_owned()))?;
    save_deal(dd, caller, fields.apply(current.to_input()), true)
}

/// A recorded deal, with its audit trail.
///
/// # Errors
/// [`UserError::NoSuchDeal`]; catalog errors.
pub fn show_deal(dd: &DataDir, deal_id: &str) -> Result<(Deal, Vec<deals::AuditEntry>)> {
    let deal = deals::get(&dd.catalog, deal_id)?
        .ok_or_else(|| UserError::NoSuchDeal(deal_id.to_owned()))?;
    let audit = deals::audit_trail(&dd.catalog, deal_id)?;
    Ok((deal, audit))
}

/// Open deals matching what the rep typed (id, name or account), most recent first.
///
/// # Errors
/// Catalog errors.
pub fn find_deals(dd: &DataDir, text: &str, limit: usize) -> Result<Vec<KnownDeal>> {
    deals::known(&dd.catalog, text, limit)
}

/// The deal an open is for, from what the rep gave: a known id as it is; a known id
/// followed by words (`OPP-77 Globex`, as a CRM shows a deal) as that id; words that
/// name one known deal's name or account as its id; a new id (one word) as it is.
///
/// # Errors
/// [`UserError::InvalidValue`] on `deal` for words that name no deal or several.
pub fn resolve_deal(dd: &DataDir, given: &str) -> Result<String> {
    let given = given.trim();
    let first = given.split_whitespace().next().unwrap_or("");
    if !given.contains(char::is_whitespace) {
        return Ok(given.to_owned());
    }
    let by_id = |id: &str| -> Result<bool> {
        Ok(deals::is_closed(&dd.catalog, id)?
            || deals::known(&dd.catalog, id, 50)?
                .iter()
                .any(|d| d.deal_id.eq_ignore_ascii_case(id)))
    };
    if by_id(first)? {
        return Ok(first.to_owned());
    }
    let named = deals::known(&dd.catalog, given, 2)?;
    match named.as_slice() {
        [one] => Ok(one.deal_id.clone()),
        [] => Err(invalid(
            "deal",
            format!(
                "{given:?} names no deal Quiver knows; give the deal's id (one word, as the CRM shows it)"
            ),
        )),
        _ => Err(invalid(
            "deal",
            format!(
                "{given:?} names several deals ({}); give the deal's id",
                named
                    .iter()
                    .map(|d| d.deal_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn invalid(field: &str, message: String) -> crate::Error {
    UserError::InvalidValue {
        field: field.into(),
        message,
    }
    .into()
}

/// The meta key of the deal the rep is preparing for.
const CURRENT_DEAL: &str = "current_deal";

/// Sets (or, with `None`, clears) the deal the rep is preparing for: opens are tied to
/// it, and it is kept across restarts until the deal is recorded closed.
///
/// # Errors
/// As [`resolve_deal`]; catalog errors.
pub fn set_current_deal(dd: &DataDir, deal: Option<&str>) -> Result<Option<String>> {
    let id = match deal.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(resolve_deal(dd, d)?),
        None => None,
    };
    dd.catalog
        .set_meta(CURRENT_DEAL, id.as_deref().unwrap_or(""))?;
    Ok(id)
}

/// The deal the rep is preparing for, unless it has been recorded closed since.
///
/// # Errors
/// Catalog errors.
pub fn current_deal(dd: &DataDir) -> Result<Option<String>> {
    match dd.catalog.meta(CURRENT_DEAL)?.filter(|d| !d.is_empty()) {
        Some(id) if !deals::is_closed(&dd.catalog, &id)? => Ok(Some(id)),
        _ => Ok(None),
    }
}
