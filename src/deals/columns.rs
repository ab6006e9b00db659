//! The columns a deal CSV may have: Quiver's own, and the names Salesforce opportunity
//! reports and HubSpot deal exports give them, matched case-insensitively.

use crate::{Result, UserError};

/// The fields a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    DealId,
    Name,
    Account,
    Rep,
    Outcome,
    CloseDate,
    Amount,
    Currency,
    Competitor,
    Stage,
    Industry,
    Size,
    Region,
    PrimaryReason,
    SecondaryReasons,
    Notes,
    /// CRMs keep win and loss reasons in separate columns; the outcome picks one.
    WonReason,
    LostReason,
}

impl Field {
    pub fn parse(name: &str) -> Result<Field> {
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "deal_id" => Field::DealId,
            "name" => Field::Name,
            "account" => Field::Account,
            "rep" => Field::Rep,
            "outcome" => Field::Outcome,
            "close_date" => Field::CloseDate,
            "amount" => Field::Amount,
            "currency" => Field::Currency,
            "competitor" => Field::Competitor,
            "stage" => Field::Stage,
            "industry" => Field::Industry,
            "size" => Field::Size,
            "region" => Field::Region,
            "primary_reason" => Field::PrimaryReason,
            "secondary_reasons" => Field::SecondaryReasons,
            "notes" => Field::Notes,
            "won_reason" => Field::WonReason,
            "lost_reason" => Field::LostReason,
            other => {
                return Err(UserError::UnknownField(
                    other.to_owned(),
                    "deal_id, name, account, rep, outcome, close_date, amount, currency, competitor, stage, industry, size, region, primary_reason, secondary_reasons, notes, won_reason, lost_reason",
                )
                .into());
            }
        })
    }
}

/// Column names of Quiver's own format.
pub(super) const QUIVER: &[(&str, Field)] = &[
    ("deal_id", Field::DealId),
    ("name", Field::Name),
    ("account", Field::Account),
    ("rep", Field::Rep),
    ("outcome", Field::Outcome),
    ("close_date", Field::CloseDate),
    ("amount", Field::Amount),
    ("currency", Field::Currency),
    ("competitor", Field::Competitor),
    ("stage", Field::Stage),
    ("industry", Field::Industry),
    ("size", Field::Size),
    ("region", Field::Region),
    ("primary_reason", Field::PrimaryReason),
    ("secondary_reasons", Field::SecondaryReasons),
    ("notes", Field::Notes),
];

/// A Salesforce opportunity report: "Stage" there is the closed stage (the outcome).
pub(super) const SALESFORCE: &[(&str, Field)] = &[
    ("opportunity id", Field::DealId),
    ("opportunity name", Field::Name),
    ("account name", Field::Account),
    ("opportunity owner", Field::Rep),
    ("stage", Field::Outcome),
    ("close date", Field::CloseDate),
    ("amount", Field::Amount),
    ("amount currency", Field::Currency),
    ("opportunity currency", Field::Currency),
    ("currency", Field::Currency),
    ("competitor", Field::Competitor),
    ("main competitor", Field::Competitor),
    ("primary competitor", Field::Competitor),
    ("lost at stage", Field::Stage),
    ("stage lost", Field::Stage),
    ("industry", Field::Industry),
    ("employees", Field::Size),
    ("company size", Field::Size),
    ("region", Field::Region),
    ("sales region", Field::Region),
    ("win reason", Field::WonReason),
    ("loss reason", Field::LostReason),
    ("closed lost reason", Field::LostReason),
    ("secondary reasons", Field::SecondaryReasons),
    ("win/loss notes", Field::Notes),
    ("description", Field::Notes),
];

/// A HubSpot deal export.
pub(super) const HUBSPOT: &[(&str, Field)] = &[
    ("record id", Field::DealId),
    ("deal id", Field::DealId),
    ("deal name", Field::Name),
    ("associated company", Field::Account),
    ("associated company (primary)", Field::Account),
    ("company name", Field::Account),
    ("deal owner", Field::Rep),
    ("deal stage", Field::Outcome),
    ("close date", Field::CloseDate),
    ("amount", Field::Amount),
    ("currency", Field::Currency),
    ("deal currency code", Field::Currency),
    ("competitor", Field::Competitor),
    ("lost at stage", Field::Stage),
    ("industry", Field::Industry),
    ("company size", Field::Size),
    ("number of employees", Field::Size),
    ("region", Field::Region),
    ("closed won reason", Field::WonReason),
    ("closed lost reason", Field::LostReason),
    ("secondary reasons", Field::SecondaryReasons),
    ("deal description", Field::Notes),
    ("notes", Field::Notes),
];
