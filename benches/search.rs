//! In-process search latency, measured the way the CLI and the app call it
//! (`search::search`, snippets and catalog lookups included), per query kind.
//!
//! `cargo bench --bench search -- DATA_DIR PROBES_TSV` on a data dir indexed from the
//! corpus; prints one JSON line per kind with p50 and p99 in milliseconds, and the
//! slowest queries of each kind (what to profile next).

use std::path::Path;
use std::time::Instant;

use quiver::datadir::DataDir;
use quiver::search::{self, Request};

const ROUNDS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(dir), Some(probes)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --bench search -- DATA_DIR PROBES_TSV");
        std::process::exit(2);
    };
    let opened = Instant::now();
    let dd = DataDir::open(Path::new(dir), chrono::Utc::now()).expect("data dir opens");
    let phrases: Vec<String> = std::fs::read_to_string(probes)
        .expect("probes.tsv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .filter(|p| p.is_ascii() && p.len() >= 6)
        .collect();
    let run = |query: String, filters: Vec<(String, String)>| {
        let req = Request {
            query,
            filters,
            limit: 10,
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        };
        let t = Instant::now();
        let r = search::search(&dd.index, &dd.catalog, &req).expect("search");
        (t.elapsed().as_secs_f64() * 1000.0, r.total)
    };
    let (cold, _) = run(phrases[0].clone(), Vec::new());
    println!(
        "{{\"kind\":\"first query after open\",\"ms\":{:.2},\"open_ms\":{:.2}}}",
        cold,
        opened.elapsed().as_secs_f64() * 1000.0 - cold
    );
    let word = |p: &str| {
        p.split_whitespace()
            .max_by_key(|w| w.len())
            .unwrap_or(p)
            .to_lowercase()
    };
    type MakeQuery = Box<dyn Fn(&str) -> (String, Vec<(String, String)>)>;
    let kinds: Vec<(&str, MakeQuery)> = vec![
        ("term", Box::new(move |p| (word(p), vec![]))),
        ("phrase", Box::new(|p| (format!("\"{p}\""), vec![]))),
        (
            "prefix",
            Box::new(move |p| {
                let w = word(p);
                let keep = (w.len() * 2 / 3).max(2);
                (w[..keep].to_owned(), vec![])
            }),
        ),
        (
            "fuzzy",
            Box::new(move |p| {
                // Drop one letter from the middle: a one-edit typo with no exact match.
                let w = word(p);
                let mid = w.len() / 2;
                (format!("{}{} ", &w[..mid], &w[mid + 1..]), vec![])
            }),
        ),
        (
            "filtered",
            Box::new(move |p| (word(p), vec![("format".to_owned(), "pdf".to_owned())])),
        ),
    ];
    for (kind, make) in &kinds {
        let mut times = Vec::new();
        let mut hits = 0;
        let mut slowest: Vec<(f64, String)> = Vec::new();
        for _ in 0..ROUNDS {
            for p in &phrases {
                let (q, f) = make(p);
                let (ms, total) = run(q.clone(), f);
                times.push(ms);
                hits += usize::from(total > 0);
                slowest.push((ms, q));
            }
        }
        times.sort_by(f64::total_cmp);
        slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut shown = std::collections::HashSet::new();
        let slowest: Vec<String> = slowest
            .iter()
            .filter(|(_, q)| shown.insert(q.clone()))
            .take(3)
            .map(|(ms, q)| format!("{{\"query\":{q:?},\"ms\":{ms:.2}}}"))
            .collect();
        let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{{\"kind\":\"{kind}\",\"queries\":{},\"with_hits\":{hits},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"slowest\":[{}]}}",
            times.len(),
            pct(0.5),
            pct(0.99),
            slowest.join(",")
        );
    }
}
