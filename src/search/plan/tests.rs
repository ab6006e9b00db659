use super::*;
#[test]
fn query_pieces() {
    let (p, typing) = pieces("\"implementation timeline\" pric");
    assert_eq!(
        p,
        vec![
            Piece::Phrase("implementation timeline".into()),
            Piece::Word("pric".into())
        ]
    );
    assert!(
        typing,
        "a last word without a trailing space is being typed"
    );
    let (_, typing) = pieces("pricing ");
    assert!(!typing);
    let (p, _) = pieces("\"unclosed phrase");
    assert_eq!(p, vec![Piece::Phrase("unclosed phrase".into())]);
}

/// Typo and prefix expansions over a real index: which words, in what order.
#[test]
fn expansions_follow_the_edit_distance_and_the_prefix_most_frequent_first() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(dir.path()).unwrap();
    let bodies = [
        "pricing price prize",
        "pricing implementation",
        "pricing priority leader",
        "ledger private",
        "цена",
        "paa pab pac pad pae paf pag pah pai paj",
        "total cost of ownership",
        "total cost and ownership",
        "total cost ownership",
        "total cost of the ownership",
    ];
    for (n, body) in bodies.iter().enumerate() {
        let doc = crate::catalog::IndexDoc {
            asset_id: format!("a{n}"),
            title: String::new(),
            format: "text".into(),
            tags: vec![],
            own_tags: vec![],
            folders: vec!["/lib".into()],
            fields: vec![],
            expires_day: None,
            sections: vec![(*body).to_owned()],
        };
        writer.add_document(index.document(&doc)).unwrap();
    }
    writer.commit().unwrap();
    index.reload().unwrap();
    let searcher = index.reader.searcher();
    let words = |word: &str, how| -> Vec<String> {
        expand(&searcher, index.fields.words, word, how)
            .unwrap()
            .into_iter()
            .map(|(w, _)| w)
            .collect()
    };
    assert_eq!(words("pricng", Expansion::Typo(1)), ["pricing"]);
    assert_eq!(
        words("pirce", Expansion::Typo(1)),
        ["price"],
        "a swap is one edit"
    );
    assert_eq!(
        words("implmentaton", Expansion::Typo(2)),
        ["implementation"]
    );
    assert!(
        words("ledger", Expansion::Typo(1)).is_empty(),
        "leader is two edits away, and the word itself is no expansion"
    );
    assert!(
        words("rpice", Expansion::Typo(1)).is_empty(),
        "a typo keeps the first letter"
    );
    assert_eq!(
        words("цеан", Expansion::Typo(1)),
        ["цена"],
        "not only ASCII"
    );
    assert_eq!(
        words("pri", Expansion::Prefix),
        ["pricing", "price", "priority", "private", "prize"]
    );
    assert_eq!(
        words("pa", Expansion::Prefix).len(),
        SHORT_PREFIX_EXPANSIONS
    );
    assert_eq!(words("paa", Expansion::Prefix), Vec::<String>::new());

    // A phrase that skips its inner word still holds that word's place.
    let stems: Vec<String> = ["total", "cost", "of", "ownership"]
        .map(String::from)
        .into();
    let checked = checked_words(&stems, &[10, 10, 99_000, 10], 100_000);
    let found = searcher
        .search(
            phrase_query(index.fields.body, &checked).as_ref(),
            &TopDocs::with_limit(10).order_by_score(),
        )
        .unwrap();
    let mut ids: Vec<String> = found
        .iter()
        .map(|(_, addr)| {
            let doc: TantivyDocument = searcher.doc(*addr).unwrap();
            let id = doc.get_first(index.fields.asset_id).unwrap();
            id.as_str().unwrap().to_owned()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["a6", "a7"], "one word between cost and ownership");
}

#[test]
fn a_phrase_checks_common_inner_words_only_in_a_small_library() {
    let stems: Vec<String> = ["total", "cost", "of", "ownership"]
        .map(String::from)
        .into();
    let at = |docs, dfs: &[u64]| -> Vec<usize> {
        checked_words(&stems, dfs, docs)
            .iter()
            .map(|&(at, _)| at)
            .collect()
    };
    // "of" is in nearly every document of a large library: it holds its place.
    assert_eq!(at(100_000, &[900, 20_000, 99_000, 800]), vec![0, 1, 3]);
    // Of two common words side by side, only the first is skipped.
    assert_eq!(at(100_000, &[900, 99_000, 99_000, 800]), vec![0, 2, 3]);
    // A small library checks every word, however common.
    assert_eq!(at(500, &[9, 200, 499, 8]), vec![0, 1, 2, 3]);
    // In half the documents or fewer: checked.
    assert_eq!(at(100_000, &[900, 20_000, 50_000, 800]), vec![0, 1, 2, 3]);
    // First and last words are always checked, common or not.
    assert_eq!(
        at(100_000, &[99_000, 99_000, 99_000, 99_000]),
        vec![0, 2, 3]
    );
}

proptest::proptest! {
    /// Typed words and quoted phrases come back as pieces in order, whatever the
    /// spacing; the last word is a prefix only while it is being typed.
    #[test]
    fn the_query_parser_keeps_words_and_phrases(
        parts in proptest::collection::vec(("[^\"\\s]{1,8}", proptest::bool::ANY, "[^\"]{0,12}"), 1..6),
        gaps in proptest::collection::vec("[ \t]{1,3}", 6),
        done in proptest::bool::ANY,
    ) {
        let mut query = String::new();
        let mut expected = Vec::new();
        for (i, (word, quoted, phrase)) in parts.iter().enumerate() {
            if i > 0 {
                query.push_str(&gaps[i]);
            }
            if *quoted {
                query.push('"');
                query.push_str(phrase);
                query.push('"');
                expected.push(Piece::Phrase(phrase.clone()));
            } else {
                query.push_str(word);
                expected.push(Piece::Word(word.clone()));
            }
        }
        if done {
            query.push(' ');
        }
        let (pieces, typing) = pieces(&query);
        proptest::prop_assert_eq!(pieces, expected);
        let last_is_word = !parts.last().unwrap().1;
        proptest::prop_assert_eq!(typing, last_is_word && !done);
    }
}
