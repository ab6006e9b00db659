//! A search, as a rep makes it: filters resolved, facets on request, recorded.

use serde::{Deserialize, Serialize};

use super::Caller;
use crate::capture;
use crate::datadir::DataDir;
use crate::search::{self, FacetGroup, Request, Results};
use crate::{Result, UserError};

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export, optional_fields))]
pub struct SearchInput {
    pub query: String,
    /// `(field, value)`; a `folder` given as a full path is resolved against the
    /// library folders.
    #[serde(default)]
    pub filters: Vec<(String, String)>,
    pub limit: usize,
    /// Also count every match by facet.
    #[serde(default)]
    pub facets: bool,
    /// Record the search now. The app records when the rep settles on a query
    /// ([`record_search`]), not at every keystroke.
    #[serde(default)]
    pub record: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct SearchOutput {
    #[serde(flatten)]
    pub results: Results,
    /// The recorded search's id, which opens that follow it name.
    pub query_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub facets: Option<Vec<FacetGroup>>,
    /// The search index was found damaged and rebuilt from the catalog for this search.
    pub index_rebuilt: bool,
}

/// Runs a search.
///
/// # Errors
/// [`UserError::InvalidValue`] for a limit of 0; [`UserError::UnknownField`] for a
/// filter on a field that does not exist; index and catalog errors.
pub fn search(dd: &mut DataDir, caller: &Caller, input: SearchInput) -> Result<SearchOutput> {
    if input.limit == 0 {
        return Err(UserError::InvalidValue {
            field: "limit".into(),
            message: "a search shows at least 1 hit".into(),
        }
        .into());
    }
    let mut filters = Vec::with_capacity(input.filters.len());
    for (field, value) in input.filters {
        let field = field.trim().to_lowercase();
        let value = if field == "folder" {
            crate::library::folder_filter(&dd.catalog, &value)?
        } else {
            value
        };
        filters.push((field, value));
    }
    let request = Request {
        query: input.query,
        filters,
        limit: input.limit,
        today: caller.today(),
    };
    if let Some(why) = &dd.index_error {
        return Err(crate::Error::Internal(format!(
            "the search index cannot be opened ({why}); `quiver index` rebuilds it from the catalog"
        )));
    }
    // The search boundary: a damaged index may make tantivy fail, panic (flipped
    // bytes in positions) or silently find nothing (in the term dictionary). Then the
    // checksums are verified, and a damaged index is rebuilt and the search run again.
    let run = |dd: &DataDir| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            search::search(&dd.index, &dd.catalog, &request)
        }))
        .unwrap_or_else(|_| Err(crate::Error::Internal("the search index panicked".into())))
    };
    let mut index_rebuilt = dd.index_rebuilt;
    let results = match run(dd) {
        Ok(r) if r.total > 0 => r,
        outcome => {
            if dd.index.damaged() && dd.rebuild_index()? {
                index_rebuilt = true;
                run(dd)?
            } else {
                outcome?
            }
        }
    };
    let facets = if input.facets {
        Some(search::facets(&dd.index, &request)?)
    } else {
        None
    };
    let query_id = if input.record {
        Some(record_search(
            dd,
            caller,
            &request.query,
            &request.filters,
            results.total,
        )?)
    } else {
        None
    };
    Ok(SearchOutput {
        results,
        query_id,
        facets,
        index_rebuilt,
    })
}

/// Records a search the rep made; the returned id links the opens that follow it.
///
/// # Errors
/// Catalog errors.
pub fn record_search(
    dd: &DataDir,
    caller: &Caller,
    query: &str,
    filters: &[(String, String)],
    total: usize,
) -> Result<String> {
    let rep = caller.rep(&dd.catalog)?;
    capture::record_search(
        &dd.catalog,
        query,
        filters,
        total,
        &rep,
        caller.surface,
        caller.now,
    )
}
