//! The win/loss reason taxonomy that marketing owns: codes grouped in categories, each
//! a buy reason or an objection. Codes are never deleted: a retired code keeps its
//! history, and `merge OLD NEW` maps an old code onto a new one so trends survive
//! taxonomy changes. Every change is numbered in `taxonomy_changes`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Tables};
use crate::{Result, UserError};

mod find;

pub use find::{Matched, ReasonMatch, find};

const DEFAULT: &str = include_str!("default.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, ts(export))]
pub enum Kind {
    Buy,
    Objection,
    /// Other and Unknown: valid for any outcome, counted as low quality.
    Any,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Buy => "buy",
            Kind::Objection => "objection",
            Kind::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Result<Kind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "buy" => Ok(Kind::Buy),
            "objection" | "loss" => Ok(Kind::Objection),
            "any" => Ok(Kind::Any),
            other => Err(invalid(
                "kind",
                format!("{other:?} is not buy, objection or any"),
            )),
        }
    }
}

/// One code of the taxonomy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Reason {
    pub code: String,
    pub label: String,
    pub kind: Kind,
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub low_quality: bool,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub merged_into: Option<String>,
}

fn active() -> String {
    "active".into()
}

#[derive(Deserialize, Serialize)]
struct File {
    reason: Vec<Reason>,
}

fn invalid(field: &str, message: impl Into<String>) -> crate::Error {
    UserError::InvalidValue {
        field: field.into(),
        message: message.into(),
    }
    .into()
}

/// Installs the default taxonomy in a catalog that has none yet.
pub fn seed(catalog: &Catalog, now: DateTime<Utc>) -> Result<()> {
    if catalog.meta("taxonomy_seeded")?.is_some() {
        return Ok(());
    }
    let file: File = toml::from_str(DEFAULT).expect("the default taxonomy parses");
    let db = catalog.tables();
    for r in &file.reason {
        db.upsert_reason(r)?;
    }
    change(
        db,
        now,
        "quiver",
        "seed",
        "*",
        &format!("{} default codes", file.reason.len()),
    )?;
    catalog.set_meta("taxonomy_seeded", "1")
}

fn change(
    db: Tables<'_>,
    now: DateTime<Utc>,
    rep: &str,
    action: &str,
    code: &str,
    detail: &str,
) -> Result<()> {
    db.log_taxonomy_change(&now.to_rfc3339(), rep, action, code, detail)
}

/// The taxonomy's version: the number of its latest change.
pub fn version(catalog: &Catalog) -> Result<i64> {
    catalog.tables().taxonomy_version()
}

/// Every code, active first, by category.
pub fn list(catalog: &Catalog, include_retired: bool) -> Result<Vec<Reason>> {
    catalog.tables().reasons(include_retired)
}

pub fn get(catalog: &Catalog, code: &str) -> Result<Option<Reason>> {
    catalog.tables().reason(code)
}

/// The reason whose code or label (case-insensitive) is `given`, retired or not.
pub(crate) fn lookup(db: Tables<'_>, given: &str) -> Result<Option<Reason>> {
    db.reason_by_code_or_label(given.trim())
}

/// The code of a reason given by code or label (case-insensitive), retired or not, for
/// a field that names reasons (an asset's `addresses`).
///
/// # Errors
/// [`UserError::InvalidValue`] on `field` for an unknown code, with a "did you mean".
pub fn code_of(catalog: &Catalog, given: &str, field: &str) -> Result<String> {
    match lookup(catalog.tables(), given)? {
        Some(r) => Ok(r.code),
        None => Err(invalid(
            field,
            format!(
                "unknown reason code {:?}: not a code or label of the taxonomy{}",
                given.trim(),
                find::did_you_mean(catalog.tables(), given)
            ),
        )),
    }
}

/// A CRM's picklist value mapped to a reason code: every later deal import reads the
/// value as the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueMapping {
    pub value: String,
    pub code: String,
}

/// The CRM values mapped to codes, by value.
///
/// # Errors
/// Catalog errors.
pub fn value_map(catalog: &Catalog) -> Result<Vec<ValueMapping>> {
    Ok(catalog
        .tables()
        .reason_value_map()?
        .into_iter()
        .map(|(value, code)| ValueMapping { value, code })
        .collect())
}

/// Maps a CRM value (compared lower-cased and trimmed) to a code, given by code or
/// label, for every later import.
///
/// # Errors
/// [`UserError::InvalidValue`] on `map_value` for an empty value or an unknown or
/// retired code.
pub fn map_value(
    catalog: &Catalog,
    value: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ValueMapping> {
    map_value_in(catalog.tables(), value, code, now)
}

pub(crate) fn map_value_in(
    db: Tables<'_>,
    value: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ValueMapping> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("map_value", "the CRM value is empty"));
    }
    let reason = resolve_for_new_deal(db, code).map_err(|e| match e {
        crate::Error::User(UserError::InvalidValue { message, .. }) => {
            invalid("map_value", message)
        }
        other => other,
    })?;
    db.set_reason_value(value, &reason.code, &now.to_rfc3339())?;
    Ok(ValueMapping {
        value: value.to_owned(),
        code: reason.code,
    })
}

/// Finds a reason by code or by label (case-insensitive), for deals: retired codes are
/// refused with the code to use instead.
///
/// # Errors
/// [`UserError::InvalidValue`] naming the unknown or retired code.
pub(crate) fn resolve_for_new_deal(db: Tables<'_>, given: &str) -> Result<Reason> {
    let given = given.trim();
    let Some(reason) = lookup(db, given)? else {
        return Err(invalid(
            "reason",
            format!(
                "unknown reason code {given:?}: not a code or label of the taxonomy{}",
                find::did_you_mean(db, given)
            ),
        ));
    };
    if reason.status == "retired" {
        let hint = match &reason.merged_into {
            Some(new) => format!("; it was merged into {new}, use that"),
            None => "; choose an active code".to_owned(),
        };
        return Err(invalid(
            "reason",
            format!(
                "reason code {} is retired and cannot be chosen for new deals{hint}",
                reason.code
            ),
        ));
    }
    Ok(reason)
}

fn code_format(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    let ok = !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !code.starts_with('.')
        && !code.ends_with('.');
    if ok {
        Ok(code)
    } else {
        Err(invalid(
            "code",
            format!("{code:?} is not a code like PRICE.TOO_HIGH (letters, digits, _ and .)"),
        ))
    }
}

pub struct NewReason<'a> {
    pub code: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub category: &'a str,
    pub description: &'a str,
    pub keywords: Vec<String>,
}

pub fn add(catalog: &Catalog, new: NewReason, rep: &str, now: DateTime<Utc>) -> Result<Reason> {
    let code = code_format(new.code)?;
    if get(catalog, &code)?.is_some() {
        return Err(invalid(
            "code",
            format!("reason code {code} already exists"),
        ));
    }
    if new.label.trim().is_empty() || new.category.trim().is_empty() {
        return Err(invalid("label", "a reason needs a label and a category"));
    }
    let reason = Reason {
        code: code.clone(),
        label: new.label.trim().to_owned(),
        kind: Kind::parse(new.kind)?,
        category: new.category.trim().to_owned(),
        description: new.description.trim().to_owned(),
        keywords: new.keywords,
        low_quality: false,
        status: active(),
        merged_into: None,
    };
    catalog.tables().upsert_reason(&reason)?;
    change(catalog.tables(), now, rep, "add", &code, &reason.label)?;
    Ok(reason)
}

fn existing(catalog: &Catalog, code: &str) -> Result<Reason> {
    get(catalog, &code.trim().to_ascii_uppercase())?.ok_or_else(|| {
        invalid(
            "code",
            format!(
                "unknown reason code {code:?}: not a code of the taxonomy{}",
                find::did_you_mean(catalog.tables(), code)
            ),
        )
    })
}

/// Changes a code's label; the code, and so its history, stays.
pub fn rename(
    catalog: &Catalog,
    code: &str,
    label: &str,
    rep: &str,
    now: DateTime<Utc>,
) -> Result<Reason> {
    let r = existing(catalog, code)?;
    if label.trim().is_empty() {
        return Err(invalid("label", "a label cannot be empty"));
    }
    catalog.tables().relabel_reason(&r.code, label.trim())?;
    change(
        catalog.tables(),
        now,
        rep,
        "rename",
        &r.code,
        &format!("{} -> {}", r.label, label.trim()),
    )?;
    existing(catalog, &r.code)
}

/// Retires a code: it keeps its history but can't be chosen for new deals.
pub fn retire(catalog: &Catalog, code: &str, rep: &str, now: DateTime<Utc>) -> Result<Reason> {
    let r = existing(catalog, code)?;
    catalog.tables().retire_reason(&r.code)?;
    change(catalog.tables(), now, rep, "retire", &r.code, "")?;
    existing(catalog, &r.code)
}

/// Maps `old` onto `new`: `old` is retired, and reports count its deals under `new`.
pub fn merge(
    catalog: &Catalog,
    old: &str,
    new: &str,
    rep: &str,
    now: DateTime<Utc>,
) -> Result<Reason> {
    let o = existing(catalog, old)?;
    let n = existing(catalog, new)?;
    if o.code == n.code || canonical(catalog, &n.code)? == o.code {
        return Err(invalid(
            "code",
            format!("merging {} into {} would make a loop", o.code, n.code),
        ));
    }
    if n.status == "retired" {
        return Err(invalid(
            "code",
            format!("{} is retired; merge into an active code", n.code),
        ));
    }
    if o.kind != n.kind && n.kind != Kind::Any {
        return Err(invalid(
            "code",
            format!(
                "{} is {} reason and {} is {} reason: merging them would count one kind as the other",
                o.code,
                with_article(o.kind),
                n.code,
                with_article(n.kind)
            ),
        ));
    }
    catalog.tables().merge_reason(&o.code, &n.code)?;
    change(
        catalog.tables(),
        now,
        rep,
        "merge",
        &o.code,
        &format!("into {}", n.code),
    )?;
    existing(catalog, &o.code)
}

fn with_article(kind: Kind) -> &'static str {
    match kind {
        Kind::Buy => "a buy",
        Kind::Objection => "an objection",
        Kind::Any => "an any-outcome",
    }
}

/// The code a (possibly merged) code counts under today, following merge chains.
pub fn canonical(catalog: &Catalog, code: &str) -> Result<String> {
    let mut current = code.to_owned();
    for _ in 0..64 {
        match get(catalog, &current)?.and_then(|r| r.merged_into) {
            Some(next) => current = next,
            None => break,
        }
    }
    Ok(current)
}

/// The taxonomy as TOML or CSV.
pub fn export(catalog: &Catalog, format: &str) -> Result<String> {
    let reasons = list(catalog, true)?;
    match format {
        "toml" => Ok(format!(
            "# Quiver reason taxonomy, version {}\n\n{}",
            version(catalog)?,
            toml::to_string(&File { reason: reasons })
                .map_err(|e| crate::Error::Internal(e.to_string()))?
        )),
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "code",
                "label",
                "kind",
                "category",
                "description",
                "keywords",
                "low_quality",
                "status",
                "merged_into",
            ])
            .map_err(csv_err)?;
            for r in reasons {
                let safe = crate::csvcell::safe;
                w.write_record([
                    safe(&r.code).as_ref(),
                    &safe(&r.label),
                    r.kind.as_str(),
                    &safe(&r.category),
                    &safe(&r.description),
                    &safe(&r.keywords.join(";")),
                    if r.low_quality { "true" } else { "false" },
                    &r.status,
                    r.merged_into.as_deref().unwrap_or(""),
                ])
                .map_err(csv_err)?;
            }
            String::from_utf8(
                w.into_inner()
                    .map_err(|e| crate::Error::Internal(e.to_string()))?,
            )
            .map_err(|e| crate::Error::Internal(e.to_string()))
        }
        other => Err(invalid("format", format!("{other:?} is not toml or csv"))),
    }
}

fn csv_err(e: csv::Error) -> crate::Error {
    crate::Error::Internal(format!("csv: {e}"))
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub version: i64,
}

/// Imports a taxonomy (TOML or CSV, by `format`): codes are added or updated, codes not
/// in the file are left alone.
///
/// # Errors
/// [`UserError::InvalidValue`] for a file that does not parse; nothing is changed then.
pub fn import(
    catalog: &mut Catalog,
    text: &str,
    format: &str,
    rep: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let reasons: Vec<Reason> = match format {
        "toml" => {
            toml::from_str::<File>(text)
                .map_err(|e| invalid("taxonomy", e.to_string()))?
                .reason
        }
        "csv" => {
            let mut out = Vec::new();
            let mut rdr = csv::Reader::from_reader(text.as_bytes());
            let headers = rdr
                .headers()
                .map_err(|e| invalid("taxonomy", e.to_string()))?
                .clone();
            for (i, rec) in rdr.records().enumerate() {
                let rec = rec.map_err(|e| invalid("taxonomy", e.to_string()))?;
                let col = |name: &str| {
                    headers
                        .iter()
                        .position(|h| h == name)
                        .and_then(|p| rec.get(p))
                        .map_or("", crate::csvcell::unescape)
                };
                out.push(Reason {
                    code: col("code").to_owned(),
                    label: col("label").to_owned(),
                    kind: Kind::parse(col("kind"))
                        .map_err(|e| invalid("taxonomy", format!("line {}: {e}", i + 2)))?,
                    category: col("category").to_owned(),
                    description: col("description").to_owned(),
                    keywords: col("keywords")
                        .split(';')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    low_quality: col("low_quality") == "true",
                    status: if col("status").is_empty() {
                        active()
                    } else {
                        col("status").to_owned()
                    },
                    merged_into: Some(col("merged_into").to_owned()).filter(|s| !s.is_empty()),
                });
            }
            out
        }
        other => return Err(invalid("format", format!("{other:?} is not toml or csv"))),
    };
    let tx = catalog.transaction()?;
    // A file may merge an old code into one defined further down.
    tx.defer_foreign_keys()?;
    let db = tx.tables();
    let mut report = ImportReport::default();
    {
        for mut r in reasons {
            r.code = code_format(&r.code)?;
            if r.status != "active" && r.status != "retired" {
                return Err(invalid(
                    "status",
                    format!("{}: {:?} is not active or retired", r.code, r.status),
                ));
            }
            match db.reason(&r.code)? {
                None => {
                    db.upsert_reason(&r)?;
                    change(db, now, rep, "import-add", &r.code, &r.label)?;
                    report.added += 1;
                }
                Some(old) if old == r => report.unchanged += 1,
                Some(_) => {
                    db.upsert_reason(&r)?;
                    change(db, now, rep, "import-update", &r.code, &r.label)?;
                    report.updated += 1;
                }
            }
        }
    }
    tx.commit()?;
    report.version = version(catalog)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::catalog::Catalog;

    fn reason() -> impl Strategy<Value = Reason> {
        (
            "[A-Z][A-Z0-9_]{0,6}(\\.[A-Z0-9_]{1,6})?",
            "[\\PC]{1,20}",
            prop_oneof![Just(Kind::Buy), Just(Kind::Objection), Just(Kind::Any)],
            "[\\PC]{1,12}",
            "[\\PC]{0,30}",
            proptest::collection::vec("[^;\\pC]{1,10}", 0..4),
            any::<bool>(),
        )
            .prop_map(
                |(code, label, kind, category, description, keywords, low_quality)| Reason {
                    code: format!("T{code}"),
                    label,
                    kind,
                    category,
                    description,
                    // Keywords are trimmed where they are typed.
                    keywords: keywords
                        .iter()
                        .map(|k| k.trim().to_owned())
                        .filter(|k| !k.is_empty())
                        .collect(),
                    low_quality,
                    status: "active".into(),
                    merged_into: None,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// A taxonomy exported as TOML or CSV and imported into a new data dir exports
        /// the same again; importing it twice changes nothing.
        #[test]
        fn a_taxonomy_survives_toml_and_csv(
            reasons in proptest::collection::vec(reason(), 1..6),
            csv in any::<bool>(),
        ) {
            let format = if csv { "csv" } else { "toml" };
            let dir = tempfile::tempdir().unwrap();
            let mut a = Catalog::open(&dir.path().join("a.sqlite3")).unwrap();
            let mut b = Catalog::open(&dir.path().join("b.sqlite3")).unwrap();
            let now = Utc::now();
            let file = File { reason: reasons };
            let text = toml::to_string(&file).unwrap();
            import(&mut a, &text, "toml", "marketing", now).unwrap();
            let exported = export(&a, format).unwrap();
            let first = import(&mut b, &exported, format, "marketing", now).unwrap();
            prop_assert_eq!(first.updated, 0);
            let mut listed = list(&b, true).unwrap();
            let mut given = list(&a, true).unwrap();
            listed.sort_by(|x, y| x.code.cmp(&y.code));
            given.sort_by(|x, y| x.code.cmp(&y.code));
            prop_assert_eq!(listed, given);
            let again = import(&mut b, &exported, format, "marketing", now).unwrap();
            prop_assert_eq!((again.added, again.updated), (0, 0));
        }
    }
}
