//! Deal reports: reasons by outcome and segment, where deals are lost in the funnel, and
//! how completely each rep codes reasons. Merged codes count under their new code.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::{
    Options, Report, ReportData, ReportName, Table, canonical_codes, round, segment_of, share,
};
use crate::Result;
use crate::deals::Outcome;

/// The outcome group of lost and no-decision deals together.
const NOT_WON: &str = "not-won";

/// One coded reason of a deal in the window.
struct Coded {
    deal: String,
    outcome: Outcome,
    segment: String,
    stage: String,
    competitor: String,
    rank: i64,
    code: String,
    note: bool,
    rep: String,
}

fn coded(data: &dyn ReportData, opts: &Options) -> Result<Vec<Coded>> {
    let canon = canonical_codes(data)?;
    let none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
    Ok(super::deal_reasons(data, opts)?
        .into_iter()
        .map(|r| Coded {
            segment: segment_of(opts.by, &r),
            stage: none(&r.stage),
            competitor: none(&r.competitor),
            code: canon.get(&r.code).cloned().unwrap_or(r.code),
            deal: r.deal_id,
            outcome: r.outcome,
            rank: r.rank,
            note: r.noted,
            rep: r.rep,
        })
        .collect())
}

struct Info {
    label: String,
    kind: String,
    category: String,
    low_quality: bool,
}

fn reason_info(data: &dyn ReportData) -> Result<HashMap<String, Info>> {
    Ok(data
        .reasons()?
        .into_iter()
        .map(|r| {
            (
                r.code,
                Info {
                    label: r.label,
                    kind: r.kind.as_str().to_owned(),
                    category: r.category,
                    low_quality: r.low_quality,
                },
            )
        })
        .collect())
}

fn no_deals(report: &mut Report) {
    report.notes.push(
        "No closed deals in this window yet: record some, or import them from the CRM.".into(),
    );
}

pub fn reasons(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Reasons, opts);
    let info = reason_info(data)?;
    let rows = coded(data, opts)?;
    // Deals per (outcome group, segment): the denominators. A lost or no-decision
    // deal counts in its own group and in "not-won", their union.
    let mut groups: BTreeMap<(&'static str, String), std::collections::HashSet<&str>> =
        BTreeMap::new();
    let mut primary: BTreeMap<(&'static str, String, String), usize> = BTreeMap::new();
    let mut mentions: BTreeMap<(&'static str, String, String), std::collections::HashSet<&str>> =
        BTreeMap::new();
    let mut categories: BTreeMap<(&'static str, String, String), std::collections::HashSet<&str>> =
        BTreeMap::new();
    for r in &rows {
        let outcome_groups: &[&'static str] = match r.outcome {
            Outcome::Won => &["won"],
            Outcome::Lost => &["lost", NOT_WON],
            Outcome::NoDecision => &["no-decision", NOT_WON],
        };
        for &group in outcome_groups {
            let g = (group, r.segment.clone());
            groups.entry(g.clone()).or_default().insert(&r.deal);
            let key = (g.0, g.1.clone(), r.code.clone());
            if r.rank == 0 {
                *primary.entry(key.clone()).or_default() += 1;
                let cat = info
                    .get(&r.code)
                    .map_or_else(|| "(unknown)".to_owned(), |i| i.category.clone());
                categories
                    .entry((g.0, g.1, cat))
                    .or_default()
                    .insert(&r.deal);
            }
            mentions.entry(key).or_default().insert(&r.deal);
        }
    }
    let order = |g: &str| {
        ["won", "lost", "no-decision", NOT_WON]
            .iter()
            .position(|x| *x == g)
    };
    let deals: usize = groups
        .iter()
        .filter(|(g, _)| g.0 != NOT_WON)
        .map(|(_, s)| s.len())
        .sum();
    report.summary.insert("deals".into(), json!(deals));
    report
        .summary
        .insert("small_sample_below".into(), json!(opts.small_sample));
    report.notes.push(format!(
        "share = deals with this primary reason / deals in the group (outcome{}); not-won is lost and no-decision deals together. mention_share counts primary and secondary reasons. Intervals are 95% Wilson; groups under {} deals are flagged small_sample.",
        opts.by.map(|b| format!(" and {}", b.name())).unwrap_or_default(),
        opts.small_sample
    ));
    if deals == 0 {
        no_deals(&mut report);
    }
    let mut t = Table::new(
        "codes",
        &[
            "outcome",
            "segment",
            "code",
            "label",
            "kind",
            "category",
            "primary",
            "deals",
            "share",
            "ci_low",
            "ci_high",
            "small_sample",
            "mentions",
            "mention_share",
        ],
    );
    let mut code_rows: Vec<_> = mentions.iter().collect();
    code_rows.sort_by(|a, b| {
        (order(a.0.0), &a.0.1)
            .cmp(&(order(b.0.0), &b.0.1))
            .then(
                primary
                    .get(b.0)
                    .unwrap_or(&0)
                    .cmp(primary.get(a.0).unwrap_or(&0)),
            )
            .then(b.1.len().cmp(&a.1.len()))
            .then(a.0.2.cmp(&b.0.2))
    });
    for ((outcome, segment, code), deals_mentioning) in code_rows {
        let n = groups[&(*outcome, segment.clone())].len();
        let p = primary
            .get(&(*outcome, segment.clone(), code.clone()))
            .copied()
            .unwrap_or(0);
        let i = info.get(code);
        let mut v = vec![
            json!(outcome),
            json!(segment),
            json!(code),
            json!(i.map(|i| i.label.clone())),
            json!(i.map(|i| i.kind.clone())),
            json!(i.map(|i| i.category.clone())),
        ];
        v.extend(share(p, n, opts.small_sample));
        v.push(json!(deals_mentioning.len()));
        v.push(json!(round(deals_mentioning.len() as f64 / n as f64)));
        t.push(v);
    }
    report.tables.push(t);
    let mut t = Table::new(
        "categories",
        &[
            "outcome",
            "segment",
            "category",
            "primary",
            "deals",
            "share",
            "ci_low",
            "ci_high",
            "small_sample",
        ],
    );
    for ((outcome, segment, category), set) in &categories {
        let n = groups[&(*outcome, segment.clone())].len();
        let mut v = vec![json!(outcome), json!(segment), json!(category)];
        v.extend(share(set.len(), n, opts.small_sample));
        t.push(v);
    }
    report.tables.push(t);
    Ok(report)
}

pub fn stages(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Stages, opts);
    let rows: Vec<Coded> = coded(data, opts)?
        .into_iter()
        .filter(|r| r.outcome != Outcome::Won && r.rank == 0)
        .collect();
    let n = rows.len();
    report
        .summary
        .insert("lost_or_no_decision".into(), json!(n));
    if n == 0 {
        no_deals(&mut report);
    }
    let mut by_stage: BTreeMap<&str, Vec<&Coded>> = BTreeMap::new();
    for r in &rows {
        by_stage.entry(&r.stage).or_default().push(r);
    }
    let mut t = Table::new(
        "stages",
        &[
            "stage",
            "lost",
            "no_decision",
            "deals",
            "denominator",
            "share",
            "ci_low",
            "ci_high",
            "small_sample",
            "top_reasons",
        ],
    );
    let order = |s: &str| funnel_order(opts, s);
    let mut stages: Vec<_> = by_stage.into_iter().collect();
    stages.sort_by_key(|(s, _)| order(s));
    for (stage, list) in stages {
        let lost = list.iter().filter(|r| r.outcome == Outcome::Lost).count();
        let top = top_codes(list.iter().map(|r| r.code.as_str()));
        let mut v = vec![json!(stage), json!(lost), json!(list.len() - lost)];
        v.extend(share(list.len(), n, opts.small_sample));
        v.push(json!(top));
        t.push(v);
    }
    report.tables.push(t);
    // Which competitor wins where.
    let mut by_comp: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut comp_totals: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.outcome == Outcome::Lost) {
        *by_comp.entry((&r.competitor, &r.stage)).or_default() += 1;
        *comp_totals.entry(&r.competitor).or_default() += 1;
    }
    let mut t = Table::new(
        "competitors",
        &[
            "competitor",
            "stage",
            "lost",
            "competitor_losses",
            "share",
            "ci_low",
            "ci_high",
            "small_sample",
        ],
    );
    for ((comp, stage), k) in by_comp {
        let mut v = vec![json!(comp), json!(stage)];
        v.extend(share(k, comp_totals[comp], opts.small_sample));
        t.push(v);
    }
    report.tables.push(t);
    funnel(data, opts, &rows, &mut report)?;
    Ok(report)
}

/// The funnel: per configured stage, the deals that reached it (a won deal passed every
/// stage; a lost or no-decision deal reached the stage it was lost at and every earlier
/// one), those lost there, the loss rate, the amount lost, the top primary reasons, and
/// the revenue won had the loss rate been `what_if_points` lower.
fn funnel(
    data: &dyn ReportData,
    opts: &Options,
    primary: &[Coded],
    report: &mut Report,
) -> Result<()> {
    let deals = data.deals(&opts.window_start(), &opts.window_end())?;
    let stage_of = |s: &Option<String>| {
        let s = s.as_deref()?.trim().to_lowercase();
        opts.stages.iter().position(|x| x.to_lowercase() == s)
    };
    let won: Vec<f64> = deals
        .iter()
        .filter(|d| d.outcome == Outcome::Won)
        .map(|d| d.amount.unwrap_or(0.0))
        .collect();
    let won_with_amount: Vec<f64> = deals
        .iter()
        .filter(|d| d.outcome == Outcome::Won)
        .filter_map(|d| d.amount)
        .collect();
    let won_revenue: f64 = won.iter().sum();
    let mean_won = if won_with_amount.is_empty() {
        0.0
    } else {
        won_with_amount.iter().sum::<f64>() / won_with_amount.len() as f64
    };
    // Not-won deals by the stage they ended at; those at no known stage stay out.
    let mut ended: Vec<Vec<&super::data::DealRow>> = vec![Vec::new(); opts.stages.len()];
    let mut unplaced = 0usize;
    for d in deals.iter().filter(|d| d.outcome != Outcome::Won) {
        match stage_of(&d.stage) {
            Some(i) => ended[i].push(d),
            None => unplaced += 1,
        }
    }
    let points = opts.what_if_points;
    report
        .summary
        .insert("won_revenue".into(), json!(round(won_revenue)));
    report
        .summary
        .insert("what_if_points".into(), json!(points));
    report
        .summary
        .insert("funnel_unplaced".into(), json!(unplaced));
    report.notes.push(format!(
        "funnel: a won deal passed every stage; a lost or no-decision deal reached the stage it was lost at and every earlier one ({unplaced} with no known stage are left out). loss_rate = lost_here / reached, with its 95% Wilson interval. what_if_revenue: had the stage's loss rate been {points} points lower, reached × {points}/100 more deals (at most those lost there) would have passed it, then won at the rate of the deals that passed it (won / (reached − lost_here)), at the mean won amount; what_if_gain is that revenue minus the revenue won."
    ));
    let mut t = Table::new(
        "funnel",
        &[
            "stage",
            "reached",
            "lost_here",
            "loss_rate",
            "ci_low",
            "ci_high",
            "small_sample",
            "amount_lost",
            "top_reasons",
            "what_if_revenue",
            "what_if_gain",
        ],
    );
    let mut reached = won.len() + ended.iter().map(Vec::len).sum::<usize>();
    for (i, stage) in opts.stages.iter().enumerate() {
        let lost_here = ended[i].len();
        let (lo, hi) = super::wilson(lost_here, reached);
        let rate = if reached == 0 {
            0.0
        } else {
            lost_here as f64 / reached as f64
        };
        let amount_lost: f64 = ended[i].iter().filter_map(|d| d.amount).sum();
        let ids: std::collections::HashSet<&str> = ended[i].iter().map(|d| d.id.as_str()).collect();
        let top = top_codes(
            primary
                .iter()
                .filter(|r| ids.contains(r.deal.as_str()))
                .map(|r| r.code.as_str()),
        );
        let passed = reached - lost_here;
        let win_after = if passed == 0 {
            0.0
        } else {
            won.len() as f64 / passed as f64
        };
        let extra = (reached as f64 * points / 100.0).min(lost_here as f64);
        let gain = extra * win_after * mean_won;
        t.push(vec![
            json!(stage),
            json!(reached),
            json!(lost_here),
            json!(round(rate)),
            json!(round(lo)),
            json!(round(hi)),
            json!(reached < opts.small_sample),
            json!(round(amount_lost)),
            json!(top),
            json!(round(won_revenue + gain)),
            json!(round(gain)),
        ]);
        reached = passed;
    }
    report.tables.push(t);
    Ok(())
}

/// Funnel order of a stage name (unknown stages last).
fn funnel_order(opts: &Options, stage: &str) -> (usize, String) {
    let pos = opts
        .stages
        .iter()
        .position(|s| s == stage)
        .unwrap_or(usize::MAX);
    (pos, stage.to_owned())
}

pub fn completeness(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Completeness, opts);
    let info = reason_info(data)?;
    let rows = coded(data, opts)?;
    /// What one deal's coding looks like.
    #[derive(Default)]
    struct DealCoding {
        coded_primary: bool,
        low_quality: bool,
        coded_reasons: usize,
        secondary: bool,
        note: bool,
    }
    let mut reps: BTreeMap<String, BTreeMap<String, DealCoding>> = BTreeMap::new();
    for r in &rows {
        let d = reps
            .entry(r.rep.clone())
            .or_default()
            .entry(r.deal.clone())
            .or_default();
        let low = info.get(&r.code).is_some_and(|i| i.low_quality);
        d.coded_reasons += usize::from(!low);
        d.note |= r.note;
        if r.rank == 0 {
            d.coded_primary = !low;
            d.low_quality = low;
        } else {
            d.secondary = true;
        }
    }
    report.notes.push("coded = a primary reason other than OTHER or UNKNOWN. A contest entry is a deal coded with a primary reason, at least one secondary reason and a note.".into());
    if reps.is_empty() {
        no_deals(&mut report);
    }
    let mut t = Table::new(
        "reps",
        &[
            "rep",
            "deals",
            "coded_primary",
            "coded_share",
            "mean_coded_reasons",
            "with_notes",
            "notes_share",
            "other_or_unknown",
            "other_or_unknown_share",
            "contest_entries",
        ],
    );
    let mut total = 0;
    for (name, deals) in &reps {
        let n = deals.len();
        total += n;
        let count = |f: &dyn Fn(&DealCoding) -> bool| deals.values().filter(|d| f(d)).count();
        let coded = count(&|d| d.coded_primary);
        let notes = count(&|d| d.note);
        let low = count(&|d| d.low_quality);
        let entries = count(&|d| d.coded_primary && d.secondary && d.note);
        let reasons: usize = deals.values().map(|d| d.coded_reasons).sum();
        let ratio = |k: usize| round(k as f64 / n as f64);
        t.push(vec![
            json!(name),
            json!(n),
            json!(coded),
            json!(ratio(coded)),
            json!(ratio(reasons)),
            json!(notes),
            json!(ratio(notes)),
            json!(low),
            json!(ratio(low)),
            json!(entries),
        ]);
    }
    report.summary.insert("reps".into(), json!(reps.len()));
    report.summary.insert("deals".into(), json!(total));
    report.tables.push(t);
    Ok(report)
}

/// The three codes given most often, as `{code, deals}`, ties by code.
fn top_codes<'a>(codes: impl Iterator<Item = &'a str>) -> Vec<serde_json::Value> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for code in codes {
        *counts.entry(code).or_default() += 1;
    }
    let mut top: Vec<_> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.iter()
        .take(3)
        .map(|(c, k)| json!({"code": c, "deals": k}))
        .collect()
}
