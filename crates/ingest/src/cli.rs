//! `gonogo collect KIND PATH...`: the command line of the collectors.
//!
//! [`CollectArgs`] is the clap definition the `gonogo` binary mounts as its `collect`
//! subcommand; [`run`] does the work: expands each path (file, folder or glob), parses every
//! input into an evidence record, writes one file per record into the evidence folder (name
//! from `suggested_file_name`, content from `to_json_pretty`), prints a line per input on
//! stderr and, with `--json`, one JSON line per record on stdout.
//!
//! Exit codes: 0 every input became evidence; 2 bad command line (a bad glob); 3 at least
//! one input could not become evidence (unreadable, malformed, wrong kind, nothing matched,
//! or no evidence in it). Every input is tried and every problem reported, not only the first.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use gonogo_core::evidence::{Evidence, MetricValue};
use gonogo_core::wire;

use crate::{
    CollectOptions, IngestError, Kind, collect_coverage_merged, collect_each_with, expand_path,
};

/// Turn files that CI produced (test results, coverage, SARIF, audits, k6 summaries, load tools'
/// raw results) into evidence.
///
/// Each input file becomes one evidence record in the evidence folder, with its path as the
/// source and the SHA-256 of its bytes. An input that proves nothing (an empty file, a report
/// where no test ran, an audit that could not reach its database) is reported as an error, never
/// written as a record that could pass a gate.
///
/// Examples:
///
///   gonogo collect junit target/nextest/ci/junit.xml
///
///   gonogo collect junit 'build/test-results/**/TEST-*.xml'
///
///   gonogo collect coverage coverage.xml lcov.info
///
///   gonogo collect coverage --merge unit.lcov integration.lcov
///
///   gonogo collect auto reports/ --json
///
///   gonogo collect load k6.json results.jtl simulation.log   # raw load results, any tool
///
///   gonogo collect cargo-audit audit.json --policy gonogo.toml   # apply its [[ignore]] rules
///
/// Exit codes: 0 all inputs collected; 2 bad command line; 3 an input could not be read or
/// held no evidence.
#[derive(Debug, Clone, clap::Args)]
pub struct CollectArgs {
    /// What the inputs are. `coverage` accepts LCOV, Cobertura and JaCoCo; `auto` recognises
    /// every format from the file's content (not its name).
    #[arg(value_enum)]
    pub kind: Kind,

    /// Input files, folders (searched recursively for the kind's usual extensions: .xml for
    /// JUnit/Cobertura/JaCoCo, .info/.lcov for LCOV, .sarif/.json for SARIF, .json for audits
    /// and k6) or glob patterns (quote them: 'target/**/junit*.xml').
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Folder the evidence records are written to (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".gonogo/evidence")]
    pub evidence_dir: PathBuf,

    /// Also print each record as one JSON line on stdout (the evidence file format).
    #[arg(long)]
    pub json: bool,

    /// Do not write records to the evidence folder (use with --json).
    #[arg(long)]
    pub no_write: bool,

    /// Coverage only: merge every input into one record, as a union of hits per file (what
    /// `lcov -a` and `coverage combine` do), instead of one record per input.
    #[arg(long)]
    pub merge: bool,

    /// Dependency audits: apply this policy's `[[ignore]]` rules (an advisory, a reason, an
    /// owner, a last day). Ignored vulnerabilities are listed in the record with their rule,
    /// not counted; a rule past its last day ignores nothing. `gonogo gate` and `gonogo run`
    /// apply them to the policy's own `[[collect]]` entries by themselves.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// With --policy: the environment whose rules apply (rules with `env = "..."`).
    #[arg(long, value_name = "NAME", requires = "policy")]
    pub env: Option<String>,
}

/// Runs `gonogo collect` with no policy: no ignore rules.
pub fn run(args: CollectArgs) -> anyhow::Result<ExitCode> {
    run_with(args, &CollectOptions::default())
}

/// Runs `gonogo collect` with the options the caller read from `--policy`, writing each
/// record into `--evidence-dir` itself.
pub fn run_with(args: CollectArgs, options: &CollectOptions) -> anyhow::Result<ExitCode> {
    let dir = args.evidence_dir.clone();
    run_into(args, options, &mut |record| {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the evidence folder {}", dir.display()))?;
        let file = dir.join(wire::suggested_file_name(record));
        gonogo_io::atomic::write_atomic(&file, (wire::to_json_pretty(record) + "\n").as_bytes())?;
        Ok(())
    })
}

/// Runs `gonogo collect`, handing each record to `put` (the binary's evidence store, which
/// writes it into `--evidence-dir`) unless `--no-write`.
pub fn run_into(
    args: CollectArgs,
    options: &CollectOptions,
    put: &mut dyn FnMut(&Evidence) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut records: Vec<Evidence> = Vec::new();
    let mut errors: Vec<IngestError> = Vec::new();
    if args.merge {
        if !matches!(
            args.kind,
            Kind::Coverage | Kind::Lcov | Kind::Cobertura | Kind::Jacoco | Kind::Clover
        ) {
            eprintln!(
                "error: --merge applies to coverage inputs only (lcov, cobertura, jacoco, clover, coverage)"
            );
            return Ok(ExitCode::from(2));
        }
        let mut files = Vec::new();
        for path in &args.paths {
            match expand_path(args.kind, path) {
                Ok(found) => files.extend(found),
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            match collect_coverage_merged(&files) {
                Ok(record) => records.push(record),
                Err(error) => errors.push(error),
            }
        }
    } else {
        for path in &args.paths {
            let (found, failed) = collect_each_with(args.kind, path, options);
            records.extend(found);
            errors.extend(failed);
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for record in &records {
        if !args.no_write {
            put(record)?;
        }
        // File names, tool names (SARIF `tool.driver.name`) and metric names are the input's:
        // made inert for the console and CI logs (issue 15).
        let line = format!("collected {}: {}", record.source, describe(record));
        let _ = writeln!(err, "{}", gonogo_core::text::inert(&line));
        if args.json && writeln!(out, "{}", wire::to_json_line(record)).is_err() {
            // A closed stdout (`| head`) is not an error.
            break;
        }
    }
    for error in &errors {
        let line = format!("error[{}]: {error}", error.code());
        let _ = writeln!(err, "{}", gonogo_core::text::inert(&line));
    }
    let bad_pattern = errors
        .iter()
        .any(|e| matches!(e, IngestError::BadPattern { .. }));
    Ok(if bad_pattern {
        ExitCode::from(2)
    } else if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// A one-line summary of a record for people.
pub fn describe(record: &Evidence) -> String {
    let parts: Vec<String> = record
        .metrics
        .iter()
        .filter(|(name, _)| {
            !name.starts_with("k6.") || name.ends_with(".p95") || name.ends_with(".rate")
        })
        .take(8)
        .map(|(name, metric)| match &metric.value {
            MetricValue::Value(v) => format!("{name}={}", trim_float(*v)),
            MetricValue::Ratio(r) => format!("{name}={}/{}", r.k, r.n),
            MetricValue::Distribution(h) => format!("{name}=histogram({} samples)", h.len()),
        })
        .collect();
    format!("{} [{}] {}", record.kind, record.tool.name, parts.join(" "))
}

fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.3}")
    }
}
