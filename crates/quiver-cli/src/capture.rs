//! `quiver rep`, `quiver open`, `quiver events`.

use std::io::BufReader;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use quiver::capture::{self, Rep, exchange};
use quiver::datadir::DataDir;
use quiver::ops::{self, Caller, OpenInput};
use quiver::search::Location;

use crate::print_json;

#[derive(Subcommand)]
pub enum RepCommand {
    /// Set who you are; every event and deal carries it.
    Set {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        team: Option<String>,
    },
    /// Show the rep set on this data dir.
    Show,
}

#[derive(Args)]
pub struct OpenArgs {
    /// Asset id (or unique prefix) or a file path.
    target: String,
    /// The deal you are preparing for.
    #[arg(long)]
    deal: Option<String>,
    /// The search this open follows (`query_id` of `quiver search --json`).
    #[arg(long)]
    query_id: Option<String>,
    /// The page or slide opened, e.g. `page:4` or `slide:7`.
    #[arg(long, value_name = "KIND:N")]
    at: Option<String>,
    /// Record the open without launching a viewer (for scripts and tests).
    #[arg(long)]
    no_launch: bool,
    /// Record a preview (seen inside another tool), not an open; launches nothing.
    #[arg(long)]
    preview: bool,
    /// The event's id (a UUID): run again with the same id, the open is recorded once
    /// and the answer is the same (for a retry after an error).
    #[arg(long, value_name = "UUID")]
    event_id: Option<String>,
}

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Write events as NDJSON to stdout (or --out FILE).
    Export {
        /// Only events at or after this date (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace rep names with stable pseudonyms.
        #[arg(long)]
        anonymize: bool,
    },
    /// Import NDJSON events; idempotent by event id.
    Import { file: PathBuf },
}

pub fn rep(dd: &DataDir, cmd: RepCommand, json: bool) -> anyhow::Result<()> {
    match cmd {
        RepCommand::Set { name, email, team } => {
            let rep = Rep { name, email, team };
            capture::set_rep(&dd.catalog, &rep)?;
            if json {
                return print_json(&rep);
            }
            println!("events and deals will be recorded for {}", rep.name);
        }
        RepCommand::Show => {
            let rep = capture::rep(&dd.catalog)?;
            if json {
                return print_json(&rep);
            }
            match rep {
                Some(r) => println!(
                    "{}{}{}",
                    r.name,
                    r.email.map(|e| format!(" <{e}>")).unwrap_or_default(),
                    r.team.map(|t| format!(", {t}")).unwrap_or_default()
                ),
                None => println!(
                    "no rep set: `quiver rep set --name NAME` (until then events carry your login name)"
                ),
            }
        }
    }
    Ok(())
}

pub fn open(dd: &DataDir, caller: &Caller, args: OpenArgs, json: bool) -> anyhow::Result<()> {
    let location = args
        .at
        .as_deref()
        .map(|at| {
            let (kind, n) = at
                .split_once(':')
                .with_context(|| format!("--at {at:?} is not KIND:N"))?;
            anyhow::Ok(Location {
                kind: kind.to_owned(),
                number: n
                    .parse()
                    .with_context(|| format!("--at {at:?}: {n:?} is not a number"))?,
                name: None,
            })
        })
        .transpose()?;
    let input = OpenInput {
        target: args.target,
        deal_id: args.deal,
        query_id: args.query_id,
        location,
        preview: args.preview,
        no_launch: args.no_launch,
        event_id: args.event_id,
    };
    let ack = ops::open(dd, caller, input, quiver_os::open_viewer)?;
    if json {
        return print_json(&ack);
    }
    for w in &ack.warnings {
        eprintln!("warning: {w}");
    }
    if args.no_launch || args.preview {
        println!("recorded: {} ({})", ack.title, ack.path);
    } else {
        println!("opened {} ({})", ack.title, ack.path);
    }
    Ok(())
}

pub fn events(
    dd: &mut DataDir,
    caller: &Caller,
    cmd: EventsCommand,
    json: bool,
) -> anyhow::Result<()> {
    match cmd {
        EventsCommand::Export {
            since,
            out,
            anonymize,
        } => {
            let n = match out {
                Some(path) => ops::export_events_to(dd, since.as_deref(), anonymize, &path)?,
                None => ops::export_events(
                    dd,
                    since.as_deref(),
                    anonymize,
                    &mut std::io::stdout().lock(),
                )?,
            };
            eprintln!("{n} events");
        }
        EventsCommand::Import { file } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let report = exchange::import(&mut dd.catalog, &mut BufReader::new(f), caller.now)?;
            if json {
                return print_json(&report);
            }
            println!(
                "imported {}, already present {}, failed {}",
                report.imported,
                report.duplicates,
                report.failed.len()
            );
            for f in &report.failed {
                println!("  line {}: {}", f.line, f.message);
            }
        }
    }
    Ok(())
}
