//! Quiver against the tools a user would pick instead, on the same documents, on the
//! same machine, in the same run: Recoll (Xapian desktop search) and ripgrep-all.
//! The peers are measured, never depended on: Recoll comes from Debian, rga is
//! `cargo install`ed into a cache folder outside the repo.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::bench::{install, median, percentile, replace_section, stamp, walk};
use crate::{Result, cargo, root, sh};

const RGA_VERSION: &str = "0.10.10";
/// The corpus's document folders (its `reference/` extractions are not documents).
const FOLDERS: [&str; 7] = ["docx", "html", "md", "pdf", "pptx", "txt", "xlsx"];
const INDEX_RUNS: usize = 5;
const UNCHANGED_RUNS: usize = 5;
const QUERY_PHRASES: usize = 50;
const QUERY_RUNS: usize = 5;
/// Results each tool may return for a probe: the right file must be among them.
const RESULT_LIMIT: &str = "100";

/// Where the peers and their data live: outside the repo, kept between runs.
pub(crate) fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("quiver-bench")
}

/// One timed run of a whole process.
pub(crate) struct Run {
    pub(crate) secs: f64,
    pub(crate) rss_mb: f64,
    pub(crate) stdout: String,
}

/// Runs `cmd` to the end: wall time, output, and peak RSS (of the largest process in
/// its tree, from GNU time) when `rss` is set.
pub(crate) fn measure(cmd: &[String], env_path: &str, rss: bool) -> Result<Run> {
    let rss_file = std::env::temp_dir().join(format!("quiver-bench-rss-{}", std::process::id()));
    let mut c = if rss {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M", "-o"]).arg(&rss_file).args(cmd);
        c
    } else {
        let mut c = Command::new(&cmd[0]);
        c.args(&cmd[1..]);
        c
    };
    c.env("PATH", env_path).stdin(Stdio::null());
    let started = Instant::now();
    let out = c
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cmd[0]))?;
    let secs = started.elapsed().as_secs_f64();
    // 1 is grep's "no match"; anything else is a failed run, whose time means nothing.
    if out.status.code().is_none_or(|c| c > 1) {
        eprintln!(
            "bench: warning: {} exited with {}: {}",
            cmd.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
    }
    let rss_mb = if rss {
        std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse::<f64>().ok()))
            .map_or(0.0, |kb| kb / 1024.0)
    } else {
        0.0
    };
    Ok(Run {
        secs,
        rss_mb,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// The command line for a phrase.
type PhraseCommand = Box<dyn Fn(&str) -> Vec<String>>;

/// A search tool as this benchmark drives it.
struct Tool {
    name: String,
    /// Makes a fresh, empty index (runs before each full-index run).
    reset: Box<dyn Fn() -> Result>,
    /// Indexes the corpus (or, for rga, fills its cache).
    index: Vec<String>,
    /// The command a user types for a phrase.
    query: PhraseCommand,
    /// The same, listing files only, up to [`RESULT_LIMIT`].
    list: PhraseCommand,
    /// Paths of the files a `list` output names.
    paths: fn(&str) -> Vec<String>,
}

struct Figures {
    full: f64,
    full_rss: f64,
    unchanged: f64,
    recall: (usize, usize),
    query_median: f64,
    query_p95: f64,
    query_rss: f64,
}

/// Installs the peers when missing; the rga binary and the PATH every tool runs with.
fn peers() -> Result<(PathBuf, String)> {
    install(&[
        ("command -v recollindex", "recollcmd"),
        ("/usr/bin/python3 -c 'import recoll'", "python3-recoll"),
        ("/usr/bin/python3 -c 'import lxml'", "python3-lxml"),
        ("command -v xsltproc", "xsltproc"),
        ("command -v pdftotext", "poppler-utils"),
        ("command -v pandoc", "pandoc"),
        ("command -v rg", "ripgrep"),
        ("test -x /usr/bin/time", "time"),
    ])?;
    let cache = cache_dir();
    let rga = cache.join("rga/bin/rga");
    if !rga.is_file() {
        eprintln!(
            "bench: installing ripgrep-all {RGA_VERSION} (cargo install, into {}; a peer to measure, not a dependency)",
            cache.join("rga").display()
        );
        sh(cargo()
            .args([
                "install",
                "ripgrep_all",
                "--locked",
                "--version",
                RGA_VERSION,
                "--root",
            ])
            .arg(cache.join("rga")))?;
    }
    // Recoll's filters are Python scripts that need Debian's python3 (with its lxml),
    // not whatever python3 comes first on this PATH; rga finds its rga-preproc there.
    let env_path = format!(
        "{}:/usr/bin:/bin:{}",
        cache.join("rga/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Ok((rga, env_path))
}

pub fn run() -> Result {
    let (rga, env_path) = peers()?;
    let cache = cache_dir();
    let work = cache.join("peers");
    let corpus = work.join("corpus");
    let shared = root()
        .join("../shared/corpus")
        .canonicalize()
        .map_err(|e| format!("../shared/corpus: {e}"))?;
    eprintln!(
        "bench: a fresh copy of the corpus's documents in {}",
        corpus.display()
    );
    copy_documents(&shared, &corpus)?;
    let corpus = corpus.canonicalize().map_err(|e| e.to_string())?;
    let files: usize = FOLDERS
        .iter()
        .map(|f| std::fs::read_dir(corpus.join(f)).map_or(0, |d| d.count()))
        .sum();
    let (_, bytes) = walk(&corpus);
    let probes = read_probes(&shared)?;

    let quiver = root().join("target/release/quiver").display().to_string();
    let tools = tools(
        &quiver,
        &rga.display().to_string(),
        &env_path,
        &corpus,
        &work,
    );

    let query_set = spread(&probes, QUERY_PHRASES);
    let mut figures = Vec::new();
    let full_runs = full_index(&tools, &env_path, INDEX_RUNS)?;
    for (tool, (mut full, full_rss)) in tools.iter().zip(full_runs) {
        eprintln!("bench: {}: re-index, nothing changed", tool.name);
        let mut unchanged = reindex_times(tool, &env_path, UNCHANGED_RUNS)?;
        eprintln!("bench: {}: recall over {} probes", tool.name, probes.len());
        let mut found = 0;
        for (rel, phrase) in &probes {
            let target = corpus.join(rel).display().to_string();
            let out = measure(&(tool.list)(phrase), &env_path, false)?;
            if (tool.paths)(&out.stdout).contains(&target) {
                found += 1;
            }
        }
        eprintln!(
            "bench: {}: {QUERY_PHRASES} phrases, {QUERY_RUNS} runs each",
            tool.name
        );
        let (mut per_phrase, query_rss) = phrase_times(tool, &env_path, &query_set, QUERY_RUNS)?;
        figures.push(Figures {
            full: median(&mut full),
            full_rss,
            unchanged: median(&mut unchanged),
            recall: (found, probes.len()),
            query_median: median(&mut per_phrase.clone()),
            query_p95: percentile(&mut per_phrase, 0.95),
            query_rss,
        });
    }

    let (date, machine) = stamp();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench peers`, on a fresh copy of the corpus's documents ({files} files in {}, {:.1} MB; no reference extractions). Medians; each tool in its default configuration; the full index runs go in rounds of one run per tool, so that the machine's drift shifts all three alike.\n\n| | {} | {} | {} | Quiver vs Recoll | Quiver vs rga |\n|---|---|---|---|---|---|\n",
        FOLDERS.join(", "),
        bytes as f64 / 1e6,
        names[0],
        names[1],
        names[2],
    );
    let (q, r, g) = (&figures[0], &figures[1], &figures[2]);
    let faster = |ours: f64, theirs: f64| {
        if ours <= theirs {
            format!("{:.1}x faster", theirs / ours)
        } else {
            format!("**{:.1}x slower**", ours / theirs)
        }
    };
    let row = |what: &str, f: &dyn Fn(&Figures) -> f64, unit: &str, scale: f64, ratio: bool| {
        let cell = |x: &Figures| {
            format!(
                "{:.prec$} {unit}",
                f(x) * scale,
                prec = if f(x) * scale < 10.0 { 2 } else { 0 }
            )
        };
        let (vr, vg) = if ratio {
            (faster(f(q), f(r)), faster(f(q), f(g)))
        } else {
            (
                format!("{:.2}x the memory", f(q) / f(r)),
                format!("{:.2}x the memory", f(q) / f(g)),
            )
        };
        format!(
            "| {what} | {} | {} | {} | {vr} | {vg} |\n",
            cell(q),
            cell(r),
            cell(g)
        )
    };
    table += &row(
        &format!("full index ({INDEX_RUNS} runs; rga: first run filling its cache)"),
        &|f| f.full,
        "s",
        1.0,
        true,
    );
    table += &row(
        &format!("re-index, nothing changed ({UNCHANGED_RUNS} runs)"),
        &|f| f.unchanged,
        "ms",
        1000.0,
        true,
    );
    table += &row(
        "peak RSS while indexing (the largest process of each tool's tree)",
        &|f| f.full_rss,
        "MB",
        1.0,
        false,
    );
    let recall = |f: &Figures| {
        format!(
            "{}/{} = {:.1} %",
            f.recall.0,
            f.recall.1,
            100.0 * f.recall.0 as f64 / f.recall.1 as f64
        )
    };
    table += &format!(
        "| probe recall (right file among the first {RESULT_LIMIT}) | {} | {} | {} | {:+} probes | {:+} probes |\n",
        recall(q),
        recall(r),
        recall(g),
        q.recall.0 as i64 - r.recall.0 as i64,
        q.recall.0 as i64 - g.recall.0 as i64
    );
    table += &row(
        &format!("phrase query, whole process, median of {QUERY_PHRASES} phrases"),
        &|f| f.query_median,
        "ms",
        1000.0,
        true,
    );
    table += &row(
        &format!("phrase query, whole process, p95 of {QUERY_PHRASES} phrases"),
        &|f| f.query_p95,
        "ms",
        1000.0,
        true,
    );
    table += &row("peak RSS of a query", &|f| f.query_rss, "MB", 1.0, false);
    table += &format!(
        "\nCommands, per tool: index `quiver index` (after `quiver library add`), `recollindex -c CONF` (a `recoll.conf` of its own with `topdirs` the copy), `rga --rga-cache-path=CACHE -l -i qzxjvwkpoe DIR` on an empty cache; query `quiver search '\"PHRASE\"'`, `recollq -c CONF '\"PHRASE\"'`, `rga -U -i -e 'WORD\\s+WORD…' DIR` (multiline, so rga also finds phrases across line breaks); recall through the same with `--json --limit {RESULT_LIMIT}`, `-b -n {RESULT_LIMIT}` and `-l`. Each query's time is the median of {QUERY_RUNS} runs after one warm-up run; the page cache is warm.\n"
    );
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "peers", &table)
}

/// `runs` full index runs, each from a fresh index: their times, and the peak RSS.
/// `runs` full index runs of each tool, in rounds of one run per tool: the machine's
/// speed drifts over minutes, and a drift then shifts every tool's figures alike
/// instead of the ratios between them. Each tool's times and peak RSS.
fn full_index(tools: &[Tool], env_path: &str, runs: usize) -> Result<Vec<(Vec<f64>, f64)>> {
    let mut out: Vec<(Vec<f64>, f64)> = tools.iter().map(|_| (Vec::new(), 0.0)).collect();
    for round in 1..=runs {
        for (tool, (times, rss)) in tools.iter().zip(&mut out) {
            eprintln!("bench: full index, round {round} of {runs}: {}", tool.name);
            (tool.reset)()?;
            let r = measure(&tool.index, env_path, true)?;
            times.push(r.secs);
            *rss = rss.max(r.rss_mb);
        }
    }
    Ok(out)
}

/// `runs` index runs over an index that is up to date.
fn reindex_times(tool: &Tool, env_path: &str, runs: usize) -> Result<Vec<f64>> {
    (0..runs)
        .map(|_| Ok(measure(&tool.index, env_path, false)?.secs))
        .collect()
}

/// Each phrase's median time over `runs` queries after a warm-up (which measures the
/// peak RSS of a query).
fn phrase_times(
    tool: &Tool,
    env_path: &str,
    phrases: &[&str],
    runs: usize,
) -> Result<(Vec<f64>, f64)> {
    let mut per_phrase = Vec::new();
    let mut rss: f64 = 0.0;
    for phrase in phrases {
        let cmd = (tool.query)(phrase);
        rss = rss.max(measure(&cmd, env_path, true)?.rss_mb);
        let mut times = Vec::new();
        for _ in 0..runs {
            times.push(measure(&cmd, env_path, false)?.secs);
        }
        per_phrase.push(median(&mut times));
    }
    Ok((per_phrase, rss))
}

/// `probes.tsv`: (file, phrase) pairs.
fn read_probes(shared: &Path) -> Result<Vec<(String, String)>> {
    Ok(std::fs::read_to_string(shared.join("probes.tsv"))
        .map_err(|e| format!("probes.tsv: {e}"))?
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_owned(), cols.next()?.to_owned()))
        })
        .collect())
}

/// `n` phrases spread over the probes (which are grouped by file).
fn spread(probes: &[(String, String)], n: usize) -> Vec<&str> {
    (0..n)
        .map(|i| probes[i * probes.len() / n].1.as_str())
        .collect()
}

/// Growth runs per figure: the ten-copy corpus takes rga minutes per run.
const GROWTH_RUNS: usize = 3;
/// rga reads every cached text per query (seconds at ten copies): fewer phrases.
const GROWTH_RGA_PHRASES: usize = 10;

struct Growth {
    full: f64,
    full_rss: f64,
    unchanged: f64,
    query_median: f64,
}

/// `cargo xtask bench growth`: the corpus's documents once and copied ten times under
/// different folder names, every tool on both, in the same run.
pub fn growth() -> Result {
    let (rga, env_path) = peers()?;
    let work = cache_dir().join("growth");
    let shared = root()
        .join("../shared/corpus")
        .canonicalize()
        .map_err(|e| format!("../shared/corpus: {e}"))?;
    let probes = read_probes(&shared)?;
    let quiver = root().join("target/release/quiver").display().to_string();
    let mut sizes = Vec::new();
    let mut figures: Vec<Vec<Growth>> = Vec::new();
    for copies in [1, 10] {
        let corpus = work.join(format!("x{copies}"));
        eprintln!(
            "bench: {copies} copies of the corpus's documents in {}",
            corpus.display()
        );
        remove(&corpus)?;
        for i in 1..=copies {
            copy_documents(&shared, &corpus.join(format!("copy-{i:02}")))?;
        }
        let corpus = corpus.canonicalize().map_err(|e| e.to_string())?;
        sizes.push(walk(&corpus));
        let tools = tools(
            &quiver,
            &rga.display().to_string(),
            &env_path,
            &corpus,
            &work.join(format!("x{copies}-data")),
        );
        let mut per_tool = Vec::new();
        let full_runs = full_index(&tools, &env_path, GROWTH_RUNS)?;
        for (tool, (mut full, full_rss)) in tools.iter().zip(full_runs) {
            let mut unchanged = reindex_times(tool, &env_path, GROWTH_RUNS)?;
            let (phrases, runs) = if tool.name.starts_with("rga") {
                (GROWTH_RGA_PHRASES, 1)
            } else {
                (QUERY_PHRASES, GROWTH_RUNS)
            };
            eprintln!("bench: {} on {copies} copies: {phrases} phrases", tool.name);
            let (mut per_phrase, _) =
                phrase_times(tool, &env_path, &spread(&probes, phrases), runs)?;
            per_tool.push(Growth {
                full: median(&mut full),
                full_rss,
                unchanged: median(&mut unchanged),
                query_median: median(&mut per_phrase),
            });
        }
        figures.push(per_tool);
    }

    let (date, machine) = stamp();
    let names = ["Quiver", "Recoll", "rga"];
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench growth`: the corpus's documents once ({} files, {:.1} MB) and ten times ({} files, {:.1} MB, folders `copy-01` to `copy-10`). Each cell: one copy, then ten copies, and the growth factor. Medians of {GROWTH_RUNS} runs.\n\n| | {} | {} | {} | Quiver vs Recoll, ten copies |\n|---|---|---|---|---|\n",
        sizes[0].0,
        sizes[0].1 as f64 / 1e6,
        sizes[1].0,
        sizes[1].1 as f64 / 1e6,
        names[0],
        names[1],
        names[2],
    );
    let (one, ten) = (&figures[0], &figures[1]);
    let row = |what: &str, f: &dyn Fn(&Growth) -> f64, unit: &str, scale: f64, vs: &str| {
        let value = |x: f64| {
            let x = x * scale;
            format!("{x:.prec$} {unit}", prec = if x < 10.0 { 2 } else { 0 })
        };
        let cells: Vec<String> = (0..3)
            .map(|t| {
                format!(
                    "{} → {} (×{:.1})",
                    value(f(&one[t])),
                    value(f(&ten[t])),
                    f(&ten[t]) / f(&one[t])
                )
            })
            .collect();
        format!(
            "| {what} | {} | {} | {} | {vs} |\n",
            cells[0], cells[1], cells[2]
        )
    };
    let times = |f: &dyn Fn(&Growth) -> f64| {
        let (q, r) = (f(&ten[0]), f(&ten[1]));
        if q <= r {
            format!("{:.1}x faster", r / q)
        } else {
            format!("**{:.1}x slower**", q / r)
        }
    };
    table += &row("full index", &|g| g.full, "s", 1.0, &times(&|g| g.full));
    table += &row(
        "re-index, nothing changed",
        &|g| g.unchanged,
        "ms",
        1000.0,
        &times(&|g| g.unchanged),
    );
    table += &row(
        &format!(
            "phrase query, whole process, median over {QUERY_PHRASES} phrases (rga: {GROWTH_RGA_PHRASES}, one run each)"
        ),
        &|g| g.query_median,
        "ms",
        1000.0,
        &times(&|g| g.query_median),
    );
    table += &row(
        "peak RSS while indexing (largest process)",
        &|g| g.full_rss,
        "MB",
        1.0,
        &format!("{:.2}x the memory", ten[0].full_rss / ten[1].full_rss),
    );
    table += "\nThe copies are byte for byte the same files, and Quiver's catalog knows a file by its bytes: it reads each distinct file once and records the other nine as locations of the same asset (a search shows one hit with its other paths), so its ten-copy run hashes 10x the bytes but extracts no more. Recoll and rga read every file. The 100,000-document scale run below measures growth with distinct documents.\n";
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "growth", &table)
}

/// The three tools on `corpus`, each keeping its index under `work`.
fn tools(quiver: &str, rga: &str, env_path: &str, corpus: &Path, work: &Path) -> Vec<Tool> {
    let quiver = quiver.to_owned();
    let data = work.join("quiver-data").display().to_string();
    let corpus_s = corpus.display().to_string();
    let recoll_conf = work.join("recoll");
    let conf_s = recoll_conf.display().to_string();
    let rga_cache = format!("--rga-cache-path={}", work.join("rga-cache").display());
    let rga_s = rga.to_owned();

    vec![
        Tool {
            name: "Quiver".into(),
            reset: {
                let (quiver, data, corpus) = (quiver.clone(), data.clone(), corpus_s.clone());
                Box::new(move || {
                    remove(Path::new(&data))?;
                    let out = Command::new(&quiver)
                        .args(["--data-dir", &data, "library", "add", &corpus])
                        .output()
                        .map_err(|e| e.to_string())?;
                    if out.status.success() {
                        Ok(())
                    } else {
                        Err(format!(
                            "quiver library add: {}",
                            String::from_utf8_lossy(&out.stderr)
                        ))
                    }
                })
            },
            index: strings(&[&quiver, "--data-dir", &data, "index"]),
            query: {
                let (quiver, data) = (quiver.clone(), data.clone());
                Box::new(move |p| {
                    strings(&[&quiver, "--data-dir", &data, "search", &format!("\"{p}\"")])
                })
            },
            list: {
                let (quiver, data) = (quiver.clone(), data.clone());
                Box::new(move |p| {
                    strings(&[
                        &quiver,
                        "--data-dir",
                        &data,
                        "search",
                        "--no-record",
                        "--json",
                        "--limit",
                        RESULT_LIMIT,
                        &format!("\"{p}\""),
                    ])
                })
            },
            paths: |out| {
                let json: serde_json::Value = serde_json::from_str(out).unwrap_or_default();
                json["hits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|h| {
                        let mut p = vec![h["path"].as_str().unwrap_or("").to_owned()];
                        p.extend(
                            h["also_at"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|a| a.as_str().map(str::to_owned)),
                        );
                        p
                    })
                    .collect()
            },
        },
        Tool {
            name: format!("Recoll {}", version(&["recollq", "-v"], env_path)),
            reset: {
                let (conf, corpus) = (recoll_conf.clone(), corpus_s.clone());
                Box::new(move || {
                    remove(&conf)?;
                    std::fs::create_dir_all(&conf).map_err(|e| e.to_string())?;
                    std::fs::write(
                        conf.join("recoll.conf"),
                        format!("topdirs = {corpus}\nloglevel = 1\n"),
                    )
                    .map_err(|e| e.to_string())
                })
            },
            index: strings(&["recollindex", "-c", &conf_s]),
            query: {
                let conf = conf_s.clone();
                Box::new(move |p| strings(&["recollq", "-c", &conf, &format!("\"{p}\"")]))
            },
            list: {
                let conf = conf_s.clone();
                Box::new(move |p| {
                    strings(&[
                        "recollq",
                        "-c",
                        &conf,
                        "-b",
                        "-n",
                        RESULT_LIMIT,
                        &format!("\"{p}\""),
                    ])
                })
            },
            paths: |out| {
                out.lines()
                    .filter_map(|l| l.trim().strip_prefix("file://").map(str::to_owned))
                    .collect()
            },
        },
        Tool {
            name: format!("rga {}", version(&[&rga_s, "--version"], env_path)),
            reset: {
                let dir = work.join("rga-cache");
                Box::new(move || remove(&dir))
            },
            // A pattern found nowhere: rga's first run reads every file into its cache.
            index: strings(&[&rga_s, &rga_cache, "-l", "-i", "qzxjvwkpoe", &corpus_s]),
            query: {
                let (rga, cache, corpus) = (rga_s.clone(), rga_cache.clone(), corpus_s.clone());
                Box::new(move |p| strings(&[&rga, &cache, "-U", "-i", "-e", &spaced(p), &corpus]))
            },
            list: {
                let (rga, cache, corpus) = (rga_s.clone(), rga_cache.clone(), corpus_s.clone());
                Box::new(move |p| {
                    strings(&[&rga, &cache, "-l", "-U", "-i", "-e", &spaced(p), &corpus])
                })
            },
            paths: |out| out.lines().map(str::to_owned).collect(),
        },
    ]
}

/// A phrase as a regex that allows any whitespace, line breaks included, between words.
fn spaced(phrase: &str) -> String {
    phrase
        .split_whitespace()
        .map(|w| {
            w.chars()
                .map(|c| {
                    if !r"\.+*?()|[]{}^$#&-~".contains(c) {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(r"\s+")
}

fn version(cmd: &[&str], env_path: &str) -> String {
    Command::new(cmd[0])
        .args(&cmd[1..])
        .env("PATH", env_path)
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let first = text.lines().next().unwrap_or("").to_owned();
            first
                .split_whitespace()
                .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

/// A fresh copy of the corpus's document folders in `dest`.
fn copy_documents(shared: &Path, dest: &Path) -> Result {
    remove(dest)?;
    std::fs::create_dir_all(dest).map_err(|e| e.to_string())?;
    for folder in FOLDERS {
        sh(Command::new("cp")
            .arg("-r")
            .arg(shared.join(folder))
            .arg(dest))?;
    }
    Ok(())
}

fn remove(path: &Path) -> Result {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", path.display())),
    }
}
