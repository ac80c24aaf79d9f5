//! `gonogo report`'s flags ([`ReportArgs`]), one format of a verdict ([`render`]) and
//! [`render_all`], which `gonogo gate`, `run` and `demo` call to write every format at once.
//!
//! This is the only module of the crate that touches the outside world, and only to write:
//! files atomically (a temporary file in the target's folder, then a rename, so a crash never
//! leaves half a report), the Markdown appended to `GITHUB_STEP_SUMMARY`, and `::error` /
//! `::warning` workflow commands when `GITHUB_ACTIONS=true`. Reading a saved verdict and its
//! evidence is the binary's folder store (`crates/cli/src/store.rs`), like every other read
//! of evidence. The renderers themselves are pure functions.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gonogo_core::verdict::Verdict;

use crate::RenderContext;
use crate::i18n::Lang;
use crate::{html, json, junit, markdown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown for a pull-request comment or the GitHub step summary.
    Md,
    /// One self-contained HTML page with charts (no network request when opened).
    Html,
    /// verdict.json version 1 (schema: `gonogo schema verdict`).
    Json,
    /// JUnit XML: every gate a test case.
    Junit,
}

/// Re-render a saved verdict.json as Markdown, HTML, JSON or JUnit XML.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  gonogo report gonogo-report/verdict.json                        # Markdown on stdout
  gonogo report verdict.json --format html -o report.html --evidence-dir .gonogo/evidence
  gonogo report verdict.json --format junit -o junit.xml
  gonogo report verdict.json --lang zh-CN -o report.zh-CN.md

In GitHub Actions (GITHUB_ACTIONS=true) the Markdown format also prints ::error (blockers)
and ::warning (warnings) annotations on stderr, with the file and line of a failing test or
SARIF finding when the evidence has them; when GITHUB_STEP_SUMMARY is set the Markdown is
appended to it as well.

Files are written atomically: a temporary file beside the target, then a rename.

Exit codes: 0 the report was written, 2 bad command line, 3 the verdict could not be read,
4 the report (or the step summary) could not be written.")]
pub struct ReportArgs {
    /// The saved verdict (verdict.json version 1, as `gonogo gate` writes it).
    #[arg(value_name = "VERDICT")]
    pub verdict: PathBuf,

    /// The output format: md, html, json or junit.
    #[arg(long, short, value_enum, default_value = "md")]
    pub format: Format,

    /// Write to this file instead of stdout (atomically).
    #[arg(long = "out", short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// The language of the fixed text: en or zh-CN. Names and data are never translated.
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub lang: Lang,

    /// Evidence folder the charts are drawn from; records are matched by SHA-256.
    #[arg(long, default_value = ".gonogo/evidence", value_name = "DIR")]
    pub evidence_dir: PathBuf,
}

/// The GitHub Actions side effects of the Markdown format: append to `GITHUB_STEP_SUMMARY`
/// when it is set, and write `::error`/`::warning` commands to `annotations_out` (stderr, as
/// stdout carries the report) when `GITHUB_ACTIONS=true`. The environment is passed in.
pub fn github_actions(
    verdict: &Verdict,
    cx: &RenderContext<'_>,
    markdown_text: &str,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    annotations_out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        append_step_summary(Path::new(&path), markdown_text)?;
    }
    if env("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for annotation in markdown::annotations(verdict, cx) {
            writeln!(annotations_out, "{}", annotation.to_command())
                .context("writing the annotations")?;
        }
    }
    Ok(())
}

/// Appends the Markdown to the step summary file (GitHub creates it; appending is its contract).
/// A summary that cannot be written is an output not written: its error is a [`WriteError`].
pub fn append_step_summary(path: &Path, markdown_text: &str) -> anyhow::Result<()> {
    let unwritten = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(unwritten)
        .with_context(|| format!("cannot open the step summary {}", path.display()))?;
    file.write_all(markdown_text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(unwritten)
        .with_context(|| format!("cannot write the step summary {}", path.display()))?;
    Ok(())
}

/// One format of a verdict.
pub fn render(verdict: &Verdict, cx: &RenderContext<'_>, format: Format) -> String {
    let render = match format {
        Format::Md => markdown::render,
        Format::Html => html::render,
        Format::Json => json::render,
        Format::Junit => junit::render,
    };
    render(verdict, cx)
}

/// The files [`render_all`] writes.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub markdown: PathBuf,
    pub html: PathBuf,
    pub json: PathBuf,
    pub junit: PathBuf,
}

/// A report file that could not be written (the one error type of every gonogo writer).
pub use gonogo_io::atomic::WriteError;

/// Writes `report.md`, `report.html`, `verdict.json` and `junit.xml` into `out_dir` (created if
/// needed), each atomically.
pub fn render_all(
    verdict: &Verdict,
    cx: &RenderContext<'_>,
    out_dir: &Path,
) -> Result<Rendered, WriteError> {
    let files = Rendered {
        markdown: out_dir.join("report.md"),
        html: out_dir.join("report.html"),
        json: out_dir.join("verdict.json"),
        junit: out_dir.join("junit.xml"),
    };
    for (path, format) in [
        (&files.json, Format::Json),
        (&files.markdown, Format::Md),
        (&files.junit, Format::Junit),
        (&files.html, Format::Html),
    ] {
        let text = render(verdict, cx, format);
        write_atomic(path, text.as_bytes())?;
    }
    Ok(files)
}

/// Writes a file atomically: a `.gonogo-tmp-*` file in the same folder, flushed, then
/// renamed (the one writer every crate uses, `gonogo_io::atomic`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    gonogo_io::atomic::write_atomic(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/report.md");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.md")]);
    }
}
