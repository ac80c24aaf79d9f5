//! The `gonogo observe`, `gonogo probe` and `gonogo prometheus` subcommands: clap argument
//! structs and a `run` function each, for the `gonogo` binary to dispatch to.
//!
//! Exit codes (shared with the binary): 0 ok, 1 a check failed, 2 bad command line, 3 the
//! input or evidence could not be read (an exposition that does not parse, a target that cannot
//! be reached). stdout carries data (`--json`: the evidence records, one per line); stderr
//! carries messages for people.

pub mod observe;
pub mod probe;
pub mod prometheus;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gonogo_core::evidence::Evidence;
use gonogo_core::wire::{suggested_file_name, to_json_line, to_json_pretty};

/// Exit codes.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREADABLE: u8 = 3;

/// Options every subcommand here shares.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Folder the evidence records are written to, one file per record.
    #[arg(long, value_name = "DIR", default_value = ".gonogo/evidence")]
    pub evidence_dir: PathBuf,
    /// Do not write evidence files (print only).
    #[arg(long)]
    pub no_evidence: bool,
    /// Print the evidence records as JSON lines on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// Writes `records` into the evidence folder (unless disabled) and prints them with `--json`.
pub(crate) fn emit(output: &OutputArgs, records: &[Evidence]) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if !output.no_evidence && !records.is_empty() {
        std::fs::create_dir_all(&output.evidence_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", output.evidence_dir.display()))?;
        for record in records {
            let path = output.evidence_dir.join(suggested_file_name(record));
            write_file(&path, &to_json_pretty(record))?;
            written.push(path);
        }
    }
    if output.json {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        for record in records {
            if writeln!(stdout, "{}", to_json_line(record)).is_err() {
                break; // a closed pipe is not an error
            }
        }
    }
    Ok(written)
}

/// `--timeout`-like flags written as a duration (`500ms`, `5s`): 1 ms to 1 hour, checked by
/// clap before anything runs (also for policy sections passed as flags).
pub(crate) fn flag_timeout(text: &str) -> Result<String, String> {
    flag_timeout_duration(text).map(|_| text.to_owned())
}

fn flag_timeout_duration(text: &str) -> Result<std::time::Duration, String> {
    use gonogo_core::limits;
    let duration = gonogo_core::duration::parse(text).map_err(|error| error.to_string())?;
    limits::duration_in(duration, limits::MIN_TIMEOUT, limits::MAX_TIMEOUT, text)
}

/// A duration flag that is checked later against its own bounds (watch windows, intervals):
/// here only that it is a duration at all, without overflow.
pub(crate) fn flag_duration(text: &str) -> Result<String, String> {
    gonogo_core::duration::parse(text)
        .map(|_| text.to_owned())
        .map_err(|error| error.to_string())
}

/// `--timeout` flags of observe and prometheus, as a duration (`10s`, `2.5s`, `500ms`): 1 ms
/// to 1 hour, in seconds. A bare number is refused with a hint, like every duration.
pub(crate) fn flag_timeout_seconds(text: &str) -> Result<f64, String> {
    flag_timeout_duration(text).map(|d| d.as_secs_f64())
}

fn write_file(path: &Path, content: &str) -> anyhow::Result<()> {
    gonogo_io::atomic::write_atomic(path, content.as_bytes())?;
    Ok(())
}

/// Whether stderr may use colour: a terminal and no non-empty `NO_COLOR`.
pub(crate) fn colour() -> bool {
    use std::io::IsTerminal as _;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

pub(crate) fn paint(text: &str, code: &str) -> String {
    if colour() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

pub(crate) fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}
