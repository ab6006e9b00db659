//! Usage reports: unused material, top and trending assets, and content influence on
//! won and lost deals. They read the `usage_daily` and `open_days` rollups, not raw
//! events.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::json;

use super::data::UsageDay;
use super::{Options, Report, ReportData, ReportName, Table, round, share};
use crate::Result;

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
pub(super) fn day_number(s: &str) -> i64 {
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
pub(super) fn describe(data: &dyn ReportData, id: &str) -> Result<(String, String)> {
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
