//! `quiver report` and `quiver demo`.

use chrono::NaiveDate;
use clap::Args;
use serde_json::Value;

use quiver::datadir::DataDir;
use quiver::insights::{self, By, Column, ColumnKind, Report, ReportName};
use quiver::ops::{self, Caller, ReportRequest};

use crate::print_json;

#[derive(Args)]
pub struct ReportArgs {
    /// unused, assets, searches, reasons, stages, influence, coverage, completeness, messaging
    name: String,
    /// Start of the window (YYYY-MM-DD, inclusive). Default: the beginning.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// End of the window (YYYY-MM-DD, inclusive). Default: today.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Split deal reports by industry, size, region, competitor, stage, rep or month.
    #[arg(long)]
    by: Option<String>,
    /// Print one table as CSV (the first, or --table NAME).
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Which table --csv prints.
    #[arg(long)]
    table: Option<String>,
    /// With --csv: write the table to this file (whole, or not at all) instead of
    /// printing it.
    #[arg(long, requires = "csv", value_name = "FILE")]
    out: Option<std::path::PathBuf>,
    /// Replace rep names with stable pseudonyms.
    #[arg(long)]
    anonymize: bool,
    /// Rows per ranked table.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// influence: deal (opened for the deal), rep (by the deal's rep before close) or both.
    #[arg(long, default_value = "both")]
    rule: String,
    /// influence: days before the close that count.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// influence: deals needed on each side before a win rate is claimed.
    #[arg(long, default_value_t = 5)]
    min_support: usize,
    /// unused: days an asset must have existed in the window to be judged.
    #[arg(long, default_value_t = 14)]
    grace_days: i64,
    /// stages: the what-if column lowers each stage's loss rate by N points.
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    what_if: f64,
}

pub fn report(dd: &DataDir, caller: &Caller, args: ReportArgs, json: bool) -> anyhow::Result<()> {
    if args.table.is_some() && !args.csv {
        anyhow::bail!("--table chooses the table --csv prints; add --csv");
    }
    let req = ReportRequest {
        name: ReportName::parse(&args.name)?,
        from: args.from,
        to: args.to,
        by: args.by.as_deref().map(By::parse).transpose()?,
        anonymize: args.anonymize,
        limit: Some(args.limit),
        rule: Some(args.rule),
        days: Some(args.days),
        min_support: Some(args.min_support),
        what_if: Some(args.what_if),
        grace_days: Some(args.grace_days),
    };
    if let Some(out) = &args.out {
        let table = ops::report_csv(dd, caller, &req, args.table.as_deref(), out)?;
        eprintln!("wrote the {table} table to {}", out.display());
        return Ok(());
    }
    let report = ops::report(dd, caller, &req)?;
    if json {
        return print_json(&report);
    }
    if args.csv {
        let table = report.pick_table(args.table.as_deref())?;
        table.write_csv(std::io::stdout().lock())?;
        return Ok(());
    }
    print_report(&report);
    Ok(())
}

fn print_report(r: &Report) {
    let window = match &r.from {
        Some(f) => format!("{f} to {}", r.to),
        None => format!("up to {}", r.to),
    };
    println!(
        "{} report, {window}{}",
        r.report,
        r.by.map(|b| format!(", by {b}")).unwrap_or_default()
    );
    for (k, v) in &r.summary {
        let text = match v {
            Value::Object(o) if o.contains_key("share") => {
                format!(
                    "{} of {} ({:.1}%)",
                    o["count"],
                    o["denominator"],
                    o["share"].as_f64().unwrap_or(0.0) * 100.0
                )
            }
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| format!("{k} {}", insights::cell(ColumnKind::Text, v)))
                .collect::<Vec<_>>()
                .join(", "),
            other => insights::cell(ColumnKind::Text, other),
        };
        print_wrapped(&format!("{k:<20} "), &text);
    }
    for note in &r.notes {
        print_wrapped("note: ", note);
    }
    for t in &r.tables {
        println!(
            "\n{} ({} row{})",
            t.name,
            t.rows.len(),
            if t.rows.len() == 1 { "" } else { "s" }
        );
        if t.rows.is_empty() {
            println!("  (no data)");
            continue;
        }
        // Ids and titles are for scripts (the file name says which asset); paths are
        // cut to their file name.
        let shown: Vec<Column> = t
            .columns
            .iter()
            .copied()
            .filter(|c| c.kind != ColumnKind::Id && c.name != "title")
            .collect();
        let cells: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|row| {
                shown
                    .iter()
                    .map(|c| {
                        let text = human(c.kind, &row[c.name]);
                        if text.chars().count() > 48 {
                            format!("{}…", text.chars().take(47).collect::<String>())
                        } else {
                            text
                        }
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = shown
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(c.name.len())
            })
            .collect();
        // As many columns as fit in 100 (with the indent); --json and --csv keep all.
        let mut fit = 0;
        let mut used = 2;
        for w in &widths {
            if fit > 0 && used + w > WIDTH {
                break;
            }
            used += w + 2;
            fit += 1;
        }
        let line = |values: Vec<String>| {
            values
                .iter()
                .zip(&widths)
                .take(fit)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        println!(
            "  {}",
            line(shown.iter().map(|c| c.name.to_owned()).collect())
        );
        for row in cells {
            println!("  {}", line(row));
        }
        if fit < shown.len() {
            let more = format!(
                "{} more column{}: {}; see --json or --csv",
                shown.len() - fit,
                if shown.len() - fit == 1 { "" } else { "s" },
                shown[fit..]
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            print_wrapped("", &format!("({more})"));
        }
    }
}

/// The width human output fits in, as a terminal of 100 columns.
const WIDTH: usize = 100;

/// Prints `text` after `lead`, indented by two, wrapped at word boundaries to fit
/// [`WIDTH`]; continuation lines line up under the text.
fn print_wrapped(lead: &str, text: &str) {
    let indent = 2 + lead.chars().count();
    let mut line = format!("  {lead}");
    let mut len = indent;
    let mut first = true;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if !first && len + 1 + w > WIDTH {
            println!("{line}");
            line = " ".repeat(indent);
            len = indent;
            first = true;
        }
        if !first {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += w;
        first = false;
    }
    println!("{line}");
}

/// A cell for people, by its column's kind: shares as percentages and lifts in points,
/// as the app shows them; a path as its file name.
fn human(kind: ColumnKind, v: &Value) -> String {
    match (kind, v) {
        (ColumnKind::Share, Value::Number(n)) => {
            format!("{:.1}%", n.as_f64().unwrap_or(0.0) * 100.0)
        }
        (ColumnKind::Points, Value::Number(n)) => {
            format!("{:+.1} pts", n.as_f64().unwrap_or(0.0) * 100.0)
        }
        (ColumnKind::Number, Value::Number(n)) => format!("{:.2}", n.as_f64().unwrap_or(0.0)),
        (ColumnKind::Flag, Value::Bool(b)) => if *b { "yes" } else { "" }.to_owned(),
        (ColumnKind::Path, Value::String(p)) => p.rsplit('/').next().unwrap_or("").to_owned(),
        (kind, v) => insights::cell(kind, v),
    }
}
