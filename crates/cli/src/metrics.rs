//! `gonogo metrics`: the catalogue of metric names gates can use, with their shape, unit,
//! the evidence kind that carries them and the aggregates that suit them.
//!
//! Printed from the catalogue itself (`gonogo_catalog::CATALOG`, each engine's and
//! collector's rows), so the list a user reads is the list the policy checker suggests from: it
//! cannot drift.

use std::io::Write as _;

use gonogo_catalog::CATALOG;
use gonogo_core::catalog::KnownMetric;
use gonogo_core::evidence::Shape;
use gonogo_core::expect::Aggregate;

use crate::exit::{Exit, Failure};

/// List the metrics gates can use (the catalogue), with units and shapes.
///
/// A pattern's `*` is a name you choose (a load scenario, a probe, a command):
/// `load.*.latency` is `load.checkout.latency` for `[load.checkout]`.
///
/// Examples:
///   gonogo metrics                 # every metric, grouped by evidence kind
///   gonogo metrics load            # only names containing `load`
///   gonogo metrics --json          # for scripts and editors
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct MetricsArgs {
    /// Show only metrics whose name or evidence kind contains this text.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// One JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: MetricsArgs) -> Result<Exit, Failure> {
    let filter = args.filter.as_deref().map(str::to_ascii_lowercase);
    let rows: Vec<&KnownMetric> = CATALOG
        .rows()
        .filter(|m| {
            filter
                .as_deref()
                .is_none_or(|f| m.pattern.contains(f) || m.kind.contains(f))
        })
        .collect();
    if rows.is_empty() && !args.json {
        eprintln!(
            "no metric matches `{}`; `gonogo metrics` lists them all",
            gonogo_core::text::inert(args.filter.as_deref().unwrap_or_default())
        );
        return Ok(Exit::Usage);
    }
    let text = if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|m| {
                serde_json::json!({
                    "metric": m.pattern,
                    "shape": m.shape.as_str(),
                    "unit": m.unit,
                    "kind": m.kind,
                    "about": m.about,
                    "aggregates": Aggregate::suggestions(m.shape),
                    "census": census(m),
                })
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&serde_json::json!({ "metrics": list }))
            .expect("a JSON value serialises");
        text.push('\n');
        text
    } else {
        table(&rows)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Failure::from(
                anyhow::Error::new(e).context("writing to stdout"),
            ));
        }
        _ => {}
    }
    Ok(if rows.is_empty() {
        Exit::Usage
    } else {
        Exit::Go
    })
}

/// Whether the metric counts a whole population (compared exactly, never sampled).
fn census(metric: &KnownMetric) -> bool {
    metric.shape == Shape::Ratio && metric.census
}

fn table(rows: &[&KnownMetric]) -> String {
    let width = rows.iter().map(|m| m.pattern.len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut kind = "";
    for metric in rows {
        if metric.kind != kind {
            kind = metric.kind;
            out.push_str(&format!("\n{kind}\n"));
        }
        let shape = match metric.shape {
            Shape::Distribution => "distribution",
            Shape::Ratio if census(metric) => "ratio (census)",
            Shape::Ratio => "ratio",
            Shape::Value => "value",
        };
        out.push_str(&format!(
            "  {:width$}  {:<14} {:<10} {}\n",
            metric.pattern, shape, metric.unit, metric.about
        ));
        out.push_str(&format!(
            "  {:width$}  aggregates: {}\n",
            "",
            Aggregate::suggestions(metric.shape)
        ));
    }
    out.push_str(
        "\nA `*` is a name you choose ([load.checkout] gives load.checkout.latency). \
         A census counts a whole population and is compared exactly.\n\
         Write a gate as: metric = \"load.checkout.latency\", expect = \"p(95) < 300ms\".\n",
    );
    out
}
