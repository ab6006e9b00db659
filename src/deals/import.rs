//! CRM import: Quiver's own CSV columns, and Salesforce opportunity reports and HubSpot
//! deal exports recognised by their column names. Every row is imported or reported
//! with its line number; good rows are kept when others fail; importing a file twice
//! changes nothing, and a changed row updates its deal (and the audit trail).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

pub use super::columns::Field;
use super::columns::{HUBSPOT, QUIVER, SALESFORCE};
use super::{Change, DealInput, ReasonEntry, record, validate};
use crate::catalog::{Catalog, Tables};
use crate::{Result, UserError, reasons};

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    /// `quiver`, `salesforce` or `hubspot`: the column names recognised.
    pub format: &'static str,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows of a CRM export whose stage is not a closed one: deals still open, which
    /// are not imported.
    pub still_open: usize,
    /// Reasons not in the taxonomy, coded OTHER (with `unknown_as_other`).
    pub as_other: usize,
    pub failed: Vec<RowError>,
    /// The distinct reason values that are neither a code, a label nor a mapped CRM
    /// value, with the rows that carry them, most first: what to map.
    pub unmapped_values: Vec<UnmappedValue>,
    pub dry_run: bool,
    /// What to do about the failures, when rows failed on their reasons: a CRM's
    /// reason column often holds free text, not codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Said once per import in which a reason was not a code or label of the taxonomy.
const REASON_HINT: &str = "a reason must be a code or label of the taxonomy, optionally with the buyer's words (`PRICE.TOO_HIGH: over budget`); a column of free text can be imported with unknown reasons coded OTHER, their words kept as the note, to recode later by editing the deals";

/// A reason value no code, label or mapping reads.
#[derive(Debug, Serialize)]
pub struct UnmappedValue {
    pub value: String,
    pub rows: usize,
}

#[derive(Debug, Serialize)]
pub struct RowError {
    pub line: u64,
    pub deal_id: Option<String>,
    pub message: String,
}

pub struct Options<'a> {
    /// `COLUMN=FIELD` overrides, by column name as in the file.
    pub map: Vec<(String, Field)>,
    pub dry_run: bool,
    pub stages: &'a [String],
    pub today: NaiveDate,
    /// Who is importing (for the audit trail).
    pub by: &'a str,
    /// A reason that is neither a code nor a label of the taxonomy (a CRM's free
    /// text) is coded OTHER, its words kept as the reason's note, instead of failing
    /// the row.
    pub unknown_as_other: bool,
    /// CRM values to read as codes (`Price` = `PRICE.TOO_HIGH`): kept in the catalog
    /// for every later import (unless this is a dry run).
    pub map_values: Vec<(String, String)>,
}

/// Imports a CSV of closed deals.
///
/// # Errors
/// Only for an unreadable file or a header that maps no deal id; bad rows are in the
/// report.
pub fn import(
    catalog: &mut Catalog,
    csv_text: &str,
    opts: &Options,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    // A quote never closed would swallow every row after it into one cell: that row
    // is reported and blanked (its line kept, so later line numbers hold), and the
    // rows after it are read.
    let unclosed = unclosed_quote_line(csv_text);
    let blanked;
    let csv_text = match unclosed {
        Some(line) => {
            blanked = blank_line(csv_text, line);
            blanked.as_str()
        }
        None => csv_text,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| invalid("csv", format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let lower: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    let has = |name: &str| lower.iter().any(|h| h == name);
    let (format, table) = if has("opportunity id") || has("opportunity name") {
        ("salesforce", SALESFORCE)
    } else if has("deal name") || has("deal stage") || has("record id") {
        ("hubspot", HUBSPOT)
    } else {
        ("quiver", QUIVER)
    };
    let mut columns: HashMap<Field, usize> = HashMap::new();
    for (i, h) in lower.iter().enumerate() {
        if let Some((_, f)) = table.iter().find(|(name, _)| name == h) {
            columns.entry(*f).or_insert(i);
        }
    }
    let mut mapped = Vec::with_capacity(opts.map.len());
    for (column, field) in &opts.map {
        let i = headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column))
            .ok_or_else(|| invalid("map", format!("no column named {column:?} in the file")))?;
        mapped.push((*field, i));
    }
    // A mapped column is read as the fields given, no longer as the one its name says.
    columns.retain(|_, c| !mapped.iter().any(|(_, i)| i == c));
    columns.extend(mapped);
    if !columns.contains_key(&Field::DealId) {
        return Err(invalid(
            "csv",
            format!(
                "no deal id column found (columns: {}); map one of them to deal_id",
                headers.join(", ")
            ),
        ));
    }

    let mut report = ImportReport {
        format,
        dry_run: opts.dry_run,
        ..ImportReport::default()
    };
    if let Some(line) = unclosed {
        report.failed.push(RowError {
            line,
            deal_id: None,
            message: "a quote opened on this line is never closed; the row is skipped and the rows after it are read".into(),
        });
    }
    let tx = catalog.transaction()?;
    let db = tx.tables();
    for (value, code) in &opts.map_values {
        reasons::map_value_in(db, value, code, now)?;
    }
    let value_map: HashMap<String, String> = db
        .reason_value_map()?
        .into_iter()
        .map(|(v, c)| (v.trim().to_lowercase(), c))
        .collect();
    // lower-cased value -> (value as first seen, rows)
    let mut unmapped: HashMap<String, (String, usize)> = HashMap::new();
    let mut lines = Lines::new(csv_text);
    for rec in reader.records() {
        let (line, rec) = match rec {
            Ok(r) => (r.position().map_or(0, |p| lines.at(p.byte())), r),
            Err(e) => {
                report.failed.push(RowError {
                    line: e.position().map_or(0, |p| lines.at(p.byte())),
                    deal_id: None,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let get = |f: Field| {
            columns
                .get(&f)
                .and_then(|&i| rec.get(i))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let deal_id = get(Field::DealId);
        // A CRM export of every opportunity holds open ones: not errors, just not yet
        // deals to code. Quiver's own format has only won, lost and no-decision, and a
        // stage that reads as closed but is not one of ours fails with its name.
        let open_stage = |o: &String| {
            let o = o.to_lowercase();
            outcome(&o).is_err() && !["closed", "won", "lost"].iter().any(|w| o.contains(w))
        };
        if format != "quiver" && get(Field::Outcome).is_some_and(|o| open_stage(&o)) {
            // Kept as a deal a rep may prepare for (the "preparing for" picker).
            if let Some(id) = &deal_id {
                db.upsert_open_deal(
                    &super::KnownDeal {
                        deal_id: id.clone(),
                        name: get(Field::Name),
                        account: get(Field::Account),
                        rep: get(Field::Rep),
                        stage: get(Field::Outcome),
                        last_seen: String::new(),
                    },
                    &now.to_rfc3339(),
                )?;
            }
            report.still_open += 1;
            continue;
        }
        let owner = match columns.get(&Field::Rep) {
            // No owner column at all: the deals are the importing rep's.
            None => Ok(opts.by.to_owned()),
            Some(&i) => get(Field::Rep).ok_or_else(|| {
                invalid(
                    "rep",
                    format!(
                        "the owner column ({}) is empty: every deal needs its rep",
                        headers[i]
                    ),
                )
            }),
        };
        // Reasons that are neither a code nor a label: coded OTHER with the flag, else
        // the row fails with them, and the report says what to do.
        let mut unknown = 0;
        let deal = owner.and_then(|rep| {
            let mut d = row_deal(&get)?;
            d.rep = rep;
            unknown = settle_reasons(
                db,
                &mut d.reasons,
                opts.unknown_as_other,
                &value_map,
                &mut unmapped,
            )?;
            Ok(d)
        });
        let outcome = match deal {
            Ok(deal) => validate(db, deal, opts.stages, opts.today)
                .and_then(|d| record(db, &d, opts.by, true, now)),
            Err(e) => Err(e),
        };
        if outcome.is_ok() && opts.unknown_as_other {
            report.as_other += unknown;
        }
        if outcome.is_err() && unknown > 0 && !opts.unknown_as_other {
            report.hint = Some(REASON_HINT.to_owned());
        }
        match outcome {
            Ok(Change::Created) => report.created += 1,
            Ok(Change::Updated) => report.updated += 1,
            Ok(Change::Unchanged) => report.unchanged += 1,
            Err(e) => report.failed.push(RowError {
                line,
                deal_id,
                message: match e {
                    crate::Error::User(UserError::InvalidValue { message, .. }) => message,
                    other => other.to_string(),
                },
            }),
        }
    }
    let mut unmapped: Vec<UnmappedValue> = unmapped
        .into_values()
        .map(|(value, rows)| UnmappedValue { value, rows })
        .collect();
    unmapped.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.value.cmp(&b.value)));
    report.unmapped_values = unmapped;
    if opts.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(report)
}

/// Imports a CSV file's bytes, in the encodings CRMs export: UTF-8 with or without a
/// BOM, UTF-16 (Excel's "Unicode text") and Windows-1252 (older Excel and Salesforce).
///
/// # Errors
/// As [`import`].
pub fn import_bytes(
    catalog: &mut Catalog,
    bytes: &[u8],
    opts: &Options,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let text = crate::extract::decode_text(bytes);
    import(catalog, &text, opts, now)
}

/// The 1-based line whose quote is never closed, if any. A quoted cell may span lines
/// (a description with line breaks), so lines with an odd number of quotes open and
/// close such cells in turn; one left open at the end is the broken one.
fn unclosed_quote_line(text: &str) -> Option<u64> {
    let mut open = None;
    for (i, line) in text.split('\n').enumerate() {
        if line.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
            open = match open {
                None => Some(i as u64 + 1),
                Some(_) => None,
            };
        }
    }
    open
}

/// `text` with line `line` (1-based) emptied, its line end kept.
fn blank_line(text: &str, line: u64) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            out.push_str(if l.ends_with("\r\n") {
                "\r\n"
            } else if l.ends_with('\n') {
                "\n"
            } else {
                ""
            });
        } else {
            out.push_str(l);
        }
    }
    out
}

/// Line numbers of records from their byte offsets. The csv crate's own line count is
/// one short after a CRLF line end (Excel's and Salesforce's), whose `\n` it counts only
/// once the next record has begun. Records come in order, so each count goes on from
/// the last one.
struct Lines<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text: text.as_bytes(),
            counted_to: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record that starts at `byte` (line ends before it skipped).
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self
            .text
            .get(start)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            start += 1;
        }
        if start < self.counted_to {
            (self.counted_to, self.line) = (0, 1);
        }
        self.line += self.text[self.counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.counted_to = start;
        self.line
    }
}

/// Matches each reason cell against the taxonomy: a whole cell that is a code or label
/// (a label may hold a colon) stays whole, else it is `CODE: the buyer's words`. With
/// `as_other`, reasons that are neither are coded OTHER, all their words kept as the
/// note (several of them as one OTHER). Returns how many reasons were not in the
/// taxonomy.
fn settle_reasons(
    db: Tables<'_>,
    reasons: &mut Vec<ReasonEntry>,
    as_other: bool,
    value_map: &HashMap<String, String>,
    unmapped: &mut HashMap<String, (String, usize)>,
) -> Result<usize> {
    let mut unknown = 0;
    for r in reasons.iter_mut() {
        if reasons::lookup(db, &r.code)?.is_some() {
            continue;
        }
        let whole = match &r.note {
            Some(note) => format!("{}: {note}", r.code),
            None => r.code.clone(),
        };
        if r.note.is_some() && reasons::lookup(db, &whole)?.is_some() {
            *r = ReasonEntry {
                code: whole,
                note: None,
            };
            continue;
        }
        // A CRM value mapped to a code: the whole value, else the part before a colon
        // (the words after it stay the note).
        let key = |v: &str| v.trim().to_lowercase();
        if let Some(code) = value_map.get(&key(&whole)) {
            *r = ReasonEntry {
                code: code.clone(),
                note: None,
            };
            continue;
        }
        if let Some(code) = value_map.get(&key(&r.code)) {
            r.code = code.clone();
            continue;
        }
        let seen = unmapped
            .entry(key(&whole))
            .or_insert_with(|| (whole.trim().to_owned(), 0));
        seen.1 += 1;
        unknown += 1;
        if as_other {
            *r = ReasonEntry {
                code: "OTHER".into(),
                note: Some(whole),
            };
        }
    }
    if as_other && unknown > 0 {
        let is_other = |r: &ReasonEntry| r.code.eq_ignore_ascii_case("OTHER");
        let (mut notes, mut kept) = (Vec::new(), false);
        reasons.retain(|r| {
            if !is_other(r) {
                return true;
            }
            notes.extend(r.note.clone());
            !std::mem::replace(&mut kept, true)
        });
        if let Some(other) = reasons.iter_mut().find(|r| is_other(r)) {
            other.note = Some(notes.join("; ")).filter(|n| !n.is_empty());
        }
    }
    Ok(unknown)
}

fn row_deal(get: &dyn Fn(Field) -> Option<String>) -> Result<DealInput> {
    let outcome = get(Field::Outcome)
        .map(|o| outcome(&o))
        .transpose()?
        .unwrap_or_default();
    let primary = get(Field::PrimaryReason).or_else(|| match outcome.as_str() {
        "won" => get(Field::WonReason),
        _ => get(Field::LostReason),
    });
    let mut reasons = Vec::new();
    if let Some(cell) = primary {
        let mut entry = ReasonEntry::parse(&cell);
        // The notes column is the primary reason's note, after the cell's own words.
        entry.note = match (entry.note, get(Field::Notes)) {
            (Some(words), Some(notes)) => Some(format!("{words}; {notes}")),
            (words, notes) => words.or(notes),
        };
        reasons.push(entry);
    }
    for cell in get(Field::SecondaryReasons).unwrap_or_default().split(';') {
        if !cell.trim().is_empty() {
            reasons.push(ReasonEntry::parse(cell));
        }
    }
    Ok(DealInput {
        deal_id: get(Field::DealId).unwrap_or_default(),
        name: get(Field::Name),
        account: get(Field::Account),
        rep: get(Field::Rep).unwrap_or_default(),
        outcome,
        close_date: get(Field::CloseDate)
            .map(|d| date(&d))
            .transpose()?
            .unwrap_or_default(),
        amount: get(Field::Amount).map(|a| amount(&a)).transpose()?,
        currency: get(Field::Currency),
        competitor: get(Field::Competitor),
        stage: get(Field::Stage),
        industry: get(Field::Industry),
        size: get(Field::Size),
        region: get(Field::Region),
        reasons,
    })
}

fn invalid(field: &str, message: impl Into<String>) -> crate::Error {
    UserError::InvalidValue {
        field: field.into(),
        message: message.into(),
    }
    .into()
}

/// CRM stage names to outcomes: "Closed Won", "closedwon", "Closed Lost", "No Decision".
fn outcome(raw: &str) -> Result<String> {
    let squashed: String = raw
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    Ok(match squashed.as_str() {
        "won" | "closedwon" | "win" => "won",
        "lost" | "closedlost" | "loss" => "lost",
        "nodecision" | "closednodecision" | "closedlostnodecision" => "no-decision",
        _ => return Err(invalid("outcome", format!("{raw:?} is not a closed outcome (won, lost, no-decision); open deals are not imported"))),
    }
    .to_owned())
}

fn date(raw: &str) -> Result<String> {
    let raw = raw.trim();
    for fmt in ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(raw, fmt) {
            return Ok(d.to_string());
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(raw, fmt) {
            return Ok(d.date().to_string());
        }
    }
    Err(invalid(
        "close_date",
        format!("{raw:?} is not a date (2026-03-31 or 03/31/2026)"),
    ))
}

fn amount(raw: &str) -> Result<f64> {
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    cleaned
        .parse()
        .map_err(|_| invalid("amount", format!("{raw:?} is not an amount")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_alike_after_lf_and_crlf() {
        for end in ["\n", "\r\n"] {
            let text = ["id,rep", "A1,Sam", "A2,Sam", "", "A3,Sam"].join(end);
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let mut counter = Lines::new(&text);
            let lines: Vec<u64> = reader
                .records()
                .map(|r| counter.at(r.unwrap().position().unwrap().byte()))
                .collect();
            assert_eq!(lines, [2, 3, 5], "line ends {end:?}");
        }
    }

    #[test]
    fn crm_stage_names_become_outcomes() {
        assert_eq!(outcome("Closed Won").unwrap(), "won");
        assert_eq!(outcome("closedlost").unwrap(), "lost");
        assert_eq!(outcome("No Decision").unwrap(), "no-decision");
        assert!(
            outcome("Negotiation/Review").is_err(),
            "open deals are refused"
        );
    }

    #[test]
    fn dates_and_amounts_from_crm_exports() {
        assert_eq!(date("03/31/2026").unwrap(), "2026-03-31");
        assert_eq!(date("2026-03-31 14:05").unwrap(), "2026-03-31");
        assert!(date("31st March").is_err());
        assert_eq!(amount("$48,500.00").unwrap(), 48500.0);
        assert_eq!(amount("EUR 1200").unwrap(), 1200.0);
    }

    mod round_trip {
        use chrono::{NaiveDate, Utc};
        use proptest::prelude::*;

        use super::super::{Options, import};
        use crate::catalog::Catalog;
        use crate::deals::{self, Outcome};

        #[derive(Debug, Clone)]
        struct Given {
            id: String,
            name: String,
            outcome: Outcome,
            day: u32,
            cents: Option<u32>,
            competitor: String,
            primary: usize,
            note: String,
        }

        /// Text a CRM may hold: any printable characters, commas, quotes and
        /// spreadsheet formula starts included.
        fn text() -> impl Strategy<Value = String> {
            "[\\PC]{0,16}"
        }

        fn given() -> impl Strategy<Value = Given> {
            (
                "[A-Z]{2,4}-[0-9]{1,6}",
                text(),
                prop_oneof![
                    Just(Outcome::Won),
                    Just(Outcome::Lost),
                    Just(Outcome::NoDecision)
                ],
                0u32..2000,
                proptest::option::of(0u32..100_000_000),
                text(),
                0usize..2,
                "[^;]{0,16}",
            )
                .prop_map(
                    |(id, name, outcome, day, cents, competitor, primary, note)| Given {
                        id,
                        name,
                        outcome,
                        day,
                        cents,
                        competitor,
                        primary,
                        note,
                    },
                )
        }

        fn code(g: &Given) -> &'static str {
            match g.outcome {
                Outcome::Won => ["VALUE.ROI_CLEAR", "VALUE.LOWER_TCO"][g.primary],
                _ => ["PRICE.TOO_HIGH", "PRICE.VALUE_UNCLEAR"][g.primary],
            }
        }

        fn date(g: &Given) -> NaiveDate {
            NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Duration::days(g.day.into())
        }

        fn trimmed(s: &str) -> Option<String> {
            Some(s.trim().to_owned()).filter(|s| !s.is_empty())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// Deals written as a Quiver CSV read back as the same deals, whatever their
            /// text holds.
            #[test]
            fn deals_survive_a_csv(mut given in proptest::collection::vec(given(), 1..6)) {
                given.sort_by(|a, b| a.id.cmp(&b.id));
                given.dedup_by(|a, b| a.id == b.id);
                let dir = tempfile::tempdir().unwrap();
                let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite3")).unwrap();
                crate::reasons::seed(&catalog, Utc::now()).unwrap();
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(["deal_id", "name", "rep", "outcome", "close_date", "amount", "currency", "competitor", "primary_reason"]).unwrap();
                for g in &given {
                    let amount = g.cents.map(|c| (f64::from(c) / 100.0).to_string()).unwrap_or_default();
                    let primary = if g.note.trim().is_empty() { code(g).to_owned() } else { format!("{}: {}", code(g), g.note) };
                    w.write_record([
                        g.id.as_str(), &g.name, "Dana", g.outcome.as_str(), &date(g).to_string(),
                        &amount, if g.cents.is_some() { "USD" } else { "" }, &g.competitor, &primary,
                    ]).unwrap();
                }
                let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
                let stages: Vec<String> = deals::DEFAULT_STAGES.iter().map(|s| (*s).to_owned()).collect();
                let opts = Options {
                    map: Vec::new(),
                    dry_run: false,
                    stages: &stages,
                    today: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
                    by: "Dana",
                    unknown_as_other: false,
                    map_values: vec![],
                };
                let report = import(&mut catalog, &text, &opts, Utc::now()).unwrap();
                prop_assert!(report.failed.is_empty(), "{:?}", report.failed.iter().map(|f| &f.message).collect::<Vec<_>>());
                prop_assert_eq!(report.created, given.len());
                for g in &given {
                    let d = deals::get(&catalog, &g.id).unwrap().expect("imported");
                    prop_assert_eq!(d.name, trimmed(&g.name));
                    prop_assert_eq!(d.outcome, g.outcome);
                    prop_assert_eq!(d.close_date, date(g));
                    prop_assert_eq!(d.amount, g.cents.map(|c| f64::from(c) / 100.0));
                    prop_assert_eq!(d.competitor, trimmed(&g.competitor));
                    prop_assert_eq!(d.reasons[0].code.as_str(), code(g));
                    prop_assert_eq!(d.reasons[0].note.clone(), trimmed(&g.note));
                }
                // The same file again changes nothing.
                let again = import(&mut catalog, &text, &opts, Utc::now()).unwrap();
                prop_assert_eq!((again.created, again.updated, again.unchanged), (0, 0, given.len()));
            }
        }
    }
}
