//! Closed deals and their coded reasons: one primary reason, ranked secondary reasons,
//! each with an optional note (what the buyer said). Validation speaks the rep's
//! language; every change to a recorded deal is kept in `deal_audit`.

mod columns;
pub mod import;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, FieldChange, Tables};
use crate::reasons::{self, Kind};
use crate::{Result, UserError};

/// The stages a deal can be lost at, unless `config.toml` names others.
pub const DEFAULT_STAGES: [&str; 6] = [
    "prospecting",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "closing",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct ReasonEntry {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub note: Option<String>,
}

impl ReasonEntry {
    /// `CODE` or `CODE: the buyer's words`, as a rep types a reason.
    pub fn parse(raw: &str) -> ReasonEntry {
        match raw.split_once(':') {
            Some((code, note)) => ReasonEntry {
                code: code.trim().to_owned(),
                note: Some(note.trim().to_owned()).filter(|n| !n.is_empty()),
            },
            None => ReasonEntry {
                code: raw.trim().to_owned(),
                note: None,
            },
        }
    }
}

/// How a deal closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(test, ts(export))]
pub enum Outcome {
    // In the order of their names, which is the order report rows have always had.
    Lost,
    NoDecision,
    Won,
}

impl Outcome {
    /// An outcome as people and CRMs write it: `won`, `Closed Won`, `no_decision`...
    pub fn parse(text: &str) -> Option<Outcome> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "won" | "win" | "closed-won" => Some(Outcome::Won),
            "lost" | "loss" | "closed-lost" => Some(Outcome::Lost),
            "no-decision" | "nodecision" | "no-deal" => Some(Outcome::NoDecision),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Won => "won",
            Outcome::Lost => "lost",
            Outcome::NoDecision => "no-decision",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A deal as a rep, a form or an import gives it, before validation: every field as
/// typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export, optional_fields = nullable))]
pub struct DealInput {
    pub deal_id: String,
    pub name: Option<String>,
    pub account: Option<String>,
    /// Blank: the rep who records it.
    #[serde(default)]
    pub rep: String,
    /// `won`, `lost` or `no-decision` (and the CRMs' spellings of them).
    pub outcome: String,
    /// YYYY-MM-DD.
    pub close_date: String,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub competitor: Option<String>,
    pub stage: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<String>,
    /// The primary reason first, then the secondary reasons in rank order.
    #[serde(default)]
    pub reasons: Vec<ReasonEntry>,
}

/// A recorded deal: validated, in canonical form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Deal {
    pub deal_id: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub rep: String,
    pub outcome: Outcome,
    pub close_date: NaiveDate,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub competitor: Option<String>,
    pub stage: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<String>,
    /// The primary reason first, then the secondary reasons in rank order.
    pub reasons: Vec<ReasonEntry>,
}

impl Deal {
    /// The deal as a form would give it again, to apply an edit over.
    pub fn to_input(&self) -> DealInput {
        DealInput {
            deal_id: self.deal_id.clone(),
            name: self.name.clone(),
            account: self.account.clone(),
            rep: self.rep.clone(),
            outcome: self.outcome.as_str().to_owned(),
            close_date: self.close_date.to_string(),
            amount: self.amount,
            currency: self.currency.clone(),
            competitor: self.competitor.clone(),
            stage: self.stage.clone(),
            industry: self.industry.clone(),
            size: self.size.clone(),
            region: self.region.clone(),
            reasons: self.reasons.clone(),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> crate::Error {
    UserError::InvalidValue {
        field: field.into(),
        message: message.into(),
    }
    .into()
}

/// Checks a deal and puts it in canonical form (codes for labels, lower-case outcome).
///
/// # Errors
/// [`UserError::InvalidValue`], with a message a rep can act on.
pub(crate) fn validate(
    db: Tables<'_>,
    mut deal: DealInput,
    stages: &[String],
    today: NaiveDate,
) -> Result<Deal> {
    // Codes a recorded deal already has stay valid when it is edited, even if retired
    // since: history is kept, not rewritten.
    let kept: Vec<String> = db
        .deal(deal.deal_id.trim())?
        .map(|d| d.reasons.into_iter().map(|r| r.code).collect())
        .unwrap_or_default();
    deal.deal_id = deal.deal_id.trim().to_owned();
    if deal.deal_id.is_empty() {
        return Err(invalid(
            "deal_id",
            "a deal needs an id (the CRM's id where there is one)",
        ));
    }
    if deal.rep.trim().is_empty() {
        return Err(invalid(
            "rep",
            "a deal needs a rep (name yourself in the settings, or give the deal's rep)",
        ));
    }
    let outcome = Outcome::parse(&deal.outcome).ok_or_else(|| {
        invalid(
            "outcome",
            format!(
                "{:?} is not won, lost or no-decision",
                deal.outcome.trim().to_ascii_lowercase()
            ),
        )
    })?;
    let close_date =
        NaiveDate::parse_from_str(deal.close_date.trim(), "%Y-%m-%d").map_err(|_| {
            invalid(
                "close_date",
                format!("{:?} is not a date like 2026-03-31", deal.close_date),
            )
        })?;
    if close_date > today {
        return Err(invalid(
            "close_date",
            format!("close date {close_date} is in the future; record deals once they have closed"),
        ));
    }
    if let Some(stage) = &deal.stage {
        let s = stage.trim().to_ascii_lowercase();
        if !stages.contains(&s) {
            return Err(invalid(
                "stage",
                format!("unknown stage {stage:?} (stages: {})", stages.join(", ")),
            ));
        }
        deal.stage = Some(s);
    }
    if let Some(c) = &deal.currency {
        deal.currency = Some(c.trim().to_ascii_uppercase());
    }
    if deal.reasons.is_empty() {
        return Err(invalid(
            "primary_reason",
            "a closed deal needs a primary reason",
        ));
    }
    let mut seen = Vec::new();
    for (rank, entry) in deal.reasons.iter_mut().enumerate() {
        let reason = match kept
            .iter()
            .find(|k| k.eq_ignore_ascii_case(entry.code.trim()))
        {
            Some(code) => db
                .reason(code)?
                .ok_or_else(|| invalid("reason", format!("unknown reason code {code:?}")))?,
            None => reasons::resolve_for_new_deal(db, &entry.code)?,
        };
        if rank == 0 {
            let wrong = match (outcome, reason.kind) {
                (Outcome::Won, Kind::Objection) => {
                    Some("a won deal's primary reason must be a buy reason")
                }
                (Outcome::Lost | Outcome::NoDecision, Kind::Buy) => {
                    Some("the primary reason of a lost or no-decision deal must be an objection")
                }
                _ => None,
            };
            if let Some(msg) = wrong {
                return Err(invalid(
                    "primary_reason",
                    format!(
                        "{msg}; {} ({}) is {}",
                        reason.code,
                        reason.label,
                        match reason.kind {
                            crate::reasons::Kind::Buy => "a buy reason",
                            crate::reasons::Kind::Objection => "an objection",
                            crate::reasons::Kind::Any => "a reason for any outcome",
                        }
                    ),
                ));
            }
        }
        if seen.contains(&reason.code) {
            return Err(invalid(
                "reasons",
                format!("{} is given twice", reason.code),
            ));
        }
        seen.push(reason.code.clone());
        entry.code = reason.code;
        entry.note = entry
            .note
            .take()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
    }
    for field in [
        &mut deal.name,
        &mut deal.account,
        &mut deal.competitor,
        &mut deal.industry,
        &mut deal.size,
        &mut deal.region,
    ] {
        *field = field
            .take()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
    }
    Ok(Deal {
        deal_id: deal.deal_id,
        name: deal.name,
        account: deal.account,
        rep: deal.rep.trim().to_owned(),
        outcome,
        close_date,
        amount: deal.amount,
        currency: deal.currency,
        competitor: deal.competitor,
        stage: deal.stage,
        industry: deal.industry,
        size: deal.size,
        region: deal.region,
        reasons: deal.reasons,
    })
}

/// What recording a deal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, ts(export))]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

/// Records a validated deal. A new id is created; the same data again changes nothing.
/// With `allow_update`, different data updates the deal and its audit trail;
/// otherwise it is refused as a duplicate id.
pub(crate) fn record(
    db: Tables<'_>,
    deal: &Deal,
    by: &str,
    allow_update: bool,
    now: DateTime<Utc>,
) -> Result<Change> {
    let old = db.deal(&deal.deal_id)?;
    let now_s = now.to_rfc3339();
    match old {
        None => {
            db.create_deal(deal, by, &now_s)?;
            Ok(Change::Created)
        }
        Some(old) if old == *deal => Ok(Change::Unchanged),
        Some(old) => {
            let changes = diff(&old, deal);
            if !allow_update {
                return Err(invalid(
                    "deal_id",
                    format!(
                        "deal {} already exists with different data ({}); edit deal {} to change it",
                        deal.deal_id,
                        changes
                            .iter()
                            .map(|(f, _, _)| *f)
                            .collect::<Vec<_>>()
                            .join(", "),
                        deal.deal_id
                    ),
                ));
            }
            db.update_deal(deal, by, changes, &now_s)?;
            Ok(Change::Updated)
        }
    }
}

fn diff(a: &Deal, b: &Deal) -> Vec<FieldChange> {
    let s = |v: &Option<String>| v.clone();
    let amount = |v: Option<f64>| v.map(|x| x.to_string());
    let reasons = |d: &Deal| {
        Some(
            d.reasons
                .iter()
                .map(|r| match &r.note {
                    Some(n) => format!("{} ({n})", r.code),
                    None => r.code.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    let fields: Vec<FieldChange> = vec![
        ("name", s(&a.name), s(&b.name)),
        ("account", s(&a.account), s(&b.account)),
        ("rep", Some(a.rep.clone()), Some(b.rep.clone())),
        (
            "outcome",
            Some(a.outcome.to_string()),
            Some(b.outcome.to_string()),
        ),
        (
            "close_date",
            Some(a.close_date.to_string()),
            Some(b.close_date.to_string()),
        ),
        ("amount", amount(a.amount), amount(b.amount)),
        ("currency", s(&a.currency), s(&b.currency)),
        ("competitor", s(&a.competitor), s(&b.competitor)),
        ("stage", s(&a.stage), s(&b.stage)),
        ("industry", s(&a.industry), s(&b.industry)),
        ("size", s(&a.size), s(&b.size)),
        ("region", s(&a.region), s(&b.region)),
        ("reasons", reasons(a), reasons(b)),
    ];
    fields.into_iter().filter(|(_, x, y)| x != y).collect()
}

/// Validates and records a deal given by a rep: `edit` allows changing a recorded deal
/// (with an audit entry per changed field); without it, an existing id with different
/// data is refused.
///
/// # Errors
/// [`UserError::InvalidValue`] for each validation rule, with the message for the rep.
pub fn save(
    catalog: &Catalog,
    deal: DealInput,
    by: &str,
    edit: bool,
    stages: &[String],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Change, Deal)> {
    // One transaction: the deal, its reasons and its audit entries land together or
    // not at all, and no other writer slips in between the check and the write.
    let tx = catalog.write()?;
    let deal = validate(tx.tables(), deal, stages, today)?;
    let change = record(tx.tables(), &deal, by, edit, now)?;
    tx.commit()?;
    Ok((change, deal))
}

/// A deal still open that Quiver knows: from a CRM export, or named in an open.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct KnownDeal {
    pub deal_id: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub rep: Option<String>,
    /// The CRM's stage, for one it exported.
    pub stage: Option<String>,
    /// When it was last imported or opened for (RFC 3339).
    pub last_seen: String,
}

/// Open deals matching `text` in their id, name or account, most recently seen first:
/// what a rep may be preparing for. Deals recorded closed are not among them.
///
/// # Errors
/// Catalog errors.
pub fn known(catalog: &Catalog, text: &str, limit: usize) -> Result<Vec<KnownDeal>> {
    catalog
        .tables()
        .known_deals(&text.trim().to_lowercase(), limit)
}

/// Whether a deal is recorded closed.
///
/// # Errors
/// Catalog errors.
pub fn is_closed(catalog: &Catalog, deal_id: &str) -> Result<bool> {
    catalog.tables().deal_closed(deal_id)
}

/// A recorded deal, or `None`.
pub fn get(catalog: &Catalog, id: &str) -> Result<Option<Deal>> {
    catalog.tables().deal(id)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct AuditEntry {
    pub at: String,
    pub rep: String,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

pub fn audit_trail(catalog: &Catalog, id: &str) -> Result<Vec<AuditEntry>> {
    catalog.tables().deal_audit(id)
}

/// Recorded deals, newest close first.
pub fn list(catalog: &Catalog) -> Result<Vec<Deal>> {
    let ids = catalog.tables().deal_ids()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(get(catalog, &id)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn catalog() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite3")).unwrap();
        reasons::seed(&catalog, Utc::now()).unwrap();
        (dir, catalog)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    fn lost() -> DealInput {
        DealInput {
            deal_id: "OPP-1".into(),
            rep: "Dana".into(),
            outcome: "lost".into(),
            close_date: "2026-11-30".into(),
            stage: Some("proposal".into()),
            reasons: vec![ReasonEntry::parse("PRICE.TOO_HIGH: over budget")],
            ..DealInput::default()
        }
    }

    fn stages() -> Vec<String> {
        DEFAULT_STAGES.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Each rule refuses a deal naming the field the rep must fix.
    #[rstest]
    #[case::no_id(DealInput { deal_id: " ".into(), ..lost() }, "deal_id")]
    #[case::no_rep(DealInput { rep: "".into(), ..lost() }, "rep")]
    #[case::unknown_outcome(DealInput { outcome: "postponed".into(), ..lost() }, "outcome")]
    #[case::not_a_date(DealInput { close_date: "30/11/2026".into(), ..lost() }, "close_date")]
    #[case::future(DealInput { close_date: "2026-12-06".into(), ..lost() }, "close_date")]
    #[case::unknown_stage(DealInput { stage: Some("pilot".into()), ..lost() }, "stage")]
    #[case::no_reason(DealInput { reasons: vec![], ..lost() }, "primary_reason")]
    #[case::unknown_reason(
        DealInput { reasons: vec![ReasonEntry::parse("PRICE.TOO_LOW")], ..lost() },
        "reason"
    )]
    #[case::won_with_objection(DealInput { outcome: "won".into(), ..lost() }, "primary_reason")]
    #[case::lost_with_buy_reason(
        DealInput { reasons: vec![ReasonEntry::parse("VALUE.ROI_CLEAR")], ..lost() },
        "primary_reason"
    )]
    #[case::reason_twice(
        DealInput {
            reasons: vec![ReasonEntry::parse("PRICE.TOO_HIGH"), ReasonEntry::parse("price too high")],
            ..lost()
        },
        "reasons"
    )]
    fn a_rule_refuses_a_deal_naming_its_field(#[case] deal: DealInput, #[case] field: &str) {
        let (_dir, catalog) = catalog();
        let err = validate(catalog.tables(), deal, &stages(), today()).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
        assert_eq!(err.code(), "user.invalid_value");
    }

    /// What a rep or a CRM writes is put in canonical form.
    #[rstest]
    #[case::closed_won("Closed Won", "VALUE.ROI_CLEAR", Outcome::Won)]
    #[case::no_decision_underscore("no_decision", "PRICE.TOO_HIGH", Outcome::NoDecision)]
    #[case::label_for_code("LOST", "price too high", Outcome::Lost)]
    fn spellings_become_canonical(
        #[case] outcome: &str,
        #[case] reason: &str,
        #[case] expected: Outcome,
    ) {
        let (_dir, catalog) = catalog();
        let deal = DealInput {
            outcome: outcome.into(),
            close_date: " 2026-11-30 ".into(),
            stage: Some(" Proposal ".into()),
            currency: Some("usd".into()),
            competitor: Some("  ".into()),
            reasons: vec![ReasonEntry::parse(reason)],
            ..lost()
        };
        let deal = validate(catalog.tables(), deal, &stages(), today()).unwrap();
        assert_eq!(deal.outcome, expected);
        assert_eq!(
            deal.close_date,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(deal.stage.as_deref(), Some("proposal"));
        assert_eq!(deal.currency.as_deref(), Some("USD"));
        assert_eq!(deal.competitor, None, "a blank field is no value");
        assert!(
            !deal.reasons[0].code.contains(' '),
            "a label becomes its code"
        );
    }

    #[test]
    fn a_deal_saves_whole_or_not_at_all_and_edits_keep_history() {
        let (_dir, catalog) = catalog();
        let now = Utc::now();
        let (change, deal) =
            save(&catalog, lost(), "Dana", false, &stages(), today(), now).unwrap();
        assert_eq!(change, Change::Created);
        // The same data again changes nothing; different data is refused without edit.
        let again = save(&catalog, lost(), "Dana", false, &stages(), today(), now).unwrap();
        assert_eq!(again.0, Change::Unchanged);
        let moved = DealInput {
            stage: Some("demo".into()),
            ..deal.to_input()
        };
        let refused = save(
            &catalog,
            moved.clone(),
            "Dana",
            false,
            &stages(),
            today(),
            now,
        );
        assert_eq!(refused.unwrap_err().field(), Some("deal_id"));
        let (change, _) = save(&catalog, moved, "Lee", true, &stages(), today(), now).unwrap();
        assert_eq!(change, Change::Updated);
        let trail = audit_trail(&catalog, "OPP-1").unwrap();
        assert_eq!(
            trail
                .iter()
                .map(|a| (a.field.as_str(), a.rep.as_str()))
                .collect::<Vec<_>>(),
            [("created", "Dana"), ("stage", "Lee")]
        );
    }

    proptest::proptest! {
        /// Every outcome reads back from its own name and from a CRM's spelling of it.
        #[test]
        fn outcomes_round_trip(i in 0usize..3, upper: bool, closed: bool) {
            let o = [Outcome::Won, Outcome::Lost, Outcome::NoDecision][i];
            let mut text = o.as_str().to_owned();
            if closed && o != Outcome::NoDecision {
                text = format!("Closed {text}");
            }
            if upper {
                text = text.to_uppercase();
            }
            proptest::prop_assert_eq!(Outcome::parse(&text), Some(o));
            let json = serde_json::to_string(&o).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), o);
        }
    }
}
