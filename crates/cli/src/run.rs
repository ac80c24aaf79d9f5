//! `gonogo run`: measure, collect, decide and report, from one policy.
//!
//! The steps, in order, each bounded and each shown on stderr:
//!
//! 1. **context**: the git repository (branch, commit, tags, deployment and rollback
//!    targets, dirty tree) and the CI run, as `git` evidence;
//! 2. **commands** (`[[command]]`): run with a timeout, full output in `<out>/logs/`, a
//!    throttled tail on the console; a failing command is evidence, and its evidence files
//!    (`evidence = { junit = "..." }`) are collected afterwards;
//! 3. **engines**: `[load.NAME]`, `[[probe]]`, `[observe]`, `[harden]`, `[[prometheus]]`
//!    against `[target] base_url`;
//! 4. **collectors** (`[[collect]]`);
//! 5. **decision and reports**: the verdict from everything above, written to `<out>/`.
//!
//! Engine sections are planned by their engines (`crate::engines`, the registry) before
//! anything runs, and their problems reported with the core's and with those of this
//! command's own sections (`[[command]]`...), in one round. Every engine section is read
//! straight into the engine's typed configuration (the struct of its flags, or a config type
//! of its own with the same keys). `[load.NAME] urls =
//! "urls.txt"` (several URLs with weights) names a file relative to the policy's folder, like
//! `[[command]] dir` and `[[collect]]`; it is read and checked at that point too.
//!
//! Evidence of a run goes to `<out>/evidence/`, emptied first, so a verdict only ever judges
//! what this run measured and collected.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;
use gonogo_core::evidence::Evidence;
use gonogo_core::policy::{Policy, Problem, parse_duration_seconds};
use gonogo_core::text::Inert;
use gonogo_delivery::ci::CiContext;
use gonogo_delivery::command::{CommandSpec, StderrTail, TailPolicy, run_command};
use gonogo_delivery::git::{GitContext, TargetRules};
use gonogo_ingest::CollectOptions;
use gonogo_ingest::audit::AuditIgnore;
use serde::Deserialize;
use toml::Spanned;

use crate::engines::{Context, Entry, Job, RunEnv, key_spans};
use crate::exit::{Exit, Failure};
use crate::gate;
use crate::store::{Folder, Store as _, VerdictAt, WriteStore as _};

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
The policy's [target], [[command]], [load.NAME], [[probe]], [observe], [harden],
[[prometheus]] and [[collect]] sections say what to run; its gates say what must hold.
Engine sections take the engine's settings as keys (`gonogo schema reference` lists them):
see `gonogo load --help`, `gonogo probe --help`, `gonogo observe --help`,
`gonogo harden --help`, `gonogo prometheus query --help`.

Examples:
  gonogo run                          # gonogo.toml, reports in gonogo-report/
  gonogo run --env production --out release-report

Exit codes: 0 GO, 1 NO-GO, 2 the policy or the command line is wrong, 3 evidence could not
be read.")]
pub struct RunArgs {
    /// The policy file.
    #[arg(long, short, default_value = "gonogo.toml", value_name = "FILE")]
    pub policy: PathBuf,

    /// The environment profile ([env.NAME]) whose overrides apply. Default: the deployment
    /// target's profile, when the policy has one.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// The commit being judged (default: the CI's commit variable, else git's HEAD). Every
    /// record this run writes is stamped with it.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,

    /// The folder for reports, logs and this run's evidence.
    #[arg(long, short, default_value = "gonogo-report", value_name = "DIR")]
    pub out: PathBuf,

    /// What relative gates (`p(95) <= +10%`) compare with: a previous verdict.json, or a run
    /// of the history: `last`, `last-go`, a run id or a pinned name.
    #[arg(long, value_name = "FILE|last|last-go|RUN|NAME")]
    pub baseline: Option<PathBuf>,

    /// The language of the reports.
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub lang: gonogo_report::i18n::Lang,

    /// Print the Markdown report on stdout instead of the terminal summary (for a PR comment).
    #[arg(long)]
    pub markdown: bool,

    /// Judge as if it were this moment (RFC 3339).
    #[arg(long, value_name = "TIMESTAMP", hide_short_help = true)]
    pub now: Option<jiff::Timestamp>,

    /// When another run holds the output folder, wait for it instead of refusing (exit 4).
    #[arg(long)]
    pub wait: bool,

    /// Drill the policy's `[rollback]`: deploy the rollback target, probe it healthy within
    /// the limit, roll forward (evidence `delivery.rollback.drill`; docs/delivery.md).
    #[arg(long)]
    pub rollback_drill: bool,

    #[command(flatten)]
    pub notify: crate::notify::NotifyArgs,

    #[command(flatten)]
    pub history: crate::history::RecordArgs,
}

/// The sections of the policy that say what to run. Unknown keys are the core's to reject.
#[derive(Debug, Default, Deserialize)]
pub struct RunConfig {
    #[serde(default)]
    pub target: TargetSection,
    #[serde(default)]
    pub targets: TargetsSection,
    #[serde(default)]
    pub delivery: TargetRules,
    #[serde(default, rename = "command")]
    pub commands: Vec<Spanned<CommandSection>>,
    #[serde(default)]
    pub collect: Vec<Spanned<BTreeMap<String, OneOrMany>>>,
    // The engine sections are read by their engines (`crate::engines`); these two are read
    // here too, for the variables they name as holding secrets.
    pub harden: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub prometheus: Vec<Spanned<toml::Table>>,
    pub rollback: Option<crate::rollback::RollbackSection>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// The running service every engine section is relative to.
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsSection {
    /// Hosts besides loopback that engines may contact.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Origins (`scheme://host:port`) whose records count besides those the policy's sections
    /// name (read by the core; docs/evidence.md).
    #[serde(default)]
    #[allow(dead_code)]
    pub origins: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSection {
    /// The command's name: its gate is `command NAME`, its metrics `command.NAME.*`.
    pub name: String,
    /// The command line, run by `sh -c` in `dir`.
    pub run: String,
    /// How long it may run (a duration; default 30m).
    pub timeout: Option<String>,
    /// Working directory, relative to the policy's folder.
    pub dir: Option<String>,
    /// Evidence files the command leaves: `{ junit = "target/junit.xml" }`, relative to the
    /// command's `dir`.
    #[serde(default)]
    pub evidence: BTreeMap<String, OneOrMany>,
    /// A failing command is a warning instead of a blocker (read by the core, which makes
    /// the command's gate).
    #[serde(default)]
    #[allow(dead_code)]
    pub allow_failure: bool,
    /// The area of the command's gate (default `delivery`; read by the core).
    #[allow(dead_code)]
    pub area: Option<String>,
    /// The metric segment (default: the name): `command.<metric>.exit_code`.
    pub metric: Option<String>,
    /// Credential variables passed on to the command (`["GITHUB_TOKEN"]`); without this the
    /// command does not see gonogo's own credentials (`GONOGO_*`, `GITHUB_TOKEN`, `GH_TOKEN`,
    /// and the variables the policy's engine sections name as holding secrets).
    #[serde(default)]
    pub pass_env: Vec<String>,
}

/// The variables the policy's engine sections name as holding secrets: every `*_env` /
/// `*-env` key of `[harden]` (and its sub-tables) and `[[prometheus]]`, e.g. `[harden.auth]
/// token_env`. Commands do not inherit them unless `pass_env` names them.
fn secret_env_names(config: &RunConfig) -> Vec<String> {
    fn walk(table: &toml::Table, out: &mut Vec<String>) {
        for (key, value) in table {
            match value {
                toml::Value::String(name) if key.ends_with("_env") || key.ends_with("-env") => {
                    out.push(name.clone());
                }
                toml::Value::Table(inner) => walk(inner, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if let Some(harden) = &config.harden {
        walk(harden.get_ref(), &mut out);
    }
    for prometheus in &config.prometheus {
        walk(prometheus.get_ref(), &mut out);
    }
    for default in [
        "GONOGO_PROMETHEUS_TOKEN",
        "GONOGO_PROMETHEUS_USER",
        "GONOGO_PROMETHEUS_PASSWORD",
    ] {
        out.push(default.to_owned());
    }
    out.sort();
    out.dedup();
    out
}

/// A path pattern or several.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn patterns(&self) -> Vec<String> {
        match self {
            OneOrMany::One(p) => vec![p.clone()],
            OneOrMany::Many(ps) => ps.clone(),
        }
    }
}

fn section_problem(message: String, span: Range<usize>) -> Problem {
    Problem {
        message,
        span,
        label: "in this section".into(),
        help: None,
    }
}

/// `[harden]`: the audit's configuration, read straight from the section (its sub-tables'
/// unknown keys too, each at its key), then checked as the audit checks it.
pub(crate) fn plan_harden(context: &Context<'_>, entry: &Entry<'_>) -> Result<Job, Vec<Problem>> {
    let config: gonogo_harden::config::HardenConfig = crate::engines::read_typed(context, entry)?;
    let mut problems: Vec<Problem> = config
        .validate()
        .into_iter()
        .map(|p| section_problem(p.to_string(), entry.span.clone()))
        .collect();
    let Some(base) = context.base_url else {
        problems.push(section_problem(
            "[harden] needs [target] base_url".into(),
            entry.span.clone(),
        ));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let args = gonogo_harden::cli::HardenArgs::for_run(
        base,
        context.allow.to_vec(),
        context.evidence.to_path_buf(),
    );
    // The verdict shows the findings; the audit's own table would flood a run's output.
    Ok(Job::Run(Box::new(move |_: &RunEnv<'_>| {
        gonogo_harden::cli::run_with(args, config, &mut std::io::sink())
    })))
}

/// `[[prometheus]]`: `gonogo prometheus`' configuration, read straight from the section,
/// its keys checked together (`kind` needs `window`...), each problem at its key.
pub(crate) fn plan_prometheus(
    context: &Context<'_>,
    entry: &Entry<'_>,
) -> Result<Job, Vec<Problem>> {
    let config: gonogo_probe::cli::prometheus::PrometheusConfig =
        crate::engines::read_typed(context, entry)?;
    let spans = key_spans(context.root, &entry.path);
    let args = config
        .into_args(context.allow.to_vec(), context.evidence.to_path_buf())
        .map_err(|found| {
            found
                .into_iter()
                .map(|(key, message)| match key {
                    Some(key) => crate::engines::problem_at_key(entry, &spans, key, message),
                    None => {
                        section_problem(format!("{} {message}", entry.what), entry.span.clone())
                    }
                })
                .collect::<Vec<_>>()
        })?;
    Ok(Job::Run(Box::new(move |_: &RunEnv<'_>| {
        gonogo_probe::cli::prometheus::run(args)
    })))
}

/// `[[fault]]`: `gonogo fault`'s configuration, read straight from the section: a drill,
/// started before the other engines.
pub(crate) fn plan_fault(context: &Context<'_>, entry: &Entry<'_>) -> Result<Job, Vec<Problem>> {
    let mut args: gonogo_fault::cli::FaultArgs = crate::engines::read_typed(context, entry)?;
    let what = &entry.what;
    let mut problems = Vec::new();
    if args.listen.is_none() {
        problems.push(section_problem(
            format!("{what} needs `listen`, the loopback address the service is given"),
            entry.span.clone(),
        ));
    }
    if args.upstream.is_empty() {
        problems.push(section_problem(
            format!("{what} needs `upstream`, the dependency's HOST:PORT"),
            entry.span.clone(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // The allowed hosts; a drill writes no evidence of its own.
    args.allow_hosts = context.allow.to_vec();
    // The timeline and the dependency's address, checked before anything runs.
    args.timeline()
        .and_then(|_| args.upstream_addr())
        .map_err(|e| vec![section_problem(format!("{what}: {e}"), entry.span.clone())])?;
    Ok(Job::Drill(Box::new(args)))
}

/// Every engine section of the policy, planned by its engine: the jobs, or every problem of
/// every section.
fn plan(
    config: &RunConfig,
    text: &str,
    evidence: &Path,
    policy_path: &Path,
) -> Result<Vec<(String, Job)>, Vec<Problem>> {
    // The policy again, with the span of every key: a caret at a misspelt one.
    let document = toml::de::DeTable::parse(text).ok();
    let values: toml::Table = toml::from_str(text).unwrap_or_default();
    let policy_dir = crate::pipeline::policy_folder(policy_path);
    let context = Context {
        base_url: config.target.base_url.as_deref(),
        allow: &config.targets.allow,
        evidence,
        policy_dir: &policy_dir,
        root: document.as_ref().map(|d| d.get_ref()),
    };
    crate::engines::plan_all(&context, &values)
}

/// `[rollback]`: drilled with `--rollback-drill`; otherwise said to be undrilled.
#[allow(clippy::too_many_arguments)]
fn drill_into(
    args: &RunArgs,
    config: &RunConfig,
    section: &crate::rollback::RollbackSection,
    git: &Option<GitContext>,
    policy_dir: &Path,
    logs: &Path,
    evidence: &Path,
    now: jiff::Timestamp,
) -> Result<(), Failure> {
    if !args.rollback_drill || crate::interrupt::stopping() {
        eprintln!(
            "  rollback: not drilled (pass --rollback-drill); all gonogo knows is whether a \
             previous release tag exists"
        );
        return Ok(());
    }
    eprintln!("  ▶ rollback drill");
    let tag = git.as_ref().and_then(|g| g.rollback_tag.as_deref());
    let drill = crate::rollback::drill(
        section,
        config.target.base_url.as_deref(),
        &config.targets.allow,
        tag,
        policy_dir,
        logs,
    )
    .map_err(|e| {
        eprintln!("error: {}", Inert(&e));
        Failure::reported(Exit::Usage)
    })?;
    for line in &drill.steps {
        eprintln!("    {}", Inert(line));
    }
    eprintln!("  {} rollback drill", if drill.passed { "✓" } else { "✗" });
    Folder::new(evidence)
        .put_evidence(&drill.to_evidence(&args.policy, now))
        .map_err(Failure::from)?;
    Ok(())
}

/// `[delivery.dora]`: the DORA metrics of the policy's repository, as `dora` evidence. A
/// repository that cannot be read is said and leaves the DORA gates missing.
fn dora_into(
    dir: &Path,
    rules: &TargetRules,
    options: &gonogo_delivery::dora::DoraOptions,
    evidence: &Path,
    now: jiff::Timestamp,
) -> Result<(), Failure> {
    let dir = options
        .repository
        .as_ref()
        .map_or_else(|| dir.to_path_buf(), |r| dir.join(r));
    match gonogo_delivery::dora::Dora::measure(&dir, rules, options, now) {
        Ok(dora) => {
            let (failed, judged) = dora.change_failure;
            eprintln!(
                "  DORA: {} releases in {} weeks, {} commits shipped, {failed} of {judged} \
                 releases failed",
                dora.deploys_per_week.iter().sum::<u64>(),
                dora.weeks,
                dora.lead_times.len()
            );
            for record in dora.to_evidence(now) {
                Folder::new(evidence)
                    .put_evidence(&record)
                    .map_err(Failure::from)?;
            }
        }
        Err(e) => eprintln!("  DORA: {}", Inert(&e.to_string())),
    }
    Ok(())
}

fn step(number: usize, total: usize, text: &str) {
    eprintln!("[{number}/{total}] {text}");
}

/// Reads `kind = patterns` (relative to `base`); problems are reported, not fatal: a file
/// that cannot be read is evidence of nothing, and its gates say so. Every record is stamped
/// as collected at `collected_at`: the run's clock, so that `--now` judges what it collected
/// as of then (with the wall clock, a past `--now` refused its own records as from the future).
pub fn collect_records(
    kind_name: &str,
    patterns: &[String],
    base: &Path,
    options: &CollectOptions,
    collected_at: jiff::Timestamp,
) -> Vec<Evidence> {
    let kind = match <gonogo_ingest::Kind as clap::ValueEnum>::from_str(
        &kind_name.replace('_', "-"),
        true,
    ) {
        Ok(kind) => kind,
        Err(_) => {
            eprintln!(
                "  warning: `{kind_name}` is not an evidence format (see `gonogo collect --help`)"
            );
            return Vec::new();
        }
    };
    let mut collected = Vec::new();
    for pattern in patterns {
        let full = if Path::new(pattern).is_absolute() {
            pattern.clone()
        } else {
            base.join(pattern).display().to_string()
        };
        let (records, errors) = gonogo_ingest::collect_each_with(kind, &full, options);
        for error in errors {
            eprintln!("  {}", Inert(&format!("{kind_name} {pattern}: {error}")));
        }
        collected.extend(records.into_iter().map(|mut record| {
            record.collected_at = collected_at;
            record
        }));
    }
    collected
}

/// Collects into the evidence folder; returns how many records were written.
fn collect_into(
    kind_name: &str,
    patterns: &[String],
    base: &Path,
    evidence: &Path,
    options: &CollectOptions,
    collected_at: jiff::Timestamp,
) -> usize {
    let mut written = 0;
    for record in collect_records(kind_name, patterns, base, options, collected_at) {
        match Folder::new(evidence).put_evidence(&record) {
            Ok(_) => written += 1,
            Err(e) => eprintln!("  warning: {e:#}"),
        }
    }
    written
}

/// What a policy says about collecting: its `[[ignore]]` rules for dependency audits, judged
/// on the UTC day of `now`.
pub fn collect_options(policy: &Policy, now: jiff::Timestamp) -> CollectOptions {
    CollectOptions {
        audit_ignores: policy
            .ignores
            .iter()
            .map(|rule| AuditIgnore {
                id: rule.advisory.clone(),
                reason: rule.reason.clone(),
                owner: Some(rule.owner.clone()),
                expires: Some(rule.expires),
            })
            .collect(),
        today: jiff::tz::TimeZone::UTC.to_datetime(now).date(),
    }
}

/// The `[[collect]]` entries of a policy's text, as (format, patterns).
pub fn collect_entries(text: &str) -> Vec<(String, Vec<String>)> {
    #[derive(Deserialize)]
    struct OnlyCollect {
        #[serde(default)]
        collect: Vec<BTreeMap<String, OneOrMany>>,
    }
    toml::from_str::<OnlyCollect>(text)
        .map(|c| {
            c.collect
                .into_iter()
                .flat_map(|entry| {
                    entry
                        .into_iter()
                        .map(|(kind, paths)| (kind, paths.patterns()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The result of a whole run, for `gonogo demo`.
pub struct RunOutcome {
    pub exit: Exit,
    pub html: PathBuf,
}

pub fn run(args: RunArgs, color: bool) -> Result<Exit, Failure> {
    execute(&args, color).map(|outcome| outcome.exit)
}

pub fn execute(args: &RunArgs, color: bool) -> Result<RunOutcome, Failure> {
    // The report header's duration: from here to the decision.
    let started = std::time::Instant::now();
    let evidence = args.out.join("evidence");
    // Every problem of the policy in one round, before anything runs: the core's (tables,
    // gates, waivers...), then this command's sections (`[[command]]`, `[target]`...) and
    // every engine section, each planned by its engine.
    let mut checked: Option<(RunConfig, Vec<(String, Job)>)> = None;
    let (loaded, git, candidate) = crate::pipeline::load_checked(
        &args.policy,
        args.env.as_deref(),
        args.commit.as_deref(),
        color,
        |text| {
            let (config, mut problems) = gonogo_core::settings::from_str_all::<RunConfig>(text);
            if let Some(config) = config {
                // A command's timeout too, before the first command runs, at its key.
                let document = toml::de::DeTable::parse(text).ok();
                let root = document.as_ref().map(|d| d.get_ref());
                for (index, command) in config.commands.iter().enumerate() {
                    let section = command.get_ref();
                    if let Some(timeout) = &section.timeout
                        && let Err(error) = gonogo_core::duration::parse(timeout)
                    {
                        let path = [
                            crate::engines::Step::Key("command"),
                            crate::engines::Step::Index(index),
                        ];
                        let span = key_spans(root, &path)
                            .into_iter()
                            .find(|(key, _)| key == "timeout")
                            .map_or_else(|| command.span(), |(_, span)| span);
                        problems.push(Problem {
                            message: format!("[[command]] `{}`: timeout: {error}", section.name),
                            span,
                            label: "this key".into(),
                            help: None,
                        });
                    }
                }
                match plan(&config, text, &evidence, &args.policy) {
                    Ok(jobs) => checked = Some((config, jobs)),
                    Err(found) => problems.extend(found),
                }
            }
            problems
        },
    )?;
    let env = loaded.policy.env.clone();
    let text = &loaded.text;
    let Some((config, jobs)) = checked else {
        // Not reached: without a configuration the policy had problems, reported above.
        return Err(Failure::reported(Exit::Usage));
    };
    let hook = crate::notify::configure(
        &args.notify,
        &loaded.path,
        text,
        |name| std::env::var(name).ok(),
        color,
    )?;
    if args.rollback_drill && config.rollback.is_none() {
        eprintln!("error: --rollback-drill needs a [rollback] section (docs/delivery.md)");
        return Err(Failure::reported(Exit::Usage));
    }
    // A [rollback] that cannot run stops the run now, not after the engines.
    if let Some(section) = config.rollback.as_ref().filter(|_| args.rollback_drill)
        && let Err(e) = crate::rollback::settings(
            section,
            config.target.base_url.as_deref(),
            &config.targets.allow,
        )
    {
        eprintln!("error: {}", Inert(&e));
        return Err(Failure::reported(Exit::Usage));
    }
    let policy_dir = crate::pipeline::policy_folder(&args.policy);
    let logs = args.out.join("logs");
    // One run per output folder (held until the reports are written), and Ctrl-C/SIGTERM end
    // the running command's process group instead of orphaning it.
    let _lock = Folder::lock(&args.out, args.wait)?;
    crate::interrupt::install()?;
    let store = Folder::new(&evidence).with_verdict(VerdictAt::Reports(args.out.clone()));
    store.clear().map_err(Failure::usage)?;
    let total = 5;
    let now = || args.now.unwrap_or_else(jiff::Timestamp::now);
    let collect_options = collect_options(&loaded.policy, now());

    // 1. Context.
    step(1, total, "context: git repository and CI run");
    if let Some(env) = &env {
        eprintln!("  judged with the [env.{env}] profile");
    } else {
        eprintln!("  judged without an environment profile");
    }
    let git = match git
        .ok_or(())
        .or_else(|()| GitContext::read(&policy_dir, &config.delivery))
    {
        Ok(context) => {
            eprintln!(
                "  commit {} on {}{} → {}",
                &context.commit[..12],
                context.branch.as_deref().unwrap_or("a detached HEAD"),
                if context.tags.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", context.tags.join(", "))
                },
                serde_json::to_value(context.target)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            );
            store
                .put_evidence(&context.to_evidence(now()))
                .map_err(Failure::from)?;
            Some(context)
        }
        Err(e) => {
            eprintln!(
                "  {}: judged without a commit (run inside a git checkout, or pass --commit)",
                Inert(&e.to_string())
            );
            None
        }
    };
    if let Some(options) = &config.delivery.dora {
        dora_into(&policy_dir, &config.delivery, options, &evidence, now())?;
    }
    let ci = CiContext::from_env(|name| std::env::var(name).ok());

    // 2. Commands.
    step(2, total, &format!("commands: {}", config.commands.len()));
    let secret_env = secret_env_names(&config);
    for command in &config.commands {
        if crate::interrupt::stopping() {
            break;
        }
        let command = command.get_ref();
        let timeout = command
            .timeout
            .as_deref()
            .map(|t| {
                parse_duration_seconds(t)
                    .ok_or_else(|| anyhow!("command `{}`: `{t}` is not a duration", command.name))
            })
            .transpose()
            .map_err(Failure::usage)?
            .unwrap_or(1800.0);
        let spec = CommandSpec {
            name: command.name.clone(),
            run: command.run.clone(),
            timeout: Duration::from_secs_f64(timeout),
            dir: Some(
                command
                    .dir
                    .as_ref()
                    .map_or_else(|| policy_dir.clone(), |d| policy_dir.join(d)),
            ),
            pass_env: command.pass_env.clone(),
            secret_env: secret_env.clone(),
            redactor: gonogo_core::redact::Redactor::new(),
        };
        let log = logs.join(format!(
            "{}.log",
            gonogo_delivery::command::metric_key(&command.name)
        ));
        eprintln!(
            "  ▶ {}: {}",
            Inert(&command.name),
            Inert(&gonogo_core::redact::redact(&command.run))
        );
        let outcome = run_command(&spec, &log, TailPolicy::default(), &mut StderrTail)
            .map_err(|e| Failure::usage(e.into()))?;
        eprintln!(
            "  {} {} in {:.1?} ({}; log {})",
            if outcome.succeeded() { "✓" } else { "✗" },
            command.name,
            outcome.duration,
            match (outcome.timed_out, outcome.exit_code) {
                _ if outcome.interrupted.is_some() => "stopped: gonogo was interrupted".to_owned(),
                (true, _) => "killed at its timeout".to_owned(),
                (false, Some(code)) => format!("exit {code}"),
                (false, None) => "killed by a signal".to_owned(),
            },
            log.display()
        );
        let mut record = outcome.to_evidence(now());
        if let Some(metric) = &command.metric {
            // The policy names the command's metric: `command.<metric>.exit_code`.
            let from = gonogo_delivery::command::metric_key(&command.name);
            let to = gonogo_core::catalog::segment(metric);
            record.metrics = std::mem::take(&mut record.metrics)
                .into_iter()
                .map(|(name, m)| {
                    (
                        name.replacen(&format!("command.{from}."), &format!("command.{to}."), 1),
                        m,
                    )
                })
                .collect();
        }
        store.put_evidence(&record).map_err(Failure::from)?;
        for (kind, paths) in &command.evidence {
            let spec_dir = spec.dir.clone().unwrap_or_else(|| policy_dir.clone());
            let n = collect_into(
                kind,
                &paths.patterns(),
                &spec_dir,
                &evidence,
                &collect_options,
                now(),
            );
            eprintln!(
                "    collected {n} {kind} record{}",
                if n == 1 { "" } else { "s" }
            );
            if n == 0 && command.dir.is_some() {
                // Issue 17: a first run lost its JUnit and coverage to this, silently.
                let up = command.dir.as_deref().map_or(0, |d| {
                    Path::new(d)
                        .components()
                        .filter(|c| matches!(c, std::path::Component::Normal(_)))
                        .count()
                });
                for pattern in paths.patterns() {
                    let beside_policy = policy_dir.join(&pattern);
                    if !Path::new(&pattern).is_absolute() && beside_policy.exists() {
                        eprintln!(
                            "    hint: {} exists beside the policy, but `evidence` paths are relative to the command's `dir` ({}): write \"{}{}\" or drop `dir`",
                            Inert(&beside_policy.display().to_string()),
                            Inert(&spec_dir.display().to_string()),
                            "../".repeat(up),
                            Inert(&pattern)
                        );
                    }
                }
            }
        }
    }

    // 3. Engines, with the drills (`[[fault]]`) running beside them.
    step(3, total, &format!("engines: {}", jobs.len()));
    let mut drill_args = Vec::new();
    let mut beside = Vec::new();
    let mut in_turn = Vec::new();
    for (label, job) in jobs {
        match job {
            Job::Drill(args) => drill_args.push(*args),
            Job::Beside(run) => beside.push((label, run)),
            Job::Run(run) => in_turn.push((label, run)),
        }
    }
    let drills = crate::drill::start(drill_args);
    let env = RunEnv {
        phases: drills.phases(),
        leak_scan: (!drills.is_empty()).then(crate::drill::leak_scan),
    };
    let run_one = |label: String, run: crate::engines::Run| {
        if crate::interrupt::stopping() {
            return;
        }
        eprintln!("  ▶ {label}");
        match run(&env) {
            Ok(_) => {}
            Err(e) => eprintln!(
                "  ✗ {label}: {} (its gates will have no evidence)",
                Inert(&gonogo_core::redact::redact(&format!("{e:#}")))
            ),
        }
    };
    // During drills, load and probes run at once, beside the drills' timelines, and record
    // per phase; the other engines follow them. Without drills, everything runs in turn.
    if drills.is_empty() {
        in_turn.splice(0..0, beside);
    } else {
        std::thread::scope(|scope| {
            for (label, run) in beside {
                scope.spawn(|| run_one(label, run));
            }
        });
    }
    for (label, run) in in_turn {
        run_one(label, run);
    }

    if !drills.is_empty() {
        drills.finish();
    }
    if let Some(section) = &config.rollback {
        drill_into(
            args,
            &config,
            section,
            &git,
            &policy_dir,
            &logs,
            &evidence,
            now(),
        )?;
    }

    // 4. Collectors.
    step(
        4,
        total,
        &format!(
            "collect: {} entr{}",
            config.collect.len(),
            if config.collect.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ),
    );
    for entry in config
        .collect
        .iter()
        .filter(|_| !crate::interrupt::stopping())
    {
        for (kind, paths) in entry.get_ref() {
            let n = collect_into(
                kind,
                &paths.patterns(),
                &policy_dir,
                &evidence,
                &collect_options,
                now(),
            );
            eprintln!("  {kind}: {n} record{}", if n == 1 { "" } else { "s" });
        }
    }

    // 5. Decision and reports: exactly what `gonogo gate` does on this run's evidence.
    step(5, total, "decision and reports");
    if let Some(commit) = &candidate.commit {
        store.stamp_commit(commit).map_err(Failure::evidence)?;
    }
    let judged_at = now();
    let records: Vec<Evidence> = store.evidence(judged_at)?;
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
            now: judged_at,
            baseline: baseline.as_ref(),
            candidate: &candidate,
            color,
        },
    )?;
    gate::stamp(&mut verdict, &loaded, git.as_ref(), ci.as_ref());
    // A run always has a context (an empty one outside git and CI), as before.
    verdict.context.get_or_insert_with(Default::default);
    verdict.duration = jiff::SignedDuration::try_from(started.elapsed()).ok();
    let document = gonogo_report::json::VerdictV1::from(&verdict);
    // The reports show each gate's earlier runs; the history records the verdict alone.
    let shown = || gate::Shown {
        trends: crate::history::trends(&args.history, &args.policy, &loaded, &verdict),
        comparison: None,
    };
    let html = store
        .put_verdict(
            &verdict,
            &shown,
            &gonogo_report::evidence_map(&records),
            args.lang,
        )?
        .unwrap_or_else(|| args.out.join("report.html"));
    crate::history::append_changes(
        &args.history,
        &args.policy,
        &loaded,
        &verdict,
        &args.out.join("report.md"),
    );
    crate::history::record(
        &args.history,
        &args.policy,
        &loaded,
        &document,
        &records,
        args.now,
        false,
    );
    let summary = if args.markdown {
        std::fs::read_to_string(args.out.join("report.md")).unwrap_or_default()
    } else {
        gonogo_report::terminal::render(
            &verdict,
            &gonogo_report::RenderContext::new(args.lang).with_color(color),
        )
    };
    gate::ignore_broken_pipe({
        use std::io::Write as _;
        write!(std::io::stdout(), "{summary}")
    })?;
    eprintln!(
        "reports written to {} (open {})",
        args.out.display(),
        html.display()
    );
    if crate::interrupt::stopped_by().is_none() {
        crate::notify::on_verdict(hook.as_ref(), &verdict);
    }
    Ok(RunOutcome {
        html,
        exit: match (crate::interrupt::stopped_by(), verdict.decision) {
            (Some(exit), _) => exit,
            (None, gonogo_core::verdict::Decision::Go) => Exit::Go,
            (None, gonogo_core::verdict::Decision::NoGo) => Exit::NoGo,
        },
    })
}
