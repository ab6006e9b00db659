//! What reps search for, and what they don't find: zero-result queries and queries
//! whose results nobody opened are content gaps. Reads the `search_daily` rollup.

use serde_json::json;

use super::{Options, Report, ReportData, ReportName, Table, round};
use crate::Result;

pub fn searches(data: &dyn ReportData, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Searches, opts);
    let rows: Vec<(String, i64, i64, i64, i64, String)> = data
        .query_rollups(&opts.window_start(), &opts.window_end())?
        .into_iter()
        .map(|q| {
            (
                q.query,
                q.searches,
                q.reps,
                q.zero_results,
                q.opened,
                q.last_day,
            )
        })
        .collect();
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let zero: i64 = rows.iter().map(|r| r.3).sum();
    let opened: i64 = rows.iter().map(|r| r.4).sum();
    report.summary.insert("searches".into(), json!(total));
    report
        .summary
        .insert("distinct_queries".into(), json!(rows.len()));
    report.summary.insert(
        "zero_result".into(),
        json!({"count": zero, "denominator": total, "share": if total == 0 { 0.0 } else { round(zero as f64 / total as f64) }}),
    );
    report.summary.insert(
        "followed_by_open".into(),
        json!({"count": opened, "denominator": total, "share": if total == 0 { 0.0 } else { round(opened as f64 / total as f64) }}),
    );
    report.notes.push("Queries are compared lower-cased and trimmed. A search counts as opened when a hit of it was opened.".into());
    if rows.is_empty() {
        report
            .notes
            .push("No searches recorded in this window yet.".into());
    }
    let columns = [
        "query",
        "searches",
        "reps",
        "zero_result_searches",
        "searches_opened",
        "click_through",
        "last_searched",
    ];
    let row = |r: &(String, i64, i64, i64, i64, String)| {
        vec![
            json!(r.0),
            json!(r.1),
            json!(r.2),
            json!(r.3),
            json!(r.4),
            json!(round(r.4 as f64 / r.1 as f64)),
            json!(r.5),
        ]
    };
    let mut top = rows.clone();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut t = Table::new("top", &columns);
    for r in top.iter().take(opts.limit) {
        t.push(row(r));
    }
    report.tables.push(t);
    let mut t = Table::new("zero_results", &columns);
    for r in top.iter().filter(|r| r.3 > 0).take(opts.limit) {
        t.push(row(r));
    }
    report.tables.push(t);
    let mut t = Table::new("never_opened", &columns);
    for r in top
        .iter()
        .filter(|r| r.4 == 0 && r.3 < r.1)
        .take(opts.limit)
    {
        t.push(row(r));
    }
    report.tables.push(t);
    Ok(report)
}
