//! Usage reports: unused material, top and trending assets, and content influence on
//! won and lost deals. They read the `usage_daily` and `open_days` rollups, not raw
//! events.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};

use super::data::{OpenDays, UsageDay};
use super::{InfluenceRule, Options, Report, ReportData, ReportName, Table, round, share};
use crate::Result;
use crate::deals::Outcome;

struct AssetRow {
    id: String,
    title: String,
    format: String,
    product: Option<String>,
    owner: Option<String>,
    /// The earliest evidence that it existed, and which evidence that was.
    created: NaiveDate,
    dated_from: &'static str,
    expires_on: Option<String>,
    path: String,
    folder: String,
}

/// Days since the common era of a `YYYY-MM-DD` prefix (0001-01-01 is 1, as in the
/// `open_days` rollup), without chrono's format parser: reports call it per row.
fn day_number(s: &str) -> i64 {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        b.get(r).and_then(|d| {
            d.iter().try_fold(0u32, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        })
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d),
        _ => None,
    }
    .map_or(0, |d| i64::from(d.num_days_from_ce()))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&s[..s.len().min(10)], "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

/// The earliest evidence that an asset existed: its files' modification times, the
/// document's own created date, its first open, and its first index (always there).
/// A date before 1980 (a zeroed timestamp) or after today is no evidence.
fn existed_since(a: &super::data::PresentAsset, today: NaiveDate) -> (NaiveDate, &'static str) {
    let floor = NaiveDate::from_ymd_opt(1980, 1, 2).expect("a valid date");
    let parse = |s: &str| NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok();
    let file = a
        .file_modified_ns
        .map(|ns| chrono::DateTime::from_timestamp_nanos(ns).date_naive());
    let candidates = [
        (parse(&a.created_at), "first_indexed"),
        (file, "file_modified"),
        (a.doc_created.as_deref().and_then(parse), "document_created"),
        (a.first_opened.as_deref().and_then(parse), "first_opened"),
    ];
    candidates
        .into_iter()
        .filter_map(|(d, from)| d.filter(|d| *d >= floor && *d <= today).map(|d| (d, from)))
        .min_by_key(|(d, _)| *d)
        .unwrap_or((today, "first_indexed"))
}

/// Present assets with their main file and top folder.
fn present_assets(data: &dyn ReportData, today: NaiveDate) -> Result<Vec<AssetRow>> {
    Ok(data
        .present_assets()?
        .into_iter()
        .map(|a| {
            let (created, dated_from) = existed_since(&a, today);
            AssetRow {
                created,
                dated_from,
                folder: top_folder(&a.path, &a.root),
                id: a.id,
                title: a.title,
                format: a.format,
                product: a.product,
                owner: a.owner,
                expires_on: a.expires_on,
                path: a.path,
            }
        })
        .collect())
}

/// The first folder below the library folder, or `(top)` for files directly in it.
fn top_folder(path: &str, root: &str) -> String {
    Path::new(path)
        .strip_prefix(root)
        .ok()
        .and_then(|rel| {
            let mut parts = rel.components();
            let first = parts.next()?;
            parts
                .next()
                .map(|_| first.as_os_str().to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "(top)".to_owned())
}

/// Title and main path of one asset (also for missing ones).
fn describe(data: &dyn ReportData, id: &str) -> Result<(String, String)> {
    Ok(data
        .asset_card(id)?
        .map(|r| (r.path, r.title))
        .unwrap_or_default())
}

pub fn unused(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Unused, opts);
    let (from, to) = (opts.window_start(), opts.window_end());
    // (all-time opens, last day, opens in the window) per asset.
    let mut usage: HashMap<String, (i64, String, i64)> = HashMap::new();
    for u in data.asset_usage()? {
        usage.insert(u.asset_id, (u.opens, u.last_day, 0));
    }
    for (id, u) in usage.iter_mut() {
        u.2 = i64::from(data.opened_between(id, &from, &to)?);
    }
    let missing = data.missing_assets()?;
    let today = opts.today.to_string();
    let (mut expired, mut too_new) = (0, 0);
    let mut eligible = Vec::new();
    for a in present_assets(data, opts.today)? {
        if a.expires_on.as_deref().is_some_and(|d| d < today.as_str()) {
            expired += 1;
            continue;
        }
        let start = opts.from.map_or(a.created, |f| f.max(a.created));
        if (opts.to - start).num_days() < opts.grace_days {
            too_new += 1;
            continue;
        }
        eligible.push(a);
    }
    let n = eligible.len();
    let never: Vec<&AssetRow> = eligible
        .iter()
        .filter(|a| !usage.contains_key(&a.id))
        .collect();
    let idle: Vec<&AssetRow> = eligible
        .iter()
        .filter(|a| usage.get(&a.id).is_none_or(|u| u.2 == 0))
        .collect();
    let put = |report: &mut Report, key: &str, count: usize| {
        let v = share(count, n, 0);
        report.summary.insert(
            key.to_owned(),
            json!({"count": v[0], "denominator": v[1], "share": v[2]}),
        );
    };
    report.summary.insert("eligible".into(), json!(n));
    put(&mut report, "unused_in_window", idle.len());
    put(&mut report, "never_opened", never.len());
    report.summary.insert(
        "excluded".into(),
        json!({"missing": missing, "expired": expired, "too_new": too_new, "grace_days": opts.grace_days}),
    );
    report.notes.push(format!(
        "Denominator: present, unexpired assets. An asset is dated from the earliest evidence that it existed (its file's modification time, the document's created date, its first open, its first index; `dated_from` says which). An asset is judged only on the part of the window it existed for, and one that existed for under {} days of it is too new to judge ({} left out). Missing ({missing}) and expired ({expired}) assets are left out.",
        opts.grace_days, too_new
    ));
    if n == 0 && too_new > 0 {
        report.notes.push(format!(
            "Every asset is newer than {} days in this window, so none can be called unused yet; lower the grace days to judge them anyway.",
            opts.grace_days
        ));
    } else if n == 0 {
        report
            .notes
            .push("No assets to judge yet: add a library folder and index it.".into());
    } else if usage.is_empty() {
        report
            .notes
            .push("No opens recorded yet, so every asset counts as unused.".into());
    }
    let mut list = Table::new(
        "assets",
        &[
            "asset_id",
            "path",
            "title",
            "format",
            "folder",
            "product",
            "owner",
            "age_days",
            "existed_since",
            "dated_from",
            "last_opened",
            "opens_ever",
        ],
    );
    let mut sorted = idle.clone();
    sorted.sort_by_key(|a| (usage.contains_key(&a.id), a.created, a.path.clone()));
    for a in sorted {
        let u = usage.get(&a.id);
        list.push(vec![
            json!(a.id),
            json!(a.path),
            json!(a.title),
            json!(a.format),
            json!(a.folder),
            json!(a.product),
            json!(a.owner),
            json!((opts.today - a.created).num_days()),
            json!(a.created.to_string()),
            json!(a.dated_from),
            json!(u.map(|u| u.1.clone())),
            json!(u.map_or(0, |u| u.0)),
        ]);
    }
    report.tables.push(list);
    type Key = fn(&AssetRow) -> String;
    let groups: [(&'static str, &'static str, Key); 4] = [
        ("by_folder", "folder", |a| a.folder.clone()),
        ("by_format", "format", |a| a.format.clone()),
        ("by_product", "product", |a| {
            a.product.clone().unwrap_or_else(|| "(none)".into())
        }),
        ("by_owner", "owner", |a| {
            a.owner.clone().unwrap_or_else(|| "(none)".into())
        }),
    ];
    let idle_ids: HashSet<&str> = idle.iter().map(|a| a.id.as_str()).collect();
    for (name, key, f) in groups {
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for a in &eligible {
            let e = counts.entry(f(a)).or_default();
            e.1 += 1;
            e.0 += usize::from(idle_ids.contains(a.id.as_str()));
        }
        let mut t = Table::new(
            name,
            &[
                key,
                "unused",
                "eligible",
                "share",
                "ci_low",
                "ci_high",
                "small_sample",
            ],
        );
        let mut rows: Vec<_> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
        for (k, (u, e)) in rows {
            let mut v = vec![json!(k)];
            v.extend(share(u, e, opts.small_sample));
            t.push(v);
        }
        report.tables.push(t);
    }
    Ok(report)
}

/// One asset's use within a window.
#[derive(Default)]
struct WindowUsage {
    opens: i64,
    reps: HashSet<u32>,
    first: String,
    last: String,
    /// Opens in the last four weeks up to the window's end, and in the four before.
    recent: i64,
    previous: i64,
}

/// Usage per asset between two days, in one pass over the rollup's day range (the
/// table is clustered by day, so this reads only the window's rows).
fn window_usage(
    data: &dyn ReportData,
    from: &str,
    to: &str,
) -> Result<HashMap<String, WindowUsage>> {
    let mut out: HashMap<String, WindowUsage> = HashMap::new();
    let mut rep_ids: HashMap<String, u32> = HashMap::new();
    // Trending's two four-week spans end on the window's last day.
    let end = day(to);
    let recent_from = (end - Duration::days(27)).to_string();
    let previous_from = (end - Duration::days(55)).to_string();
    data.each_usage_day(from, to, &mut |u: UsageDay<'_>| {
        let (day, asset, rep) = (u.day, u.asset_id, u.rep);
        let w = match out.get_mut(asset) {
            Some(w) => w,
            None => out.entry(asset.to_owned()).or_default(),
        };
        w.opens += u.opens;
        if day >= recent_from.as_str() {
            w.recent += u.opens;
        } else if day >= previous_from.as_str() {
            w.previous += u.opens;
        }
        let next = rep_ids.len() as u32;
        let rep_id = match rep_ids.get(rep) {
            Some(id) => *id,
            None => *rep_ids.entry(rep.to_owned()).or_insert(next),
        };
        w.reps.insert(rep_id);
        if w.first.is_empty() || day < w.first.as_str() {
            w.first = day.to_owned();
        }
        if day > w.last.as_str() {
            w.last = day.to_owned();
        }
    })?;
    Ok(out)
}

/// Monday of the week of `d`.
fn week(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

pub fn assets(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Assets, opts);
    let (from, to) = (opts.window_start(), opts.window_end());
    let usage = window_usage(data, &from, &to)?;
    let rows: Vec<(String, i64, i64, String, String)> = usage
        .iter()
        .filter(|(_, w)| w.opens > 0)
        .map(|(id, w)| {
            (
                id.clone(),
                w.opens,
                w.reps.len() as i64,
                w.last.clone(),
                w.first.clone(),
            )
        })
        .collect();
    let first_day = rows.iter().map(|r| r.4.clone()).min().map(|d| day(&d));
    let start = opts.from.or(first_day).unwrap_or(opts.to);
    let weeks = (((opts.to - start).num_days() + 1) as f64 / 7.0).max(1.0);
    let total: i64 = rows.iter().map(|r| r.1).sum();
    report.summary.insert("opens".into(), json!(total));
    report
        .summary
        .insert("assets_opened".into(), json!(rows.len()));
    report.summary.insert("weeks".into(), json!(round(weeks)));
    report.notes.push(
        "opens counts opens and in-app previews; reps counts distinct reps; trending compares the last four weeks up to the window's end with the four before."
            .into(),
    );
    if rows.is_empty() {
        report
            .notes
            .push("No opens recorded in this window yet.".into());
    }
    let columns = [
        "asset_id",
        "path",
        "title",
        "opens",
        "reps",
        "opens_per_week",
        "last_opened",
    ];
    let mut by_opens = rows.clone();
    by_opens.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut by_reps = rows.clone();
    by_reps.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    let mut top_ids = Vec::new();
    for (name, list) in [("top_by_opens", &by_opens), ("top_by_reps", &by_reps)] {
        let mut t = Table::new(name, &columns);
        for (id, opens, reps, last, _) in list.iter().take(opts.limit) {
            let (path, title) = describe(data, id)?;
            t.push(vec![
                json!(id),
                json!(path),
                json!(title),
                json!(opens),
                json!(reps),
                json!(round(*opens as f64 / weeks)),
                json!(last),
            ]);
            if name == "top_by_opens" {
                top_ids.push(id.clone());
            }
        }
        report.tables.push(t);
    }
    // Trending: the last four weeks of the window against the four before.
    let mut trend: Vec<(String, i64, i64)> = usage
        .iter()
        .map(|(id, w)| (id.clone(), w.recent, w.previous))
        .collect();
    trend.retain(|t| t.1 > t.2);
    trend.sort_by(|a, b| (b.1 - b.2).cmp(&(a.1 - a.2)).then(a.0.cmp(&b.0)));
    let mut t = Table::new(
        "trending",
        &[
            "asset_id",
            "path",
            "title",
            "recent_4_weeks",
            "previous_4_weeks",
            "change",
        ],
    );
    for (id, recent, prev) in trend.into_iter().take(opts.limit) {
        let (path, title) = describe(data, &id)?;
        t.push(vec![
            json!(id),
            json!(path),
            json!(title),
            json!(recent),
            json!(prev),
            json!(recent - prev),
        ]);
    }
    report.tables.push(t);
    // Opens per week of the top assets.
    let mut t = Table::new("weekly", &["asset_id", "path", "week", "opens"]);
    for id in top_ids.iter().take(10) {
        let path = describe(data, id)?.0;
        let mut weekly: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for d in data.asset_days(id, &from, &to)? {
            *weekly.entry(week(day(&d.day))).or_default() += d.opens;
        }
        for (w, n) in weekly {
            t.push(vec![json!(id), json!(path), json!(w.to_string()), json!(n)]);
        }
    }
    report.tables.push(t);
    // Opens per page or slide, where the open said.
    let mut t = Table::new(
        "pages",
        &["asset_id", "path", "location_kind", "number", "opens"],
    );
    let end = (opts.to + Duration::days(1)).to_string();
    for id in top_ids.iter().take(10) {
        let path = describe(data, id)?.0;
        for l in data.location_opens(id, &from, &end)? {
            t.push(vec![
                json!(id),
                json!(path),
                json!(l.kind),
                json!(l.number),
                json!(l.opens),
            ]);
        }
    }
    report.tables.push(t);
    Ok(report)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_agree_with_chrono() {
        for d in [
            "2026-11-22",
            "2024-02-29",
            "0001-01-01",
            "2026-11-22T10:00:00Z",
        ] {
            assert_eq!(day_number(d), i64::from(day(d).num_days_from_ce()), "{d}");
        }
        assert_eq!(day_number("2026-13-01"), 0);
        assert_eq!(day_number("garbage"), 0);
    }

    #[test]
    fn top_folder_is_the_first_folder_below_the_root() {
        assert_eq!(top_folder("/lib/decks/q3/a.pptx", "/lib"), "decks");
        assert_eq!(top_folder("/lib/a.pptx", "/lib"), "(top)");
    }
}
