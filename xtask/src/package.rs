//! `cargo xtask package`: the `.deb` and `.rpm` a rep's IT department installs, built by
//! Tauri's bundler (in Rust, offline; AppImage would download tools at build time). The
//! packages hold the app, the `quiver` CLI on the PATH, PDFium where the binaries look
//! for it (`/usr/lib/quiver/`, beside `/usr/bin/`), its licences and a list of the
//! other third-party licences, a desktop entry and icon, a man page and completions.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, cargo, root, sh};

/// Builds the packages; returns their paths.
pub fn run() -> Result<Vec<PathBuf>> {
    crate::setup()?;
    sh(cargo().args(["build", "--release", "-p", "quiver-cli", "--bin", "quiver"]))?;
    let out = root().join("target/package");
    std::fs::create_dir_all(out.join("licenses")).map_err(|e| e.to_string())?;
    let quiver = root().join("target/release/quiver");
    let capture = |args: &[&str], file: &str| -> Result {
        let o = Command::new(&quiver)
            .args(args)
            .output()
            .map_err(|e| format!("{}: {e}", quiver.display()))?;
        if !o.status.success() {
            return Err(format!("quiver {args:?} failed"));
        }
        std::fs::write(out.join(file), o.stdout).map_err(|e| e.to_string())
    };
    capture(&["man-page"], "quiver.1")?;
    capture(&["completions", "bash"], "quiver.bash")?;
    capture(&["completions", "zsh"], "_quiver")?;
    capture(&["completions", "fish"], "quiver.fish")?;
    // PDFium's licences come with its wheel; the crates' are listed from Cargo's own
    // metadata (name, version, licence expression).
    let pdfium = out.join("licenses/pdfium");
    let _ = std::fs::remove_dir_all(&pdfium);
    copy_dir(&root().join("target/pdfium/licenses"), &pdfium)?;
    third_party(&out.join("licenses/THIRD-PARTY"))?;
    let tauri = root().join("ui/node_modules/.bin/tauri");
    sh(Command::new(&tauri)
        .args(["build", "--bundles", "deb", "rpm"])
        .current_dir(root()))?;
    let bundles = root().join("target/release/bundle");
    let mut found = Vec::new();
    for kind in ["deb", "rpm"] {
        for e in std::fs::read_dir(bundles.join(kind)).map_err(|e| e.to_string())? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.extension().is_some_and(|x| x == kind) {
                found.push(p);
            }
        }
    }
    for p in &found {
        println!("{}", p.display());
    }
    Ok(found)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let e = e.map_err(|e| e.to_string())?;
        std::fs::copy(e.path(), to.join(e.file_name())).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Every crate the binaries are built from, with its licence, from `cargo metadata`.
fn third_party(file: &std::path::Path) -> Result {
    let o = cargo()
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| e.to_string())?;
    let meta: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
    let mut lines: Vec<String> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["source"].is_string())
        .map(|p| {
            format!(
                "{} {}: {}",
                p["name"].as_str().unwrap_or(""),
                p["version"].as_str().unwrap_or(""),
                p["license"].as_str().unwrap_or("see the crate")
            )
        })
        .collect();
    lines.sort();
    lines.dedup();
    let text = format!(
        "Quiver is built from these crates (crates.io), each under its licence; their texts are at https://crates.io/crates/<name>.\n\n{}\n",
        lines.join("\n")
    );
    std::fs::write(file, text).map_err(|e| e.to_string())
}

/// Installs the `.deb` on this machine as IT would (`apt-get install ./…deb`), uses it as
/// a new user would, and removes it: `quiver --version`, `quiver demo` and searches in a
/// data dir of its own (a PDF hit shows PDFium was found where the package put it),
/// `quiver-app` from its installed path in a virtual display, with a screenshot of its
/// first-run screen; after removal, nothing is left but the user's data. Needs root.
pub fn install_test() -> Result {
    let debs: Vec<PathBuf> = run()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    let deb = debs.first().ok_or("no .deb was built")?;
    let sh_ok = |script: &str| -> Result<String> {
        let o = Command::new("sh")
            .args(["-c", script])
            .output()
            .map_err(|e| e.to_string())?;
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        if o.status.success() {
            Ok(out)
        } else {
            Err(format!(
                "{script}: {}{}",
                out,
                String::from_utf8_lossy(&o.stderr)
            ))
        }
    };
    // xwd takes the screenshot; netpbm turns it into a PNG.
    let tools: Vec<&str> = [
        ("command -v xwd", "x11-apps"),
        ("command -v pnmtopng", "netpbm"),
    ]
    .into_iter()
    .filter(|(check, _)| !crate::have(check))
    .map(|(_, pkg)| pkg)
    .collect();
    if !tools.is_empty() {
        crate::apt_install(&tools)?;
    }
    sh(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--reinstall"])
        .arg(deb)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    let home = tempdir()?;
    let data = home.join("data");
    let version = sh_ok("cd / && /usr/bin/quiver --version")?;
    if !version.starts_with("quiver ") {
        return Err(format!("quiver --version said {version:?}"));
    }
    sh_ok(&format!(
        "/usr/bin/quiver --data-dir {} demo",
        data.display()
    ))?;
    // A phrase, and a hit in a PDF (read through the PDFium the package installed).
    for (query, format) in [
        ("\"seat ramp\"", None),
        ("brightline ledger datasheet", Some("pdf")),
    ] {
        let out = sh_ok(&format!(
            "/usr/bin/quiver --data-dir {} --json search --no-record --limit 1 '{query}'",
            data.display()
        ))?;
        let r: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
        let hit = &r["hits"][0];
        if hit.is_null() || format.is_some_and(|f| hit["format"] != f) {
            return Err(format!("the installed quiver found {r} for {query}"));
        }
    }
    let shots = root().join("target/e2e");
    std::fs::create_dir_all(&shots).map_err(|e| e.to_string())?;
    let shot = shots.join("installed-first-run.png");
    sh_ok(&format!(
        "xvfb-run -a -s '-screen 0 1280x800x24' sh -c '/usr/bin/quiver-app --data-dir {app} & P=$!; sleep 8; \
         kill -0 $P || exit 3; xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > {shot}; kill $P'",
        app = home.join("app").display(),
        shot = shot.display()
    ))?;
    if std::fs::metadata(&shot).map_or(0, |m| m.len()) == 0 {
        return Err("no screenshot of the installed app".into());
    }
    eprintln!(
        "package: the installed app's first run is in {}",
        shot.display()
    );
    sh(Command::new("apt-get")
        .args(["remove", "-y", "-qq", "quiver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    for gone in [
        "/usr/bin/quiver",
        "/usr/bin/quiver-app",
        "/usr/lib/quiver",
        "/usr/share/applications/Quiver.desktop",
    ] {
        if std::path::Path::new(gone).exists() {
            return Err(format!("{gone} is left after removing the package"));
        }
    }
    if !data.join("catalog.sqlite3").is_file() {
        return Err("removing the package removed the user's data".into());
    }
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("quiver-package-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}
