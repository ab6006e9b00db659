//! Project tasks, in the cargo-xtask pattern: `cargo xtask run | test | setup | bench`.
//! Each installs what it is missing and says what it installs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod desktop;
mod package;
mod peers;
mod scale;

/// PDFium comes from the pypdfium2 wheel on PyPI: a registry package that ships the
/// prebuilt library (see BENCHMARKS.md for why PDFium).
const PYPDFIUM2: &str = "pypdfium2==5.15.2";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match task {
        "setup" => setup(),
        "run" => run(rest),
        "test" => test(),
        "bench" => bench::run(rest),
        "package" if rest.first().is_some_and(|a| a == "--test") => package::install_test(),
        "package" => package::run().map(|_| ()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  run    set up, build, and open the Quiver app on a data dir of its own\n         (--headless: the command line on the sample library instead)\n  test   set up, then run every test (fmt, clippy, unit, integration, app end to end)\n  package  build the .deb and .rpm (Tauri's bundler) into target/release/bundle/\n         (--test: then install the .deb with apt, use it and remove it; needs root)\n  setup  install what building and testing need (Debian packages, npm packages,\n         tauri-driver, PDFium)\n  bench  measure and rewrite BENCHMARKS.md; parts (default: all): corpus (indexing,\n         search, capture, reports), peers (against Recoll and rga), growth (the\n         corpus copied ten times, all three tools), scale (100k documents), app (the\n         desktop app in a real window)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) type Result<T = ()> = std::result::Result<T, String>;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

pub(crate) fn sh(cmd: &mut Command) -> Result {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// Debian packages the build and the tests need, each with the shell test that shows
/// it is there. The WebKitGTK group is Tauri's on Linux; Xvfb and WebKitWebDriver run
/// the desktop app's end-to-end tests in a real window.
const SYSTEM_PACKAGES: &[(&str, &str)] = &[
    ("command -v cc", "build-essential"),
    ("command -v pkg-config", "pkg-config"),
    ("command -v python3", "python3"),
    ("command -v setpriv", "util-linux"),
    (
        "pkg-config --exists webkit2gtk-4.1",
        "libwebkit2gtk-4.1-dev",
    ),
    ("pkg-config --exists openssl", "libssl-dev"),
    (
        "pkg-config --exists ayatana-appindicator3-0.1",
        "libayatana-appindicator3-dev",
    ),
    ("pkg-config --exists librsvg-2.0", "librsvg2-dev"),
    ("test -e /usr/include/xdo.h", "libxdo-dev"),
    ("command -v Xvfb", "xvfb"),
    ("command -v xauth", "xauth"),
    ("command -v xvfb-run", "xvfb"),
    ("command -v WebKitWebDriver", "webkit2gtk-driver"),
    // Fails the Nth write, fsync or open of a run in the fault-injection tests.
    ("command -v strace", "strace"),
];

pub(crate) fn have(check: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("{check} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn apt_install(packages: &[&str]) -> Result {
    eprintln!("setup: installing Debian packages: {}", packages.join(" "));
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut c = Command::new(if sudo.is_empty() { "apt-get" } else { "sudo" });
        if !sudo.is_empty() {
            c.arg("apt-get");
        }
        c.args(["-o", "DPkg::Lock::Timeout=300"]).args(args);
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    sh(&mut apt(&["update", "-qq"]))?;
    sh(apt(&["install", "-y", "-qq", "--no-install-recommends"]).args(packages))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

pub(crate) fn setup() -> Result {
    let mut missing: Vec<&str> = SYSTEM_PACKAGES
        .iter()
        .filter(|(check, _)| !have(check))
        .map(|(_, pkg)| *pkg)
        .collect();
    missing.dedup();
    let pip = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !pip {
        missing.push("python3-pip");
    }
    if missing.is_empty() {
        eprintln!(
            "setup: system packages present ({})",
            SYSTEM_PACKAGES
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        apt_install(&missing)?;
    }
    ui()?;
    if have("command -v tauri-driver") {
        eprintln!("setup: tauri-driver present");
    } else {
        eprintln!("setup: installing tauri-driver (cargo install; drives the app in e2e tests)");
        sh(cargo().args(["install", "tauri-driver", "--locked"]))?;
    }
    pdfium()
}

/// The web UI's npm packages (from ui/package-lock.json) and its build, which the
/// desktop app embeds: it must exist before the shell compiles.
fn ui() -> Result {
    let dir = root().join("ui");
    if !have("command -v npm") {
        return Err("npm is missing: install Node.js 20.19 or newer with npm".into());
    }
    if dir.join("node_modules/.package-lock.json").is_file() {
        eprintln!("setup: npm packages present in ui/node_modules");
    } else {
        // `npm install`, not `npm ci`: npm 11 writes lock files without the other
        // platforms' optional packages (rollup's, esbuild's), which `npm ci` rejects.
        eprintln!(
            "setup: installing the UI's npm packages (npm install in ui/, from its lock file)"
        );
        sh(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&dir))?;
    }
    sh(Command::new("npm")
        .args(["run", "--silent", "build"])
        .current_dir(&dir))
}

fn pdfium() -> Result {
    let lib = root().join("target/pdfium/libpdfium.so");
    if lib.is_file() {
        eprintln!("setup: PDFium present at {}", lib.display());
        return Ok(());
    }
    eprintln!(
        "setup: installing PDFium (libpdfium.so from the {PYPDFIUM2} wheel on PyPI) into target/pdfium/"
    );
    let cache = root().join("target/pdfium/wheel");
    std::fs::create_dir_all(&cache).map_err(|e| e.to_string())?;
    sh(Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux_2_17_x86_64",
            "-d",
        ])
        .arg(&cache)
        .arg(PYPDFIUM2))?;
    // The wheel is a zip; Python is already needed for pip, so it unpacks it too.
    let script = r#"
import glob, os, sys, zipfile
dest = sys.argv[1]
wheel = glob.glob(os.path.join(dest, "wheel", "pypdfium2-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if base == "libpdfium.so":
            open(os.path.join(dest, base), "wb").write(z.read(name))
        elif "/licenses/" in name and base:
            os.makedirs(os.path.join(dest, "licenses"), exist_ok=True)
            open(os.path.join(dest, "licenses", base), "wb").write(z.read(name))
"#;
    sh(Command::new("python3")
        .args(["-c", script])
        .arg(root().join("target/pdfium")))?;
    if lib.is_file() {
        Ok(())
    } else {
        Err("libpdfium.so not found in the wheel".into())
    }
}

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Builds the desktop app in release mode; returns its path.
pub(crate) fn build_release_app() -> Result<PathBuf> {
    sh(cargo().args([
        "build",
        "--release",
        "-p",
        "quiver-app",
        "--bin",
        "quiver-app",
    ]))?;
    Ok(root().join("target/release/quiver-app"))
}

/// The desktop app on a data dir of its own (its first-run screen offers the sample
/// library); without a display, or with `--headless`, the same on the command line.
fn run(args: &[String]) -> Result {
    setup()?;
    let headless = args.first().is_some_and(|a| a == "--headless");
    let display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    if !headless && !display {
        eprintln!(
            "run: no display (DISPLAY is not set), so the headless job runs instead.\n     On a desktop, `cargo xtask run` opens the app; on a server, run it in a virtual\n     display with `xvfb-run -a cargo xtask run`, or see the CLI below (`cargo xtask run --headless`)."
        );
    }
    if !headless && display {
        let app = build_release_app()?;
        let data = root().join("target/quiver-app-data");
        eprintln!(
            "run: starting the Quiver app on a data dir of its own at {}",
            data.display()
        );
        return sh(Command::new(app).arg("--data-dir").arg(&data));
    }
    let args = if headless { &args[1..] } else { args };
    sh(cargo().args(["build", "--release", "--bin", "quiver"]))?;
    let quiver = root().join("target/release/quiver");
    let data = root().join("target/quiver-sample-data");
    let q = |a: &[&str]| {
        let mut c = Command::new(&quiver);
        c.arg("--data-dir").arg(&data).args(a);
        c
    };
    eprintln!("run: a data dir of its own at {}", data.display());
    if !data.join("catalog.sqlite3").exists() {
        // The sample library and a synthetic history, so the reports have something to say.
        sh(&mut q(&["demo"]))?;
    } else {
        sh(&mut q(&["index"]))?;
    }
    let queries: Vec<&str> = if args.is_empty() {
        vec!["pricing", "\"seat ramp schedule\"", "soc 2", "acmewrks"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for query in queries {
        sh(q(&["search", "--no-record", "--limit", "3"]).arg(query))?;
    }
    for report in [
        &["report", "unused", "--limit", "5"][..],
        &["report", "reasons", "--by", "size", "--limit", "5"][..],
    ] {
        sh(&mut q(report))?;
    }
    eprintln!(
        "\nrun: try it yourself:\n  {q} --data-dir {d} search \"<words>\"\n  {q} --data-dir {d} report influence\n  {q} --help",
        q = quiver.display(),
        d = data.display()
    );
    Ok(())
}

fn test() -> Result {
    setup()?;
    sh(cargo().args(["fmt", "--all", "--", "--check"]))?;
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // cargo prints a summary per test binary; add them up so the last line says it all.
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--color", "never"]);
    eprintln!("$ {cmd:?}");
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    let (mut passed, mut failed) = (0u64, 0u64);
    for line in stdout.lines().filter(|l| l.starts_with("test result:")) {
        for part in line.split([';', '.']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(word)) = (words.next(), words.next()) {
                let n: u64 = n.parse().unwrap_or(0);
                match word {
                    "passed" => passed += n,
                    "failed" => failed += n,
                    _ => {}
                }
            }
        }
    }
    let cargo_ok = out.status.success();
    let bindings_ok = bindings_current()?;
    let (e2e_passed, e2e_failed, e2e_ok) = e2e()?;
    // The package is installed with apt, which needs root (CI has it).
    let package_ok = if is_root() {
        match package::install_test() {
            Ok(()) => {
                eprintln!("package: built, installed, used and removed");
                true
            }
            Err(e) => {
                eprintln!("package: {e}");
                false
            }
        }
    } else {
        eprintln!("package: skipped (installing a .deb needs root)");
        true
    };
    println!(
        "tests: {} passed, {} failed",
        passed + e2e_passed,
        failed + e2e_failed
    );
    if !cargo_ok {
        Err(format!("cargo test failed ({})", out.status))
    } else if !bindings_ok {
        Err("ui/src/lib/bindings is stale: commit what `cargo test` generated".into())
    } else if !e2e_ok {
        Err("end-to-end tests failed".into())
    } else if !package_ok {
        Err("the package test failed".into())
    } else {
        Ok(())
    }
}

/// Whether the UI's generated TypeScript types (written by `cargo test`, see
/// `.cargo/config.toml`) are the committed ones: a Rust type that crosses to the UI
/// changed without its TypeScript twin otherwise.
fn bindings_current() -> Result<bool> {
    let out = Command::new("git")
        .args(["status", "--porcelain", "--", "ui/src/lib/bindings"])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let changed = String::from_utf8_lossy(&out.stdout);
    if !changed.trim().is_empty() {
        eprintln!("bindings: these generated files differ from the committed ones:\n{changed}");
    }
    Ok(out.status.success() && changed.trim().is_empty())
}

/// The desktop app end to end: type-check the UI, build the app, then drive the real
/// window under Xvfb (ui/e2e). Returns (passed, failed, success).
fn e2e() -> std::result::Result<(u64, u64, bool), String> {
    let ui = root().join("ui");
    sh(Command::new("npm")
        .args(["run", "--silent", "check"])
        .current_dir(&ui))?;
    sh(cargo().args([
        "build",
        "--bin",
        "quiver",
        "--bin",
        "quiver-app",
        "-p",
        "quiver-cli",
        "-p",
        "quiver-app",
    ]))?;
    let corpus = root()
        .join("../shared/corpus")
        .canonicalize()
        .map_err(|e| format!("../shared/corpus: {e}"))?;
    let mut cmd = Command::new("xvfb-run");
    cmd.args([
        "-a",
        "-s",
        "-screen 0 1366x900x24",
        "npm",
        "run",
        "--silent",
        "e2e",
    ])
    .current_dir(&ui)
    .env("QUIVER_APP", root().join("target/debug/quiver-app"))
    .env("QUIVER_CLI", root().join("target/debug/quiver"))
    .env("QUIVER_CORPUS", corpus)
    .env("QUIVER_E2E_OUT", root().join("target/e2e"))
    .stderr(std::process::Stdio::inherit());
    eprintln!("$ {cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run the e2e tests: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    // node --test ends with "# pass N" and "# fail N".
    let count = |key: &str| {
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix(key))
            .filter_map(|n| n.trim().parse::<u64>().ok())
            .next_back()
            .unwrap_or(0)
    };
    eprintln!(
        "e2e: screenshots in {}",
        root().join("target/e2e").display()
    );
    Ok((count("# pass "), count("# fail "), out.status.success()))
}
