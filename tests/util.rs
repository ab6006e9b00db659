//! A temporary data dir and a way to run `quiver` on it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_quiver");

/// Every report, as `quiver report` names them.
pub const REPORTS: [&str; 9] = [
    "unused",
    "assets",
    "searches",
    "reasons",
    "stages",
    "influence",
    "coverage",
    "completeness",
    "messaging",
];

/// The repository (the tests belong to `crates/quiver-cli`, two levels down).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared test corpus, beside the repository.
pub fn corpus() -> PathBuf {
    repo().join("../shared/corpus")
}

pub fn samples() -> PathBuf {
    repo().join("samples/library")
}

pub struct Quiver {
    pub data: TempDir,
}

impl Quiver {
    pub fn new() -> Quiver {
        Quiver {
            data: tempfile::tempdir().expect("temp data dir"),
        }
    }

    /// With a `config.toml`.
    pub fn with_config(config: &str) -> Quiver {
        let q = Quiver::new();
        std::fs::write(q.data.path().join("config.toml"), config).unwrap();
        q
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(self.data.path());
        c
    }

    /// Starts `quiver index` in the background, its stderr kept for the assertions.
    pub fn spawn_index(&self) -> std::process::Child {
        self.cmd()
            .arg("index")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("quiver index starts")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("quiver runs")
    }

    /// Runs with `--json`, asserts success, parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .arg("--json")
            .args(args)
            .output()
            .expect("quiver runs");
        assert!(
            out.status.success(),
            "quiver {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "quiver {args:?} printed invalid JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// As [`Quiver::json`], with extra environment variables.
    pub fn json_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Value {
        let mut cmd = self.cmd();
        cmd.arg("--json").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("quiver runs");
        assert!(
            out.status.success(),
            "quiver {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }

    pub fn add(&self, folder: &Path) {
        self.json(&["library", "add", folder.to_str().unwrap()]);
    }

    pub fn index(&self) -> Value {
        self.json(&["index"])
    }

    /// Paths (main and other locations) of the hits for a query.
    pub fn hit_paths(&self, query: &str, limit: usize) -> Vec<Vec<String>> {
        let r = self.json(&["search", "--limit", &limit.to_string(), query]);
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let mut paths = vec![h["path"].as_str().unwrap().to_owned()];
                if let Some(also) = h["also_at"].as_array() {
                    paths.extend(also.iter().map(|p| p.as_str().unwrap().to_owned()));
                }
                paths
            })
            .collect()
    }

    pub fn asset_id_of(&self, path: &Path) -> String {
        self.json(&["asset", "show", path.to_str().unwrap()])["asset_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub fn canonical(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Copies the repository's sample library into a fresh folder.
pub fn sample_copy() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&samples(), dir.path());
    dir
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
