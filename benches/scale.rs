//! Search at the size of a large company's library: a synthetic set of documents in
//! business English, then in-process query latency per query kind.
//!
//! `cargo bench --bench scale -- generate DIR N` writes N documents under DIR (Markdown,
//! text and HTML in 100 folders; a few hundred words to about 30 pages each).
//! `cargo bench --bench scale -- query DATA_DIR` runs every query kind against a data
//! dir that has indexed DIR, after dropping the page cache when allowed, and prints one
//! JSON line per kind. `cargo xtask bench scale` runs both, with `quiver index` between.
//!
//! The text is drawn from a seeded generator: Zipf-distributed words (function words,
//! a business vocabulary, a long tail of product and company names) with stock
//! business phrases mixed in, so term frequencies, phrase matches, prefix and typo
//! expansions behave like a real library's.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use quiver::datadir::DataDir;
use quiver::search::{self, Request};

const FUNCTION: &str = "the of and to a in for is on that with as by this are be it at from or an will can your our we you their has have more all which not its than also each how new into when"; // Zipf head

const BUSINESS: &str = "pricing discount renewal contract revenue margin forecast pipeline quota \
customer prospect account buyer champion stakeholder procurement budget approval \
security compliance audit encryption privacy governance risk policy certification \
integration platform cloud deployment migration onboarding implementation rollout \
support service uptime availability reliability performance latency scalability \
analytics dashboard report insight metric benchmark kpi visibility automation workflow \
ledger reconciliation invoice billing payment subscription license seat tier bundle \
finance controller treasury accounting close variance consolidation expense spend \
sales marketing enablement collateral battlecard datasheet webinar campaign playbook \
competitor alternative comparison differentiation advantage objection evaluation trial \
pilot proof value roi payback savings efficiency productivity adoption retention churn \
expansion upsell crosssell partner reseller channel alliance ecosystem marketplace \
enterprise midmarket smallbusiness industry healthcare banking insurance retail \
manufacturing logistics education government telecom energy pharmaceutical \
executive director manager administrator analyst engineer architect operator \
quarter annual monthly weekly timeline milestone roadmap release feature capability \
requirement specification architecture api connector sdk mobile desktop browser \
identity access authentication authorization provisioning directory tenant region \
backup recovery continuity incident response monitoring alerting logging telemetry \
warehouse dataset pipeline transformation quality lineage catalog schema model \
training certification documentation community success advocacy reference testimonial \
negotiation terms legal liability indemnity warranty sla penalty credit escalation \
strategy initiative transformation modernization consolidation standardization \
outcome impact result improvement reduction increase growth acceleration cost";

/// Stock phrases: what phrase queries look for.
const PHRASES: [&str; 40] = [
    "total cost of ownership",
    "single sign on",
    "quarterly business review",
    "net revenue retention",
    "time to value",
    "return on investment",
    "service level agreement",
    "data processing addendum",
    "role based access control",
    "customer success manager",
    "annual recurring revenue",
    "request for proposal",
    "mutual action plan",
    "proof of concept",
    "executive sponsor",
    "security questionnaire",
    "volume discount schedule",
    "multi year commitment",
    "implementation partner network",
    "general data protection regulation",
    "disaster recovery plan",
    "month end close",
    "accounts payable automation",
    "cash flow forecast",
    "competitive displacement",
    "usage based pricing",
    "professional services estimate",
    "reference customer call",
    "win loss analysis",
    "buying committee",
    "procurement review board",
    "open api platform",
    "audit trail export",
    "seat ramp schedule",
    "price increase cap",
    "premium support tier",
    "dedicated success engineer",
    "regional data residency",
    "contract renewal date",
    "pilot success criteria",
];

const FOLDERS: usize = 100;
const NAMES: usize = 30_000;
const SEED: u64 = 20_261_122;

struct Vocab {
    function: Vec<&'static str>,
    business: Vec<&'static str>,
    names: Vec<String>,
    zipf_function: Vec<f64>,
    zipf_business: Vec<f64>,
    zipf_names: Vec<f64>,
}

fn cumulative(n: usize, s: f64) -> Vec<f64> {
    let mut acc = 0.0;
    let mut out: Vec<f64> = (0..n)
        .map(|r| {
            acc += 1.0 / ((r + 1) as f64).powf(s);
            acc
        })
        .collect();
    for v in &mut out {
        *v /= acc;
    }
    out
}

impl Vocab {
    fn new() -> Vocab {
        let mut rng = fastrand::Rng::with_seed(SEED);
        let onsets = [
            "b", "br", "c", "cr", "d", "dr", "f", "g", "gr", "k", "l", "m", "n", "p", "pr", "qu",
            "r", "s", "st", "t", "tr", "v", "z",
        ];
        let vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io"];
        let codas = ["", "n", "r", "x", "s", "l", "m", "nt", "rk", "ve"];
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::with_capacity(NAMES);
        while names.len() < NAMES {
            let mut name = String::new();
            for _ in 0..rng.usize(2..=3) {
                name += onsets[rng.usize(..onsets.len())];
                name += vowels[rng.usize(..vowels.len())];
            }
            name += codas[rng.usize(..codas.len())];
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        let function: Vec<&str> = FUNCTION.split_whitespace().collect();
        let business: Vec<&str> = BUSINESS.split_whitespace().collect();
        Vocab {
            zipf_function: cumulative(function.len(), 1.0),
            zipf_business: cumulative(business.len(), 0.9),
            zipf_names: cumulative(names.len(), 1.1),
            function,
            business,
            names,
        }
    }

    fn pick(cdf: &[f64], rng: &mut fastrand::Rng) -> usize {
        let x = rng.f64();
        cdf.partition_point(|&c| c < x).min(cdf.len() - 1)
    }

    fn word(&self, rng: &mut fastrand::Rng) -> &str {
        match rng.u8(..100) {
            0..45 => self.function[Self::pick(&self.zipf_function, rng)],
            45..95 => self.business[Self::pick(&self.zipf_business, rng)],
            _ => &self.names[Self::pick(&self.zipf_names, rng)],
        }
    }

    fn sentence(&self, rng: &mut fastrand::Rng, out: &mut String) -> usize {
        let n = rng.usize(6..=22);
        let phrase_at = (rng.u8(..100) < 15).then(|| rng.usize(..n));
        let mut words = 0;
        for i in 0..n {
            let w = if phrase_at == Some(i) {
                PHRASES[rng.usize(..PHRASES.len())]
            } else {
                self.word(rng)
            };
            if i == 0 {
                let mut c = w.chars();
                if let Some(first) = c.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(w);
            }
            words += w.split(' ').count();
        }
        out.push_str(". ");
        words
    }
}

/// Writes `n` documents under `dir`; returns their total size in bytes.
fn generate(dir: &Path, n: usize) -> u64 {
    let vocab = Vocab::new();
    let mut rng = fastrand::Rng::with_seed(SEED + 1);
    let mut bytes = 0u64;
    for f in 0..FOLDERS {
        std::fs::create_dir_all(dir.join(folder_name(f))).expect("create folder");
    }
    for i in 0..n {
        // 300 to 15,000 words, most of them short: 300 * 50^(u^3).
        let u = rng.f64();
        let target = (300.0 * 50f64.powf(u * u * u)) as usize;
        let title = format!(
            "{} {} {}",
            vocab.names[Vocab::pick(&vocab.zipf_names, &mut rng)],
            vocab.business[rng.usize(..vocab.business.len())],
            [
                "datasheet",
                "case study",
                "battlecard",
                "brief",
                "guide",
                "faq"
            ][rng.usize(..6)]
        );
        let ext = ["md", "md", "txt", "html"][rng.usize(..4)];
        let mut body = String::with_capacity(target * 8);
        let mut words = 0;
        let mut section = 0;
        while words < target {
            section += 1;
            let heading = format!(
                "{} {}",
                vocab.business[rng.usize(..vocab.business.len())],
                section
            );
            let mut para = String::new();
            for _ in 0..rng.usize(3..=8) {
                words += vocab.sentence(&mut rng, &mut para);
            }
            match ext {
                "md" => {
                    let _ = write!(body, "## {heading}\n\n{para}\n\n");
                }
                "html" => {
                    let _ = write!(body, "<h2>{heading}</h2>\n<p>{para}</p>\n");
                }
                _ => {
                    let _ = write!(body, "{heading}\n\n{para}\n\n");
                }
            }
        }
        let text = match ext {
            "md" => format!("# {title}\n\n{body}"),
            "html" => format!(
                "<!doctype html>\n<html><head><title>{title}</title></head><body>\n<h1>{title}</h1>\n{body}</body></html>\n"
            ),
            _ => format!("{title}\n\n{body}"),
        };
        let path = dir
            .join(folder_name(i % FOLDERS))
            .join(format!("doc-{i:06}.{ext}"));
        std::fs::write(&path, &text).expect("write document");
        bytes += text.len() as u64;
    }
    bytes
}

fn folder_name(i: usize) -> String {
    const REGIONS: [&str; 4] = ["americas", "emea", "apac", "global"];
    format!("{}/line-{:02}", REGIONS[i % 4], i / 4)
}

type Query = (String, Vec<(String, String)>);

/// The queries of each kind, drawn from the generator's vocabulary.
fn queries() -> Vec<(&'static str, Vec<Query>)> {
    let vocab = Vocab::new();
    let mut rng = fastrand::Rng::with_seed(SEED + 2);
    let n = 200;
    let long: Vec<&str> = vocab
        .business
        .iter()
        .copied()
        .filter(|w| w.len() >= 6)
        .collect();
    let word = |rng: &mut fastrand::Rng| -> String {
        // Mostly business words (frequent to rare), sometimes a product name.
        if rng.u8(..100) < 80 {
            vocab.business[rng.usize(..vocab.business.len())].to_owned()
        } else {
            vocab.names[rng.usize(..2000)].clone()
        }
    };
    let none = Vec::new;
    // A trailing space: a finished word, not one being typed (which is a prefix).
    let term = (0..n)
        .map(|_| (format!("{} ", word(&mut rng)), none()))
        .collect();
    let words = (0..n)
        .map(|_| (format!("{} {} ", word(&mut rng), word(&mut rng)), none()))
        .collect();
    let phrase = (0..n)
        .map(|_| {
            (
                format!("\"{}\"", PHRASES[rng.usize(..PHRASES.len())]),
                none(),
            )
        })
        .collect();
    let prefix = (0..n)
        .map(|_| {
            let w = long[rng.usize(..long.len())];
            let keep = rng.usize(2..w.len());
            (w[..keep].to_owned(), none())
        })
        .collect();
    let fuzzy = (0..n)
        .map(|_| {
            let w = long[rng.usize(..long.len())];
            let cut = rng.usize(1..w.len());
            (format!("{}{} ", &w[..cut], &w[cut + 1..]), none())
        })
        .collect();
    let filtered = (0..n)
        .map(|i| {
            let filter = if i % 2 == 0 {
                (
                    "format".to_owned(),
                    ["markdown", "text", "html"][i % 3].to_owned(),
                )
            } else {
                ("folder".to_owned(), folder_name(rng.usize(..FOLDERS)))
            };
            (format!("{} ", word(&mut rng)), vec![filter])
        })
        .collect();
    vec![
        ("term", term),
        ("two words", words),
        ("phrase", phrase),
        ("prefix (typing)", prefix),
        ("fuzzy (one typo)", fuzzy),
        ("filtered", filtered),
    ]
}

fn query(dir: &Path, only: Option<&str>) {
    // The first query after open, from a cold page cache when the OS lets us drop it.
    let _ = std::process::Command::new("sync").status();
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    let run = |dd: &DataDir, (query, filters): &Query| {
        let req = Request {
            query: query.clone(),
            filters: filters.clone(),
            limit: 10,
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        };
        let t = Instant::now();
        let r = search::search(&dd.index, &dd.catalog, &req).expect("search");
        (t.elapsed().as_secs_f64() * 1000.0, r.total)
    };
    let kinds = queries();
    let opened = Instant::now();
    let dd = DataDir::open(dir, chrono::Utc::now()).expect("data dir opens");
    let open_ms = opened.elapsed().as_secs_f64() * 1000.0;
    let (cold, _) = run(&dd, &kinds[0].1[0]);
    println!(
        "{{\"kind\":\"first query after open\",\"ms\":{cold:.2},\"open_ms\":{open_ms:.2},\"page_cache_dropped\":{dropped}}}"
    );
    for (kind, list) in kinds
        .iter()
        .filter(|(k, _)| only.is_none_or(|o| k.starts_with(o)))
    {
        let mut times = Vec::new();
        let mut hits = 0;
        // One warm-up pass, then three measured ones.
        for round in 0..4 {
            for q in list {
                let (ms, total) = run(&dd, q);
                if round > 0 {
                    times.push(ms);
                    hits += usize::from(total > 0);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        let (example, filters) = &list[0];
        let example = match filters.first() {
            Some((field, value)) => format!("{} --filter {field}={value}", example.trim_end()),
            None => example.clone(),
        };
        println!(
            "{}",
            serde_json::json!({
                "kind": kind,
                "example": example,
                "queries": times.len(),
                "with_hits": hits,
                "p50_ms": pct(0.5),
                "p99_ms": pct(0.99),
                "max_ms": pct(1.0),
            })
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate", dir, n] => {
            let n: usize = n.parse().expect("N is a number");
            let t = Instant::now();
            let bytes = generate(Path::new(dir), n);
            println!(
                "{{\"documents\":{n},\"bytes\":{bytes},\"secs\":{:.1}}}",
                t.elapsed().as_secs_f64()
            );
        }
        ["query", dir] => query(Path::new(dir), None),
        // One kind only, for profiling.
        ["query", dir, kind] => query(Path::new(dir), Some(kind)),
        _ => {
            eprintln!("usage: cargo bench --bench scale -- generate DIR N | query DATA_DIR [KIND]");
            std::process::exit(2);
        }
    }
}
