//! Compares Rust PDF text extractors on the shared corpus; see README.md.
//!
//! The parent process re-executes itself (`__extract EXTRACTOR FILE`) once per extraction,
//! so that a panic, hang or out-of-memory in an extractor is counted instead of fatal.
//! The child reports on stdout: a header line, then the extracted text.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs, thread};

const EXTRACTORS: [&str; 4] = ["pdfium-render", "pdf_oxide", "pdf-extract", "lopdf"];
const ROOT: &str = env!("CARGO_PKG_NAME");
/// Ok results scoring below this are listed among the notable failures.
const LOW_F1: f64 = 0.5;
const MEMORY_LIMIT: u64 = 2 << 30;

struct Config {
    corpus: PathBuf,
    pdfium: PathBuf,
    runs: usize,
    timeout: Duration,
    dump: Option<PathBuf>,
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__extract") {
        child(&args[1], Path::new(&args[2]), Path::new(&args[3]));
    }
    let mut cfg = Config {
        corpus: PathBuf::from("../../../shared/corpus"),
        pdfium: env::var_os("PDFIUM_LIB")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../../target/pdfium/libpdfium.so")),
        runs: 3,
        timeout: Duration::from_secs(20),
        dump: None,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--pdfium" => cfg.pdfium = PathBuf::from(value()),
            "--runs" => cfg.runs = value().parse().unwrap_or_else(|_| usage("bad --runs")),
            "--timeout" => {
                cfg.timeout =
                    Duration::from_secs(value().parse().unwrap_or_else(|_| usage("bad --timeout")))
            }
            "--dump" => cfg.dump = Some(PathBuf::from(value())),
            "-h" | "--help" => usage(""),
            a if !a.starts_with('-') => cfg.corpus = PathBuf::from(a),
            a => usage(&format!("unknown option {a}")),
        }
    }
    // The child runs with the same working directory, but make the path robust anyway.
    cfg.pdfium = fs::canonicalize(&cfg.pdfium)
        .unwrap_or_else(|e| usage(&format!("PDFium library {}: {e}", cfg.pdfium.display())));
    run(&cfg);
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: pdf-extractors-bench [CORPUS_DIR] [--pdfium LIB] [--runs N] [--timeout SECS] [--dump DIR]\n\
         CORPUS_DIR defaults to ../../../shared/corpus; LIB to $PDFIUM_LIB or ../../target/pdfium/libpdfium.so"
    );
    std::process::exit(2)
}

// ---------------------------------------------------------------- child side

#[derive(Default)]
struct Extracted {
    text: String,
    page_errors: usize,
    first_page_error: Option<String>,
}

fn child(extractor: &str, file: &Path, pdfium_lib: &Path) -> ! {
    let limit = libc::rlimit {
        rlim_cur: MEMORY_LIMIT,
        rlim_max: MEMORY_LIMIT,
    };
    // SAFETY: plain syscall on a valid struct.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    let bytes = fs::read(file).expect("read input");
    let pdfium = (extractor == "pdfium-render").then(|| {
        pdfium_render::prelude::Pdfium::new(
            pdfium_render::prelude::Pdfium::bind_to_library(pdfium_lib).expect("bind libpdfium"),
        )
    });
    // Timed from opening the document to the last page's text.
    let start = Instant::now();
    let result = match extractor {
        "pdfium-render" => with_pdfium(pdfium.as_ref().unwrap(), &bytes),
        "pdf_oxide" => with_pdf_oxide(bytes),
        "pdf-extract" => with_pdf_extract(&bytes),
        "lopdf" => with_lopdf(&bytes),
        other => panic!("unknown extractor {other}"),
    };
    let nanos = start.elapsed().as_nanos();
    let mut out = std::io::stdout().lock();
    match result {
        Ok(x) => {
            let first = x.first_page_error.unwrap_or_default().replace('\n', " ");
            write!(out, "OK {nanos} {}\n{first}\n{}", x.page_errors, x.text)
        }
        Err(e) => write!(out, "ERR {nanos} 0\n{}\n", e.replace('\n', " ")),
    }
    .expect("write stdout");
    out.flush().ok();
    std::process::exit(0)
}

/// Joins per-page results; a failing page is skipped (and counted), the rest kept.
fn collect_pages(pages: impl Iterator<Item = Result<String, String>>) -> Result<Extracted, String> {
    let (mut x, mut n) = (Extracted::default(), 0);
    for page in pages {
        n += 1;
        match page {
            Ok(t) => {
                x.text.push_str(&t);
                x.text.push('\n');
            }
            Err(e) => {
                x.page_errors += 1;
                x.first_page_error.get_or_insert(format!("page {n}: {e}"));
            }
        }
    }
    if n > 0 && x.page_errors == n {
        return Err(format!(
            "all {n} pages failed; {}",
            x.first_page_error.unwrap()
        ));
    }
    Ok(x)
}

fn with_pdfium(pdfium: &pdfium_render::prelude::Pdfium, bytes: &[u8]) -> Result<Extracted, String> {
    let doc = pdfium
        .load_pdf_from_byte_slice(bytes, None)
        .map_err(|e| format!("{e:?}"))?;
    // What Quiver ships: the bounding box keeps text that `all()` clips on rotated pages.
    collect_pages(doc.pages().iter().map(|page| {
        let text = page.text().map_err(|e| format!("{e:?}"))?;
        let bbox = page.boundaries().bounding().map_err(|e| format!("{e:?}"))?;
        Ok(text.inside_rect(bbox.bounds))
    }))
}

fn with_pdf_oxide(bytes: Vec<u8>) -> Result<Extracted, String> {
    let doc = pdf_oxide::PdfDocument::from_bytes(bytes).map_err(|e| e.to_string())?;
    let n = doc.page_count().map_err(|e| e.to_string())?;
    collect_pages((0..n).map(|i| doc.extract_text(i).map_err(|e| e.to_string())))
}

fn with_pdf_extract(bytes: &[u8]) -> Result<Extracted, String> {
    // Whole document: `extract_text_from_mem_by_pages` silently stops at the first
    // failing page, which would hide errors.
    let text = pdf_extract::extract_text_from_mem(bytes).map_err(|e| e.to_string())?;
    Ok(Extracted {
        text,
        ..Default::default()
    })
}

fn with_lopdf(bytes: &[u8]) -> Result<Extracted, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| e.to_string())?;
    let pages = doc.get_pages();
    collect_pages(
        pages
            .keys()
            .map(|&n| doc.extract_text(&[n]).map_err(|e| e.to_string())),
    )
}

// ---------------------------------------------------------------- parent side

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Error,
    Panic,
    Timeout,
    Crash,
}

struct Run {
    outcome: Outcome,
    message: String,
    text: String,
    nanos: Option<u128>,
    page_errors: usize,
    max_rss_kib: i64,
}

// The child is reaped with `libc::wait4` (for its rusage), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn spawn(cfg: &Config, extractor: &str, file: &Path) -> Run {
    let exe = env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .args(["__extract", extractor])
        .arg(file)
        .arg(&cfg.pdfium)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let pid = child.id() as libc::pid_t;
    let drain = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).ok();
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + cfg.timeout;
    let (mut status, mut timed_out) = (0, false);
    // SAFETY: zeroed rusage is a valid value; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child; pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if !timed_out && Instant::now() >= deadline {
            child.kill().ok();
            timed_out = true;
        }
        thread::sleep(Duration::from_millis(2));
    }
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let mut run = Run {
        outcome: Outcome::Crash,
        message: String::new(),
        text: String::new(),
        nanos: None,
        page_errors: 0,
        max_rss_kib: usage.ru_maxrss,
    };
    let header = stdout
        .split_once('\n')
        .map(|(h, _)| h.split(' ').collect::<Vec<_>>());
    if timed_out {
        run.outcome = Outcome::Timeout;
        run.message = format!("killed after {} s", cfg.timeout.as_secs());
    } else if libc::WIFEXITED(status)
        && libc::WEXITSTATUS(status) == 0
        && header.as_ref().is_some_and(|h| h.len() == 3)
    {
        let h = header.unwrap();
        let mut rest = stdout.splitn(3, '\n').skip(1);
        run.message = rest.next().unwrap_or("").to_owned();
        run.text = rest.next().unwrap_or("").to_owned();
        run.nanos = h[1].parse().ok();
        run.page_errors = h[2].parse().unwrap_or(0);
        run.outcome = if h[0] == "OK" {
            Outcome::Ok
        } else {
            Outcome::Error
        };
    } else if libc::WIFEXITED(status) && stderr.contains("panicked at") {
        run.outcome = Outcome::Panic;
        run.message = panic_message(&stderr);
    } else {
        let how = if libc::WIFSIGNALED(status) {
            format!("signal {}", libc::WTERMSIG(status))
        } else {
            format!("exit code {}", libc::WEXITSTATUS(status))
        };
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        run.message = format!("{how}: {last}");
    }
    run
}

/// "thread 'main' panicked at .../pdf-extract-0.12.1/src/lib.rs:835:9:\nMESSAGE" ->
/// "MESSAGE (pdf-extract-0.12.1/src/lib.rs:835:9)".
fn panic_message(stderr: &str) -> String {
    let mut lines = stderr.lines().skip_while(|l| !l.contains("panicked at"));
    let at = lines.next().unwrap_or("");
    let at = at
        .split("panicked at ")
        .nth(1)
        .unwrap_or(at)
        .trim_end_matches(':');
    let at = at
        .split_once(".crates.io-")
        .map_or(at, |(_, p)| p.split_once('/').map_or(p, |x| x.1));
    format!("{} ({at})", lines.next().unwrap_or("").trim())
}

// ---------------------------------------------------------------- scoring

fn tokens(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for t in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        *bag.entry(t.to_owned()).or_insert(0) += 1;
    }
    bag
}

fn f1(candidate: &HashMap<String, usize>, reference: &HashMap<String, usize>) -> f64 {
    let (c, r): (usize, usize) = (candidate.values().sum(), reference.values().sum());
    let both: usize = candidate
        .iter()
        .map(|(t, n)| (*n).min(*reference.get(t).unwrap_or(&0)))
        .sum();
    if both == 0 {
        return 0.0;
    }
    let (p, r) = (both as f64 / c as f64, both as f64 / r as f64);
    2.0 * p * r / (p + r)
}

/// Lowercase, drop bidi/direction marks, collapse whitespace to single spaces.
fn for_probes(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'))
        .collect();
    kept.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The middle value (upper middle for an even count); 0 for none.
fn median(v: &mut [u128]) -> u128 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

// ---------------------------------------------------------------- driver and report

struct FileResult {
    name: String,
    run: Run,
    nanos: Option<u128>,
    max_rss_kib: i64,
}

fn run(cfg: &Config) {
    let pdf_dir = cfg.corpus.join("pdf");
    let mut files: Vec<String> = fs::read_dir(&pdf_dir)
        .unwrap_or_else(|e| usage(&format!("{}: {e}", pdf_dir.display())))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    files.sort();
    let all_refs: Vec<(&str, HashMap<String, usize>)> = files
        .iter()
        .filter_map(|f| {
            let path = cfg.corpus.join("reference/pdf").join(format!("{f}.txt"));
            Some((f.as_str(), tokens(&fs::read_to_string(path).ok()?)))
        })
        .collect();
    let has_reference: HashSet<String> = all_refs.iter().map(|(f, _)| f.to_string()).collect();
    // F1 is averaged over files whose reference has text (not image-only ones).
    let references: HashMap<&str, HashMap<String, usize>> = all_refs
        .into_iter()
        .filter(|(_, bag)| !bag.is_empty())
        .collect();
    let probes_tsv = fs::read_to_string(cfg.corpus.join("probes.tsv")).expect("probes.tsv");
    let probes: Vec<(String, String)> = probes_tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let (path, phrase) = (cols.next()?, cols.next()?);
            Some((path.strip_prefix("pdf/")?.to_owned(), for_probes(phrase)))
        })
        .collect();
    eprintln!(
        "{} PDFs, {} with a non-empty reference, {} probes; {} run(s) each, timeout {:?}",
        files.len(),
        references.len(),
        probes.len(),
        cfg.runs,
        cfg.timeout
    );

    let started = Instant::now();
    let mut results: Vec<(&str, Vec<FileResult>)> = Vec::new();
    for extractor in EXTRACTORS {
        let t0 = Instant::now();
        let per_file = files
            .iter()
            .map(|name| {
                let path = pdf_dir.join(name);
                let first = spawn(cfg, extractor, &path);
                let (mut times, mut rss) = (
                    first.nanos.into_iter().collect::<Vec<_>>(),
                    first.max_rss_kib,
                );
                // Repeat only for timing, and not when the first run hung or crashed.
                if first.nanos.is_some() {
                    for _ in 1..cfg.runs {
                        let again = spawn(cfg, extractor, &path);
                        rss = rss.max(again.max_rss_kib);
                        times.extend(again.nanos);
                    }
                }
                if let Some(dir) = &cfg.dump {
                    fs::create_dir_all(dir.join(extractor)).ok();
                    fs::write(dir.join(extractor).join(format!("{name}.txt")), &first.text).ok();
                }
                let nanos = (!times.is_empty()).then(|| median(&mut times));
                FileResult {
                    name: name.clone(),
                    run: first,
                    nanos,
                    max_rss_kib: rss,
                }
            })
            .collect();
        eprintln!("{extractor}: {:.1} s wall", t0.elapsed().as_secs_f64());
        results.push((extractor, per_file));
    }
    eprintln!(
        "all extractors: {:.1} s wall\n",
        started.elapsed().as_secs_f64()
    );

    print_report(cfg, &results, &references, &has_reference, &probes);
}

fn print_report(
    cfg: &Config,
    results: &[(&str, Vec<FileResult>)],
    references: &HashMap<&str, HashMap<String, usize>>,
    has_reference: &HashSet<String>,
    probes: &[(String, String)],
) {
    let versions = Versions::from_lock(include_str!("../Cargo.lock"));
    let pdfium_label = pdfium_label(&cfg.pdfium);
    let ok = |r: &FileResult| r.run.outcome == Outcome::Ok;
    let empty = |r: &FileResult| ok(r) && tokens(&r.run.text).is_empty();
    // F1 against the reference, for files whose reference has text; failures score 0.
    let score = |r: &FileResult| {
        let reference = references.get(r.name.as_str())?;
        Some(if ok(r) {
            f1(&tokens(&r.run.text), reference)
        } else {
            0.0
        })
    };
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |label: &str, cell: &dyn Fn(&str, &[FileResult]) -> String| {
        let cells = results.iter().map(|(x, rs)| cell(x, rs)).collect();
        rows.push((label.to_owned(), cells));
    };
    row("version", &|x, _| match x {
        "pdfium-render" => format!("{} + {pdfium_label}", versions.dep(ROOT, x)),
        "pdf-extract" => format!(
            "{} (lopdf {})",
            versions.dep(ROOT, x),
            versions.dep(x, "lopdf")
        ),
        _ => versions.dep(ROOT, x),
    });
    row("ok / error / panic / timeout / OOM-or-crash", &|_, rs| {
        use Outcome::*;
        let counts = [Ok, Error, Panic, Timeout, Crash]
            .map(|o| rs.iter().filter(|r| r.run.outcome == o).count().to_string());
        counts.join(" / ")
    });
    row("ok but no text", &|_, rs| {
        rs.iter().filter(|r| empty(r)).count().to_string()
    });
    row("ok with some failed pages", &|_, rs| {
        rs.iter()
            .filter(|r| r.run.page_errors > 0)
            .count()
            .to_string()
    });
    row(
        &format!("mean token F1 ({} files)", references.len()),
        &|_, rs| {
            let sum: f64 = rs.iter().filter_map(score).sum();
            format!("{:.3}", sum / references.len().max(1) as f64)
        },
    );
    row(&format!("probes found ({})", probes.len()), &|_, rs| {
        let texts: HashMap<&str, String> = rs
            .iter()
            .filter(|r| ok(r))
            .map(|r| (r.name.as_str(), for_probes(&r.run.text)))
            .collect();
        let found = probes
            .iter()
            .filter(|(f, p)| texts.get(f.as_str()).is_some_and(|t| t.contains(p)))
            .count();
        format!(
            "{found} ({:.0} %)",
            100.0 * found as f64 / probes.len().max(1) as f64
        )
    });
    row(
        &format!("median / total time (median of {} runs)", cfg.runs),
        &|_, rs| {
            let mut t: Vec<u128> = rs.iter().filter_map(|r| r.nanos).collect();
            let total: u128 = t.iter().sum();
            format!(
                "{:.1} ms / {:.2} s",
                median(&mut t) as f64 / 1e6,
                total as f64 / 1e9
            )
        },
    );
    row("slowest file", &|_, rs| {
        let r = rs.iter().max_by_key(|r| r.nanos).unwrap();
        format!("{:.2} s ({})", r.nanos.unwrap_or(0) as f64 / 1e9, r.name)
    });
    row("max peak RSS", &|_, rs| {
        let r = rs.iter().max_by_key(|r| r.max_rss_kib).unwrap();
        format!("{} MB ({})", r.max_rss_kib / 1024, r.name)
    });

    println!(
        "| | {} |",
        results
            .iter()
            .map(|(x, _)| *x)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---|".repeat(results.len()));
    for (label, cells) in rows {
        println!("| {label} | {} |", cells.join(" | "));
    }

    println!("\n## Notable failures\n");
    for (extractor, rs) in results {
        println!("- **{extractor}:**");
        let mut any = false;
        for r in rs {
            let what = match r.run.outcome {
                // Image-only files (empty reference) are expected to give no text.
                Outcome::Ok if empty(r) && references.contains_key(r.name.as_str()) => {
                    "ok but no text (the reference has text)".to_owned()
                }
                Outcome::Ok if empty(r) && !has_reference.contains(&r.name) => {
                    "ok but no text (no reference: encrypted, empty, invalid or truncated)"
                        .to_owned()
                }
                Outcome::Ok if r.run.page_errors > 0 => {
                    format!(
                        "ok, but {} page(s) failed: `{}`",
                        r.run.page_errors, r.run.message
                    )
                }
                Outcome::Ok => match score(r) {
                    Some(f1) if f1 < LOW_F1 => format!("low token F1 {f1:.2}"),
                    _ => continue,
                },
                Outcome::Error => format!("error: `{}`", r.run.message),
                Outcome::Panic => format!("panic: `{}`", r.run.message),
                Outcome::Timeout => format!("timeout: {}", r.run.message),
                Outcome::Crash => format!("OOM or crash: `{}`", r.run.message),
            };
            println!("  - {}: {what}", r.name);
            any = true;
        }
        if !any {
            println!("  - none");
        }
    }
}

/// The PDFium build, named by the pypdfium2 wheel `cargo xtask setup` leaves beside it.
fn pdfium_label(lib: &Path) -> String {
    let file = lib
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let wheel = fs::read_dir(lib.with_file_name("wheel"))
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find(|n| n.starts_with("pypdfium2-"))
        });
    match wheel.and_then(|w| w.split('-').nth(1).map(str::to_owned)) {
        Some(v) => format!("{file} (pypdfium2 {v} wheel)"),
        None => file,
    }
}

/// Resolved versions, read from this crate's own Cargo.lock at compile time.
struct Versions(Vec<(String, String, String)>);

impl Versions {
    fn from_lock(lock: &str) -> Self {
        let field = |block: &str, key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .map(|v| v.trim_end_matches('"').to_owned())
                .unwrap_or_default()
        };
        Versions(
            lock.split("[[package]]")
                .map(|b| (field(b, "name"), field(b, "version"), b.to_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|p| p.0 == name)
            .map_or("?".into(), |p| p.1.clone())
    }

    /// The version of `dep` that `name` depends on.
    fn dep(&self, name: &str, dep: &str) -> String {
        let block = self
            .0
            .iter()
            .find(|p| p.0 == name)
            .map_or("", |p| p.2.as_str());
        let entry = block
            .lines()
            .map(|l| l.trim().trim_matches(['"', ',']))
            .find_map(|l| {
                let mut words = l.split(' ');
                (words.next() == Some(dep)).then(|| words.next().map(str::to_owned))
            });
        entry.flatten().unwrap_or_else(|| self.get(dep))
    }
}
