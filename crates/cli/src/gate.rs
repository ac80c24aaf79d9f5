//! `gonogo gate`: judge the evidence folder under the policy and print the verdict.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use gonogo_core::eval;
use gonogo_core::evidence::{Evidence, Shape, sha256_hex};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;
use gonogo_core::verdict::{Context, Decision, Verdict};
use gonogo_delivery::ci::CiContext;
use gonogo_delivery::git::GitContext;
use gonogo_report::cli::Format;
use gonogo_report::i18n::Lang;
use gonogo_report::json as verdict_json;
use gonogo_report::{EvidenceMap, RenderContext};

use crate::diagnostics::render_problems;
use crate::exit::{Exit, Failure};
use crate::store::{Folder, Store as _, VerdictAt, WriteStore as _};

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Statuses: pass, fail, inconclusive (the confidence interval straddles the threshold), missing
(no, stale or partial evidence), waived. Only pass is green; an inconclusive or missing blocker
makes the verdict NO-GO.

Examples:
  gonogo gate                                   # gonogo.toml, .gonogo/evidence
  gonogo gate --env production --json > verdict.json
  gonogo gate --policy stricter.toml --compare gonogo-report/verdict.json
  gonogo gate --policy stricter.toml --run last-go   # a stored run re-judged, nothing written
  gonogo gate --baseline last-release/verdict.json   # for gates like `p(95) <= +10%`

Exit codes: 0 GO, 1 NO-GO, 2 the policy or the command line is wrong, 3 evidence could not
be read.")]
pub struct GateArgs {
    /// The policy file.
    #[arg(long, short, default_value = "gonogo.toml", value_name = "FILE")]
    pub policy: PathBuf,

    /// The folder of evidence files (*.json, *.jsonl). Default: the policy's
    /// `evidence_dir`, else the `evidence` folder beside the verdict (where `gonogo run` puts
    /// it), else .gonogo/evidence. Read a record at a time: a record over 16 MiB, or a folder
    /// past 10,000 records or 48 MiB once read, is refused (exit 3), never judged in part.
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,

    /// The environment profile ([env.NAME] in the policy) whose overrides apply. Default: the
    /// deployment target's profile (a release tag: production), when the policy has one.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// The commit being judged (default: the CI's commit variable, else git's HEAD). Records
    /// stamped with another commit are set aside.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,

    /// What relative gates (`p(95) <= +10%`) compare with: a previous verdict.json, or a run
    /// of the history: `last`, `last-go`, a run id or a pinned name.
    #[arg(long, value_name = "FILE|last|last-go|RUN|NAME")]
    pub baseline: Option<PathBuf>,

    /// A previous verdict.json, or a run of the history (`last`, `last-go`, a run id, a
    /// pinned name): print which gates would flip under this policy.
    #[arg(long, value_name = "FILE|RUN")]
    pub compare: Option<PathBuf>,

    /// Re-judge a run of the history (a run id, a pinned name, `last`, `last-go`): its stored
    /// evidence, its commit and its moment, under this policy (a stricter one, say), and print
    /// which gates would flip compared with its stored verdict. A dry run: nothing is written
    /// and the history is untouched (`--json > file` keeps the verdict).
    #[arg(long, value_name = "RUN", conflicts_with_all = ["evidence_dir", "baseline"])]
    pub run: Option<String>,

    /// Print the verdict as JSON (verdict.json version 1) on stdout instead of the summary;
    /// the same as `--format json`.
    #[arg(long)]
    pub json: bool,

    /// Print this report format on stdout instead of the terminal summary.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// The language of the reports.
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub lang: Lang,

    /// Where to write the verdict: a folder (one that exists, or a path ending in `/`) gets
    /// verdict.json and every report, as `gonogo run --out DIR` does; a file named
    /// verdict.json gets its reports beside it; any other file name, the verdict alone.
    #[arg(
        long,
        short,
        default_value = "gonogo-report/verdict.json",
        value_name = "FILE|DIR"
    )]
    pub out: PathBuf,

    /// Do not write verdict.json.
    #[arg(long)]
    pub no_write: bool,

    /// Judge as if it were this moment (RFC 3339), for reproducible re-judging.
    #[arg(long, value_name = "TIMESTAMP", hide_short_help = true)]
    pub now: Option<jiff::Timestamp>,

    #[command(flatten)]
    pub notify: crate::notify::NotifyArgs,

    #[command(flatten)]
    pub history: crate::history::RecordArgs,
}

/// A policy file read and resolved, with its provenance and text (for diagnostics and the
/// sections other commands read).
pub struct LoadedPolicy {
    pub policy: Policy,
    pub path: String,
    pub sha256: String,
    pub text: String,
}

/// Reads and resolves the policy; problems are printed as diagnostics (exit 2).
pub fn load_policy(path: &Path, env: Option<&str>, color: bool) -> Result<LoadedPolicy, Failure> {
    parse_policy(path, read_policy_text(path)?, env, color)
}

/// The policy file's text; a missing file hints at `gonogo init` (exit 2).
pub fn read_policy_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "\nhint: `gonogo init` writes a commented starter policy"
        } else {
            ""
        };
        Failure::usage(anyhow!(
            "cannot read the policy {}: {e}{hint}",
            path.display()
        ))
    })
}

/// Resolves a policy's text read from `path`; problems are printed as diagnostics (exit 2).
pub fn parse_policy(
    path: &Path,
    text: String,
    env: Option<&str>,
    color: bool,
) -> Result<LoadedPolicy, Failure> {
    resolve_policy(path, text.clone(), env).map_err(|problems| {
        let display = path.display().to_string();
        eprint!("{}", render_problems(&display, &text, &problems, color));
        Failure::reported(Exit::Usage)
    })
}

/// Resolves a policy's text read from `path`, or every problem found.
pub fn resolve_policy(
    path: &Path,
    text: String,
    env: Option<&str>,
) -> Result<LoadedPolicy, Vec<gonogo_core::policy::Problem>> {
    let display = path.display().to_string();
    let mut policy = Policy::parse(&text, env, gonogo_catalog::CATALOG)?;
    policy.origins.extend(url_file_origins(path, &text));
    Ok(LoadedPolicy {
        policy,
        path: display,
        sha256: sha256_hex(text.as_bytes()),
        text,
    })
}

/// The origins of the URLs that `[load.NAME] urls = "FILE"` sections list: the policy names
/// them too, through the file (which the core, doing no I/O, cannot read). A file that cannot
/// be read names nothing here; `gonogo run` reports it with its line.
fn url_file_origins(policy_path: &Path, text: &str) -> Vec<String> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let folder = policy_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    table
        .get("load")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|sections| sections.values())
        .filter_map(|section| section.get("urls").and_then(toml::Value::as_str))
        .filter_map(|file| gonogo_load::url_list::read_url_list(&folder.join(file)).ok())
        .flatten()
        .map(|entry| gonogo_core::policy::origin(&entry.target.url))
        .collect()
}

/// Checks the gates' metrics against the catalogue and the evidence (exit 2 on problems).
pub fn check_metrics(
    loaded: &LoadedPolicy,
    records: &[Evidence],
    color: bool,
) -> Result<(), Failure> {
    let mut known: BTreeMap<String, (Shape, Unit)> = BTreeMap::new();
    for record in records {
        for (name, metric) in &record.metrics {
            known
                .entry(name.clone())
                .or_insert_with(|| (metric.value.shape(), metric.unit.clone()));
        }
    }
    let problems = loaded.policy.check_metrics(&known);
    if problems.is_empty() {
        return Ok(());
    }
    eprint!(
        "{}",
        render_problems(&loaded.path, &loaded.text, &problems, color)
    );
    Err(Failure::reported(Exit::Usage))
}

/// Stamps a verdict with what the binary knows and the core does not: the policy file judged
/// under (its path and SHA-256) and, when there is one, the git and CI context.
pub fn stamp(
    verdict: &mut Verdict,
    loaded: &LoadedPolicy,
    git: Option<&GitContext>,
    ci: Option<&CiContext>,
) {
    verdict.policy_path = Some(loaded.path.clone());
    verdict.policy_sha256 = Some(loaded.sha256.clone());
    if git.is_some() || ci.is_some() {
        verdict.context = Some(context_of(git, ci));
    }
}

/// What the verdict judged: the commit and the CI run.
pub fn context_of(git: Option<&GitContext>, ci: Option<&CiContext>) -> Context {
    Context {
        commit: git.map(|g| g.commit.clone()),
        branch: git.and_then(|g| g.branch.clone()),
        tags: git.map(|g| g.tags.clone()).unwrap_or_default(),
        deployment_target: git.and_then(|g| {
            serde_json::to_value(g.target)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        }),
        rollback_tag: git.and_then(|g| g.rollback_tag.clone()),
        dirty_paths: git.map_or(0, |g| g.dirty_paths.len()),
        ci_provider: ci.map(|c| c.provider.clone()),
        ci_run_url: ci.and_then(|c| c.run_url.clone()),
    }
}

/// Writes every report of a verdict into `out` (report.md, report.html, verdict.json,
/// junit.xml) and, in GitHub Actions, the step summary and annotations. Returns the HTML path.
pub fn write_reports(
    verdict: &Verdict,
    shown: &Shown<'_>,
    evidence: &EvidenceMap,
    out: &Path,
    lang: Lang,
) -> Result<PathBuf, Failure> {
    let cx = shown.context(evidence, lang);
    // A report that cannot be written exits 4 (exit.rs), not 2.
    let rendered = gonogo_report::cli::render_all(verdict, &cx, out)
        .map_err(|e| Failure::from(anyhow::Error::new(e)))?;
    let markdown = gonogo_report::cli::render(verdict, &cx, Format::Md);
    gonogo_report::cli::github_actions(
        verdict,
        &cx,
        &markdown,
        |name| std::env::var_os(name),
        &mut std::io::stderr().lock(),
    )?;
    Ok(rendered.html)
}

/// What the reports show beside the verdict: the history's trends and a `--compare` result.
#[derive(Debug, Default)]
pub struct Shown<'a> {
    pub trends: Vec<verdict_json::TrendV1>,
    pub comparison: Option<&'a verdict_json::ComparisonV1>,
}

impl Shown<'_> {
    pub fn context<'c>(&'c self, evidence: &'c EvidenceMap, lang: Lang) -> RenderContext<'c> {
        RenderContext::new(lang)
            .with_evidence(evidence)
            .with_trends(&self.trends)
            .with_comparison(self.comparison)
    }
}

/// `--out`: a folder (existing, or written with a trailing `/`) holds verdict.json, as
/// `run --out DIR` does; anything else is the verdict file itself.
pub fn verdict_file(out: &Path) -> PathBuf {
    let folder = out.is_dir()
        || out
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR);
    if folder {
        out.join("verdict.json")
    } else {
        out.to_path_buf()
    }
}

pub fn run(args: GateArgs, color: bool) -> Result<Exit, Failure> {
    if let Some(run) = args.run.clone() {
        return rejudge(args, &run, color);
    }
    let policy_dir = crate::pipeline::policy_folder(&args.policy);
    let (loaded, git, candidate) = crate::pipeline::load_for_candidate(
        &args.policy,
        args.env.as_deref(),
        args.commit.as_deref(),
        color,
    )?;
    let hook = crate::notify::configure(
        &args.notify,
        &loaded.path,
        &loaded.text,
        |name| std::env::var(name).ok(),
        color,
    )?;
    let verdict_path = verdict_file(&args.out);
    let dir = args
        .evidence_dir
        .clone()
        .or_else(|| loaded.policy.evidence_dir.as_ref().map(PathBuf::from))
        .unwrap_or_else(|| Folder::default_for_verdict(&verdict_path));
    if !dir.exists() {
        eprintln!(
            "warning: the evidence folder {} does not exist: every gate is missing its evidence",
            dir.display()
        );
    }
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let store = Folder::new(&dir).with_verdict(VerdictAt::File(verdict_path.clone()));
    let mut records = store.evidence(now)?;
    // Files the policy names with [[collect]] are read again, relative to the policy; a record
    // already in the folder counts once.
    let options = crate::run::collect_options(&loaded.policy, now);
    for (kind, patterns) in crate::run::collect_entries(&loaded.text) {
        // Collected as of the moment judged (`--now` re-judges reproducibly).
        records.extend(crate::run::collect_records(
            &kind,
            &patterns,
            &policy_dir,
            &options,
            now,
        ));
    }
    let baseline = crate::history::read_baseline(
        args.baseline.as_deref(),
        &args.history,
        &args.policy,
        &loaded,
    )?;
    let mut verdict = crate::pipeline::judge(
        &loaded,
        &records,
        &crate::pipeline::Judge {
            now,
            baseline: baseline.as_ref(),
            candidate: &candidate,
            color,
        },
    )?;
    let ci = CiContext::from_env(|name| std::env::var(name).ok());
    stamp(&mut verdict, &loaded, git.as_ref(), ci.as_ref());
    // `--compare`: the flips go into the verdict and its reports, and are printed below.
    let compared = match &args.compare {
        Some(value) => Some(compared_verdict(value, &args, &loaded)?),
        None => None,
    };
    let comparison = compared
        .as_ref()
        .map(|(before, label)| verdict_json::ComparisonV1::new(before, &verdict, label));
    // The document `--json` prints: with the comparison and, under each gate, the findings
    // its cited evidence lists behind its count (as the verdict.json beside the reports).
    let evidence = gonogo_report::evidence_map(&records);
    let document = verdict_json::document(
        &verdict,
        &RenderContext::new(args.lang)
            .with_evidence(&evidence)
            .with_comparison(comparison.as_ref()),
    );
    let json = serde_json::to_string_pretty(&document).context("serialising the verdict")?;

    if !args.no_write {
        // A verdict.json in a report folder is rewritten with its reports (showing each gate's
        // earlier runs and the comparison), so report.md and report.html never show another
        // verdict.
        let shown = || Shown {
            trends: crate::history::trends(&args.history, &args.policy, &loaded, &verdict),
            comparison: comparison.as_ref(),
        };
        store.put_verdict(&verdict, &shown, &evidence, args.lang)?;
    }
    let mut stdout = std::io::stdout().lock();
    let format = if args.json {
        Some(Format::Json)
    } else {
        args.format
    };
    let printed = match format {
        None => write!(
            stdout,
            "{}",
            gonogo_report::terminal::render(
                &verdict,
                &RenderContext::new(args.lang)
                    .with_evidence(&evidence)
                    .with_color(color)
            )
        ),
        Some(Format::Json) => writeln!(stdout, "{json}"),
        Some(format) => write!(
            stdout,
            "{}",
            gonogo_report::cli::render(
                &verdict,
                &RenderContext::new(args.lang)
                    .with_evidence(&evidence)
                    .with_comparison(comparison.as_ref()),
                format
            )
        ),
    };
    ignore_broken_pipe(printed)?;
    if let Some((before, label)) = &compared {
        print_flips(before, &verdict, label, format.is_some());
    }
    crate::history::record(
        &args.history,
        &args.policy,
        &loaded,
        &document,
        &records,
        args.now,
        format.is_some(),
    );
    if !args.no_write && format.is_none() {
        eprintln!(
            "judged the evidence in {}; verdict written to {}",
            dir.display(),
            verdict_path.display()
        );
    }
    crate::notify::on_verdict(hook.as_ref(), &verdict);
    Ok(match verdict.decision {
        Decision::Go => Exit::Go,
        Decision::NoGo => Exit::NoGo,
    })
}

/// `--compare`: a verdict file, else a run of the history; with the label to print.
fn compared_verdict(
    value: &Path,
    args: &GateArgs,
    loaded: &LoadedPolicy,
) -> Result<(Verdict, String), Failure> {
    let text = value.to_string_lossy();
    let held = if value.is_file() || text.contains('/') || text.ends_with(".json") {
        Folder::verdict_file(value).verdict()?
    } else {
        crate::history::stored_run(
            &text,
            &args.history,
            &args.policy,
            &loaded.text,
            loaded.policy.env.as_deref(),
        )?
        .verdict()?
    };
    Ok((held.verdict, held.label))
}

/// `gate --run RUN`: a stored run's evidence judged again under this policy, as of the run's
/// moment and for its commit and environment (unless `--now`, `--commit`, `--env` say
/// otherwise); the flips against its stored verdict are printed. Writes nothing, records
/// nothing, notifies nobody.
fn rejudge(args: GateArgs, value: &str, color: bool) -> Result<Exit, Failure> {
    let text = read_policy_text(&args.policy)?;
    let stored = crate::history::stored_run(
        value,
        &args.history,
        &args.policy,
        &text,
        args.env.as_deref(),
    )?;
    let run = &stored.run;
    let records = stored.evidence(run.meta.evaluated_at)?;
    let env = args.env.clone().or_else(|| run.meta.env.clone());
    let commit = args.commit.clone().or_else(|| run.meta.commit.clone());
    let (loaded, _, candidate) = crate::pipeline::load_for_candidate(
        &args.policy,
        env.as_deref(),
        commit.as_deref(),
        color,
    )?;
    let now = args.now.unwrap_or(run.meta.evaluated_at);
    eprintln!(
        "re-judging run {} ({}, {}, {} records) under {}: nothing is written",
        run.id,
        run.meta.evaluated_at,
        run.meta.decision,
        records.len(),
        args.policy.display()
    );
    let verdict = crate::pipeline::judge(
        &loaded,
        &records,
        &crate::pipeline::Judge {
            now,
            baseline: None,
            candidate: &candidate,
            color,
        },
    )?;
    let mut verdict = verdict;
    stamp(&mut verdict, &loaded, None, None);
    let evidence = gonogo_report::evidence_map(&records);
    let document = verdict_json::document(
        &verdict,
        &RenderContext::new(args.lang).with_evidence(&evidence),
    );
    let format = if args.json {
        Some(Format::Json)
    } else {
        args.format
    };
    let mut stdout = std::io::stdout().lock();
    let printed = match format {
        None => write!(
            stdout,
            "{}",
            gonogo_report::terminal::render(
                &verdict,
                &RenderContext::new(args.lang)
                    .with_evidence(&evidence)
                    .with_color(color)
            )
        ),
        Some(Format::Json) => writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&document).context("serialising the verdict")?
        ),
        Some(format) => write!(
            stdout,
            "{}",
            gonogo_report::cli::render(
                &verdict,
                &RenderContext::new(args.lang).with_evidence(&evidence),
                format
            )
        ),
    };
    ignore_broken_pipe(printed)?;
    drop(stdout);
    let (before, label) = match &args.compare {
        Some(value) => compared_verdict(value, &args, &loaded)?,
        None => (
            stored.verdict()?.verdict,
            format!("run {} as recorded ({})", run.id, run.meta.decision),
        ),
    };
    print_flips(&before, &verdict, &label, format.is_some());
    Ok(match verdict.decision {
        Decision::Go => Exit::Go,
        Decision::NoGo => Exit::NoGo,
    })
}

fn print_flips(before: &Verdict, after: &Verdict, label: &str, json: bool) {
    let changes = eval::flips(&before.statuses(), after);
    // With --json, stdout carries only the verdict; the comparison goes to stderr.
    let mut text = String::new();
    if changes.is_empty() {
        text.push_str(&format!(
            "\nno gate would flip compared with {}\n",
            gonogo_core::text::Inert(label)
        ));
    } else {
        text.push_str(&format!(
            "\n{} gate{} would flip compared with {} ({} → {}):\n",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" },
            gonogo_core::text::Inert(label),
            before.decision,
            after.decision
        ));
        for change in &changes {
            let show = |s: Option<gonogo_core::verdict::GateStatus>| {
                s.map_or("(absent)".to_owned(), |s| s.as_str().to_owned())
            };
            text.push_str(&format!(
                "  {}: {} → {}\n",
                gonogo_core::text::Inert(&change.gate),
                show(change.before),
                show(change.after)
            ));
        }
    }
    if json {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

/// A closed pipe (`gonogo gate | head`) is not an error.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
