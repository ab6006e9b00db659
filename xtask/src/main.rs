//! Project tasks, in the cargo-xtask pattern: `cargo xtask run | test | setup | bench`.
//! Each installs what it is missing and says what it installs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

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
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  run    set up, build, and run Quiver on the sample library (own data dir)\n  test   set up, then run every test (fmt, clippy, unit, integration)\n  setup  install what building and testing need (PDFium library)"
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

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn sh(cmd: &mut Command) -> Result {
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

/// Debian packages the build and the tests need, by the command that shows each is
/// there.
const SYSTEM_PACKAGES: &[(&str, &str)] = &[
    ("cc", "build-essential"),
    ("pkg-config", "pkg-config"),
    ("python3", "python3"),
    ("setpriv", "util-linux"),
];

fn have(command: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {command} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

fn apt_install(packages: &[&str]) -> Result {
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
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn setup() -> Result {
    let mut missing: Vec<&str> = SYSTEM_PACKAGES.iter().filter(|(cmd, _)| !have(cmd)).map(|(_, pkg)| *pkg).collect();
    let pip = Command::new("python3").args(["-m", "pip", "--version"]).output().is_ok_and(|o| o.status.success());
    if !pip {
        missing.push("python3-pip");
    }
    if missing.is_empty() {
        eprintln!("setup: system packages present ({})", SYSTEM_PACKAGES.iter().map(|p| p.1).collect::<Vec<_>>().join(", "));
    } else {
        apt_install(&missing)?;
    }
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

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(args: &[String]) -> Result {
    setup()?;
    sh(cargo().args(["build", "--release", "--bin", "quiver"]))?;
    let quiver = root().join("target/release/quiver");
    let data = root().join("target/quiver-sample-data");
    let q = |a: &[&str]| {
        let mut c = Command::new(&quiver);
        c.arg("--data-dir").arg(&data).args(a);
        c
    };
    eprintln!("run: a data dir of its own at {}", data.display());
    let samples = root().join("samples/library");
    sh(q(&["library", "add"]).arg(&samples))?;
    sh(&mut q(&["index"]))?;
    let queries: Vec<&str> = if args.is_empty() {
        vec![
            "pricing",
            "\"implementation timeline\"",
            "soc 2",
            "acmewrks",
        ]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for query in queries {
        sh(q(&["search", "--limit", "3"]).arg(query))?;
    }
    eprintln!(
        "\nrun: try it yourself: {} --data-dir {} search \"<words>\"",
        quiver.display(),
        data.display()
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
    sh(cargo().args(["test", "--workspace"]))?;
    Ok(())
}
