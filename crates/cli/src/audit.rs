//! `gonogo audit REPORT.md`: a hand-written readiness report checked against itself and, with
//! `--evidence`/`--run`, against evidence (crates/audit). Reading the report, the policy's
//! `[audit.map]` and the exit codes live here; the evidence folder is read through the store
//! (`store::Folder`, as `gate` and `run` read theirs); the audit itself is pure.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use gonogo_audit::evidence::{MapEntry, Options};

use crate::exit::{Exit, Failure};
use crate::gate;
use crate::store::Folder;

/// The largest report read (a report is prose; anything larger is refused, not truncated).
const MAX_REPORT_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Plain text for a terminal or a CI log.
    Text,
    /// Markdown for a pull-request comment.
    Md,
    /// One self-contained HTML page.
    Html,
    /// JSON (version 1).
    Json,
}

/// Check a hand-written readiness report (Markdown, Chinese or English) against itself and
/// against evidence: its claims, and the contradictions, unsupported claims and thin statistics
/// in it, each with its line and the rule that found it (docs/audit.md).
///
/// Exit codes: 0 no claim contradicted or unsupported, 1 otherwise, 2 the command line or the
/// policy is wrong, 3 the report or the evidence could not be read.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The report, a Markdown file.
    #[arg(value_name = "REPORT")]
    report: PathBuf,
    /// Check measurable claims against the evidence records in this folder.
    #[arg(long, value_name = "DIR", conflicts_with = "run")]
    evidence: Option<PathBuf>,
    /// Check measurable claims against the evidence of a `gonogo run` output folder.
    #[arg(long, value_name = "RUN")]
    run: Option<PathBuf>,
    /// A policy whose `[audit.map]` maps phrases of claims to metrics (`"p95" = "load.*.latency"`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Evidence older than this is stale: a number of days (d) or hours (h).
    #[arg(long, value_name = "AGE", default_value = "30d", value_parser = parse_age)]
    max_age: jiff::SignedDuration,
    /// Print JSON (same as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// The output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

fn parse_age(text: &str) -> Result<jiff::SignedDuration, String> {
    let text = text.trim();
    let (number, hours) = if let Some(n) = text.strip_suffix('d') {
        (n, 24)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 1)
    } else {
        return Err(format!(
            "{text:?}: write a number of days or hours, like 30d or 12h"
        ));
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?}: write a number of days or hours, like 30d or 12h"))?;
    if !(0..=36_500).contains(&n) {
        return Err(format!("{text:?}: out of range"));
    }
    Ok(jiff::SignedDuration::from_hours(n * hours))
}

/// The report's text; errors name the file (and the line of invalid UTF-8).
fn read_report(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the report {}", path.display()))?;
    if meta.len() > MAX_REPORT_BYTES {
        return Err(anyhow!(
            "the report {} is {} bytes, more than the {} a report may be",
            path.display(),
            meta.len(),
            MAX_REPORT_BYTES
        ));
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the report {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        anyhow!(
            "the report {} is not UTF-8 text (line {line}, byte {at})",
            path.display()
        )
    })
}

/// `[audit.map]` of the policy: phrase = "metric" (or a list of metrics).
fn audit_map(text: &str, path: &Path) -> anyhow::Result<Vec<MapEntry>> {
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("cannot parse the policy {}", path.display()))?;
    let Some(audit) = table.get("audit") else {
        return Ok(Vec::new());
    };
    let map = match audit.get("map") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Table(map)) => map,
        Some(_) => {
            return Err(anyhow!(
                "{}: [audit] map must be a table of phrase = \"metric\"",
                path.display()
            ));
        }
    };
    let mut entries = Vec::new();
    for (phrase, metric) in map {
        let metrics: Vec<&str> = match metric {
            toml::Value::String(m) => vec![m.as_str()],
            toml::Value::Array(list) => list.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        if metrics.is_empty() || metrics.iter().any(|m| m.is_empty()) {
            return Err(anyhow!(
                "{}: [audit.map] {phrase:?} must name a metric (\"load.*.latency\") or a list of them",
                path.display()
            ));
        }
        for m in metrics {
            entries.push(MapEntry {
                phrase: phrase.to_lowercase(),
                metric: m.to_string(),
            });
        }
    }
    Ok(entries)
}

pub fn run(args: AuditArgs, color: bool) -> Result<Exit, Failure> {
    let text = read_report(&args.report).map_err(Failure::evidence)?;
    let map = match &args.policy {
        Some(path) => {
            let loaded = gate::load_policy(path, None, color)?;
            audit_map(&loaded.text, path).map_err(Failure::usage)?
        }
        None => Vec::new(),
    };
    let mut audit = gonogo_audit::audit(&text);
    let folder = match (&args.evidence, &args.run) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(run)) => Some(run.join("evidence")),
        (None, None) => None,
    };
    if let Some(dir) = folder {
        // Read through the binary's one store, as `gate` and `run` read theirs.
        let store = Folder::new(&dir);
        if !store.exists() {
            return Err(Failure::usage(anyhow!(
                "the evidence folder {} does not exist",
                dir.display()
            )));
        }
        let now = jiff::Timestamp::now();
        let records: Vec<(String, gonogo_core::evidence::Evidence)> = store
            .named_evidence(now)?
            .into_iter()
            .map(|(path, record)| (path.display().to_string(), record))
            .collect();
        let options = Options {
            now,
            max_age: args.max_age,
            map,
        };
        gonogo_audit::evidence::check(&mut audit, &records, &options);
    }
    let name = args.report.display().to_string();
    let format = if args.json { Format::Json } else { args.format };
    let out = match format {
        Format::Text => gonogo_audit::render::terminal(&audit, &name),
        Format::Md => gonogo_audit::render::markdown(&audit, &name),
        Format::Html => gonogo_audit::render::html(&audit, &name),
        Format::Json => gonogo_audit::render::json(&audit) + "\n",
    };
    gate::ignore_broken_pipe(std::io::stdout().write_all(out.as_bytes()))?;
    Ok(if audit.passed() { Exit::Go } else { Exit::NoGo })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_maps_parse_or_say_why() {
        assert_eq!(
            parse_age("2d").unwrap(),
            jiff::SignedDuration::from_hours(48)
        );
        assert!(parse_age("2 weeks").unwrap_err().contains("30d"));
        let map = audit_map(
            "[audit.map]\n\"p95\" = \"load.*.latency\"\n\"uptime\" = [\"probe.*.availability\"]\n",
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map[0].phrase, "p95");
        let wrong = audit_map("[audit.map]\nx = 3\n", Path::new("p.toml")).unwrap_err();
        assert!(wrong.to_string().contains("p.toml"));
    }
}
