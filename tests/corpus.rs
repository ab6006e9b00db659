//! The shared corpus: every file is searchable or listed with a reason, and the probe
//! phrases find their files.

use std::collections::HashMap;

use crate::util::{Quiver, canonical, corpus};

/// The folders of real documents (the corpus also holds reference extractions, which
/// are copies of the same text and would compete with the originals for probes).
const DOCUMENT_FOLDERS: [&str; 7] = ["docx", "html", "md", "pdf", "pptx", "txt", "xlsx"];

#[test]
fn every_corpus_file_is_searchable_or_a_listed_problem() {
    let q = Quiver::new();
    q.add(&corpus());
    let report = q.index();
    assert!(
        report["indexed"].as_u64().unwrap() > 200,
        "the whole corpus is read: {report}"
    );

    let problems = q.json(&["problems"]);
    let by_path: HashMap<String, String> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let manifest = std::fs::read_to_string(corpus().join("MANIFEST.tsv")).unwrap();
    for line in manifest.lines().skip(1) {
        let rel = line.split('\t').next().unwrap();
        let path = canonical(&corpus().join(rel));
        if by_path.contains_key(&path) {
            continue;
        }
        let show = q.json(&["asset", "show", &path]);
        assert_eq!(
            show["status"], "present",
            "{rel} is neither a problem nor an indexed asset"
        );
    }

    // The broken files say why, with the right reason.
    let expect = [
        ("pdf/aes-256.pdf", "encrypted"),
        ("pdf/password.pdf", "encrypted"),
        ("pdf/2206.01062_pg3.pdf", "encrypted"),
        ("docx/example_password.docx", "encrypted"),
        ("xlsx/password_protected.xlsx", "encrypted"),
        ("pdf/empty.pdf", "empty"),
        ("docx/empty.docx", "empty"),
        ("pdf/invalid.pdf", "corrupt"),
        ("pdf/truncated-federal-register-2020-17221.pdf", "corrupt"),
        ("docx/truncated-word_sample.docx", "corrupt"),
        (
            "xlsx/truncated-2023-half-year-analyses-by-segment.xlsx",
            "corrupt",
        ),
        (
            "pdf/MEDRPT-2024-PAT-3847_medical_report_scan.pdf",
            "no_text",
        ),
        ("txt/fake-text-all-whitespace.txt", "no_text"),
    ];
    for (rel, kind) in expect {
        let path = canonical(&corpus().join(rel));
        assert_eq!(
            by_path.get(&path).map(String::as_str),
            Some(kind),
            "{rel} should be reported as {kind}"
        );
    }
    // A PDF named .docx is read as the PDF it is, not reported.
    let misnamed = canonical(&corpus().join("docx/misnamed-crazyones-pdfa.docx"));
    assert!(
        !by_path.contains_key(&misnamed),
        "content, not the name, decides the format"
    );

    let status = q.json(&["status"]);
    assert_eq!(
        status["index_documents"], status["assets"],
        "one index document per asset: {status}"
    );
    assert_eq!(status["pending_index"], 0);
}

#[test]
fn probe_phrases_find_their_files() {
    let q = Quiver::new();
    for folder in DOCUMENT_FOLDERS {
        q.add(&corpus().join(folder));
    }
    q.index();
    let probes = std::fs::read_to_string(corpus().join("probes.tsv")).unwrap();
    let mut total = 0;
    let mut missed = Vec::new();
    for line in probes.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (rel, phrase, n) = (cols[0], cols[1], cols[2].parse::<usize>().unwrap());
        let target = canonical(&corpus().join(rel));
        let hits = q.hit_paths(&format!("\"{phrase}\""), n.max(10));
        total += 1;
        if !hits.iter().any(|paths| paths.contains(&target)) {
            missed.push(format!("{rel}: {phrase:?}"));
        }
    }
    let recall = (total - missed.len()) as f64 / total as f64;
    eprintln!(
        "probe recall: {}/{total} = {recall:.3}; missed: {missed:#?}",
        total - missed.len()
    );
    assert!(
        recall >= 0.97,
        "probe recall {recall:.3} is below 97%; missed: {missed:#?}"
    );
    typos_rank_the_word_meant_first(&q);
}

/// One-edit typos of words the corpus uses often: the first hit is a document with the
/// word meant, marked in its snippet, and "did you mean" names it. Before corrections
/// were weighted, `pricng` ranked "Pride", "Prince" and "pares" above "price": BM25
/// favours the rarest correction.
fn typos_rank_the_word_meant_first(q: &Quiver) {
    for (typo, meant, stem) in [
        ("pricng", "pricing", "pric"),
        ("revnue", "revenue", "revenu"),
        ("secrity", "security", "secur"),
        ("complaince", "compliance", "complian"),
        ("anual", "annual", "annual"),
        ("finacial", "financial", "financ"),
        ("insurnce", "insurance", "insur"),
        ("polcy", "policy", "polic"),
    ] {
        let r = q.json(&["search", "--no-record", "--limit", "3", &format!("{typo} ")]);
        assert_eq!(r["did_you_mean"], meant, "{typo}: {r}");
        let hit = &r["hits"][0];
        let fragment = hit["fragment"].as_str().unwrap().as_bytes();
        let marked: Vec<String> = hit["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let (a, b) = (
                    h["start"].as_u64().unwrap() as usize,
                    h["end"].as_u64().unwrap() as usize,
                );
                String::from_utf8_lossy(&fragment[a..b]).to_lowercase()
            })
            .collect();
        assert!(
            !marked.is_empty() && marked.iter().all(|w| w.starts_with(stem)),
            "{typo}: the first hit shows {marked:?}, not {meant}"
        );
    }
}

#[test]
fn a_long_pdf_read_in_parts_comes_back_whole() {
    // 619 pages: the first request reads 64 of them and hands the rest back to the
    // pool in parts, which both workers read.
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("DA-619p.pdf");
    std::fs::copy(corpus().join("pdf/DA-619p.pdf"), &pdf).unwrap();
    let q = Quiver::new();
    q.add(dir.path());
    let report = q.index();
    assert_eq!(report["indexed"], 1, "{report}");
    assert_eq!(
        q.json(&["asset", "show", pdf.to_str().unwrap()])["page_count"],
        619
    );
    for (phrase, page) in [
        ("Table of Contents", 1),
        ("Calenhad immediately identified", 98),
        ("Servant in green livery", 600),
    ] {
        let r = q.json(&["search", &format!("\"{phrase}\"")]);
        assert_eq!(r["total"], 1, "{phrase}: {r}");
        assert_eq!(
            r["hits"][0]["location"]["number"], page,
            "{phrase} is on page {page}: {r}"
        );
    }
}
