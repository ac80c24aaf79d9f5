//! `gonogo report`: re-render a saved verdict (read through the folder store, as `gate` and
//! `run` read theirs) as Markdown, HTML, JSON or JUnit XML, or with `--github` / `--gitlab` post
//! it where reviewers look (gonogo-publish does the HTTP). Posting never changes the exit code:
//! the verdict's exit code is `gate`'s or `run`'s; a posting failure is printed (and, in GitHub
//! Actions, annotated as a warning) and `report` still ends as it would have.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use gonogo_core::verdict::Verdict;
use gonogo_publish::http::Retry;
use gonogo_report::cli::{Format, ReportArgs};
use gonogo_report::json::VerdictV1;

use crate::exit::Exit;
use crate::store::{Folder, VerdictAt};

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
        return print(&args.report);
    }
    post(&args, |name| std::env::var(name).ok())
}

/// The saved verdict and the evidence beside it, read through the folder store; a verdict
/// that cannot be read is exit 3 (printed here), unreadable evidence only a warning (printed
/// unless `quiet`): the report is drawn without its charts.
fn read_saved(
    report: &ReportArgs,
    quiet: bool,
) -> Result<(Verdict, VerdictV1, Vec<gonogo_core::evidence::Evidence>), ExitCode> {
    let store =
        Folder::new(&report.evidence_dir).with_verdict(VerdictAt::File(report.verdict.clone()));
    let (_, verdict, document, _) = store.saved_verdict().map_err(|error| {
        eprintln!(
            "error: {}\nhint: `gonogo gate` writes gonogo-report/verdict.json",
            gonogo_core::text::inert(&format!("{error:#}"))
        );
        ExitCode::from(Exit::Evidence)
    })?;
    let (evidence, warnings) = store.evidence_for_report();
    if !quiet {
        for warning in warnings {
            eprintln!("warning: {}", gonogo_core::text::inert(&warning));
        }
    }
    Ok((verdict, document, evidence))
}

/// `gonogo report` without posting: one format on stdout or into `--out` (atomically), and in
/// GitHub Actions the Markdown's annotations and step summary.
fn print(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    // JSON on stdout is for a program: warnings about charts would only be noise beside it.
    let (verdict, document, records) = match read_saved(args, args.format == Format::Json) {
        Ok(read) => read,
        Err(code) => return Ok(code),
    };
    let evidence = gonogo_report::evidence_map(&records);
    // Every format lists the findings behind a count from the evidence; verdict.json keeps
    // what the saved document listed when the evidence is not at hand, so it says nothing.
    let cx = gonogo_report::RenderContext::from_document(&document, &evidence, args.lang);
    let rendered = gonogo_report::cli::render(&verdict, &cx, args.format);
    match &args.out {
        Some(path) if path.as_os_str() != "-" => {
            if let Err(error) = gonogo_report::cli::write_atomic(path, rendered.as_bytes()) {
                eprintln!("error: {error}");
                return Ok(Exit::Write.into());
            }
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
        gonogo_report::cli::github_actions(
            &verdict,
            &cx,
            &rendered,
            |name| std::env::var_os(name),
            &mut std::io::stderr().lock(),
        )?;
    }
    Ok(Exit::Go.into())
}

fn post(
    args: &ReportWithPosting,
    env: impl Fn(&str) -> Option<String> + Copy,
) -> anyhow::Result<ExitCode> {
    let report = &args.report;
    let (verdict, doc, records) = match read_saved(report, false) {
        Ok(read) => read,
        Err(code) => return Ok(code),
    };
    let evidence = gonogo_report::evidence_map(&records);
    let no_evidence = gonogo_report::EvidenceMap::new();
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
