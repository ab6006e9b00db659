//! Facets: counts of every matching asset by format, folder, product, ..., freshness.

use serde::Serialize;

use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::FacetCollector;
use tantivy::schema::Facet;

use crate::Result;
use crate::index::SearchIndex;

use super::filter::freshness_bounds;
use super::*;

/// One value of a facet and how many matching assets carry it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct FacetCount {
    pub value: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub count: u64,
}

/// A facet: the filter field it narrows (`filter=value`) and its values, most common
/// first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct FacetGroup {
    pub field: &'static str,
    pub values: Vec<FacetCount>,
}

/// Values shown per facet.
const FACET_VALUES: u32 = 12;

/// Facet counts over every asset the request matches, not just the page of hits.
///
/// # Errors
/// As [`search`].
pub fn facets(index: &SearchIndex, req: &Request) -> Result<Vec<FacetGroup>> {
    let searcher = index.reader.searcher();
    let plan = super::plan::plan(index, &searcher, req)?;
    let names = [
        "format", "product", "persona", "stage", "industry", "owner", "tag",
    ];
    let mut aggs = serde_json::Map::new();
    for name in names {
        aggs.insert(
            name.into(),
            serde_json::json!({"terms": {"field": name, "size": FACET_VALUES}}),
        );
    }
    let (expired, expiring) = freshness_bounds(req.today);
    aggs.insert(
        "freshness".into(),
        serde_json::json!({"range": {"field": "expires", "ranges": [
            {"key": "expired", "to": expired as f64},
            {"key": "expiring", "from": expired as f64, "to": expiring as f64},
            {"key": "current", "from": expiring as f64},
        ]}}),
    );
    let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(aggs))
        .map_err(|e| crate::Error::Internal(format!("facet request: {e}")))?;
    let collector = AggregationCollector::from_aggs(
        aggs,
        AggContextParams::new(Default::default(), index.index.tokenizers().clone()),
    );
    // Folders are counted one level below each library folder.
    let mut roots = FacetCollector::for_field("folder");
    roots.add_facet(Facet::root());
    let root_counts = index.search(&searcher, plan.query.as_ref(), &roots)?;
    let mut folders = FacetCollector::for_field("folder");
    let root_facets: Vec<Facet> = root_counts.get("/").map(|(f, _)| f.clone()).collect();
    for f in &root_facets {
        folders.add_facet(f.clone());
    }
    let (aggs, folder_counts) =
        index.search(&searcher, plan.query.as_ref(), &(collector, folders))?;
    let aggs = serde_json::to_value(aggs)
        .map_err(|e| crate::Error::Internal(format!("facet result: {e}")))?;
    let mut out = Vec::new();
    let mut folder_values: Vec<FacetCount> = root_facets
        .iter()
        .flat_map(|root| folder_counts.get(root.clone()))
        .map(|(f, n)| FacetCount {
            value: f.to_path_string().trim_start_matches('/').to_owned(),
            count: n,
        })
        .collect();
    if folder_values.is_empty() {
        folder_values = root_counts
            .get("/")
            .map(|(f, n)| FacetCount {
                value: f.to_path_string().trim_start_matches('/').to_owned(),
                count: n,
            })
            .collect();
    }
    folder_values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    folder_values.truncate(FACET_VALUES as usize);
    out.push(FacetGroup {
        field: "folder",
        values: folder_values,
    });
    for name in names.into_iter().chain(["freshness"]) {
        let values = aggs[name]["buckets"]
            .as_array()
            .map(|buckets| {
                buckets
                    .iter()
                    .filter_map(|b| {
                        let count = b["doc_count"].as_u64()?;
                        let value = match &b["key"] {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (count > 0).then_some(FacetCount { value, count })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(FacetGroup {
            field: if name == "tag" { "tag" } else { name },
            values,
        });
    }
    Ok(out)
}

pub(super) fn normalise_format(value: &str) -> String {
    match value.to_lowercase().trim_start_matches('.') {
        "md" => "markdown".into(),
        "txt" => "text".into(),
        "htm" => "html".into(),
        other => other.into(),
    }
}
