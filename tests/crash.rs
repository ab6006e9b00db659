//! Killing `quiver index` at any moment loses nothing and duplicates nothing: the next
//! run completes the work and the index agrees with the catalog.

use std::collections::HashSet;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::util::{Quiver, corpus, samples};

const FOLDERS: [&str; 4] = ["pdf", "docx", "pptx", "md"];

fn library(q: &Quiver) {
    for f in FOLDERS {
        q.add(&corpus().join(f));
    }
}

#[test]
fn kill_9_during_index_then_reindex_gives_each_asset_exactly_once() {
    // A clean, uninterrupted run is the reference.
    let reference = Quiver::new();
    library(&reference);
    reference.index();
    let want = reference.json(&["status"]);

    // Commit often so that kills land between index commits and catalog marks too.
    let q = Quiver::with_config("commit_every_docs = 3\n");
    library(&q);
    let mut killed = 0;
    for delay_ms in [40, 150, 400, 900, 1600, 2500, 4000] {
        let mut child = q.cmd().arg("index").spawn().unwrap();
        let start = Instant::now();
        sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        assert!(start.elapsed() < Duration::from_secs(120));
    }
    assert!(
        killed >= 3,
        "the kills must interrupt real work ({killed} did)"
    );
    let done = q.index();
    assert!(done["failed"].as_array().is_some(), "{done}");

    let got = q.json(&["status"]);
    for key in ["assets", "files", "problems", "index_documents"] {
        assert_eq!(
            got[key], want[key],
            "{key} after kills must equal an uninterrupted run: {got} vs {want}"
        );
    }
    assert_eq!(got["pending_index"], 0);
    assert_eq!(
        got["index_documents"], got["assets"],
        "one document per asset"
    );

    // Every probe of these folders finds its file in exactly one hit.
    let probes = std::fs::read_to_string(corpus().join("probes.tsv")).unwrap();
    for line in probes.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !FOLDERS
            .iter()
            .any(|f| cols[0].starts_with(&format!("{f}/")))
            || cols[2] != "1"
        {
            continue;
        }
        let r = q.json(&["search", "--limit", "50", &format!("\"{}\"", cols[1])]);
        let ids: Vec<&str> = r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["asset_id"].as_str().unwrap())
            .collect();
        let unique: HashSet<&&str> = ids.iter().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "an asset appears twice for {:?}",
            cols[1]
        );
    }
}

/// The index is derived: one damaged on disk (here tantivy's list of its files, as a
/// disk error or a power cut could leave it) is rebuilt from the catalog, not an error
/// at every command.
#[test]
fn a_damaged_index_is_rebuilt_from_the_catalog() {
    let q = Quiver::new();
    q.add(&samples());
    q.index();
    let want = q.json(&["status"]);
    assert!(want["index_documents"].as_u64().unwrap() > 5, "{want}");
    let hits = |q: &Quiver| q.json(&["search", "pricing"])["total"].as_u64().unwrap();
    let found = hits(&q);
    assert!(found > 0);

    std::fs::write(q.data.path().join("index/.managed.json"), b"{ damaged").unwrap();
    // Rebuilt at once, from the catalog's text, by whichever command comes first.
    let status = q.json(&["status"]);
    assert_eq!(
        status["index_documents"], want["index_documents"],
        "{status}"
    );
    assert_eq!(status["pending_index"], 0, "{status}");
    let again = q.index();
    assert_eq!(again["failed"].as_array().map(Vec::len), Some(0), "{again}");
    let got = q.json(&["status"]);
    assert_eq!(got["index_documents"], want["index_documents"], "{got}");
    assert_eq!(got["pending_index"], 0, "{got}");
    assert_eq!(hits(&q), found);
}
