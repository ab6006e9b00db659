//! Quiver's desktop app: a Tauri window over the `quiver` core.
//!
//! The shell holds no product logic: `commands` adapts core functions to the UI one to
//! one, and `background` runs index runs (on request and when the file watcher sees a
//! change) off the UI's thread, reporting progress as events.

mod background;
mod commands;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use quiver::datadir::DataDir;
use quiver::extract::pool;
use tauri::Manager;

/// What every command reaches: the data dir the app opened, and the background worker.
pub struct Shell {
    pub dd: Mutex<DataDir>,
    pub background: background::Handle,
}

fn main() -> ExitCode {
    // Extraction runs in child processes of this same binary (see `extract::pool`).
    if std::env::args().nth(1).as_deref() == Some(pool::WORKER_ARG) {
        let args: Vec<String> = std::env::args().skip(2).collect();
        return quiver_os::extraction_worker(&args);
    }
    let explicit = std::env::args()
        .skip_while(|a| a != "--data-dir")
        .nth(1)
        .map(PathBuf::from);
    let Some(root) = explicit.or_else(quiver_os::default_data_dir) else {
        eprintln!("quiver-app: no home directory to keep Quiver's data in: pass --data-dir");
        return ExitCode::FAILURE;
    };
    let dd = match DataDir::open(&root, chrono::Utc::now()) {
        Ok(dd) => dd,
        Err(e) => {
            eprintln!("quiver-app: {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = dd.root.clone();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let background = background::start(app.handle().clone(), root.clone())?;
            app.manage(Arc::new(Shell {
                dd: Mutex::new(dd),
                background,
            }));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::search,
            commands::record_search,
            commands::open_asset,
            commands::preview,
            commands::asset_file,
            commands::asset_detail,
            commands::asset_set,
            commands::asset_page,
            commands::deals,
            commands::deal_save,
            commands::deals_find,
            commands::current_deal_set,
            commands::stages,
            commands::reasons,
            commands::reasons_find,
            commands::reason_add,
            commands::reason_rename,
            commands::reason_retire,
            commands::reason_merge,
            commands::report,
            commands::report_csv,
            commands::library_add,
            commands::library_remove,
            commands::index_now,
            commands::problems,
            commands::rep_set,
            commands::load_demo,
            commands::demo_remove,
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quiver-app: {e}");
            ExitCode::FAILURE
        }
    }
}
