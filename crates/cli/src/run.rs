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
//! Engine sections are the engine's own command-line flags written as TOML keys
//! (`rate = 200` is `--rate 200`; a list repeats the flag; `true` is a bare flag), so each
//! setting has one definition and one documentation: `gonogo load --help` and friends. They
//! are all checked before anything runs. `[load.NAME] urls = "urls.txt"` (`--urls`, several
//! URLs with weights) names a file relative to the policy's folder, like `[[command]] dir`
//! and `[[collect]]`; it is read and checked at that point too.
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

use crate::diagnostics::render_problems;
use crate::exit::{Exit, Failure};
use crate::gate;
use crate::store::{Folder, Store as _, VerdictAt, WriteStore as _};

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
The policy's [target], [[command]], [load.NAME], [[probe]], [observe], [harden],
[[prometheus]] and [[collect]] sections say what to run; its gates say what must hold.
Engine sections take the engine's own flags as keys: see `gonogo load --help`,
`gonogo probe --help`, `gonogo observe --help`, `gonogo harden --help`,
`gonogo prometheus query --help`.

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
    #[serde(default)]
    pub load: BTreeMap<String, Spanned<toml::Table>>,
    #[serde(default, rename = "probe")]
    pub probes: Vec<Spanned<toml::Table>>,
    pub observe: Option<Spanned<toml::Table>>,
    pub harden: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub prometheus: Vec<Spanned<toml::Table>>,
    pub rollback: Option<crate::rollback::RollbackSection>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<Spanned<toml::Table>>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// The running service every engine section is relative to.
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsSection {
    /// Hosts besides loopback that engines may contact.
    #[serde(default)]
    pub allow: Vec<String>,
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

/// One engine invocation, checked before anything runs.
enum Job {
    Load(Box<gonogo_load::cli::LoadArgs>),
    Probe(Box<gonogo_probe::cli::probe::ProbeArgs>),
    Observe(Box<gonogo_probe::cli::observe::ObserveArgs>),
    Harden(Box<gonogo_harden::cli::HardenArgs>),
    Prometheus(Box<gonogo_probe::cli::prometheus::PrometheusArgs>),
    /// A drill: started before the other engines, which run while it does (`drill`).
    Fault(Box<gonogo_fault::cli::FaultArgs>),
}

struct PlannedJob {
    label: String,
    job: Job,
}

#[derive(clap::Parser)]
struct LoadCommand {
    #[command(flatten)]
    args: gonogo_load::cli::LoadArgs,
}

#[derive(clap::Parser)]
struct ProbeCommand {
    #[command(flatten)]
    args: gonogo_probe::cli::probe::ProbeArgs,
}

#[derive(clap::Parser)]
struct ObserveCommand {
    #[command(flatten)]
    args: gonogo_probe::cli::observe::ObserveArgs,
}

#[derive(clap::Parser)]
struct HardenCommand {
    #[command(flatten)]
    args: gonogo_harden::cli::HardenArgs,
}

#[derive(clap::Parser)]
struct FaultCommand {
    #[command(flatten)]
    args: gonogo_fault::cli::FaultArgs,
}

#[derive(clap::Parser)]
struct PrometheusCommand {
    #[command(flatten)]
    args: gonogo_probe::cli::prometheus::PrometheusArgs,
}

/// An engine section for the reference (`gonogo schema reference`): its title, the engine's
/// clap command (whose flags are the section's keys) and the keys that stand for its
/// positional arguments, with what they mean.
pub type EngineSection = (
    &'static str,
    clap::Command,
    &'static [(&'static str, &'static str)],
);

/// The engine sections of a policy, in the order the reference lists them.
pub fn engine_sections() -> Vec<EngineSection> {
    use clap::CommandFactory as _;
    vec![
        (
            "[load.NAME]",
            LoadCommand::command(),
            &[
                (
                    "url",
                    "the URL to load (default: `[target] base_url` joined with `path`)",
                ),
                ("path", "a path under `[target] base_url`"),
                ("urls", "a file of URLs, one per line (`--urls`)"),
            ],
        ),
        (
            "[[probe]]",
            ProbeCommand::command(),
            &[
                ("name", "the probe's name: its metrics are `probe.NAME.*`"),
                (
                    "url",
                    "the URL to probe (default: `[target] base_url` joined with `path`)",
                ),
                ("path", "a path under `[target] base_url`"),
            ],
        ),
        (
            "[observe]",
            ObserveCommand::command(),
            &[(
                "url",
                "the /metrics URL (default: `[target] base_url` + `/metrics`)",
            )],
        ),
        ("[harden]", HardenCommand::command(), &[]),
        ("[[fault]]", FaultCommand::command(), &[]),
        (
            "[[prometheus]]",
            PrometheusCommand::command(),
            &[
                ("name", "the query's name: its metric is `prometheus.NAME`"),
                ("url", "the Prometheus server"),
                ("query", "the PromQL query"),
                ("rules", "a rules file to check"),
            ],
        ),
    ]
}

/// The TOML key of a repeatable flag: its plural (`conditions` for `--condition`).
pub fn plural_of(long: &str) -> Option<String> {
    PLURAL_FLAGS
        .iter()
        .find(|(_, one)| *one == long)
        .map(|(plural, _)| (*plural).to_owned())
}

/// TOML keys whose list values name a repeatable flag in the singular.
const PLURAL_FLAGS: &[(&str, &str)] = &[
    ("conditions", "condition"),
    ("headers", "header"),
    ("stages", "stage"),
    ("requires", "require"),
    ("log_fields", "log-field"),
    ("paths", "path"),
    ("protected", "protected"),
    ("json_endpoints", "json-endpoint"),
    ("require_alert_on", "require-alert-on"),
    ("steps", "step"),
];

/// A table as command-line flags: `rate = 200` → `--rate 200`, `http2 = true` → `--http2`,
/// `headers = ["a: b"]` → `--header 'a: b'`. Keys in `skip` are left out.
fn table_argv(table: &toml::Table, skip: &[&str]) -> Result<Vec<String>, String> {
    let mut argv = Vec::new();
    for (key, value) in table {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let flag = PLURAL_FLAGS
            .iter()
            .find(|(plural, _)| plural == key)
            .map_or_else(
                || key.replace('_', "-"),
                |(_, singular)| (*singular).to_owned(),
            );
        let scalar = |v: &toml::Value| -> Result<String, String> {
            match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(i) => Ok(i.to_string()),
                toml::Value::Float(f) => Ok(f.to_string()),
                other => Err(format!(
                    "`{key}` takes a string or a number, found {}",
                    other.type_str()
                )),
            }
        };
        match value {
            toml::Value::Boolean(true) => argv.push(format!("--{flag}")),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                for item in items {
                    argv.push(format!("--{flag}={}", scalar(item)?));
                }
            }
            // `--flag=value` in one word, so a value that starts with `-` (`expect = "-ERR"`,
            // `offset = -5`) is not taken for a flag.
            other => argv.push(format!("--{flag}={}", scalar(other)?)),
        }
    }
    Ok(argv)
}

fn join_url(base: Option<&str>, table: &toml::Table, what: &str) -> Result<String, String> {
    if let Some(url) = table.get("url").and_then(toml::Value::as_str) {
        return Ok(url.to_owned());
    }
    let path = table
        .get("path")
        .and_then(toml::Value::as_str)
        .unwrap_or("/");
    match base {
        Some(base) => Ok(format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        )),
        None => Err(format!(
            "{what} needs `url`, or `path` with [target] base_url"
        )),
    }
}

/// `--urls FILE` for a `[load.NAME]` section, the file already resolved against the policy's
/// folder; it is read now, so a wrong file (with its line) stops the run before anything runs.
fn load_urls_argv(file: &Path, what: &str) -> Result<Vec<String>, String> {
    gonogo_load::url_list::read_url_list(file).map_err(|e| format!("{what}: urls: {e}"))?;
    Ok(vec!["--urls".to_owned(), file.display().to_string()])
}

fn section_problem(message: String, span: Range<usize>) -> Problem {
    Problem {
        message,
        span,
        label: "in this section".into(),
        help: None,
    }
}

fn clap_problem(error: clap::Error, span: Range<usize>, what: &str) -> Problem {
    let rendered = error.render().to_string();
    let first = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid settings")
        .trim_start_matches("error: ")
        .to_owned();
    Problem {
        message: format!("{what}: {first}"),
        span,
        label: "in this section".into(),
        help: Some(
            "engine sections take the engine's flags as keys (`rate = 200` is `--rate 200`)".into(),
        ),
    }
}

/// A section's command line: `head`, then its keys as flags (less `skip`), then `shared`.
fn section_argv(
    head: Vec<String>,
    table: &toml::Table,
    skip: &[&str],
    shared: &[String],
    what: &str,
) -> Result<Vec<String>, String> {
    let mut argv = head;
    argv.extend(table_argv(table, skip).map_err(|e| format!("{what}: {e}"))?);
    argv.extend(shared.iter().cloned());
    Ok(argv)
}

/// Parses a section's command line with the engine's own clap struct.
fn parse_section<C: clap::Parser>(
    argv: Result<Vec<String>, String>,
    span: Range<usize>,
    what: &str,
) -> Result<C, Problem> {
    let argv = argv.map_err(|e| section_problem(e, span.clone()))?;
    C::try_parse_from(&argv).map_err(|e| clap_problem(e, span, what))
}

fn owned(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| (*p).to_owned()).collect()
}

/// A step from a table of the policy to one of its values.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    /// An entry of an array of tables (`[[probe]]`).
    Index(usize),
}

/// The keys of the table at `path` in the policy, each with its span (for a caret at a
/// misspelt key); empty when there is no such table.
fn key_spans(
    root: Option<&toml::de::DeTable<'_>>,
    path: &[Step<'_>],
) -> Vec<(String, Range<usize>)> {
    let Some(mut table) = root else {
        return Vec::new();
    };
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let Step::Key(key) = step else {
            return Vec::new();
        };
        let Some(value) = table.get(*key) else {
            return Vec::new();
        };
        let value = match (value.get_ref(), steps.peek()) {
            (toml::de::DeValue::Array(items), Some(Step::Index(i))) => {
                steps.next();
                match items.get(*i) {
                    Some(item) => item.get_ref(),
                    None => return Vec::new(),
                }
            }
            (value, _) => value,
        };
        let toml::de::DeValue::Table(inner) = value else {
            return Vec::new();
        };
        table = inner;
    }
    table
        .iter()
        .map(|(key, _)| (key.get_ref().to_string(), key.span()))
        .collect()
}

/// The keys an engine section takes: the engine's flags (`rate` or `log_field` for
/// `--log-field`, the plural of a repeatable flag), plus `extra` (`url`, `path`...).
fn engine_keys<C: clap::CommandFactory>(extra: &[&str]) -> Vec<String> {
    fn with_subcommands(command: &clap::Command, out: &mut Vec<clap::Arg>) {
        out.extend(command.get_arguments().cloned());
        for sub in command.get_subcommands() {
            with_subcommands(sub, out);
        }
    }
    let mut args = Vec::new();
    with_subcommands(&C::command(), &mut args);
    let mut keys: Vec<String> = extra.iter().map(|k| (*k).to_owned()).collect();
    for arg in &args {
        let longs = arg
            .get_long()
            .into_iter()
            .chain(arg.get_all_aliases().unwrap_or_default());
        for long in longs {
            if matches!(long, "help" | "version") {
                continue;
            }
            keys.push(long.replace('-', "_"));
            keys.push(long.to_owned());
            if let Some((plural, _)) = PLURAL_FLAGS.iter().find(|(_, one)| *one == long) {
                keys.push((*plural).to_owned());
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Every key of a section that its engine does not take, as a problem with a caret at the key
/// and the closest keys it does take; the section without them, so its other settings are
/// still checked in the same round.
fn unknown_keys(
    table: &toml::Table,
    spans: &[(String, Range<usize>)],
    known: &[String],
    what: &str,
    fallback: Range<usize>,
    problems: &mut Vec<Problem>,
) -> toml::Table {
    let mut kept = table.clone();
    for key in table.keys() {
        if known.iter().any(|k| k == key) {
            continue;
        }
        kept.remove(key);
        let span = spans
            .iter()
            .find(|(name, _)| name == key)
            .map_or_else(|| fallback.clone(), |(_, span)| span.clone());
        let suggestions = gonogo_core::suggest::closest(key, known.iter().map(String::as_str));
        let help = match suggestions.as_slice() {
            [] => format!(
                "{what} takes the engine's flags as keys (`rate = 200` is `--rate 200`); \
                 see `gonogo {} --help`",
                what.trim_start_matches('[')
                    .split(['.', ']', ' '])
                    .next()
                    .unwrap_or_default()
            ),
            [one] => format!("did you mean `{one}`?"),
            many => format!(
                "did you mean one of {}?",
                many.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        problems.push(Problem {
            message: format!("{what}: unknown key `{key}`"),
            span,
            label: "unknown key".into(),
            help: Some(help),
        });
    }
    kept
}

/// The `[harden]` settings' unknown keys (the engine reads them with serde, which stops at
/// the first): each found, located and taken out in turn, so all are reported at once.
fn harden_unknown_keys(
    text: &str,
    root: Option<&toml::de::DeTable<'_>>,
    fallback: Range<usize>,
    problems: &mut Vec<Problem>,
) -> Result<(), String> {
    let mut policy: toml::Table =
        toml::from_str(text).map_err(|e| format!("[harden]: cannot read the policy: {e}"))?;
    let mut document = toml::Table::new();
    if let Some(harden) = policy.remove("harden") {
        document.insert("harden".to_owned(), harden);
    }
    let mut found = 0;
    loop {
        let attempt = toml::to_string(&document).map_err(|e| format!("[harden]: {e}"))?;
        let error = match gonogo_harden::cli::parse_policy(&attempt) {
            // Only unknown keys, all reported: nothing more to say about this section.
            Ok(_) => {
                return if found == 0 {
                    Ok(())
                } else {
                    Err(String::new())
                };
            }
            Err(error) => error,
        };
        // serde's words: "unknown field `pahts`, expected one of `paths`, `json_endpoints`".
        let unknown = error
            .split_once("unknown field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(key, rest)| (key.to_owned(), rest.to_owned()));
        let Some((key, rest)) = unknown else {
            // Another problem (a value of the wrong type...): reported as the engine says.
            return Err(error);
        };
        // Where the key is: [harden] itself or one of its sub-tables.
        let Some(path) = find_key(document.get("harden"), &key, &mut vec!["harden".to_owned()])
        else {
            return Err(error);
        };
        let steps: Vec<Step<'_>> = path[..path.len() - 1]
            .iter()
            .map(|k| Step::Key(k.as_str()))
            .collect();
        let span = key_spans(root, &steps)
            .into_iter()
            .find(|(name, _)| *name == key)
            .map_or_else(|| fallback.clone(), |(_, span)| span);
        let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        let suggestions = gonogo_core::suggest::closest(&key, expected.iter().copied());
        let section = path[..path.len() - 1].join(".");
        problems.push(Problem {
            message: format!("[{section}]: unknown key `{key}`"),
            span,
            label: "unknown key".into(),
            help: Some(match suggestions.as_slice() {
                [] => format!(
                    "[{section}] takes {}",
                    expected
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                [one] => format!("did you mean `{one}`?"),
                many => format!(
                    "did you mean one of {}?",
                    many.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        });
        found += 1;
        // Take it out and look for the next one.
        let mut table = &mut document;
        for step in &path[..path.len() - 1] {
            match table.get_mut(step).and_then(toml::Value::as_table_mut) {
                Some(inner) => table = inner,
                None => return Err(error),
            }
        }
        table.remove(&key);
        if found > 1000 {
            return Err(String::new());
        }
    }
}

/// The path (table names, then the key) of the first `key` in `value` and its sub-tables.
fn find_key(value: Option<&toml::Value>, key: &str, path: &mut Vec<String>) -> Option<Vec<String>> {
    let table = value?.as_table()?;
    if table.contains_key(key) {
        let mut found = path.clone();
        found.push(key.to_owned());
        return Some(found);
    }
    for (name, inner) in table {
        path.push(name.clone());
        let found = find_key(Some(inner), key, path);
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Every engine job, checked; or every problem found.
fn plan(
    config: &RunConfig,
    text: &str,
    evidence: &Path,
    policy_path: &Path,
) -> Result<Vec<PlannedJob>, Vec<Problem>> {
    let mut jobs = Vec::new();
    let mut problems = Vec::new();
    // The policy again, with the span of every key: a caret at a misspelt one.
    let document = toml::de::DeTable::parse(text).ok();
    let root = document.as_ref().map(|d| d.get_ref());
    // Unknown keys of every section are found first, all of them, each at its key; the
    // sections without them are then parsed by their engine for the values' problems.
    let mut key_problems: Vec<Problem> = Vec::new();
    let base = config.target.base_url.as_deref();
    // Flags every engine gets: the allowed hosts and the run's evidence folder.
    let mut shared: Vec<String> = config
        .targets
        .allow
        .iter()
        .flat_map(|h| ["--allow-host".to_owned(), h.clone()])
        .collect();
    shared.extend(["--evidence-dir".to_owned(), evidence.display().to_string()]);
    let mut add = |label: String, job: Result<Job, Problem>| match job {
        Ok(job) => jobs.push(PlannedJob { label, job }),
        Err(problem) => problems.push(problem),
    };

    let policy_dir = policy_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let load_keys = engine_keys::<LoadCommand>(&["url", "path", "urls"]);
    for (name, table) in &config.load {
        let what = format!("[load.{name}]");
        let entry = &unknown_keys(
            table.get_ref(),
            &key_spans(root, &[Step::Key("load"), Step::Key(name)]),
            &load_keys,
            &what,
            table.span(),
            &mut key_problems,
        );
        let target = match entry.get("urls") {
            None => join_url(base, entry, &what).map(|url| vec![url]),
            Some(toml::Value::String(file)) => {
                if entry.contains_key("url") || entry.contains_key("path") {
                    Err(format!(
                        "{what}: `urls` lists the URLs to load; leave out `url` and `path`"
                    ))
                } else {
                    load_urls_argv(&policy_dir.join(file), &what)
                }
            }
            Some(other) => Err(format!(
                "{what}: `urls` takes a file name, found {}",
                other.type_str()
            )),
        };
        let argv = target.and_then(|target| {
            let mut head = vec!["load".to_owned()];
            head.extend(target);
            // The progress bar and one summary line on a terminal, nothing more in a CI log.
            head.extend(["--name".into(), name.clone(), "--brief".into()]);
            section_argv(head, entry, &["url", "path", "urls"], &shared, &what)
        });
        let job = parse_section::<LoadCommand>(argv, table.span(), &what)
            .map(|c| Job::Load(Box::new(c.args)));
        add(format!("load {name}"), job);
    }
    let probe_keys = engine_keys::<ProbeCommand>(&["url", "path"]);
    for (index, table) in config.probes.iter().enumerate() {
        let name = table
            .get_ref()
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("probe")
            .to_owned();
        let what = format!("[[probe]] {name}");
        let entry = &unknown_keys(
            table.get_ref(),
            &key_spans(root, &[Step::Key("probe"), Step::Index(index)]),
            &probe_keys,
            &what,
            table.span(),
            &mut key_problems,
        );
        let argv = join_url(base, entry, &what).and_then(|url| {
            section_argv(
                vec!["probe".into(), url],
                entry,
                &["url", "path"],
                &shared,
                &what,
            )
        });
        let job = parse_section::<ProbeCommand>(argv, table.span(), &what)
            .map(|c| Job::Probe(Box::new(c.args)));
        add(format!("probe {name}"), job);
    }
    if let Some(table) = &config.observe {
        let entry = &unknown_keys(
            table.get_ref(),
            &key_spans(root, &[Step::Key("observe")]),
            &engine_keys::<ObserveCommand>(&["url"]),
            "[observe]",
            table.span(),
            &mut key_problems,
        );
        // A URL of its own, else the target's (unless it reads a saved file).
        let mut head = vec!["observe".to_owned()];
        match (entry.get("url").and_then(toml::Value::as_str), base) {
            (Some(url), _) => head.push(url.to_owned()),
            (None, Some(base)) if !entry.contains_key("file") => head.push(base.to_owned()),
            _ => {}
        }
        let argv = section_argv(head, entry, &["url"], &shared, "[observe]");
        let job = parse_section::<ObserveCommand>(argv, table.span(), "[observe]")
            .map(|c| Job::Observe(Box::new(c.args)));
        add("observe".into(), job);
    }
    if let Some(table) = &config.harden {
        // The harden engine reads its own [harden] section from the policy file: read it now
        // too, so a typo in it stops the run before any command runs (issue 15, defect 13).
        // Every unknown key of [harden] and its sub-tables at once, each with a caret.
        let settings = harden_unknown_keys(text, root, table.span(), &mut key_problems)
            .and_then(|()| {
                std::fs::read_to_string(policy_path)
                    .map_err(|e| format!("[harden]: cannot read the policy: {e}"))
            })
            .and_then(|text| {
                gonogo_harden::cli::parse_policy(&text)
                    .map(|_| ())
                    .map_err(|e| format!("[harden]: {e}"))
            });
        let argv = settings
            .and_then(|()| base.ok_or_else(|| "[harden] needs [target] base_url".to_owned()))
            .map(|base| {
                let mut argv = owned(&["harden", base, "--policy"]);
                argv.push(policy_path.display().to_string());
                argv.extend(shared.iter().cloned());
                argv
            });
        let job = parse_section::<HardenCommand>(argv, table.span(), "[harden]")
            .map(|c| Job::Harden(Box::new(c.args)));
        add("harden".into(), job);
    }
    let prometheus_keys = engine_keys::<PrometheusCommand>(&["url", "query", "rules", "name"]);
    for (index, table) in config.prometheus.iter().enumerate() {
        let name = table
            .get_ref()
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("query")
            .to_owned();
        let what = format!("[[prometheus]] {name}");
        let entry = &unknown_keys(
            table.get_ref(),
            &key_spans(root, &[Step::Key("prometheus"), Step::Index(index)]),
            &prometheus_keys,
            &what,
            table.span(),
            &mut key_problems,
        );
        let text = |key: &str| entry.get(key).and_then(toml::Value::as_str);
        let argv = match (text("url"), text("query")) {
            (None, _) => Err(format!("{what} needs `url`, the Prometheus server")),
            (Some(server), _)
                if entry.get("rules").and_then(toml::Value::as_bool) == Some(true) =>
            {
                let head = owned(&["prometheus", "rules", server]);
                section_argv(head, entry, &["url", "rules", "name"], &shared, &what)
            }
            (Some(server), Some(query)) => {
                let head = owned(&["prometheus", "query", server, query]);
                section_argv(head, entry, &["url", "query"], &shared, &what)
            }
            // `kind = "ratio"` (and availability, histogram): its own keys, no `query`.
            (Some(server), None) if entry.contains_key("kind") => {
                let head = owned(&["prometheus", "query", server]);
                section_argv(head, entry, &["url"], &shared, &what)
            }
            (Some(_), None) => Err(format!(
                "{what} needs `query`, or `kind` (ratio, availability, histogram) with its keys, or `rules = true`"
            )),
        };
        let job = parse_section::<PrometheusCommand>(argv, table.span(), &what).and_then(|c| {
            // Keys of another kind (`errors` with `kind = "histogram"`) stop the run now.
            if let gonogo_probe::cli::prometheus::PrometheusCommand::Query(query) = &c.args.command
                && let Err(message) = query.shaped()
            {
                return Err(section_problem(format!("{what}: {message}"), table.span()));
            }
            Ok(Job::Prometheus(Box::new(c.args)))
        });
        add(format!("prometheus {name}"), job);
    }
    let fault_keys = engine_keys::<FaultCommand>(&[]);
    for (index, table) in config.faults.iter().enumerate() {
        let name = table
            .get_ref()
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("link")
            .to_owned();
        let what = format!("[[fault]] {name}");
        let entry = &unknown_keys(
            table.get_ref(),
            &key_spans(root, &[Step::Key("fault"), Step::Index(index)]),
            &fault_keys,
            &what,
            table.span(),
            &mut key_problems,
        );
        // The allowed hosts, not the evidence folder: a drill writes no evidence of its own.
        let allow: Vec<String> = shared
            .chunks(2)
            .filter(|pair| pair[0] == "--allow-host")
            .flatten()
            .cloned()
            .collect();
        let argv = section_argv(vec!["fault".into()], entry, &[], &allow, &what);
        let job = parse_section::<FaultCommand>(argv, table.span(), &what).and_then(|c| {
            // The timeline and the dependency's address, checked before anything runs.
            c.args
                .timeline()
                .and_then(|_| c.args.upstream_addr())
                .map_err(|e| section_problem(format!("{what}: {e}"), table.span()))?;
            Ok(Job::Fault(Box::new(c.args)))
        });
        add(format!("fault {name}"), job);
    }
    // An empty message is a section whose only problems are its unknown keys (reported).
    problems.retain(|p| !p.message.is_empty());
    key_problems.extend(problems);
    if key_problems.is_empty() {
        Ok(jobs)
    } else {
        Err(key_problems)
    }
}

fn run_job(job: Job) -> anyhow::Result<std::process::ExitCode> {
    match job {
        Job::Load(args) => gonogo_load::cli::run(*args),
        Job::Probe(args) => gonogo_probe::cli::probe::run(*args),
        Job::Observe(args) => gonogo_probe::cli::observe::run(*args),
        // The verdict shows the findings; the audit's own table would flood a run's output.
        Job::Harden(args) => gonogo_harden::cli::run_to(*args, &mut std::io::sink()),
        Job::Prometheus(args) => gonogo_probe::cli::prometheus::run(*args),
        Job::Fault(args) => gonogo_fault::cli::run(*args),
    }
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
/// that cannot be read is evidence of nothing, and its gates say so.
pub fn collect_records(
    kind_name: &str,
    patterns: &[String],
    base: &Path,
    options: &CollectOptions,
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
        collected.extend(records);
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
) -> usize {
    let mut written = 0;
    for record in collect_records(kind_name, patterns, base, options) {
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
    let (loaded, git, candidate) = crate::pipeline::load_for_candidate(
        &args.policy,
        args.env.as_deref(),
        args.commit.as_deref(),
        color,
    )?;
    let env = loaded.policy.env.clone();
    let text = &loaded.text;
    let config: RunConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let problem = Problem {
            message: e.message().to_owned(),
            span,
            label: "here".into(),
            help: None,
        };
        eprint!("{}", render_problems(&loaded.path, text, &[problem], color));
        Failure::reported(Exit::Usage)
    })?;
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
    let evidence = args.out.join("evidence");
    let logs = args.out.join("logs");
    let jobs = plan(&config, text, &evidence, &args.policy).map_err(|problems| {
        eprint!("{}", render_problems(&loaded.path, text, &problems, color));
        Failure::reported(Exit::Usage)
    })?;
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
    let (drills, jobs): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|planned| matches!(planned.job, Job::Fault(_)));
    let drills = crate::drill::start(
        drills
            .into_iter()
            .filter_map(|planned| match planned.job {
                Job::Fault(args) => Some(*args),
                _ => None,
            })
            .collect(),
    );
    let run_planned = |planned: PlannedJob| {
        if crate::interrupt::stopping() {
            return;
        }
        eprintln!("  ▶ {}", planned.label);
        match run_job(planned.job) {
            Ok(_) => {}
            Err(e) => eprintln!(
                "  ✗ {}: {} (its gates will have no evidence)",
                planned.label,
                Inert(&gonogo_core::redact::redact(&format!("{e:#}")))
            ),
        }
    };
    // During drills, load and probes run at once, beside the drills' timelines, and record
    // per phase (`drill::beside`); the other engines follow them.
    let (beside, jobs): (Vec<_>, Vec<_>) = jobs.into_iter().partition(|planned| {
        !drills.is_empty() && matches!(planned.job, Job::Load(_) | Job::Probe(_))
    });
    std::thread::scope(|scope| {
        for mut planned in beside {
            match &mut planned.job {
                Job::Load(args) => drills.equip_load(args),
                Job::Probe(args) => drills.equip_probe(args),
                _ => {}
            }
            scope.spawn(move || run_planned(planned));
        }
    });
    for planned in jobs {
        run_planned(planned);
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
        .put_verdict(&verdict, &shown, &records, args.lang)?
        .unwrap_or_else(|| args.out.join("report.html"));
    crate::history::append_changes(
        &args.history,
        &args.policy,
        &loaded,
        &document,
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
        crate::notify::on_verdict(hook.as_ref(), &document);
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

#[cfg(test)]
mod tests {
    use super::table_argv;

    #[test]
    fn tables_become_flags() {
        let table: toml::Table = toml::from_str(
            "rate = 200\nduration = \"10s\"\nhttp2 = true\nquiet = false\nheaders = [\"a: b\", \"c: d\"]\n",
        )
        .unwrap();
        assert_eq!(
            table_argv(&table, &[]).unwrap(),
            [
                "--duration=10s",
                "--header=a: b",
                "--header=c: d",
                "--http2",
                "--rate=200"
            ]
        );
        let dashed: toml::Table = toml::from_str("expect = \"-ERR\"").unwrap();
        assert_eq!(table_argv(&dashed, &[]).unwrap(), ["--expect=-ERR"]);
        let nested: toml::Table = toml::from_str("x = { y = 1 }").unwrap();
        assert_eq!(
            table_argv(&nested, &[]).unwrap_err(),
            "`x` takes a string or a number, found table"
        );
    }
}
