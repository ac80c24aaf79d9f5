//! Atomic file writes: a temporary file beside the target, then a rename, so a crash never
//! leaves half a report. One implementation, the report crate's; this adds the binary's error
//! context.

use std::path::Path;

pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    gonogo_report::cli::write_atomic(path, bytes)?;
    Ok(())
}
