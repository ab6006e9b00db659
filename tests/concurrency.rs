//! Two processes on one data dir: a second indexer is told clearly, searches keep
//! working while indexing runs.

use std::time::{Duration, Instant};

use crate::util::{Quiver, corpus, samples};

#[test]
fn second_indexer_is_refused_and_search_keeps_working() {
    let q = Quiver::new();
    q.add(&samples());
    q.index();
    q.add(&corpus().join("pdf"));
    q.add(&corpus().join("txt"));
    let first = q.spawn_index();
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    // Whichever process takes the writer first runs; the other must be refused.
    let mut messages = Vec::new();
    let second = q.run(&["index"]);
    if second.status.code() == Some(2) {
        messages.push(String::from_utf8_lossy(&second.stderr).into_owned());
        let s = q.json(&["search", "\"scavenger hunt\""]);
        assert_eq!(s["total"], 1, "search works while indexing runs");
    } else {
        assert!(
            second.status.success(),
            "{}",
            String::from_utf8_lossy(&second.stderr)
        );
    }
    let first = first.wait_with_output().unwrap();
    if first.status.code() == Some(2) {
        messages.push(String::from_utf8_lossy(&first.stderr).into_owned());
    } else {
        assert!(first.status.success());
    }
    assert_eq!(
        messages.len(),
        1,
        "exactly one of two concurrent indexers is refused"
    );
    assert!(
        messages[0].contains("indexing already running"),
        "{}",
        messages[0]
    );
    assert!(started.elapsed() < Duration::from_secs(120));
    let status = q.json(&["status"]);
    assert_eq!(
        status["pending_index"], 0,
        "the run that went ahead finished the work"
    );
}

/// An index run writes the catalog in batches while other processes record searches
/// (each a write): every batch must wait its turn, not fail because someone else
/// committed between its first read and its first write.
#[test]
fn an_index_run_goes_on_while_other_processes_write() {
    let q = Quiver::new();
    let library = tempfile::tempdir().unwrap();
    let words = [
        "pricing",
        "renewal",
        "security",
        "onboarding",
        "forecast",
        "roadmap",
    ];
    for i in 0..6000 {
        let folder = library.path().join(format!("team-{}", i % 20));
        std::fs::create_dir_all(&folder).unwrap();
        let text = format!(
            "Note {i}: {} and {} for account {i}.\n",
            words[i % words.len()],
            words[(i / 7) % words.len()]
        );
        std::fs::write(folder.join(format!("note-{i}.txt")), text).unwrap();
    }
    q.add(library.path());
    let mut run = q.spawn_index();
    let mut writes = 0;
    while run.try_wait().unwrap().is_none() {
        let out = q.run(&["search", words[writes % words.len()]]);
        assert!(
            out.status.success(),
            "a search during the run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        writes += 1;
    }
    let run = run.wait_with_output().unwrap();
    assert!(
        run.status.success(),
        "the index run, after {writes} searches beside it: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(writes >= 3, "the searches ran while the index run did");
    let status = q.json(&["status"]);
    assert_eq!(status["assets"], 6000, "{status}");
    assert_eq!(status["pending_index"], 0, "{status}");
}

/// A writer that waits out the busy timeout behind another process's long transaction
/// says so, as a user error, and does not repeat SQLite's words.
#[test]
fn a_writer_kept_waiting_too_long_is_told_the_catalog_is_busy() {
    let q = Quiver::new();
    q.json(&["rep", "set", "--name", "Ada"]);
    let holder = rusqlite::Connection::open(q.data.path().join("catalog.sqlite3")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let out = q.run(&["--json", "search", "pricing"]);
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "it waited first"
    );
    assert_eq!(out.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "user.catalog_busy", "{err}");
    holder.execute_batch("ROLLBACK").unwrap();
    let out = q.run(&["search", "pricing"]);
    assert!(out.status.success(), "once the other writer is done");
}
