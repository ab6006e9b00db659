//! The UI's commands: each adapts one core operation (`quiver::ops`, or a core function
//! where the action is one call) to `invoke`. Blocking core work runs on Tauri's
//! blocking pool; errors reach the UI as `{code, message, field}`, the same codes
//! `quiver --json` prints.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use quiver::capture::{self, OpenAck, Rep, Surface};
use quiver::datadir::DataDir;
use quiver::deals::{self, Deal, DealInput};
use quiver::insights::Report;
use quiver::ops::{self, Caller, OpenInput, ReportRequest, SearchInput, SearchOutput, Status};
use quiver::reasons::{self, NewReason, Reason};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Response;

use crate::Shell;
use crate::background::Job;

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    code: String,
    message: String,
    /// The input field a user error is about, for the form to point at.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl From<quiver::Error> for ApiError {
    fn from(e: quiver::Error) -> ApiError {
        ApiError {
            code: e.code().to_owned(),
            message: e.to_string(),
            field: e.field().map(str::to_owned),
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
        field: None,
    })?
}

/// The app's caller: now, the login name, the app surface.
fn caller() -> Caller {
    Caller::new(Utc::now(), quiver_os::login_name(), Surface::App)
}

#[tauri::command]
pub async fn status(shell: State<'_, Arc<Shell>>) -> Answer<Status> {
    with_dd(&shell, move |dd| ops::status(dd, &caller())).await
}

#[tauri::command]
pub async fn search(shell: State<'_, Arc<Shell>>, input: SearchInput) -> Answer<SearchOutput> {
    with_dd(&shell, move |dd| ops::search(dd, &caller(), input)).await
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
        ops::record_search(dd, &caller(), &query, &filters, total)
    })
    .await
}

#[tauri::command]
pub async fn open_asset(shell: State<'_, Arc<Shell>>, input: OpenInput) -> Answer<OpenAck> {
    with_dd(&shell, move |dd| {
        ops::open(dd, &caller(), input, quiver_os::open_viewer)
    })
    .await
}

/// The stored text of an asset's pages, slides or sheets, for the preview pane.
#[tauri::command]
pub async fn preview(shell: State<'_, Arc<Shell>>, asset_id: String) -> Answer<ops::Preview> {
    with_dd(&shell, move |dd| ops::preview(dd, &asset_id)).await
}

/// The bytes of an asset's current file (PDFs render in the preview pane).
#[tauri::command]
pub async fn asset_file(shell: State<'_, Arc<Shell>>, asset_id: String) -> Answer<Response> {
    with_dd(&shell, move |dd| {
        ops::asset_bytes(dd, &asset_id).map(Response::new)
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

/// An asset's page: its fields and its use in the report window.
#[tauri::command]
pub async fn asset_page(
    shell: State<'_, Arc<Shell>>,
    target: String,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Answer<ops::AssetPage> {
    with_dd(&shell, move |dd| {
        ops::asset_page(dd, &caller(), &target, from, to)
    })
    .await
}

#[tauri::command]
pub async fn asset_set(
    shell: State<'_, Arc<Shell>>,
    asset_id: String,
    field: String,
    value: String,
) -> Answer<ops::AssetSet> {
    let set = with_dd(&shell, move |dd| {
        ops::set_asset_fields(dd, &asset_id, &[(field, value)])
    })
    .await?;
    if !set.search_updated {
        // The background run holds the index: it takes the new fields up.
        shell.background.request(Job::Index);
    }
    Ok(set)
}

#[tauri::command]
pub async fn deals(shell: State<'_, Arc<Shell>>) -> Answer<Vec<Deal>> {
    with_dd(&shell, |dd| deals::list(&dd.catalog)).await
}

/// The "preparing for" picker: open deals matching what the rep typed.
#[tauri::command]
pub async fn deals_find(
    shell: State<'_, Arc<Shell>>,
    text: String,
) -> Answer<Vec<quiver::deals::KnownDeal>> {
    with_dd(&shell, move |dd| ops::find_deals(dd, &text, 12)).await
}

/// Sets (or clears) the deal being prepared for; it is kept across restarts.
#[tauri::command]
pub async fn current_deal_set(
    shell: State<'_, Arc<Shell>>,
    deal: Option<String>,
) -> Answer<Option<String>> {
    with_dd(&shell, move |dd| ops::set_current_deal(dd, deal.as_deref())).await
}

#[tauri::command]
pub async fn deal_save(
    shell: State<'_, Arc<Shell>>,
    deal: DealInput,
    edit: bool,
) -> Answer<ops::Saved> {
    with_dd(&shell, move |dd| ops::save_deal(dd, &caller(), deal, edit)).await
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

/// The reason picker: matches for what the rep typed, best first.
#[tauri::command]
pub async fn reasons_find(
    shell: State<'_, Arc<Shell>>,
    text: String,
    kind: Option<String>,
) -> Answer<Vec<quiver::reasons::ReasonMatch>> {
    with_dd(&shell, move |dd| {
        ops::find_reasons(dd, &text, kind.as_deref(), 12)
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
        let caller = caller();
        let me = caller.rep(&dd.catalog)?;
        let new = NewReason {
            code: &reason.code,
            label: &reason.label,
            kind: &reason.kind,
            category: &reason.category,
            description: &reason.description,
            keywords: reason.keywords,
        };
        reasons::add(&dd.catalog, new, &me, caller.now)
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
        let caller = caller();
        let me = caller.rep(&dd.catalog)?;
        reasons::rename(&dd.catalog, &code, &label, &me, caller.now)
    })
    .await
}

#[tauri::command]
pub async fn reason_retire(shell: State<'_, Arc<Shell>>, code: String) -> Answer<Reason> {
    with_dd(&shell, move |dd| {
        let caller = caller();
        let me = caller.rep(&dd.catalog)?;
        reasons::retire(&dd.catalog, &code, &me, caller.now)
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
        let caller = caller();
        let me = caller.rep(&dd.catalog)?;
        reasons::merge(&dd.catalog, &old, &into, &me, caller.now)
    })
    .await
}

#[tauri::command]
pub async fn report(shell: State<'_, Arc<Shell>>, input: ReportRequest) -> Answer<Report> {
    with_dd(&shell, move |dd| ops::report(dd, &caller(), &input)).await
}

/// Writes one table of a report as CSV to `path` (chosen in a save dialog).
#[tauri::command]
pub async fn report_csv(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    input: ReportRequest,
    table: String,
) -> Answer<Option<PathBuf>> {
    // The file is chosen in the native save dialog, here: the page never names a path
    // Quiver writes to.
    use tauri_plugin_dialog::DialogExt;
    let name = format!("quiver-{}-{table}.csv", input.name);
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_file_name(name)
            .add_filter("CSV", &["csv"])
            .blocking_save_file()
    })
    .await
    .map_err(|e| ApiError {
        code: "internal.task".into(),
        message: e.to_string(),
        field: None,
    })?;
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    with_dd(&shell, move |dd| {
        ops::report_csv(dd, &caller(), &input, Some(table.as_str()), &path)?;
        Ok(Some(path))
    })
    .await
}

#[tauri::command]
pub async fn library_add(
    shell: State<'_, Arc<Shell>>,
    path: PathBuf,
) -> Answer<Vec<quiver::library::Added>> {
    // A path from the page: never a hidden folder (the folder dialog, or a person
    // typing, picks collateral; an injected script might pick ~/.ssh).
    let added = with_dd(&shell, move |dd| {
        quiver::library::check_not_hidden(&path)?;
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

/// Settings: removes the sample library and its history (its events and deals), and
/// nothing else.
#[tauri::command]
pub async fn demo_remove(shell: State<'_, Arc<Shell>>) -> Answer<quiver::demo::Removed> {
    with_dd(&shell, |dd| ops::remove_demo(dd, &caller())).await
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
