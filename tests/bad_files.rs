//! Broken, hostile and unreadable files: each is reported with its path and the right
//! reason, and the run goes on.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::util::{Quiver, canonical, corpus, samples};

fn zip_bomb(path: &Path, inflated_mib: usize) {
    let file = fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..inflated_mib {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap();
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn each_bad_file_is_reported_with_its_reason_and_good_files_still_index() {
    let lib = tempfile::tempdir().unwrap();
    let dir = lib.path();
    let pdf = fs::read(samples().join("datasheets/brightline-ledger-datasheet.pdf")).unwrap();
    fs::write(dir.join("truncated.pdf"), &pdf[..pdf.len() * 4 / 10]).unwrap();
    fs::copy(corpus().join("pdf/aes-256.pdf"), dir.join("encrypted.pdf")).unwrap();
    zip_bomb(&dir.join("bomb.docx"), 24);
    fs::write(dir.join("empty.docx"), b"").unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(dir.join("random.pdf"), &noise).unwrap();
    fs::write(dir.join("locked.md"), "# Locked\nsecret roadmap").unwrap();
    fs::set_permissions(
        dir.join("locked.md"),
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .unwrap();
    fs::write(
        dir.join("legacy.ppt"),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old deck",
    )
    .unwrap();
    // Files Quiver never indexes.
    fs::write(dir.join("~$deck.pptx"), b"owner lock").unwrap();
    fs::write(dir.join(".hidden.md"), "# hidden").unwrap();
    fs::write(dir.join("draft.md.tmp"), "# temp").unwrap();
    // And one good file that must come through.
    fs::write(dir.join("good.md"), "# Good\nThe zebra discount applies.").unwrap();

    let q = Quiver::with_config("max_unzipped_bytes = 8388608\n");
    q.add(dir);
    let mut index = q.cmd();
    index.args(["--json", "index"]);
    if is_root() {
        // root reads everything; drop the capabilities that let it, for this run.
        let mut wrapped = std::process::Command::new("setpriv");
        wrapped.args([
            "--bounding-set",
            "-dac_override,-dac_read_search",
            crate::util::BIN,
        ]);
        wrapped
            .arg("--data-dir")
            .arg(q.data.path())
            .args(["--json", "index"]);
        index = wrapped;
    }
    let out = index.output().unwrap();
    assert!(
        out.status.success(),
        "bad files never fail the run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let reason = |name: &str| -> (String, String) {
        let path = canonical(&dir.join(name));
        let f = report["failed"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{name} is not reported: {report}"));
        (
            f["kind"].as_str().unwrap().to_owned(),
            f["reason"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(reason("truncated.pdf").0, "corrupt");
    assert_eq!(reason("encrypted.pdf").0, "encrypted");
    let (kind, why) = reason("bomb.docx");
    assert_eq!(kind, "too_large");
    assert!(why.contains("zip bomb"), "{why}");
    assert_eq!(reason("empty.docx").0, "empty");
    assert_eq!(reason("random.pdf").0, "corrupt");
    assert_eq!(reason("locked.md").0, "unreadable");
    assert_eq!(reason("legacy.ppt").0, "unsupported");
    assert_eq!(
        report["failed"].as_array().unwrap().len(),
        7,
        "only the bad files: {report}"
    );

    // The same reasons are listed by `quiver problems`.
    let problems = q.json(&["problems"]);
    assert_eq!(problems.as_array().unwrap().len(), 7);
    assert!(
        q.hit_paths("zebra", 5).len() == 1,
        "the good file is searchable"
    );
    assert!(
        q.hit_paths("hidden", 5).is_empty() && q.hit_paths("temp", 5).is_empty(),
        "skipped files are not indexed"
    );

    // Unchanged bad files are not read again on every run, but a file that could not
    // be read is tried again: for root, this run (without the setpriv) reads it.
    let again = q.index();
    let retried = usize::from(is_root());
    assert_eq!(
        again["failed"].as_array().unwrap().len(),
        1 - retried,
        "{again}"
    );
    assert_eq!(again["indexed"], retried, "{again}");
    assert_eq!(again["unchanged"], 7, "{again}");
}

#[test]
fn symlinks_leading_out_of_a_library_folder_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("private.md"),
        "# Private\nplatypus budget",
    )
    .unwrap();
    let lib = tempfile::tempdir().unwrap();
    fs::write(lib.path().join("inside.md"), "# Inside\nplatypus pricing").unwrap();
    std::os::unix::fs::symlink(outside.path(), lib.path().join("link-out")).unwrap();
    let q = Quiver::new();
    q.add(lib.path());
    q.index();
    let hits = q.hit_paths("platypus", 10);
    assert_eq!(hits.len(), 1, "only the file inside the folder: {hits:?}");
}

#[test]
fn a_symlink_loop_stays_in_problems_until_it_is_removed() {
    let lib = tempfile::tempdir().unwrap();
    fs::create_dir(lib.path().join("sub")).unwrap();
    fs::write(lib.path().join("sub/deck.md"), "# Deck\nplatypus pricing").unwrap();
    let up = lib.path().join("sub/up");
    std::os::unix::fs::symlink("..", &up).unwrap();
    let q = Quiver::new();
    q.add(lib.path());
    let report = q.index();
    assert_eq!(report["warnings"][0]["kind"], "skipped", "{report}");
    assert_eq!(
        q.hit_paths("platypus", 10).len(),
        1,
        "the loop is walked once"
    );

    let problems = q.json(&["problems"]);
    let rows = problems.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{problems}");
    assert_eq!(rows[0]["kind"], "skipped");
    assert_eq!(rows[0]["path"], canonical(lib.path()) + "/sub/up");
    assert!(
        rows[0]["reason"].as_str().unwrap().contains("loop"),
        "{problems}"
    );

    fs::remove_file(&up).unwrap();
    q.index();
    assert_eq!(q.json(&["problems"]), serde_json::json!([]));
}
