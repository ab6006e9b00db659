//! Content influence: which assets were used in deals that were won more often than
//! deals that did not use them, with the rule that ties an asset to a deal.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};

use super::data::OpenDays;
use super::usage::{day_number, describe};
use super::{InfluenceRule, Options, Report, ReportData, ReportName, Table, round};
use crate::Result;
use crate::deals::Outcome;

struct DealRow {
    id: String,
    rep: String,
    outcome: Outcome,
    close: i64,
}

/// One rep's use of one asset: from an open to `n` days after the last open that
/// follows within `n` days. A deal of the rep that closes inside it used the asset.
struct UseWindow {
    rep: u32,
    asset: u32,
    start: i64,
    end: i64,
}

struct UseWindows {
    /// Rep names by rep number.
    reps: Vec<Option<String>>,
    windows: Vec<UseWindow>,
}

/// Reads the open days in `[from, to]` from the rollup keyed by numbers (a range of
/// its primary key) and merges each rep's days with each asset into use windows.
/// Rows come in day order, so each (rep, asset)'s days arrive sorted and fold as they
/// stream past.
fn use_windows(days: &dyn OpenDays, from: i64, to: i64, n: i64) -> Result<UseWindows> {
    let reps = days.rep_names()?;
    let mut open: FxHashMap<u64, (i64, i64)> = FxHashMap::default();
    let mut windows = Vec::new();
    days.each_open_day(from, to, &mut |d| {
        let (rep, asset, day) = (d.rep, d.asset, d.day);
        let key = ((rep as u64) << 32) | asset as u64;
        match open.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let w = e.get_mut();
                if day <= w.1 + 1 {
                    w.1 = w.1.max(day + n);
                } else {
                    windows.push(UseWindow {
                        rep: rep as u32,
                        asset: asset as u32,
                        start: w.0,
                        end: w.1,
                    });
                    *w = (day, day + n);
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((day, day + n));
            }
        }
    })?;
    windows.extend(open.into_iter().map(|(key, (start, end))| UseWindow {
        rep: (key >> 32) as u32,
        asset: key as u32,
        start,
        end,
    }));
    Ok(UseWindows { reps, windows })
}

pub fn influence(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Influence, opts);
    let (from, to) = (opts.window_start(), opts.window_end());
    let n_days = opts.influence_days;
    let deals: Vec<DealRow> = data
        .deals(&from, &to)?
        .into_iter()
        .map(|d| DealRow {
            close: i64::from(d.close_date.num_days_from_ce()),
            id: d.id,
            rep: d.rep,
            outcome: d.outcome,
        })
        .collect();
    let total = deals.len();
    let total_won = deals.iter().filter(|d| d.outcome == Outcome::Won).count();
    report.summary.insert("deals".into(), json!(total));
    report.summary.insert("won".into(), json!(total_won));
    let rule = match opts.influence_rule {
        InfluenceRule::Deal => "opened for the deal".to_owned(),
        InfluenceRule::RepWindow => {
            format!(
                "opened by the deal's rep, not for another deal, in the {n_days} days up to the close date"
            )
        }
        InfluenceRule::Both => format!(
            "opened for the deal, or, for a deal with no opens tied to it, opened by the deal's rep, not for any deal, in the {n_days} days up to the close date"
        ),
    };
    report.summary.insert("rule".into(), json!(rule));
    report
        .summary
        .insert("min_support".into(), json!(opts.min_support));
    report.notes.push(format!(
        "An asset is used in a deal when it was {rule}; an open tied to a deal counts for that deal only. Win rates compare deals that used it with deals that did not; lift is the difference between them, with its 95% interval (Newcombe's method). A lift is claimed only when that interval excludes 0; below {} deals on either side no win rate is shown.",
        opts.min_support
    ));
    if total == 0 {
        report.notes.push(
            "No closed deals in this window yet: record some, or import them from the CRM.".into(),
        );
    }

    // Per asset: used in how many won, lost and no-decision deals. A deal with opens
    // tied to it is counted from those only, any other deal from its rep's opens; deals
    // belong to one rep, so the two parts never count a deal twice.
    let slot = |outcome: Outcome| match outcome {
        Outcome::Won => 0,
        Outcome::Lost => 1,
        Outcome::NoDecision => 2,
    };
    let mut counts: HashMap<String, [usize; 3]> = HashMap::new();
    let mut linked_deals: HashSet<usize> = HashSet::new();
    let earliest = opts.from.map_or(i64::MIN, |f| {
        day_number(&(f - Duration::days(n_days)).to_string())
    });
    // The reps' use windows are read on a second connection, on the other core, while
    // this one joins the window's deals to their linked opens: the two reads are most
    // of the report's time, and neither needs the other.
    let reader = (opts.influence_rule != InfluenceRule::Deal && total > 0)
        .then(|| data.open_days())
        .transpose()?;
    let windows = std::thread::scope(|scope| -> Result<Option<UseWindows>> {
        let (to_day, n) = (day_number(&to), n_days);
        let windows = reader.map(|r| scope.spawn(move || use_windows(&*r, earliest, to_day, n)));
        if opts.influence_rule != InfluenceRule::RepWindow && total > 0 {
            let index: FxHashMap<&str, usize> = deals
                .iter()
                .enumerate()
                .map(|(i, d)| (d.id.as_str(), i))
                .collect();
            // A deal's opens come ordered by asset, so repeats are neighbours.
            let mut last: (String, String) = Default::default();
            data.each_deal_open(&from, &to, &mut |deal, asset| {
                if last.0 == deal && last.1 == asset {
                    return;
                }
                last = (deal.to_owned(), asset.to_owned());
                if let Some(&i) = index.get(deal) {
                    let s = slot(deals[i].outcome);
                    match counts.get_mut(asset) {
                        Some(c) => c[s] += 1,
                        None => counts.entry(asset.to_owned()).or_default()[s] += 1,
                    }
                    linked_deals.insert(i);
                }
            })?;
        }
        windows
            .map(|h| h.join().expect("the use-window reader does not panic"))
            .transpose()
    })?;
    if let Some(UseWindows { reps, windows }) = windows {
        // Each rep's deals without linked opens, by close day, with running counts per
        // outcome: the deals closing in an interval are a difference of two prefixes.
        struct RepDeals {
            closes: Vec<i64>,
            prefix: Vec<[usize; 3]>,
        }
        let mut by_rep: HashMap<&str, Vec<(i64, usize)>> = HashMap::new();
        for (i, d) in deals.iter().enumerate() {
            if !linked_deals.contains(&i) {
                by_rep
                    .entry(d.rep.as_str())
                    .or_default()
                    .push((d.close, slot(d.outcome)));
            }
        }
        let by_rep: HashMap<&str, RepDeals> = by_rep
            .into_iter()
            .map(|(rep, mut list)| {
                list.sort_unstable();
                let mut prefix = vec![[0usize; 3]];
                for (_, s) in &list {
                    let mut next = *prefix.last().expect("starts non-empty");
                    next[*s] += 1;
                    prefix.push(next);
                }
                (
                    rep,
                    RepDeals {
                        closes: list.iter().map(|d| d.0).collect(),
                        prefix,
                    },
                )
            })
            .collect();
        // None: no such rep number, or every deal of the rep has opens tied to it.
        let reps: Vec<Option<&RepDeals>> = reps
            .iter()
            .map(|name| name.as_deref().and_then(|n| by_rep.get(n)))
            .collect();
        let mut by_asset: FxHashMap<u32, [usize; 3]> = FxHashMap::default();
        for w in windows {
            let Some(deals_of) = reps.get(w.rep as usize).copied().flatten() else {
                continue;
            };
            let lo = deals_of.closes.partition_point(|c| *c < w.start);
            let hi = deals_of.closes.partition_point(|c| *c <= w.end);
            let (upto, before) = (deals_of.prefix[hi], deals_of.prefix[lo]);
            for (slot, (u, b)) in by_asset
                .entry(w.asset)
                .or_default()
                .iter_mut()
                .zip(upto.iter().zip(before))
            {
                *slot += u - b;
            }
        }
        for (asset, c) in by_asset {
            if c != [0; 3] {
                let id = data.asset_of_number(i64::from(asset))?;
                let e = counts.entry(id).or_default();
                for (slot, n) in e.iter_mut().zip(c) {
                    *slot += n;
                }
            }
        }
    }
    let mut rows: Vec<(String, usize, usize, usize)> = counts
        .into_iter()
        .map(|(asset, c)| (asset, c[0], c[1], c[2]))
        .collect();
    rows.sort_by(|a, b| {
        (b.1 + b.2 + b.3)
            .cmp(&(a.1 + a.2 + a.3))
            .then(a.0.cmp(&b.0))
    });
    let mut t = Table::new(
        "assets",
        &[
            "asset_id",
            "path",
            "title",
            "won",
            "lost",
            "no_decision",
            "deals_used",
            "deals_not_used",
            "win_rate_used",
            "win_rate_not_used",
            "lift",
            "lift_ci_low",
            "lift_ci_high",
            "claimed",
        ],
    );
    // Rank every asset, then describe only the rows shown. A lift is claimed only when
    // its 95% interval (Newcombe's hybrid score) excludes 0, and with enough deals on
    // each side to show win rates at all.
    struct Ranked {
        supported: bool,
        claimed: bool,
        lift: f64,
        ci: (f64, f64),
        asset: String,
        won: usize,
        lost: usize,
        nd: usize,
        used_n: usize,
        unused_n: usize,
    }
    let mut ranked = Vec::new();
    for (asset, won, lost, nd) in rows {
        let used_n = won + lost + nd;
        let unused_n = total - used_n;
        let supported = used_n >= opts.min_support && unused_n >= opts.min_support;
        let rate_used = won as f64 / used_n as f64;
        let rate_unused = if unused_n == 0 {
            0.0
        } else {
            (total_won - won) as f64 / unused_n as f64
        };
        let ci = super::newcombe(won, used_n, total_won - won, unused_n);
        let claimed = supported && (ci.0 > 0.0 || ci.1 < 0.0);
        ranked.push(Ranked {
            supported,
            claimed,
            lift: if supported {
                rate_used - rate_unused
            } else {
                f64::MIN
            },
            ci,
            asset,
            won,
            lost,
            nd,
            used_n,
            unused_n,
        });
    }
    ranked.sort_by(|a, b| {
        b.claimed
            .cmp(&a.claimed)
            .then(b.supported.cmp(&a.supported))
            .then(b.lift.total_cmp(&a.lift))
            .then(b.used_n.cmp(&a.used_n))
            .then(a.asset.cmp(&b.asset))
    });
    report
        .summary
        .insert("assets_used".into(), json!(ranked.len()));
    report.summary.insert(
        "claimed".into(),
        json!(ranked.iter().filter(|r| r.claimed).count()),
    );
    for r in ranked.into_iter().take(opts.limit) {
        let (path, title) = describe(data, &r.asset)?;
        let shown = |x: f64| {
            if r.supported {
                json!(round(x))
            } else {
                Value::Null
            }
        };
        let rate_used = r.won as f64 / r.used_n as f64;
        let rate_unused = if r.unused_n == 0 {
            0.0
        } else {
            (total_won - r.won) as f64 / r.unused_n as f64
        };
        t.push(vec![
            json!(r.asset),
            json!(path),
            json!(title),
            json!(r.won),
            json!(r.lost),
            json!(r.nd),
            json!(r.used_n),
            json!(r.unused_n),
            shown(rate_used),
            shown(rate_unused),
            shown(r.lift),
            shown(r.ci.0),
            shown(r.ci.1),
            json!(r.claimed),
        ]);
    }
    report.tables.push(t);
    Ok(report)
}
