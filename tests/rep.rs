//! The rep's two minutes before a call and after a deal, through the CLI as a rep
//! scripts it: the reason meant comes first, a near miss is named, an open lands on
//! the page that matched (or says it cannot), and the deal being prepared for is one
//! Quiver knows.

use serde_json::Value;

use crate::util::{Quiver, sample_copy};

fn error_of(out: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&out.stderr);
    serde_json::from_str::<Value>(&text).unwrap_or_else(|_| panic!("a JSON error: {text}"))["error"]
        .clone()
}

#[test]
fn the_reason_a_rep_types_is_the_one_found_and_near_misses_are_named() {
    let q = Quiver::new();
    q.json(&["rep", "set", "--name", "Ada"]);
    let found = q.json(&["reasons", "find", "price", "--kind", "objection"]);
    let labels: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.first(), Some(&"Price too high"), "{labels:?}");
    assert!(
        labels.contains(&"Competitor was cheaper"),
        "a keyword match still shows, lower: {labels:?}"
    );
    let buy = q.json(&["reasons", "find", "price", "--kind", "buy"]);
    assert!(
        buy.as_array()
            .unwrap()
            .iter()
            .all(|m| m["kind"] == "buy" || m["kind"] == "any"),
        "{buy}"
    );

    // A typed code with a typo is refused with the code meant.
    let out = q.run(&[
        "--json",
        "deal",
        "record",
        "--id",
        "OPP-9",
        "--outcome",
        "lost",
        "--close-date",
        "2026-11-02",
        "--primary",
        "PRICE.TOO_HIHG",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = error_of(&out);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("did you mean PRICE.TOO_HIGH"),
        "{err}"
    );

    // The same for the objections an asset addresses: a typo there would make a
    // coverage gap that is not there.
    let lib = sample_copy();
    q.add(lib.path());
    q.index();
    let target = lib.path().join("battlecards/acmeworks-battlecard.md");
    let out = q.run(&[
        "--json",
        "asset",
        "set",
        target.to_str().unwrap(),
        "addresses=PRICE.TOO_HIHG",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = error_of(&out);
    assert_eq!(err["code"], "user.invalid_value");
    assert!(
        err["message"].as_str().unwrap().contains("PRICE.TOO_HIGH"),
        "{err}"
    );
    let set = q.json(&[
        "asset",
        "set",
        target.to_str().unwrap(),
        "addresses=price too high, COMPETITION.CHEAPER",
    ]);
    assert_eq!(
        set["addresses"],
        serde_json::json!(["PRICE.TOO_HIGH", "COMPETITION.CHEAPER"]),
        "labels become codes: {set}"
    );
}

/// A viewer stand-in: a script that writes the arguments it was started with.
fn recording_viewer(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let out = dir.join(format!("{name}.args"));
    let script = dir.join(name);
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n", out.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, out)
}

fn opens(q: &Quiver) -> usize {
    let out = q.run(&["events", "export"]).stdout;
    String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| l.contains("\"kind\":\"open\""))
        .count()
}

#[test]
fn an_open_lands_on_the_page_and_a_viewer_that_fails_is_no_open() {
    let q = Quiver::new();
    q.json(&["rep", "set", "--name", "Ada"]);
    let lib = sample_copy();
    q.add(lib.path());
    q.index();
    let pdf = lib
        .path()
        .join("case-studies/meridian-outdoor-case-study.pdf");
    let pdf = pdf.to_str().unwrap();
    let tools = tempfile::tempdir().unwrap();

    // QUIVER_VIEWER with %p: the page goes to the viewer.
    let (viewer, args) = recording_viewer(tools.path(), "viewer");
    let ack = q.json_with_env(
        &["open", pdf, "--at", "page:2"],
        &[(
            "QUIVER_VIEWER",
            &format!("{} --page %p %f", viewer.display()),
        )],
    );
    let said = std::fs::read_to_string(&args).unwrap();
    assert!(said.starts_with("--page 2 "), "{said}");
    assert!(
        said.trim_end().ends_with("meridian-outdoor-case-study.pdf"),
        "{said}"
    );
    assert_eq!(ack["warnings"], serde_json::json!([]), "{ack}");
    assert_eq!(opens(&q), 1);

    // The desktop's default PDF viewer, when Quiver knows how to send it to a page.
    let config = tools.path().join("config");
    let data = tools.path().join("data");
    let bin = tools.path().join("bin");
    for d in [&config, &data.join("applications"), &bin] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(
        config.join("mimeapps.list"),
        "[Default Applications]\napplication/pdf=org.gnome.Evince.desktop;\n",
    )
    .unwrap();
    std::fs::write(
        data.join("applications/org.gnome.Evince.desktop"),
        "[Desktop Entry]\nName=Document Viewer\nExec=evince %U\n",
    )
    .unwrap();
    let (_, evince_args) = recording_viewer(&bin, "evince");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let env = [
        ("QUIVER_VIEWER", ""),
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ("XDG_DATA_HOME", data.to_str().unwrap()),
        ("XDG_DATA_DIRS", "/nonexistent"),
        ("PATH", path.as_str()),
    ];
    q.json_with_env(&["open", pdf, "--at", "page:2"], &env);
    let said = std::fs::read_to_string(&evince_args).unwrap();
    assert!(
        said.starts_with("--page-index=2 "),
        "evince was asked for page 2: {said}"
    );
    assert_eq!(opens(&q), 2);

    // A viewer with no way to go to a page opens the file, and the rep is told.
    let ack = q.json_with_env(
        &["open", pdf, "--at", "page:2"],
        &[("QUIVER_VIEWER", viewer.to_str().unwrap())],
    );
    assert!(
        ack["warnings"][0]
            .as_str()
            .unwrap()
            .contains("at its start"),
        "{ack}"
    );
    assert_eq!(opens(&q), 3);

    // A viewer that fails, or is not there, is an error, and no open is counted.
    for broken in ["false", "/nonexistent/viewer"] {
        let out = q
            .cmd()
            .args(["--json", "open", pdf])
            .env("QUIVER_VIEWER", broken)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{broken}");
        assert_eq!(error_of(&out)["code"], "user.viewer_failed", "{broken}");
    }
    assert_eq!(opens(&q), 3, "failed launches are not opens");
}

#[test]
fn the_deal_prepared_for_is_one_quiver_knows() {
    let q = Quiver::new();
    q.json(&["rep", "set", "--name", "Ada"]);
    let lib = sample_copy();
    q.add(lib.path());
    q.index();
    let dir = tempfile::tempdir().unwrap();
    let crm = dir.path().join("opportunities.csv");
    std::fs::write(
        &crm,
        "Opportunity ID,Opportunity Name,Account Name,Stage,Close Date,Opportunity Owner\n\
         OPP-77,Globex renewal,Globex Corporation,Negotiation/Review,2026-12-20,Ada\n\
         OPP-78,Initech expansion,Initech,Prospecting,2027-01-15,Ada\n\
         OPP-79,Globex pilot,Globex Corporation,Closed Won,2026-11-02,Ada\n",
    )
    .unwrap();
    let r = q.json(&[
        "deal",
        "import",
        "--unknown-as-other",
        crm.to_str().unwrap(),
    ]);
    assert_eq!(r["still_open"], 2, "{r}");

    // Type-ahead over id, name and account; closed deals are not prepared for.
    let found = q.json(&["deal", "find", "globex"]);
    let ids: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deal_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["OPP-77"], "{found}");

    // "OPP-77 Globex", as a CRM shows a deal, is OPP-77; the account's name alone is
    // the one open deal of that account; a new id is taken as typed.
    let battlecard = lib.path().join("battlecards/acmeworks-battlecard.md");
    let target = battlecard.to_str().unwrap();
    for (given, expected) in [
        ("OPP-77 Globex", "OPP-77"),
        ("Initech expansion", "OPP-78"),
        ("OPP-900", "OPP-900"),
    ] {
        q.json(&["open", "--no-launch", "--deal", given, target]);
        let last = String::from_utf8(q.run(&["events", "export"]).stdout).unwrap();
        let last: Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
        assert_eq!(last["deal_id"], expected, "--deal {given:?}");
    }
    let out = q.run(&[
        "--json",
        "open",
        "--no-launch",
        "--deal",
        "Umbrella Corp",
        target,
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "words that name no deal are refused"
    );
    assert_eq!(error_of(&out)["code"], "user.invalid_value");
    // A deal opened for is known from then on.
    assert!(
        q.json(&["deal", "find", "opp-9"])
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["deal_id"] == "OPP-900")
    );

    // The deal prepared for is kept until it is recorded closed.
    q.json(&["deal", "prepare", "globex renewal"]);
    assert_eq!(q.json(&["status"])["current_deal"], "OPP-77");
    q.json(&[
        "deal",
        "record",
        "--id",
        "OPP-77",
        "--outcome",
        "won",
        "--close-date",
        "2026-11-30",
        "--primary",
        "VALUE.ROI_CLEAR",
    ]);
    assert_eq!(q.json(&["status"])["current_deal"], Value::Null);
    assert!(
        q.json(&["deal", "find", "globex"])
            .as_array()
            .unwrap()
            .is_empty(),
        "a closed deal leaves the picker"
    );
}

#[test]
fn hits_say_their_folder_and_facets_combine_without_repeating_folders() {
    let q = Quiver::new();
    let lib = sample_copy();
    q.add(lib.path());
    q.index();
    let root = lib.path().file_name().unwrap().to_str().unwrap().to_owned();
    let r = q.json(&["search", "--no-record", "--facets", "brightline"]);
    let hit = &r["hits"][0];
    let path = std::path::Path::new(hit["path"].as_str().unwrap());
    let below = path
        .parent()
        .unwrap()
        .strip_prefix(std::fs::canonicalize(lib.path()).unwrap())
        .unwrap();
    assert_eq!(
        hit["folder"].as_str().unwrap(),
        std::path::Path::new(&root).join(below).to_str().unwrap(),
        "the folder from the library folder's name down: {hit}"
    );
    let facet = |field: &str| -> Vec<String> {
        r["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["field"] == field)
            .unwrap()["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["value"].as_str().unwrap().to_owned())
            .collect()
    };
    let folders = facet("folder");
    assert!(!folders.is_empty());
    for tag in facet("tag") {
        assert!(
            !folders
                .iter()
                .any(|f| f.rsplit('/').next() == Some(tag.as_str())),
            "the tag facet repeats the folder {tag}"
        );
    }
    // Two values of one facet are alternatives; two facets narrow each other.
    let total = |filters: &[&str]| -> u64 {
        let mut args = vec!["search", "--no-record", "brightline"];
        for f in filters {
            args.extend(["--filter", f]);
        }
        q.json(&args)["total"].as_u64().unwrap()
    };
    let (pdf, md) = (total(&["format=pdf"]), total(&["format=markdown"]));
    assert!(pdf > 0 && md > 0, "pdf {pdf}, markdown {md}");
    assert_eq!(total(&["format=pdf", "format=markdown"]), pdf + md);
    let narrowed = total(&["format=pdf", "freshness=current"]);
    assert!(
        narrowed <= pdf,
        "a second facet narrows: {narrowed} of {pdf}"
    );
}
