//! `gonogo report --github` / `--gitlab`: post a saved verdict where reviewers look
//! (gonogo-publish does the HTTP). Posting never changes the exit code: the verdict's exit code
//! is `gate`'s or `run`'s; a posting failure is printed (and, in GitHub Actions, annotated as a
//! warning) and `report` still ends as it would have.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use gonogo_publish::http::Retry;
use gonogo_report::cli::ReportArgs;

use crate::exit::Exit;

/// `gonogo report` with the posting flags.
#[derive(Debug, clap::Args)]
pub struct ReportWithPosting {
    #[command(flatten)]
    pub report: ReportArgs,

    /// Instead of printing: create or update the pull request's gonogo comment and a `gonogo`
    /// check run (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_SHA,
    /// GITHUB_API_URL). A posting failure is printed; the exit code stays the report's.
    #[arg(long)]
    pub github: bool,

    /// Instead of printing: create or update the merge request's gonogo note (CI_API_V4_URL,
    /// CI_PROJECT_ID, CI_MERGE_REQUEST_IID, GITLAB_TOKEN or CI_JOB_TOKEN) and write
    /// gl-code-quality-report.json and junit.xml into --gitlab-dir.
    #[arg(long)]
    pub gitlab: bool,

    /// Where --gitlab writes its report files (default: the verdict's folder).
    #[arg(long, value_name = "DIR", requires = "gitlab")]
    pub gitlab_dir: Option<PathBuf>,
}

pub fn run(args: ReportWithPosting) -> anyhow::Result<ExitCode> {
    if !args.github && !args.gitlab {
        return gonogo_report::cli::run(args.report, gonogo_catalog::CATALOG);
    }
    post(&args, |name| std::env::var(name).ok())
}

fn post(
    args: &ReportWithPosting,
    env: impl Fn(&str) -> Option<String> + Copy,
) -> anyhow::Result<ExitCode> {
    let report = &args.report;
    let (verdict, doc) = match std::fs::read_to_string(&report.verdict)
        .map_err(|e| e.to_string())
        .and_then(|text| gonogo_report::json::parse_verdict(&text).map_err(|e| e.to_string()))
    {
        Ok(read) => read,
        Err(error) => {
            eprintln!(
                "error: cannot read the verdict {}: {}",
                report.verdict.display(),
                gonogo_core::text::inert(&error)
            );
            return Ok(Exit::Evidence.into());
        }
    };
    let (evidence, warnings) =
        gonogo_report::cli::load_evidence(&report.evidence_dir, gonogo_catalog::CATALOG);
    let no_evidence = gonogo_report::EvidenceMap::new();
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    let cx = gonogo_report::RenderContext::from_document(&doc, &evidence, report.lang);
    // The comment as before: without the evidence's file and line list (the annotations
    // carry those).
    let markdown = gonogo_report::markdown::render(&verdict, &cx.with_evidence(&no_evidence));
    let annotations = gonogo_report::markdown::annotations(&verdict, &cx);
    let timeout = Duration::from_secs(30);
    let in_actions = env("GITHUB_ACTIONS").is_some_and(|v| v == "true");
    let failed = |what: &str, error: &dyn std::fmt::Display| {
        let text =
            gonogo_core::text::inert(&gonogo_core::redact::redact(&error.to_string())).into_owned();
        eprintln!("error: posting to {what} failed (the verdict and the exit code stand): {text}");
        if in_actions {
            eprintln!(
                "::warning title=gonogo could not post to {what}::{}",
                text.replace('%', "%25")
                    .replace('\r', "%0D")
                    .replace('\n', "%0A")
            );
        }
    };
    if args.github {
        match gonogo_publish::github::Target::from_env(env).and_then(|target| {
            gonogo_publish::github::post(
                &target,
                &verdict,
                &markdown,
                &annotations,
                timeout,
                Retry::default(),
            )
        }) {
            Ok(posted) => {
                match posted.comment {
                    Some((id, true)) => eprintln!("posted the pull-request comment {id}"),
                    Some((id, false)) => eprintln!("updated the pull-request comment {id}"),
                    None => eprintln!("not a pull-request event: no comment"),
                }
                match posted.check_run {
                    Some((id, _)) => eprintln!(
                        "check run {id}: {} ({} annotation(s))",
                        verdict.decision,
                        annotations.len()
                    ),
                    None => eprintln!("GITHUB_SHA is not set: no check run"),
                }
            }
            Err(error) => failed("GitHub", &error),
        }
    }
    if args.gitlab {
        let dir = args.gitlab_dir.clone().unwrap_or_else(|| {
            report
                .verdict
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from)
        });
        let junit = gonogo_report::junit::render(&verdict, &cx);
        match gonogo_publish::gitlab::write_files(&dir, &verdict, &annotations, &junit) {
            Ok(files) => eprintln!(
                "wrote {} and {}",
                files.code_quality.display(),
                files.junit.display()
            ),
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(Exit::Write.into());
            }
        }
        match gonogo_publish::gitlab::Target::from_env(env).and_then(|target| {
            gonogo_publish::gitlab::post_note(&target, &markdown, timeout, Retry::default())
        }) {
            Ok(Some((id, true))) => eprintln!("posted the merge-request note {id}"),
            Ok(Some((id, false))) => eprintln!("updated the merge-request note {id}"),
            Ok(None) => eprintln!("not a merge-request pipeline: no note"),
            Err(error) => failed("GitLab", &error),
        }
    }
    Ok(Exit::Go.into())
}
