//! The desktop app's benchmarks: a release build driven in a real window under Xvfb
//! (`ui/e2e/bench.mjs`), on the sample library and on 10,000 generated documents.

use std::path::Path;
use std::process::Command;

use crate::bench::{replace_section, stamp};
use crate::peers::cache_dir;
use crate::{Result, root};

const LARGE: usize = 10_000;

pub fn run() -> Result {
    let app = crate::build_release_app()?;
    let quiver = root().join("target/release/quiver");
    let work = cache_dir().join("app");

    let sample = work.join("sample-data");
    let _ = std::fs::remove_dir_all(&sample);
    index(&quiver, &sample, &root().join("samples/library"))?;

    let library = crate::scale::generated_library(&work, LARGE)?;
    let large = work.join("data-10k");
    let _ = std::fs::remove_dir_all(&large);
    index(&quiver, &large, &library)?;

    let mut results = Vec::new();
    for (label, data) in [("sample library", &sample), ("10,000 documents", &large)] {
        eprintln!("bench: the app on the {label}");
        let out = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1366x900x24", "node", "e2e/bench.mjs"])
            .current_dir(root().join("ui"))
            .env("QUIVER_APP", &app)
            .env("QUIVER_DATA_DIR", data)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run ui/e2e/bench.mjs: {e}"))?;
        if !out.status.success() {
            return Err(format!("ui/e2e/bench.mjs failed on the {label}"));
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("ui/e2e/bench.mjs output: {e}"))?;
        results.push((label, json));
    }

    let size = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    let stripped = work.join("quiver-app.stripped");
    let _ = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(&app)
        .status();
    let (samples, _) = crate::bench::walk(&root().join("samples/library"));
    let (date, machine) = stamp();
    let mut table = format!(
        "Measured {date} on {machine} by `cargo xtask bench app`: the release build in a real window (Xvfb, WebKitGTK), driven over WebDriver by `ui/e2e/bench.mjs`.\n\n| what | sample library ({samples} files) | {LARGE} documents | Tauri's Linux anchor |\n|---|---|---|---|\n"
    );
    let (s, l) = (&results[0].1, &results[1].1);
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    table += &format!(
        "| launch to first results (median of {} launches: start, type `pricing`, results painted) | {:.0} ms | {:.0} ms | ~300 ms launch to exit (hello world) |\n",
        s["launches"],
        f(&s["start_to_results_ms"]["median"]),
        f(&l["start_to_results_ms"]["median"]),
    );
    table += &format!(
        "| keystroke to painted results, median / p95 ({} keys typed one at a time) | {:.0} / {:.0} ms | {:.0} / {:.0} ms | |\n",
        s["keystrokes"],
        f(&s["keystroke_ms"]["median"]),
        f(&s["keystroke_ms"]["p95"]),
        f(&l["keystroke_ms"]["median"]),
        f(&l["keystroke_ms"]["p95"]),
    );
    table += &format!(
        "| idle memory after searching, app + WebKit processes: RSS (PSS) | {:.0} MB ({:.0} MB) | {:.0} MB ({:.0} MB) | 280–335 MB peak |\n",
        f(&s["idle_memory"]["rss_mb"]),
        f(&s["idle_memory"]["pss_mb"]),
        f(&l["idle_memory"]["rss_mb"]),
        f(&l["idle_memory"]["pss_mb"]),
    );
    table += &format!(
        "| release binary `quiver-app`: as built / stripped (PDFium is a separate {:.1} MB library) | {:.1} MB / {:.1} MB | | 2.6 MB hello world |\n",
        size(&root().join("target/pdfium/libpdfium.so")),
        size(&app),
        size(&stripped),
    );
    table += &format!(
        "\nProcesses counted (sample library): {}.\n",
        s["idle_memory"]["processes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{} {} MB", p["name"].as_str().unwrap_or(""), p["rss_mb"]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("{table}");
    replace_section(&root().join("BENCHMARKS.md"), "app", &table)
}

fn index(quiver: &Path, data: &Path, library: &Path) -> Result {
    for args in [&["library", "add"][..], &["index"][..]] {
        let mut c = Command::new(quiver);
        c.arg("--data-dir").arg(data).args(args);
        if args[0] == "library" {
            c.arg(library);
        }
        let out = c.output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "quiver {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}
