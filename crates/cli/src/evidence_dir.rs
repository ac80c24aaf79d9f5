//! The evidence folder: every `*.json` and `*.jsonl` file below it, read in name order.

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
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every record below `dir`. The error names the file and what is wrong with it.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<Evidence>> {
    let mut records = Vec::new();
    for file in evidence_files(dir)? {
        records.extend(read_file(&file)?);
    }
    Ok(records)
}

pub fn read_file(file: &Path) -> anyhow::Result<Vec<Evidence>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read evidence file {}", file.display()))?;
    wire::parse_records(&text).with_context(|| {
        format!(
            "evidence file {} is not valid gonogo evidence",
            file.display()
        )
    })
}

/// Writes a record into `dir` under its suggested name, atomically; returns the path.
pub fn write_record(dir: &Path, record: &Evidence) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the evidence folder {}", dir.display()))?;
    let path = dir.join(wire::suggested_file_name(record));
    crate::fsutil::write_atomic(&path, wire::to_json_pretty(record).as_bytes())?;
    Ok(path)
}
