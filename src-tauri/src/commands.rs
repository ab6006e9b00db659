//! The UI's commands: each adapts one core function (or two that always go together)
//! to `invoke`. Blocking core work runs on Tauri's blocking pool; errors reach the UI as
//! `{code, message}`, the same codes `quiver --json` prints.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use quiver::capture::{self, OpenRequest, Rep, Surface};
use quiver::catalog::AssetField;
use quiver::datadir::DataDir;
use quiver::deals::{self, Deal};
use quiver::insights::{self, By, Options, Report};
use quiver::reasons::{self, NewReason, Reason};
use quiver::search::{self, Location, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tauri::State;
use tauri::ipc::Response;

use crate::Shell;
use crate::background::Job;

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    code: String,
    message: String,
}

impl From<quiver::Error> for ApiError {
    fn from(e: quiver::Error) -> ApiError {
        ApiError {
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

type Answer<T> = Result<T, ApiError>;

/// Runs `f` on the app's data dir, off the async runtime.
async fn with_dd<T, F>(shell: &State<'_, Arc<Shell>>, f: F) -> Answer<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DataDir) -> quiver::Result<T> + Send + 'static,
{
    let shell = Arc::clone(shell);
    tauri::async_runtime::spawn_blocking(move || {
        let mut dd = shell.dd.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut dd).map_err(ApiError::from)
    })
    .await
    .map_err(|e| ApiError {
        code: "internal.task".into(),
        message: e.to_string(),
    })?
}

fn today() -> String {
    Utc::now().format("%Y-%m-%d").to_string()
}

#[tauri::command]
pub async fn status(shell: State<'_, Arc<Shell>>) -> Answer<Value> {
    let indexing = shell.background.busy();
    with_dd(&shell, move |dd| {
        Ok(json!({
            "data_dir": dd.root,
            "rep": capture::rep(&dd.catalog)?,
            "current_rep": capture::current_rep(&dd.catalog)?,
            "counts": dd.catalog.counts()?,
            "roots": dd.catalog.roots()?,
            "indexing": indexing,
        }))
    })
    .await
}

#[tauri::command]
pub async fn search(
    shell: State<'_, Arc<Shell>>,
    query: String,
    filters: Vec<(String, String)>,
    limit: usize,
) -> Answer<Value> {
    with_dd(&shell, move |dd| {
        let req = Request {
            query,
            filters,
            limit,
            today: today(),
        };
        let results = search::search(&dd.index, &dd.catalog, &req)?;
        let facets = search::facets(&dd.index, &req)?;
        Ok(json!({"results": results, "facets": facets}))
    })
    .await
}

/// Searches are recorded when the rep settles on one (not on every keystroke).
#[tauri::command]
pub async fn record_search(
    shell: State<'_, Arc<Shell>>,
    query: String,
    filters: Vec<(String, String)>,
    total: usize,
) -> Answer<String> {
    with_dd(&shell, move |dd| {
        let rep = capture::current_rep(&dd.catalog)?;
        capture::record_search(
            &dd.catalog,
            &query,
            &filters,
            total,
            &rep,
            Surface::App,
            Utc::now(),
        )
    })
    .await
}

#[tauri::command]
pub async fn open_asset(
    shell: State<'_, Arc<Shell>>,
    target: String,
    deal_id: Option<String>,
    query_id: Option<String>,
    location: Option<Location>,
    preview: bool,
) -> Answer<capture::OpenAck> {
    with_dd(&shell, move |dd| {
        let req = OpenRequest {
            target,
            preview,
            deal_id: deal_id.filter(|d| !d.trim().is_empty()),
            query_id,
            location,
            surface: Surface::App,
        };
        let plan = capture::plan_open(&dd.catalog, &req, &today())?;
        if !preview {
            // Launch first: an open that did not happen is not recorded.
            capture::launch(&plan.path)?;
        }
        let rep = capture::current_rep(&dd.catalog)?;
        capture::record_open(&dd.catalog, &req, plan, &rep, Utc::now())
    })
    .await
}

/// The stored text of an asset's pages, slides or sheets, for the preview pane.
#[tauri::command]
pub async fn preview(shell: State<'_, Arc<Shell>>, asset_id: String) -> Answer<Value> {
    with_dd(&shell, move |dd| {
        let record = dd
            .catalog
            .search_record(&asset_id)?
            .ok_or_else(|| quiver::UserError::NoSuchAsset(asset_id.clone()))?;
        let sections = dd.catalog.sections(record.version_id)?;
        Ok(json!({
            "asset_id": asset_id,
            "title": record.title,
            "path": record.path,
            "format": record.format,
            "sections": sections,
        }))
    })
    .await
}

/// The bytes of an asset's current file (PDFs render in the preview pane). Only files
/// in the catalog can be read this way.
#[tauri::command]
pub async fn asset_file(shell: State<'_, Arc<Shell>>, asset_id: String) -> Answer<Response> {
    with_dd(&shell, move |dd| {
        let record = dd
            .catalog
            .search_record(&asset_id)?
            .ok_or_else(|| quiver::UserError::NoSuchAsset(asset_id.clone()))?;
        let bytes = std::fs::read(&record.path)
            .map_err(|e| quiver::Error::io(format!("reading {}", record.path), e))?;
        Ok(Response::new(bytes))
    })
    .await
}

#[tauri::command]
pub async fn asset_detail(
    shell: State<'_, Arc<Shell>>,
    target: String,
) -> Answer<quiver::catalog::AssetDetail> {
    with_dd(&shell, move |dd| {
        let id = dd.catalog.resolve_asset(&target)?;
        dd.catalog.asset_detail(&id)
    })
    .await
}

#[tauri::command]
pub async fn asset_set(
    shell: State<'_, Arc<Shell>>,
    asset_id: String,
    field: String,
    value: String,
) -> Answer<quiver::catalog::AssetDetail> {
    let result = with_dd(&shell, move |dd| {
        dd.catalog
            .set_field(&asset_id, AssetField::parse(&field)?, &value)?;
        dd.catalog.asset_detail(&asset_id)
    })
    .await;
    // The search index carries these fields: bring it up to date.
    shell.background.request(Job::Index);
    result
}

#[tauri::command]
pub async fn deals(shell: State<'_, Arc<Shell>>) -> Answer<Vec<Deal>> {
    with_dd(&shell, |dd| deals::list(&dd.catalog)).await
}

#[derive(Serialize)]
pub struct Saved {
    change: deals::Change,
    deal: Deal,
}

#[tauri::command]
pub async fn deal_save(shell: State<'_, Arc<Shell>>, deal: Deal, edit: bool) -> Answer<Saved> {
    with_dd(&shell, move |dd| {
        let me = capture::current_rep(&dd.catalog)?;
        let deal = Deal {
            rep: if deal.rep.trim().is_empty() {
                me.clone()
            } else {
                deal.rep
            },
            ..deal
        };
        let now = Utc::now();
        let (change, deal) = deals::save(
            &dd.catalog,
            deal,
            &me,
            edit,
            &dd.config.stages,
            now.date_naive(),
            now,
        )?;
        Ok(Saved { change, deal })
    })
    .await
}

#[tauri::command]
pub async fn stages(shell: State<'_, Arc<Shell>>) -> Answer<Vec<String>> {
    with_dd(&shell, |dd| Ok(dd.config.stages.clone())).await
}

#[tauri::command]
pub async fn reasons(shell: State<'_, Arc<Shell>>, include_retired: bool) -> Answer<Vec<Reason>> {
    with_dd(&shell, move |dd| {
        reasons::list(&dd.catalog, include_retired)
    })
    .await
}

#[derive(Deserialize)]
pub struct ReasonInput {
    code: String,
    label: String,
    kind: String,
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    keywords: Vec<String>,
}

#[tauri::command]
pub async fn reason_add(shell: State<'_, Arc<Shell>>, reason: ReasonInput) -> Answer<Reason> {
    with_dd(&shell, move |dd| {
        let me = capture::current_rep(&dd.catalog)?;
        let new = NewReason {
            code: &reason.code,
            label: &reason.label,
            kind: &reason.kind,
            category: &reason.category,
            description: &reason.description,
            keywords: reason.keywords,
        };
        reasons::add(&dd.catalog, new, &me, Utc::now())
    })
    .await
}

#[tauri::command]
pub async fn reason_rename(
    shell: State<'_, Arc<Shell>>,
    code: String,
    label: String,
) -> Answer<Reason> {
    with_dd(&shell, move |dd| {
        let me = capture::current_rep(&dd.catalog)?;
        reasons::rename(&dd.catalog, &code, &label, &me, Utc::now())
    })
    .await
}

#[tauri::command]
pub async fn reason_retire(shell: State<'_, Arc<Shell>>, code: String) -> Answer<Reason> {
    with_dd(&shell, move |dd| {
        let me = capture::current_rep(&dd.catalog)?;
        reasons::retire(&dd.catalog, &code, &me, Utc::now())
    })
    .await
}

#[tauri::command]
pub async fn reason_merge(
    shell: State<'_, Arc<Shell>>,
    old: String,
    into: String,
) -> Answer<Reason> {
    with_dd(&shell, move |dd| {
        let me = capture::current_rep(&dd.catalog)?;
        reasons::merge(&dd.catalog, &old, &into, &me, Utc::now())
    })
    .await
}

/// The report window and segment the Insights screen asks for.
#[derive(Deserialize)]
pub struct ReportInput {
    name: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by: Option<String>,
    #[serde(default)]
    anonymize: bool,
}

fn run_report(dd: &DataDir, input: &ReportInput) -> quiver::Result<Report> {
    let today = Utc::now().date_naive();
    let mut opts = Options::new(today);
    opts.from = input.from;
    opts.to = input.to.unwrap_or(today);
    opts.by = input.by.as_deref().map(By::parse).transpose()?;
    opts.anonymize = input.anonymize;
    opts.stages = dd.config.stages.clone();
    insights::run(&dd.catalog, &dd.index, &input.name, &opts)
}

#[tauri::command]
pub async fn report(shell: State<'_, Arc<Shell>>, input: ReportInput) -> Answer<Report> {
    with_dd(&shell, move |dd| run_report(dd, &input)).await
}

/// Writes one table of a report as CSV to `path` (chosen in a save dialog).
#[tauri::command]
pub async fn report_csv(
    shell: State<'_, Arc<Shell>>,
    input: ReportInput,
    table: String,
    path: PathBuf,
) -> Answer<()> {
    with_dd(&shell, move |dd| {
        let report = run_report(dd, &input)?;
        let table = report
            .table(&table)
            .ok_or_else(|| quiver::UserError::InvalidValue {
                field: "table".into(),
                message: format!("no table {table:?} in the {} report", input.name),
            })?;
        let file = std::fs::File::create(&path)
            .map_err(|e| quiver::Error::io(format!("creating {}", path.display()), e))?;
        table.write_csv(std::io::BufWriter::new(file))
    })
    .await
}

#[tauri::command]
pub async fn library_add(
    shell: State<'_, Arc<Shell>>,
    path: PathBuf,
) -> Answer<Vec<quiver::library::Added>> {
    let added = with_dd(&shell, move |dd| {
        quiver::library::add(&dd.catalog, &[path], Utc::now())
    })
    .await?;
    shell.background.request(Job::Index);
    Ok(added)
}

#[tauri::command]
pub async fn library_remove(shell: State<'_, Arc<Shell>>, path: PathBuf) -> Answer<PathBuf> {
    let removed = with_dd(&shell, move |dd| {
        quiver::library::remove(&dd.catalog, &path)
    })
    .await?;
    shell.background.request(Job::Index);
    Ok(removed)
}

#[tauri::command]
pub async fn index_now(shell: State<'_, Arc<Shell>>) -> Answer<()> {
    shell.background.request(Job::Index);
    Ok(())
}

#[tauri::command]
pub async fn problems(shell: State<'_, Arc<Shell>>) -> Answer<Vec<quiver::catalog::ProblemRow>> {
    with_dd(&shell, |dd| dd.catalog.problems()).await
}

#[tauri::command]
pub async fn rep_set(shell: State<'_, Arc<Shell>>, rep: Rep) -> Answer<Rep> {
    with_dd(&shell, move |dd| {
        capture::set_rep(&dd.catalog, &rep)?;
        Ok(rep)
    })
    .await
}

/// First run: the sample library with a demo history, loaded in the background.
#[tauri::command]
pub async fn load_demo(shell: State<'_, Arc<Shell>>) -> Answer<()> {
    // Refused here, where the first-run screen can still say so: the demo itself runs in
    // the background, whose errors only reach a notice.
    with_dd(&shell, |dd| quiver::demo::check_fits(dd)).await?;
    shell.background.request(Job::Demo);
    Ok(())
}
