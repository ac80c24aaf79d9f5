//! The history (issue 18): `gate` and `run` record every verdict, `--baseline` picks a run
//! from it, and `gonogo history` / `gonogo trend` read it.
//!
//! Where it is: `--history URL`, else `GONOGO_HISTORY`, else the policy's `[history] url`,
//! else `.gonogo/history.db` beside the policy. A history that cannot be written is a
//! warning: the verdict, its reports and its exit code never depend on it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use gonogo_core::eval::{Baseline, BaselineGate};
use gonogo_core::evidence::{Evidence, sha256_hex};
use gonogo_core::stats::Interval;
use gonogo_core::text::Inert;
use gonogo_core::units::{Dimension, format_base};
use gonogo_core::verdict::{BaselineRef, Verdict};
use gonogo_history::{
    Filter, GateRow, HistoryError, Location, NewRun, RunMeta, Selector, SeriesKey, SeriesPoint,
    Store, StoredRun,
};
use gonogo_report::json::VerdictV1;

use crate::exit::{Exit, Failure};
use crate::gate::LoadedPolicy;
use crate::store::{Folder, HistoryRun, Store as _};

/// Where `gate` and `run` record, and whether they do.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RecordArgs {
    /// Do not record this verdict in the history.
    #[arg(long)]
    pub no_history: bool,

    /// The history: a SQLite file, or a postgres:// URL. Default: the policy's `[history]
    /// url`, else .gonogo/history.db beside the policy.
    #[arg(
        long,
        env = "GONOGO_HISTORY",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub history: Option<String>,
}

/// The history's location for a policy.
pub fn location(flag: Option<&str>, policy_path: &Path, policy_text: Option<&str>) -> Location {
    let folder = crate::pipeline::policy_folder(policy_path);
    let from_policy = policy_text.and_then(|text| {
        let table: toml::Table = toml::from_str(text).ok()?;
        table
            .get("history")?
            .get("url")?
            .as_str()
            .map(str::to_owned)
    });
    let url = flag
        .map(str::to_owned)
        .or(from_policy)
        .unwrap_or_else(|| ".gonogo/history.db".to_owned());
    Location::parse(&url, &folder)
}

/// The service a policy's runs are kept under: its name.
pub fn service(loaded: &LoadedPolicy) -> String {
    loaded
        .policy
        .name
        .clone()
        .unwrap_or_else(|| "unnamed".to_owned())
}

/// Records a judged verdict; a failure is a warning and changes nothing else.
pub fn record(
    args: &RecordArgs,
    policy_path: &Path,
    loaded: &LoadedPolicy,
    document: &VerdictV1,
    records: &[Evidence],
    now_flag: Option<jiff::Timestamp>,
    quiet: bool,
) {
    if args.no_history {
        return;
    }
    let location = location(args.history.as_deref(), policy_path, Some(&loaded.text));
    let outcome = (|| -> Result<String, HistoryError> {
        let verdict_json = serde_json::to_string(document)
            .map_err(|e| HistoryError::Invalid(format!("the verdict does not serialise: {e}")))?;
        let mut store = gonogo_history::open(&location)?;
        let run = new_run(loaded, document, &verdict_json, records, now_flag);
        store.record(&run)
    })();
    match outcome {
        Ok(id) if !quiet => eprintln!("recorded as run {id} in {}", location.display()),
        Ok(_) => {}
        Err(error) => eprintln!(
            "warning: the verdict was not recorded in the history: {}\nhint: --no-history skips it; the verdict above stands",
            Inert(&error.to_string())
        ),
    }
}

/// Appends to the Markdown report what changed since the previous run of this service and
/// environment in the history (one line per changed gate), comparing the typed verdicts: the
/// previous run's stored verdict is read back through verdict.json's codec. Nothing when there
/// is no history, no previous run (or one whose verdict does not read back), or no change; a
/// failure is a warning.
pub fn append_changes(
    args: &RecordArgs,
    policy_path: &Path,
    loaded: &LoadedPolicy,
    verdict: &Verdict,
    report: &Path,
) {
    if args.no_history {
        return;
    }
    let location = location(args.history.as_deref(), policy_path, Some(&loaded.text));
    let env = loaded.policy.env.clone().unwrap_or_default();
    let previous = gonogo_history::open(&location)
        .and_then(|store| store.find(&service(loaded), &env, &Selector::Last, None));
    let Ok(Some(previous)) = previous else {
        return;
    };
    let Ok((before, _)) = gonogo_report::json::parse_verdict(&previous.verdict) else {
        return;
    };
    let since = format!(
        "run {} ({}, {})",
        previous.id,
        previous.meta.evaluated_at.strftime("%Y-%m-%d %H:%M"),
        previous.meta.decision
    );
    let section = gonogo_report::markdown::changes(&before, verdict, &since);
    if section.is_empty() {
        return;
    }
    let written = std::fs::read_to_string(report)
        .map_err(anyhow::Error::from)
        .and_then(|text| crate::fsutil::write_atomic(report, (text + &section).as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "warning: {}: the changes since the previous run were not added: {e:#}",
            report.display()
        );
    }
}

/// How many earlier runs a report's trend charts show.
const TREND_RUNS: usize = 20;

/// Each gate's earlier measurements from the history, for the reports' trend charts. The
/// history is only read: none is created for it, and a history that cannot be read leaves the
/// trends out (the reports are the same without them).
pub fn trends(
    args: &RecordArgs,
    policy_path: &Path,
    loaded: &LoadedPolicy,
    verdict: &Verdict,
) -> Vec<gonogo_report::json::TrendV1> {
    let mut shown = Vec::new();
    if args.no_history {
        return shown;
    }
    let location = location(args.history.as_deref(), policy_path, Some(&loaded.text));
    if let Location::Sqlite(path) = &location
        && !path.is_file()
    {
        return shown;
    }
    let Ok(store) = gonogo_history::open(&location) else {
        return shown;
    };
    let service = service(loaded);
    let env = verdict.env.clone().unwrap_or_default();
    for gate in &verdict.gates {
        let Ok(points) = store.series(
            &service,
            &env,
            &SeriesKey::Gate(gate.name.clone()),
            TREND_RUNS,
        ) else {
            return shown;
        };
        if points.is_empty() {
            continue;
        }
        shown.push(gonogo_report::json::TrendV1 {
            gate: gate.name.clone(),
            points: points
                .into_iter()
                .map(|p| gonogo_report::json::TrendPointV1 {
                    run: p.run,
                    evaluated_at: p.evaluated_at.to_string(),
                    decision: p.decision,
                    status: p.gate.status,
                    point: p.gate.point,
                    lower: p.gate.lower,
                    upper: p.gate.upper,
                    n: p.gate.n,
                    judged_in_past: p.judged_in_past,
                })
                .collect(),
        });
    }
    shown
}

fn new_run<'a>(
    loaded: &LoadedPolicy,
    document: &VerdictV1,
    verdict_json: &str,
    records: &'a [Evidence],
    now_flag: Option<jiff::Timestamp>,
) -> NewRun<'a> {
    let recorded_at = jiff::Timestamp::now();
    let evaluated_at = document.evaluated_at.parse().unwrap_or(recorded_at);
    let context = document.context.clone().unwrap_or_default();
    // Judged as of a moment more than a minute before the clock: a re-judgement.
    let judged_in_past = now_flag.is_some_and(|now| recorded_at.duration_since(now).as_secs() > 60);
    NewRun {
        meta: RunMeta {
            service: service(loaded),
            env: document.env.clone(),
            commit: context.commit,
            branch: context.branch,
            tags: context.tags,
            ci_run: context.ci_run_url,
            evaluated_at,
            recorded_at,
            judged_in_past,
            decision: document.verdict.clone(),
            policy_sha256: Some(loaded.sha256.clone()),
        },
        verdict: verdict_json.to_owned(),
        gates: document.gates.iter().map(gate_row).collect(),
        // Every record judged (the verdict cites those its gates used), so a stored run can
        // be judged again under another policy.
        records,
    }
}

fn gate_row(gate: &gonogo_report::json::GateV1) -> GateRow {
    let measured = gate.measured.as_ref();
    GateRow {
        name: gate.name.clone(),
        metric: gate.metric.clone(),
        aggregate: gate.aggregate.clone(),
        expect: gate.expect.clone(),
        status: gate.status.clone(),
        reason: gate.reason.clone(),
        unit: measured.map(|m| m.unit.clone()),
        point: measured.map(|m| m.point),
        lower: measured.and_then(|m| m.lower),
        upper: measured.and_then(|m| m.upper),
        pair: measured.and_then(|m| m.pair).map(|p| (p.lower, p.upper)),
        n: measured.and_then(|m| m.n),
        k: measured.and_then(|m| m.k),
        threshold: gate.threshold,
    }
}

/// `--baseline`: a verdict.json file (as before), or a run of the history: `last`, `last-go`,
/// a run id or a pinned name. The stored run's measurements are matched to this policy's gates
/// by metric and aggregate (never by gate name), with their n, k and pair intervals, so the
/// two-sample rules apply as with a verdict file.
pub fn read_baseline(
    value: Option<&Path>,
    args: &RecordArgs,
    policy_path: &Path,
    loaded: &LoadedPolicy,
) -> Result<Option<Baseline>, Failure> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.is_file() {
        return Folder::verdict_file(value).baseline(loaded).map(Some);
    }
    let text = value.to_string_lossy();
    let looks_like_a_file = text.contains('/') || text.ends_with(".json");
    let location = location(args.history.as_deref(), policy_path, Some(&loaded.text));
    let selector = Selector::parse(&text);
    if looks_like_a_file && !matches!(selector, Selector::Last | Selector::LastGo) {
        // The file's own error (missing, unreadable), as before.
        return Folder::verdict_file(value).baseline(loaded).map(Some);
    }
    let service = service(loaded);
    let env = loaded.policy.env.clone().unwrap_or_default();
    let store = gonogo_history::open(&location).map_err(|e| {
        Failure::usage(anyhow!(
            "--baseline {text}: the history cannot be read: {e}"
        ))
    })?;
    // `last` and `last-go` only pick a run judged under this very policy: a GO under a laxer
    // one (a dry run with another gonogo.toml) must not become the bar this one is held to.
    let found = match store.find(&service, &env, &selector, Some(&loaded.sha256)) {
        Ok(found) => found,
        Err(HistoryError::UnknownRun(_)) => {
            return Err(Failure::usage(anyhow!(
                "--baseline {text}: no such file, and no run or pinned name `{text}` in the history {}\nhint: `gonogo history` lists the runs; `gonogo history pin RUN --as NAME` names one",
                location.display()
            )));
        }
        Err(e) => return Err(Failure::usage(anyhow!("--baseline {text}: {e}"))),
    };
    let Some(run) = found else {
        eprintln!(
            "warning: --baseline {text}: the history {} has no {} run of `{}`{} judged under this policy (sha256 {}): relative gates have no baseline\nhint: runs judged under another version of the policy, or with --now in the past, are not picked; to compare with one anyway, `gonogo history pin RUN --as NAME` and pass --baseline NAME",
            location.display(),
            if selector == Selector::LastGo {
                "GO"
            } else {
                "earlier"
            },
            Inert(&service),
            if env.is_empty() {
                String::new()
            } else {
                format!(" in {env}")
            },
            &loaded.sha256[..loaded.sha256.len().min(12)]
        );
        return Ok(None);
    };
    eprintln!(
        "baseline: run {} ({}, {}, {})",
        run.id,
        run.meta.evaluated_at,
        run.meta.decision,
        run.meta
            .commit
            .as_deref()
            .map_or("no commit", |c| &c[..c.len().min(12)])
    );
    let run = HistoryRun {
        run,
        location,
        selector: text.into_owned(),
    };
    run.baseline(loaded).map(Some)
}

/// A run of the history named on the command line (`gate --run`, `gate --compare`): a run id
/// or a unique prefix of one, a pinned name, or `last` / `last-go` of the policy's service.
/// Never opens (or creates) a history that does not exist.
pub fn stored_run(
    value: &str,
    args: &RecordArgs,
    policy_path: &Path,
    policy_text: &str,
    env: Option<&str>,
) -> Result<HistoryRun, Failure> {
    let location = location(args.history.as_deref(), policy_path, Some(policy_text));
    if let Location::Sqlite(path) = &location
        && !path.is_file()
    {
        return Err(Failure::usage(anyhow!(
            "`{}`: no such file, and no history at {} to find a run in",
            Inert(value),
            path.display()
        )));
    }
    let store = gonogo_history::open(&location)
        .map_err(|e| Failure::usage(anyhow!("the history cannot be read: {e}")))?;
    // `last` and `last-go` are of the policy's service (its `[policy] name`).
    let service = toml::from_str::<toml::Table>(policy_text)
        .ok()
        .and_then(|t| t.get("policy")?.get("name")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unnamed".to_owned());
    let service = service.as_str();
    let found = store
        .find(service, env.unwrap_or(""), &Selector::parse(value), None)
        .map_err(|e| match e {
            HistoryError::UnknownRun(_) => Failure::usage(anyhow!(
                "no run or pinned name `{}` in the history {}\nhint: `gonogo history` lists the runs",
                Inert(value),
                location.display()
            )),
            other => Failure::usage(anyhow!("`{}`: {other}", Inert(value))),
        })?
        .ok_or_else(|| {
            Failure::usage(anyhow!(
                "the history {} has no {} run of `{}`",
                location.display(),
                Inert(value),
                Inert(service)
            ))
        })?;
    Ok(HistoryRun {
        run: found,
        location,
        selector: value.to_owned(),
    })
}

/// A stored run's measurements as the baseline of this policy's gates, matched by metric and
/// aggregate (`store::HistoryRun`'s baseline).
pub fn baseline_from(
    run: &StoredRun,
    loaded: &LoadedPolicy,
    selector: &str,
    location: &Location,
) -> Baseline {
    let mut gates = BTreeMap::new();
    for gate in &loaded.policy.gates {
        let aggregate = gate.expect.aggregate.to_string();
        let mut candidates = run
            .gates
            .iter()
            .filter(|g| g.metric == gate.metric && g.aggregate == aggregate);
        let first = candidates.clone().next();
        let Some(stored) = candidates.find(|g| g.point.is_some()).or(first) else {
            continue;
        };
        gates.insert(
            gate.name.clone(),
            BaselineGate {
                metric: stored.metric.clone(),
                aggregate: stored.aggregate.clone(),
                point: stored.point,
                n: stored.n,
                k: stored.k,
                interval: stored.pair.map(|(lower, upper)| Interval {
                    lower: lower.unwrap_or(f64::NEG_INFINITY),
                    upper: upper.unwrap_or(f64::INFINITY),
                }),
            },
        );
    }
    Baseline {
        reference: Some(BaselineRef {
            source: format!(
                "history run {} ({selector}) in {}",
                run.id,
                location.display()
            ),
            sha256: sha256_hex(run.verdict.as_bytes()),
        }),
        gates,
    }
}

// ---------------------------------------------------------------------------------------
// `gonogo history` and `gonogo trend`.

/// What both commands read: the policy (for the service, the environment and the history's
/// location) and the history.
#[derive(Debug, Clone, clap::Args)]
pub struct Where {
    /// The policy whose runs to read (its name is the service).
    #[arg(
        long,
        short,
        default_value = "gonogo.toml",
        value_name = "FILE",
        global = true
    )]
    pub policy: PathBuf,

    /// The environment profile. Default: the deployment target's, as `gonogo gate` picks it.
    #[arg(long, value_name = "NAME", global = true)]
    pub env: Option<String>,

    /// The history: a SQLite file, or a postgres:// URL. Default: the policy's `[history]
    /// url`, else .gonogo/history.db beside the policy.
    #[arg(
        long,
        env = "GONOGO_HISTORY",
        hide_env_values = true,
        value_name = "URL",
        global = true
    )]
    pub history: Option<String>,
}

impl Where {
    /// The history's location, the service and the environment (`""`: none). Without a
    /// readable policy: every service, no environment.
    fn resolve(&self) -> (Location, Option<String>, String) {
        let text = std::fs::read_to_string(&self.policy).ok();
        let location = location(self.history.as_deref(), &self.policy, text.as_deref());
        let Some(text) = text else {
            return (location, None, self.env.clone().unwrap_or_default());
        };
        let rules = crate::pipeline::delivery_rules(&text);
        let git = gonogo_delivery::git::GitContext::read(
            &crate::pipeline::policy_folder(&self.policy),
            &rules,
        )
        .ok();
        let env = crate::pipeline::pick_env(self.env.as_deref(), &text, git.as_ref());
        let service =
            gonogo_core::policy::Policy::parse(&text, env.as_deref(), gonogo_catalog::CATALOG)
                .ok()
                .map(|p| p.name.unwrap_or_else(|| "unnamed".to_owned()));
        (location, service, env.unwrap_or_default())
    }

    fn open(&self, location: &Location) -> Result<Box<dyn Store>, Failure> {
        gonogo_history::open(location).map_err(history_failure)
    }
}

/// A history that cannot be read or written ends the history command with 3.
fn history_failure(error: HistoryError) -> Failure {
    let exit = match error {
        HistoryError::UnknownRun(_)
        | HistoryError::AmbiguousRun { .. }
        | HistoryError::Invalid(_) => Exit::Usage,
        _ => Exit::Evidence,
    };
    Failure {
        exit,
        error: Some(anyhow!(error)),
    }
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  gonogo history                          # the runs of this policy's service, newest first
  gonogo history show 3f2a9c              # one run: its verdict and gates
  gonogo history pin 3f2a9c --as release-1.4
  gonogo gate --baseline release-1.4      # relative gates compare with the pinned run
  gonogo history prune --keep 500
  gonogo history export > history.jsonl   # then, elsewhere: gonogo history import history.jsonl

Exit codes: 0 done, 2 the command line is wrong or the run is unknown, 3 the history cannot
be read or written.")]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,

    #[command(flatten)]
    pub place: Where,

    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,

    /// How many runs to list.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub last: usize,

    /// Every service and environment, not only this policy's.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// One run: when, what, its verdict and every gate's measurement.
    Show {
        /// A run id, or a unique prefix of one (4 hex digits at least), or a pinned name.
        run: String,
    },
    /// Name a run, for `--baseline NAME`.
    Pin {
        run: String,
        /// The name.
        #[arg(long = "as", value_name = "NAME")]
        name: String,
    },
    /// Keep the newest N runs of each service and environment (and every pinned run).
    Prune {
        #[arg(long, value_name = "N")]
        keep: usize,
    },
    /// Write the whole history as JSON Lines on stdout.
    Export,
    /// Read a history export (JSON Lines) into this history.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn history(args: HistoryArgs) -> Result<Exit, Failure> {
    let (location, service, env) = args.place.resolve();
    let mut store = args.place.open(&location)?;
    let mut stdout = std::io::stdout().lock();
    match args.command {
        None => {
            let filter = Filter {
                service: if args.all { None } else { service.clone() },
                env: (!args.all && args.place.env.is_some()).then(|| env.clone()),
                limit: Some(args.last),
            };
            let runs = store.list(&filter).map_err(history_failure)?;
            let text = if args.json {
                serde_json::to_string_pretty(&runs).map_err(anyhow::Error::from)? + "\n"
            } else {
                runs_table(&runs, &location, service.as_deref())
            };
            crate::gate::ignore_broken_pipe(stdout.write_all(text.as_bytes()))?;
        }
        Some(HistoryCommand::Show { run }) => {
            let stored = match store.show(&run) {
                Err(HistoryError::UnknownRun(_)) => store
                    .find("", "", &Selector::Named(run.clone()), None)
                    .map_err(history_failure)?
                    .ok_or_else(|| history_failure(HistoryError::UnknownRun(run.clone())))?,
                other => other.map_err(history_failure)?,
            };
            let text = if args.json {
                format!("{}\n", stored.verdict)
            } else {
                show_run(&stored)
            };
            crate::gate::ignore_broken_pipe(stdout.write_all(text.as_bytes()))?;
        }
        Some(HistoryCommand::Pin { run, name }) => {
            let id = store.pin(&run, &name).map_err(history_failure)?;
            eprintln!(
                "pinned run {id} as `{}`: use --baseline {}",
                Inert(&name),
                Inert(&name)
            );
        }
        Some(HistoryCommand::Prune { keep }) => {
            let removed = store.prune(keep).map_err(history_failure)?;
            eprintln!(
                "removed {removed} run{} from {} (kept the newest {keep} of each service and environment, and every pinned run)",
                if removed == 1 { "" } else { "s" },
                location.display()
            );
        }
        Some(HistoryCommand::Export) => {
            let mut out = std::io::BufWriter::new(stdout);
            let moved =
                gonogo_history::export(store.as_ref(), &mut out).map_err(history_failure)?;
            eprintln!(
                "exported {} runs, {} evidence records and {} pins from {}",
                moved.runs,
                moved.records,
                moved.pins,
                location.display()
            );
        }
        Some(HistoryCommand::Import { file }) => {
            let handle = std::fs::File::open(&file)
                .map_err(|e| Failure::usage(anyhow!("cannot read {}: {e}", file.display())))?;
            let mut input = std::io::BufReader::new(handle);
            let moved = gonogo_history::import(store.as_mut(), &mut input, gonogo_catalog::CATALOG)
                .map_err(|e| {
                    let failure = history_failure(e);
                    Failure {
                        exit: failure.exit,
                        error: failure
                            .error
                            .map(|e| e.context(format!("importing {}", file.display()))),
                    }
                })?;
            eprintln!(
                "imported {} runs, {} evidence records and {} pins into {}",
                moved.runs,
                moved.records,
                moved.pins,
                location.display()
            );
        }
    }
    Ok(Exit::Go)
}

fn short(commit: Option<&str>) -> String {
    commit.map_or("-".to_owned(), |c| c[..c.len().min(12)].to_owned())
}

fn runs_table(
    runs: &[gonogo_history::RunSummary],
    location: &Location,
    service: Option<&str>,
) -> String {
    if runs.is_empty() {
        return format!(
            "no runs{} in {}\n",
            service.map_or(String::new(), |s| format!(" of `{}`", Inert(s))),
            location.display()
        );
    }
    let mut text = String::new();
    for run in runs {
        let mut notes = Vec::new();
        if run.meta.judged_in_past {
            notes.push("judged with --now in the past".to_owned());
        }
        if !run.pins.is_empty() {
            notes.push(format!("pinned as {}", run.pins.join(", ")));
        }
        text.push_str(&format!(
            "{}  {}  {:<6} {:<12} {:<10} {}{}\n",
            run.id,
            run.meta.evaluated_at.strftime("%Y-%m-%d %H:%M:%S"),
            run.meta.decision,
            short(run.meta.commit.as_deref()),
            run.meta.env.as_deref().unwrap_or("-"),
            if run.failing.is_empty() {
                String::new()
            } else {
                format!("failing: {}", Inert(&run.failing.join(", ")))
            },
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            }
        ));
    }
    text
}

fn dimension(unit: Option<&str>) -> Dimension {
    match unit {
        Some("s") => Dimension::Time,
        Some("fraction") => Dimension::Fraction,
        Some("B") => Dimension::Bytes,
        Some("1/s") => Dimension::PerSecond,
        _ => Dimension::Number,
    }
}

fn measured(gate: &GateRow) -> String {
    let dim = dimension(gate.unit.as_deref());
    let Some(point) = gate.point else {
        return "no measurement".to_owned();
    };
    let mut text = format_base(point, dim);
    if gate.lower.is_some() || gate.upper.is_some() {
        text.push_str(&format!(
            " [{}, {}]",
            gate.lower.map_or("-∞".to_owned(), |v| format_base(v, dim)),
            gate.upper.map_or("∞".to_owned(), |v| format_base(v, dim))
        ));
    }
    match (gate.k, gate.n) {
        (Some(k), Some(n)) => text.push_str(&format!(", {k} of {n}")),
        (None, Some(n)) => text.push_str(&format!(", n = {n}")),
        _ => {}
    }
    text
}

fn show_run(run: &StoredRun) -> String {
    let meta = &run.meta;
    let mut text = format!(
        "run {}: {} for `{}`{}\n  judged at {}{}\n  commit {}{}{}\n  {} evidence records\n\n",
        run.id,
        meta.decision,
        Inert(&meta.service),
        meta.env
            .as_deref()
            .map_or(String::new(), |e| format!(" in {}", Inert(e))),
        meta.evaluated_at,
        if meta.judged_in_past {
            " (with --now in the past: a re-judgement)"
        } else {
            ""
        },
        short(meta.commit.as_deref()),
        meta.branch
            .as_deref()
            .map_or(String::new(), |b| format!(" on {}", Inert(b))),
        if meta.tags.is_empty() {
            String::new()
        } else {
            format!(" ({})", Inert(&meta.tags.join(", ")))
        },
        run.evidence.len()
    );
    for gate in &run.gates {
        text.push_str(&format!(
            "  {:<13} {}: {} = {}\n",
            gate.status,
            Inert(&gate.name),
            Inert(&gate.expect),
            measured(gate)
        ));
    }
    text
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Each run is its own measurement: the points are never pooled. A point's interval is the one
the run measured, at its gate's confidence.

Examples:
  gonogo trend 'checkout p95'             # a gate, by name
  gonogo trend load.checkout.latency --aggregate 'p(95)' --last 50
  gonogo trend tests.failed --json")]
pub struct TrendArgs {
    /// A gate's name, or a metric (all its aggregates unless --aggregate).
    #[arg(value_name = "METRIC|GATE")]
    pub what: String,

    /// Only this aggregate of a metric (`p(95)`, `rate`, `mean`).
    #[arg(long, value_name = "AGGREGATE")]
    pub aggregate: Option<String>,

    /// How many runs back.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub last: usize,

    /// Print the points as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub place: Where,
}

pub fn trend(args: TrendArgs) -> Result<Exit, Failure> {
    let (location, service, env) = args.place.resolve();
    let service = service.unwrap_or_else(|| "unnamed".to_owned());
    let store = args.place.open(&location)?;
    let mut points = store
        .series(
            &service,
            &env,
            &SeriesKey::Gate(args.what.clone()),
            args.last,
        )
        .map_err(history_failure)?;
    if points.is_empty() || args.aggregate.is_some() {
        points = store
            .series(
                &service,
                &env,
                &SeriesKey::Metric {
                    metric: args.what.clone(),
                    aggregate: args.aggregate.clone(),
                },
                args.last,
            )
            .map_err(history_failure)?;
    }
    let text = if args.json {
        serde_json::to_string_pretty(&points).map_err(anyhow::Error::from)? + "\n"
    } else if points.is_empty() {
        format!(
            "no run of `{}`{} in {} measured `{}`\n",
            Inert(&service),
            if env.is_empty() {
                String::new()
            } else {
                format!(" in {env}")
            },
            location.display(),
            Inert(&args.what)
        )
    } else {
        trend_text(&points)
    };
    crate::gate::ignore_broken_pipe(std::io::stdout().lock().write_all(text.as_bytes()))?;
    Ok(Exit::Go)
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One sparkline per aggregate: the points, then each run with its interval and verdict.
fn trend_text(points: &[SeriesPoint]) -> String {
    let mut by_aggregate: BTreeMap<(String, String), Vec<&SeriesPoint>> = BTreeMap::new();
    for point in points {
        by_aggregate
            .entry((point.gate.metric.clone(), point.gate.aggregate.clone()))
            .or_default()
            .push(point);
    }
    let mut text = String::new();
    for ((metric, aggregate), series) in by_aggregate {
        let values: Vec<f64> = series
            .iter()
            .flat_map(|p| [p.gate.point, p.gate.lower, p.gate.upper])
            .flatten()
            .chain(series.last().and_then(|p| p.gate.threshold))
            .collect();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let bar = |v: f64| -> char {
            if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
                return BARS[3];
            }
            let i = ((v - low) / (high - low) * 7.0).round() as usize;
            BARS[i.min(7)]
        };
        let line: String = series
            .iter()
            .map(|p| p.gate.point.map_or(' ', bar))
            .collect();
        let newest = series.last().expect("a series is not empty");
        let dim = dimension(newest.gate.unit.as_deref());
        text.push_str(&format!(
            "{aggregate} of {}: {line}  ({} runs, oldest to newest{})\n",
            Inert(&metric),
            series.len(),
            newest.gate.threshold.map_or(String::new(), |t| format!(
                "; threshold {} in `{}`",
                format_base(t, dim),
                Inert(&newest.gate.expect)
            ))
        ));
        for point in &series {
            text.push_str(&format!(
                "  {}  {}  {:<6} {:<12} {}{}\n",
                point.run,
                point.evaluated_at.strftime("%Y-%m-%d %H:%M"),
                point.decision,
                point.gate.status,
                measured(&point.gate),
                if point.judged_in_past {
                    " (judged in the past)"
                } else {
                    ""
                }
            ));
        }
    }
    text
}
