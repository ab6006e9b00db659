//! Messaging: the reasons buyers give, the words that set used collateral apart from
//! unused collateral, and the words reps search for.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::{Options, Report, ReportData, ReportName, Table, canonical_codes, round, segment_of};
use crate::Result;
use crate::index::SearchIndex;
use crate::reasons::Kind;

/// Assets sampled per side for the term comparison, and text read per asset: enough
/// for stable top terms, bounded so the report stays fast on big libraries.
const SAMPLE_ASSETS: usize = 150;
const SAMPLE_BYTES: usize = 8_000;

const STOP: &[&str] = &[
    "the", "and", "for", "with", "that", "this", "are", "you", "your", "from", "our", "was",
    "have", "has", "not", "but", "all", "can", "will", "its", "their", "they", "them", "who",
    "what", "when", "how", "more", "than", "into", "per", "use", "one", "any", "each", "also",
    "out", "about", "which", "there", "been", "were", "would", "could", "may", "page", "none",
    "new",
];

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && w.len() <= 24 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
}

pub fn messaging(data: &dyn ReportData, _index: &SearchIndex, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Messaging, opts);
    let canon = canonical_codes(data)?;
    // Top buy reasons and objections, overall and per segment.
    let reasons = data.reasons()?;
    let labels: HashMap<&str, &str> = reasons
        .iter()
        .map(|r| (r.code.as_str(), r.label.as_str()))
        .collect();
    let kinds: HashMap<&str, &str> = reasons
        .iter()
        .map(|r| (r.code.as_str(), r.kind.as_str()))
        .collect();
    let mut counts: BTreeMap<(String, String), BTreeMap<String, (String, usize)>> = BTreeMap::new();
    // Primary reasons only, of the kind their code was recorded as.
    for r in super::deal_reasons(data, opts)? {
        if r.rank != 0 {
            continue;
        }
        let Some(kind) = kinds.get(r.code.as_str()) else {
            continue;
        };
        let seg = segment_of(opts.by, &r);
        let code = canon.get(&r.code).cloned().unwrap_or(r.code);
        let label = labels.get(code.as_str()).copied().unwrap_or_default();
        let e = counts
            .entry((seg, (*kind).to_owned()))
            .or_default()
            .entry(code)
            .or_insert((label.to_owned(), 0));
        e.1 += 1;
    }
    let mut t = Table::new(
        "top_reasons",
        &["segment", "kind", "code", "label", "deals", "share"],
    );
    let mut segment_deals: HashMap<&str, usize> = HashMap::new();
    for ((seg, _), codes) in &counts {
        *segment_deals.entry(seg).or_default() += codes.values().map(|c| c.1).sum::<usize>();
    }
    for ((seg, kind), codes) in &counts {
        // OTHER and UNKNOWN (kind `any`) are shares of all the segment's deals: as shares
        // of their own kind they would read 1.0.
        let total: usize = if kind == Kind::Any.as_str() {
            segment_deals[seg.as_str()]
        } else {
            codes.values().map(|c| c.1).sum()
        };
        let mut list: Vec<_> = codes.iter().collect();
        list.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
        for (code, (label, n)) in list.into_iter().take(5) {
            t.push(vec![
                json!(seg),
                json!(kind),
                json!(code),
                json!(label),
                json!(n),
                json!(round(*n as f64 / total as f64)),
            ]);
        }
    }
    report.notes.push("top_reasons: primary reasons. share = of the segment's deals whose primary reason is of the same kind (buy reasons, objections); for OTHER and UNKNOWN, of all the segment's deals.".into());
    if counts.is_empty() {
        report
            .notes
            .push("No closed deals in this window yet.".into());
    }
    report.tables.push(t);

    // Terms of used versus unused collateral: log-odds with an informative Dirichlet
    // prior (Monroe, Colaresi and Quinn 2008), z-scored.
    let opened: HashSet<String> = data
        .assets_opened_between(&opts.window_start(), &opts.window_end())?
        .into_iter()
        .collect();
    let all = data.present_asset_ids()?;
    let (used, unused): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|id| opened.contains(id));
    let count_terms = |ids: &[String]| -> Result<(HashMap<String, f64>, f64)> {
        let mut c: HashMap<String, f64> = HashMap::new();
        let mut total = 0.0;
        for id in ids.iter().take(SAMPLE_ASSETS) {
            let mut budget = SAMPLE_BYTES;
            data.each_asset_text(id, &mut |text| {
                let cut = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .take_while(|i| *i <= budget)
                    .last()
                    .unwrap_or(0);
                budget = budget.saturating_sub(cut);
                for w in words(&text[..cut]) {
                    *c.entry(w).or_default() += 1.0;
                    total += 1.0;
                }
                budget != 0
            })?;
        }
        Ok((c, total))
    };
    let (a, na) = count_terms(&used)?;
    let (b, nb) = count_terms(&unused)?;
    let mut t = Table::new(
        "distinguishing_terms",
        &["side", "term", "used_count", "unused_count", "z"],
    );
    if na > 0.0 && nb > 0.0 {
        let alpha0 = 1000.0;
        let n_all = na + nb;
        let mut scored: Vec<(String, f64, f64, f64)> = a
            .keys()
            .chain(b.keys())
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|w| {
                let ya = a.get(w).copied().unwrap_or(0.0);
                let yb = b.get(w).copied().unwrap_or(0.0);
                let aw = alpha0 * (ya + yb) / n_all;
                let la = ((ya + aw) / (na + alpha0 - ya - aw)).ln();
                let lb = ((yb + aw) / (nb + alpha0 - yb - aw)).ln();
                let z = (la - lb) / (1.0 / (ya + aw) + 1.0 / (yb + aw)).sqrt();
                (w.clone(), ya, yb, z)
            })
            .filter(|s| s.1 + s.2 >= 3.0)
            .collect();
        scored.sort_by(|x, y| y.3.total_cmp(&x.3).then(x.0.cmp(&y.0)));
        for s in scored.iter().take(opts.limit) {
            t.push(vec![
                json!("used"),
                json!(s.0),
                // Counts of documents, kept as f64 for the z score; whole numbers.
                json!(s.1 as u64),
                json!(s.2 as u64),
                json!(round(s.3)),
            ]);
        }
        for s in scored.iter().rev().take(opts.limit) {
            t.push(vec![
                json!("unused"),
                json!(s.0),
                // Counts of documents, kept as f64 for the z score; whole numbers.
                json!(s.1 as u64),
                json!(s.2 as u64),
                json!(round(s.3)),
            ]);
        }
    } else {
        report
            .notes
            .push("Terms need both opened and unopened collateral in the window.".into());
    }
    report
        .summary
        .insert("assets_used".into(), json!(used.len()));
    report
        .summary
        .insert("assets_unused".into(), json!(unused.len()));
    report.notes.push(format!(
        "Terms compare opened with unopened collateral (the first {SAMPLE_ASSETS} assets of each side, {} KB of text each), by log-odds with an informative Dirichlet prior; z above 2 is a clear difference.",
        SAMPLE_BYTES / 1000
    ));
    report.tables.push(t);

    // Words reps search for.
    // Summed per query here rather than by GROUP BY, which would sort the window.
    let mut per_query: HashMap<String, i64> = HashMap::new();
    data.each_query_day(
        &opts.window_start(),
        &opts.window_end(),
        &mut |q, n| match per_query.get_mut(q) {
            Some(total) => *total += n,
            None => {
                per_query.insert(q.to_owned(), n);
            }
        },
    )?;
    let mut freq: HashMap<String, i64> = HashMap::new();
    for (q, n) in per_query {
        for w in words(&q) {
            *freq.entry(w).or_default() += n;
        }
    }
    let mut list: Vec<_> = freq.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut t = Table::new("search_words", &["word", "searches"]);
    for (w, n) in list.into_iter().take(opts.limit) {
        t.push(vec![json!(w), json!(n)]);
    }
    report.tables.push(t);
    Ok(report)
}
