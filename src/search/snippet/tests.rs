use super::*;

/// A catalog holding one version with these sections, and their heads.
fn catalog_with(sections: &[&str]) -> (tempfile::TempDir, Catalog, Vec<SectionHead>) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.sqlite3")).unwrap();
    catalog.add_test_version(1, sections);
    let heads = catalog.section_heads(1).unwrap();
    (dir, catalog, heads)
}

/// The best section and snippet for one query word, as `search` finds them.
fn best_for(catalog: &Catalog, heads: &[SectionHead], word: &str) -> Best {
    let terms: BTreeMap<String, f32> = [(word.to_owned(), 1.0)].into_iter().collect();
    let needles = Needles::new(&terms, &[], &[]).unwrap();
    let snippets = SnippetGenerator::new(
        terms,
        tokenizer::analyzer(),
        tantivy::schema::Field::from_field_id(0),
        SNIPPET_CHARS,
    );
    best_section(&snippets, &needles, &mut catalog.section_texts(), heads).unwrap()
}

/// The usual-case pass of `needles` over one section.
fn scan_with(needles: &Needles, texts: &mut SectionTexts, id: i64, early: bool) -> Found {
    scan(
        &needles.usual_case,
        needles.words,
        texts,
        id,
        early,
        &mut Vec::new(),
    )
    .unwrap()
}

/// Needles for a query of these words, each typed in full.
fn needles(words: &[&str]) -> Needles {
    let terms: BTreeMap<String, f32> = words.iter().map(|w| (w.to_string(), 1.0)).collect();
    let groups: Vec<Vec<String>> = words.iter().map(|w| vec![w.to_string()]).collect();
    Needles::new(&terms, &[], &groups).unwrap()
}

#[test]
fn the_page_with_the_phrase_beats_a_page_with_more_of_its_words() {
    let scattered =
        "Position the vane. The AOA sensor is in place; position it and the AOA reads. ".repeat(5);
    let (_dir, catalog, heads) = catalog_with(&[
        &scattered,
        "Put the position of the AOA vane aside.",
        "Operators use a fixture to\nposition\tthe AOA, then check.",
    ]);
    let terms: BTreeMap<String, f32> = ["posit", "the", "aoa"]
        .iter()
        .map(|w| (w.to_string(), 1.0))
        .collect();
    let phrase = vec!["posit".to_owned(), "the".to_owned(), "aoa".to_owned()];
    let groups: Vec<Vec<String>> = phrase.iter().map(|w| vec![w.clone()]).collect();
    let needles = Needles::new(&terms, &[phrase], &groups).unwrap();
    let mut texts = catalog.section_texts();
    let (head, starts) = ranked(&needles.any_case, needles.words, &mut texts, &heads)
        .unwrap()
        .unwrap();
    assert_eq!(head.number, 3, "a word between (page 2) breaks the phrase");
    let text = "Operators use a fixture to\nposition\tthe AOA, then check.";
    assert_eq!(
        starts[0],
        text.find("position").unwrap(),
        "the snippet starts there"
    );
    let page_one = scan_with(&needles, &mut texts, heads[0].id, false);
    assert_eq!(page_one.phrases, 0, "no phrase across a sentence's words");
}

#[test]
fn a_phrase_is_whole_words_of_its_stems_and_may_repeat_a_word() {
    let phrase_needles = |stems: &[&str]| {
        let phrase: Vec<String> = stems.iter().map(|s| s.to_string()).collect();
        let terms: BTreeMap<String, f32> = phrase.iter().map(|w| (w.clone(), 1.0)).collect();
        let groups: Vec<Vec<String>> = phrase.iter().map(|w| vec![w.clone()]).collect();
        Needles::new(&terms, &[phrase], &groups).unwrap()
    };
    let near_miss = "Position there AOA and the vane. Later: positioned the AOA.";
    let repeated = "Say bye bye bye now.";
    let (_dir, catalog, heads) = catalog_with(&[near_miss, repeated]);
    let mut texts = catalog.section_texts();

    let needles = phrase_needles(&["posit", "the", "aoa"]);
    let found = scan_with(&needles, &mut texts, heads[0].id, false);
    assert_eq!(found.phrases, 1, "'positioned the AOA' stems alike");
    assert_eq!(
        found.starts[0],
        near_miss.find("positioned").unwrap(),
        "not 'Position there AOA': 'there' is no form of 'the'"
    );

    let needles = phrase_needles(&["bye", "bye", "now"]);
    let found = scan_with(&needles, &mut texts, heads[1].id, false);
    assert_eq!(found.phrases, 1, "the second and third 'bye' and 'now'");
    assert_eq!(found.starts[0], repeated.find("bye bye now").unwrap());
}

#[test]
fn neighbouring_words_are_the_rest_of_a_word_then_no_other_word() {
    assert!(adjacent(b"Posit", b"ion\n ", b"the AOA"));
    assert!(adjacent(b"cost", b"-", b"benefit"));
    assert!(!adjacent(b"posit", b"ion of ", b"the"), "a word between");
    assert!(!adjacent(b"price", b"", b"sheet"), "one word, pricesheet");
    assert!(!adjacent(b"posit", b"ion", b"the"), "positionthe");
    assert!(
        adjacent("美".as_bytes(), b"", "国".as_bytes()),
        "CJK characters"
    );
    assert!(!adjacent("美".as_bytes(), "日".as_bytes(), "国".as_bytes()));
}

#[test]
fn a_query_word_without_needles_of_its_own_is_no_group() {
    let terms: BTreeMap<String, f32> = [("price".to_owned(), 1.0), ("sheet".to_owned(), 1.0)]
        .into_iter()
        .collect();
    let query = [
        vec!["price".to_owned()],
        vec!["price".to_owned()],
        vec!["zzyzx".to_owned()],
        vec!["sheet".to_owned()],
    ];
    let needles = Needles::new(&terms, &[], &query).unwrap();
    assert_eq!(needles.usual_case.groups.count, 2);
    assert_eq!(needles.usual_case.groups.of, [Some(0), Some(1)]);
}

#[test]
fn a_place_with_all_the_words_beats_more_matches_far_apart() {
    let apart = format!("price price price {} sheet sheet", " filler".repeat(100));
    let together = format!(
        "price{} and later the price sheet itself{}",
        " filler".repeat(300),
        " filler".repeat(300)
    );
    let (_dir, catalog, heads) = catalog_with(&[&apart, &together]);
    let needles = needles(&["price", "sheet"]);
    let mut texts = catalog.section_texts();
    let (head, starts) = ranked(&needles.usual_case, needles.words, &mut texts, &heads)
        .unwrap()
        .unwrap();
    assert_eq!(head.number, 2, "the words together, not the most matches");
    assert_eq!(starts[0], together.find("price sheet").unwrap());
    // A single text is read on, past its first snippet places, to find them together.
    let (_dir, catalog, heads) = catalog_with(&[&together]);
    let mut texts = catalog.section_texts();
    let found = scan_with(&needles, &mut texts, heads[0].id, true);
    assert!(found.near);
    assert_eq!(found.starts[0], together.find("price sheet").unwrap());
}

#[test]
fn a_word_in_mixed_case_is_found_by_the_any_case_pass() {
    let needles = needles(&["javascript"]);
    let (_dir, catalog, heads) = catalog_with(&["no match here", "We ship JavaScript SDKs"]);
    let mut texts = catalog.section_texts();
    assert!(
        ranked(&needles.usual_case, 1, &mut texts, &heads)
            .unwrap()
            .is_none()
    );
    let best = ranked(&needles.any_case, 1, &mut texts, &heads).unwrap();
    assert_eq!(
        best.map(|(head, starts)| (head.number, starts)),
        Some((2, vec![8]))
    );
}

#[test]
fn the_page_with_most_words_wins_and_a_match_across_pieces_is_found_once() {
    // "pricing" straddles the first piece's end in page 2; page 2 also has "sheet".
    let long = format!("{} pricing sheet", "x".repeat(PIECE - 3));
    let (_dir, catalog, heads) = catalog_with(&["price price price", &long]);
    let needles = needles(&["price", "sheet"]);
    let mut texts = catalog.section_texts();
    let (head, starts) = ranked(&needles.usual_case, 2, &mut texts, &heads)
        .unwrap()
        .unwrap();
    assert_eq!((head.number, starts), (2, vec![PIECE - 2]));
    let found = scan_with(&needles, &mut texts, heads[1].id, false);
    assert_eq!(found.key, (2, 2), "each match counted once");
}

#[test]
fn a_match_at_a_piece_end_is_read_whole_in_the_next_piece() {
    // "plan" fits in the first piece, "planne" (for *planner*) does not: a scan of
    // the whole text finds "planne" there, once.
    let (_dir, catalog, heads) = catalog_with(&[&format!("{} planner", "x".repeat(PIECE - 5))]);
    let plan = needles(&["plan", "planner"]);
    let mut texts = catalog.section_texts();
    let found = scan_with(&plan, &mut texts, heads[0].id, false);
    assert_eq!((found.key, found.starts), ((1, 1), vec![PIECE - 4]));
    // And a match that starts a piece but is the end of a longer word is no match.
    let (_dir, catalog, heads) = catalog_with(&[&format!("{}pricing", "x".repeat(PIECE - 2))]);
    let price = needles(&["price"]);
    let mut texts = catalog.section_texts();
    let found = scan_with(&price, &mut texts, heads[0].id, false);
    assert_eq!(found.key, (0, 0));
}

#[test]
fn a_folded_accent_on_a_late_page_is_found_past_ascii_pages() {
    // "zurich" does not occur in "Zürich": only the analyser (which folds accents)
    // sees it; the pages before it have no letters that fold (curly quotes and dashes
    // are not letters) and cost nothing of its budget.
    let mut pages: Vec<String> = (0..300)
        .map(|_| "plain “english” text — ".repeat(200))
        .collect();
    pages.push("Our office in Zürich opened in May.".to_owned());
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let (_dir, catalog, heads) = catalog_with(&pages);
    let best = best_for(&catalog, &heads, "zurich");
    assert_eq!(best.location.map(|l| l.number), Some(301));
    let marked: Vec<&str> = best
        .highlights
        .iter()
        .map(|r| &best.fragment[r.clone()])
        .collect();
    assert_eq!(marked, ["Zürich"], "{}", best.fragment);
}

#[test]
fn a_title_match_shows_the_first_words_of_the_document() {
    let blank = " ".repeat(SNIPPET_WINDOW * 5);
    let (_dir, catalog, heads) = catalog_with(&["", &format!("{blank}Opening words here")]);
    let best = best_for(&catalog, &heads, "absent");
    assert_eq!(
        (best.fragment.as_str(), best.location),
        ("Opening words here", None)
    );
}

#[test]
fn a_long_single_text_is_read_only_until_the_snippet_places_are_found() {
    // Both words and eight snippet places in the first piece, more matches later.
    let mut book = "price sheet".to_owned();
    for _ in 0..10 {
        book.push_str(&" ".repeat(SNIPPET_WINDOW));
        book.push_str("price");
    }
    book.push_str(&" ".repeat(2 * PIECE));
    book.push_str("sheet sheet");
    let (_dir, catalog, heads) = catalog_with(&[&book]);
    let needles = needles(&["price", "sheet"]);
    let mut texts = catalog.section_texts();
    let early = scan_with(&needles, &mut texts, heads[0].id, true);
    let whole = scan_with(&needles, &mut texts, heads[0].id, false);
    assert_eq!(early.key, (2, 12));
    assert_eq!(whole.key, (2, 14));
    assert_eq!(early.starts.len(), SNIPPET_TRIES);
    assert_eq!(early.starts, whole.starts);
}

#[test]
fn a_needle_inside_another_word_is_not_a_match() {
    // "revie" (for *review*) inside *preview* must not make page 1 the best page.
    let (_dir, catalog, heads) =
        catalog_with(&["preview previewed PREVIEW", "a review, Review: 中review"]);
    let needles = needles(&["review"]);
    let mut texts = catalog.section_texts();
    let (head, starts) = ranked(&needles.usual_case, 1, &mut texts, &heads)
        .unwrap()
        .unwrap();
    assert_eq!((head.number, starts), (2, vec![2]));
    let found = scan_with(&needles, &mut texts, heads[1].id, false);
    assert_eq!(
        found.key,
        (1, 3),
        "a CJK character before a word ends the word before it"
    );
    assert!(may_fold("Zürich") && may_fold("ﬁnance") && may_fold("Việt"));
    assert!(!may_fold("“quoted” — text") && !may_fold("Москва"));
    assert!(inside_word(b"preview", 1));
    assert!(!inside_word(b"a review", 2));
    assert!(!inside_word("中review".as_bytes(), 3));
    assert!(!inside_word(b"review", 0));
}

#[test]
fn an_excerpt_is_cut_to_whole_characters() {
    let (_dir, catalog, heads) = catalog_with(&["été à Zürich"]);
    let mut texts = catalog.section_texts();
    // Byte 1 is inside "é", and ten bytes from there end inside "ü".
    assert_eq!(excerpt(&mut texts, heads[0].id, 1, 10).unwrap(), "té à Z");
    assert_eq!(
        excerpt(&mut texts, heads[0].id, 0, 100).unwrap(),
        "été à Zürich"
    );
    assert_eq!(excerpt(&mut texts, heads[0].id, 100, 10).unwrap(), "");
}

#[test]
fn needles_find_words_in_the_usual_cases_and_say_which_word() {
    let terms: BTreeMap<String, f32> = [("price".to_owned(), 1.0), ("sheet".to_owned(), 0.5)]
        .into_iter()
        .collect();
    let needles = Needles::new(&terms, &[], &[]).unwrap();
    assert_eq!(needles.words, 2);
    let text = "PRICE list. Pricing sheets; the price SHEET";
    let found: Vec<(usize, &str)> = needles
        .usual_case
        .matcher
        .find_iter(text)
        .map(|m| {
            (
                needles.usual_case.word_of[m.pattern().as_usize()],
                &text[m.range()],
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (0, "PRIC"),
            (0, "Pric"),
            (1, "shee"),
            (0, "pric"),
            (1, "SHEE")
        ]
    );
}
