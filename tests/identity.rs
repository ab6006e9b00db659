//! Asset identity across renames, edits, copies and deletions, and re-indexing.

use std::fs;

use crate::util::{Quiver, canonical, sample_copy};

#[test]
fn rename_keeps_id_edit_makes_version_delete_keeps_history() {
    let lib = sample_copy();
    let q = Quiver::new();
    q.add(lib.path());
    let first = q.index();
    assert_eq!(first["indexed"], 15, "every sample file is read: {first}");

    let original = lib.path().join("battlecards/acmeworks-battlecard.md");
    let id = q.asset_id_of(&original);

    // Nothing changed: nothing is read again.
    let again = q.index();
    assert_eq!(
        (again["indexed"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(15)),
        "{again}"
    );

    // Rename (and move to another folder): same asset.
    fs::create_dir_all(lib.path().join("archive")).unwrap();
    let moved = lib.path().join("archive/acme-card.md");
    fs::rename(&original, &moved).unwrap();
    let r = q.index();
    assert_eq!(r["missing"], 1, "the old path is gone: {r}");
    assert_eq!(q.asset_id_of(&moved), id, "a moved file keeps its asset id");
    let hits = q.hit_paths("\"consultant dependency tax\"", 10);
    assert_eq!(hits.len(), 1, "exactly one hit after the move");
    assert_eq!(hits[0][0], canonical(&moved), "the hit shows the new path");
    let detail = q.json(&["asset", "show", &id]);
    assert!(detail["tags"].as_array().unwrap().is_empty());
    let folders = detail["folder_tags"].as_array().unwrap();
    assert!(
        folders.iter().any(|t| t == "archive"),
        "folder names become tags: {folders:?}"
    );
    let events: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["added", "moved", "missing"],
        "path history records the move"
    );

    // Edit: a new version of the same asset, and its new text is searchable.
    let mut text = fs::read_to_string(&moved).unwrap();
    text.push_str("\nNew objection: the quokka clause in renewals.\n");
    fs::write(&moved, text).unwrap();
    q.index();
    let detail = q.json(&["asset", "show", &id]);
    assert_eq!(detail["versions"], 2, "an edit is a new version");
    assert_eq!(
        q.hit_paths("quokka", 10).len(),
        1,
        "the edited text is indexed"
    );
    assert_eq!(
        q.hit_paths("\"consultant dependency tax\"", 10).len(),
        1,
        "still one document for the asset"
    );

    // A copy of the same bytes: one asset, two locations.
    let copy = lib.path().join("battlecards/acme-copy.md");
    fs::copy(&moved, &copy).unwrap();
    q.index();
    assert_eq!(q.asset_id_of(&copy), id, "same bytes, same asset");
    let hits = q.hit_paths("quokka", 10);
    assert_eq!(hits.len(), 1, "two copies are one hit");
    assert_eq!(hits[0].len(), 2, "the hit names both files: {hits:?}");

    // Delete both: missing, history kept, out of search.
    let bytes = fs::read(&moved).unwrap();
    fs::remove_file(&moved).unwrap();
    fs::remove_file(&copy).unwrap();
    let r = q.index();
    assert_eq!(r["missing"], 2, "{r}");
    let detail = q.json(&["asset", "show", &id]);
    assert_eq!(detail["status"], "missing");
    assert!(
        detail["history"].as_array().unwrap().len() >= 5,
        "history survives deletion"
    );
    assert!(
        q.hit_paths("quokka", 10).is_empty(),
        "missing assets are not search results"
    );

    // The same bytes come back under a new name: the same asset again.
    let back = lib.path().join("restored.md");
    fs::write(&back, bytes).unwrap();
    q.index();
    assert_eq!(q.asset_id_of(&back), id, "restored bytes find their asset");
    assert_eq!(q.json(&["asset", "show", &id])["status"], "present");
}

#[test]
fn catalog_fields_filter_search_and_mark_expiry() {
    let lib = sample_copy();
    let q = Quiver::new();
    q.add(lib.path());
    q.index();
    let deck = lib.path().join("decks/cfo-roi-deck.pptx");
    let id = q.asset_id_of(&deck);
    let set = q.json(&[
        "asset",
        "set",
        &id,
        "product=Ledger",
        "persona=CFO",
        "expires_on=2020-01-31",
        "addresses=price.too_high",
    ]);
    assert_eq!(set["persona"], "CFO");
    assert_eq!(
        set["addresses"][0], "PRICE.TOO_HIGH",
        "reason codes are upper-cased"
    );

    let r = q.json(&["search", "--filter", "persona=cfo", "roi"]);
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(
        hits.len(),
        1,
        "the persona filter keeps only the tagged deck: {r}"
    );
    assert_eq!(hits[0]["asset_id"], id.as_str());
    assert_eq!(
        hits[0]["expired"], true,
        "an asset past expires_on is marked"
    );
    assert_eq!(
        hits[0]["location"]["kind"], "slide",
        "a deck hit says which slide"
    );

    let r = q.json(&[
        "search",
        "--filter",
        "folder=battlecards",
        "--filter",
        "format=md",
        "pricing",
    ]);
    for hit in r["hits"].as_array().unwrap() {
        assert!(
            hit["path"].as_str().unwrap().contains("/battlecards/"),
            "{hit}"
        );
        assert_eq!(hit["format"], "markdown");
    }
    assert!(!r["hits"].as_array().unwrap().is_empty());

    let bad = q.run(&["asset", "set", &id, "expires_on=next tuesday"]);
    assert_eq!(bad.status.code(), Some(2), "a bad date is a user error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a date"));
    let bad = q.run(&["search", "--filter", "colour=red", "x"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown field"));
}

#[test]
fn search_as_you_type_typos_phrases_and_snippets() {
    let q = Quiver::new();
    q.add(&crate::util::samples());
    q.index();
    let first = |query: &str| {
        let r = q.json(&["search", "--limit", "3", query]);
        r["hits"]
            .as_array()
            .unwrap()
            .first()
            .cloned()
            .unwrap_or_default()
    };
    // Prefix of the last word while typing.
    let hit = first("spreadsheet archae");
    assert!(
        hit["path"]
            .as_str()
            .unwrap()
            .ends_with("ledger-sales-pitch.pptx"),
        "{hit}"
    );
    // Two typos in a long word, one in a short one.
    let hit = first("tenant isolaton boundry ");
    assert!(
        hit["path"].as_str().unwrap().ends_with("security-faq.html"),
        "{hit}"
    );
    // The snippet's highlights are the matched words (typos corrected): byte ranges of
    // the fragment, for each front to mark its own way.
    let fragment = hit["fragment"].as_str().unwrap();
    let marked: Vec<String> = hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let (a, b) = (r["start"].as_u64().unwrap(), r["end"].as_u64().unwrap());
            fragment[a as usize..b as usize].to_lowercase()
        })
        .collect();
    assert!(!marked.is_empty(), "{hit}");
    assert!(
        marked.iter().all(|w| w.starts_with("tenant")
            || w.starts_with("isolation")
            || w.starts_with("boundar")),
        "{marked:?} in {hit}"
    );
    // A quoted phrase must match in order.
    let r = q.json(&["search", "\"seat ramp schedule\""]);
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0]["location"]["kind"], "sheet",
        "spreadsheet hits name the sheet"
    );
    let r = q.json(&["search", "\"schedule ramp seat\""]);
    assert_eq!(r["total"], 0, "phrase order matters");
    // A PDF hit names its page.
    let r = q.json(&["search", "\"brittle spreadsheet macro\""]);
    assert_eq!(r["hits"][0]["location"]["kind"], "page", "{r}");
}
