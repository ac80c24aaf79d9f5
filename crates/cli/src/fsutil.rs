//! Atomic file writes: a `.gonogo-tmp-*` file beside the target, then a rename, so a crash
//! never leaves half a file. One implementation for every crate, `gonogo_io::atomic`; its
//! `WriteError` ends the process with exit code 4 (see `exit.rs`).

use std::path::Path;

pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    gonogo_io::atomic::write_atomic(path, bytes)?;
    Ok(())
}
