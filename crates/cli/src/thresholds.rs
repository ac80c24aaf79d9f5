//! `gonogo load --threshold 'p(95)<500ms'`: gates judged right after a load run, with the
//! core's statistics, like k6's thresholds but honest about sample size.
//!
//! Each threshold becomes a gate over the run's evidence: percentile, `med`, `mean`, `min`,
//! `max` and `count` read the latency distribution (`load.NAME.latency`); `rate` and `total`
//! read the error ratio (`load.NAME.errors`). The run fails (exit 1) when any threshold is not
//! a pass: a failed one, or an inconclusive one (too few requests to tell).

use std::process::ExitCode;

use gonogo_core::eval::evaluate;
use gonogo_core::expect::{Aggregate, Expectation};
use gonogo_core::policy::Policy;
use gonogo_core::verdict::GateStatus;

use crate::exit::Exit;

/// `gonogo load` with `--threshold`.
#[derive(Debug, clap::Args)]
pub struct LoadWithThresholds {
    #[command(flatten)]
    pub load: gonogo_load::cli::LoadArgs,

    /// A gate judged on this run right away, e.g. 'p(95)<500ms' or 'rate<0.5%' (repeatable).
    /// Latency aggregates (p(N), med, mean, min, max, count) read the latency histogram; rate
    /// and total read the error ratio. Exit code 1 when one is not a pass, inconclusive
    /// included: too few requests cannot prove a percentile.
    #[arg(long = "threshold", value_name = "EXPECTATION")]
    pub thresholds: Vec<String>,
}

/// A wrong threshold is a command-line error (exit code 2).
fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(gonogo_load::cli::UsageError(message))
}

/// The policy text for thresholds on scenario `name`; errors name the bad threshold.
pub fn threshold_policy(name: &str, thresholds: &[String]) -> anyhow::Result<Policy> {
    let mut text = String::new();
    for threshold in thresholds {
        let expectation: Expectation =
            threshold
                .parse()
                .map_err(|e: gonogo_core::expect::ExpectError| {
                    usage(format!("--threshold '{threshold}': {e}"))
                })?;
        let metric = match expectation.aggregate {
            Aggregate::Rate | Aggregate::Total => "errors",
            _ => "latency",
        };
        let area = if metric == "errors" {
            "reliability"
        } else {
            "performance"
        };
        text.push_str(&format!(
            "[[gate]]\nname = {threshold:?}\narea = \"{area}\"\nmetric = \"load.{name}.{metric}\"\nexpect = {:?}\n",
            expectation.to_string()
        ));
    }
    let policy = Policy::parse(&text, None, gonogo_catalog::CATALOG).map_err(|problems| {
        usage(
            problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let problems = policy.check_metrics(&Default::default());
    if let Some(problem) = problems.first() {
        return Err(usage(format!("--threshold: {}", problem.message)));
    }
    Ok(policy)
}

/// Runs the load, then its thresholds on the run's own evidence.
pub fn run(args: LoadWithThresholds) -> anyhow::Result<ExitCode> {
    if args.thresholds.is_empty() {
        return gonogo_load::cli::run(args.load);
    }
    // Check the thresholds before sending any traffic.
    let mut policy = threshold_policy(&args.load.name, &args.thresholds)?;
    let outcome = gonogo_load::cli::execute(&args.load)?;
    // The thresholds speak of the service this run loaded, and only of it.
    policy.origins.insert(gonogo_core::policy::origin(
        outcome.evidence.source.as_str(),
    ));
    let verdict = evaluate(&policy, &[outcome.evidence], jiff::Timestamp::now(), None);
    eprintln!("\nthresholds");
    for gate in &verdict.gates {
        let mark = if gate.status == GateStatus::Pass {
            "✓"
        } else {
            "✗"
        };
        eprintln!(
            "  {mark} {:<12} {}  {}",
            gate.status.as_str(),
            gonogo_core::text::Inert(&gate.name),
            gonogo_core::text::Inert(&gate.why)
        );
        if let Some(settle) = &gate.settle {
            eprintln!(
                "                 to settle: {}",
                gonogo_core::text::inert(&settle.to_string())
            );
        }
    }
    let all_pass = verdict.gates.iter().all(|g| g.status == GateStatus::Pass);
    Ok(if all_pass {
        outcome.exit_code
    } else {
        Exit::NoGo.into()
    })
}

#[cfg(test)]
mod tests {
    use super::threshold_policy;

    #[test]
    fn thresholds_pick_the_metric_by_aggregate() {
        let policy = threshold_policy("api", &["p(95)<500ms".into(), "rate<0.5%".into()]).unwrap();
        assert_eq!(policy.gates[0].metric, "load.api.latency");
        assert_eq!(policy.gates[1].metric, "load.api.errors");
        let error = threshold_policy("api", &["p(95)<5%".into()])
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not fit"), "{error}");
        let error = threshold_policy("api", &["p95<1s".into()])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--threshold 'p95<1s'"), "{error}");
    }
}
