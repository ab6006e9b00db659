//! Fault injection (issue #20): the Nth `write`, `fsync`/`fdatasync` or `openat` of an
//! index run, or of a capture write, fails (strace's `-e inject`, in every thread and
//! worker process); then the command runs again without faults. Nothing acknowledged
//! is lost, nothing is recorded twice, and the catalog and the index agree (`doctor`).
//! Skipped, with a message, when strace is not installed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use crate::util::{BIN, Quiver, samples};

/// The syscalls failed, as strace names them, and the error they fail with.
const FAULTS: [(&str, &str); 3] = [
    ("write", "ENOSPC"),
    ("fsync,fdatasync", "EIO"),
    ("openat", "EMFILE"),
];

fn strace() -> bool {
    let found = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        println!("skipped: strace is not installed (apt-get install strace)");
    }
    found
}

/// `quiver ARGS` on `data` with the `nth` call of `calls` failing with `errno`.
fn faulty(data: &Path, calls: &str, errno: &str, nth: u32, args: &[&str]) -> Output {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={calls}"))
        .arg("-e")
        .arg(format!("inject={calls}:error={errno}:when={nth}"))
        .arg(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("strace runs")
}

fn healthy(q: &Quiver, case: &str) {
    let out = q.run(&["--json", "doctor"]);
    assert!(
        out.status.success(),
        "{case}: the catalog and the index disagree: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_failed_write_fsync_or_open_loses_and_duplicates_nothing() {
    if !strace() {
        return;
    }
    let reference = Quiver::new();
    reference.add(&samples());
    reference.index();
    let want = reference.json(&["search", "--no-record", "pricing"])["total"].clone();
    let docs = reference.json(&["status"])["index_documents"].clone();

    // Index runs: a new data dir each time, the run failed at its Nth call.
    let mut failed_runs = 0;
    for (calls, errno) in FAULTS {
        for nth in [1, 2, 4, 8, 16, 32, 64, 128] {
            let case = format!("index, {calls} #{nth} fails with {errno}");
            let q = Quiver::new();
            q.add(&samples());
            let out = faulty(q.data.path(), calls, errno, nth, &["--json", "index"]);
            if !out.status.success() {
                failed_runs += 1;
            }
            let again = q.run(&["--json", "index"]);
            assert!(
                again.status.success(),
                "{case}: the run after it: {}",
                String::from_utf8_lossy(&again.stderr)
            );
            healthy(&q, &case);
            assert_eq!(q.json(&["status"])["index_documents"], docs, "{case}");
            assert_eq!(q.json(&["status"])["pending_index"], 0, "{case}");
            assert_eq!(
                q.json(&["search", "--no-record", "pricing"])["total"],
                want,
                "{case}"
            );
        }
    }
    assert!(failed_runs > 0, "the faults reached the runs");

    // Capture writes: opens with ids chosen by the caller, each retried after a fault.
    let q = Quiver::new();
    q.add(&samples());
    q.index();
    let file = samples().join("pricing");
    let file = std::fs::read_dir(file)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut ids = BTreeSet::new();
    let mut acknowledged = BTreeSet::new();
    let mut n = 0;
    for (calls, errno) in FAULTS {
        for nth in 1..=12 {
            n += 1;
            let id = format!("0190b4a0-0000-7000-8000-{n:012}");
            let args = [
                "--json",
                "open",
                "--no-launch",
                "--event-id",
                &id,
                file.to_str().unwrap(),
            ];
            let out = faulty(q.data.path(), calls, errno, nth, &args);
            if out.status.success() {
                acknowledged.insert(id.clone());
            }
            ids.insert(id.clone());
            // The rep retries whatever did not come back as done.
            if !out.status.success() {
                let again = q.run(&args);
                assert!(
                    again.status.success(),
                    "open after {calls} #{nth}: {}",
                    String::from_utf8_lossy(&again.stderr)
                );
            }
        }
    }
    let export = q.run(&["events", "export"]);
    assert!(export.status.success());
    let recorded: Vec<String> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let unique: BTreeSet<String> = recorded.iter().cloned().collect();
    assert_eq!(recorded.len(), unique.len(), "nothing recorded twice");
    assert!(acknowledged.is_subset(&unique), "nothing acknowledged lost");
    assert_eq!(unique, ids, "every open, once");
    healthy(&q, "after the capture faults");
}
