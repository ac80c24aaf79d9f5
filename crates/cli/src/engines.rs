//! The engine registry: one line per engine ([`ENGINES`]), and the contract each line keeps.
//!
//! An engine is a policy section (`[load.NAME]`, `[[probe]]`, `[observe]`...) and the code that
//! measures what it says. Its [`Engine`] row gives:
//!
//! - **`schema`**: the JSON Schema of one section, which `gonogo schema policy` puts into the
//!   published policy schema under the section's name (so the schema covers every key);
//! - **`plan`**: the section read and checked, every problem found (each with its span, a
//!   caret at the key and a "did you mean"), or a [`Job`] ready to run. `gonogo run` plans
//!   every section of every engine before it runs anything;
//! - **`kinds`**: the evidence kinds the engine writes, hence its rows of the metric catalogue
//!   (`gonogo_catalog::CATALOG`, by their `kind`), which its crate exports as `METRICS`.
//!
//! Every engine's section is its configuration struct read straight from the TOML table by
//! serde ([`read_typed`]): the struct that is also the engine's clap flags (`gonogo load
//! --help`) and, through schemars, the section's schema, so the three cannot drift. Each value
//! is checked by the flag's own parser (`gonogo_core::settings`). Where the command line's
//! shape is not a section's, the engine has a config type of its own with the same keys and
//! parsers, which gives the flags' struct after its checks: `[harden]`
//! (`gonogo_harden::config::HardenConfig`) and `[[prometheus]]`
//! (`gonogo_probe::cli::prometheus::PrometheusConfig`, whose command line is a subcommand with
//! positional arguments).
//!
//! Adding an engine: its crate gives a config struct (`#[derive(clap::Args, Deserialize,
//! JsonSchema)]`, `#[serde(default, deny_unknown_fields)]`, the keys that are not settings
//! `#[serde(skip)]`) and a `run(config)`; its metrics are catalogue rows of its evidence kind
//! in its crate (`pub const METRICS`), listed by one line in `gonogo_catalog::CATALOG`; here, one
//! [`Engine`] row in [`ENGINES`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use gonogo_core::policy::Problem;
use serde::de::DeserializeOwned;

/// What a section is planned against: the run's settings and the policy's spans.
pub struct Context<'a> {
    /// `[target] base_url`.
    pub base_url: Option<&'a str>,
    /// `[targets] allow`: hosts besides loopback.
    pub allow: &'a [String],
    /// The sink: the run's evidence folder, where every engine's record goes.
    pub evidence: &'a Path,
    /// The policy's folder (relative paths in sections are from there).
    pub policy_dir: &'a Path,
    /// The policy's keys with their spans.
    pub root: Option<&'a toml::de::DeTable<'a>>,
}

/// One section of an engine in the policy.
pub struct Entry<'a> {
    /// How problems name it: `[load.api]`, `[[probe]] health`, `[observe]`.
    pub what: String,
    /// `[load.NAME]`'s NAME; a list entry's `name` key when it has one.
    pub name: Option<String>,
    pub table: &'a toml::Table,
    /// Where it is in the policy (keys and array indexes), for the carets.
    pub path: Vec<Step<'a>>,
    /// The section's own span (its header), for problems of the whole section.
    pub span: Range<usize>,
}

/// A step from a table of the policy to one of its values.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    Key(&'a str),
    /// An entry of an array of tables (`[[probe]]`).
    Index(usize),
}

/// How an engine's sections are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `[load.NAME]`: a table of named sections.
    Named,
    /// `[[probe]]`: an array of tables.
    List,
    /// `[observe]`: one table.
    Single,
}

/// What the engines get while they run.
pub struct RunEnv<'a> {
    /// The phases of the drills running meanwhile (`[[fault]]`): load and probes record their
    /// figures per phase. Empty without drills.
    pub phases: &'a [gonogo_probe::probe::PhaseWindow],
    /// Harden's leak detector for load's error bodies during drills (the engines never depend
    /// on each other: the binary hands it over).
    pub leak_scan: Option<gonogo_load::engine::LeakScan>,
}

/// An engine run with its configuration: its evidence goes to the sink of its [`Context`].
/// `Send`: during drills, load and probes run on threads of their own.
pub type Run = Box<dyn FnOnce(&RunEnv<'_>) -> anyhow::Result<std::process::ExitCode> + Send>;

/// A planned section, checked, ready to run.
pub enum Job {
    /// Runs while the other engines run (`[[fault]]`).
    Drill(Box<gonogo_fault::cli::FaultArgs>),
    /// Measures the service under the drills (load, probes): with drills, every such job
    /// starts at once beside them and records per phase; without, it runs in turn.
    Beside(Run),
    /// Runs in turn (after the drills, when there are drills).
    Run(Run),
}

/// One engine: see the module documentation.
pub struct Engine {
    /// The policy's key: `load`, `probe`...
    pub section: &'static str,
    pub layout: Layout,
    /// The JSON Schema of one section.
    pub schema: fn() -> serde_json::Value,
    /// Reads and checks one section.
    pub plan: fn(&Context<'_>, &Entry<'_>) -> Result<Job, Vec<Problem>>,
    /// The evidence kinds it writes: its catalogue rows are those of these kinds.
    pub kinds: &'static [&'static str],
    /// The standalone command's flags (`gonogo load`...), for the reference: each key's flag
    /// and default.
    pub flags: fn() -> clap::Command,
}

/// An engine's flags as a command.
fn flags_of<A: clap::Args>(name: &'static str) -> clap::Command {
    A::augment_args(clap::Command::new(name))
}

/// Every engine, in the order `gonogo run` runs them.
pub static ENGINES: &[Engine] = &[
    Engine {
        section: "load",
        flags: || flags_of::<gonogo_load::cli::LoadArgs>("load"),
        layout: Layout::Named,
        schema: typed_schema::<gonogo_load::cli::LoadArgs>,
        plan: plan_load,
        kinds: &["load"],
    },
    Engine {
        section: "probe",
        flags: || flags_of::<gonogo_probe::cli::probe::ProbeArgs>("probe"),
        layout: Layout::List,
        schema: typed_schema::<gonogo_probe::cli::probe::ProbeArgs>,
        plan: plan_probe,
        kinds: &["probe"],
    },
    Engine {
        section: "observe",
        flags: || flags_of::<gonogo_probe::cli::observe::ObserveArgs>("observe"),
        layout: Layout::Single,
        schema: typed_schema::<gonogo_probe::cli::observe::ObserveArgs>,
        plan: plan_observe,
        kinds: &["observe"],
    },
    Engine {
        section: "harden",
        flags: || flags_of::<gonogo_harden::cli::HardenArgs>("harden"),
        layout: Layout::Single,
        schema: typed_schema::<gonogo_harden::config::HardenConfig>,
        plan: crate::run::plan_harden,
        kinds: &["harden"],
    },
    Engine {
        section: "prometheus",
        flags: prometheus_flags,
        layout: Layout::List,
        schema: typed_schema::<gonogo_probe::cli::prometheus::PrometheusConfig>,
        plan: crate::run::plan_prometheus,
        kinds: &["prometheus"],
    },
    Engine {
        section: "fault",
        flags: || flags_of::<gonogo_fault::cli::FaultArgs>("fault"),
        layout: Layout::List,
        schema: typed_schema::<gonogo_fault::cli::FaultArgs>,
        plan: crate::run::plan_fault,
        // A drill writes no evidence: the probes watching meanwhile write `recovery.*`.
        kinds: &[],
    },
];

/// `gonogo prometheus`' flags as one command: `query`'s, and `rules`' own
/// (`--require-alert-on`, `--alertmanager`), the keys of a `[[prometheus]]` section.
fn prometheus_flags() -> clap::Command {
    use gonogo_probe::cli::prometheus::{PrometheusArgs, QueryArgs, RulesArgs};
    let about = flags_of::<PrometheusArgs>("prometheus")
        .get_about()
        .cloned()
        .unwrap_or_default();
    let rules = flags_of::<RulesArgs>("rules");
    let rules_only = rules
        .get_arguments()
        .filter(|a| matches!(a.get_id().as_str(), "require_alert_on" | "alertmanager"))
        .cloned()
        .collect::<Vec<_>>();
    flags_of::<QueryArgs>("prometheus")
        .about(about)
        .args(rules_only)
}

/// The engine that owns `section`.
#[cfg(test)]
pub fn engine(section: &str) -> Option<&'static Engine> {
    ENGINES.iter().find(|e| e.section == section)
}

/// A typed configuration's schema, as JSON.
pub fn typed_schema<T: schemars::JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}

/// The keys of the table at `path` in the policy, each with its span (for a caret at a
/// misspelt key); empty when there is no such table.
pub fn key_spans(
    root: Option<&toml::de::DeTable<'_>>,
    path: &[Step<'_>],
) -> Vec<(String, Range<usize>)> {
    let Some(table) = table_at(root, path) else {
        return Vec::new();
    };
    table
        .iter()
        .map(|(key, _)| (key.get_ref().to_string(), key.span()))
        .collect()
}

fn table_at<'a>(
    root: Option<&'a toml::de::DeTable<'a>>,
    path: &[Step<'_>],
) -> Option<&'a toml::de::DeTable<'a>> {
    let mut table = root?;
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let Step::Key(key) = step else {
            return None;
        };
        let value = table.get(*key)?;
        let value = match (value.get_ref(), steps.peek()) {
            (toml::de::DeValue::Array(items), Some(Step::Index(i))) => {
                steps.next();
                items.get(*i)?.get_ref()
            }
            (value, _) => value,
        };
        let toml::de::DeValue::Table(inner) = value else {
            return None;
        };
        table = inner;
    }
    Some(table)
}

/// The span of the last key of `path` (a section's header), or of the entry of an array.
fn section_span(root: Option<&toml::de::DeTable<'_>>, path: &[Step<'_>]) -> Range<usize> {
    let Some((last, parent)) = path.split_last() else {
        return 0..0;
    };
    match last {
        Step::Key(key) => key_spans(root, parent)
            .into_iter()
            .find(|(name, _)| name == key)
            .map_or(0..0, |(_, span)| span),
        Step::Index(i) => {
            let Some((Step::Key(key), grand)) = parent.split_last() else {
                return 0..0;
            };
            table_at(root, grand)
                .and_then(|t| t.get(*key))
                .and_then(|v| match v.get_ref() {
                    toml::de::DeValue::Array(items) => items.get(*i).map(toml::Spanned::span),
                    _ => None,
                })
                .unwrap_or(0..0)
        }
    }
}

/// Every section of every engine in `document` (the policy as a table), with where it is.
pub fn entries<'a>(
    engine: &Engine,
    document: &'a toml::Table,
    root: Option<&toml::de::DeTable<'_>>,
) -> Vec<Entry<'a>> {
    let section = engine.section;
    let Some(value) = document.get(section) else {
        return Vec::new();
    };
    let named = |table: &toml::Table| {
        table
            .get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let mut out = Vec::new();
    match (engine.layout, value) {
        (Layout::Named, toml::Value::Table(sections)) => {
            for (name, value) in sections {
                if let toml::Value::Table(table) = value {
                    let path = vec![Step::Key(section), Step::Key(name.as_str())];
                    out.push(Entry {
                        what: format!("[{section}.{name}]"),
                        name: Some(name.clone()),
                        table,
                        span: section_span(root, &path),
                        path,
                    });
                }
            }
        }
        (Layout::List, toml::Value::Array(items)) => {
            for (index, value) in items.iter().enumerate() {
                if let toml::Value::Table(table) = value {
                    let path = vec![Step::Key(section), Step::Index(index)];
                    let name = named(table);
                    out.push(Entry {
                        what: match &name {
                            Some(name) => format!("[[{section}]] {name}"),
                            None => format!("[[{section}]]"),
                        },
                        name,
                        table,
                        span: section_span(root, &path),
                        path,
                    });
                }
            }
        }
        (Layout::Single, toml::Value::Table(table)) => {
            let path = vec![Step::Key(section)];
            out.push(Entry {
                what: format!("[{section}]"),
                name: None,
                table,
                span: section_span(root, &path),
                path,
            });
        }
        // Another shape (`probe = 5`) is the core's to report.
        _ => {}
    }
    out
}

/// Plans every section of every engine: the jobs with their labels, or every problem of
/// every section.
pub fn plan_all(
    context: &Context<'_>,
    document: &toml::Table,
) -> Result<Vec<(String, Job)>, Vec<Problem>> {
    let mut jobs = Vec::new();
    let mut problems = Vec::new();
    for engine in ENGINES {
        for entry in entries(engine, document, context.root) {
            let label = match &entry.name {
                Some(name) => format!("{} {name}", engine.section),
                None => engine.section.to_owned(),
            };
            match (engine.plan)(context, &entry) {
                Ok(job) => jobs.push((label, job)),
                Err(found) => problems.extend(found),
            }
        }
    }
    // An empty message stands for problems already reported (unknown keys).
    problems.retain(|p| !p.message.is_empty());
    if problems.is_empty() {
        Ok(jobs)
    } else {
        Err(problems)
    }
}

/// Reads a section into an engine's typed configuration: every key on its own first (an
/// unknown key, or a value its flag's parser refuses, is a problem at the key, all of them at
/// once), then the whole section.
pub fn read_typed<T: DeserializeOwned + schemars::JsonSchema>(
    context: &Context<'_>,
    entry: &Entry<'_>,
) -> Result<T, Vec<Problem>> {
    let spans = key_spans(context.root, &entry.path);
    let schema = typed_schema::<T>();
    let known: Vec<&str> = schema["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    for (key, value) in entry.table {
        let span = spans
            .iter()
            .find(|(name, _)| name == key)
            .map_or_else(|| entry.span.clone(), |(_, span)| span.clone());
        // A sub-table (`[harden.auth]`) may hold several unknown keys: each is found, reported
        // at its key and taken out in turn.
        let mut value = value.clone();
        for _ in 0..MAX_NESTED_UNKNOWN {
            let mut one = toml::Table::new();
            one.insert(key.clone(), value.clone());
            let Err(error) = T::deserialize(toml::Value::Table(one)) else {
                break;
            };
            let message = error.message().trim().to_owned();
            let unknown = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned);
            let nested = unknown
                .as_deref()
                .filter(|field| field != key)
                .and_then(|field| path_to_key(&value, field));
            match (unknown, nested) {
                (Some(field), None) if field == *key => {
                    problems.push(unknown_key(&entry.what, key, span.clone(), &known, None));
                    break;
                }
                (Some(field), Some(path)) => {
                    let mut steps = entry.path.clone();
                    steps.push(Step::Key(key));
                    steps.extend(path.iter().map(|k| Step::Key(k.as_str())));
                    let at = key_spans(context.root, &steps)
                        .into_iter()
                        .find(|(name, _)| *name == field)
                        .map_or_else(|| span.clone(), |(_, span)| span);
                    let what = format!(
                        "{}.{}]",
                        entry.what.trim_end_matches(']'),
                        std::iter::once(key.as_str())
                            .chain(path.iter().map(String::as_str))
                            .collect::<Vec<_>>()
                            .join(".")
                    );
                    let expected: Vec<&str> = message
                        .split_once("expected")
                        .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect())
                        .unwrap_or_default();
                    problems.push(unknown_key(&what, &field, at, &expected, None));
                    remove_at(&mut value, &path, &field);
                }
                _ => {
                    problems.push(Problem {
                        message: format!("{}: `{key}`: {message}", entry.what),
                        span: span.clone(),
                        label: "this key".into(),
                        help: None,
                    });
                    break;
                }
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.span.start, p.span.end));
        return Err(problems);
    }
    T::deserialize(toml::Value::Table(entry.table.clone())).map_err(|error| {
        vec![Problem {
            message: format!("{}: {}", entry.what, error.message().trim()),
            span: entry.span.clone(),
            label: "in this section".into(),
            help: None,
        }]
    })
}

/// How many unknown keys one sub-table reports at most.
const MAX_NESTED_UNKNOWN: usize = 100;

/// The tables (from `value`) down to the first that holds `key`.
fn path_to_key(value: &toml::Value, key: &str) -> Option<Vec<String>> {
    let table = value.as_table()?;
    if table.contains_key(key) {
        return Some(Vec::new());
    }
    table.iter().find_map(|(name, inner)| {
        path_to_key(inner, key).map(|mut path| {
            path.insert(0, name.clone());
            path
        })
    })
}

fn remove_at(value: &mut toml::Value, path: &[String], key: &str) {
    let mut table = value.as_table_mut();
    for step in path {
        table = table
            .and_then(|t| t.get_mut(step))
            .and_then(toml::Value::as_table_mut);
    }
    if let Some(table) = table {
        table.remove(key);
    }
}

/// An unknown key's problem: a caret at the key and the closest keys the section takes.
pub fn unknown_key(
    what: &str,
    key: &str,
    span: Range<usize>,
    known: &[&str],
    otherwise: Option<String>,
) -> Problem {
    let suggestions = gonogo_core::suggest::closest(key, known.iter().copied());
    let help = match suggestions.as_slice() {
        [] => otherwise.unwrap_or_else(|| {
            format!(
                "{what} takes {}",
                known
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
        [one] => format!("did you mean `{one}`?"),
        many => format!(
            "did you mean one of {}?",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Problem {
        message: format!("{what}: unknown key `{key}`"),
        span,
        label: "unknown key".into(),
        help: Some(help),
    }
}

/// Keys given together that the engine's flags refuse together (clap's `conflicts_with`):
/// `concurrency` with `rate`, `body` with `body_file`...
fn conflicts<C: clap::Args>(context: &Context<'_>, entry: &Entry<'_>) -> Vec<Problem> {
    let command = C::augment_args(clap::Command::new("engine"));
    let spans = key_spans(context.root, &entry.path);
    let id_of = |key: &str| flag_of(&command, key).map(|a| a.get_id().to_string());
    let given: Vec<(String, String)> = entry
        .table
        .keys()
        .filter_map(|key| id_of(key).map(|id| (key.clone(), id)))
        .collect();
    let arg = |id: &str| command.get_arguments().find(|a| a.get_id() == id);
    // Either side may declare the conflict (`concurrency` names `rate`, not the reverse).
    let refuses = |a: &str, b: &str| {
        arg(a).is_some_and(|a| {
            command
                .get_arg_conflicts_with(a)
                .iter()
                .any(|c| c.get_id() == b)
        })
    };
    let mut problems = Vec::new();
    for (i, (key, id)) in given.iter().enumerate() {
        for (other_key, other_id) in &given[..i] {
            if !(refuses(id, other_id) || refuses(other_id, id)) {
                continue;
            }
            let span = spans
                .iter()
                .find(|(name, _)| name == key)
                .map_or_else(|| entry.span.clone(), |(_, span)| span.clone());
            problems.push(Problem {
                message: format!("{}: `{key}` cannot be used with `{other_key}`", entry.what),
                span,
                label: "this key".into(),
                help: None,
            });
        }
    }
    problems
}

/// The flag of a key: the argument of that id, else of its singular (`stages`: `stage`).
pub fn flag_of<'c>(command: &'c clap::Command, key: &str) -> Option<&'c clap::Arg> {
    let with_id = |id: &str| command.get_arguments().find(|a| a.get_id() == id);
    with_id(key).or_else(|| key.strip_suffix('s').and_then(with_id))
}

fn join_url(base: Option<&str>, url: Option<&str>, path: Option<&str>) -> Option<String> {
    if let Some(url) = url {
        return Some(url.to_owned());
    }
    let path = path.unwrap_or("/");
    base.map(|base| {
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    })
}

/// `[load.NAME]`: `gonogo load`'s configuration, read straight from the section.
fn plan_load(context: &Context<'_>, entry: &Entry<'_>) -> Result<Job, Vec<Problem>> {
    use gonogo_load::cli::LoadArgs;
    let mut problems = conflicts::<LoadArgs>(context, entry);
    let mut args = match read_typed::<LoadArgs>(context, entry) {
        Ok(args) => args,
        Err(found) => {
            problems.extend(found);
            return Err(problems);
        }
    };
    let section_problem = |message: String| Problem {
        message: format!("{}: {message}", entry.what),
        span: entry.span.clone(),
        label: "in this section".into(),
        help: None,
    };
    match &args.urls {
        Some(_) if args.url.is_some() || args.path.is_some() => problems.push(section_problem(
            "`urls` lists the URLs to load; leave out `url` and `path`".into(),
        )),
        Some(file) => {
            // Relative to the policy's folder, and read now: a wrong file (with its line)
            // stops the run before anything runs.
            let file: PathBuf = context.policy_dir.join(file);
            match gonogo_load::url_list::read_url_list(&file) {
                Ok(_) => args.urls = Some(file),
                Err(e) => problems.push(section_problem(format!("urls: {e}"))),
            }
        }
        None => match join_url(context.base_url, args.url.as_deref(), args.path.as_deref()) {
            Some(url) => args.url = Some(url),
            None => problems.push(section_problem(
                "needs `url`, or `path` with [target] base_url".into(),
            )),
        },
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    args.name = entry.name.clone().unwrap_or_default();
    if let Err(e) = gonogo_load::evidence::validate_name(&args.name) {
        return Err(vec![section_problem(e)]);
    }
    // The progress bar and one summary line on a terminal, nothing more in a CI log.
    args.brief = true;
    args.allow_host = context.allow.to_vec();
    args.evidence_dir = context.evidence.to_path_buf();
    Ok(Job::Beside(Box::new(move |env: &RunEnv<'_>| {
        // The drills' phases and leak check: the record then carries each metric per phase.
        args.phases = env.phases.to_vec();
        args.leak_scan = env.leak_scan.clone();
        gonogo_load::cli::run(args)
    })))
}

/// A problem of one key of a section (`[load.api]: ...`), the caret at that key (`spans`:
/// the section's, from [`key_spans`]), or at the section when the key is not written.
pub fn problem_at_key(
    entry: &Entry<'_>,
    spans: &[(String, Range<usize>)],
    key: &str,
    message: String,
) -> Problem {
    Problem {
        message: format!("{}: {message}", entry.what),
        span: spans
            .iter()
            .find(|(name, _)| name == key)
            .map_or_else(|| entry.span.clone(), |(_, span)| span.clone()),
        label: "this key".into(),
        help: None,
    }
}

/// Keys that need another (clap's `requires`): `warmup` without `watch`... A key set to
/// `false` asks for nothing.
fn requires(context: &Context<'_>, entry: &Entry<'_>, pairs: &[(&str, &str)]) -> Vec<Problem> {
    let spans = key_spans(context.root, &entry.path);
    pairs
        .iter()
        .filter(|(key, needed)| {
            entry
                .table
                .get(*key)
                .is_some_and(|v| v.as_bool() != Some(false))
                && !entry.table.contains_key(*needed)
        })
        .map(|(key, needed)| {
            problem_at_key(entry, &spans, key, format!("`{key}` needs `{needed}`"))
        })
        .collect()
}

/// `[[probe]]`: `gonogo probe`'s configuration, read straight from the section.
fn plan_probe(context: &Context<'_>, entry: &Entry<'_>) -> Result<Job, Vec<Problem>> {
    use gonogo_probe::cli::probe::ProbeArgs;
    let mut problems = conflicts::<ProbeArgs>(context, entry);
    problems.extend(requires(
        context,
        entry,
        &[
            ("warmup", "watch"),
            ("query_type", "resolver"),
            ("dns_tcp", "resolver"),
        ],
    ));
    let mut args = match read_typed::<ProbeArgs>(context, entry) {
        Ok(args) => args,
        Err(found) => {
            problems.extend(found);
            return Err(problems);
        }
    };
    let url = Some(args.url.as_str()).filter(|u| !u.is_empty());
    match join_url(context.base_url, url, args.path.as_deref()) {
        Some(url) => args.url = url,
        None => problems.push(Problem {
            message: format!(
                "{} needs `url`, or `path` with [target] base_url",
                entry.what
            ),
            span: entry.span.clone(),
            label: "in this section".into(),
            help: None,
        }),
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    args.allow_host = context.allow.to_vec();
    args.output.evidence_dir = context.evidence.to_path_buf();
    Ok(Job::Beside(Box::new(move |env: &RunEnv<'_>| {
        // The drills' phases: the record then carries each metric per phase.
        args.phases = env.phases.to_vec();
        gonogo_probe::cli::probe::run(args)
    })))
}

/// `[observe]`: `gonogo observe`'s configuration, read straight from the section.
fn plan_observe(context: &Context<'_>, entry: &Entry<'_>) -> Result<Job, Vec<Problem>> {
    use gonogo_probe::cli::observe::ObserveArgs;
    let mut problems = conflicts::<ObserveArgs>(context, entry);
    let mut args = match read_typed::<ObserveArgs>(context, entry) {
        Ok(args) => args,
        Err(found) => {
            problems.extend(found);
            return Err(problems);
        }
    };
    // A URL of its own, else the target's (unless it reads a saved file).
    if args.url.is_none() && args.file.is_none() {
        args.url = context.base_url.map(str::to_owned);
    }
    if args.url.is_none() {
        problems.extend(requires(
            context,
            entry,
            &[
                ("rescrape_after", "url"),
                ("health", "url"),
                ("discover_health", "url"),
                ("no_metrics", "url"),
            ],
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    args.allow_host = context.allow.to_vec();
    args.output.evidence_dir = context.evidence.to_path_buf();
    Ok(Job::Run(Box::new(move |_: &RunEnv<'_>| {
        gonogo_probe::cli::observe::run(args)
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evidence kinds written by what is not an engine section: collectors (`[[collect]]`,
    /// `[[command]] evidence`), the git and CI context, `[[command]]` itself, `[delivery.dora]`
    /// and the rollback drill.
    const COLLECTOR_KINDS: &[&str] = &[
        "junit", "coverage", "sarif", "audit", "k6", "ci", "dora", "command", "rollback", "git",
    ];

    /// Issue 16: every engine's schema is in the published policy schema, under its section.
    #[test]
    fn every_engine_schema_is_in_the_published_policy_schema() {
        let published: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/policy.schema.json"))
                .expect("schemas/policy.schema.json is JSON");
        let assembled = crate::schema::policy();
        assert_eq!(
            published, assembled,
            "schemas/policy.schema.json is stale: run `gonogo schema policy > schemas/policy.schema.json`"
        );
        for engine in ENGINES {
            // The section's schema, `$ref`erenced from the policy's property.
            let property = &published["properties"][engine.section];
            let reference = [
                &property["$ref"],
                &property["items"]["$ref"],
                &property["additionalProperties"]["$ref"],
            ]
            .into_iter()
            .find_map(|r| r.as_str())
            .unwrap_or_else(|| {
                panic!("[{}] is not an engine's schema: {property}", engine.section)
            });
            let section = &published["$defs"][reference.trim_start_matches("#/$defs/")];
            let own = (engine.schema)();
            let keys: Vec<&String> = own["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{} has no keys in its schema", engine.section))
                .keys()
                .collect();
            assert!(!keys.is_empty(), "{}", engine.section);
            for key in keys {
                assert_eq!(
                    section["properties"][key], own["properties"][key],
                    "[{}] key `{key}` is not in the published schema as its engine says",
                    engine.section
                );
            }
        }
    }

    /// Issue 16: every catalogue row belongs to exactly one engine, or to a collector named
    /// in `COLLECTOR_KINDS`.
    #[test]
    fn every_catalogue_row_belongs_to_exactly_one_engine_or_a_listed_collector() {
        for row in gonogo_catalog::CATALOG.rows() {
            let owners: Vec<&str> = ENGINES
                .iter()
                .filter(|e| e.kinds.contains(&row.kind))
                .map(|e| e.section)
                .chain(COLLECTOR_KINDS.iter().copied().filter(|k| *k == row.kind))
                .collect();
            assert_eq!(owners.len(), 1, "{}: owned by {owners:?}", row.pattern);
        }
        // And every engine that writes evidence owns at least one row.
        for engine in ENGINES {
            for kind in engine.kinds {
                assert!(
                    gonogo_catalog::CATALOG.rows().any(|r| r.kind == *kind),
                    "{}: no catalogue row of kind {kind}",
                    engine.section
                );
            }
        }
    }

    /// Issue 16: no engine is read through its flags any more: every section is a typed
    /// configuration that refuses unknown keys (`deny_unknown_fields`, in its schema as
    /// `additionalProperties: false`), with keys of its own.
    #[test]
    fn every_engine_section_is_a_typed_configuration_that_refuses_unknown_keys() {
        for engine in ENGINES {
            let schema = (engine.schema)();
            assert_eq!(
                schema["additionalProperties"],
                serde_json::Value::Bool(false),
                "[{}] takes unknown keys",
                engine.section
            );
            assert!(
                schema["properties"]
                    .as_object()
                    .is_some_and(|p| !p.is_empty()),
                "[{}] has no keys",
                engine.section
            );
        }
    }

    /// A typed section: defaults are the flags' defaults, values go through the flags'
    /// parsers, and every problem is found at its key in one reading.
    #[test]
    fn a_load_section_is_read_typed_with_every_problem_at_its_key() {
        let text = "[load.api]\npath = \"/x\"\nrate = 1e10\nrat = 5\nstages = [\"30s:10\", \"oops\"]\nconnections = 3\n";
        let document: toml::Table = toml::from_str(text).unwrap();
        let spans = toml::de::DeTable::parse(text).unwrap();
        let context = Context {
            base_url: Some("http://127.0.0.1:9"),
            allow: &[],
            evidence: Path::new("ev"),
            policy_dir: Path::new("."),
            root: Some(spans.get_ref()),
        };
        let problems = match plan_all(&context, &document) {
            Ok(_) => panic!("a bad section was planned"),
            Err(problems) => problems,
        };
        let at: Vec<&str> = problems.iter().map(|p| &text[p.span.clone()]).collect();
        assert_eq!(at, ["rate", "rat", "stages"], "{problems:#?}");
        assert_eq!(problems[1].help.as_deref(), Some("did you mean `rate`?"));
        assert!(
            problems[0].message.contains("above the highest rate"),
            "{problems:#?}"
        );
        assert!(problems[2].message.contains("oops"), "{problems:#?}");

        let good = "[load.api]\npath = \"/x\"\nrate = 20\nstage = \"10s:5\"\nexpect_status = \"200,2xx\"\n";
        let document: toml::Table = toml::from_str(good).unwrap();
        let spans = toml::de::DeTable::parse(good).unwrap();
        let context = Context {
            root: Some(spans.get_ref()),
            ..context
        };
        let entry = &entries(engine("load").unwrap(), &document, context.root)[0];
        let args: gonogo_load::cli::LoadArgs = read_typed(&context, entry).unwrap();
        assert_eq!(args.rate, Some(20.0));
        assert_eq!(args.stage, ["10s:5"]);
        assert_eq!(args.expect_status, ["200", "2xx"]);
        // The flags' defaults.
        assert_eq!(args.timeout, "10s");
        assert_eq!(args.method, "GET");
        assert_eq!(args.connections, gonogo_load::cli::DEFAULT_CONNECTIONS);
    }

    #[test]
    fn a_probe_section_is_read_typed_with_every_problem_at_its_key() {
        let text = "[[probe]]\nname = \"health\"\npath = \"/health\"\ninterval = 5\nwarmup = \"10s\"\nhealth = \"sometimes\"\n";
        let document: toml::Table = toml::from_str(text).unwrap();
        let spans = toml::de::DeTable::parse(text).unwrap();
        let context = Context {
            base_url: Some("http://127.0.0.1:9"),
            allow: &[],
            evidence: Path::new("ev"),
            policy_dir: Path::new("."),
            root: Some(spans.get_ref()),
        };
        let Err(mut problems) = plan_all(&context, &document) else {
            panic!("a bad probe was planned");
        };
        problems.sort_by_key(|p| p.span.start);
        let at: Vec<&str> = problems.iter().map(|p| &text[p.span.clone()]).collect();
        assert_eq!(at, ["interval", "warmup", "health"], "{problems:#?}");
        // The one duration syntax: a bare number is refused with its hint, as `--interval 5`.
        assert!(
            problems[0].message.contains("[[probe]] health"),
            "{problems:#?}"
        );
        assert!(
            problems[1].message.contains("`warmup` needs `watch`"),
            "{problems:#?}"
        );
        assert!(problems[2].message.contains("sometimes"), "{problems:#?}");

        let good =
            "[[probe]]\nname = \"health\"\npath = \"/health\"\nconditions = \"[STATUS] == 200\"\n";
        let document: toml::Table = toml::from_str(good).unwrap();
        let spans = toml::de::DeTable::parse(good).unwrap();
        let context = Context {
            root: Some(spans.get_ref()),
            ..context
        };
        let entry = &entries(engine("probe").unwrap(), &document, context.root)[0];
        let args: gonogo_probe::cli::probe::ProbeArgs = read_typed(&context, entry).unwrap();
        assert_eq!(args.conditions, ["[STATUS] == 200"]);
        assert_eq!(args.path.as_deref(), Some("/health"));
        // The flags' defaults.
        assert_eq!(
            (args.interval.as_str(), args.method.as_str()),
            ("5s", "GET")
        );
        assert!(plan_all(&context, &document).is_ok());
    }

    fn context_of<'a>(spans: &'a toml::de::DeTable<'a>) -> Context<'a> {
        Context {
            base_url: Some("http://127.0.0.1:9"),
            allow: &[],
            evidence: Path::new("ev"),
            policy_dir: Path::new("."),
            root: Some(spans),
        }
    }

    /// Issue 16: `[[prometheus]]` and `[[fault]]` are typed too: a misspelt key in each is a
    /// problem with a caret at the key and a "did you mean", reported in the same round as
    /// another section's.
    #[test]
    fn misspelt_prometheus_and_fault_keys_are_reported_at_the_key_with_the_others() {
        let text = "[load.api]\npath = \"/x\"\nrat = 5\n\n\
                    [[prometheus]]\nname = \"up\"\nurl = \"http://127.0.0.1:9090\"\nquery = \"up\"\nstpe = \"1m\"\n\n\
                    [[fault]]\nname = \"redis\"\nlisten = \"127.0.0.1:6380\"\nupstrem = \"127.0.0.1:6379\"\n";
        let document: toml::Table = toml::from_str(text).unwrap();
        let spans = toml::de::DeTable::parse(text).unwrap();
        let Err(mut problems) = plan_all(&context_of(spans.get_ref()), &document) else {
            panic!("misspelt keys were planned");
        };
        problems.sort_by_key(|p| p.span.start);
        let at: Vec<&str> = problems.iter().map(|p| &text[p.span.clone()]).collect();
        assert_eq!(at, ["rat", "stpe", "upstrem"], "{problems:#?}");
        let help: Vec<Option<&str>> = problems.iter().map(|p| p.help.as_deref()).collect();
        assert_eq!(
            help,
            [
                Some("did you mean `rate`?"),
                Some("did you mean `step`?"),
                Some("did you mean `upstream`?")
            ]
        );
        assert_eq!(problems[1].message, "[[prometheus]] up: unknown key `stpe`");
        assert_eq!(
            problems[2].message,
            "[[fault]] redis: unknown key `upstrem`"
        );
    }

    /// What clap checks between `gonogo prometheus query`'s flags is checked between a
    /// section's keys, each at its key; values go through the flags' parsers.
    #[test]
    fn prometheus_keys_are_checked_together_and_by_the_flags_parsers() {
        let text = "[[prometheus]]\nname = \"errs\"\nurl = \"http://127.0.0.1:9090\"\nkind = \"ratio\"\nerrors = \"e\"\nseries = \"up\"\nlast = \"5m\"\n\n\
                    [[prometheus]]\nname = \"a.b\"\nurl = \"http://127.0.0.1:9090\"\nquery = \"up\"\ntimeout = 30\n\n\
                    [[prometheus]]\nurl = \"http://127.0.0.1:9090\"\nrules = true\nquery = \"up\"\n";
        let document: toml::Table = toml::from_str(text).unwrap();
        let spans = toml::de::DeTable::parse(text).unwrap();
        let Err(mut problems) = plan_all(&context_of(spans.get_ref()), &document) else {
            panic!("bad prometheus sections were planned");
        };
        problems.sort_by_key(|p| (p.span.start, p.message.clone()));
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (&text[p.span.clone()], p.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("kind", "[[prometheus]] errs: `kind` needs `window`"),
                ("kind", "[[prometheus]] errs: this `kind` needs `total`"),
                (
                    "series",
                    "[[prometheus]] errs: `series` belongs to another kind than `ratio`"
                ),
                (
                    "last",
                    "[[prometheus]] errs: `last` cannot be used with `kind`"
                ),
                (
                    "name",
                    "[[prometheus]] a.b: `name`: `a.b`: a name is not empty and has no dots"
                ),
                // `timeout = 30` is refused as `--timeout 30` is.
                (
                    "timeout",
                    "[[prometheus]] a.b: `timeout`: `30` needs a unit: write `30s` for seconds or `30ms` for milliseconds"
                ),
                (
                    "query",
                    "[[prometheus]]: `query` is a query's: leave it out with `rules = true`"
                ),
            ],
            "{problems:#?}"
        );
        let good = "[[prometheus]]\nname = \"up\"\nurl = \"http://127.0.0.1:9090\"\nquery = \"up\"\nlast = \"1h\"\ntimeout = \"5s\"\n";
        let document: toml::Table = toml::from_str(good).unwrap();
        let spans = toml::de::DeTable::parse(good).unwrap();
        let context = context_of(spans.get_ref());
        let entry = &entries(engine("prometheus").unwrap(), &document, context.root)[0];
        let config: gonogo_probe::cli::prometheus::PrometheusConfig =
            read_typed(&context, entry).unwrap();
        let args = config
            .into_args(vec!["db.example".into()], PathBuf::from("ev"))
            .unwrap();
        let gonogo_probe::cli::prometheus::PrometheusCommand::Query(query) = args.command else {
            panic!("a query section is a query");
        };
        assert_eq!(query.promql.as_deref(), Some("up"));
        assert_eq!(query.last.as_deref(), Some("1h"));
        assert_eq!(query.server.url, "http://127.0.0.1:9090");
        assert_eq!(query.server.timeout, 5.0);
        assert_eq!(query.server.allow_host, ["db.example"]);
        assert_eq!(query.output.evidence_dir, Path::new("ev"));
        // The flags' defaults.
        assert_eq!(
            (query.step.as_str(), query.reduce.as_str()),
            ("15s", "last")
        );
        assert_eq!(query.server.bearer_env, "GONOGO_PROMETHEUS_TOKEN");
    }

    /// A `[[fault]]` section is `gonogo fault`'s flags' struct: values through the flags'
    /// parsers, the flags' defaults, and the two keys a command line requires.
    #[test]
    fn a_fault_section_is_read_typed() {
        let text = "[[fault]]\nname = \"db\"\nlisten = \"127.0.0.1:5433\"\nupstream = \"127.0.0.1:5432\"\nsteps = \"db-down reset at=1s for=2s\"\n\n\
                    [[fault]]\nname = \"x\"\nupstream = \"127.0.0.1:5432\"\nmax_connections = 0\n\n\
                    [[fault]]\nname = \"y\"\nlisten = \"127.0.0.1:5434\"\nduration = \"2s\"\n";
        let document: toml::Table = toml::from_str(text).unwrap();
        let spans = toml::de::DeTable::parse(text).unwrap();
        let context = context_of(spans.get_ref());
        let Err(mut problems) = plan_all(&context, &document) else {
            panic!("bad fault sections were planned");
        };
        problems.sort_by_key(|p| p.span.start);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert_eq!(&text[problems[0].span.clone()], "max_connections");
        assert!(
            problems[1].message.contains("[[fault]] y needs `upstream`"),
            "{problems:#?}"
        );
        let entries = entries(engine("fault").unwrap(), &document, context.root);
        let args: gonogo_fault::cli::FaultArgs = read_typed(&context, &entries[0]).unwrap();
        assert_eq!(args.name, "db");
        assert_eq!(args.listen, Some("127.0.0.1:5433".parse().unwrap()));
        assert_eq!(args.steps.len(), 1);
        assert_eq!(args.steps[0].name, "db-down");
        // The flags' defaults.
        assert_eq!(args.max_connections, 1024);
        assert_eq!(args.connect_timeout, std::time::Duration::from_secs(5));
        assert!(plan_fault_of(&context, &entries[0]));
    }

    fn plan_fault_of(context: &Context<'_>, entry: &Entry<'_>) -> bool {
        matches!(crate::run::plan_fault(context, entry), Ok(Job::Drill(_)))
    }

    #[test]
    fn keys_the_flags_refuse_together_are_refused_together() {
        let text = "[load.api]\nconcurrency = 5\nrate = 10\n";
        let document: toml::Table = toml::from_str(text).unwrap();
        let spans = toml::de::DeTable::parse(text).unwrap();
        let context = Context {
            base_url: Some("http://127.0.0.1:9"),
            allow: &[],
            evidence: Path::new("ev"),
            policy_dir: Path::new("."),
            root: Some(spans.get_ref()),
        };
        let Err(problems) = plan_all(&context, &document) else {
            panic!("concurrency with rate was planned");
        };
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0]
                .message
                .contains("`rate` cannot be used with `concurrency`"),
            "{problems:#?}"
        );
        assert_eq!(&text[problems[0].span.clone()], "rate");
    }
}
