//! Setting an asset's catalog fields, and bringing search up to date with them.

use serde::Serialize;

use crate::catalog::{AssetDetail, AssetField};
use crate::datadir::DataDir;
use crate::{Error, Result, UserError, indexer};

#[derive(Debug, Clone, Serialize)]
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
    let parsed = fields
        .iter()
        .map(|(k, v)| Ok((AssetField::parse(k.trim())?, v.as_str())))
        .collect::<Result<Vec<_>>>()?;
    for (field, value) in parsed {
        dd.catalog.set_field(&id, field, value)?;
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
