//! `cargo xtask bench`: each part measures, then rewrites its section of BENCHMARKS.md.

use std::path::Path;
use std::process::Command;

use crate::{Result, apt_install, cargo, desktop, have, peers, root, scale, setup, sh};

/// Median of a hyperfine run, in seconds.
fn hyperfine(args: &[&str], export: &Path) -> std::result::Result<f64, String> {
    let mut c = Command::new("hyperfine");
    c.args(["--style", "basic", "--export-json"])
        .arg(export)
        .args(args);
    sh(&mut c)?;
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    json["results"][0]["median"]
        .as_f64()
        .ok_or_else(|| "no median in hyperfine output".into())
}

/// `cargo xtask bench [corpus|peers|growth|scale|app]...`: every part when none is named.
pub fn run(parts: &[String]) -> Result {
    let all = ["corpus", "peers", "growth", "scale", "app"];
    if let Some(bad) = parts.iter().find(|p| !all.contains(&p.as_str())) {
        return Err(format!(
            "unknown bench part {bad:?} (parts: {})",
            all.join(", ")
        ));
    }
    setup()?;
    install(&[
        ("command -v hyperfine", "hyperfine"),
        ("test -x /usr/bin/time", "time"),
    ])?;
    sh(cargo().args(["build", "--release", "--bin", "quiver"]))?;
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    if wanted("corpus") {
        mark();
        corpus()?;
    }
    if wanted("peers") {
        mark();
        peers::run()?;
    }
    if wanted("growth") {
        mark();
        peers::growth()?;
    }
    if wanted("scale") {
        mark();
        scale::run()?;
    }
    if wanted("app") {
        mark();
        desktop::run()?;
    }
    Ok(())
}

/// Installs the Debian packages of `(shell check, package)` pairs whose check fails.
pub(crate) fn install(packages: &[(&str, &str)]) -> Result {
    let mut needed: Vec<&str> = packages
        .iter()
        .filter(|(check, _)| !have(check))
        .map(|(_, pkg)| *pkg)
        .collect();
    needed.dedup();
    if needed.is_empty() {
        Ok(())
    } else {
        apt_install(&needed)
    }
}

/// The median of a list (sorted here).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    percentile(values, 0.5)
}

/// The `q` quantile of a list (sorted here), nearest rank.
pub(crate) fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// The date, core count and machine speed every table names. The speed after one
/// table is the speed before the next.
pub(crate) fn stamp() -> (String, String) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let after = speed();
    let before = MARK
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(after)
        .map_or_else(String::new, |ms| format!("{ms:.0} ms before, "));
    let machine = format!(
        "{cores} cores (machine speed: a fixed loop on every core took {before}{after:.0} ms after)"
    );
    (date, machine)
}

/// The machine's [`speed`] at the start of the measurements [`stamp`] describes next.
static MARK: std::sync::Mutex<Option<f64>> = std::sync::Mutex::new(None);

/// Starts the measurements the next [`stamp`] describes.
pub(crate) fn mark() {
    *MARK.lock().unwrap_or_else(|p| p.into_inner()) = Some(speed());
}

/// Milliseconds a fixed integer loop takes on every core at once. This machine is a
/// shared virtual one whose speed drifts by up to 2x within hours, with little steal
/// time showing (another guest on a sibling hyperthread), so a table is read against
/// the speed it was measured at.
fn speed() -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs: Vec<f64> = (0..3)
        .map(|_| {
            let started = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..cores {
                    s.spawn(|| {
                        let mut x = 1u64;
                        for i in 0..20_000_000u64 {
                            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005) ^ i);
                        }
                    });
                }
            });
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// Indexing and search on the corpus, capture, and the reports at scale.
fn corpus() -> Result {
    let quiver = root().join("target/release/quiver");
    let corpus = root()
        .join("../shared/corpus")
        .canonicalize()
        .map_err(|e| format!("../shared/corpus: {e}"))?;
    let work = root().join("target/bench");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let data = work.join("data");
    let (q, d, c) = (
        quiver.display().to_string(),
        data.display().to_string(),
        corpus.display().to_string(),
    );
    let prepare = format!("rm -rf {d} && {q} --data-dir {d} library add {c} >/dev/null");
    let full = hyperfine(
        &[
            "--runs",
            "5",
            "--prepare",
            &prepare,
            &format!("{q} --data-dir {d} index --json"),
        ],
        &work.join("full.json"),
    )?;
    let rss_out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg("sh")
        .arg("-c")
        .arg(format!(
            "{prepare} && {q} --data-dir {d} index --json >/dev/null"
        ))
        .output()
        .map_err(|e| e.to_string())?;
    let rss_kb: f64 = String::from_utf8_lossy(&rss_out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0.0);
    let status: serde_json::Value = serde_json::from_slice(
        &Command::new(&quiver)
            .args(["--data-dir", &d, "--json", "status"])
            .output()
            .map_err(|e| e.to_string())?
            .stdout,
    )
    .map_err(|e| e.to_string())?;
    let files =
        status["files"].as_f64().unwrap_or(0.0) + status["problems"].as_f64().unwrap_or(0.0);
    let (_, bytes) = walk(&corpus);
    let unchanged = hyperfine(
        &[
            "--runs",
            "10",
            "--warmup",
            "1",
            &format!("{q} --data-dir {d} index --json"),
        ],
        &work.join("unchanged.json"),
    )?;
    let out = cargo()
        .args(["bench", "--quiet", "--bench", "search", "--"])
        .arg(&data)
        .arg(corpus.join("probes.tsv"))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "search bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let (date, machine) = stamp();
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench` (release build), over the whole\n`../shared/corpus` ({files:.0} files, {:.1} MB, reference extractions included).\n\n| what | median |\n|---|---|\n",
        bytes as f64 / 1e6
    );
    table += &format!(
        "| full index (fresh data dir, 5 runs) | {:.2} s: {:.0} files/s, {:.1} MB/s |\n",
        full,
        files / full,
        bytes as f64 / 1e6 / full
    );
    table += &format!(
        "| peak RSS of a full index (largest process) | {:.0} MB |\n",
        rss_kb / 1024.0
    );
    table += &format!(
        "| re-index, nothing changed (10 runs) | {:.0} ms |\n",
        unchanged * 1000.0
    );
    table += "\nSearch latency in process (`benches/search.rs`: query, ranking, snippets, catalog lookups; 10 hits), over the probe phrases of `probes.tsv`:\n\n| query kind | queries | p50 | p99 |\n|---|---|---|---|\n";
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(ms) = row["ms"].as_f64() {
            table += &format!(
                "| {} (opening the data dir: {:.1} ms) | 1 | {ms:.2} ms | |\n",
                row["kind"].as_str().unwrap_or(""),
                row["open_ms"].as_f64().unwrap_or(0.0)
            );
        } else {
            table += &format!(
                "| {} | {} | {:.2} ms | {:.2} ms |\n",
                row["kind"].as_str().unwrap_or(""),
                row["queries"],
                row["p50_ms"].as_f64().unwrap_or(0.0),
                row["p99_ms"].as_f64().unwrap_or(0.0)
            );
        }
    }
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "core", &table)?;

    let out = cargo()
        .args(["bench", "--quiet", "--bench", "capture", "--"])
        .arg(&data)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "capture bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let (date, machine) = stamp();
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench` (`benches/capture.rs`, in process, on a scratch copy of the corpus catalog).\n\n| what | figure |\n|---|---|\n"
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let kind = row["kind"].as_str().unwrap_or("");
        if let Some(p50) = row["p50_ms"].as_f64() {
            table += &format!(
                "| one acknowledged open (resolve, warn, insert, fsync; {} opens) | median {p50:.2} ms, p99 {:.2} ms |\n",
                row["n"],
                row["p99_ms"].as_f64().unwrap_or(0.0)
            );
        } else {
            table += &format!(
                "| {kind} of {} rows | {:.1} s: {:.0} rows/s |\n",
                row["n"],
                row["secs"].as_f64().unwrap_or(0.0),
                row["per_sec"].as_f64().unwrap_or(0.0)
            );
        }
    }
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "capture", &table)?;

    let out = cargo()
        .args(["bench", "--quiet", "--bench", "reports", "--"])
        .arg(&quiver)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "reports bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let (date, machine) = stamp();
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench` (`benches/reports.rs`, in process): 10,000 generated assets, 1,000,000 events over a year (400 reps, skewed usage), 100,000 deals; a 90-day window; median of 5 runs. Setup: {}.\n\n| report | median | max | target 100 ms |\n|---|---|---|---|\n",
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("indexed") || l.starts_with("imported"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let median = row["median_ms"].as_f64().unwrap_or(0.0);
        table += &format!(
            "| {} | {median:.0} ms | {:.0} ms | {} |\n",
            row["report"].as_str().unwrap_or(""),
            row["max_ms"].as_f64().unwrap_or(0.0),
            if median <= 100.0 { "met" } else { "**missed**" }
        );
    }
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "insights", &table)
}

/// Files under `dir` and their bytes, all levels down.
pub(crate) fn walk(dir: &Path) -> (usize, u64) {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => walk(&e.path()),
            Ok(_) => (1, e.metadata().map_or(0, |m| m.len())),
            Err(_) => (0, 0),
        })
        .fold((0, 0), |(f, b), (g, c)| (f + g, b + c))
}

/// Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.
pub(crate) fn replace_section(file: &Path, name: &str, body: &str) -> Result {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (open, close) = (
        format!("<!-- bench:{name} -->"),
        format!("<!-- /bench:{name} -->"),
    );
    let (Some(a), Some(b)) = (text.find(&open), text.find(&close)) else {
        return Err(format!(
            "{} has no {open} … {close} section",
            file.display()
        ));
    };
    let new = format!("{}{open}\n{body}{}", &text[..a], &text[b..]);
    std::fs::write(file, new).map_err(|e| e.to_string())
}
