//! Reading assets, and the catalog fields marketing sets on them.

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Catalog;
use crate::{Result, UserError};

/// The fields `quiver asset set` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetField {
    Title,
    Product,
    Persona,
    Stage,
    Industry,
    Owner,
    ExpiresOn,
    Tags,
    Addresses,
}

pub(crate) const FIELD_NAMES: &str =
    "title, product, persona, stage, industry, owner, expires_on, tags, addresses";

impl AssetField {
    pub fn parse(name: &str) -> Result<AssetField> {
        Ok(match name {
            "title" => AssetField::Title,
            "product" => AssetField::Product,
            "persona" => AssetField::Persona,
            "stage" => AssetField::Stage,
            "industry" => AssetField::Industry,
            "owner" => AssetField::Owner,
            "expires_on" | "expires" => AssetField::ExpiresOn,
            "tags" => AssetField::Tags,
            "addresses" => AssetField::Addresses,
            other => return Err(UserError::UnknownField(other.to_owned(), FIELD_NAMES).into()),
        })
    }

    fn column(self) -> &'static str {
        match self {
            AssetField::Title => "title",
            AssetField::Product => "product",
            AssetField::Persona => "persona",
            AssetField::Stage => "stage",
            AssetField::Industry => "industry",
            AssetField::Owner => "owner",
            AssetField::ExpiresOn => "expires_on",
            AssetField::Tags => "tags",
            AssetField::Addresses => "addresses",
        }
    }
}

/// What a search hit shows of its asset.
#[derive(Debug, Clone)]
pub struct SearchRecord {
    pub title: String,
    pub path: String,
    /// The asset's other present files (same bytes, or older versions).
    pub also_at: Vec<String>,
    pub format: String,
    pub expires_on: Option<String>,
    pub version_id: i64,
}

/// Stored text of one page, slide or sheet (`kind` is `page`, `slide`, `sheet` or
/// `body`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct SectionText {
    pub kind: String,
    pub number: u32,
    pub name: Option<String>,
    pub text: String,
}

/// A page, slide or sheet without its text, which [`SectionTexts`] reads in pieces.
#[derive(Debug, Clone)]
pub struct SectionHead {
    pub id: i64,
    pub kind: String,
    pub number: u32,
    pub name: Option<String>,
}

/// Section texts read where they lie, a piece at a time. A search hit on a 3 MB book
/// needs a few kilobytes of it for its snippet; copying whole texts out of the catalog
/// was most of a whole-process search's time.
pub struct SectionTexts<'c> {
    conn: &'c rusqlite::Connection,
    open: Option<(i64, rusqlite::blob::Blob<'c>)>,
}

impl<'c> SectionTexts<'c> {
    /// The length in bytes of section `id`'s text.
    pub fn text_len(&mut self, id: i64) -> Result<usize> {
        Ok(self.blob(id)?.len())
    }

    /// Reads section `id`'s text from byte `offset` into `buf`, returning how many bytes
    /// it read (0 past the end). The text is UTF-8, but a piece can begin or end inside
    /// a character.
    pub fn read_at(&mut self, id: i64, offset: usize, buf: &mut [u8]) -> Result<usize> {
        Ok(self.blob(id)?.read_at(buf, offset)?)
    }

    fn blob(&mut self, id: i64) -> Result<&mut rusqlite::blob::Blob<'c>> {
        if let Some((open, blob)) = &mut self.open
            && *open != id
        {
            // SQLite aborts a handle whose move fails: never use it again.
            if let Err(e) = blob.reopen(id) {
                self.open = None;
                return Err(e.into());
            }
            *open = id;
        }
        let (_, blob) = match self.open {
            Some(ref mut open) => open,
            None => self.open.insert((
                id,
                self.conn
                    .blob_open(rusqlite::MAIN_DB, c"sections", c"text", id, true)?,
            )),
        };
        Ok(blob)
    }
}

/// Everything the search index holds of an asset.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub asset_id: String,
    pub title: String,
    pub format: String,
    /// Tags for search: marketing's and the names of the folders holding the asset.
    pub tags: Vec<String>,
    /// Marketing's tags alone, for the tag facet (the folders have a facet of their own).
    pub own_tags: Vec<String>,
    /// Facet paths (`/root/sub/folder`) of the folders holding the asset.
    pub folders: Vec<String>,
    pub fields: Vec<(&'static str, String)>,
    /// `expires_on` as days since the common era.
    pub expires_day: Option<i64>,
    pub sections: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct LocationInfo {
    pub path: String,
    pub status: String,
    /// Whether this copy holds the asset's newest content.
    pub current: bool,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct HistoryEntry {
    pub at: String,
    pub event: String,
    pub path: String,
}

/// `quiver asset show`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct AssetDetail {
    pub asset_id: String,
    pub status: String,
    pub title: Option<String>,
    pub author: Option<String>,
    pub format: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub page_count: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub byte_size: Option<i64>,
    pub product: Option<String>,
    pub persona: Option<String>,
    pub stage: Option<String>,
    pub industry: Option<String>,
    pub owner: Option<String>,
    pub expires_on: Option<String>,
    pub tags: Vec<String>,
    pub folder_tags: Vec<String>,
    pub addresses: Vec<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub versions: i64,
    pub locations: Vec<LocationInfo>,
    pub history: Vec<HistoryEntry>,
}

impl Catalog {
    /// Finds an asset by id, unique id prefix (at least 6 characters), or a path of one
    /// of its files.
    ///
    /// # Errors
    /// [`UserError::NoSuchAsset`] when nothing (or more than one asset) matches.
    pub fn resolve_asset(&self, needle: &str) -> Result<String> {
        let conn = self.conn();
        if let Some(id) = conn
            .query_row("SELECT id FROM assets WHERE id = ?1", [needle], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(id);
        }
        let as_path = std::fs::canonicalize(needle)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| needle.to_owned());
        if let Some(id) = conn
            .query_row(
                "SELECT asset_id FROM locations WHERE path = ?1",
                [&as_path],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(id);
        }
        // A name like `cafe` may be a file outside the library: that is said below.
        let id_like = !needle.is_empty()
            && needle.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && !Path::new(needle).exists();
        let prefix = |message: String| UserError::InvalidValue {
            field: "asset".into(),
            message,
        };
        if id_like && needle.len() < 6 {
            return Err(prefix(format!(
                "no file or asset is named {needle:?}; an asset id prefix needs at least its first 6 characters"
            ))
            .into());
        }
        if id_like {
            let mut stmt = conn.prepare("SELECT id FROM assets WHERE id LIKE ?1 || '%' LIMIT 2")?;
            let ids: Vec<String> = stmt
                .query_map([needle], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            match ids.len() {
                1 => return Ok(ids.into_iter().next().expect("one")),
                2 => {
                    return Err(prefix(format!(
                        "more than one asset id starts with {needle:?}: give more of it"
                    ))
                    .into());
                }
                _ => {}
            }
        }
        Err(UserError::NoSuchAsset(needle.to_owned()).into())
    }

    /// Sets when assets were first seen to `at` for those seen later: for a demo history
    /// that starts before its library was indexed.
    pub fn backdate_assets(&self, at: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE assets SET created_at = ?1 WHERE created_at > ?1",
            [at],
        )?;
        Ok(())
    }

    /// Ids of every asset with a file present, oldest first.
    pub fn present_assets(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM assets WHERE status = 'present' ORDER BY created_at, id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets one catalog field. Lists (`tags`, `addresses`) take comma-separated values;
    /// an empty value clears the field.
    ///
    /// # Errors
    /// [`UserError::InvalidValue`] for a malformed date.
    pub fn set_field(&self, asset_id: &str, field: AssetField, value: &str) -> Result<()> {
        let value = value.trim();
        let stored: Option<String> = match field {
            AssetField::Tags | AssetField::Addresses => {
                let items: Vec<String> = value
                    .split(',')
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if field == AssetField::Addresses {
                            s.to_ascii_uppercase()
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect();
                Some(serde_json::to_string(&items).expect("strings serialise"))
            }
            AssetField::ExpiresOn if !value.is_empty() => {
                chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                    UserError::InvalidValue {
                        field: "expires_on".into(),
                        message: format!("{value:?} is not a date like 2026-12-31"),
                    }
                })?;
                Some(value.to_owned())
            }
            _ if value.is_empty() => None,
            _ => Some(value.to_owned()),
        };
        if field == AssetField::Title && stored.is_none() {
            return Err(UserError::InvalidValue {
                field: "title".into(),
                message: "a title cannot be empty".into(),
            }
            .into());
        }
        let sql = format!(
            "UPDATE assets SET {} = ?2, index_stale = 1 WHERE id = ?1",
            field.column()
        );
        self.conn().execute(&sql, params![asset_id, stored])?;
        Ok(())
    }

    pub fn search_record(&self, asset_id: &str) -> Result<Option<SearchRecord>> {
        let conn = self.conn();
        let Some(mut record) = conn
            .query_row(
                "SELECT title, format, expires_on, current_version FROM assets WHERE id = ?1",
                [asset_id],
                |r| {
                    Ok(SearchRecord {
                        title: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        format: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        expires_on: r.get(2)?,
                        version_id: r.get::<_, Option<i64>>(3)?.unwrap_or_default(),
                        path: String::new(),
                        also_at: Vec::new(),
                    })
                },
            )
            .optional()?
        else {
            return Ok(None);
        };
        // The main file holds the newest content, and preferably has a name that
        // matches it (a PDF named .docx is the worse of two copies).
        let mut stmt = conn.prepare_cached(
            "SELECT l.path FROM locations l JOIN assets a ON a.id = l.asset_id
             WHERE l.asset_id = ?1 AND l.status = 'present'
             ORDER BY l.version_id = a.current_version DESC,
                      lower(l.path) LIKE '%.' || (CASE a.format WHEN 'markdown' THEN 'md'
                        WHEN 'text' THEN 'txt' ELSE a.format END) DESC,
                      l.path",
        )?;
        let mut paths = stmt
            .query_map([asset_id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter();
        record.path = paths.next().unwrap_or_default();
        record.also_at = paths.collect();
        Ok(Some(record))
    }

    /// The pages, slides or sheets of a version, in order.
    pub fn sections(&self, version_id: i64) -> Result<Vec<SectionText>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT kind, number, name, text FROM sections WHERE version_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([version_id], |r| {
            Ok(SectionText {
                kind: r.get(0)?,
                number: r.get(1)?,
                name: r.get(2)?,
                text: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The pages, slides or sheets of a version, in order, without their texts.
    pub fn section_heads(&self, version_id: i64) -> Result<Vec<SectionHead>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, number, name FROM sections WHERE version_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([version_id], |r| {
            Ok(SectionHead {
                id: r.get(0)?,
                kind: r.get(1)?,
                number: r.get(2)?,
                name: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A reader of section texts in place (see [`SectionTexts`]).
    pub fn section_texts(&self) -> SectionTexts<'_> {
        SectionTexts {
            conn: self.conn(),
            open: None,
        }
    }

    pub(crate) fn index_doc(&self, asset_id: &str) -> Result<Option<IndexDoc>> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT title, format, tags, product, persona, stage, industry, owner, current_version,
                   expires_on
                 FROM assets WHERE id = ?1 AND status = 'present'",
                [asset_id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        r.get::<_, String>(2)?,
                        [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                        r.get::<_, Option<i64>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                },
            )
            .optional()?;
        let Some((title, format, tags_json, values, version, expires_on)) = row else {
            return Ok(None);
        };
        let values: [Option<String>; 5] = values;
        let mut tags: Vec<String> = serde_json::from_str(&tags_json).unwrap_or_default();
        let own_tags = tags.clone();
        let mut folders = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT path, root FROM locations WHERE asset_id = ?1 AND status = 'present'",
        )?;
        let paths: Vec<(String, String)> = stmt
            .query_map([asset_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (path, root) in &paths {
            let (facet, folder_tags) = folder_of(Path::new(path), Path::new(root));
            folders.push(facet);
            tags.extend(folder_tags);
        }
        tags.sort();
        tags.dedup();
        let names = ["product", "persona", "stage", "industry", "owner"];
        let fields = names
            .into_iter()
            .zip(values)
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .collect();
        let sections = match version {
            Some(v) => self.sections(v)?.into_iter().map(|s| s.text).collect(),
            None => Vec::new(),
        };
        Ok(Some(IndexDoc {
            asset_id: asset_id.to_owned(),
            title,
            format,
            tags,
            own_tags,
            folders,
            fields,
            expires_day: expires_on
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                .map(|d| i64::from(chrono::Datelike::num_days_from_ce(&d))),
            sections,
        }))
    }

    pub fn asset_detail(&self, asset_id: &str) -> Result<AssetDetail> {
        let conn = self.conn();
        let mut detail = conn.query_row(
            "SELECT id, status, title, author, format, doc_created, doc_modified, page_count, byte_size,
               product, persona, stage, industry, owner, expires_on, tags, addresses,
               (SELECT count(*) FROM versions v WHERE v.asset_id = a.id)
             FROM assets a WHERE id = ?1",
            [asset_id],
            |r| {
                Ok(AssetDetail {
                    asset_id: r.get(0)?,
                    status: r.get(1)?,
                    title: r.get(2)?,
                    author: r.get(3)?,
                    format: r.get(4)?,
                    created: r.get(5)?,
                    modified: r.get(6)?,
                    page_count: r.get(7)?,
                    byte_size: r.get(8)?,
                    product: r.get(9)?,
                    persona: r.get(10)?,
                    stage: r.get(11)?,
                    industry: r.get(12)?,
                    owner: r.get(13)?,
                    expires_on: r.get(14)?,
                    tags: serde_json::from_str(&r.get::<_, String>(15)?).unwrap_or_default(),
                    folder_tags: Vec::new(),
                    addresses: serde_json::from_str(&r.get::<_, String>(16)?).unwrap_or_default(),
                    versions: r.get(17)?,
                    locations: Vec::new(),
                    history: Vec::new(),
                })
            },
        )?;
        let mut stmt = conn.prepare(
            "SELECT l.path, l.status, l.version_id = a.current_version, v.hash, l.root
             FROM locations l JOIN assets a ON a.id = l.asset_id JOIN versions v ON v.id = l.version_id
             WHERE l.asset_id = ?1 ORDER BY l.status DESC, l.path",
        )?;
        let rows = stmt.query_map([asset_id], |r| {
            Ok((
                LocationInfo {
                    path: r.get(0)?,
                    status: r.get(1)?,
                    current: r.get(2)?,
                    hash: r.get(3)?,
                },
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (loc, root) = row?;
            if loc.status == "present" {
                detail
                    .folder_tags
                    .extend(folder_of(Path::new(&loc.path), Path::new(&root)).1);
            }
            detail.locations.push(loc);
        }
        detail.folder_tags.sort();
        detail.folder_tags.dedup();
        let mut stmt = conn
            .prepare("SELECT at, event, path FROM path_history WHERE asset_id = ?1 ORDER BY id")?;
        detail.history = stmt
            .query_map([asset_id], |r| {
                Ok(HistoryEntry {
                    at: r.get(0)?,
                    event: r.get(1)?,
                    path: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(detail)
    }
}

/// The folder facet (`/<root name>/<sub>/<folders>`) of a file, and the folder names
/// below the root, which become tags.
fn folder_of(path: &Path, root: &Path) -> (String, Vec<String>) {
    let root_name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "library".to_owned());
    let rel = path.parent().and_then(|p| p.strip_prefix(root).ok());
    let parts: Vec<String> = rel
        .map(|r| {
            r.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut facet = format!("/{root_name}");
    for p in &parts {
        facet.push('/');
        facet.push_str(p);
    }
    (facet, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_below_the_root_become_tags() {
        let (facet, tags) = folder_of(
            Path::new("/lib/sales/battlecards/acme/x.md"),
            Path::new("/lib/sales"),
        );
        assert_eq!(facet, "/sales/battlecards/acme");
        assert_eq!(tags, vec!["battlecards", "acme"]);
        let (facet, tags) = folder_of(Path::new("/lib/sales/x.md"), Path::new("/lib/sales"));
        assert_eq!(facet, "/sales");
        assert!(tags.is_empty());
    }
}
