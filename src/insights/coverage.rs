//! Objection coverage: for each objection, how often it was raised and which current
//! assets cover it: tagged by marketing (`addresses`), named in the title, or named
//! repeatedly in the text (the best index matches, read to count mentions).
//! Objections raised with no collateral are content gaps.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::{Options, Report, ReportData, ReportName, Table, canonical_codes, round};
use crate::Result;
use crate::index::SearchIndex;
use crate::reasons::Kind;
use crate::search::matching_assets;

/// Mentions of an objection's words that make its text cover it.
const MIN_MENTIONS: usize = 3;
/// The best text matches read per objection.
const TEXT_CANDIDATES: usize = 50;

pub fn coverage(data: &dyn ReportData, index: &SearchIndex, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Coverage, opts);
    let canon = canonical_codes(data)?;
    // Deals raising each (canonical) code, any rank.
    let mut raised: HashMap<String, HashSet<String>> = HashMap::new();
    let mut all_deals = HashSet::new();
    for r in super::deal_reasons(data, opts)? {
        all_deals.insert(r.deal_id.clone());
        let code = canon.get(&r.code).cloned().unwrap_or(r.code);
        raised.entry(code).or_default().insert(r.deal_id);
    }
    // Assets tagged as addressing each code (tags on merged codes count for the new one).
    let mut tagged: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for tag in data.address_tags()? {
        let code = canon.get(&tag.code).cloned().unwrap_or(tag.code);
        tagged.entry(code).or_default().insert(tag.asset_id);
    }
    // Current assets (present, not expired): the only ones that cover anything, since
    // reps must not send the rest.
    let today = opts.today.to_string();
    let current: HashMap<String, (String, String)> = data
        .present_assets()?
        .into_iter()
        .filter(|a| a.expires_on.as_deref().is_none_or(|d| d >= today.as_str()))
        .map(|a| (a.id, (a.path, a.title)))
        .collect();
    let mut t = Table::new(
        "objections",
        &[
            "code",
            "label",
            "raised",
            "closed_deals",
            "raised_share",
            "tagged_assets",
            "title_matched_assets",
            "text_matched_assets",
            "top_assets",
            "gap",
        ],
    );
    let mut never = Table::new(
        "never_raised",
        &["code", "label", "covering_assets", "top_assets"],
    );
    let mut matches = Table::new(
        "matches",
        &[
            "code",
            "asset_id",
            "path",
            "title",
            "matched_by",
            "mentions",
        ],
    );
    let mut rows = Vec::new();
    for r in data
        .reasons()?
        .into_iter()
        .filter(|r| r.status == "active" && r.kind == Kind::Objection)
    {
        let n = raised.get(&r.code).map_or(0, HashSet::len);
        let phrases: Vec<String> = std::iter::once(r.label.to_lowercase())
            .chain(r.keywords.iter().map(|k| k.trim().to_lowercase()))
            .filter(|p| !p.is_empty())
            .collect();
        // asset -> (rule, mentions); the first rule that matches wins, in this order.
        let mut covered: BTreeMap<String, (&'static str, usize)> = BTreeMap::new();
        for id in tagged.get(&r.code).into_iter().flatten() {
            if current.contains_key(id) {
                covered.insert(id.clone(), ("tagged", 0));
            }
        }
        for (id, (_, title)) in &current {
            let title = title.to_lowercase();
            if !covered.contains_key(id) && phrases.iter().any(|p| title.contains(p.as_str())) {
                covered.insert(id.clone(), ("title", 0));
            }
        }
        // By text: the best BM25 matches of its phrases, read to count mentions. A
        // mention in passing (a filler line) is not coverage.
        let mut candidates: Vec<String> = Vec::new();
        for p in &phrases {
            for id in matching_assets(index, &format!("\"{p}\""), TEXT_CANDIDATES)? {
                if !candidates.contains(&id) && current.contains_key(&id) {
                    candidates.push(id);
                }
            }
        }
        for id in candidates.into_iter().take(TEXT_CANDIDATES) {
            if covered.contains_key(&id) {
                continue;
            }
            let mut mentions = 0;
            data.each_asset_text(&id, &mut |text| {
                let text = text.to_lowercase();
                mentions += phrases
                    .iter()
                    .map(|p| text.matches(p.as_str()).count())
                    .sum::<usize>();
                mentions < MIN_MENTIONS
            })?;
            if mentions >= MIN_MENTIONS {
                covered.insert(id, ("text", mentions));
            }
        }
        let count = |rule: &str| covered.values().filter(|c| c.0 == rule).count();
        let mut ranked: Vec<(&String, &(&'static str, usize))> = covered.iter().collect();
        let order = |rule: &str| ["tagged", "title", "text"].iter().position(|r| *r == rule);
        ranked.sort_by(|a, b| {
            order(a.1.0)
                .cmp(&order(b.1.0))
                .then(b.1.1.cmp(&a.1.1))
                .then(a.0.cmp(b.0))
        });
        let top: Vec<serde_json::Value> = ranked
            .iter()
            .take(3)
            .map(|(id, _)| {
                let (path, title) = &current[*id];
                json!({"asset_id": id, "path": path, "title": title})
            })
            .collect();
        for (id, (rule, mentions)) in &ranked {
            let (path, title) = &current[*id];
            matches.push(vec![
                json!(r.code),
                json!(id),
                json!(path),
                json!(title),
                json!(rule),
                json!(mentions),
            ]);
        }
        if n == 0 {
            never.push(vec![
                json!(r.code),
                json!(r.label),
                json!(covered.len()),
                json!(top),
            ]);
            continue;
        }
        let gap = covered.is_empty();
        rows.push((
            n,
            r.code.clone(),
            vec![
                json!(r.code),
                json!(r.label),
                json!(n),
                json!(all_deals.len()),
                json!(if all_deals.is_empty() {
                    0.0
                } else {
                    round(n as f64 / all_deals.len() as f64)
                }),
                json!(count("tagged")),
                json!(count("title")),
                json!(count("text")),
                json!(top),
                json!(gap),
            ],
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let gaps = rows.iter().filter(|r| r.2[9] == json!(true)).count();
    for (_, _, v) in rows {
        t.push(v);
    }
    report
        .summary
        .insert("objections".into(), json!(t.rows.len()));
    report.summary.insert("gaps".into(), json!(gaps));
    report
        .summary
        .insert("never_raised".into(), json!(never.rows.len()));
    report.notes.push(format!("raised = closed deals (any outcome) that name the objection, primary or secondary, out of all closed deals in the window. A current asset (present, not expired) covers it when marketing tagged it with the code (tagged), when its title names the objection or one of its keywords (title), or when its text names them at least {MIN_MENTIONS} times (text; a mention in passing is not coverage); matched_by says which. gap = raised, with no asset covering it. Objections not raised in the window are listed apart."));
    if all_deals.is_empty() {
        report
            .notes
            .push("No closed deals in this window yet.".into());
    }
    report.tables.push(t);
    report.tables.push(matches);
    report.tables.push(never);
    Ok(report)
}
