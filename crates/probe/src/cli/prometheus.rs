//! `gonogo prometheus`: PromQL queries and alerting rules of a real Prometheus, as evidence.

use gonogo_core::text::{Inert, inert};
use std::process::ExitCode;
use std::time::Duration;

use super::{
    EXIT_FAILED, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, OutputArgs, emit, exit, paint, runtime,
};
use crate::net::{HostPolicy, Timeouts, TlsSettings};
use crate::prometheus::{
    Auth, BucketUnit, PromError, PrometheusClient, QueryEvidence, QueryKind, Reduce, ShapeError,
    Shaped, ShapedEvidence, expression_references, query_evidence, shaped_evidence, shaped_queries,
};
use clap::ValueEnum as _;
use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool};
use gonogo_core::units::Unit;

/// Query a Prometheus server, or check its alerting rules.
///
/// Credentials come from environment variables only (never flags or policy files):
/// GONOGO_PROMETHEUS_TOKEN (bearer), or GONOGO_PROMETHEUS_USER and
/// GONOGO_PROMETHEUS_PASSWORD (basic auth); --*-env renames them.
///
/// Examples:
///   gonogo prometheus query http://127.0.0.1:9090 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))' --name error_ratio
///   gonogo prometheus query http://127.0.0.1:9090 'up{job="api"}' --name up --last 1h --step 1m --reduce min
///   gonogo prometheus query http://127.0.0.1:9090 --name errors --kind ratio --errors 'http_requests_total{code=~"5.."}' --total http_requests_total --window 1h
///   gonogo prometheus query http://127.0.0.1:9090 --name up --kind availability --series 'up{job="api"}' --window 1d
///   gonogo prometheus query http://127.0.0.1:9090 --name latency --kind histogram --histogram 'http_request_duration_seconds{job="api"}' --window 1h
///   gonogo prometheus rules http://127.0.0.1:9090 --require-alert-on http_requests_total
#[derive(Debug, Clone, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct PrometheusArgs {
    #[command(subcommand)]
    pub command: PrometheusCommand,
}

// Parsed once per command: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PrometheusCommand {
    /// Run an instant or range query; writes `prometheus.NAME` evidence.
    ///
    /// Exit codes: 0 evidence written; 1 no series (missing evidence, never a pass),
    /// several series (aggregate the query), or a --kind answer that is not a count
    /// (negative, not finite, errors above the total); 2 bad arguments or PromQL the server rejects
    /// (its message is printed); 3 the server cannot be reached.
    Query(QueryArgs),
    /// List loaded rules with their health and last error; require alerts on series.
    ///
    /// Exit codes: 0 all rules healthy, every --require-alert-on series covered and the
    /// --alertmanager (if any) ready and used; 1 otherwise; 3 the server cannot be reached.
    Rules(RulesArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The Prometheus base URL (e.g. http://127.0.0.1:9090).
    #[arg(value_name = "URL")]
    pub url: String,
    /// A non-loopback host that may be contacted; repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Extra PEM CA certificates to trust for https.
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_file: Vec<String>,
    /// Timeout of one API call, a duration (`30s`).
    #[arg(long, default_value = "30s", value_parser = super::flag_timeout_seconds)]
    pub timeout: f64,
    /// Environment variable holding a bearer token.
    #[arg(long, default_value = "GONOGO_PROMETHEUS_TOKEN")]
    pub bearer_env: String,
    /// Environment variable holding the basic-auth user.
    #[arg(long, default_value = "GONOGO_PROMETHEUS_USER")]
    pub user_env: String,
    /// Environment variable holding the basic-auth password.
    #[arg(long, default_value = "GONOGO_PROMETHEUS_PASSWORD")]
    pub password_env: String,
}

#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The PromQL expression (a scalar: evidence without a sample size, an estimate).
    #[arg(
        value_name = "PROMQL",
        required_unless_present = "kind",
        conflicts_with = "kind"
    )]
    pub promql: Option<String>,
    /// Evidence with its sample size instead of a scalar: `ratio` (--errors of --total, from
    /// two counters' increase() over --window), `availability` (samples of a 0/1 --series
    /// such as up or probe_success that were 1, over --window), `histogram` (a Prometheus
    /// histogram's buckets over --window, as a distribution).
    #[arg(long, value_enum, requires = "window", conflicts_with_all = ["start", "end", "last"])]
    pub kind: Option<ShapeKind>,
    /// kind=ratio: the series selector of the errors counter (http_requests_total{code=~"5.."}).
    #[arg(
        long,
        value_name = "SELECTOR",
        required_if_eq("kind", "ratio"),
        requires = "kind"
    )]
    pub errors: Option<String>,
    /// kind=ratio: the series selector of the requests counter (http_requests_total).
    #[arg(
        long,
        value_name = "SELECTOR",
        required_if_eq("kind", "ratio"),
        requires = "kind"
    )]
    pub total: Option<String>,
    /// kind=availability: a 0/1 series selector (up{job="api"}, probe_success{instance="..."}).
    #[arg(
        long,
        value_name = "SELECTOR",
        required_if_eq("kind", "availability"),
        requires = "kind"
    )]
    pub series: Option<String>,
    /// kind=histogram: the histogram's name and matchers, without _bucket
    /// (http_request_duration_seconds{job="api"}).
    #[arg(
        long,
        value_name = "SELECTOR",
        required_if_eq("kind", "histogram"),
        requires = "kind"
    )]
    pub histogram: Option<String>,
    /// The window of a --kind query, a Prometheus duration (5m, 1h), ending at --time.
    #[arg(long, value_name = "DURATION", requires = "kind")]
    pub window: Option<String>,
    /// kind=histogram: the unit of the `le` boundaries (Prometheus' convention: s).
    #[arg(long, default_value = "s", value_parser = ["s", "ms", "us"])]
    pub bucket_unit: String,
    /// The evidence metric is prometheus.NAME (no dots).
    #[arg(long, default_value = "query")]
    pub name: String,
    /// Evaluation time of an instant query (RFC 3339 or Unix seconds; default: the server's now).
    #[arg(long, conflicts_with_all = ["start", "last"])]
    pub time: Option<String>,
    /// Range query start (RFC 3339 or Unix seconds).
    #[arg(long, requires = "end")]
    pub start: Option<String>,
    /// Range query end.
    #[arg(long, requires = "start")]
    pub end: Option<String>,
    /// Range query over the last DURATION (e.g. 5m, 1h), ending now.
    #[arg(long, value_name = "DURATION", conflicts_with = "start")]
    pub last: Option<String>,
    /// Range query resolution (a Prometheus duration: 15s, 1m).
    #[arg(long, default_value = "15s")]
    pub step: String,
    /// How a range becomes one value: last, min, max, mean.
    #[arg(long, default_value = "last", value_parser = ["last", "min", "max", "mean"])]
    pub reduce: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The shapes of `--kind`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ShapeKind {
    Ratio,
    Availability,
    Histogram,
}

impl QueryArgs {
    /// The shaped query this asks for (`None` for a scalar), or why the flags do not fit
    /// together.
    pub fn shaped(&self) -> Result<Option<Shaped>, String> {
        let Some(kind) = self.kind else {
            return Ok(None);
        };
        let stray: Vec<&str> = [
            ("errors", self.errors.is_some() && kind != ShapeKind::Ratio),
            ("total", self.total.is_some() && kind != ShapeKind::Ratio),
            (
                "series",
                self.series.is_some() && kind != ShapeKind::Availability,
            ),
            (
                "histogram",
                self.histogram.is_some() && kind != ShapeKind::Histogram,
            ),
        ]
        .into_iter()
        .filter_map(|(key, stray)| stray.then_some(key))
        .collect();
        if !stray.is_empty() {
            return Err(format!(
                "--kind {}: {} belong(s) to another kind",
                kind.to_possible_value()
                    .expect("no skipped variant")
                    .get_name(),
                stray
                    .iter()
                    .map(|k| format!("--{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Ok(Some(match kind {
            ShapeKind::Ratio => Shaped::Ratio {
                errors: text(&self.errors),
                total: text(&self.total),
            },
            ShapeKind::Availability => Shaped::Availability {
                series: text(&self.series),
            },
            ShapeKind::Histogram => Shaped::Histogram {
                histogram: text(&self.histogram),
                bucket_unit: BucketUnit::parse(&self.bucket_unit).expect("clap checks the choices"),
            },
        }))
    }
}

/// A `[[prometheus]]` section of a policy (`gonogo run`): one query (`gonogo prometheus
/// query`'s flags as keys, the server as `url` and the PromQL as `query`), or with `rules =
/// true` the server's alerting rules (`gonogo prometheus rules`' flags as keys).
///
/// Its own type, as `[harden]`'s, because the command line's shape (a subcommand with the
/// server and the PromQL as positional arguments) is not a section's; each value is checked by
/// the flag's own parser, and [`PrometheusConfig::into_args`] checks what clap checks between
/// flags (`kind` needs `window`, `start` needs `end`...), every problem at once, then gives the
/// command line's struct. What only a command line sets (the evidence folder, `--json`, the
/// allowed hosts, which come from `[targets] allow`) is not a key.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "[[prometheus]]",
    description = "A PromQL query, or the alerting rules: `gonogo prometheus`' flags as keys."
)]
pub struct PrometheusConfig {
    /// The query's name: its metric is `prometheus.NAME` (no dots).
    #[serde(deserialize_with = "de::name")]
    pub name: Option<String>,
    /// The Prometheus server (e.g. http://127.0.0.1:9090).
    #[serde(deserialize_with = "de::text")]
    pub url: Option<String>,
    /// The PromQL expression (a scalar: evidence without a sample size, an estimate).
    #[serde(deserialize_with = "de::text")]
    pub query: Option<String>,
    /// Check the server's alerting rules instead of running a query.
    pub rules: bool,
    /// Evidence with its sample size instead of a scalar: `ratio` (`errors` of `total`),
    /// `availability` (a 0/1 `series`) or `histogram` (a `histogram`'s buckets), over `window`.
    pub kind: Option<ShapeKind>,
    /// kind = ratio: the series selector of the errors counter.
    #[serde(deserialize_with = "de::text")]
    pub errors: Option<String>,
    /// kind = ratio: the series selector of the requests counter.
    #[serde(deserialize_with = "de::text")]
    pub total: Option<String>,
    /// kind = availability: a 0/1 series selector (up{job="api"}).
    #[serde(deserialize_with = "de::text")]
    pub series: Option<String>,
    /// kind = histogram: the histogram's name and matchers, without _bucket.
    #[serde(deserialize_with = "de::text")]
    pub histogram: Option<String>,
    /// The window of a `kind` query, a Prometheus duration (5m, 1h), ending at `time`.
    #[serde(deserialize_with = "de::text")]
    pub window: Option<String>,
    /// kind = histogram: the unit of the `le` boundaries: s, ms, us.
    #[serde(deserialize_with = "de::bucket_unit")]
    pub bucket_unit: Option<String>,
    /// Evaluation time of an instant query (RFC 3339 or Unix seconds; default: the server's now).
    #[serde(deserialize_with = "de::text")]
    pub time: Option<String>,
    /// Range query start (RFC 3339 or Unix seconds).
    #[serde(deserialize_with = "de::text")]
    pub start: Option<String>,
    /// Range query end.
    #[serde(deserialize_with = "de::text")]
    pub end: Option<String>,
    /// Range query over the last DURATION (e.g. 5m, 1h), ending now.
    #[serde(deserialize_with = "de::text")]
    pub last: Option<String>,
    /// Range query resolution (a Prometheus duration: 15s, 1m).
    #[serde(deserialize_with = "de::text")]
    pub step: Option<String>,
    /// How a range becomes one value: last, min, max, mean.
    #[serde(deserialize_with = "de::reduce")]
    pub reduce: Option<String>,
    /// Timeout of one API call, a duration.
    #[serde(deserialize_with = "de::timeout_seconds")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<f64>,
    /// Environment variable holding a bearer token.
    #[serde(deserialize_with = "de::text")]
    pub bearer_env: Option<String>,
    /// Environment variable holding the basic-auth user.
    #[serde(deserialize_with = "de::text")]
    pub user_env: Option<String>,
    /// Environment variable holding the basic-auth password.
    #[serde(deserialize_with = "de::text")]
    pub password_env: Option<String>,
    /// Extra PEM CA certificates to trust for https.
    #[serde(deserialize_with = "de::texts")]
    pub ca_file: Vec<String>,
    /// rules = true: a series some alerting rule's expression must select.
    #[serde(deserialize_with = "de::texts")]
    pub require_alert_on: Vec<String>,
    /// rules = true: an Alertmanager that must answer /-/ready and receive the alerts.
    #[serde(deserialize_with = "de::text")]
    pub alertmanager: Option<String>,
}

/// A problem of a `[[prometheus]]` section: the key it is at (`None`: the whole section) and
/// what is wrong.
pub type SectionProblem = (Option<&'static str>, String);

impl PrometheusConfig {
    /// The keys given, by name (for the checks between keys).
    fn given(&self) -> Vec<&'static str> {
        let options = [
            ("query", self.query.is_some()),
            ("kind", self.kind.is_some()),
            ("errors", self.errors.is_some()),
            ("total", self.total.is_some()),
            ("series", self.series.is_some()),
            ("histogram", self.histogram.is_some()),
            ("window", self.window.is_some()),
            ("bucket_unit", self.bucket_unit.is_some()),
            ("time", self.time.is_some()),
            ("start", self.start.is_some()),
            ("end", self.end.is_some()),
            ("last", self.last.is_some()),
            ("step", self.step.is_some()),
            ("reduce", self.reduce.is_some()),
            ("require_alert_on", !self.require_alert_on.is_empty()),
            ("alertmanager", self.alertmanager.is_some()),
        ];
        options
            .into_iter()
            .filter_map(|(key, given)| given.then_some(key))
            .collect()
    }

    /// Every problem between keys (what clap checks between flags), each at its key.
    pub fn validate(&self) -> Vec<SectionProblem> {
        let given = self.given();
        let has = |key: &str| given.contains(&key);
        let mut problems: Vec<SectionProblem> = Vec::new();
        if self.url.is_none() {
            problems.push((None, "needs `url`, the Prometheus server".into()));
        }
        if self.rules {
            for key in given
                .iter()
                .filter(|k| !matches!(**k, "require_alert_on" | "alertmanager"))
            {
                problems.push((
                    Some(key),
                    format!("`{key}` is a query's: leave it out with `rules = true`"),
                ));
            }
            return problems;
        }
        for key in ["require_alert_on", "alertmanager"]
            .into_iter()
            .filter(|k| has(k))
        {
            problems.push((
                Some(key),
                format!("`{key}` checks rules: it needs `rules = true`"),
            ));
        }
        if !has("query") && !has("kind") {
            problems.push((
                None,
                "needs `query`, or `kind` (ratio, availability, histogram) with its keys, or `rules = true`"
                    .into(),
            ));
        }
        // clap's `conflicts_with`, `requires` and `required_if_eq` of `gonogo prometheus query`.
        let refused: &[(&'static str, &'static str)] = &[
            ("kind", "query"),
            ("start", "kind"),
            ("end", "kind"),
            ("last", "kind"),
            ("time", "start"),
            ("time", "last"),
            ("last", "start"),
        ];
        for (key, other) in refused.iter().filter(|(k, o)| has(k) && has(o)) {
            problems.push((Some(key), format!("`{key}` cannot be used with `{other}`")));
        }
        let needs: &[(&'static str, &'static str)] = &[
            ("kind", "window"),
            ("errors", "kind"),
            ("total", "kind"),
            ("series", "kind"),
            ("histogram", "kind"),
            ("window", "kind"),
            ("start", "end"),
            ("end", "start"),
        ];
        for (key, needed) in needs.iter().filter(|(k, n)| has(k) && !has(n)) {
            problems.push((Some(key), format!("`{key}` needs `{needed}`")));
        }
        let own: &[&'static str] = match self.kind {
            None => &[],
            Some(ShapeKind::Ratio) => &["errors", "total"],
            Some(ShapeKind::Availability) => &["series"],
            Some(ShapeKind::Histogram) => &["histogram"],
        };
        for key in own.iter().filter(|k| !has(k)) {
            problems.push((Some("kind"), format!("this `kind` needs `{key}`")));
        }
        if let Some(kind) = self.kind {
            for key in ["errors", "total", "series", "histogram"]
                .into_iter()
                .filter(|k| has(k) && !own.contains(k))
            {
                let name = kind.to_possible_value().expect("no skipped variant");
                problems.push((
                    Some(key),
                    format!("`{key}` belongs to another kind than `{}`", name.get_name()),
                ));
            }
        }
        problems
    }

    /// The command line's struct for this section: every problem of [`Self::validate`], or
    /// the arguments (the flags' defaults where a key is left out).
    pub fn into_args(
        self,
        allow_host: Vec<String>,
        evidence_dir: std::path::PathBuf,
    ) -> Result<PrometheusArgs, Vec<SectionProblem>> {
        let problems = self.validate();
        if !problems.is_empty() {
            return Err(problems);
        }
        let (mut server, mut output) = defaults();
        server.url = self.url.unwrap_or_default();
        server.allow_host = allow_host;
        server.ca_file = self.ca_file;
        server.timeout = self.timeout.unwrap_or(server.timeout);
        let or = |value: Option<String>, default: String| value.unwrap_or(default);
        server.bearer_env = or(self.bearer_env, server.bearer_env);
        server.user_env = or(self.user_env, server.user_env);
        server.password_env = or(self.password_env, server.password_env);
        output.evidence_dir = evidence_dir;
        let command = if self.rules {
            PrometheusCommand::Rules(RulesArgs {
                server,
                require_alert_on: self.require_alert_on,
                alertmanager: self.alertmanager,
                output,
            })
        } else {
            let query = default_query();
            PrometheusCommand::Query(QueryArgs {
                server,
                promql: self.query,
                kind: self.kind,
                errors: self.errors,
                total: self.total,
                series: self.series,
                histogram: self.histogram,
                window: self.window,
                bucket_unit: or(self.bucket_unit, query.bucket_unit),
                name: or(self.name, query.name),
                time: self.time,
                start: self.start,
                end: self.end,
                last: self.last,
                step: or(self.step, query.step),
                reduce: or(self.reduce, query.reduce),
                output,
            })
        };
        Ok(PrometheusArgs { command })
    }
}

/// `gonogo prometheus query`'s defaults (clap's, so they are written once).
fn default_query() -> QueryArgs {
    use clap::Args as _;
    let command = QueryArgs::augment_args(clap::Command::new("query")).ignore_errors(true);
    let matches = command.get_matches_from(["query", "", "up"]);
    <QueryArgs as clap::FromArgMatches>::from_arg_matches(&matches)
        .expect("every flag without a default is optional")
}

/// The server's and the output's defaults, as the flags have them.
fn defaults() -> (ServerArgs, OutputArgs) {
    let query = default_query();
    (query.server, query.output)
}

/// The policy's keys, checked by the flags' parsers.
mod de {
    use gonogo_core::settings::{any_text, parsed_many, parsed_opt};
    use serde::Deserializer;

    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        parsed_opt(d, any_text)
    }

    pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        parsed_many(d, any_text)
    }

    pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        parsed_opt(d, |text| {
            if text.is_empty() || text.contains('.') {
                Err(format!("`{text}`: a name is not empty and has no dots"))
            } else {
                Ok(text.to_owned())
            }
        })
    }

    pub fn bucket_unit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        parsed_opt(d, |text| match text {
            "s" | "ms" | "us" => Ok(text.to_owned()),
            _ => Err(format!("`{text}` is not one of s, ms, us")),
        })
    }

    pub fn reduce<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        parsed_opt(d, |text| match text {
            "last" | "min" | "max" | "mean" => Ok(text.to_owned()),
            _ => Err(format!("`{text}` is not one of last, min, max, mean")),
        })
    }

    pub fn timeout_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        parsed_opt(d, super::super::flag_timeout_seconds)
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// A series some alerting rule's expression must select; repeatable.
    #[arg(long = "require-alert-on", value_name = "SERIES")]
    pub require_alert_on: Vec<String>,
    /// An Alertmanager that must answer /-/ready and receive this Prometheus' alerts.
    #[arg(long, value_name = "URL")]
    pub alertmanager: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn client(server: &ServerArgs) -> Result<PrometheusClient, String> {
    let tls = TlsSettings::new(&server.ca_file).map_err(|e| e.to_string())?;
    if !(server.timeout > 0.0 && server.timeout <= 600.0) {
        return Err("--timeout must be in (0, 600] seconds".into());
    }
    let timeouts = Timeouts {
        connect: Duration::from_secs(3),
        total: Duration::from_secs_f64(server.timeout),
    };
    let auth = Auth::from_env(&server.bearer_env, &server.user_env, &server.password_env);
    PrometheusClient::new(
        &server.url,
        HostPolicy::new(server.allow_host.clone()),
        tls,
        timeouts,
        auth,
    )
    .map_err(|e| e.to_string())
}

fn usage(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("{} {}", paint("error:", "31"), inert(&message.to_string()));
    Ok(exit(EXIT_USAGE))
}

/// Runs `gonogo prometheus`.
pub fn run(args: PrometheusArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PrometheusCommand::Query(query) => run_query(query),
        PrometheusCommand::Rules(rules) => run_rules(rules),
    }
}

fn run_query(args: QueryArgs) -> anyhow::Result<ExitCode> {
    if args.name.is_empty() || args.name.contains('.') {
        return usage(format!("--name {:?}: a name has no dots", args.name));
    }
    let shaped = match args.shaped() {
        Ok(shaped) => shaped,
        Err(error) => return usage(error),
    };
    let client = match client(&args.server) {
        Ok(client) => client,
        Err(error) => return usage(error),
    };
    let now = jiff::Timestamp::now();
    if let Some(shaped) = shaped {
        return run_shaped(&args, &client, &shaped, now);
    }
    let promql = args
        .promql
        .clone()
        .expect("clap requires PROMQL without --kind");
    let kind = match (&args.start, &args.end, &args.last) {
        (Some(start), Some(end), _) => QueryKind::Range {
            start: start.clone(),
            end: end.clone(),
            step: args.step.clone(),
        },
        (_, _, Some(last)) => {
            let Some(window) = crate::probe::condition::parse_duration(last)
                .filter(|_| last.ends_with(|c: char| c.is_ascii_alphabetic()))
            else {
                return usage(format!("--last {last:?} is not a duration (e.g. 5m, 1h)"));
            };
            let end = now.as_millisecond() as f64 / 1e3;
            QueryKind::Range {
                start: format!("{:.3}", end - window.as_secs_f64()),
                end: format!("{end:.3}"),
                step: args.step.clone(),
            }
        }
        _ => QueryKind::Instant {
            time: args.time.clone(),
        },
    };
    let reduce = Reduce::parse(&args.reduce).expect("clap checks the choices");
    let result = runtime()?.block_on(client.query(&promql, &kind));
    let result = match result {
        Ok(result) => result,
        Err(PromError::Api { error_type, error }) => {
            eprintln!(
                "{} Prometheus rejected the query: {}",
                paint("error:", "31"),
                inert(&format!("{error_type}: {error}"))
            );
            eprintln!("  query: {promql}");
            return Ok(exit(EXIT_USAGE));
        }
        Err(error) => {
            eprintln!("{} {}", paint("error:", "31"), inert(&error.to_string()));
            return Ok(exit(EXIT_UNREADABLE));
        }
    };
    for warning in &result.warnings {
        eprintln!("{} {}", paint("warn:", "33"), Inert(warning));
    }
    match query_evidence(
        &args.name,
        client.base(),
        &promql,
        &kind,
        &result,
        reduce,
        now,
    ) {
        QueryEvidence::Missing { url } => {
            eprintln!(
                "{} prometheus.{}: the query returned no series, so there is no evidence (missing, not a pass)\n  {url}",
                paint("missing:", "31"),
                args.name
            );
            Ok(exit(EXIT_FAILED))
        }
        QueryEvidence::Ambiguous { url, label_sets } => {
            eprintln!(
                "{} the query returned {} series ({}); aggregate it (sum, max, ...) so it returns one\n  {url}",
                paint("error:", "31"),
                label_sets.len(),
                label_sets
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(exit(EXIT_FAILED))
        }
        QueryEvidence::Found(record) => {
            if !args.output.json {
                let value = &record.metrics[&format!("prometheus.{}", args.name)];
                if let gonogo_core::evidence::MetricValue::Value(v) = value.value {
                    eprintln!(
                        "prometheus.{} = {v} (at {})",
                        args.name, record.collected_at
                    );
                }
            }
            let written = emit(&args.output, &[*record])?;
            if !args.output.json {
                for path in written {
                    eprintln!("evidence: {}", path.display());
                }
            }
            Ok(exit(EXIT_OK))
        }
    }
}

/// A `--kind` query: two instant queries at the same evaluation time (--time, else now), so
/// that k and n count the same window.
fn run_shaped(
    args: &QueryArgs,
    client: &PrometheusClient,
    shaped: &Shaped,
    now: jiff::Timestamp,
) -> anyhow::Result<ExitCode> {
    let window = args
        .window
        .clone()
        .expect("clap requires --window with --kind");
    let (first, second) = match shaped_queries(shaped, &window) {
        Ok(queries) => queries,
        Err(error) => return usage(error),
    };
    let time = args
        .time
        .clone()
        .unwrap_or_else(|| format!("{:.3}", now.as_millisecond() as f64 / 1e3));
    let kind = QueryKind::Instant {
        time: Some(time.clone()),
    };
    let runtime = runtime()?;
    let mut results = Vec::new();
    for query in [&first, &second] {
        match runtime.block_on(client.query(query, &kind)) {
            Ok(result) => results.push(result),
            Err(PromError::Api { error_type, error }) => {
                eprintln!(
                    "{} Prometheus rejected the query: {}",
                    paint("error:", "31"),
                    inert(&format!("{error_type}: {error}"))
                );
                eprintln!("  query: {}", inert(query));
                return Ok(exit(EXIT_USAGE));
            }
            Err(error) => {
                eprintln!("{} {}", paint("error:", "31"), inert(&error.to_string()));
                return Ok(exit(EXIT_UNREADABLE));
            }
        }
    }
    for warning in results.iter().flat_map(|r| &r.warnings) {
        eprintln!("{} {}", paint("warn:", "33"), Inert(warning));
    }
    let evidence = shaped_evidence(
        &args.name,
        client.base(),
        shaped,
        &window,
        (&first, &second),
        (&results[0], &results[1]),
        Some(&time),
        now,
    );
    match evidence {
        Err(error @ ShapeError::NotACount { .. }) | Err(error @ ShapeError::MoreThanAll { .. }) => {
            eprintln!(
                "{} prometheus.{}: {}\n  {}\n  {}",
                paint("error:", "31"),
                args.name,
                inert(&error.to_string()),
                inert(&first),
                inert(&second)
            );
            Ok(exit(EXIT_FAILED))
        }
        Err(error) => {
            eprintln!(
                "{} prometheus.{}: {}",
                paint("error:", "31"),
                args.name,
                inert(&error.to_string())
            );
            Ok(exit(EXIT_FAILED))
        }
        Ok(ShapedEvidence::Missing { url, which }) => {
            eprintln!(
                "{} prometheus.{}: the {which} query returned no series, so there is no evidence (missing, not a pass); a labelled counter that never moved may not exist yet: initialise it at 0 in the exporter\n  {url}",
                paint("missing:", "31"),
                args.name
            );
            Ok(exit(EXIT_FAILED))
        }
        Ok(ShapedEvidence::Found(record)) => {
            if !args.output.json {
                let metric = &record.metrics[&format!("prometheus.{}", args.name)];
                let figure = match &metric.value {
                    gonogo_core::evidence::MetricValue::Ratio(r) => format!("{} of {}", r.k, r.n),
                    gonogo_core::evidence::MetricValue::Distribution(h) => {
                        format!("{} observations", h.len())
                    }
                    gonogo_core::evidence::MetricValue::Value(v) => v.to_string(),
                };
                eprintln!(
                    "prometheus.{} = {figure} over {window} (at {})",
                    args.name, record.collected_at
                );
            }
            let written = emit(&args.output, &[*record])?;
            if !args.output.json {
                for path in written {
                    eprintln!("evidence: {}", path.display());
                }
            }
            Ok(exit(EXIT_OK))
        }
    }
}

fn run_rules(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let client = match client(&args.server) {
        Ok(client) => client,
        Err(error) => return usage(error),
    };
    let now = jiff::Timestamp::now();
    let (rules, sha256) = match runtime()?.block_on(client.rules()) {
        Ok(rules) => rules,
        Err(error) => {
            eprintln!("{} {}", paint("error:", "31"), inert(&error.to_string()));
            return Ok(exit(EXIT_UNREADABLE));
        }
    };
    let alertmanager = match &args.alertmanager {
        None => None,
        Some(url) => match runtime()?.block_on(client.check_alertmanager(url)) {
            Ok(check) => Some(check),
            Err(PromError::Net(error @ crate::net::NetError::HostNotAllowed { .. })) => {
                return usage(error);
            }
            Err(error) => {
                eprintln!("{} {}", paint("error:", "31"), inert(&error.to_string()));
                return Ok(exit(EXIT_UNREADABLE));
            }
        },
    };
    let unhealthy: Vec<_> = rules.iter().filter(|r| r.health == "err").collect();
    let coverage: Vec<(String, Vec<String>)> = args
        .require_alert_on
        .iter()
        .map(|series| {
            let alerts = rules
                .iter()
                .filter(|r| r.kind == "alerting" && expression_references(&r.query, series))
                .map(|r| r.name.clone())
                .collect();
            (series.clone(), alerts)
        })
        .collect();
    if !args.output.json {
        eprintln!("{}: {} rules loaded", client.base(), rules.len());
        for rule in &rules {
            let line = format!(
                "  {} {} [{}] health={}{}",
                rule.kind,
                rule.name,
                rule.group,
                rule.health,
                rule.last_error
                    .as_ref()
                    .map(|e| format!(" last error: {e}"))
                    .unwrap_or_default()
            );
            eprintln!("{}", inert(&line));
        }
        for (series, alerts) in &coverage {
            if alerts.is_empty() {
                eprintln!(
                    "  {} no alerting rule selects {series}",
                    paint("fail:", "31")
                );
            } else {
                eprintln!("  alerts on {series}: {}", alerts.join(", "));
            }
        }
    }
    if let (Some(check), false) = (&alertmanager, args.output.json) {
        if check.ok() {
            eprintln!(
                "  alertmanager {}: ready, and Prometheus sends to it",
                check.url
            );
        } else {
            eprintln!(
                "  {} alertmanager {}: {}{}",
                paint("fail:", "31"),
                check.url,
                if check.ready {
                    "ready".to_string()
                } else {
                    format!(
                        "not ready ({})",
                        check.ready_error.as_deref().unwrap_or("no answer")
                    )
                },
                if check.active_in_prometheus {
                    String::new()
                } else {
                    format!("; Prometheus sends to {:?}", check.active)
                }
            );
        }
    }
    let mut record = Evidence::new(
        "prometheus",
        Source::Url(format!("{}/api/v1/rules", client.base())),
        sha256,
        now,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    record.insert(
        "prometheus.rules.unhealthy",
        Metric::value(unhealthy.len() as f64, Unit::count("rules")),
    );
    let n_covered = coverage
        .iter()
        .filter(|(_, alerts)| !alerts.is_empty())
        .count() as u64;
    if !coverage.is_empty() {
        record.insert(
            "prometheus.rules.alert_coverage",
            Metric::ratio(
                Ratio::new(n_covered, coverage.len() as u64).expect("covered <= required"),
                Unit::count("series"),
            ),
        );
    }
    if let Some(check) = &alertmanager {
        record.insert(
            "prometheus.alertmanager.reachable",
            Metric::value(if check.ok() { 1.0 } else { 0.0 }, Unit::count("1")),
        );
    }
    record.details = serde_json::json!({
        "server": client.base(),
        "alertmanager": alertmanager,
        "rules": rules,
        "alert_coverage": coverage.iter().map(|(s, a)| serde_json::json!({"series": s, "alerts": a})).collect::<Vec<_>>(),
    });
    let written = emit(&args.output, &[record])?;
    if !args.output.json {
        for path in written {
            eprintln!("evidence: {}", path.display());
        }
    }
    let ok = unhealthy.is_empty()
        && n_covered == coverage.len() as u64
        && alertmanager.as_ref().is_none_or(|check| check.ok());
    Ok(exit(if ok { EXIT_OK } else { EXIT_FAILED }))
}
