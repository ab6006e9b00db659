//! Search facets and the freshness filter on the sample library.

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::util::{Quiver, sample_copy};

#[test]
fn facet_counts_agree_with_filtered_searches() {
    let lib = sample_copy();
    let q = Quiver::new();
    q.add(lib.path());
    q.index();
    let hits = q.json(&["search", "brightline", "--limit", "50", "--no-record"]);
    let ids: Vec<String> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["asset_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ids.len() >= 6,
        "the samples mention Brightline often: {hits}"
    );
    let soon = (Utc::now() + Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    q.json(&[
        "asset",
        "set",
        &ids[0],
        "expires_on=2020-01-31",
        "product=ledger",
    ]);
    q.json(&[
        "asset",
        "set",
        &ids[1],
        &format!("expires_on={soon}"),
        "product=ledger",
    ]);
    q.json(&["asset", "set", &ids[2], "product=close", "persona=CFO"]);
    q.index();

    let r = q.json(&[
        "search",
        "brightline",
        "--facets",
        "--limit",
        "50",
        "--no-record",
    ]);
    let total = r["total"].as_u64().unwrap();
    let group = |field: &str| -> Vec<(String, u64)> {
        r["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["field"] == field)
            .unwrap_or_else(|| panic!("no {field} facet in {r}"))["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_owned(),
                    v["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let counts = |field: &str| -> std::collections::BTreeMap<String, u64> {
        group(field).into_iter().collect()
    };
    // Every asset has one format: the format facet partitions the matches.
    assert_eq!(counts("format").values().sum::<u64>(), total);
    assert_eq!(counts("product")["ledger"], 2);
    assert_eq!(counts("product")["close"], 1);
    assert_eq!(counts("persona")["cfo"], 1);
    let fresh = counts("freshness");
    assert_eq!(fresh["expired"], 1, "{fresh:?}");
    assert_eq!(fresh["expiring"], 1, "{fresh:?}");
    assert_eq!(fresh["current"], total - 2, "{fresh:?}");

    // Each facet value, used as a filter, finds exactly as many assets as it counted.
    for field in ["folder", "format", "product", "persona", "tag", "freshness"] {
        for (value, count) in group(field) {
            let filter = format!("{field}={value}");
            let narrowed: Value =
                q.json(&["search", "brightline", "--filter", &filter, "--no-record"]);
            assert_eq!(narrowed["total"].as_u64().unwrap(), count, "{filter}");
        }
    }
    // A folder given by its full path finds the same.
    for (value, count) in group("folder") {
        let Some((_, below)) = value.trim_start_matches('/').split_once('/') else {
            continue;
        };
        let filter = format!("folder={}", lib.path().join(below).display());
        let narrowed: Value = q.json(&["search", "brightline", "--filter", &filter, "--no-record"]);
        assert_eq!(narrowed["total"].as_u64().unwrap(), count, "{filter}");
    }
    let expired = q.json(&[
        "search",
        "brightline",
        "--filter",
        "freshness=expired",
        "--no-record",
    ]);
    assert_eq!(expired["hits"][0]["asset_id"], ids[0].as_str());
    assert_eq!(expired["hits"][0]["expired"], true);

    let bad = q.run(&["search", "brightline", "--filter", "freshness=stale"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expired, expiring or current"));
}

#[test]
fn a_data_dir_never_set_up_is_refused_and_an_empty_one_says_what_to_do() {
    let q = Quiver::new();
    let typo = q.data.path().join("quivr");
    for args in [
        ["search", "pricing"],
        ["report", "unused"],
        ["events", "export"],
    ] {
        let out = std::process::Command::new(crate::util::BIN)
            .arg("--data-dir")
            .arg(&typo)
            .arg("--json")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"]["code"], "user.no_data_dir", "{args:?}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }

    // A command that sets up starts the data dir; searching it then says what is missing.
    let out = q
        .cmd()
        .args(["rep", "set", "--name", "Ada"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let search = |q: &Quiver| {
        let out = q.run(&["search", "--no-record", "pricing"]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(search(&q).contains("quiver library add"), "{}", search(&q));
    let lib = tempfile::tempdir().unwrap();
    std::fs::write(lib.path().join("a.md"), "# A\nnothing on it").unwrap();
    q.add(lib.path());
    assert!(search(&q).contains("run `quiver index`"), "{}", search(&q));
    q.index();
    let text = search(&q);
    assert!(text.starts_with("no results"), "{text}");
    assert!(!text.contains("quiver index"), "{text}");
}
