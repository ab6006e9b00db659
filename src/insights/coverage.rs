//! Objection coverage: for each objection, how often it was raised and which assets
//! address it, by tag (`quiver asset set ID addresses=CODE`) or by text (the code's
//! keywords, searched in the index). Objections raised often with no collateral are
//! content gaps.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::{Options, Report, ReportData, ReportName, Table, canonical_codes, round};
use crate::Result;
use crate::index::SearchIndex;
use crate::reasons::Kind;
use crate::search::matching_assets;

pub fn coverage(data: &dyn ReportData, index: &SearchIndex, opts: &Options) -> Result<Report> {
    let mut report = Report::new(ReportName::Coverage, opts);
    let canon = canonical_codes(data)?;
    // Deals raising each (canonical) code, any rank.
    let mut raised: HashMap<String, HashSet<String>> = HashMap::new();
    let mut all_deals = HashSet::new();
    for r in data.deal_reasons(&opts.window_start(), &opts.window_end())? {
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
    let mut t = Table::new(
        "objections",
        &[
            "code",
            "label",
            "raised",
            "closed_deals",
            "raised_share",
            "tagged_assets",
            "text_matched_assets",
            "top_assets",
            "gap",
        ],
    );
    let mut rows = Vec::new();
    for r in data
        .reasons()?
        .into_iter()
        .filter(|r| r.status == "active" && r.kind == Kind::Objection)
    {
        let n = raised.get(&r.code).map_or(0, HashSet::len);
        let tags = tagged.get(&r.code).cloned().unwrap_or_default();
        // An asset matches by text when it has at least one of the code's keyword phrases;
        // assets with more of them rank first.
        let mut hits: HashMap<String, (usize, usize)> = HashMap::new();
        for kw in &r.keywords {
            for (rank, id) in matching_assets(index, &format!("\"{kw}\""), 200)?
                .into_iter()
                .enumerate()
            {
                let e = hits.entry(id).or_insert((0, usize::MAX));
                e.0 += 1;
                e.1 = e.1.min(rank);
            }
        }
        // Expired material addresses nothing: reps must not send it.
        let today = opts.today.to_string();
        let live = |id: &String| -> Result<bool> {
            Ok(data
                .asset_card(id)?
                .is_some_and(|r| r.expires_on.as_deref().is_none_or(|d| d >= today.as_str())))
        };
        let mut ranked: Vec<(String, (usize, usize))> = Vec::new();
        for (id, v) in hits {
            if live(&id)? {
                ranked.push((id, v));
            }
        }
        let mut tags_live = HashSet::new();
        for id in tags {
            if live(&id)? {
                tags_live.insert(id);
            }
        }
        let tags = tags_live;
        ranked.sort_by(|a, b| {
            tags.contains(&b.0)
                .cmp(&tags.contains(&a.0))
                .then(b.1.0.cmp(&a.1.0))
                .then(a.1.1.cmp(&b.1.1))
        });
        let text_matched = ranked.len();
        let mut top = Vec::new();
        for id in tags.iter().cloned().chain(ranked.into_iter().map(|r| r.0)) {
            if top.len() == 3 {
                break;
            }
            if top
                .iter()
                .any(|t: &serde_json::Value| t["asset_id"] == id.as_str())
            {
                continue;
            }
            let (path, title) = data
                .asset_card(&id)?
                .map(|r| (r.path, r.title))
                .unwrap_or_default();
            top.push(json!({"asset_id": id, "path": path, "title": title}));
        }
        let gap = n > 0 && tags.is_empty() && text_matched == 0;
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
                json!(tags.len()),
                json!(text_matched),
                json!(top),
                json!(gap),
            ],
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let gaps = rows.iter().filter(|r| r.2[8] == json!(true)).count();
    for (_, _, v) in rows {
        t.push(v);
    }
    report
        .summary
        .insert("objections".into(), json!(t.rows.len()));
    report.summary.insert("gaps".into(), json!(gaps));
    report.notes.push("raised = closed deals (any outcome) that name the objection, primary or secondary, out of all closed deals in the window. An unexpired asset addresses it when tagged with its code, or when its text contains one of the code's keywords (the taxonomy lists them). gap = raised, with no asset either way.".into());
    if all_deals.is_empty() {
        report
            .notes
            .push("No closed deals in this window yet.".into());
    }
    report.tables.push(t);
    Ok(report)
}
