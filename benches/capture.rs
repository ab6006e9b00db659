//! Capture throughput and latency: one acknowledged open (plan, record, fsync), bulk
//! NDJSON event import, and deal CSV import.
//!
//! `cargo bench --bench capture -- DATA_DIR` on a data dir indexed from the corpus
//! (`cargo xtask bench` makes one). Works on a scratch copy of its catalog; prints
//! JSON lines.

use std::fmt::Write as _;
use std::io::{BufReader, Write};
use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use quiver::capture::{self, OpenRequest, Surface, exchange};
use quiver::datadir::DataDir;
use quiver::deals::import;

const OPENS: usize = 2000;
const EVENTS: usize = 1_000_000;
const DEALS: usize = 100_000;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(source) = args.first() else {
        eprintln!("usage: cargo bench --bench capture -- DATA_DIR");
        std::process::exit(2);
    };
    let scratch = tempfile::tempdir().expect("scratch dir");
    // The WAL holds the latest commits until a checkpoint: a copy takes both.
    for file in ["catalog.sqlite3", "catalog.sqlite3-wal"] {
        let from = Path::new(source).join(file);
        if from.exists() {
            std::fs::copy(&from, scratch.path().join(file)).expect("copy the catalog");
        }
    }
    let now = Utc::now();
    let mut dd = DataDir::open(scratch.path(), now).expect("data dir");
    let assets = dd.catalog.present_assets().expect("asset ids");
    assert!(!assets.is_empty(), "the data dir must hold indexed assets");

    // One acknowledged open: resolve, warn, insert, commit (fsync).
    let mut times = Vec::with_capacity(OPENS);
    for i in 0..OPENS {
        let target = &assets[i % assets.len()];
        let t = Instant::now();
        let req = OpenRequest {
            target: target.clone(),
            preview: false,
            deal_id: None,
            query_id: None,
            location: None,
            surface: Surface::Cli,
        };
        let plan = capture::plan_open(&dd.catalog, &req, "2026-01-01").expect("plan");
        capture::record_open(&dd.catalog, &req, plan, None, "bench", now).expect("record");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{{\"kind\":\"open\",\"n\":{OPENS},\"p50_ms\":{:.3},\"p99_ms\":{:.3}}}",
        pct(0.5),
        pct(0.99)
    );

    // 1M events as NDJSON.
    let file = scratch.path().join("events.ndjson");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        for i in 0..EVENTS {
            let id = uuid::Uuid::now_v7();
            if i % 3 == 0 {
                writeln!(w, "{{\"id\":\"{id}\",\"kind\":\"search\",\"at\":\"2026-03-01T10:00:00Z\",\"rep\":\"rep{}\",\"query\":\"pricing {}\",\"result_count\":{}}}", i % 40, i % 500, i % 7).unwrap();
            } else {
                writeln!(w, "{{\"id\":\"{id}\",\"kind\":\"open\",\"at\":\"2026-03-01T10:00:00Z\",\"rep\":\"rep{}\",\"asset_id\":\"{}\"}}", i % 40, assets[i % assets.len()]).unwrap();
            }
        }
    }
    let t = Instant::now();
    let report = exchange::import(
        &mut dd.catalog,
        &mut BufReader::new(std::fs::File::open(&file).unwrap()),
        now,
    )
    .expect("import");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.imported, EVENTS, "every event imports");
    println!(
        "{{\"kind\":\"ndjson import\",\"n\":{EVENTS},\"secs\":{secs:.2},\"per_sec\":{:.0}}}",
        EVENTS as f64 / secs
    );

    // 100k deals in Quiver's CSV format.
    let codes = [
        "PRICE.TOO_HIGH",
        "COMPETITION.CHEAPER",
        "TIMING.NO_BUDGET",
        "IMPLEMENTATION.TOO_LONG",
        "Product fit",
    ];
    let mut csv = String::from(
        "deal_id,name,account,rep,outcome,close_date,amount,currency,competitor,stage,industry,size,region,primary_reason,secondary_reasons,notes\n",
    );
    for i in 0..DEALS {
        let won = i % 3 == 0;
        let primary = if won { "VALUE.ROI_CLEAR" } else { codes[i % 4] };
        let _ = writeln!(
            csv,
            "D{i},Deal {i},Account {},rep{},{},2025-{:02}-{:02},{},USD,{},{},{},{},{},{primary},{},said something",
            i % 5000,
            i % 40,
            if won { "won" } else { "lost" },
            i % 12 + 1,
            i % 28 + 1,
            1000 + i % 90000,
            if won { "" } else { "Acmeworks" },
            ["discovery", "demo", "proposal", "negotiation"][i % 4],
            ["retail", "software", "health"][i % 3],
            ["smb", "mid-market", "enterprise"][i % 3],
            ["na", "emea", "apac"][i % 3],
            codes[(i + 1) % 4]
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
    let t = Instant::now();
    let report = import::import(&mut dd.catalog, &csv, &opts, now).expect("deal import");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(
        report.created,
        DEALS,
        "every deal imports: {:?}",
        report.failed.first()
    );
    println!(
        "{{\"kind\":\"deal csv import\",\"n\":{DEALS},\"secs\":{secs:.2},\"per_sec\":{:.0}}}",
        DEALS as f64 / secs
    );
}
