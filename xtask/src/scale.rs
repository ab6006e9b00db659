//! Quiver at the size of a large company's library: 100,000 generated documents
//! (`benches/scale.rs` writes them into the bench cache, never into the repo), indexed
//! by the release CLI, then queried in process.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench::{replace_section, stamp, walk};
use crate::peers::{cache_dir, measure};
use crate::{Result, cargo, root};

const DOCUMENTS: usize = 100_000;

pub fn run() -> Result {
    let work = cache_dir().join("scale");
    let library = generated_library(&work, DOCUMENTS)?;
    let (_, bytes) = walk(&library);
    let quiver = root().join("target/release/quiver").display().to_string();
    let data = work.join("data");
    let data_s = data.display().to_string();
    let _ = std::fs::remove_dir_all(&data);
    let add = Command::new(&quiver)
        .args(["--data-dir", &data_s, "library", "add"])
        .arg(&library)
        .output()
        .map_err(|e| e.to_string())?;
    if !add.status.success() {
        return Err(format!(
            "quiver library add: {}",
            String::from_utf8_lossy(&add.stderr)
        ));
    }
    let cold = drop_page_cache();
    eprintln!("bench: indexing {DOCUMENTS} documents");
    let index = measure(
        &[
            quiver.clone(),
            "--data-dir".into(),
            data_s.clone(),
            "index".into(),
            "--json".into(),
        ],
        &std::env::var("PATH").unwrap_or_default(),
        true,
    )?;
    let report: serde_json::Value =
        serde_json::from_str(&index.stdout).map_err(|e| format!("quiver index --json: {e}"))?;
    let indexed = report["indexed"].as_u64().unwrap_or(0);
    if indexed as usize != DOCUMENTS {
        return Err(format!(
            "indexed {indexed} of {DOCUMENTS} documents: {report}"
        ));
    }
    let (_, index_bytes) = walk(&data.join("index"));
    let catalog_bytes = std::fs::metadata(data.join("catalog.sqlite3")).map_or(0, |m| m.len());
    eprintln!("bench: querying in process");
    let out = bench_harness(&["query", &data_s])?;

    let (date, machine) = stamp();
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench scale`: {DOCUMENTS} generated documents (`benches/scale.rs`: business English with Zipf-distributed words, stock phrases and a long tail of product names; Markdown, text and HTML in 100 folders; 300 to 15,000 words each), {:.2} GB.\n\n| what | figure |\n|---|---|\n",
        bytes as f64 / 1e9
    );
    table += &format!(
        "| full index, `quiver index`, {} | {:.0} s: {:.0} docs/s, {:.1} MB/s |\n",
        if cold {
            "page cache dropped first"
        } else {
            "page cache warm"
        },
        index.secs,
        DOCUMENTS as f64 / index.secs,
        bytes as f64 / 1e6 / index.secs
    );
    table += &format!(
        "| peak RSS while indexing (largest process) | {:.0} MB |\n",
        index.rss_mb
    );
    table += &format!(
        "| on disk: search index / catalog (with the text for snippets and previews) | {:.0} MB / {:.0} MB |\n",
        index_bytes as f64 / 1e6,
        catalog_bytes as f64 / 1e6
    );
    table += "\nIn process (`search::search` as the CLI and the app call it: 10 hits with snippets and locations; 200 queries per kind, one warm-up pass, then 3 measured passes):\n\n| query kind | example | p50 | p99 | goal p99 ≤ 10 ms |\n|---|---|---|---|---|\n";
    for line in out.lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let kind = row["kind"].as_str().unwrap_or("");
        if let Some(ms) = row["ms"].as_f64() {
            table += &format!(
                "| {kind} ({}opening the data dir took {:.0} ms) | | {ms:.1} ms | | {} (goal ≤ 100 ms) |\n",
                if row["page_cache_dropped"].as_bool() == Some(true) {
                    "page cache dropped; "
                } else {
                    "page cache warm; "
                },
                row["open_ms"].as_f64().unwrap_or(0.0),
                if ms <= 100.0 { "met" } else { "**missed**" }
            );
        } else {
            let p99 = row["p99_ms"].as_f64().unwrap_or(0.0);
            table += &format!(
                "| {kind} | `{}` | {:.2} ms | {p99:.2} ms | {} |\n",
                row["example"].as_str().unwrap_or(""),
                row["p50_ms"].as_f64().unwrap_or(0.0),
                if p99 <= 10.0 { "met" } else { "**missed**" }
            );
        }
    }
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "scale", &table)
}

/// `n` generated documents in `work/library`, generated again only when `n` changed.
pub(crate) fn generated_library(work: &Path, n: usize) -> Result<PathBuf> {
    let library = work.join("library");
    let marker = work.join("generated");
    let wanted = format!("{n}\n");
    if !library.is_dir()
        || std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str())
    {
        eprintln!("bench: generating {n} documents in {}", library.display());
        let _ = std::fs::remove_dir_all(&library);
        let _ = std::fs::remove_file(&marker);
        bench_harness(&["generate", &library.display().to_string(), &n.to_string()])?;
        std::fs::write(&marker, &wanted).map_err(|e| e.to_string())?;
    }
    Ok(library)
}

fn bench_harness(args: &[&str]) -> Result<String> {
    let out = cargo()
        .args(["bench", "--quiet", "--bench", "scale", "--"])
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "benches/scale.rs {}: {}",
            args[0],
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The first index run and the first query are measured from disk, as after a reboot,
/// where the OS allows it (root on Linux).
fn drop_page_cache() -> bool {
    let _ = Command::new("sync").status();
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    if !dropped {
        eprintln!("bench: cannot drop the page cache (not root); figures are from a warm cache");
    }
    dropped
}
