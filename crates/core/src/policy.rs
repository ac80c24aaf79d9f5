//! The policy language: `gonogo.toml`, parsed, checked and resolved for one environment.
//!
//! ```toml
//! [policy]
//! name = "checkout-service"
//! confidence = 0.95            # of every interval; a gate may override it
//!
//! [[area]]                     # the six default areas exist already; add your own
//! name = "compliance"
//!
//! [[metric]]                   # declare a metric no gonogo engine produces
//! name = "custom.queue_depth"
//! shape = "value"              # value | ratio | distribution
//! unit = "messages"
//!
//! [[gate]]
//! name = "checkout p95"        # default: "<metric> <expect>"
//! area = "performance"
//! metric = "load.checkout.latency"
//! expect = "p(95) < 500ms"     # see crate::expect
//! severity = "blocker"         # blocker (default) | warn
//! max_age = "24h"              # older evidence is stale
//! description = "the checkout API under 200 rps"
//!
//! [[waiver]]
//! gate = "checkout p95"
//! reason = "new cache lands in 1.4"
//! owner = "alice@example.com"
//! expires = "2026-12-31"       # through that day (UTC); then the gate counts again
//! env = "staging"              # optional: only in that environment
//!
//! [[ignore]]                   # a vulnerability accepted for a while: audits do not count it
//! advisory = "RUSTSEC-2023-0071" # its ID or an alias (GHSA-..., CVE-..., PYSEC-...)
//! reason = "timing side channel in RSA decryption; we only verify signatures"
//! owner = "bob@example.com"
//! expires = "2027-01-31"       # through that day (UTC); then the audit counts it again
//!
//! [env.staging]
//! requires = ["junit", "load"] # evidence kinds this environment must have
//! [env.staging.gates."checkout p95"]
//! expect = "p(95) < 800ms"
//! severity = "warn"
//!
//! [env.production]
//! extends = "staging"          # inherits staging's overrides, then applies its own
//! ```
//!
//! [`Policy::parse`] reads the text and reports *every* problem it finds with a byte span,
//! so the binary can print the file, line and a caret under each. [`Policy::check_metrics`]
//! then checks the gates against the metrics that exist (the catalogue, `[[metric]]`
//! declarations and the evidence at hand): unknown names with suggestions, aggregates that do
//! not suit the metric's shape, and units that do not fit (`p(95) < 5%`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::catalog::Catalog;
use crate::evidence::Shape;
use crate::expect::{Aggregate, Expectation, Threshold};
use crate::suggest::closest;
use crate::units::{Dimension, Suffix, Unit};

/// The areas every policy has.
pub const DEFAULT_AREAS: [&str; 6] = [
    "functionality",
    "performance",
    "reliability",
    "security",
    "observability",
    "delivery",
];

/// The default confidence of every interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// Evidence older than this is stale unless the policy or the gate says otherwise (7 days).
pub const DEFAULT_MAX_AGE_SECONDS: f64 = 7.0 * 86400.0;

/// How far ahead a waiver may expire unless the policy says otherwise.
pub const DEFAULT_MAX_WAIVER_DAYS: i64 = 90;

/// One problem in a policy, with the byte range of the text it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub span: Range<usize>,
    /// A short text shown under the caret.
    pub label: String,
    pub help: Option<String>,
}

impl Problem {
    fn new(message: impl Into<String>, span: Range<usize>, label: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            span,
            label: label.into(),
            help: None,
        }
    }

    /// Adds a help line (after any help already there).
    pub(crate) fn help(mut self, help: impl Into<String>) -> Problem {
        let help = help.into();
        self.help = Some(match self.help.take() {
            Some(existing) => format!("{existing}\n{help}"),
            None => help,
        });
        self
    }

    pub(crate) fn did_you_mean(self, suggestions: &[String]) -> Problem {
        match suggestions {
            [] => self,
            [one] => self.help(format!("did you mean `{one}`?")),
            many => self.help(format!(
                "did you mean one of {}?",
                many.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The file as written.

/// `gonogo.toml`, as written. Its JSON Schema (for editors) is generated from these types.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "gonogo policy",
    description = "gonogo.toml: areas, gates, waivers and environment profiles"
)]
pub struct PolicyFile {
    /// Settings for the whole policy.
    #[serde(default)]
    pub policy: PolicySettings,
    /// Areas added to the six defaults.
    #[serde(default, rename = "area")]
    pub areas: Vec<AreaDecl>,
    /// Metrics that no gonogo engine produces, declared so gates can use them.
    #[serde(default, rename = "metric")]
    pub metrics: Vec<MetricDecl>,
    /// The gates.
    #[serde(default, rename = "gate")]
    pub gates: Vec<GateDecl>,
    /// Waivers: a gate that is accepted as not passing, for a reason, until a date.
    #[serde(default, rename = "waiver")]
    pub waivers: Vec<WaiverDecl>,
    /// Vulnerabilities that dependency audits do not count, for a reason, until a date.
    #[serde(default, rename = "ignore")]
    pub ignores: Vec<IgnoreDecl>,
    /// Environment profiles (`[env.staging]`), chosen with `--env`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, EnvDecl>")]
    pub env: BTreeMap<Spanned<String>, EnvDecl>,

    // What `gonogo run` measures and collects. The core only accepts these sections; `gonogo
    // run` reads and checks them (with the same carets) against each engine's settings.
    /// `gonogo run`: the service under test (`base_url`).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub target: Option<toml::Table>,
    /// `gonogo run`: hosts besides loopback that engines may contact (`allow = [...]`).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub targets: Option<toml::Table>,
    /// `gonogo run`: how branches and tags map to deployment targets (`[delivery.dora]`: the
    /// DORA metrics, docs/delivery.md).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub delivery: Option<toml::Table>,
    /// `gonogo run --rollback-drill`: the commands that deploy the rollback target and roll
    /// forward, the health probe and its time limit (docs/delivery.md).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub rollback: Option<toml::Table>,
    /// `gonogo run`: commands to run, with the evidence files they leave.
    #[serde(default, rename = "command")]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub commands: Vec<toml::Table>,
    /// Evidence files to collect (`junit = "target/**/junit*.xml"`).
    #[serde(default, rename = "collect")]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub collect: Vec<toml::Table>,
    /// `gonogo run`: load scenarios by name (`[load.checkout]`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Map<String, serde_json::Value>>")]
    pub load: BTreeMap<String, toml::Table>,
    /// `gonogo run`: probes.
    #[serde(default, rename = "probe")]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub probes: Vec<toml::Table>,
    /// `gonogo run`: observability checks.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub observe: Option<toml::Table>,
    /// `gonogo run`: the hardening audit.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub harden: Option<toml::Table>,
    /// `gonogo run`: PromQL queries (`gonogo prometheus query` flags as keys): `query`, a scalar
    /// (an estimate), or `kind` = `ratio` (`errors`, `total`), `availability` (`series`) or
    /// `histogram` (`histogram`), with a `window`, for k of n or a distribution.
    #[serde(default, rename = "prometheus")]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub prometheus: Vec<toml::Table>,
    /// `gonogo run`: resilience drills, one per dependency (`gonogo fault`'s flags as keys),
    /// run while the engines run.
    #[serde(default, rename = "fault")]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub faults: Vec<toml::Table>,
    /// `gonogo run`: where and how reports are written.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub report: Option<toml::Table>,
    /// `gonogo gate` and `gonogo run`: a webhook called on NO-GO (`webhook` or `webhook_env`,
    /// `format` slack or json, `timeout_seconds`).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub notify: Option<toml::Table>,
    /// `gonogo audit`: which metric a report's claims are about (`[audit.map]`, a phrase of the
    /// claim to a metric name, `*` for one dotted segment). Read and checked by `gonogo audit`.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub audit: Option<toml::Table>,
    /// Where `gate` and `run` remember runs: `url = "…"`, a SQLite file (default
    /// `.gonogo/history.db` beside the policy) or `postgres://…`.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub history: Option<toml::Table>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    /// The service or policy name, shown in reports.
    pub name: Option<String>,
    /// Confidence of every interval, between 0.5 and 0.9999 (default 0.95).
    #[schemars(with = "Option<f64>")]
    pub confidence: Option<Spanned<f64>>,
    /// Where evidence files are read from (default: beside the verdict, else
    /// `.gonogo/evidence`).
    pub evidence_dir: Option<String>,
    /// Evidence older than this is stale for every gate that does not set its own: a duration
    /// (`24h`, `7d`) or `"none"`, written out (default `7d`).
    #[schemars(with = "Option<String>")]
    pub max_age: Option<Spanned<String>>,
    /// How far ahead a waiver may expire, in days (default 90).
    #[schemars(with = "Option<u32>")]
    pub max_waiver_days: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaDecl {
    /// A lower-case word.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// How reports title it.
    pub title: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricDecl {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub shape: ShapeDecl,
    /// The unit evidence writes it in: `ms`, `us`, `%`, `B`, `1/s`, or the thing counted.
    pub unit: String,
    pub description: Option<String>,
    /// How records of different sources combine: `sum`, `union`, `min`, `max`, `nonzero` or
    /// `single` (default: `sum` for ratios and distributions, `single` for values).
    pub combine: Option<crate::catalog::Combine>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ShapeDecl {
    Value,
    Ratio,
    Distribution,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateDecl {
    /// Unique; defaults to "<metric> <expect>".
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// One of the areas (default ones or declared).
    #[schemars(with = "String")]
    pub area: Spanned<String>,
    /// The metric's full name, e.g. `load.checkout.latency` or `tests.failed`.
    #[schemars(with = "String")]
    pub metric: Spanned<String>,
    /// e.g. `p(95) < 500ms`, `rate < 0.5%`, `count >= 100`, `value >= 80%`, `p(95) <= +10%`.
    #[schemars(with = "String")]
    pub expect: Spanned<String>,
    /// `blocker` (default) makes the area red and the verdict NO-GO; `warn` makes it yellow.
    #[serde(default)]
    pub severity: GateSeverity,
    /// Evidence older than this is stale: `90s`, `30m`, `24h`, `7d`, or `"none"` (default: the
    /// policy's `max_age`, else 7d).
    #[schemars(with = "Option<String>")]
    pub max_age: Option<Spanned<String>>,
    /// Confidence of this gate's interval (default: the policy's).
    #[schemars(with = "Option<f64>")]
    pub confidence: Option<Spanned<f64>>,
    /// For `max < t` and `min > t`: the share of requests past `t` the claim tolerates at most
    /// (default `1%`, which needs 368 samples at 95 %), e.g. `0.1%`.
    #[schemars(with = "Option<String>")]
    pub tail: Option<Spanned<String>>,
    pub description: Option<String>,
}

/// How a gate is enforced: a failing `blocker` makes the verdict NO-GO, a failing `warn` is
/// shown and does not.
// Named apart from a harden finding's severity and a vulnerability's (issue 16).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum GateSeverity {
    #[default]
    Blocker,
    Warn,
}

impl GateSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            GateSeverity::Blocker => "blocker",
            GateSeverity::Warn => "warn",
        }
    }

    pub fn parse(s: &str) -> Option<GateSeverity> {
        [GateSeverity::Blocker, GateSeverity::Warn]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverDecl {
    /// The gate's name.
    #[schemars(with = "String")]
    pub gate: Spanned<String>,
    pub reason: String,
    pub owner: String,
    /// The last day (UTC) the waiver applies, `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub expires: Spanned<String>,
    /// Only in this environment.
    #[schemars(with = "Option<String>")]
    pub env: Option<Spanned<String>>,
}

/// A vulnerability accepted for a while: the dependency audits (`cargo-audit`, `npm-audit`,
/// `pip-audit`, `osv-scanner`) collected under this policy list it as ignored, with the reason,
/// instead of counting it; from the day after `expires` it counts again.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreDecl {
    /// The advisory's ID or one of its aliases: `RUSTSEC-2023-0071`, `GHSA-...`, `CVE-...`,
    /// `PYSEC-...` (case does not matter).
    #[schemars(with = "String")]
    pub advisory: Spanned<String>,
    pub reason: String,
    pub owner: String,
    /// The last day (UTC) the rule applies, `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub expires: Spanned<String>,
    /// Only in this environment.
    #[schemars(with = "Option<String>")]
    pub env: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvDecl {
    /// Another environment whose overrides apply first.
    #[schemars(with = "Option<String>")]
    pub extends: Option<Spanned<String>>,
    /// Evidence kinds this environment must have (`junit`, `load`, ...). A kind that never
    /// arrives makes the verdict NO-GO with the reason `partial`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub requires: Vec<Spanned<String>>,
    #[schemars(with = "Option<f64>")]
    pub confidence: Option<Spanned<f64>>,
    /// Overrides by gate name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, GateOverride>")]
    pub gates: BTreeMap<Spanned<String>, GateOverride>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateOverride {
    #[schemars(with = "Option<String>")]
    pub expect: Option<Spanned<String>>,
    pub severity: Option<GateSeverity>,
    #[schemars(with = "Option<String>")]
    pub max_age: Option<Spanned<String>>,
    #[schemars(with = "Option<f64>")]
    pub confidence: Option<Spanned<f64>>,
}

/// The JSON Schema of `gonogo.toml`, for editors.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(PolicyFile)).expect("schema serialises")
}

// ---------------------------------------------------------------------------------------------
// The resolved policy.

/// A policy resolved for one environment (or none).
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: Option<String>,
    pub env: Option<String>,
    pub confidence: f64,
    pub evidence_dir: Option<String>,
    /// Areas in display order: the defaults, then the declared ones.
    pub areas: Vec<Area>,
    pub declared_metrics: Vec<DeclaredMetric>,
    pub gates: Vec<Gate>,
    /// Evidence kinds the environment requires.
    pub requires: Vec<String>,
    /// Accepted vulnerabilities (`[[ignore]]`) that apply in this environment, for the
    /// collectors of dependency audits.
    pub ignores: Vec<AdvisoryIgnore>,
    /// The policy-wide `max_age` in seconds (`None`: "none" was written out).
    pub max_age: Option<f64>,
    /// How far ahead a waiver may expire, in days.
    pub max_waiver_days: i64,
    /// The origins (`scheme://host:port`) and hosts the policy names: `[target] base_url`, the
    /// URLs of its engine sections, `[targets] origins` and `allow`. Records of the engines
    /// count only when they are about one of these.
    pub origins: BTreeSet<String>,
    /// The service under test, `[target] base_url` as written (for the reports' header).
    pub target: Option<String>,
    /// The metrics gonogo produces: what a gate's metric is checked against, and how each
    /// metric's records combine when the policy is evaluated.
    pub catalog: Catalog,
}

/// An `[[ignore]]` rule, checked and resolved for the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryIgnore {
    pub advisory: String,
    pub reason: String,
    pub owner: String,
    /// The last day it applies (UTC).
    pub expires: jiff::civil::Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub name: String,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct DeclaredMetric {
    pub name: String,
    pub shape: Shape,
    pub unit: Unit,
    pub combine: Option<crate::catalog::Combine>,
}

#[derive(Debug, Clone)]
pub struct Gate {
    pub name: String,
    pub area: String,
    pub metric: String,
    pub expect: Expectation,
    pub severity: GateSeverity,
    /// In seconds.
    pub max_age: Option<f64>,
    pub confidence: f64,
    /// For `max`/`min` tail claims: the share past the threshold tolerated (a fraction).
    pub tail: f64,
    pub description: Option<String>,
    pub waiver: Option<Waiver>,
    /// Where the gate's `metric` and `expect` values are in the policy text.
    pub metric_span: Range<usize>,
    pub expect_span: Range<usize>,
    /// Made by a `[[command]]` (its exit code must be 0), not written as a `[[gate]]`.
    pub from_command: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub reason: String,
    pub owner: String,
    /// The last day it applies (UTC).
    pub expires: jiff::civil::Date,
    /// Where `expires` is written, for the caret when it is too far ahead.
    pub expires_span: Range<usize>,
}

impl Policy {
    /// Parses and resolves a policy for `env` (none: the gates as written) against the
    /// metrics gonogo produces (`catalog`, kept by the policy). Returns every problem found,
    /// not only the first.
    pub fn parse(text: &str, env: Option<&str>, catalog: Catalog) -> Result<Policy, Vec<Problem>> {
        // Every unknown key at once, then everything the rest of the policy says.
        let (file, mut problems) = crate::settings::from_str_all::<PolicyFile>(text);
        let Some(file) = file else {
            return Err(problems);
        };
        match resolve(file, env, catalog) {
            Ok(policy) if problems.is_empty() => Ok(policy),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
    }

    /// Checks each gate's metric against what is known: the catalogue, `[[metric]]`
    /// declarations and `evidence_metrics` (name → shape and unit of metrics in the evidence at
    /// hand). Unknown names get suggestions; aggregates and units must fit.
    pub fn check_metrics(
        &self,
        evidence_metrics: &BTreeMap<String, (Shape, Unit)>,
    ) -> Vec<Problem> {
        let mut problems = Vec::new();
        for gate in &self.gates {
            let known = self
                .declared_metrics
                .iter()
                .find(|m| m.name == gate.metric)
                .map(|m| (m.shape, m.unit.clone()))
                .or_else(|| evidence_metrics.get(&gate.metric).cloned())
                .or_else(|| {
                    self.catalog
                        .lookup(&gate.metric)
                        .map(|row| (row.shape, Unit::parse(row.unit)))
                });
            // A command's metric must name a command of this policy: `command.pytst.exit_code`
            // matches the catalogue's `command.*.exit_code` but no command.
            let commands: Vec<&str> = self
                .gates
                .iter()
                .filter(|g| g.from_command)
                .map(|g| g.metric.as_str())
                .collect();
            let segment = |metric: &str| metric.split('.').nth(1).map(str::to_owned);
            if !gate.from_command
                && gate.metric.starts_with("command.")
                && !commands.is_empty()
                && !commands.iter().any(|c| segment(c) == segment(&gate.metric))
            {
                let candidates: Vec<String> = commands
                    .iter()
                    .map(|c| {
                        let tail = gate.metric.splitn(3, '.').nth(2).unwrap_or("exit_code");
                        format!("command.{}.{tail}", segment(c).unwrap_or_default())
                    })
                    .collect();
                problems.push(
                    Problem::new(
                        format!("unknown metric `{}`", gate.metric),
                        gate.metric_span.clone(),
                        "no [[command]] of this policy has this name",
                    )
                    .did_you_mean(&closest(
                        &gate.metric,
                        candidates.iter().map(String::as_str),
                    )),
                );
                continue;
            }
            let Some((shape, unit)) = known else {
                let mut candidates: BTreeSet<String> = evidence_metrics.keys().cloned().collect();
                candidates.extend(self.declared_metrics.iter().map(|m| m.name.clone()));
                candidates.extend(self.catalog.rows().map(|row| row.pattern.to_owned()));
                let suggestions = closest(&gate.metric, candidates.iter().map(String::as_str));
                problems.push(
                    Problem::new(
                        format!("unknown metric `{}`", gate.metric),
                        gate.metric_span.clone(),
                        "no engine, collector, declaration or evidence has this metric",
                    )
                    .did_you_mean(&suggestions),
                );
                continue;
            };
            if let Err(problem) = check_fit(gate, shape, &unit) {
                problems.push(problem);
            }
        }
        problems
    }

    pub fn gate(&self, name: &str) -> Option<&Gate> {
        self.gates.iter().find(|g| g.name == name)
    }

    /// Waivers that expire more than `max_waiver_days` after `today`: a waiver is a decision
    /// to look again soon, not a way to switch a gate off.
    pub fn check_waivers(&self, today: jiff::civil::Date) -> Vec<Problem> {
        let limit = today
            .checked_add(jiff::Span::new().days(self.max_waiver_days))
            .unwrap_or(jiff::civil::Date::MAX);
        self.gates
            .iter()
            .filter_map(|gate| gate.waiver.as_ref().map(|w| (gate, w)))
            .filter(|(_, waiver)| waiver.expires > limit)
            .map(|(gate, waiver)| {
                Problem::new(
                    format!(
                        "the waiver of `{}` expires on {}, more than {} days ahead",
                        gate.name, waiver.expires, self.max_waiver_days
                    ),
                    waiver.expires_span.clone(),
                    format!("at most {limit}"),
                )
                .help("a waiver must be looked at again: set a nearer date, or raise [policy] max_waiver_days")
            })
            .collect()
    }

    /// How records of `metric` from different sources combine: the policy's declaration for
    /// its own metrics, else the catalogue's row.
    pub fn combine_of(&self, metric: &str, shape: Shape) -> crate::catalog::Combine {
        self.declared_metrics
            .iter()
            .find(|m| m.name == metric)
            .and_then(|m| m.combine)
            .unwrap_or_else(|| self.catalog.combine_for(metric, shape))
    }

    /// Whether an engine's record about `url` is about something the policy names.
    pub fn names_source(&self, url: &str) -> bool {
        let origin = origin(url);
        self.origins.contains(&origin)
            || host_of(&origin).is_some_and(|host| self.origins.contains(&format!("host:{host}")))
    }
}

/// The origin of a URL: `scheme://host:port`, lower case, default ports written out
/// (`http://Example.com/x` → `http://example.com:80`); user information is dropped. Text that
/// is not a URL is returned trimmed.
pub fn origin(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let authority = authority.to_ascii_lowercase();
    let has_port = match authority.rfind(']') {
        Some(close) => authority[close..].contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        return format!("{scheme}://{authority}");
    }
    let port = match scheme.as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    };
    match port {
        Some(port) => format!("{scheme}://{authority}:{port}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// The host of an [`origin`] (`[::1]` keeps its brackets); `None` for text that is not a URL.
pub fn host_of(origin: &str) -> Option<&str> {
    let (_, authority) = origin.split_once("://")?;
    Some(match authority.rfind(']') {
        Some(close) => &authority[..=close],
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    })
}

/// The dimension a gate's threshold must have for `aggregate` over a metric of `shape`/`unit`.
pub fn threshold_dimension(aggregate: Aggregate, shape: Shape, unit: &Unit) -> Dimension {
    match (shape, aggregate) {
        (Shape::Ratio, Aggregate::Rate) => Dimension::Fraction,
        (_, Aggregate::Count | Aggregate::Total) => Dimension::Number,
        _ => unit.dimension(),
    }
}

/// Whether a threshold suffix suits a dimension. A bare number suits plain numbers, rates per
/// second (in base units) and fractions (k6's `rate < 0.01`); durations and sizes need a unit.
pub fn suffix_fits(suffix: Suffix, dimension: Dimension) -> bool {
    match suffix.dimension() {
        Some(d) => d == dimension,
        None => !matches!(dimension, Dimension::Time | Dimension::Bytes),
    }
}

/// A threshold that cannot mean what it says, for a gate whose threshold has `dimension`:
/// a bare number of 1 or more on a fraction (`rate < 1` is 100 %, not 1 %), or a rate
/// threshold below 0 % or above 100 %. Returns the message and a help line.
pub fn threshold_nonsense(
    aggregate: Aggregate,
    threshold: Threshold,
    dimension: Dimension,
) -> Option<(String, String)> {
    let Threshold::Absolute { number, suffix } = threshold else {
        return None;
    };
    if dimension != Dimension::Fraction {
        return None;
    }
    if suffix == Suffix::None && number >= 1.0 {
        return Some((
            format!(
                "the bare number {number} on a percentage means {}%: did you mean {number}%?",
                number * 100.0
            ),
            "a bare number on a rate or a `%` metric is a fraction (0.01 is 1%); write the percent sign".to_owned(),
        ));
    }
    let value = number * suffix.to_base();
    if aggregate == Aggregate::Rate && !(0.0..=1.0).contains(&value) {
        return Some((
            format!(
                "a rate is between 0% and 100%: the threshold {threshold} can never be crossed"
            ),
            "write a threshold between 0% and 100%, e.g. `rate < 0.5%`".to_owned(),
        ));
    }
    None
}

fn check_fit(gate: &Gate, shape: Shape, unit: &Unit) -> Result<(), Problem> {
    let aggregate = gate.expect.aggregate;
    if !aggregate.shapes().contains(&shape) {
        let help = if shape == Shape::Ratio && aggregate == Aggregate::Value {
            "a ratio keeps its sample size: use `rate` (e.g. `rate >= 80%`), which is judged with its confidence interval".to_owned()
        } else {
            format!("for a {shape}, use {}", Aggregate::suggestions(shape))
        };
        return Err(Problem::new(
            format!(
                "`{aggregate}` does not apply to `{}`, which is a {shape}",
                gate.metric
            ),
            gate.expect_span.clone(),
            format!("a {shape} metric"),
        )
        .help(help));
    }
    if let Some((message, help)) = threshold_nonsense(
        aggregate,
        gate.expect.threshold,
        threshold_dimension(aggregate, shape, unit),
    ) {
        return Err(Problem::new(message, gate.expect_span.clone(), "this threshold").help(help));
    }
    if let Threshold::Absolute { suffix, .. } = gate.expect.threshold {
        let dimension = threshold_dimension(aggregate, shape, unit);
        if !suffix_fits(suffix, dimension) {
            let written = if suffix == Suffix::None {
                "a bare number".to_owned()
            } else {
                format!("`{suffix}`")
            };
            return Err(Problem::new(
                format!(
                    "the unit does not fit: `{}` is measured in {unit}, the threshold is {written}",
                    gate.metric
                ),
                gate.expect_span.clone(),
                "this threshold",
            )
            .help(format!(
                "`{aggregate}` of this metric needs {}",
                dimension.describe()
            )));
        }
    }
    Ok(())
}

pub(crate) fn toml_problem(error: &toml::de::Error, text: &str) -> Problem {
    let span = error.span().unwrap_or(0..0);
    let span = span.start.min(text.len())..span.end.min(text.len());
    let message = error.message().trim().to_owned();
    let mut problem = Problem::new(message.clone(), span, "here");
    if message.starts_with("unknown field") {
        problem = problem
            .help("see `gonogo init` for a commented example, or `gonogo schema` for every key");
    }
    problem
}

fn resolve(file: PolicyFile, env: Option<&str>, catalog: Catalog) -> Result<Policy, Vec<Problem>> {
    let mut problems = Vec::new();

    let mut policy_max_age = Some(DEFAULT_MAX_AGE_SECONDS);
    if let Some(text) = &file.policy.max_age {
        match parse_max_age(text) {
            Ok(age) => policy_max_age = age,
            Err(p) => problems.push(p),
        }
    }
    let mut max_waiver_days = DEFAULT_MAX_WAIVER_DAYS;
    if let Some(days) = &file.policy.max_waiver_days {
        if (1..=3650).contains(days.get_ref()) {
            max_waiver_days = *days.get_ref();
        } else {
            problems.push(
                Problem::new(
                    format!("max_waiver_days {} is out of range", days.get_ref()),
                    days.span(),
                    "here",
                )
                .help("a number of days from 1 to 3650 (default 90)"),
            );
        }
    }

    let mut confidence = DEFAULT_CONFIDENCE;
    if let Some(c) = &file.policy.confidence {
        match check_confidence(c) {
            Ok(value) => confidence = value,
            Err(p) => problems.push(p),
        }
    }

    // Areas.
    let mut areas: Vec<Area> = DEFAULT_AREAS
        .iter()
        .map(|name| Area {
            name: (*name).to_owned(),
            title: title_case(name),
        })
        .collect();
    for decl in &file.areas {
        let name = decl.name.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
        {
            problems.push(Problem::new(
                format!("area name `{name}` must be a lower-case word"),
                decl.name.span(),
                "here",
            ));
        } else if areas.iter().any(|a| a.name == *name) {
            problems.push(Problem::new(
                format!("area `{name}` is defined twice"),
                decl.name.span(),
                "again here",
            ));
        } else {
            areas.push(Area {
                name: name.clone(),
                title: decl.title.clone().unwrap_or_else(|| title_case(name)),
            });
        }
    }

    // Declared metrics.
    let mut declared_metrics = Vec::new();
    for decl in &file.metrics {
        let name = decl.name.get_ref();
        if let Some(row) = catalog.lookup(name) {
            problems.push(
                Problem::new(
                    format!("metric `{name}` is produced by gonogo ({})", row.about),
                    decl.name.span(),
                    "declared here",
                )
                .help("remove the declaration, or pick a name outside gonogo's (e.g. `custom.…`)"),
            );
            continue;
        }
        declared_metrics.push(DeclaredMetric {
            name: name.clone(),
            shape: match decl.shape {
                ShapeDecl::Value => Shape::Value,
                ShapeDecl::Ratio => Shape::Ratio,
                ShapeDecl::Distribution => Shape::Distribution,
            },
            unit: Unit::parse(&decl.unit),
            combine: decl.combine,
        });
    }
    // A `[[prometheus]]` query with a `kind` gives a ratio or a distribution, not the
    // catalogue's `prometheus.*` value (the engine checks the section's other keys).
    for table in &file.prometheus {
        let text = |key: &str| table.get(key).and_then(toml::Value::as_str);
        let (shape, unit) = match text("kind") {
            Some("ratio") => (Shape::Ratio, Unit::count("requests")),
            Some("availability") => (Shape::Ratio, Unit::count("samples")),
            Some("histogram") => (Shape::Distribution, Unit::parse("us")),
            _ => continue,
        };
        declared_metrics.push(DeclaredMetric {
            name: format!("prometheus.{}", text("name").unwrap_or("query")),
            shape,
            unit,
            combine: None,
        });
    }

    // Environment chain: the named env and its ancestors, root first.
    let env_chain: Vec<&EnvDecl> = match env {
        None => Vec::new(),
        Some(name) => match env_chain(&file, name) {
            Ok(chain) => chain,
            Err(p) => {
                problems.push(p);
                Vec::new()
            }
        },
    };
    // Every env's gate overrides must name gates (checked for all envs, not only the chosen).
    let gate_names: Vec<String> = file.gates.iter().map(gate_name).collect();
    for (env_name, decl) in &file.env {
        for gate_key in decl.gates.keys() {
            if !gate_names.iter().any(|g| g == gate_key.get_ref()) {
                let suggestions =
                    closest(gate_key.get_ref(), gate_names.iter().map(String::as_str));
                problems.push(
                    Problem::new(
                        format!(
                            "env `{}` overrides gate `{}`, which does not exist",
                            env_name.get_ref(),
                            gate_key.get_ref()
                        ),
                        gate_key.span(),
                        "no gate has this name",
                    )
                    .did_you_mean(&suggestions),
                );
            }
        }
        if let Some(c) = &decl.confidence
            && let Err(p) = check_confidence(c)
        {
            problems.push(p);
        }
    }
    for decl in &env_chain {
        if let Some(c) = &decl.confidence
            && let Ok(value) = check_confidence(c)
        {
            confidence = value;
        }
    }

    // Gates.
    let mut gates = Vec::new();
    let mut seen_names: BTreeMap<String, Range<usize>> = BTreeMap::new();
    for (decl, name) in file.gates.iter().zip(&gate_names) {
        let name_span = decl
            .name
            .as_ref()
            .map_or_else(|| decl.metric.span(), Spanned::span);
        if seen_names.insert(name.clone(), name_span.clone()).is_some() {
            problems.push(
                Problem::new(
                    format!("two gates are named `{name}`"),
                    name_span.clone(),
                    "again here",
                )
                .help("give each gate a unique `name`"),
            );
        }
        let area = decl.area.get_ref();
        if !areas.iter().any(|a| a.name == *area) {
            let suggestions = closest(area, areas.iter().map(|a| a.name.as_str()));
            problems.push(
                Problem::new(
                    format!("unknown area `{area}`"),
                    decl.area.span(),
                    "not an area",
                )
                .did_you_mean(&suggestions)
                .help(format!(
                    "areas: {}; add one with [[area]]",
                    areas
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }

        // Base values, then each env override in order.
        let mut expect_text = &decl.expect;
        let mut severity = decl.severity;
        let mut max_age_text = decl.max_age.as_ref();
        let mut gate_confidence = decl.confidence.as_ref();
        for env_decl in &env_chain {
            if let Some((_, over)) = env_decl.gates.iter().find(|(k, _)| k.get_ref() == name) {
                if let Some(e) = &over.expect {
                    expect_text = e;
                }
                if let Some(s) = over.severity {
                    severity = s;
                }
                if let Some(m) = &over.max_age {
                    max_age_text = Some(m);
                }
                if let Some(c) = &over.confidence {
                    gate_confidence = Some(c);
                }
            }
        }
        let expect = match parse_expectation(expect_text) {
            Ok(e) => Some(e),
            Err(p) => {
                problems.push(p);
                None
            }
        };
        let max_age = match max_age_text.map(parse_max_age).transpose() {
            Ok(age) => age.unwrap_or(policy_max_age),
            Err(p) => {
                problems.push(p);
                None
            }
        };
        let confidence = match gate_confidence.map(check_confidence).transpose() {
            Ok(c) => c.unwrap_or(confidence),
            Err(p) => {
                problems.push(p);
                confidence
            }
        };
        let tail = match decl.tail.as_ref().map(check_tail).transpose() {
            Ok(t) => t.unwrap_or(DEFAULT_TAIL),
            Err(p) => {
                problems.push(p);
                DEFAULT_TAIL
            }
        };
        if let Some(expect) = expect {
            gates.push(Gate {
                name: name.clone(),
                area: area.clone(),
                metric: decl.metric.get_ref().clone(),
                expect,
                severity,
                max_age,
                confidence,
                tail,
                description: decl.description.clone(),
                waiver: None,
                metric_span: decl.metric.span(),
                expect_span: expect_text.span(),
                from_command: false,
            });
        }
    }

    // Waivers.
    for decl in &file.waivers {
        let gate = decl.gate.get_ref();
        let accepted = check_acceptance(
            "waiver",
            Acceptance {
                subject: &decl.gate,
                reason: &decl.reason,
                owner: &decl.owner,
                expires: &decl.expires,
                env: decl.env.as_ref(),
            },
            &file,
            env,
            &mut problems,
        );
        match gates.iter_mut().find(|g| g.name == *gate) {
            Some(target) => {
                if let Some(expires) = accepted {
                    target.waiver = Some(Waiver {
                        reason: decl.reason.clone(),
                        owner: decl.owner.clone(),
                        expires,
                        expires_span: decl.expires.span(),
                    });
                }
            }
            None if !gate_names.iter().any(|g| g == gate) => {
                problems.push(
                    Problem::new(
                        format!("waiver for gate `{gate}`, which does not exist"),
                        decl.gate.span(),
                        "no gate has this name",
                    )
                    .did_you_mean(&closest(gate, gate_names.iter().map(String::as_str))),
                );
            }
            None => {} // the gate exists but has its own problem, reported above
        }
    }

    // Ignore rules for audits.
    let mut ignores = Vec::new();
    for decl in &file.ignores {
        let accepted = check_acceptance(
            "ignore rule",
            Acceptance {
                subject: &decl.advisory,
                reason: &decl.reason,
                owner: &decl.owner,
                expires: &decl.expires,
                env: decl.env.as_ref(),
            },
            &file,
            env,
            &mut problems,
        );
        let advisory = decl.advisory.get_ref().trim();
        if advisory.is_empty() || advisory.contains(char::is_whitespace) {
            problems.push(
                Problem::new(
                    format!("`{advisory}` is not an advisory ID"),
                    decl.advisory.span(),
                    "expected one ID",
                )
                .help("name the advisory or an alias, e.g. \"RUSTSEC-2023-0071\" or \"CVE-2023-49092\"; one [[ignore]] per advisory"),
            );
        } else if let Some(expires) = accepted {
            ignores.push(AdvisoryIgnore {
                advisory: advisory.to_owned(),
                reason: decl.reason.trim().to_owned(),
                owner: decl.owner.trim().to_owned(),
                expires,
            });
        }
    }

    let requires = env_chain
        .iter()
        .flat_map(|decl| decl.requires.iter().map(|k| k.get_ref().clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    // Every [[command]] is a blocker of its own: it must exit 0.
    for table in &file.commands {
        match command_gate(table, &areas, policy_max_age) {
            Ok(Some(gate)) => {
                if gates.iter().any(|g| g.name == gate.name) {
                    problems.push(Problem::new(
                        format!(
                            "two gates are named `{}` (a [[command]] makes one)",
                            gate.name
                        ),
                        0..0,
                        "",
                    ));
                } else {
                    gates.push(gate);
                }
            }
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }

    let origins = named_origins(&file);
    let target = file
        .target
        .as_ref()
        .and_then(|t| t.get("base_url"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned);

    if problems.is_empty() {
        Ok(Policy {
            max_age: policy_max_age,
            max_waiver_days,
            origins,
            target,
            name: file.policy.name,
            env: env.map(str::to_owned),
            confidence,
            evidence_dir: file.policy.evidence_dir,
            areas,
            declared_metrics,
            gates,
            requires,
            ignores,
            catalog,
        })
    } else {
        problems.sort_by_key(|p| (p.span.start, p.span.end));
        Err(problems)
    }
}

/// What a waiver and an ignore rule have in common: something accepted, for a reason, by an
/// owner, until a date, maybe in one environment only.
struct Acceptance<'a> {
    subject: &'a Spanned<String>,
    reason: &'a str,
    owner: &'a str,
    expires: &'a Spanned<String>,
    env: Option<&'a Spanned<String>>,
}

/// Checks an acceptance's date, reason, owner and environment (problems pushed with their
/// spans); returns its last day when it is valid and applies in `env`.
fn check_acceptance(
    what: &str,
    acceptance: Acceptance<'_>,
    file: &PolicyFile,
    env: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<jiff::civil::Date> {
    let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let mut valid = true;
    if let Some(own_env) = acceptance.env
        && !file.env.keys().any(|k| k.get_ref() == own_env.get_ref())
    {
        let names: Vec<&str> = file.env.keys().map(|k| k.get_ref().as_str()).collect();
        problems.push(
            Problem::new(
                format!(
                    "{what} names env `{}`, which does not exist",
                    own_env.get_ref()
                ),
                own_env.span(),
                "no such env",
            )
            .did_you_mean(&closest(own_env.get_ref(), names)),
        );
        valid = false;
    }
    let expires = match acceptance.expires.get_ref().parse::<jiff::civil::Date>() {
        Ok(date) => Some(date),
        Err(_) => {
            problems.push(
                Problem::new(
                    format!("`{}` is not a date", acceptance.expires.get_ref()),
                    acceptance.expires.span(),
                    "expected YYYY-MM-DD",
                )
                .help(format!(
                    "{article} {what} must expire: write the last day it applies, e.g. \"2026-12-31\""
                )),
            );
            None
        }
    };
    if acceptance.reason.trim().is_empty() || acceptance.owner.trim().is_empty() {
        problems.push(Problem::new(
            format!("{article} {what} needs a reason and an owner"),
            acceptance.subject.span(),
            format!("this {what}"),
        ));
        valid = false;
    }
    let applies_here = match acceptance.env {
        None => true,
        Some(own_env) => env == Some(own_env.get_ref().as_str()),
    };
    expires.filter(|_| valid && applies_here)
}

fn gate_name(decl: &GateDecl) -> String {
    decl.name.as_ref().map_or_else(
        || format!("{} {}", decl.metric.get_ref(), decl.expect.get_ref().trim()),
        |n| n.get_ref().clone(),
    )
}

/// The chain of environments from the root ancestor to `name`.
fn env_chain<'a>(file: &'a PolicyFile, name: &str) -> Result<Vec<&'a EnvDecl>, Problem> {
    let find = |n: &str| file.env.iter().find(|(k, _)| k.get_ref() == n);
    let Some((_, mut current)) = find(name) else {
        let names: Vec<&str> = file.env.keys().map(|k| k.get_ref().as_str()).collect();
        let help = if names.is_empty() {
            "the policy defines no [env.NAME] profiles".to_owned()
        } else {
            format!("environments in this policy: {}", names.join(", "))
        };
        return Err(
            Problem::new(format!("no environment `{name}` in the policy"), 0..0, "")
                .did_you_mean(&closest(name, names))
                .help(help),
        );
    };
    let mut chain = vec![current];
    let mut visited = vec![name.to_owned()];
    while let Some(parent) = &current.extends {
        let parent_name = parent.get_ref();
        if visited.iter().any(|v| v == parent_name) {
            return Err(Problem::new(
                format!(
                    "environments extend each other in a loop: {} -> {parent_name}",
                    visited.join(" -> ")
                ),
                parent.span(),
                "loops back here",
            ));
        }
        let Some((_, next)) = find(parent_name) else {
            let names: Vec<&str> = file.env.keys().map(|k| k.get_ref().as_str()).collect();
            return Err(Problem::new(
                format!("`extends` names env `{parent_name}`, which does not exist"),
                parent.span(),
                "no such env",
            )
            .did_you_mean(&closest(parent_name, names)));
        };
        visited.push(parent_name.clone());
        chain.push(next);
        current = next;
    }
    chain.reverse();
    Ok(chain)
}

fn parse_expectation(text: &Spanned<String>) -> Result<Expectation, Problem> {
    let raw = text.get_ref();
    raw.parse::<Expectation>().map_err(|e| {
        // The value's span includes the quotes; the string starts one byte in (basic and
        // literal strings; multi-line strings are not worth a special case here).
        let start = text.span().start + 1;
        let span = (start + e.span.start)
            ..(start + e.span.end.max(e.span.start + 1).min(raw.len().max(1)));
        let mut problem = Problem::new(format!("in `expect`: {}", e.message), span, "here");
        if let Some(help) = e.help {
            problem = problem.help(help);
        }
        problem
    })
}

/// Parses a duration (`90s`, `30m`, `24h`, `7d`, `1m30s`) into seconds: gonogo's one
/// duration syntax ([`crate::duration`]).
pub fn parse_duration_seconds(text: &str) -> Option<f64> {
    crate::duration::parse_seconds(text).ok()
}

/// A `max_age`: a duration, or `"none"` written out (`Ok(None)`).
fn parse_max_age(text: &Spanned<String>) -> Result<Option<f64>, Problem> {
    if text.get_ref().trim() == "none" {
        return Ok(None);
    }
    parse_age(text).map(Some)
}

/// The gate a `[[command]]` makes: `command.<name>.exit_code` must be 0. A blocker unless
/// `allow_failure = true`; in the `delivery` area unless it says `area`. The core reads only
/// these keys; `gonogo run` checks the rest.
fn command_gate(
    table: &toml::Table,
    areas: &[Area],
    max_age: Option<f64>,
) -> Result<Option<Gate>, Problem> {
    let Some(name) = table.get("name").and_then(toml::Value::as_str) else {
        return Ok(None); // `gonogo run` reports the missing name with its caret
    };
    let text = |key: &str| table.get(key).and_then(toml::Value::as_str);
    let segment = crate::catalog::segment(text("metric").unwrap_or(name));
    let area = text("area").unwrap_or("delivery");
    if !areas.iter().any(|a| a.name == area) {
        return Err(Problem::new(
            format!("[[command]] `{name}`: unknown area `{area}`"),
            0..0,
            "",
        )
        .did_you_mean(&closest(area, areas.iter().map(|a| a.name.as_str()))));
    }
    let allow_failure = table
        .get("allow_failure")
        .and_then(toml::Value::as_bool)
        .unwrap_or(false);
    Ok(Some(Gate {
        name: format!("command {name}"),
        area: area.to_owned(),
        metric: format!("command.{segment}.exit_code"),
        expect: "value == 0".parse().expect("a valid expectation"),
        severity: if allow_failure {
            GateSeverity::Warn
        } else {
            GateSeverity::Blocker
        },
        max_age,
        confidence: DEFAULT_CONFIDENCE,
        tail: DEFAULT_TAIL,
        description: text("run").map(|run| format!("`{run}` exits 0")),
        waiver: None,
        metric_span: 0..0,
        expect_span: 0..0,
        from_command: true,
    }))
}

/// The origins and hosts a policy names (see [`Policy::origins`]).
fn named_origins(file: &PolicyFile) -> BTreeSet<String> {
    let mut origins = BTreeSet::new();
    let text = |table: &toml::Table, key: &str| {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let base = file.target.as_ref().and_then(|t| text(t, "base_url"));
    if let Some(base) = &base {
        origins.insert(origin(base));
    }
    let sections = file
        .load
        .values()
        .chain(&file.probes)
        .chain(file.observe.iter())
        .chain(file.harden.iter())
        .chain(&file.prometheus);
    for table in sections {
        if let Some(url) = text(table, "url") {
            origins.insert(origin(&url));
        }
    }
    if let Some(targets) = &file.targets {
        let list = |key: &str| -> Vec<String> {
            targets
                .get(key)
                .and_then(toml::Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        for url in list("origins") {
            origins.insert(origin(&url));
        }
        for host in list("allow") {
            origins.insert(format!("host:{}", host.trim().to_ascii_lowercase()));
        }
    }
    origins
}

fn parse_age(text: &Spanned<String>) -> Result<f64, Problem> {
    crate::duration::parse_seconds(text.get_ref()).map_err(|error| {
        Problem::new(
            format!("`{}` is not a duration", text.get_ref()),
            text.span(),
            "expected a duration",
        )
        .help(match error {
            crate::duration::DurationError::BareNumber(_) => error.to_string(),
            _ => "write a number and a unit: 90s, 30m, 24h, 7d".to_owned(),
        })
    })
}

fn check_confidence(c: &Spanned<f64>) -> Result<f64, Problem> {
    let value = *c.get_ref();
    if (0.90..=0.9999).contains(&value) {
        Ok(value)
    } else {
        Err(Problem::new(
            format!("confidence {value} is out of range"),
            c.span(),
            "here",
        )
        .help("a confidence is a fraction between 0.90 and 0.9999, e.g. 0.95: below 0.90 a pass claims too little"))
    }
}

/// The default tail of a `max`/`min` claim: 1 % of requests.
pub const DEFAULT_TAIL: f64 = 0.01;

fn check_tail(t: &Spanned<String>) -> Result<f64, Problem> {
    let text = t.get_ref().trim();
    let value = text
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 100.0);
    value.map(|v| v / 100.0).ok_or_else(|| {
        Problem::new(
            format!("`tail = \"{text}\"` is not a share of requests"),
            t.span(),
            "here",
        )
        .help("a tail is a percentage above 0 % and below 100 %, e.g. `tail = \"0.1%\"`")
    })
}

fn title_case(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixture::CATALOG;

    const BASE: &str = r#"
[[gate]]
name = "checkout p95"
area = "performance"
metric = "load.checkout.latency"
expect = "p(95) < 500ms"

[[gate]]
area = "functionality"
metric = "tests.failed"
expect = "rate < 0.5%"
severity = "warn"

[env.staging.gates."checkout p95"]
expect = "p(95) < 800ms"

[env.production]
extends = "staging"
requires = ["load"]
[env.production.gates."checkout p95"]
severity = "warn"
"#;

    fn problems(text: &str) -> Vec<String> {
        Policy::parse(text, None, CATALOG)
            .unwrap_err()
            .into_iter()
            .map(|p| {
                format!(
                    "{} [{}] {}",
                    p.message,
                    &text[p.span.clone()],
                    p.help.unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn gates_resolve_per_environment() {
        let plain = Policy::parse(BASE, None, CATALOG).unwrap();
        assert_eq!(plain.gates[0].expect.to_string(), "p(95) < 500ms");
        assert_eq!(plain.gates[1].name, "tests.failed rate < 0.5%");
        assert_eq!(plain.gates[1].severity, GateSeverity::Warn);

        let staging = Policy::parse(BASE, Some("staging"), CATALOG).unwrap();
        assert_eq!(staging.gates[0].expect.to_string(), "p(95) < 800ms");
        assert_eq!(staging.gates[0].severity, GateSeverity::Blocker);

        let production = Policy::parse(BASE, Some("production"), CATALOG).unwrap();
        assert_eq!(production.gates[0].expect.to_string(), "p(95) < 800ms");
        assert_eq!(production.gates[0].severity, GateSeverity::Warn);
        assert_eq!(production.requires, vec!["load".to_owned()]);
    }

    #[test]
    fn every_problem_is_reported_with_its_span() {
        let text = r#"
[[gate]]
area = "perfomance"
metric = "load.x.latency"
expect = "p(95) < 5parsecs"
max_age = "soon"
"#;
        assert_eq!(
            problems(text),
            vec![
                "unknown area `perfomance` [\"perfomance\"] did you mean `performance`?\nareas: functionality, performance, reliability, security, observability, delivery; add one with [[area]]".to_owned(),
                "in `expect`: unknown unit `parsecs` [parsecs] units: ns, us, ms, s, m, h, d, %, B, KB, MB, GB, KiB, MiB, GiB, /s".to_owned(),
                "`soon` is not a duration [\"soon\"] write a number and a unit: 90s, 30m, 24h, 7d".to_owned(),
            ]
        );
    }

    #[test]
    fn unknown_keys_and_envs_are_errors() {
        let text =
            "[[gate]]\narea = \"performance\"\nmetric = \"tests.failed\"\nexpct = \"rate < 1%\"\n";
        let found = problems(text);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("unknown field `expct`"), "{found:?}");

        let error = Policy::parse(BASE, Some("prod"), CATALOG).unwrap_err();
        assert_eq!(error[0].message, "no environment `prod` in the policy");

        let looped = "[env.a]\nextends = \"b\"\n[env.b]\nextends = \"a\"\n";
        let error = Policy::parse(looped, Some("a"), CATALOG).unwrap_err();
        assert!(error[0].message.contains("loop"), "{error:?}");
    }

    #[test]
    fn waivers_attach_and_must_name_real_gates() {
        let text = format!(
            "{BASE}\n[[waiver]]\ngate = \"checkout p95\"\nreason = \"cache lands in 1.4\"\nowner = \"alice\"\nexpires = \"2026-12-31\"\n"
        );
        let policy = Policy::parse(&text, None, CATALOG).unwrap();
        assert_eq!(
            policy.gates[0].waiver.as_ref().unwrap().expires,
            jiff::civil::date(2026, 12, 31)
        );
        let typo = text.replace("gate = \"checkout p95\"", "gate = \"checkout p59\"");
        assert_eq!(
            problems(&typo),
            vec!["waiver for gate `checkout p59`, which does not exist [\"checkout p59\"] did you mean `checkout p95`?".to_owned()]
        );
    }

    #[test]
    fn ignore_rules_resolve_per_environment_and_are_checked() {
        let text = format!(
            "{BASE}\n[env.staging]\n\n[[ignore]]\nadvisory = \" RUSTSEC-2023-0071 \"\nreason = \"we only verify signatures\"\nowner = \"bob\"\nexpires = \"2027-01-31\"\n\n[[ignore]]\nadvisory = \"GHSA-xxxx\"\nreason = \"dev dependency\"\nowner = \"carol\"\nexpires = \"2027-02-01\"\nenv = \"staging\"\n"
        );
        let everywhere = Policy::parse(&text, None, CATALOG).unwrap();
        assert_eq!(
            everywhere.ignores,
            vec![AdvisoryIgnore {
                advisory: "RUSTSEC-2023-0071".into(),
                reason: "we only verify signatures".into(),
                owner: "bob".into(),
                expires: jiff::civil::date(2027, 1, 31),
            }]
        );
        let staging = Policy::parse(&text, Some("staging"), CATALOG).unwrap();
        assert_eq!(
            staging
                .ignores
                .iter()
                .map(|i| i.advisory.as_str())
                .collect::<Vec<_>>(),
            ["RUSTSEC-2023-0071", "GHSA-xxxx"]
        );

        let bad = text
            .replace("expires = \"2027-01-31\"", "expires = \"someday\"")
            .replace("owner = \"carol\"", "owner = \"\"")
            .replace("env = \"staging\"", "env = \"stagign\"");
        assert_eq!(
            problems(&bad),
            vec![
                "`someday` is not a date [\"someday\"] an ignore rule must expire: write the last day it applies, e.g. \"2026-12-31\"".to_owned(),
                "an ignore rule needs a reason and an owner [\"GHSA-xxxx\"] ".to_owned(),
                "ignore rule names env `stagign`, which does not exist [\"stagign\"] did you mean `staging`?".to_owned(),
            ]
        );
        let two = text.replace("GHSA-xxxx", "GHSA-1 GHSA-2");
        assert_eq!(problems(&two).len(), 1, "{:?}", problems(&two));
        assert!(problems(&two)[0].starts_with("`GHSA-1 GHSA-2` is not an advisory ID"));
    }

    #[test]
    fn metrics_are_checked_against_what_exists() {
        let text = r#"
[[gate]]
area = "functionality"
metric = "tests.faild"
expect = "rate < 1%"

[[gate]]
area = "performance"
metric = "load.api.latency"
expect = "p(95) < 5%"

[[gate]]
area = "functionality"
metric = "coverage.lines"
expect = "value >= 80%"

[[gate]]
area = "performance"
metric = "load.api.latency"
expect = "p(99) < 500"
"#;
        let policy = Policy::parse(text, None, CATALOG).unwrap();
        let found: Vec<String> = policy
            .check_metrics(&BTreeMap::new())
            .into_iter()
            .map(|p| format!("{} [{}]", p.message, &text[p.span.clone()]))
            .collect();
        assert_eq!(
            found,
            vec![
                "unknown metric `tests.faild` [\"tests.faild\"]".to_owned(),
                "the unit does not fit: `load.api.latency` is measured in us, the threshold is `%` [\"p(95) < 5%\"]".to_owned(),
                "`value` does not apply to `coverage.lines`, which is a ratio [\"value >= 80%\"]".to_owned(),
                "the unit does not fit: `load.api.latency` is measured in us, the threshold is a bare number [\"p(99) < 500\"]".to_owned(),
            ]
        );
        let suggestion = &policy.check_metrics(&BTreeMap::new())[0];
        assert_eq!(
            suggestion.help.as_deref(),
            Some("did you mean one of `tests.failed`, `tests.passed`, `tests.flaky`?")
        );
    }

    #[test]
    fn prometheus_queries_with_a_kind_are_ratios_or_distributions() {
        let text = r#"
[[prometheus]]
name = "errors"
url = "http://127.0.0.1:9090"
kind = "ratio"

[[prometheus]]
name = "latency"
url = "http://127.0.0.1:9090"
kind = "histogram"

[[prometheus]]
name = "scalar"
url = "http://127.0.0.1:9090"
query = "sum(x)"

[[gate]]
area = "reliability"
metric = "prometheus.errors"
expect = "rate < 1%"

[[gate]]
area = "performance"
metric = "prometheus.latency"
expect = "p(95) <= 250ms"

[[gate]]
area = "reliability"
metric = "prometheus.scalar"
expect = "rate < 1%"
"#;
        let policy = Policy::parse(text, None, CATALOG).unwrap();
        let found: Vec<String> = policy
            .check_metrics(&BTreeMap::new())
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert_eq!(
            found,
            vec!["`rate` does not apply to `prometheus.scalar`, which is a value".to_owned()]
        );
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration_seconds("24h"), Some(86400.0));
        assert_eq!(parse_duration_seconds("90s"), Some(90.0));
        assert_eq!(parse_duration_seconds("1.5d"), Some(129600.0));
        assert_eq!(parse_duration_seconds("5%"), None);
        assert_eq!(parse_duration_seconds("h"), None);
    }

    #[test]
    fn the_schema_names_every_section() {
        let schema = json_schema().to_string();
        for key in [
            "gate", "waiver", "env", "area", "metric", "max_age", "expect",
        ] {
            assert!(schema.contains(&format!("\"{key}\"")), "{key}");
        }
    }
}
