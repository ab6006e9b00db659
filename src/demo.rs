//! `quiver demo`: a data dir with the sample library and a realistic, synthetic
//! history (reps, searches, opens, deals, reasons) so a new user sees full reports at
//! once. The history is deterministic for a seed and carries planted signals, listed in
//! [`SIGNALS`], that the reports should show.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use include_dir::{Dir, include_dir};
use serde::Serialize;

use crate::capture::exchange;
use crate::datadir::DataDir;
use crate::deals::import;
use crate::extract::pool::WorkerCommand;
use crate::search::{self, Request};
use crate::{Error, Result, indexer, library};

/// The repository's sample library, inside the binary so `quiver demo` works anywhere.
static SAMPLES: Dir = include_dir!("$CARGO_MANIFEST_DIR/samples/library");

/// What the demo history is built to show.
pub const SIGNALS: [&str; 6] = [
    "60% of the library is never opened",
    "PRICE.TOO_HIGH is the primary loss reason in smb deals three times as often as in enterprise deals",
    "the CFO ROI deck is opened in 80% of won deals and 20% of lost ones",
    "Northpeak wins mainly at the proposal stage",
    "one rep (Riley Okafor) codes OTHER half the time",
    "reps search for HIPAA and GDPR paperwork that does not exist (zero results)",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Large,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Summary {
    pub library: PathBuf,
    pub assets: usize,
    pub reps: usize,
    pub events: usize,
    pub deals: usize,
    pub signals: Vec<&'static str>,
}

/// Files that are opened in the demo; every other sample stays unopened.
const USED: [&str; 6] = [
    "decks/ledger-sales-pitch.pptx",
    "decks/cfo-roi-deck.pptx",
    "pricing/brightline-price-book-2025.xlsx",
    "battlecards/acmeworks-battlecard.md",
    "datasheets/brightline-ledger-datasheet.pdf",
    "playbooks/security-faq.html",
];
const ROI_DECK: &str = "decks/cfo-roi-deck.pptx";

const QUERIES: [&str; 15] = [
    "pricing",
    "roi",
    "acmeworks",
    "northpeak",
    "security",
    "soc 2",
    "implementation timeline",
    "case study",
    "discount",
    "netsuite",
    "cfo",
    "soc 3 report",
    "gdpr dpa template",
    "hipaa baa template",
    "forecast",
];

fn sample_library(dd: &DataDir) -> PathBuf {
    dd.root.join("sample-library")
}

/// Refuses a data dir that holds anything a user made, so that the demo's made-up
/// history never mixes with real data. A demo stopped before it wrote its history
/// (closed during its index run, say) left only its own sample library: it may run
/// again there.
///
/// # Errors
/// [`crate::UserError::DataDirInUse`], or a database error.
pub fn check_fits(dd: &DataDir) -> Result<()> {
    let own = std::fs::canonicalize(sample_library(dd)).ok();
    let foreign = dd.catalog.roots()?.into_iter().any(|r| Some(r) != own);
    if foreign || dd.catalog.holds_history()? {
        return Err(crate::UserError::DataDirInUse(dd.root.clone()).into());
    }
    Ok(())
}

/// Writes the sample library into `data_dir/sample-library`, indexes it, and records a
/// synthetic history ending yesterday.
///
/// # Errors
/// [`crate::UserError::DataDirInUse`] unless [`check_fits`] lets it in; I/O, catalog and index
/// errors.
pub fn populate(
    dd: &mut DataDir,
    worker: &WorkerCommand,
    seed: u64,
    size: Size,
    now: DateTime<Utc>,
) -> Result<Summary> {
    check_fits(dd)?;
    let lib = sample_library(dd);
    write_samples(&SAMPLES, &lib)?;
    library::add(&dd.catalog, std::slice::from_ref(&lib), now)?;
    indexer::run(dd, worker, now, &mut |_| {})?;
    let days = 180;
    // The library existed before the history started.
    dd.catalog
        .backdate_assets(&(now - Duration::days(days + 30)).to_rfc3339())?;

    let mut rng = fastrand::Rng::with_seed(seed);
    let reps: Vec<String> = match size {
        Size::Small => [
            "Avery Chen",
            "Jordan Patel",
            "Sam Rivera",
            "Morgan Lee",
            "Riley Okafor",
            "Casey Novak",
        ]
        .map(String::from)
        .to_vec(),
        Size::Large => (0..40)
            .map(|i| {
                if i == 4 {
                    "Riley Okafor".to_owned()
                } else {
                    format!("Rep {i:02}")
                }
            })
            .collect(),
    };
    let asset_at = |rel: &str| -> Result<String> {
        let path =
            std::fs::canonicalize(lib.join(rel)).map_err(|e| Error::io(rel.to_owned(), e))?;
        dd.catalog.resolve_asset(&path.to_string_lossy())
    };
    let used: Vec<String> = USED.iter().map(|r| asset_at(r)).collect::<Result<_>>()?;
    let roi = asset_at(ROI_DECK)?;
    let today = now.date_naive();
    let mut result_counts = std::collections::HashMap::new();
    for q in QUERIES {
        let req = Request {
            query: q.to_owned(),
            limit: 1,
            today,
            ..Request::default()
        };
        result_counts.insert(q, search::search(&dd.index, &dd.catalog, &req)?.total);
    }

    // Searches and opens.
    let start = now - Duration::days(days);
    let mut events = String::new();
    let per_day = if size == Size::Small { 2 } else { 4 };
    for day in 0..days {
        let date = start + Duration::days(day);
        if matches!(date.format("%a").to_string().as_str(), "Sat" | "Sun") {
            continue;
        }
        for rep in &reps {
            for _ in 0..rng.usize(0..=per_day) {
                let at = date + Duration::minutes(rng.i64(480..1080));
                let q = QUERIES[rng.usize(..QUERIES.len())];
                let sid = uuid::Uuid::new_v4();
                let n = result_counts[q];
                let _ = writeln!(
                    events,
                    r#"{{"id":"{sid}","kind":"search","at":"{}","rep":"{rep}","surface":"app","query":"{q}","result_count":{n}}}"#,
                    at.to_rfc3339()
                );
                if n > 0 && rng.f64() < 0.6 {
                    // Popularity falls off: the pitch deck is opened most.
                    let asset = &used[(rng.f64() * rng.f64() * used.len() as f64) as usize];
                    let _ = writeln!(
                        events,
                        r#"{{"id":"{}","kind":"open","at":"{}","rep":"{rep}","surface":"app","asset_id":"{asset}","query_id":"{sid}"}}"#,
                        uuid::Uuid::new_v4(),
                        (at + Duration::seconds(20)).to_rfc3339()
                    );
                }
            }
        }
    }

    // Closed deals, with the ROI deck opened for most won deals.
    let n_deals = if size == Size::Small { 160 } else { 3000 };
    let mut csv = String::from(
        "deal_id,name,account,rep,outcome,close_date,amount,currency,competitor,stage,industry,size,region,primary_reason,secondary_reasons,notes\n",
    );
    let industries = [
        "manufacturing",
        "healthcare",
        "retail",
        "software",
        "logistics",
    ];
    let regions = ["na", "emea", "apac"];
    let sizes = ["smb", "mid-market", "enterprise"];
    let buy = [
        "VALUE.ROI_CLEAR",
        "PRODUCT.FIT",
        "IMPLEMENTATION.FAST",
        "RELATIONSHIP.CHAMPION",
        "BRAND.REFERENCES",
        "PRODUCT.INTEGRATIONS",
    ];
    let objections = [
        "COMPETITION.CHEAPER",
        "IMPLEMENTATION.TOO_LONG",
        "TIMING.NO_BUDGET",
        "PRODUCT.MISSING_FEATURE",
        "RELATIONSHIP.NO_CHAMPION",
        "PRODUCT.SECURITY",
    ];
    let mut deal_ids = Vec::with_capacity(n_deals);
    for i in 0..n_deals {
        let rep = &reps[rng.usize(..reps.len())];
        let size_band = sizes[rng.usize(..3)];
        let roll = rng.f64();
        let outcome = if roll < 0.35 {
            "won"
        } else if roll < 0.85 {
            "lost"
        } else {
            "no-decision"
        };
        let close = start + Duration::days(rng.i64(20..days));
        let competitor = match outcome {
            "lost" => ["Acmeworks", "Northpeak", ""][rng.usize(..3)],
            _ => "",
        };
        let stage = if competitor == "Northpeak" && rng.f64() < 0.75 {
            "proposal"
        } else {
            ["discovery", "demo", "proposal", "negotiation"][rng.usize(..4)]
        };
        let primary = if rep == "Riley Okafor" && rng.bool() {
            "OTHER"
        } else if outcome == "won" {
            buy[rng.usize(..buy.len())]
        } else {
            let price_share = match size_band {
                "smb" => 0.45,
                "enterprise" => 0.15,
                _ => 0.3,
            };
            if rng.f64() < price_share {
                "PRICE.TOO_HIGH"
            } else {
                objections[rng.usize(..objections.len())]
            }
        };
        let secondary = if outcome == "won" {
            objections[rng.usize(..objections.len())]
        } else {
            buy[rng.usize(..buy.len())]
        };
        let secondary = if rng.f64() < 0.6 && secondary != primary {
            secondary
        } else {
            ""
        };
        let note = if rng.f64() < 0.5 {
            "buyer said so on the close call"
        } else {
            ""
        };
        let id = format!("DEMO-{i:05}");
        deal_ids.push(id.clone());
        let _ = writeln!(
            csv,
            "{id},Deal {i},Account {},{rep},{outcome},{},{},USD,{competitor},{},{},{size_band},{},{primary},{secondary},{note}",
            rng.u32(1..900),
            close.format("%Y-%m-%d"),
            rng.u32(5..200) * 1000,
            if outcome == "won" { "closing" } else { stage },
            industries[rng.usize(..industries.len())],
            regions[rng.usize(..regions.len())],
        );
        // Every deal has the pitch deck opened for it; the ROI deck is the planted signal.
        let _ = writeln!(
            events,
            r#"{{"id":"{}","kind":"open","at":"{}","rep":"{rep}","surface":"app","asset_id":"{}","deal_id":"{id}"}}"#,
            uuid::Uuid::new_v4(),
            (close - Duration::days(rng.i64(3..20))).to_rfc3339(),
            used[0]
        );
        let opened = if outcome == "won" { 0.8 } else { 0.2 };
        if rng.f64() < opened {
            let _ = writeln!(
                events,
                r#"{{"id":"{}","kind":"open","at":"{}","rep":"{rep}","surface":"app","asset_id":"{roi}","deal_id":"{id}"}}"#,
                uuid::Uuid::new_v4(),
                (close - Duration::days(rng.i64(3..20))).to_rfc3339()
            );
        }
    }
    let imported = exchange::import(&mut dd.catalog, &mut events.as_bytes(), now)?;
    let stages = dd.config.stages.clone();
    let opts = import::Options {
        map: vec![],
        dry_run: false,
        stages: &stages,
        today: now.date_naive(),
        by: "quiver demo",
        unknown_as_other: false,
        map_values: vec![],
    };
    let deals = import::import(&mut dd.catalog, &csv, &opts, now)?;
    if let Some(f) = deals.failed.first() {
        return Err(Error::Internal(format!(
            "demo deal line {} did not import: {}",
            f.line, f.message
        )));
    }
    // What the demo added, so that it can be taken out again exactly: the data dir
    // held no history before (`check_fits`), so every event so far is the demo's.
    let mark = Mark {
        library: std::fs::canonicalize(&lib)
            .map_err(|e| Error::io(lib.display().to_string(), e))?
            .to_string_lossy()
            .into_owned(),
        events_through: dd.catalog.last_event_rowid()?,
        deals: deal_ids,
    };
    let json = serde_json::to_string(&mark).map_err(|e| Error::Internal(e.to_string()))?;
    dd.catalog.set_meta(MARK, &json)?;
    Ok(Summary {
        library: lib,
        assets: dd.catalog.present_assets()?.len(),
        reps: reps.len(),
        events: imported.imported,
        deals: deals.created + deals.unchanged,
        signals: SIGNALS.to_vec(),
    })
}

/// The catalog's `meta` key that lists what the demo added.
const MARK: &str = "demo";

/// What the demo added: its library folder (canonical), the events up to a rowid, and
/// its deals' ids.
#[derive(Debug, Serialize, serde::Deserialize)]
struct Mark {
    library: String,
    events_through: i64,
    deals: Vec<String>,
}

/// What removing the sample library and its history took out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Removed {
    pub library: PathBuf,
    pub assets: usize,
    pub events: usize,
    pub deals: usize,
}

/// Removes exactly what [`populate`] added: its library folder (from the library and
/// from the data dir), the assets found only there, its events and its deals; a rep's
/// own folders, events and deals stay, and the reports stop counting the demo's.
///
/// # Errors
/// [`crate::UserError::InvalidValue`] (field `demo`) when this data dir holds no
/// sample library; [`crate::UserError::IndexingRunning`] while an index run holds the
/// index; catalog and index errors.
pub fn remove(dd: &mut DataDir) -> Result<Removed> {
    let mark: Mark = match dd.catalog.meta(MARK)? {
        Some(json) => serde_json::from_str(&json).map_err(|e| Error::Internal(e.to_string()))?,
        None => {
            return Err(crate::UserError::InvalidValue {
                field: "demo".into(),
                message: "this data dir holds no sample library to remove".into(),
            }
            .into());
        }
    };
    // The index writer first: while an index run holds it, nothing is removed.
    let mut writer = dd.index.writer(&dd.index_dir())?;
    let tx = dd.catalog.write()?;
    let (counts, removed) =
        tx.tables()
            .remove_demo(&mark.library, mark.events_through, &mark.deals)?;
    tx.tables().delete_meta(MARK)?;
    tx.commit()?;
    for id in &removed {
        writer.delete_term(dd.index.id_term(id));
    }
    writer.commit()?;
    drop(writer);
    dd.index.reload()?;
    crate::indexer::refresh(dd)?;
    let folder = sample_library(dd);
    if folder.is_dir() {
        std::fs::remove_dir_all(&folder)
            .map_err(|e| Error::io(format!("removing {}", folder.display()), e))?;
    }
    Ok(Removed {
        library: PathBuf::from(mark.library),
        assets: counts.assets,
        events: counts.events,
        deals: counts.deals,
    })
}

fn write_samples(dir: &Dir, to: &Path) -> Result<()> {
    for file in dir.files() {
        let target = to.join(file.path());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        if !target.exists() {
            crate::fsutil::write_bytes(&target, file.contents())?;
        }
    }
    for sub in dir.dirs() {
        write_samples(sub, to)?;
    }
    Ok(())
}
