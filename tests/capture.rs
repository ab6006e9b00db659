//! Capture: opens and searches, deals and their validation, CRM import, event exchange,
//! the taxonomy, and durability of acknowledged writes under kill -9.

use std::collections::HashSet;
use std::fs;
use std::process::Stdio;
use std::time::Duration;

use crate::util::{Quiver, canonical, sample_copy, samples};

fn with_samples() -> Quiver {
    let q = Quiver::new();
    q.add(&samples());
    q.index();
    q.json(&["rep", "set", "--name", "Dana Rep", "--team", "EMEA"]);
    q
}

fn stderr_of(q: &Quiver, args: &[&str]) -> String {
    let out = q.run(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "quiver {args:?} must fail as a user error"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_deal_validation_rule_has_its_message() {
    let q = with_samples();
    q.json(&["reasons", "retire", "BRAND.VENDOR_RISK"]);
    let base = [
        "deal",
        "record",
        "--id",
        "D-1",
        "--outcome",
        "lost",
        "--close-date",
        "2026-01-15",
    ];
    let cases: &[(&[&str], &str)] = &[
        (
            &["--primary", "PRICE.NOPE"],
            "unknown reason code \"PRICE.NOPE\"",
        ),
        (
            &["--primary", "BRAND.VENDOR_RISK"],
            "BRAND.VENDOR_RISK is retired",
        ),
        (&[], "a closed deal needs a primary reason"),
        (
            &["--primary", "VALUE.ROI_CLEAR"],
            "must be an objection; VALUE.ROI_CLEAR",
        ),
        (
            &["--primary", "PRICE.TOO_HIGH", "--stage", "lunch"],
            "unknown stage \"lunch\"",
        ),
    ];
    for (extra, message) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let err = stderr_of(&q, &args);
        assert!(
            err.contains(message),
            "{extra:?}: expected {message:?} in {err:?}"
        );
    }
    let err = stderr_of(
        &q,
        &[
            "deal",
            "record",
            "--id",
            "D-2",
            "--outcome",
            "won",
            "--close-date",
            "2999-01-01",
            "--primary",
            "VALUE.ROI_CLEAR",
        ],
    );
    assert!(err.contains("is in the future"), "{err}");

    // The same deal twice is fine; the same id with different data is not.
    let ok = [
        "deal",
        "record",
        "--id",
        "D-3",
        "--outcome",
        "lost",
        "--close-date",
        "2026-01-15",
        "--primary",
        "Price too high",
    ];
    assert_eq!(q.json(&ok)["change"], "created");
    assert_eq!(
        q.json(&ok)["change"],
        "unchanged",
        "recording the same deal again changes nothing"
    );
    let err = stderr_of(
        &q,
        &[
            "deal",
            "record",
            "--id",
            "D-3",
            "--outcome",
            "lost",
            "--close-date",
            "2026-01-16",
            "--primary",
            "PRICE.TOO_HIGH",
        ],
    );
    assert!(
        err.contains("deal D-3 already exists with different data (close_date)"),
        "{err}"
    );

    // Labels work as codes, and an edit leaves an audit trail.
    let edited = q.json(&[
        "deal",
        "edit",
        "D-3",
        "--secondary",
        "COMPETITION.CHEAPER: Northpeak quoted 30% less",
    ]);
    assert_eq!(edited["change"], "updated");
    let shown = q.json(&["deal", "show", "D-3"]);
    assert_eq!(
        shown["deal"]["reasons"][0]["code"], "PRICE.TOO_HIGH",
        "the label resolved to its code"
    );
    assert_eq!(
        shown["deal"]["reasons"][1]["note"],
        "Northpeak quoted 30% less"
    );
    let audit = shown["audit"].as_array().unwrap();
    assert_eq!(audit.last().unwrap()["field"], "reasons");
    assert_eq!(audit.last().unwrap()["rep"], "Dana Rep");
}

const SALESFORCE: &str = "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,Close Date,Amount,Currency,Main Competitor,Industry,Employees,Region,Loss Reason,Win Reason,Description
006A1,Globex expansion,Globex,Sam Seller,Closed Lost,09/30/2025,\"$48,500.00\",USD,Northpeak,Retail,smb,NA,Price too high,,Northpeak was 30% cheaper
006A2,Initech,Initech,Sam Seller,Closed Won,10/02/2025,12000,USD,,Software,mid-market,NA,,Clear ROI and business case,
006A3,Hooli,Hooli,Sam Seller,Negotiation,10/02/2025,12000,USD,,Software,smb,NA,,,
006A4,Vandelay,Vandelay,Sam Seller,Closed Lost,10/02/2025,9000,USD,,Import,smb,NA,NOT.A.CODE,,
006A5,Umbrella,Umbrella,Sam Seller,Closed Lost,13/45/2025,9000,USD,,Pharma,enterprise,EU,PRICE.TOO_HIGH,,
006A6,Wayne,Wayne,Sam Seller,Closed Won (Renewal),10/03/2025,5000,USD,,Software,smb,NA,,Clear ROI and business case,
";

const HUBSPOT: &str = "Record ID,Deal Name,Associated Company,Deal owner,Deal Stage,Close Date,Amount,Closed lost reason,Closed won reason,Secondary reasons,Industry,Company size
901,Acme rollout,Acme,Lee Closer,Closed won,2025-08-01 10:00,25000,,Strong champion,IMPLEMENTATION.FAST,Manufacturing,enterprise
902,Soylent,Soylent,Lee Closer,Closed lost,2025-08-03 10:00,8000,No budget,,,Food,smb
903,Wonka,Wonka,,Closed lost,2025-08-04 10:00,8000,No budget,,,Food,smb
904,Stark,Stark,Lee Closer,Closed lost,2025-08-05 10:00,8000,Strong champion,,,Defense,enterprise
";

#[test]
fn crm_exports_import_with_line_numbers_and_idempotently() {
    let q = with_samples();
    let dir = tempfile::tempdir().unwrap();
    let sf = dir.path().join("salesforce.csv");
    fs::write(&sf, SALESFORCE).unwrap();
    let r = q.json(&["deal", "import", sf.to_str().unwrap()]);
    assert_eq!(r["format"], "salesforce");
    assert_eq!(
        (r["created"].as_u64(), r["unchanged"].as_u64()),
        (Some(2), Some(0)),
        "{r}"
    );
    let failed_lines = |r: &serde_json::Value| -> Vec<u64> {
        r["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["line"].as_u64().unwrap())
            .collect()
    };
    let lines = failed_lines(&r);
    assert_eq!(
        lines,
        [5, 6, 7],
        "unknown code, bad date and a closed stage of its own, by line: {r}"
    );
    assert_eq!(r["still_open"], 1, "the Negotiation row is skipped: {r}");
    // Excel and Salesforce end lines with CRLF: the same lines are named.
    let crlf = dir.path().join("salesforce-crlf.csv");
    fs::write(&crlf, SALESFORCE.replace('\n', "\r\n")).unwrap();
    let r = q.json(&["deal", "import", "--dry-run", crlf.to_str().unwrap()]);
    assert_eq!(failed_lines(&r), lines, "{r}");
    // A reason that is no code is a CRM's free text, most often: the report says
    // what to do, and `--unknown-as-other` codes it OTHER with its words as the note.
    assert!(
        r["hint"].as_str().unwrap().contains("--unknown-as-other"),
        "{r}"
    );
    let r = q.json(&[
        "deal",
        "import",
        "--unknown-as-other",
        "--dry-run",
        sf.to_str().unwrap(),
    ]);
    assert_eq!(
        (r["as_other"].as_u64(), failed_lines(&r)),
        (Some(1), vec![6, 7]),
        "{r}"
    );
    assert!(r.get("hint").is_none(), "{r}");

    // Free-text reasons imported for real: their words are kept in one OTHER, a cell
    // with the buyer's words after a code keeps the code, and a --map column is read
    // only as the field it is mapped to.
    let free = dir.path().join("free.csv");
    fs::write(
        &free,
        "deal_id,outcome,close_date,primary_reason,secondary_reasons,notes,remark\n\
         F-1,lost,2025-09-01,They went cheaper,Too slow to deploy;PRODUCT.SECURITY,call notes,x\n\
         F-2,lost,2025-09-02,PRICE.TOO_HIGH: over budget,,,y\n",
    )
    .unwrap();
    let r = q.json(&[
        "deal",
        "import",
        "--unknown-as-other",
        "--map",
        "notes=competitor",
        free.to_str().unwrap(),
    ]);
    assert_eq!(
        (r["created"].as_u64(), r["as_other"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    let f1 = &q.json(&["deal", "show", "F-1"])["deal"];
    assert_eq!(f1["competitor"], "call notes");
    let codes: Vec<&str> = f1["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["OTHER", "PRODUCT.SECURITY"], "{f1}");
    assert_eq!(
        f1["reasons"][0]["note"],
        "They went cheaper; Too slow to deploy"
    );
    let f2 = &q.json(&["deal", "show", "F-2"])["deal"];
    assert_eq!(f2["reasons"][0]["code"], "PRICE.TOO_HIGH");
    assert_eq!(f2["reasons"][0]["note"], "over budget");
    let lost = q.json(&["deal", "show", "006A1"]);
    assert_eq!(lost["deal"]["amount"], 48500.0);
    assert_eq!(lost["deal"]["close_date"], "2025-09-30");
    assert_eq!(
        lost["deal"]["reasons"][0]["note"],
        "Northpeak was 30% cheaper"
    );

    let again = q.json(&["deal", "import", sf.to_str().unwrap()]);
    assert_eq!(
        (
            again["created"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2)),
        "a second import changes nothing: {again}"
    );

    let changed = dir.path().join("changed.csv");
    fs::write(&changed, SALESFORCE.replace("\"$48,500.00\"", "51000")).unwrap();
    let dry = q.json(&["deal", "import", "--dry-run", changed.to_str().unwrap()]);
    assert_eq!(dry["updated"], 1);
    assert_eq!(
        q.json(&["deal", "show", "006A1"])["deal"]["amount"],
        48500.0,
        "a dry run changes nothing"
    );
    let upd = q.json(&["deal", "import", changed.to_str().unwrap()]);
    assert_eq!(upd["updated"], 1, "{upd}");
    let shown = q.json(&["deal", "show", "006A1"]);
    assert_eq!(shown["deal"]["amount"], 51000.0);
    let audit = shown["audit"].as_array().unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a["field"] == "amount" && a["old"] == "48500" && a["new"] == "51000"),
        "{audit:?}"
    );

    let hs = dir.path().join("hubspot.csv");
    fs::write(&hs, HUBSPOT).unwrap();
    let r = q.json(&["deal", "import", hs.to_str().unwrap()]);
    assert_eq!(r["format"], "hubspot");
    assert_eq!(r["created"], 2, "{r}");
    let failed: Vec<(u64, String)> = r["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0].0, 4);
    assert!(
        failed[0].1.contains("owner column (Deal owner) is empty"),
        "{failed:?}"
    );
    assert_eq!(failed[1].0, 5);
    assert!(failed[1].1.contains("must be an objection"), "{failed:?}");
    let won = q.json(&["deal", "show", "901"]);
    assert_eq!(won["deal"]["reasons"][0]["code"], "RELATIONSHIP.CHAMPION");
    assert_eq!(
        won["deal"]["reasons"][1]["code"], "IMPLEMENTATION.FAST",
        "secondary reasons by label"
    );
    assert_eq!(
        q.json(&["deal", "import", hs.to_str().unwrap()])["unchanged"],
        2
    );

    // A column of another name can be mapped.
    let custom = dir.path().join("custom.csv");
    fs::write(
        &custom,
        "Opp,Result,When,Owner,Why\nX-1,lost,2025-05-05,Kim,TIMING.NO_BUDGET\n",
    )
    .unwrap();
    let r = q.json(&[
        "deal",
        "import",
        custom.to_str().unwrap(),
        "--map",
        "Opp=deal_id",
        "--map",
        "Result=outcome",
        "--map",
        "When=close_date",
        "--map",
        "Owner=rep",
        "--map",
        "Why=primary_reason",
    ]);
    assert_eq!(r["created"], 1, "{r}");
}

#[test]
fn opens_link_to_searches_and_warn_on_expired_and_superseded() {
    let lib = sample_copy();
    let q = Quiver::new();
    q.add(lib.path());
    q.index();
    let s = q.json(&["search", "\"audit fee compression\""]);
    let query_id = s["query_id"].as_str().unwrap().to_owned();
    let asset = s["hits"][0]["asset_id"].as_str().unwrap().to_owned();
    let ack = q.json(&[
        "open",
        "--no-launch",
        "--query-id",
        &query_id,
        "--deal",
        "OPP-9",
        "--at",
        "slide:4",
        &asset,
    ]);
    assert!(ack["warnings"].as_array().unwrap().is_empty());
    // A page the file does not have, or a search never made, is refused, not recorded.
    for (args, says) in [
        (&["--at", "slide:99"][..], "slide 99 is not in this file"),
        (&["--at", "page:1"][..], "this file has no pages"),
        (&["--query-id", "bogus"][..], "no search \"bogus\""),
    ] {
        let out = q.run(&[&["open", "--no-launch"][..], args, &[asset.as_str()]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let short = q.run(&["open", "--no-launch", &asset[..5]]);
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least its first 6 characters"));
    assert!(
        q.run(&["open", "--no-launch", &asset[..8]])
            .status
            .success()
    );
    let events: Vec<serde_json::Value> = String::from_utf8(q.run(&["events", "export"]).stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let open = events
        .iter()
        .find(|e| e["kind"] == "open")
        .expect("the open is recorded");
    assert_eq!(
        open["query_id"],
        query_id.as_str(),
        "the open links to its search"
    );
    assert_eq!(open["deal_id"], "OPP-9");
    assert_eq!(open["location"]["number"], 4);
    let search = events.iter().find(|e| e["kind"] == "search").unwrap();
    assert_eq!(search["result_count"], 1);

    // Expired.
    q.json(&["asset", "set", &asset, "expires_on=2020-06-30"]);
    let ack = q.json(&["open", "--no-launch", &asset]);
    assert!(
        ack["warnings"][0]
            .as_str()
            .unwrap()
            .contains("expired on 2020-06-30"),
        "{ack}"
    );

    // Superseded: an old copy of a file that has since been edited.
    let current = lib.path().join("battlecards/acmeworks-battlecard.md");
    let old_copy = lib.path().join("old/acmeworks-battlecard-2024.md");
    fs::copy(&current, &old_copy).unwrap();
    q.index();
    fs::write(
        &current,
        fs::read_to_string(&current).unwrap() + "\nUpdated for Q3.\n",
    )
    .unwrap();
    q.index();
    let ack = q.json(&["open", "--no-launch", old_copy.to_str().unwrap()]);
    let warning = ack["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.contains("older version") && warning.contains(&canonical(&current)),
        "{ack}"
    );
}

#[test]
fn events_move_between_data_dirs_and_import_is_idempotent() {
    let a = with_samples();
    let s = a.json(&["search", "pricing"]);
    let qid = s["query_id"].as_str().unwrap().to_owned();
    for hit in s["hits"].as_array().unwrap().iter().take(3) {
        a.json(&[
            "open",
            "--no-launch",
            "--query-id",
            &qid,
            hit["asset_id"].as_str().unwrap(),
        ]);
    }
    a.json(&["search", "--limit", "3", "zzzqqq nothing"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    assert!(
        a.run(&["events", "export", "--out", file.to_str().unwrap()])
            .status
            .success()
    );
    let exported = fs::read_to_string(&file).unwrap();
    assert_eq!(exported.lines().count(), 5);

    // Another machine with the same library: its own asset ids, matched by content.
    let b = Quiver::new();
    let copy = sample_copy();
    b.add(copy.path());
    b.index();
    let mut bad = exported.clone();
    bad.push_str("not json\n{\"id\":\"x\",\"kind\":\"open\",\"at\":\"2026-01-01T00:00:00Z\",\"rep\":\"r\",\"path\":\"/nowhere.pdf\"}\n");
    fs::write(&file, &bad).unwrap();
    let r = b.json(&["events", "import", file.to_str().unwrap()]);
    assert_eq!(r["imported"], 5, "{r}");
    let failed: Vec<u64> = r["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, [6, 7], "bad lines by number, good ones kept");
    let again = b.json(&["events", "import", file.to_str().unwrap()]);
    assert_eq!(
        (again["imported"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(5)),
        "importing twice changes nothing"
    );

    let reexported = String::from_utf8(b.run(&["events", "export"]).stdout).unwrap();
    let key = |text: &str| -> HashSet<(String, String, String)> {
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|e| {
                (
                    e["id"].to_string(),
                    e["asset_hash"].to_string(),
                    e["query"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        key(&exported),
        key(&reexported),
        "the same events, the same assets (by content)"
    );
    // The same history gives the same reports on both machines.
    for (report, table) in [("searches", "top"), ("assets", "top_by_opens")] {
        let strip = |q: &Quiver| -> Vec<serde_json::Value> {
            let r = q.json(&["report", report]);
            let rows = r["tables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == table)
                .unwrap()["rows"]
                .clone();
            let mut rows: Vec<serde_json::Value> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    let mut row = row.clone();
                    // Ids and paths are each machine's own; titles and counts must agree.
                    row.as_object_mut()
                        .unwrap()
                        .retain(|k, _| k != "asset_id" && k != "path");
                    row
                })
                .collect();
            // Ties are ordered by asset id, which differs between machines.
            rows.sort_by_key(|r| r.to_string());
            rows
        };
        assert_eq!(
            strip(&a),
            strip(&b),
            "{report} report agrees across data dirs"
        );
    }
    // In B the opens point at B's own assets.
    for line in reexported.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        if e["kind"] == "open" {
            let shown = b.json(&["asset", "show", e["asset_id"].as_str().unwrap()]);
            assert_eq!(shown["status"], "present");
        }
    }
}

#[test]
fn taxonomy_changes_are_versioned_and_round_trip() {
    let q = with_samples();
    let v0 = q.json(&["reasons", "list"])["version"].as_i64().unwrap();
    let n = q.json(&["reasons", "list"])["reasons"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        (20..=30).contains(&n),
        "a short default taxonomy: {n} codes"
    );
    q.json(&[
        "reasons",
        "add",
        "PRICE.PACKAGING",
        "--label",
        "Packaging did not fit",
        "--kind",
        "objection",
        "--category",
        "Value and price",
    ]);
    q.json(&[
        "reasons",
        "rename",
        "PRICE.PACKAGING",
        "Packaging or bundling did not fit",
    ]);
    q.json(&[
        "deal",
        "record",
        "--id",
        "T-1",
        "--outcome",
        "lost",
        "--close-date",
        "2026-02-02",
        "--primary",
        "PRICE.PACKAGING",
    ]);
    let merged = q.json(&["reasons", "merge", "PRICE.PACKAGING", "PRICE.TOO_HIGH"]);
    assert_eq!(merged["merged_into"], "PRICE.TOO_HIGH");
    assert_eq!(
        q.json(&["deal", "show", "T-1"])["deal"]["reasons"][0]["code"],
        "PRICE.PACKAGING",
        "history keeps the old code"
    );
    let err = stderr_of(
        &q,
        &[
            "deal",
            "record",
            "--id",
            "T-2",
            "--outcome",
            "lost",
            "--close-date",
            "2026-02-02",
            "--primary",
            "PRICE.PACKAGING",
        ],
    );
    assert!(err.contains("merged into PRICE.TOO_HIGH"), "{err}");
    let v1 = q.json(&["reasons", "list"])["version"].as_i64().unwrap();
    assert_eq!(v1, v0 + 3, "add, rename and merge are three versions");

    for format in ["toml", "csv"] {
        let text =
            String::from_utf8(q.run(&["reasons", "export", "--format", format]).stdout).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("taxonomy.{format}"));
        fs::write(&file, &text).unwrap();
        let other = Quiver::new();
        let r = other.json(&["reasons", "import", file.to_str().unwrap()]);
        assert_eq!(r["added"], 1, "{format}: only the new code is new: {r}");
        assert_eq!(
            r["updated"], 0,
            "{format}: the default codes are the same: {r}"
        );
        let mine = q.json(&["reasons", "list", "--all"])["reasons"].clone();
        let theirs = other.json(&["reasons", "list", "--all"])["reasons"].clone();
        assert_eq!(mine, theirs, "{format} round trip");
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let q = with_samples();
    let asset = q.json(&["search", "--no-record", "pricing"])["hits"][0]["asset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut acknowledged = Vec::new();
    let mut killed_after_ack = 0;
    for round in 0..12u64 {
        let mut children = Vec::new();
        for i in 0..6u64 {
            let deal = format!("K-{round}-{i}");
            let child = if i % 2 == 0 {
                q.cmd()
                    .args(["--json", "open", "--no-launch", &asset])
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            } else {
                q.cmd()
                    .args([
                        "--json",
                        "deal",
                        "record",
                        "--id",
                        &deal,
                        "--outcome",
                        "lost",
                        "--close-date",
                        "2026-03-03",
                        "--primary",
                        "PRICE.TOO_HIGH",
                    ])
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            };
            children.push((deal, child));
        }
        // Kill at staggered moments: some before, some during, some after the write.
        std::thread::sleep(Duration::from_millis(5 + round * 7));
        for (deal, mut child) in children {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            let Ok(ack) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
                continue;
            };
            if out.status.code().is_none() {
                killed_after_ack += 1;
            }
            match ack["event_id"].as_str() {
                Some(id) => acknowledged.push(id.to_owned()),
                None => acknowledged.push(deal),
            }
        }
    }
    assert!(!acknowledged.is_empty(), "some writes were acknowledged");
    let events = String::from_utf8(q.run(&["events", "export"]).stdout).unwrap();
    let deals = q.json(&["deal", "list"]);
    let deal_ids: HashSet<&str> = deals
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deal_id"].as_str().unwrap())
        .collect();
    for id in &acknowledged {
        let present = if id.starts_with("K-") {
            deal_ids.contains(id.as_str())
        } else {
            events.contains(id.as_str())
        };
        assert!(present, "acknowledged write {id} was lost");
    }
    eprintln!(
        "{} acknowledged writes survived, {killed_after_ack} of them killed after acknowledging",
        acknowledged.len()
    );
    let integrity = q.json(&["status"]);
    assert_eq!(integrity["pending_index"], 0);
}

#[test]
fn taxonomy_changes_keep_deals_consistent() {
    let q = with_samples();
    let err = stderr_of(
        &q,
        &[
            "reasons",
            "merge",
            "PRODUCT.MISSING_FEATURE",
            "VALUE.ROI_CLEAR",
        ],
    );
    assert!(
        err.contains("objection reason and VALUE.ROI_CLEAR is a buy reason"),
        "{err}"
    );
    q.json(&[
        "deal",
        "record",
        "--id",
        "R-1",
        "--outcome",
        "lost",
        "--close-date",
        "2026-01-10",
        "--primary",
        "TIMING.NO_BUDGET",
        "--secondary",
        "PRODUCT.SECURITY: SSO missing",
    ]);
    q.json(&["reasons", "retire", "PRODUCT.SECURITY"]);
    // A deal that already has a retired code can still be edited, and a new primary
    // keeps its secondary reasons.
    let edited = q.json(&[
        "deal",
        "edit",
        "R-1",
        "--primary",
        "PRICE.TOO_HIGH",
        "--stage",
        "proposal",
    ]);
    assert_eq!(edited["change"], "updated", "{edited}");
    let deal = &q.json(&["deal", "show", "R-1"])["deal"];
    assert_eq!(deal["reasons"][0]["code"], "PRICE.TOO_HIGH");
    assert_eq!(
        deal["reasons"][1]["code"], "PRODUCT.SECURITY",
        "the secondary reason survives"
    );
    let err = stderr_of(&q, &["deal", "edit", "R-1", "--id", "R-2"]);
    assert!(err.contains("unexpected argument '--id'"), "{err}");
    assert_eq!(
        q.json(&["deal", "list"]).as_array().unwrap().len(),
        1,
        "no copy was made"
    );
}
