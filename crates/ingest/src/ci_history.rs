//! CI run history: the run lists CI systems export, turned into success, duration and flaky
//! re-run evidence per workflow and per workflow and branch.
//!
//! Four inputs, recognised from their content ([`crate::detect`]):
//!
//! - `gh run list --json databaseId,workflowName,headBranch,status,conclusion,startedAt,updatedAt,attempt,event`:
//!   a JSON array of runs (`attempt` exists in recent `gh` versions only; without it re-runs
//!   are unknown);
//! - GitHub's REST API `GET /repos/{owner}/{repo}/actions/runs`: an object whose
//!   `workflow_runs` array holds runs (`name`, `head_branch`, `status`, `conclusion`,
//!   `run_started_at`, `updated_at`, `run_attempt`);
//! - GitLab's pipelines API (`GET /projects/:id/pipelines`, or each pipeline fetched with
//!   `GET /projects/:id/pipelines/:pipeline_id`): a JSON array of pipelines (`ref`,
//!   `status`, `name`, and, from the single-pipeline endpoint only, `started_at`,
//!   `finished_at`, `duration`). GitLab retries jobs inside one pipeline, so a pipeline has no
//!   attempt number: re-runs are unknown;
//! - a generic CSV whose header names at least `workflow,branch,conclusion,started_at,finished_at`
//!   (any order, other columns ignored, an optional `attempt` column); `conclusion` is
//!   `success`, `failure` (or `failed`, `timed_out`), `cancelled` (or `canceled`) or `skipped`;
//!   times are RFC 3339.
//!
//! Counting rules (docs/delivery.md), per workflow (`ci.WORKFLOW.*`, all branches) and per
//! workflow and branch (`ci.WORKFLOW.BRANCH.*`, names as metric segments):
//!
//! - a run *counts* when it finished with a verdict: success, or failure (GitHub's
//!   `failure`, `timed_out`, `startup_failure`; GitLab's `failed`). Cancelled, skipped,
//!   neutral, manual and unfinished runs are not counted; the details say how many of each;
//! - `ci.*.success`: runs that succeeded **at their first attempt**, of runs counted. A run
//!   that passed only when re-run is not a success; it is
//! - `ci.*.flaky`: runs that succeeded only on a re-run (attempt > 1), of runs counted.
//!   Written only when every counted run says its attempt; otherwise the record is marked
//!   incomplete ("re-runs unknown") and `success` counts a final success as a success;
//! - `ci.*.duration`: the wall time of each counted run (start to last update or finish;
//!   GitLab's own `duration` when given), a distribution in seconds.
//!
//! The input is streamed: one run is read, counted and dropped. Memory is bounded by the
//! number of (workflow, branch) pairs, at most [`MAX_GROUPS`]; runs of further pairs still
//! count in their workflow's totals and the details say how many pairs were not kept.

use std::collections::BTreeMap;
use std::io::BufRead;

use gonogo_core::catalog::segment;
use gonogo_core::evidence::{Metric, NoteCode, Ratio, Tool};
use gonogo_core::units::Unit;
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::json;

use crate::Parsed;
use crate::error::ParseError;

/// (workflow, branch) pairs kept; runs of later pairs count only in their workflow's totals.
pub const MAX_GROUPS: usize = 1_000;

/// Workflows kept; runs of later workflows are counted in the details only.
pub const MAX_WORKFLOWS: usize = 200;

/// The longest workflow or branch name accepted, in bytes (names are kept per group).
pub const MAX_NAME: usize = 256;

/// The longest CSV line accepted, in bytes: a record is held whole while it is read.
pub const MAX_LINE: usize = 64 * 1024;

/// The longest run a duration histogram records exactly (30 days, in seconds); longer ones
/// are clamped to it.
const MAX_SECONDS: u64 = 30 * 24 * 3600;

/// Which export an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GhRunList,
    GithubRest,
    GitlabPipelines,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::GhRunList => "gh-run-list",
            Format::GithubRest => "github-rest",
            Format::GitlabPipelines => "gitlab-pipelines",
            Format::Csv => "csv",
        }
    }
}

/// How a run ended, as the counting rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    /// Not counted: the word the CI used (`cancelled`, `in_progress`...).
    NotCounted(String),
}

/// One run, normalised.
#[derive(Debug)]
struct Run {
    workflow: String,
    branch: String,
    outcome: Outcome,
    seconds: Option<f64>,
    attempt: Option<u64>,
}

/// The counts of one workflow, or one workflow on one branch.
struct Group {
    counted: u64,
    first_attempt_success: u64,
    final_success: u64,
    rerun_success: u64,
    attempts_unknown: u64,
    durations: Histogram<u64>,
    no_duration: u64,
    not_counted: BTreeMap<String, u64>,
}

impl Default for Group {
    fn default() -> Group {
        Group {
            counted: 0,
            first_attempt_success: 0,
            final_success: 0,
            rerun_success: 0,
            attempts_unknown: 0,
            durations: Histogram::new_with_bounds(1, MAX_SECONDS, 3).expect("static bounds"),
            no_duration: 0,
            not_counted: BTreeMap::new(),
        }
    }
}

impl Group {
    fn add(&mut self, run: &Run) {
        let success = match &run.outcome {
            Outcome::NotCounted(word) => {
                *self.not_counted.entry(word.clone()).or_default() += 1;
                return;
            }
            Outcome::Success => true,
            Outcome::Failure => false,
        };
        self.counted += 1;
        match run.attempt {
            None => self.attempts_unknown += 1,
            Some(attempt) if success && attempt > 1 => self.rerun_success += 1,
            Some(_) if success => self.first_attempt_success += 1,
            Some(_) => {}
        }
        if success {
            self.final_success += 1;
        }
        match run.seconds {
            // A run shorter than a second records as one second: the histogram's floor.
            Some(seconds) => self
                .durations
                .saturating_record((seconds.round() as u64).clamp(1, MAX_SECONDS)),
            None => self.no_duration += 1,
        }
    }

    fn metrics(&self, prefix: &str, out: &mut Vec<(String, Metric)>) {
        if self.counted == 0 {
            return;
        }
        let runs = Unit::count("runs");
        let ratio = |k: u64| Ratio::new(k, self.counted).expect("k <= counted");
        let not_counted: u64 = self.not_counted.values().sum();
        if self.attempts_unknown == 0 {
            out.push((
                format!("{prefix}.success"),
                Metric::ratio(ratio(self.first_attempt_success), runs.clone()).with_coded_note(
                    format!(
                        "CI success: runs that succeeded at their first attempt, of runs that \
                         ended in success or failure ({not_counted} cancelled, skipped or \
                         unfinished not counted; {} passed only on a re-run)",
                        self.rerun_success
                    ),
                    NoteCode::new("ci.success")
                        .arg("not_counted", not_counted)
                        .arg("reruns", self.rerun_success),
                ),
            ));
            out.push((
                format!("{prefix}.flaky"),
                Metric::ratio(ratio(self.rerun_success), runs),
            ));
        } else {
            out.push((
                format!("{prefix}.success"),
                Metric::ratio(ratio(self.final_success), runs).with_coded_note(
                    "re-runs unknown (the export has no attempt number): a run that passed \
                     only when re-run counts as a success",
                    NoteCode::new("ci.success_reruns_unknown"),
                ),
            ));
        }
        if !self.durations.is_empty() {
            let mut metric = Metric::distribution(self.durations.clone(), Unit::parse("s"));
            if self.no_duration > 0 {
                metric = metric.with_coded_note(
                    format!(
                        "{} of {} runs have no start or end time and are not in the distribution",
                        self.no_duration, self.counted
                    ),
                    NoteCode::new("ci.no_duration")
                        .arg("missing", self.no_duration)
                        .arg("total", self.counted),
                );
            }
            out.push((format!("{prefix}.duration"), metric));
        }
    }

    fn details(&self, name: &str, branch: Option<&str>) -> serde_json::Value {
        let mut value = json!({
            "workflow": name,
            "runs_counted": self.counted,
            "first_attempt_success": self.first_attempt_success,
            "final_success": self.final_success,
            "passed_only_on_rerun": self.rerun_success,
            "attempt_unknown": self.attempts_unknown,
            "without_duration": self.no_duration,
            "not_counted": self.not_counted,
        });
        if let Some(branch) = branch {
            value["branch"] = json!(branch);
        }
        value
    }
}

/// Everything the streaming pass keeps.
#[derive(Default)]
struct State {
    format: Option<Format>,
    runs: u64,
    workflows: BTreeMap<String, (String, Group)>,
    groups: BTreeMap<(String, String), (String, String, Group)>,
    groups_not_kept: u64,
    runs_of_workflows_not_kept: u64,
}

impl Run {
    fn check(self) -> Result<Run, String> {
        for (what, name) in [("workflow", &self.workflow), ("branch", &self.branch)] {
            if name.len() > MAX_NAME {
                return Err(format!(
                    "the {what} name is {} bytes long; at most {MAX_NAME} are accepted",
                    name.len()
                ));
            }
        }
        Ok(self)
    }
}

impl State {
    fn add(&mut self, run: Run) {
        self.runs += 1;
        let workflow_key = segment(&run.workflow);
        if !self.workflows.contains_key(&workflow_key) && self.workflows.len() >= MAX_WORKFLOWS {
            self.runs_of_workflows_not_kept += 1;
            return;
        }
        self.workflows
            .entry(workflow_key.clone())
            .or_insert_with(|| (run.workflow.clone(), Group::default()))
            .1
            .add(&run);
        let key = (workflow_key, segment(&run.branch));
        if !self.groups.contains_key(&key) && self.groups.len() >= MAX_GROUPS {
            self.groups_not_kept += 1;
            return;
        }
        self.groups
            .entry(key)
            .or_insert_with(|| (run.workflow.clone(), run.branch.clone(), Group::default()))
            .2
            .add(&run);
    }

    fn into_parsed(self) -> Result<Parsed, ParseError> {
        let format = self.format.unwrap_or(Format::Csv);
        let counted: u64 = self.workflows.values().map(|(_, g)| g.counted).sum();
        if counted == 0 {
            return Err(ParseError::NoEvidence(format!(
                "none of the {} runs finished with a success or a failure (cancelled, skipped \
                 and unfinished runs prove nothing)",
                self.runs
            )));
        }
        let mut metrics = Vec::new();
        let mut workflows = Vec::new();
        let mut incomplete = Vec::new();
        for (key, (name, group)) in &self.workflows {
            group.metrics(&format!("ci.{key}"), &mut metrics);
            workflows.push(group.details(name, None));
            if group.attempts_unknown > 0 && group.counted > 0 {
                incomplete.push((
                    format!(
                        "re-runs of {name}: the export has no attempt number, so flaky runs are \
                         not counted apart"
                    ),
                    Some(NoteCode::new("ci.no_attempt_number").arg("workflow", name)),
                ));
            }
        }
        let mut branches = Vec::new();
        for ((workflow_key, branch_key), (name, branch, group)) in &self.groups {
            group.metrics(&format!("ci.{workflow_key}.{branch_key}"), &mut metrics);
            branches.push(group.details(name, Some(branch)));
        }
        if self.runs_of_workflows_not_kept > 0 {
            incomplete.push((
                format!(
                    "{} runs of workflows beyond the first {MAX_WORKFLOWS} were not counted",
                    self.runs_of_workflows_not_kept
                ),
                Some(
                    NoteCode::new("ci.workflows_not_counted")
                        .arg("runs", self.runs_of_workflows_not_kept)
                        .arg("max", MAX_WORKFLOWS),
                ),
            ));
        }
        let mut details = json!({
            "format": format.as_str(),
            "runs_read": self.runs,
            "runs_counted": counted,
            "workflows": workflows,
            "branches": branches,
            "counting": "success = succeeded at the first attempt, of runs that finished with \
                         success or failure; flaky = succeeded only on a re-run; duration = \
                         start to end of each counted run (docs/delivery.md)",
        });
        if self.groups_not_kept > 0 {
            details["branch_runs_not_kept"] = json!(format!(
                "{} runs of (workflow, branch) pairs beyond the first {MAX_GROUPS} count only \
                 in their workflow's totals",
                self.groups_not_kept
            ));
        }
        Ok(Parsed {
            kind: "ci",
            tool: Tool::new(format.as_str(), "unknown"),
            metrics,
            details,
            incomplete,
        })
    }
}

/// One run as any of the three JSON exports writes it; unknown fields are skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRun {
    // gh run list --json
    #[serde(rename = "workflowName")]
    workflow_name: Option<String>,
    #[serde(rename = "headBranch")]
    head_branch_gh: Option<String>,
    #[serde(rename = "startedAt")]
    started_at_gh: Option<String>,
    #[serde(rename = "updatedAt")]
    updated_at_gh: Option<String>,
    attempt: Option<u64>,
    #[serde(rename = "databaseId")]
    database_id: Option<u64>,
    // REST workflow run
    head_branch: Option<String>,
    run_started_at: Option<String>,
    run_attempt: Option<u64>,
    // GitLab pipeline
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    duration: Option<f64>,
    web_url: Option<String>,
    // Shared
    name: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    updated_at: Option<String>,
    id: Option<u64>,
}

fn timestamp(field: &str, value: &str) -> Result<jiff::Timestamp, String> {
    value
        .parse::<jiff::Timestamp>()
        .map_err(|error| format!("`{field}` {value:?} is not an RFC 3339 time: {error}"))
}

fn seconds_between(
    start_field: &str,
    start: Option<&str>,
    end_field: &str,
    end: Option<&str>,
) -> Result<Option<f64>, String> {
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(None);
    };
    let start = timestamp(start_field, start)?;
    let end = timestamp(end_field, end)?;
    let seconds = end.duration_since(start).as_secs_f64();
    if seconds < 0.0 {
        return Err(format!(
            "`{end_field}` ({end}) is before `{start_field}` ({start})"
        ));
    }
    Ok(Some(seconds))
}

fn github_outcome(status: Option<&str>, conclusion: Option<&str>) -> Outcome {
    if status.is_some_and(|s| s != "completed") {
        return Outcome::NotCounted(status.unwrap_or("unfinished").to_string());
    }
    match conclusion {
        Some("success") => Outcome::Success,
        Some("failure" | "timed_out" | "startup_failure") => Outcome::Failure,
        Some(other) => Outcome::NotCounted(other.to_string()),
        None => Outcome::NotCounted("no conclusion".into()),
    }
}

fn gitlab_outcome(status: Option<&str>) -> Outcome {
    match status {
        Some("success") => Outcome::Success,
        Some("failed") => Outcome::Failure,
        Some(other) => Outcome::NotCounted(other.to_string()),
        None => Outcome::NotCounted("no status".into()),
    }
}

impl RawRun {
    fn format(&self) -> Option<Format> {
        if self.workflow_name.is_some() || self.head_branch_gh.is_some() {
            Some(Format::GhRunList)
        } else if self.head_branch.is_some() || self.run_attempt.is_some() {
            Some(Format::GithubRest)
        } else if self.git_ref.is_some() {
            Some(Format::GitlabPipelines)
        } else {
            None
        }
    }

    fn into_run(self, format: Format) -> Result<Run, String> {
        let status = self.status.as_deref();
        match format {
            Format::GhRunList => Ok(Run {
                workflow: self
                    .workflow_name
                    .or(self.name)
                    .ok_or("a run without `workflowName` (add it to `--json`)")?,
                branch: self
                    .head_branch_gh
                    .ok_or("a run without `headBranch` (add it to `--json`)")?,
                outcome: if status.is_none() && self.conclusion.is_none() {
                    return Err(
                        "a run without `status` and `conclusion` (add them to `--json`)".into(),
                    );
                } else {
                    github_outcome(status, self.conclusion.as_deref())
                },
                seconds: seconds_between(
                    "startedAt",
                    self.started_at_gh.as_deref(),
                    "updatedAt",
                    self.updated_at_gh.as_deref(),
                )?,
                attempt: self.attempt,
            }),
            Format::GithubRest => Ok(Run {
                workflow: self.name.ok_or("a workflow run without `name`")?,
                branch: self
                    .head_branch
                    .unwrap_or_else(|| "(no branch)".to_string()),
                outcome: github_outcome(status, self.conclusion.as_deref()),
                seconds: seconds_between(
                    "run_started_at",
                    self.run_started_at.as_deref(),
                    "updated_at",
                    self.updated_at.as_deref(),
                )?,
                attempt: self.run_attempt,
            }),
            Format::GitlabPipelines => {
                let seconds = match self.duration {
                    Some(d) if d < 0.0 || !d.is_finite() => {
                        return Err(format!("`duration` {d} is not a number of seconds"));
                    }
                    Some(d) => Some(d),
                    None => seconds_between(
                        "started_at",
                        self.started_at.as_deref(),
                        "finished_at",
                        self.finished_at.as_deref(),
                    )?,
                };
                Ok(Run {
                    workflow: self.name.unwrap_or_else(|| "pipeline".to_string()),
                    branch: self.git_ref.ok_or("a pipeline without `ref`")?,
                    outcome: gitlab_outcome(status),
                    seconds,
                    attempt: None,
                })
            }
            Format::Csv => unreachable!("CSV rows are not JSON"),
        }
    }

    fn label(&self) -> String {
        match self.database_id.or(self.id) {
            Some(id) => format!("run {id}"),
            None => match &self.web_url {
                Some(url) => format!("pipeline {url}"),
                None => "a run".to_string(),
            },
        }
    }
}

/// Reads a CI run history in one streaming pass (see the module documentation).
pub fn parse(mut input: impl BufRead) -> Result<Parsed, ParseError> {
    let prefix = input.fill_buf()?;
    let first = prefix.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut state = State::default();
    match first {
        Some(b'[' | b'{') => parse_json(input, &mut state)?,
        Some(_) => parse_csv(input, &mut state)?,
        None => return Err(ParseError::NoEvidence("the file is empty".into())),
    }
    if state.format.is_none() {
        return Err(ParseError::NoEvidence("the run list holds no run".into()));
    }
    state.into_parsed()
}

fn parse_json(input: impl BufRead, state: &mut State) -> Result<(), ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    TopSeed { state }
        .deserialize(&mut deserializer)
        .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)
}

/// The document: an array of runs, or an object with a `workflow_runs` array.
struct TopSeed<'a> {
    state: &'a mut State,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of CI runs, or an object with `workflow_runs`")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        RunsSeed { state: self.state }.visit_seq(seq)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "workflow_runs" {
                map.next_value_seed(RunsSeed {
                    state: &mut *self.state,
                })?;
                seen = true;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        if !seen {
            return Err(serde::de::Error::custom(
                "a JSON object without `workflow_runs`: not GitHub's workflow-runs list",
            ));
        }
        Ok(())
    }
}

struct RunsSeed<'a> {
    state: &'a mut State,
}

impl<'de> serde::de::DeserializeSeed<'de> for RunsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RunsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of CI runs")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0u64;
        loop {
            index += 1;
            let seed = RunSeed {
                state: &mut *self.state,
                index,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
        }
    }
}

/// One item of the list, checked and counted inside its own object, so that an error in it is
/// reported at the item's line (serde_json places an error where it surfaces).
struct RunSeed<'a> {
    state: &'a mut State,
    index: u64,
}

impl<'de> serde::de::DeserializeSeed<'de> for RunSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RunSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a CI run (a JSON object)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let raw = RawRun::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        let index = self.index;
        let label = raw.label();
        let Some(format) = raw.format() else {
            return Err(A::Error::custom(format!(
                "item {index} ({label}) is neither a `gh run list` run, a GitHub workflow \
                 run nor a GitLab pipeline (no workflowName/headBranch, head_branch or ref)"
            )));
        };
        match self.state.format {
            None => self.state.format = Some(format),
            Some(first) if first != format => {
                return Err(A::Error::custom(format!(
                    "item {index} ({label}) is a {} item in a {} list",
                    format.as_str(),
                    first.as_str()
                )));
            }
            Some(_) => {}
        }
        let run = raw
            .into_run(format)
            .and_then(Run::check)
            .map_err(|message| A::Error::custom(format!("item {index} ({label}): {message}")))?;
        self.state.add(run);
        Ok(())
    }
}

/// The generic CSV's required columns.
pub const CSV_COLUMNS: [&str; 5] = [
    "workflow",
    "branch",
    "conclusion",
    "started_at",
    "finished_at",
];

/// Refuses a line longer than [`MAX_LINE`] before the CSV reader holds it.
struct LineLimit<R> {
    inner: R,
    since_newline: usize,
    line: u64,
}

impl<R: std::io::Read> std::io::Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.since_newline = 0;
                self.line += 1;
            } else {
                self.since_newline += 1;
                if self.since_newline > MAX_LINE {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("line {} is longer than {MAX_LINE} bytes", self.line + 1),
                    ));
                }
            }
        }
        Ok(n)
    }
}

fn parse_csv(input: impl BufRead, state: &mut State) -> Result<(), ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(LineLimit {
            inner: input,
            since_newline: 0,
            line: 0,
        });
    let csv_error = |error: csv::Error| -> ParseError {
        let line = error.position().map_or(0, |p| p.line());
        match error.into_kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                let message = io.to_string();
                let line = message
                    .strip_prefix("line ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(line);
                ParseError::malformed_line(line, 1, message)
            }
            csv::ErrorKind::Io(io) => ParseError::Io(io),
            other => ParseError::malformed_line(line, 1, format!("{other:?}")),
        }
    };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut index = [0usize; 5];
    for (slot, name) in index.iter_mut().zip(CSV_COLUMNS) {
        *slot = column(name).ok_or_else(|| ParseError::WrongKind {
            expected: "a CI run history",
            found: format!(
                "a CSV file whose header lacks `{name}` (the generic CI history header is \
                 `{}`, with an optional `attempt`)",
                CSV_COLUMNS.join(",")
            ),
        })?;
    }
    let attempt_column = column("attempt");
    state.format = Some(Format::Csv);
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let bad = |message: String| ParseError::malformed_line(line, 1, message);
        let conclusion = field(index[2]).to_ascii_lowercase();
        let outcome = match conclusion.as_str() {
            "success" => Outcome::Success,
            "failure" | "failed" | "timed_out" => Outcome::Failure,
            "cancelled" | "canceled" | "skipped" => Outcome::NotCounted(conclusion.clone()),
            other => {
                return Err(bad(format!(
                    "conclusion {other:?} is not success, failure, failed, timed_out, \
                     cancelled, canceled or skipped"
                )));
            }
        };
        let optional = |i: usize| Some(field(i)).filter(|s| !s.is_empty());
        let seconds = seconds_between(
            "started_at",
            optional(index[3]),
            "finished_at",
            optional(index[4]),
        )
        .map_err(bad)?;
        let attempt = match attempt_column.map(field).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(
                text.parse::<u64>()
                    .ok()
                    .filter(|a| *a >= 1)
                    .ok_or_else(|| bad(format!("attempt {text:?} is not a number from 1")))?,
            ),
        };
        let workflow = field(index[0]);
        if workflow.is_empty() {
            return Err(bad("the workflow is empty".into()));
        }
        let run = Run {
            workflow: workflow.to_string(),
            branch: field(index[1]).to_string(),
            outcome,
            seconds,
            attempt,
        }
        .check()
        .map_err(bad)?;
        state.add(run);
    }
    if state.runs == 0 {
        state.format = None;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Parsed {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ratio(parsed: &Parsed, name: &str) -> (u64, u64) {
        let metric = parsed
            .metrics
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        let r = metric.1.value.as_ratio().unwrap();
        (r.k, r.n)
    }

    #[test]
    fn reruns_are_counted_apart_from_successes() {
        let csv = "workflow,branch,conclusion,started_at,finished_at,attempt\n\
            build,main,success,2026-11-01T10:00:00Z,2026-11-01T10:02:00Z,1\n\
            build,main,success,2026-11-02T10:00:00Z,2026-11-02T10:03:00Z,2\n\
            build,main,failure,2026-11-03T10:00:00Z,2026-11-03T10:01:00Z,1\n\
            build,dev,cancelled,2026-11-03T10:00:00Z,2026-11-03T10:01:00Z,1\n";
        let p = parsed(csv);
        assert_eq!(ratio(&p, "ci.build.success"), (1, 3));
        assert_eq!(ratio(&p, "ci.build.flaky"), (1, 3));
        assert_eq!(ratio(&p, "ci.build.main.success"), (1, 3));
        // A branch whose only run was cancelled has nothing counted, so no metric.
        assert!(
            !p.metrics
                .iter()
                .any(|(n, _)| n.starts_with("ci.build.dev."))
        );
        let duration = p
            .metrics
            .iter()
            .find(|(n, _)| n == "ci.build.duration")
            .unwrap();
        let h = duration.1.value.as_histogram().unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h.max(), 180);
        assert!(p.incomplete.is_empty());
    }

    #[test]
    fn long_lines_and_names_are_refused_with_their_line() {
        let mut csv = String::from("workflow,branch,conclusion,started_at,finished_at\n");
        csv.push_str(&format!("build,{},success,,\n", "b".repeat(MAX_LINE + 10)));
        match parse(csv.as_bytes()) {
            Err(ParseError::Malformed {
                at: crate::error::Position::LineColumn { line, .. },
                ..
            }) => assert_eq!(line, 2),
            other => panic!("{:?}", other.map(|p| p.metrics.len())),
        }
        let json = format!(
            "[{{\"workflowName\":\"{}\",\"headBranch\":\"main\",\"status\":\"completed\",\"conclusion\":\"success\"}}]",
            "w".repeat(MAX_NAME + 1)
        );
        let error = parse(json.as_bytes()).expect_err("refused");
        assert!(error.to_string().contains("at most 256"), "{error}");
    }

    #[test]
    fn bad_rows_name_their_line() {
        let csv = "workflow,branch,conclusion,started_at,finished_at\n\
            build,main,success,2026-11-01T10:00:00Z,2026-11-01T10:02:00Z\n\
            build,main,green,2026-11-01T10:00:00Z,2026-11-01T10:02:00Z\n";
        match parse(csv.as_bytes()) {
            Err(ParseError::Malformed {
                at: crate::error::Position::LineColumn { line, .. },
                message,
            }) => {
                assert_eq!(line, 3);
                assert!(message.contains("green"), "{message}");
            }
            other => panic!("{:?}", other.map(|p| p.metrics.len())),
        }
    }
}
