//! Recording and editing a closed deal: the merge rule for an edit lives here, once.

use serde::{Deserialize, Serialize};

use super::Caller;
use crate::datadir::DataDir;
use crate::deals::{self, Change, Deal, DealInput, ReasonEntry};
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
