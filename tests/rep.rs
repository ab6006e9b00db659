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
