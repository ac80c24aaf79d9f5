//! `gonogo k8s job`: a load test split over N pods of a Kubernetes Indexed Job, each running
//! `gonogo load --segment $(JOB_COMPLETION_INDEX)/N --start-at T` and printing its evidence as
//! its last log line; then the step that collects the N records and judges them as one
//! (docs/distributed.md).
//!
//! The manifest is printed as JSON, which is YAML (1.2) that `kubectl apply -f` reads: no YAML
//! library (serde_yaml is unmaintained), and nothing to escape by hand.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use gonogo_load::cli::{LoadArgs, UsageError};

use crate::exit::Exit;

/// Distributed load on Kubernetes.
#[derive(Debug, Args)]
pub struct K8sArgs {
    #[command(subcommand)]
    pub command: K8sCommand,
}

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// Print an Indexed Job that runs a load test as N segments at once, and the step that
    /// collects and judges them.
    #[command(after_long_help = "\
Example (the load flags after `--` are `gonogo load`'s):
  gonogo k8s job --segments 4 --image registry.example/gonogo:0.1 -- \\
      http://shop.shop.svc:8080/ --allow-host shop.shop.svc --rate 4000 --duration 5m > job.json
  kubectl apply -f job.json
  (then the collect-and-judge commands printed on stderr)")]
    Job(JobArgs),
}

#[derive(Debug, Args)]
pub struct JobArgs {
    /// How many segments (pods, all at once): 1 to 1024.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub segments: u64,

    /// The container image with `gonogo` on its PATH (see the Dockerfile in examples/).
    #[arg(long)]
    pub image: String,

    /// The Job's name (default: `gonogo-load-` and the test id).
    #[arg(long)]
    pub name: Option<String>,

    /// The namespace to put the Job in (default: kubectl's).
    #[arg(long)]
    pub namespace: Option<String>,

    /// When the segments start, as a delay from now (time to apply the manifest and pull the
    /// image): the pods get a fixed `--start-at`.
    #[arg(long, default_value = "2m", value_name = "DURATION")]
    pub start_in: String,

    /// When the segments start (RFC 3339); overrides --start-in.
    #[arg(long, value_name = "RFC3339")]
    pub start_at: Option<jiff::Timestamp>,

    /// The test id the segments share (default: derived from the load flags and the start).
    #[arg(long)]
    pub test_id: Option<String>,

    /// `gonogo load` flags (after `--`): the URL, --rate or --stage, --duration, --allow-host...
    #[arg(last = true, required = true, value_name = "LOAD FLAGS")]
    pub load: Vec<String>,
}

#[derive(Parser)]
struct LoadCommand {
    #[command(flatten)]
    args: LoadArgs,
}

/// Flags the Job sets itself for every pod.
const SET_BY_THE_JOB: [&str; 8] = [
    "--segment",
    "--start-at",
    "--test-id",
    "--evidence-dir",
    "--no-evidence",
    "--json",
    "--urls",
    "--body-file",
];

pub fn run(args: K8sArgs) -> anyhow::Result<ExitCode> {
    let K8sCommand::Job(args) = args.command;
    let (manifest, collect) = job(&args, jiff::Timestamp::now())?;
    let text = serde_json::to_string_pretty(&manifest).context("serialising the manifest")?;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(error).context("cannot write to stdout");
        }
    }
    eprintln!("{collect}");
    Ok(Exit::Go.into())
}

fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(message))
}

/// The Job manifest and the collect-and-judge commands, for a start `now` + --start-in.
pub fn job(args: &JobArgs, now: jiff::Timestamp) -> anyhow::Result<(serde_json::Value, String)> {
    for flag in &args.load {
        let name = flag.split('=').next().unwrap_or(flag);
        if SET_BY_THE_JOB.contains(&name) {
            return Err(usage(format!(
                "`{name}` cannot be given to the pods: the Job sets --segment, --start-at, --test-id and prints the evidence; a file (--urls, --body-file) is not in the pod"
            )));
        }
    }
    let mut argv = vec!["load".to_owned()];
    argv.extend(args.load.iter().cloned());
    let mut load = LoadCommand::try_parse_from(&argv)
        .map_err(|e| usage(format!("the load flags: {}", e.kind())))?
        .args;
    let url = load
        .url
        .clone()
        .ok_or_else(|| usage("give the URL to load".into()))?;
    let target = gonogo_load::target::Target::parse(&url).map_err(|e| usage(e.to_string()))?;
    target.check_allowed(&load.allow_host).map_err(|e| {
        usage(format!(
            "{e} (the pods load it from inside the cluster: add --allow-host to the load flags)"
        ))
    })?;
    let start_at = match args.start_at {
        Some(at) => at,
        None => {
            let delay = gonogo_core::duration::parse(&args.start_in)
                .map_err(|e| usage(format!("--start-in: {e}")))?;
            if delay > gonogo_load::cli::START_AT_MAX_AHEAD {
                return Err(usage("--start-in: at most 1h".into()));
            }
            // Whole seconds: the instant is printed and pasted.
            let at = now + jiff::SignedDuration::from_secs(delay.as_secs() as i64 + 1);
            at.round(jiff::Unit::Second).unwrap_or(at)
        }
    };
    load.segment = Some(gonogo_load::schedule::Share {
        index: 0,
        count: args.segments,
    });
    load.start_at = Some(start_at);
    load.test_id = args.test_id.clone();
    let test_id = gonogo_load::cli::test_id(&load)?.expect("a segment has a test id");
    let name = match &args.name {
        Some(name) => name.clone(),
        None => dns_label(&format!("gonogo-load-{test_id}")),
    };
    if name.is_empty()
        || name.len() > 63
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(usage(format!(
            "--name `{name}` is not a Kubernetes name: lower-case letters, digits and `-`, at most 63"
        )));
    }
    // How long the Job may take: the wait, the run, its timeout, and a margin.
    let run_seconds = planned_seconds(&load)?;
    let wait = (start_at.as_second() - now.as_second()).max(0) as u64;
    let deadline = wait + run_seconds + 60 + 120;

    let mut pod_args: Vec<String> = vec!["load".into()];
    pod_args.extend(args.load.iter().cloned());
    pod_args.extend([
        "--segment".into(),
        format!("$(JOB_COMPLETION_INDEX)/{}", args.segments),
        "--start-at".into(),
        start_at.to_string(),
        "--test-id".into(),
        test_id.clone(),
        "--quiet".into(),
        "--evidence-dir".into(),
        "-".into(),
    ]);
    let mut metadata = serde_json::json!({
        "name": name,
        "labels": {
            "app.kubernetes.io/name": "gonogo",
            "app.kubernetes.io/component": "load",
            "gonogo.dev/test-id": test_id,
        },
    });
    if let Some(namespace) = &args.namespace {
        metadata["namespace"] = namespace.clone().into();
    }
    let manifest = serde_json::json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "completionMode": "Indexed",
            "completions": args.segments,
            "parallelism": args.segments,
            // A segment retried after the start would run off the schedule: no retries.
            "backoffLimit": 0,
            "activeDeadlineSeconds": deadline,
            // The evidence is in the pods' logs: keep them a day.
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {
                    "labels": {
                        "app.kubernetes.io/name": "gonogo",
                        "app.kubernetes.io/component": "load",
                        "gonogo.dev/test-id": test_id,
                    }
                },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "load",
                        "image": args.image,
                        "command": ["gonogo"],
                        "args": pod_args,
                        "env": [{
                            "name": "JOB_COMPLETION_INDEX",
                            "valueFrom": {
                                "fieldRef": {
                                    "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
                                }
                            }
                        }],
                        "resources": {
                            "requests": {"cpu": "1", "memory": "256Mi"},
                            "limits": {"memory": "1Gi"}
                        },
                        "securityContext": {
                            "runAsNonRoot": true,
                            "runAsUser": 65532,
                            "allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "capabilities": {"drop": ["ALL"]}
                        }
                    }]
                }
            }
        }
    });
    let ns = args
        .namespace
        .as_ref()
        .map(|n| format!(" -n {n}"))
        .unwrap_or_default();
    let last = args.segments - 1;
    let collect = format!(
        "# The segments start at {start_at}: apply before then.\n\
         kubectl{ns} apply -f job.json\n\
         kubectl{ns} wait --for=condition=complete job/{name} --timeout={deadline}s\n\
         # Collect each segment's evidence (its pod's last log line) and judge them as one:\n\
         mkdir -p evidence && for i in $(seq 0 {last}); do\n\
         \x20 kubectl{ns} logs -l job-name={name},batch.kubernetes.io/job-completion-index=$i --tail=1 > evidence/segment-$i.json\n\
         done\n\
         gonogo gate --evidence-dir evidence"
    );
    Ok((manifest, collect))
}

/// Lower case, `-` for anything else, at most 63 characters, no `-` at either end.
fn dns_label(text: &str) -> String {
    let label: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    label.trim_matches('-').to_owned()
}

/// How long the load runs, in whole seconds (rounded up): --duration, else the stages' sum,
/// else the engine's default of 10 s.
fn planned_seconds(load: &LoadArgs) -> anyhow::Result<u64> {
    let parse = |text: &str| {
        gonogo_core::duration::parse(text).map_err(|e| usage(format!("the load flags: {e}")))
    };
    let mut staged = Duration::ZERO;
    for stage in &load.stage {
        let (duration, _) = stage.split_once(':').unwrap_or((stage, ""));
        staged += parse(duration)?;
    }
    let planned = match &load.duration {
        Some(duration) => parse(duration)?,
        None if !staged.is_zero() => staged,
        None => Duration::from_secs(10),
    };
    Ok(planned.as_secs() + u64::from(planned.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_dns_labels() {
        assert_eq!(
            dns_label("gonogo-load-Shop_API-abc"),
            "gonogo-load-shop-api-abc"
        );
        assert_eq!(dns_label(&"x".repeat(80)).len(), 63);
    }
}
