//! What `gonogo run` does about other runs and about signals: it locks its output folder
//! (a second run on the same folder refuses at once, naming the holder's pid, or waits with
//! `--wait`), and SIGINT/SIGTERM stop the running `[[command]]`'s whole process group, skip
//! the steps not started yet, write the evidence and reports of what was measured, and end
//! with 130/143. The mechanisms are `gonogo_io::lock` and `gonogo_io::signals`.

use std::path::Path;

use anyhow::Context as _;

use crate::exit::{Exit, Failure};

/// Locks `out` for this run (exit 4 when another run holds it and `wait` is off).
pub fn lock_output(out: &Path, wait: bool) -> Result<gonogo_io::lock::FolderLock, Failure> {
    gonogo_io::lock::lock_folder(out, wait).map_err(|e| Failure::from(anyhow::Error::new(e)))
}

/// Turns SIGINT/SIGTERM into a stop request for the rest of this process.
pub fn install() -> Result<(), Failure> {
    gonogo_io::signals::install_stop_handlers()
        .context("cannot install the SIGINT/SIGTERM handlers")
        .map_err(Failure::from)
}

/// Whether a stop was requested: steps not started yet are skipped.
pub fn stopping() -> bool {
    let stop = gonogo_io::signals::stop_requested();
    if let Some(signal) = stop {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            eprintln!(
                "  interrupted ({}): skipping the remaining steps; judging what was measured",
                if signal == gonogo_io::signals::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                }
            );
        });
    }
    stop.is_some()
}

/// The exit code of a run that was stopped by a signal.
pub fn stopped_by() -> Option<Exit> {
    gonogo_io::signals::stop_requested().map(|signal| {
        if signal == gonogo_io::signals::SIGINT {
            Exit::Interrupted
        } else {
            Exit::Terminated
        }
    })
}
