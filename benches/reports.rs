//! Every report at scale: 10k assets, 1M events, 100k deals, median of 5 runs each.
//!
//! `cargo bench --bench reports -- QUIVER_BINARY [DIR]` (`cargo xtask bench` runs it).
//! The library is generated in DIR (default: a temp dir) and indexed with the given
//! `quiver` binary as the extraction worker; events and deals go in through the same
//! imports users use. A DIR that already holds the data is reused as it is.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{Duration, Utc};
use quiver::capture::exchange;
use quiver::datadir::DataDir;
use quiver::deals::import;
use quiver::extract::pool::{WORKER_ARG, WorkerCommand};
use quiver::insights::{self, By, Options};

const ASSETS: usize = 10_000;
const EVENTS: usize = 1_000_000;
const DEALS: usize = 100_000;
const REPS: usize = 400;
const RUNS: usize = 5;

const WORDS: [&str; 24] = [
    "pricing",
    "discount",
    "renewal",
    "roi",
    "payback",
    "security",
    "compliance",
    "integration",
    "onboarding",
    "forecast",
    "ledger",
    "reconciliation",
    "controller",
    "audit",
    "close",
    "variance",
    "budget",
    "contract",
    "enterprise",
    "timeline",
    "migration",
    "support",
    "dashboard",
    "approval",
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(bin) = args.first() else {
        eprintln!("usage: cargo bench --bench reports -- PATH_TO_QUIVER");
        std::process::exit(2);
    };
    let temp = tempfile::tempdir().expect("temp dir");
    let work_path = args
        .get(1)
        .map_or_else(|| temp.path().to_owned(), PathBuf::from);
    let now = Utc::now();
    if work_path.join("data/catalog.sqlite3").exists() {
        let dd = DataDir::open(&work_path.join("data"), now).expect("data dir");
        run_reports(&dd, now);
        return;
    }
    let lib = work_path.join("library");
    let mut rng = fastrand::Rng::with_seed(11);
    for i in 0..ASSETS {
        let dir = lib.join(format!("folder{:02}", i % 40));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = format!("# Asset {i}\n\n");
        for _ in 0..rng.usize(150..600) {
            text.push_str(WORDS[rng.usize(..WORDS.len())]);
            text.push(' ');
        }
        std::fs::write(dir.join(format!("asset-{i:05}.md")), text).unwrap();
    }
    let mut dd = DataDir::open(&work_path.join("data"), now).expect("data dir");
    quiver::library::add(&dd.catalog, &[lib], now).unwrap();
    let worker = WorkerCommand {
        program: PathBuf::from(bin),
        args: vec![WORKER_ARG.to_owned()],
    };
    let t = Instant::now();
    quiver::indexer::run(&mut dd, &worker, now, &mut |_| {}).expect("index");
    eprintln!(
        "indexed {ASSETS} assets in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    dd.catalog
        .backdate_assets(&(now - Duration::days(400)).to_rfc3339())
        .unwrap();
    let assets = dd.catalog.present_assets().unwrap();

    // Usage is skewed, as in real libraries: 40% of assets take the opens, a few most.
    let hot = ASSETS * 4 / 10;
    let file = work_path.join("events.ndjson");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    let start = now - Duration::days(365);
    for i in 0..EVENTS {
        let rep = rng.usize(..REPS);
        let at = (start + Duration::minutes(rng.i64(0..365 * 24 * 60))).to_rfc3339();
        if i % 4 == 0 {
            let q = format!(
                "{} {}",
                WORDS[rng.usize(..WORDS.len())],
                WORDS[rng.usize(..WORDS.len())]
            );
            writeln!(w, r#"{{"id":"e{i}","kind":"search","at":"{at}","rep":"rep{rep}","query":"{q}","result_count":{}}}"#, rng.usize(0..30)).unwrap();
        } else {
            let a = &assets[((rng.f64() * rng.f64()) * hot as f64) as usize];
            let deal = if i % 5 == 0 {
                format!(r#","deal_id":"D{}""#, rng.usize(..DEALS))
            } else {
                String::new()
            };
            writeln!(w, r#"{{"id":"e{i}","kind":"open","at":"{at}","rep":"rep{rep}","asset_id":"{a}"{deal}}}"#).unwrap();
        }
    }
    w.flush().unwrap();
    drop(w);
    let t = Instant::now();
    let r = exchange::import(
        &mut dd.catalog,
        &mut std::io::BufReader::new(std::fs::File::open(&file).unwrap()),
        now,
    )
    .unwrap();
    assert_eq!(r.imported, EVENTS);
    eprintln!(
        "imported {EVENTS} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let codes = [
        "PRICE.TOO_HIGH",
        "COMPETITION.CHEAPER",
        "TIMING.NO_BUDGET",
        "IMPLEMENTATION.TOO_LONG",
        "PRODUCT.MISSING_FEATURE",
    ];
    let mut csv = String::from(
        "deal_id,name,account,rep,outcome,close_date,amount,currency,competitor,stage,industry,size,region,primary_reason,secondary_reasons,notes\n",
    );
    for i in 0..DEALS {
        let won = rng.f64() < 0.35;
        let close = (start + Duration::days(rng.i64(0..365))).format("%Y-%m-%d");
        let _ = writeln!(
            csv,
            "D{i},Deal {i},Acct {},rep{},{},{close},{},USD,{},{},{},{},{},{},{},{}",
            rng.usize(..20_000),
            rng.usize(..REPS),
            if won { "won" } else { "lost" },
            rng.usize(1000..90_000),
            if won {
                ""
            } else {
                ["Acmeworks", "Northpeak"][rng.usize(..2)]
            },
            ["discovery", "demo", "proposal", "negotiation"][rng.usize(..4)],
            ["retail", "software", "health", "logistics"][rng.usize(..4)],
            ["smb", "mid-market", "enterprise"][rng.usize(..3)],
            ["na", "emea", "apac"][rng.usize(..3)],
            if won {
                "VALUE.ROI_CLEAR"
            } else {
                codes[rng.usize(..codes.len())]
            },
            if rng.bool() { "PRODUCT.FIT" } else { "" },
            if rng.bool() {
                "quoted from the close call"
            } else {
                ""
            },
        );
    }
    let stages: Vec<String> = quiver::deals::DEFAULT_STAGES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let opts = import::Options {
        map: vec![],
        dry_run: false,
        stages: &stages,
        today: now.date_naive(),
        by: "bench",
        unknown_as_other: false,
        map_values: vec![],
    };
    let r = import::import(&mut dd.catalog, &csv, &opts, now).unwrap();
    assert_eq!(r.created, DEALS, "{:?}", r.failed.first());

    run_reports(&dd, now);
}

fn run_reports(dd: &DataDir, now: chrono::DateTime<Utc>) {
    let mut base = Options::new(now.date_naive());
    base.from = Some((now - Duration::days(90)).date_naive());
    for name in insights::ReportName::ALL {
        let mut opts = base.clone();
        if name.splits() {
            opts.by = Some(By::Size);
        }
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            let report = insights::run(&dd.catalog, &dd.index, name, &opts).expect("report");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!report.tables.is_empty());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"report\":\"{name}\",\"median_ms\":{:.1},\"max_ms\":{:.1}}}",
            times[RUNS / 2],
            times[RUNS - 1]
        );
    }
}
