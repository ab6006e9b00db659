//! Two processes on one data dir: a second indexer is told clearly, searches keep
//! working while indexing runs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{Quiver, corpus, samples};

#[test]
fn second_indexer_is_refused_and_search_keeps_working() {
    let q = Quiver::new();
    q.add(&samples());
    q.index();
    q.add(&corpus().join("pdf"));
    q.add(&corpus().join("txt"));
    let first = q
        .cmd()
        .arg("index")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
