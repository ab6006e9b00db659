//! `quiver`: the command line over the Quiver core. Every command takes `--json` for
//! scripts; without it, output is for people.

mod capture;
mod deals;
mod insights;
mod render;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, CommandFactory, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use quiver::capture::Surface;
use quiver::datadir::DataDir;
use quiver::extract::pool::{self, WorkerCommand};
use quiver::indexer::{self, Progress};
use quiver::ops::{self, Caller, SearchInput};

#[derive(Parser)]
#[command(
    name = "quiver",
    version,
    about = "Search your sales collateral, offline."
)]
struct Cli {
    /// Data dir (catalog, index, config). Default: $QUIVER_DATA_DIR, else the OS data dir.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the folders Quiver indexes.
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Read new and changed files into the index.
    Index,
    /// Search the library.
    Search(SearchArgs),
    /// Show or edit an asset's catalog fields.
    #[command(subcommand)]
    Asset(AssetCommand),
    /// List files that could not be indexed, and why.
    Problems,
    /// What the data dir holds: folders, assets, problems, index size.
    Status,
    /// Who you are: every event and deal carries it.
    #[command(subcommand)]
    Rep(capture::RepCommand),
    /// Open an asset with the OS's viewer and record the open.
    Open(capture::OpenArgs),
    /// Export or import opens and searches (NDJSON).
    #[command(subcommand)]
    Events(capture::EventsCommand),
    /// The win/loss reason taxonomy.
    #[command(subcommand)]
    Reasons(deals::ReasonsCommand),
    /// Closed deals and their coded reasons.
    #[command(subcommand)]
    Deal(Box<deals::DealCommand>),
    /// Reports for marketing (unused, assets, searches, reasons, stages, influence,
    /// coverage, completeness, messaging).
    Report(insights::ReportArgs),
    /// Copy the data dir (catalog and config) into a new or empty folder, while it is
    /// in use. The search index is rebuilt from the catalog when a restored copy is
    /// first opened.
    Backup {
        #[arg(value_name = "DEST")]
        dest: PathBuf,
    },
    /// Check the catalog, the search index and that they agree.
    Doctor {
        /// Rebuild the search index from the catalog if it is damaged or disagrees.
        #[arg(long)]
        repair: bool,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to stdout; packages install it as quiver(1).
    #[command(hide = true, name = "man-page")]
    ManPage,
    /// Fill this data dir with the sample library and a synthetic history, so every
    /// report has something to show.
    #[command(args_conflicts_with_subcommands = true)]
    Demo {
        #[command(subcommand)]
        action: Option<DemoCommand>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// small (6 reps, 160 deals) or large (40 reps, 3000 deals)
        #[arg(long, default_value = "small")]
        size: String,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Remove the sample library and its history (its events and deals), and nothing
    /// else.
    Remove,
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// Add folders (walked recursively).
    Add {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List library folders.
    List,
    /// Remove a folder; its files leave search at the next `quiver index`.
    Remove { path: PathBuf },
}

#[derive(Args)]
struct SearchArgs {
    /// Words, "quoted phrases"; the last word matches as a prefix.
    query: String,
    /// How many hits to show (at least 1).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    limit: u16,
    /// FIELD=VALUE on format, folder, tag, product, persona, stage, industry, owner,
    /// freshness (expired, expiring or current).
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    filters: Vec<String>,
    /// Also count every match by facet (format, folder, product, ..., freshness).
    #[arg(long)]
    facets: bool,
    /// Don't record this search (every search is recorded by default, to find content
    /// gaps).
    #[arg(long)]
    no_record: bool,
}

#[derive(Subcommand)]
enum AssetCommand {
    /// Show an asset: fields, files, versions, history.
    Show {
        /// Asset id (or a unique prefix of 6+ characters) or a file path.
        id: String,
    },
    /// An asset's use: opens by week, page or slide, rep, deal and the searches before
    /// them, with its fields.
    Usage {
        /// Asset id (or a unique prefix of 6+ characters) or a file path.
        id: String,
        /// Start of the window (YYYY-MM-DD). Default: the beginning.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// End of the window (YYYY-MM-DD). Default: today.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
    /// Set catalog fields: product, persona, stage, industry, owner, expires_on
    /// (YYYY-MM-DD), tags and addresses (comma-separated), title. Empty clears.
    Set {
        id: String,
        #[arg(required = true, value_name = "FIELD=VALUE")]
        assignments: Vec<String>,
    },
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some(pool::WORKER_ARG) {
        let args: Vec<String> = std::env::args().skip(2).collect();
        return quiver_os::extraction_worker(&args);
    }
    // Like other Unix tools, stop quietly when the reader of our output goes away
    // (`quiver report unused | head`).
    // SAFETY: resetting a signal disposition at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let wants_json = std::env::args_os().skip(1).any(|a| a == "--json");
            let asked = matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            if !wants_json || asked {
                e.exit();
            }
            // Without clap's "error: " prefix and the usage lines after a blank one.
            let text = e.to_string();
            let message = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.trim_start_matches("error: ");
            let body = serde_json::json!({
                "error": { "code": "user.invalid_arguments", "message": message }
            });
            eprintln!("{body}");
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors raised by the CLI itself are about its arguments and files: the user's.
            let (code, field, user) = match e.downcast_ref::<quiver::Error>() {
                Some(q) => (q.code(), q.field(), matches!(q, quiver::Error::User(_))),
                None => ("user.invalid_input", None, true),
            };
            let text = match hint(code, field) {
                Some(h) => format!("{}; {h}", message(&e)),
                None => message(&e),
            };
            if json {
                #[derive(Serialize)]
                struct ErrorBody<'a> {
                    code: &'a str,
                    message: String,
                }
                let body = serde_json::json!({ "error": ErrorBody { code, message: text } });
                eprintln!("{body}");
            } else {
                eprintln!("quiver: {text}");
            }
            // 2 is for what the user asked; a write the disk refused is a failure of the
            // command (1), like any failed write, so scripts never take it for success.
            let refused_write = matches!(code, "user.disk_full" | "user.read_only");
            ExitCode::from(if user && !refused_write { 2 } else { 1 })
        }
    }
}

/// What to run next, for the core's errors whose messages cannot name CLI syntax (the
/// app shows them too).
fn hint(code: &str, field: Option<&str>) -> Option<&'static str> {
    Some(match (code, field) {
        ("user.invalid_value", Some("rep")) => "set yours with `quiver rep set --name NAME`",
        ("user.invalid_value", Some("reason" | "code")) => "see `quiver reasons list`",
        ("user.invalid_value", Some("query-id")) => {
            "`quiver search --json` gives a search's query_id"
        }
        ("user.invalid_value", Some("csv")) => "map a column with --map COLUMN=FIELD",
        ("user.invalid_value", Some("by")) => "--by works with the reasons and messaging reports",
        (code, _) => match code {
            "user.no_data_dir" => {
                "check --data-dir or QUIVER_DATA_DIR; to start one, `quiver library add FOLDER` or `quiver demo`"
            }
            "user.data_dir_in_use" => "give `--data-dir` a new folder to try the demo",
            "user.no_such_asset" => "`quiver search --json` gives asset ids",
            "user.no_such_deal" => "see `quiver deal list`",
            "user.not_in_library" => "see `quiver library list`",
            _ => return None,
        },
    })
}

/// The error and its causes, each once: a cause that its parent's text already quotes
/// (`catalog database: database is locked`) is not said again.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

impl Command {
    /// Whether the command puts something in the data dir that can start one: a
    /// folder, a name, deals, events, a taxonomy. The others only read, and refuse to
    /// create a data dir from a mistyped path (an empty `events export` would pass for
    /// a backup).
    fn sets_up(&self) -> bool {
        use capture::{EventsCommand, RepCommand};
        use deals::{DealCommand, ReasonsCommand};
        match self {
            Command::Library(LibraryCommand::Add { .. })
            | Command::Rep(RepCommand::Set { .. })
            | Command::Events(EventsCommand::Import { .. })
            | Command::Demo { action: None, .. } => true,
            Command::Reasons(r) => !matches!(
                r,
                ReasonsCommand::List { .. }
                    | ReasonsCommand::Map(deals::MapCommand::List)
                    | ReasonsCommand::Export { .. }
                    | ReasonsCommand::Find { .. }
            ),
            Command::Deal(d) => match d.as_ref() {
                DealCommand::Record { .. } => true,
                DealCommand::Import { dry_run, .. } => !dry_run,
                DealCommand::Edit { .. }
                | DealCommand::Show { .. }
                | DealCommand::List
                | DealCommand::Find { .. }
                | DealCommand::Prepare { .. } => false,
            },
            _ => false,
        }
    }
}

fn open(cli: &Cli, now: chrono::DateTime<Utc>) -> anyhow::Result<DataDir> {
    let dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => quiver_os::default_data_dir()
            .context("no home directory to keep Quiver's data in: pass --data-dir")?,
    };
    Ok(if cli.command.sets_up() {
        DataDir::open(&dir, now)?
    } else {
        DataDir::open_existing(&dir, now)?
    })
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    let now = Utc::now();
    let caller = Caller::new(now, quiver_os::login_name(), Surface::Cli);
    // What describes the CLI itself needs no data dir.
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "quiver",
                &mut std::io::stdout(),
            );
            return Ok(());
        }
        Command::ManPage => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            return Ok(());
        }
        _ => {}
    }
    let mut dd = open(&cli, now)?;
    match cli.command {
        Command::Completions { .. } | Command::ManPage => {}
        Command::Library(LibraryCommand::Add { paths }) => {
            let added = quiver::library::add(&dd.catalog, &paths, now)?;
            if json {
                return print_json(&added);
            }
            for a in &added {
                match a.status {
                    "added" => println!("added {}", a.path),
                    "already" => println!("{} is already in the library", a.path),
                    _ => println!(
                        "{} is inside {}, already in the library",
                        a.path,
                        a.covered_by.as_deref().unwrap_or("?")
                    ),
                }
            }
            println!("run `quiver index` to read its files");
        }
        Command::Library(LibraryCommand::List) => {
            let roots = dd.catalog.roots()?;
            if json {
                return print_json(&roots);
            }
            if roots.is_empty() {
                println!("the library is empty: add a folder with `quiver library add PATH`");
            }
            for r in roots {
                println!("{}", r.display());
            }
        }
        Command::Library(LibraryCommand::Remove { path }) => {
            let removed = quiver::library::remove(&dd.catalog, &path)?;
            if json {
                return print_json(&serde_json::json!({ "removed": removed }));
            }
            println!(
                "removed {}; run `quiver index` to take its files out of search",
                removed.display()
            );
        }
        Command::Index => {
            let worker = WorkerCommand::current_exe().context("locating the quiver executable")?;
            let bar = (!json && std::io::stderr().is_terminal()).then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:30} {pos}/{len} files  {per_sec}  {wide_msg}",
                    )
                    .expect("valid template"),
                );
                bar
            });
            let mut on_progress = |p: Progress| {
                if let Some(bar) = &bar {
                    match p {
                        Progress::Planned { to_read } => bar.set_length(to_read as u64),
                        Progress::Read { path } => {
                            bar.inc(1);
                            bar.set_message(path.display().to_string());
                        }
                        Progress::Finished => bar.finish_and_clear(),
                    }
                }
            };
            let report = indexer::run(&mut dd, &worker, now, &mut on_progress)?;
            if json {
                return print_json(&report);
            }
            render::index_report(&report);
        }
        Command::Search(args) => {
            let mut filters = Vec::new();
            for f in &args.filters {
                let (k, v) = f
                    .split_once('=')
                    .with_context(|| format!("--filter {f:?} is not FIELD=VALUE"))?;
                filters.push((k.to_owned(), v.to_owned()));
            }
            let input = SearchInput {
                query: args.query,
                filters,
                limit: args.limit.into(),
                facets: args.facets,
                record: !args.no_record,
            };
            let out = ops::search(&mut dd, &caller, input)?;
            if out.index_rebuilt {
                eprintln!("the search index was damaged and has been rebuilt from the catalog");
            }
            if json {
                return print_json(&out);
            }
            let (results, facets) = (&out.results, &out.facets);
            render::search_results(results, std::io::stdout().is_terminal());
            if results.hits.is_empty() {
                let counts = dd.catalog.counts()?;
                if dd.catalog.roots()?.is_empty() {
                    println!(
                        "the library is empty: add a folder with `quiver library add PATH`, then run `quiver index`"
                    );
                } else if counts.pending_index > 0 || counts.assets + counts.problems == 0 {
                    println!("files in the library are not indexed yet: run `quiver index`");
                } else if dd.index.num_docs()? == 0 {
                    println!("nothing in the library could be indexed: see `quiver problems`");
                }
            }
            if let Some(f) = facets {
                render::facets(f);
            }
        }
        Command::Asset(AssetCommand::Show { id }) => {
            let id = dd.catalog.resolve_asset(&id)?;
            let detail = dd.catalog.asset_detail(&id)?;
            if json {
                return print_json(&detail);
            }
            render::asset(&detail);
        }
        Command::Asset(AssetCommand::Usage { id, from, to }) => {
            let page = ops::asset_page(&dd, &caller, &id, from, to)?;
            if json {
                return print_json(&page);
            }
            render::asset(&page.detail);
            render::activity(&page.activity);
        }
        Command::Asset(AssetCommand::Set { id, assignments }) => {
            let mut fields = Vec::new();
            for a in &assignments {
                let (k, v) = a
                    .split_once('=')
                    .with_context(|| format!("{a:?} is not FIELD=VALUE"))?;
                fields.push((k.to_owned(), v.to_owned()));
            }
            let set = ops::set_asset_fields(&mut dd, &id, &fields)?;
            if json {
                return print_json(&set);
            }
            println!(
                "{}",
                if set.search_updated {
                    "saved"
                } else {
                    "saved; the running index job will update search"
                }
            );
            render::asset(&set.detail);
        }
        Command::Status => {
            let status = ops::status(&dd, &caller)?;
            if json {
                return print_json(&status);
            }
            render::status(&status);
        }
        Command::Rep(cmd) => capture::rep(&dd, cmd, json)?,
        Command::Open(args) => capture::open(&dd, &caller, args, json)?,
        Command::Events(cmd) => capture::events(&mut dd, &caller, cmd, json)?,
        Command::Reasons(cmd) => deals::reasons(&mut dd, &caller, cmd, json)?,
        Command::Deal(cmd) => deals::deal(&mut dd, &caller, *cmd, json)?,
        Command::Report(args) => insights::report(&dd, &caller, args, json)?,
        Command::Demo {
            action: Some(DemoCommand::Remove),
            ..
        } => {
            let removed = ops::remove_demo(&mut dd, &caller)?;
            if json {
                return print_json(&removed);
            }
            println!(
                "removed the sample library {} with {} assets, {} events and {} deals",
                removed.library.display(),
                removed.assets,
                removed.events,
                removed.deals
            );
        }
        Command::Demo {
            seed,
            size,
            action: None,
        } => {
            let size = match size.as_str() {
                "small" => quiver::demo::Size::Small,
                "large" => quiver::demo::Size::Large,
                other => anyhow::bail!("--size {other:?} is not small or large"),
            };
            let worker = WorkerCommand::current_exe().context("locating the quiver executable")?;
            let summary = quiver::demo::populate(&mut dd, &worker, seed, size, now)?;
            if json {
                return print_json(&summary);
            }
            println!(
                "demo data in {}: {} assets, {} reps, {} events, {} deals",
                dd.root.display(),
                summary.assets,
                summary.reps,
                summary.events,
                summary.deals
            );
            println!("planted signals to look for:");
            for s in summary.signals {
                println!("  - {s}");
            }
            println!(
                "try: quiver --data-dir {} report reasons --by size",
                dd.root.display()
            );
        }
        Command::Backup { dest } => {
            let done = ops::backup(&dd, &dest)?;
            if json {
                return print_json(&done);
            }
            println!(
                "backed up the catalog ({} KiB){} to {}; the search index is rebuilt from it when the copy is first opened",
                done.catalog_bytes >> 10,
                if done.config { " and config.toml" } else { "" },
                done.dest.display()
            );
        }
        Command::Doctor { repair } => {
            let c = ops::doctor(&mut dd, repair)?;
            if json {
                print_json(&c)?;
            } else {
                render::checkup(&c);
            }
            if !c.healthy {
                // Exit 1, like a failed check in any tool: nothing about the arguments.
                return Err(quiver::Error::Internal(
                    if repair {
                        "the data dir is not healthy after repair"
                    } else {
                        "the data dir is not healthy (`quiver doctor --repair` rebuilds the index)"
                    }
                    .into(),
                )
                .into());
            }
        }
        Command::Problems => {
            let problems = dd.catalog.problems()?;
            if json {
                return print_json(&problems);
            }
            render::problems(&problems);
        }
    }
    Ok(())
}
