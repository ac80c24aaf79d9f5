//! The evidence folder's format, for the folder store (`store::Folder`): every `*.json` and
//! `*.jsonl` file below it (any case), read in name order. Other files are named in a warning,
//! never read silently past; a record dated more than five minutes after now is refused with
//! the file's name.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gonogo_core::evidence::Evidence;
use gonogo_core::wire;

/// The default evidence folder, relative to the working directory.
pub const DEFAULT_DIR: &str = ".gonogo/evidence";

/// Evidence files below `dir`, sorted; a missing folder has none.
pub fn evidence_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list the evidence folder {}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if is_evidence_file(&path) && !path.is_file() {
                // A FIFO or a device named *.json would block or never end.
                eprintln!(
                    "warning: {} is in the evidence folder but is not a regular file: not read",
                    path.display()
                );
            } else if is_evidence_file(&path) {
                files.push(path);
            } else if !path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                eprintln!(
                    "warning: {} is in the evidence folder but is neither .json nor .jsonl: not read",
                    path.display()
                );
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Whether a file name ends in `.json` or `.jsonl`, in any case.
pub fn is_evidence_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl"))
}

/// Every record below `dir` with the file it came from. The error names the file and what is
/// wrong with it.
pub fn read_dir_named(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Evidence)>> {
    let mut records = Vec::new();
    for file in evidence_files(dir)? {
        for record in read_file(&file)? {
            records.push((file.clone(), record));
        }
    }
    Ok(records)
}

/// Refuses records dated more than five minutes after `now`: such a record would defeat
/// `max_age` and win every "newest".
pub fn refuse_future(records: &[(PathBuf, Evidence)], now: jiff::Timestamp) -> anyhow::Result<()> {
    let limit = now
        .checked_add(jiff::SignedDuration::from_secs(
            gonogo_core::eval::FUTURE_TOLERANCE_SECONDS as i64,
        ))
        .unwrap_or(now);
    for (file, record) in records {
        if record.collected_at > limit {
            anyhow::bail!(
                "evidence file {} holds a record dated {}, in the future (now is {now}): refused",
                file.display(),
                record.collected_at
            );
        }
    }
    Ok(())
}

/// The text of a regular file; a FIFO, device or folder in its place is refused unopened
/// (`gonogo_ingest::input::open_regular`), since reading one may never end.
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    gonogo_ingest::input::open_regular(path)?.read_to_string(&mut text)?;
    Ok(text)
}

pub fn read_file(file: &Path) -> anyhow::Result<Vec<Evidence>> {
    let text = read_regular(file)
        .with_context(|| format!("cannot read evidence file {}", file.display()))?;
    wire::parse_records(&text, gonogo_catalog::CATALOG).with_context(|| {
        format!(
            "evidence file {} is not valid gonogo evidence",
            file.display()
        )
    })
}

/// Creates the evidence folder (and its parents); a folder that cannot be made is an output
/// not written (`WriteError`, exit 4), never a usage error.
pub fn create_dir(dir: &Path) -> Result<(), gonogo_io::atomic::WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| gonogo_io::atomic::WriteError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a record into `dir` under its suggested name, atomically, as pretty JSON ending in
/// a newline (as `collect` always wrote it); returns the path.
pub fn write_record(dir: &Path, record: &Evidence) -> anyhow::Result<PathBuf> {
    create_dir(dir)
        .with_context(|| format!("cannot create the evidence folder {}", dir.display()))?;
    let path = dir.join(wire::suggested_file_name(record));
    crate::fsutil::write_atomic(&path, (wire::to_json_pretty(record) + "\n").as_bytes())?;
    Ok(path)
}
