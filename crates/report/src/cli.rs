//! `gonogo report`: re-render a saved `verdict.json` as Markdown, HTML, JSON or JUnit XML, and
//! [`render_all`], which `gonogo run` and `gonogo demo` call to write every format at once.
//!
//! This is the only module of the crate that touches the outside world: it reads the verdict
//! and the evidence folder, writes files atomically (a temporary file in the target's folder,
//! then a rename, so a crash never leaves half a report), appends the Markdown to
//! `GITHUB_STEP_SUMMARY` and prints `::error`/`::warning` workflow commands when
//! `GITHUB_ACTIONS=true`. The renderers themselves are pure functions.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use gonogo_core::catalog::Catalog;
use gonogo_core::verdict::Verdict;

use crate::RenderContext;
use crate::common::EvidenceMap;
use crate::i18n::Lang;
use crate::json::parse_verdict;
use crate::{html, json, junit, markdown};

/// Exit codes of `gonogo report`.
pub const EXIT_OK: u8 = 0;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_INPUT: u8 = 3;

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

Exit codes: 0 the report was written, 2 bad command line, 3 the verdict could not be read.")]
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

/// Runs `gonogo report`.
pub fn run(args: ReportArgs, catalog: Catalog) -> anyhow::Result<ExitCode> {
    let text = match std::fs::read_to_string(&args.verdict) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "error: cannot read the verdict {}: {error}\nhint: `gonogo gate` writes gonogo-report/verdict.json",
                args.verdict.display()
            );
            return Ok(ExitCode::from(EXIT_INPUT));
        }
    };
    let (verdict, doc) = match parse_verdict(&text) {
        Ok(read) => read,
        Err(error) => {
            eprintln!(
                "error: {} is not a gonogo verdict: {error}",
                args.verdict.display()
            );
            return Ok(ExitCode::from(EXIT_INPUT));
        }
    };
    // Every format lists the findings behind a count from the evidence; verdict.json keeps
    // what the saved document listed when the evidence is not at hand, so it says nothing.
    let (evidence, warnings) = load_evidence(&args.evidence_dir, catalog);
    if args.format != Format::Json {
        for warning in warnings {
            eprintln!("warning: {warning}");
        }
    }
    let cx = RenderContext::from_document(&doc, &evidence, args.lang);
    let rendered = render(&verdict, &cx, args.format);

    match &args.out {
        Some(path) if path.as_os_str() != "-" => {
            write_atomic(path, rendered.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush())
            {
                if error.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(error).context("writing to stdout");
                }
            }
        }
    }

    if args.format == Format::Md {
        github_actions(
            &verdict,
            &cx,
            &rendered,
            |name| std::env::var_os(name),
            &mut std::io::stderr().lock(),
        )?;
    }
    Ok(ExitCode::from(EXIT_OK))
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

/// Reads every `*.json`/`*.jsonl` evidence file below a folder (recursively, in name order,
/// as `gonogo gate` does) into a map by SHA-256. Problems are returned as warnings, not
/// errors: a report without a chart is still a report. Records are read against `catalog`.
pub fn load_evidence(dir: &Path, catalog: Catalog) -> (EvidenceMap, Vec<String>) {
    let mut map = EvidenceMap::new();
    let mut warnings = Vec::new();
    if !dir.is_dir() {
        warnings.push(format!(
            "no charts from evidence: {} is not a folder",
            dir.display()
        ));
        return (map, warnings);
    }
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) => {
                warnings.push(format!("skipped {}: {error}", folder.display()));
                continue;
            }
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "json" || ext == "jsonl")
            {
                paths.push(path);
            }
        }
    }
    paths.sort();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                warnings.push(format!("skipped {}: {error}", path.display()));
                continue;
            }
        };
        match gonogo_core::wire::parse_records(&text, catalog) {
            Ok(records) => {
                for record in records {
                    map.insert(record.sha256.clone(), record);
                }
            }
            Err(error) => warnings.push(format!("skipped {}: {error}", path.display())),
        }
    }
    (map, warnings)
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

    #[test]
    fn evidence_is_read_below_the_folder_and_bad_files_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("load/run-1");
        std::fs::create_dir_all(&nested).unwrap();
        let record = gonogo_core::evidence::Evidence::new(
            "load",
            gonogo_core::evidence::Source::Url("http://127.0.0.1:1/".into()),
            gonogo_core::evidence::sha256_hex(b"x"),
            "2026-11-25T09:00:00Z".parse().unwrap(),
            gonogo_core::evidence::Tool::new("gonogo", "0"),
        );
        std::fs::write(
            nested.join("a.json"),
            gonogo_core::wire::to_json_pretty(&record),
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let (map, warnings) = load_evidence(dir.path(), gonogo_catalog::CATALOG);
        assert_eq!(map.len(), 1);
        assert!(map.contains_key(&record.sha256));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("broken.json"), "{warnings:?}");
    }

    #[test]
    fn a_missing_evidence_folder_is_a_warning() {
        let (map, warnings) = load_evidence(
            Path::new("/nonexistent/gonogo-evidence"),
            gonogo_catalog::CATALOG,
        );
        assert!(map.is_empty());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }
}
