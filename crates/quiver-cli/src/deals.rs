//! `quiver reasons` and `quiver deal`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use quiver::datadir::DataDir;
use quiver::deals::{self, Change, import};
use quiver::ops::{self, Caller, DealPatch};
use quiver::reasons::{self, NewReason};

use crate::print_json;

#[derive(Subcommand)]
pub enum ReasonsCommand {
    /// List the taxonomy (active codes; --all adds retired ones).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Find a reason as you would type it in the app's picker: best match first.
    Find {
        /// Words of a label, a code, a keyword; typos are forgiven.
        text: String,
        /// Only reasons that fit this outcome: buy (won) or objection (lost, no decision).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Add a code.
    Add {
        code: String,
        #[arg(long)]
        label: String,
        /// buy or objection
        #[arg(long)]
        kind: String,
        #[arg(long)]
        category: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Comma-separated words collateral uses for this reason.
        #[arg(long, default_value = "")]
        keywords: String,
    },
    /// Change a code's label (the code and its history stay).
    Rename { code: String, label: String },
    /// Retire a code: history stays, new deals can't use it.
    Retire { code: String },
    /// Map OLD onto NEW: OLD is retired and its deals count under NEW.
    Merge { old: String, new: String },
    /// Print the taxonomy as TOML or CSV.
    Export {
        #[arg(long, default_value = "toml")]
        format: String,
    },
    /// Add or update codes from a TOML or CSV file (by extension).
    Import { file: PathBuf },
    /// A CRM's picklist values read as codes by every deal import.
    #[command(subcommand)]
    Map(MapCommand),
}

#[derive(Subcommand)]
pub enum MapCommand {
    /// List the CRM values mapped to codes.
    List,
    /// Read the CRM value VALUE as CODE (a code or label) in every later import.
    Set { value: String, code: String },
}

#[derive(Args, Default)]
pub struct DealFields {
    /// The deal's name, as the CRM shows it.
    #[arg(long)]
    name: Option<String>,
    /// The customer's (or prospect's) company.
    #[arg(long)]
    account: Option<String>,
    /// Default: the rep set with `quiver rep set`.
    #[arg(long)]
    rep: Option<String>,
    /// won, lost or no-decision
    #[arg(long)]
    outcome: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    close_date: Option<String>,
    /// The deal's value, a number (`48500`).
    #[arg(long)]
    amount: Option<f64>,
    /// The amount's currency code (`USD`, `EUR`).
    #[arg(long)]
    currency: Option<String>,
    /// For a lost deal: who won (or "none").
    #[arg(long)]
    competitor: Option<String>,
    /// Stage reached or lost at.
    #[arg(long)]
    stage: Option<String>,
    /// The customer's industry (`retail`, `healthcare`).
    #[arg(long)]
    industry: Option<String>,
    /// Size band, e.g. smb, mid-market, enterprise.
    #[arg(long)]
    size: Option<String>,
    /// Sales region (`emea`, `na`).
    #[arg(long)]
    region: Option<String>,
    /// Primary reason: a code or label, optionally with the buyer's words: "CODE: note".
    #[arg(long)]
    primary: Option<String>,
    /// A secondary reason, ranked in the order given: "CODE: note". Repeatable.
    #[arg(long)]
    secondary: Vec<String>,
}

#[derive(Subcommand)]
pub enum DealCommand {
    /// Record a closed deal with its coded reasons.
    Record {
        /// The deal's id (the CRM's id where there is one).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: DealFields,
    },
    /// Change a recorded deal; the audit trail keeps who changed what, when. Its id
    /// can't change: it is the CRM's.
    Edit {
        /// The deal's id, as `quiver deal list` shows it.
        #[arg(value_name = "ID")]
        deal: String,
        #[command(flatten)]
        fields: DealFields,
    },
    /// Show a deal with its reasons and audit trail.
    Show { id: String },
    /// Find open deals (from a CRM import, or opened for) by id, name or account.
    Find {
        /// Words of the id, name or account; blank lists the most recent.
        #[arg(default_value = "")]
        text: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Set the deal you are preparing for (the app's "Preparing for deal"); opens from
    /// the app are tied to it until it is recorded closed. No ID clears it.
    Prepare {
        /// A deal id, or words naming one open deal (`OPP-77 Globex`).
        deal: Option<String>,
    },
    /// List recorded deals.
    List,
    /// Import closed deals from a CSV (Quiver, Salesforce or HubSpot columns).
    Import {
        file: PathBuf,
        /// COLUMN=FIELD: read FIELD from COLUMN (overrides the recognised names).
        #[arg(long = "map", value_name = "COLUMN=FIELD")]
        map: Vec<String>,
        /// Check every row and say what would change, without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Code a reason that is neither a code nor a label of the taxonomy (a CRM's
        /// free text) as OTHER, its words kept as the note, instead of failing the row.
        #[arg(long)]
        unknown_as_other: bool,
        /// VALUE=CODE: read the CRM's reason VALUE as CODE, in this import and every
        /// later one (`--map-value "Price=PRICE.TOO_HIGH"`; repeatable).
        #[arg(long = "map-value", value_name = "VALUE=CODE")]
        map_value: Vec<String>,
    },
}

pub fn reasons(
    dd: &mut DataDir,
    caller: &Caller,
    cmd: ReasonsCommand,
    json: bool,
) -> anyhow::Result<()> {
    let rep = caller.rep(&dd.catalog)?;
    let now = caller.now;
    let changed = match cmd {
        ReasonsCommand::Map(MapCommand::List) => {
            let list = reasons::value_map(&dd.catalog)?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no CRM values mapped yet");
            }
            for m in list {
                println!("{:<30} {}", m.value, m.code);
            }
            return Ok(());
        }
        ReasonsCommand::Map(MapCommand::Set { value, code }) => {
            let m = reasons::map_value(&dd.catalog, &value, &code, now)?;
            if json {
                return print_json(&m);
            }
            println!("{:?} now reads as {}", m.value, m.code);
            return Ok(());
        }
        ReasonsCommand::Find { text, kind, limit } => {
            let found = ops::find_reasons(dd, &text, kind.as_deref(), limit)?;
            if json {
                return print_json(&found);
            }
            if found.is_empty() {
                println!("no reason matches {text:?}");
            }
            for m in found {
                println!(
                    "{:<30} {:<9} {}  ({} deal{})",
                    m.reason.code,
                    m.reason.kind.as_str(),
                    m.reason.label,
                    m.uses,
                    if m.uses == 1 { "" } else { "s" }
                );
            }
            return Ok(());
        }
        ReasonsCommand::List { all } => {
            let list = reasons::list(&dd.catalog, all)?;
            if json {
                return print_json(
                    &serde_json::json!({ "version": reasons::version(&dd.catalog)?, "reasons": list }),
                );
            }
            let mut category = String::new();
            for r in list {
                if r.category != category {
                    if !category.is_empty() {
                        println!();
                    }
                    println!("{}", r.category);
                    category = r.category.clone();
                }
                let status = match (&r.merged_into, r.status.as_str()) {
                    (Some(new), _) => format!("  (merged into {new})"),
                    (None, "retired") => "  (retired)".into(),
                    _ => String::new(),
                };
                println!(
                    "  {:<30} {:<9} {}{status}",
                    r.code,
                    r.kind.as_str(),
                    r.label
                );
            }
            return Ok(());
        }
        ReasonsCommand::Add {
            code,
            label,
            kind,
            category,
            description,
            keywords,
        } => reasons::add(
            &dd.catalog,
            NewReason {
                code: &code,
                label: &label,
                kind: &kind,
                category: &category,
                description: &description,
                keywords: keywords
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            &rep,
            now,
        )?,
        ReasonsCommand::Rename { code, label } => {
            reasons::rename(&dd.catalog, &code, &label, &rep, now)?
        }
        ReasonsCommand::Retire { code } => reasons::retire(&dd.catalog, &code, &rep, now)?,
        ReasonsCommand::Merge { old, new } => reasons::merge(&dd.catalog, &old, &new, &rep, now)?,
        ReasonsCommand::Export { format } => {
            print!("{}", reasons::export(&dd.catalog, &format)?);
            return Ok(());
        }
        ReasonsCommand::Import { file } => {
            // In whatever encoding the spreadsheet saved it.
            let text = quiver::extract::decode_text(
                &std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
            );
            let format = if file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                "csv"
            } else {
                "toml"
            };
            let report = reasons::import(&mut dd.catalog, &text, format, &rep, now)?;
            if json {
                return print_json(&report);
            }
            println!(
                "added {}, updated {}, unchanged {}; taxonomy version {}",
                report.added, report.updated, report.unchanged, report.version
            );
            return Ok(());
        }
    };
    if json {
        return print_json(&changed);
    }
    println!(
        "{}: {} ({}, {}){}",
        changed.code,
        changed.label,
        changed.kind.as_str(),
        changed.status,
        changed
            .merged_into
            .map(|m| format!(", merged into {m}"))
            .unwrap_or_default()
    );
    Ok(())
}

/// The import's hint when rows failed on their reasons, in the CLI's words.
const REASON_HINT: &str = "a reason must be a code or label of `quiver reasons list`, optionally with the buyer's words (`PRICE.TOO_HIGH: over budget`); to import a column of free text, --unknown-as-other codes each such reason OTHER and keeps its words as the note, to recode later with `quiver deal edit`";

impl From<DealFields> for DealPatch {
    fn from(f: DealFields) -> DealPatch {
        DealPatch {
            name: f.name,
            account: f.account,
            rep: f.rep,
            outcome: f.outcome,
            close_date: f.close_date,
            amount: f.amount,
            currency: f.currency,
            competitor: f.competitor,
            stage: f.stage,
            industry: f.industry,
            size: f.size,
            region: f.region,
            primary: f.primary,
            secondary: f.secondary,
        }
    }
}

pub fn deal(dd: &mut DataDir, caller: &Caller, cmd: DealCommand, json: bool) -> anyhow::Result<()> {
    match cmd {
        DealCommand::Record { id, fields } => {
            let saved = ops::record_deal(dd, caller, id, fields.into())?;
            if json {
                return print_json(&saved);
            }
            let ops::Saved { change, deal } = saved;
            let n = deal.reasons.len();
            let done = if change == Change::Created {
                "recorded"
            } else {
                "already recorded:"
            };
            println!(
                "{done} deal {} ({n} reason{})",
                deal.deal_id,
                if n == 1 { "" } else { "s" }
            );
        }
        DealCommand::Edit { deal: id, fields } => {
            let saved = ops::edit_deal(dd, caller, &id, fields.into())?;
            if json {
                return print_json(&saved);
            }
            let ops::Saved { change, deal } = saved;
            println!(
                "{} deal {}",
                if change == Change::Updated {
                    "updated"
                } else {
                    "no change to"
                },
                deal.deal_id
            );
        }
        DealCommand::Show { id } => {
            let (deal, audit) = ops::show_deal(dd, &id)?;
            if json {
                return print_json(&serde_json::json!({ "deal": deal, "audit": audit }));
            }
            println!(
                "{}  {}  {}, closed {}",
                deal.deal_id,
                deal.name.as_deref().unwrap_or(""),
                deal.outcome,
                deal.close_date
            );
            let fields = [
                ("rep", Some(deal.rep.clone())),
                ("account", deal.account.clone()),
                (
                    "amount",
                    deal.amount.map(|a| match deal.currency.as_deref() {
                        Some(c) => format!("{a} {c}"),
                        None => a.to_string(),
                    }),
                ),
                ("competitor", deal.competitor.clone()),
                ("stage", deal.stage.clone()),
                ("industry", deal.industry.clone()),
                ("size", deal.size.clone()),
                ("region", deal.region.clone()),
            ];
            for (name, value) in fields {
                if let Some(v) = value {
                    println!("  {name:<10} {v}");
                }
            }
            for (rank, r) in deal.reasons.iter().enumerate() {
                let note = r
                    .note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                let name = if rank == 0 { "primary" } else { "secondary" };
                println!("  {name:<10} {}{note}", r.code);
            }
            println!("  history:");
            for a in audit {
                let change = match (a.old, a.new) {
                    (None, Some(new)) if a.field == "created" => format!("recorded as {new}"),
                    (old, new) => format!(
                        "{}: {} -> {}",
                        a.field,
                        old.unwrap_or_default(),
                        new.unwrap_or_default()
                    ),
                };
                println!("    {}  {}  {change}", &a.at[..19.min(a.at.len())], a.rep);
            }
        }
        DealCommand::Find { text, limit } => {
            let found = ops::find_deals(dd, &text, limit)?;
            if json {
                return print_json(&found);
            }
            if found.is_empty() {
                println!("no open deal matches {text:?}");
            }
            for d in found {
                println!(
                    "{:<14} {:<28} {:<20} {}",
                    d.deal_id,
                    d.name.as_deref().unwrap_or(""),
                    d.account.as_deref().unwrap_or(""),
                    d.stage.as_deref().unwrap_or("")
                );
            }
        }
        DealCommand::Prepare { deal } => {
            let id = ops::set_current_deal(dd, deal.as_deref())?;
            if json {
                return print_json(&serde_json::json!({ "current_deal": id }));
            }
            match id {
                Some(id) => println!("preparing for deal {id}"),
                None => println!("preparing for no deal"),
            }
        }
        DealCommand::List => {
            let list = deals::list(&dd.catalog)?;
            if json {
                return print_json(&list);
            }
            let id_width = list.iter().map(|d| d.deal_id.len()).max().unwrap_or(0);
            let rep_width = list
                .iter()
                .map(|d| d.rep.chars().count())
                .max()
                .unwrap_or(0);
            for d in list {
                println!(
                    "{:<id_width$}  {:<11} {}  {:<rep_width$}  {}",
                    d.deal_id,
                    d.outcome,
                    d.close_date,
                    d.rep,
                    d.reasons.first().map(|r| r.code.as_str()).unwrap_or("")
                );
            }
        }
        DealCommand::Import {
            file,
            map,
            dry_run,
            unknown_as_other,
            map_value,
        } => {
            let mut map_values = Vec::new();
            for m in &map_value {
                let (value, code) = m
                    .rsplit_once('=')
                    .with_context(|| format!("--map-value {m:?} is not VALUE=CODE"))?;
                map_values.push((value.trim().to_owned(), code.trim().to_owned()));
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut parsed = Vec::new();
            for m in &map {
                let (col, field) = m
                    .split_once('=')
                    .with_context(|| format!("--map {m:?} is not COLUMN=FIELD"))?;
                parsed.push((col.trim().to_owned(), import::Field::parse(field)?));
            }
            let me = caller.rep(&dd.catalog)?;
            let stages = dd.config.stages.clone();
            let opts = import::Options {
                map: parsed,
                dry_run,
                stages: &stages,
                today: caller.today(),
                by: &me,
                unknown_as_other,
                map_values,
            };
            let mut report = import::import_bytes(&mut dd.catalog, &bytes, &opts, caller.now)?;
            if report.hint.is_some() {
                report.hint = Some(REASON_HINT.to_owned());
            }
            if json {
                return print_json(&report);
            }
            println!(
                "{}{} columns: created {}, updated {}, unchanged {}, still open (skipped) {}, failed {}",
                if dry_run {
                    "dry run, nothing changed. "
                } else {
                    ""
                },
                report.format,
                report.created,
                report.updated,
                report.unchanged,
                report.still_open,
                report.failed.len()
            );
            if report.as_other > 0 {
                println!(
                    "  {} reason{} not in the taxonomy coded OTHER, with the words as the note",
                    report.as_other,
                    if report.as_other == 1 { "" } else { "s" }
                );
            }
            if !report.unmapped_values.is_empty() {
                println!(
                    "reason values that are no code, label or mapped value (map them with --map-value VALUE=CODE):"
                );
                for u in &report.unmapped_values {
                    println!("  {:>5}  {}", u.rows, u.value);
                }
            }
            for f in &report.failed {
                println!(
                    "  line {}{}: {}",
                    f.line,
                    f.deal_id
                        .as_ref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default(),
                    f.message
                );
            }
            if let Some(hint) = &report.hint {
                println!("{hint}");
            }
        }
    }
    Ok(())
}
