//! Finding a reason as a rep types it (the picker, `quiver reasons find`).

use crate::Result;
use crate::datadir::DataDir;
use crate::reasons::{self, Kind, ReasonMatch};

/// Reasons matching `text`, best first (see [`reasons::find`]); `kind` is `buy` or
/// `objection`, for the outcome being coded.
///
/// # Errors
/// [`crate::UserError::InvalidValue`] for another kind; catalog errors.
pub fn find_reasons(
    dd: &DataDir,
    text: &str,
    kind: Option<&str>,
    limit: usize,
) -> Result<Vec<ReasonMatch>> {
    let kind = kind.map(Kind::parse).transpose()?;
    reasons::find(&dd.catalog, text, kind, limit)
}
