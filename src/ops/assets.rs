//! Setting an asset's catalog fields, and bringing search up to date with them.

use serde::Serialize;

use crate::catalog::{AssetDetail, AssetField, SectionText};
use crate::datadir::DataDir;
use crate::{Error, Result, UserError, indexer};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct AssetSet {
    #[serde(flatten)]
    pub detail: AssetDetail,
    /// Whether search shows the new fields already; `false` while another index run
    /// holds the index (it takes them up).
    pub search_updated: bool,
}

/// Sets fields of an asset (by id, prefix or path): all are checked before any is
/// written.
///
/// # Errors
/// [`UserError::NoSuchAsset`], [`UserError::UnknownField`], [`UserError::InvalidValue`];
/// catalog and index errors.
pub fn set_asset_fields(
    dd: &mut DataDir,
    target: &str,
    fields: &[(String, String)],
) -> Result<AssetSet> {
    let id = dd.catalog.resolve_asset(target)?;
    let mut parsed = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        let field = AssetField::parse(k.trim())?;
        let value = if field == AssetField::Addresses {
            // The objections an asset addresses are codes: a typo would make coverage
            // find a gap that is not there.
            v.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| crate::reasons::code_of(&dd.catalog, c, "addresses"))
                .collect::<Result<Vec<_>>>()?
                .join(",")
        } else {
            v.clone()
        };
        parsed.push((field, value));
    }
    for (field, value) in parsed {
        dd.catalog.set_field(&id, field, &value)?;
    }
    let search_updated = match indexer::refresh(dd) {
        Ok(_) => true,
        Err(Error::User(UserError::IndexingRunning(_))) => false,
        Err(e) => return Err(e),
    };
    Ok(AssetSet {
        detail: dd.catalog.asset_detail(&id)?,
        search_updated,
    })
}

/// An asset's stored text, page by page, for a preview pane.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Preview {
    pub asset_id: String,
    pub title: String,
    pub path: String,
    pub format: String,
    pub sections: Vec<SectionText>,
}

/// The stored text of an asset's pages, slides or sheets.
///
/// # Errors
/// [`UserError::NoSuchAsset`]; catalog errors.
pub fn preview(dd: &DataDir, asset_id: &str) -> Result<Preview> {
    let record = dd
        .catalog
        .search_record(asset_id)?
        .ok_or_else(|| UserError::NoSuchAsset(asset_id.to_owned()))?;
    Ok(Preview {
        asset_id: asset_id.to_owned(),
        sections: dd.catalog.sections(record.version_id)?,
        title: record.title,
        path: record.path,
        format: record.format,
    })
}

/// The bytes of an asset's current file (a PDF preview renders them). Only files the
/// catalog knows can be read this way: the asset id, not a path, names the file.
///
/// # Errors
/// [`UserError::NoSuchAsset`]; the file's read error.
pub fn asset_bytes(dd: &DataDir, asset_id: &str) -> Result<Vec<u8>> {
    let record = dd
        .catalog
        .search_record(asset_id)?
        .ok_or_else(|| UserError::NoSuchAsset(asset_id.to_owned()))?;
    std::fs::read(&record.path).map_err(|e| Error::io(format!("reading {}", record.path), e))
}

/// Everything about one asset a marketer asks, on one page: its fields and files, and
/// its use in a window (opens by week, page, rep, deal and the searches before them).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct AssetPage {
    pub detail: AssetDetail,
    pub activity: crate::catalog::Activity,
    pub from: Option<chrono::NaiveDate>,
    pub to: chrono::NaiveDate,
}

/// An asset's page (by id, prefix or path), over `from` (default: the beginning) to `to`
/// (default: today).
///
/// # Errors
/// [`UserError::NoSuchAsset`]; catalog errors.
pub fn asset_page(
    dd: &DataDir,
    caller: &super::Caller,
    target: &str,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<AssetPage> {
    let id = dd.catalog.resolve_asset(target)?;
    let to = to.unwrap_or(caller.today());
    let start = from.map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string());
    Ok(AssetPage {
        detail: dd.catalog.asset_detail(&id)?,
        activity: dd.catalog.asset_activity(&id, &start, &to.to_string())?,
        from,
        to,
    })
}
