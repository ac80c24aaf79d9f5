//! PromQL evidence from a real Prometheus HTTP API, and its alerting rules.
//!
//! - [`PrometheusClient`] talks to `/api/v1/query`, `/api/v1/query_range` and `/api/v1/rules`
//!   (GET, one fresh connection per call, loopback unless allowed). Credentials come from the
//!   environment only ([`Auth::from_env`]): a bearer token, or a user and password for basic
//!   auth; never from a policy file or the command line.
//! - [`PrometheusClient::query`] returns the series of an instant or range query, or the
//!   server's own error (`bad_data: 1:5: parse error: ...`) as [`PromError::Api`].
//! - [`query_evidence`] turns a result into one `prometheus` record with the metric
//!   `prometheus.<name>`: a query must return exactly one series (aggregate with `sum`/`max`
//!   otherwise); a range query is reduced over its points (`last`, `min`, `max`, `mean`). **No
//!   series is no evidence**: [`QueryEvidence::Missing`], never a pass. The source is the full
//!   query URL (server, query, evaluation time); `sha256` is of the response body.
//! - [`shaped_queries`] and [`shaped_evidence`]: queries with a sample size (`--kind`): an
//!   error ratio from two counters' `increase()`, availability from a 0/1 series' samples, a
//!   latency distribution from a histogram's buckets; k of n or an HDR histogram, never a bare
//!   number (docs/statistics.md, "PromQL with a sample size").
//! - [`Rule`]s from `/api/v1/rules` carry their health and last evaluation error, and
//!   [`expression_references`] says whether a PromQL expression selects a named series, so a
//!   policy can require "an alert exists on the error ratio".
//! - [`PrometheusClient::check_alertmanager`]: a named Alertmanager answers `/-/ready` and
//!   Prometheus lists it among the Alertmanagers it sends to.

use std::collections::BTreeMap;
use std::time::Duration;

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Ratio, Source, Tool, sha256_hex};
use gonogo_core::units::Unit;
use jiff::Timestamp;
use serde::Serialize;

use crate::net::{self, HostPolicy, HttpRequest, NetError, Target, Timeouts, TlsSettings};

/// Largest API response read.
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// Credentials for the API, read from the environment.
#[derive(Clone)]
pub enum Auth {
    Bearer(String),
    Basic { user: String, password: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Auth::Bearer(<redacted>)"),
            Auth::Basic { user, .. } => write!(f, "Auth::Basic({user}, <redacted>)"),
        }
    }
}

impl Auth {
    /// A bearer token from `bearer_var`, else basic auth from `user_var` and `password_var`,
    /// else none. Empty variables count as unset.
    pub fn from_env(bearer_var: &str, user_var: &str, password_var: &str) -> Option<Auth> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(token) = get(bearer_var) {
            return Some(Auth::Bearer(token));
        }
        let user = get(user_var)?;
        Some(Auth::Basic {
            user,
            password: get(password_var).unwrap_or_default(),
        })
    }

    fn header(&self) -> String {
        use base64::Engine as _;
        match self {
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum PromError {
    #[error("{0}")]
    Net(#[from] NetError),
    #[error("{url} answered HTTP {status}: {body}")]
    Http {
        url: String,
        status: u16,
        body: String,
    },
    #[error("Prometheus rejected the query: {error_type}: {error}")]
    Api { error_type: String, error: String },
    #[error("unexpected response from {url}: {message}")]
    Decode { url: String, message: String },
}

/// Instant or range.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// At `time` (RFC 3339 or Unix seconds), or the server's now.
    Instant { time: Option<String> },
    Range {
        start: String,
        end: String,
        step: String,
    },
}

/// One series of a result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    /// `(unix seconds, value)`.
    pub points: Vec<(f64, f64)>,
}

/// A query's answer.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub url: String,
    pub result_type: String,
    pub series: Vec<Series>,
    pub warnings: Vec<String>,
    pub body_sha256: String,
}

/// A loaded rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rule {
    pub group: String,
    pub file: String,
    pub name: String,
    /// `alerting` or `recording`.
    pub kind: String,
    pub query: String,
    /// `ok`, `err` or `unknown` (not evaluated yet).
    pub health: String,
    pub last_error: Option<String>,
    /// Alerting rules: `inactive`, `pending`, `firing`.
    pub state: Option<String>,
}

/// A Prometheus server.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    base: String,
    policy: HostPolicy,
    tls: TlsSettings,
    timeouts: Timeouts,
    auth: Option<Auth>,
}

impl PrometheusClient {
    pub fn new(
        base: &str,
        policy: HostPolicy,
        tls: TlsSettings,
        timeouts: Timeouts,
        auth: Option<Auth>,
    ) -> Result<PrometheusClient, NetError> {
        let base = base.trim_end_matches('/').to_string();
        let target = Target::parse(&base)?;
        policy.check(&target.host)?;
        Ok(PrometheusClient {
            base,
            policy,
            tls,
            timeouts,
            auth,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The full URL of a query (also the evidence's source).
    pub fn query_url(&self, promql: &str, kind: &QueryKind) -> String {
        let mut params = form_urlencoded::Serializer::new(String::new());
        params.append_pair("query", promql);
        let path = match kind {
            QueryKind::Instant { time } => {
                if let Some(time) = time {
                    params.append_pair("time", time);
                }
                "/api/v1/query"
            }
            QueryKind::Range { start, end, step } => {
                params.append_pair("start", start);
                params.append_pair("end", end);
                params.append_pair("step", step);
                "/api/v1/query_range"
            }
        };
        format!("{}{path}?{}", self.base, params.finish())
    }

    async fn get_json(&self, url: &str) -> Result<(serde_json::Value, String), PromError> {
        let target = Target::parse(url)?;
        let mut request = HttpRequest {
            headers: vec![("accept".into(), "application/json".into())],
            ..HttpRequest::default()
        };
        if let Some(auth) = &self.auth {
            request
                .headers
                .push(("authorization".into(), auth.header()));
        }
        let exchange = net::exchange(&target, &request, &self.policy, &self.tls, self.timeouts)
            .await
            .map_err(|e| PromError::Net(e.error))?;
        let status = exchange.response.status().as_u16();
        let remaining = self
            .timeouts
            .total
            .saturating_sub(exchange.started.elapsed())
            .max(Duration::from_millis(100));
        let (body, _) =
            net::collect_body(exchange.response.into_body(), MAX_RESPONSE_BYTES, remaining).await?;
        let sha256 = sha256_hex(&body);
        let json: Result<serde_json::Value, _> = serde_json::from_slice(&body);
        match json {
            Ok(json) => {
                if json.get("status").and_then(|s| s.as_str()) == Some("error") {
                    return Err(PromError::Api {
                        error_type: json["errorType"].as_str().unwrap_or("error").to_string(),
                        error: json["error"].as_str().unwrap_or("").to_string(),
                    });
                }
                if !(200..300).contains(&status) {
                    return Err(PromError::Http {
                        url: url.to_string(),
                        status,
                        body: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
                    });
                }
                Ok((json, sha256))
            }
            Err(error) => Err(if (200..300).contains(&status) {
                PromError::Decode {
                    url: url.to_string(),
                    message: error.to_string(),
                }
            } else {
                PromError::Http {
                    url: url.to_string(),
                    status,
                    body: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
                }
            }),
        }
    }

    /// Runs a query.
    pub async fn query(&self, promql: &str, kind: &QueryKind) -> Result<QueryResult, PromError> {
        let url = self.query_url(promql, kind);
        let (json, body_sha256) = self.get_json(&url).await?;
        let decode = |message: &str| PromError::Decode {
            url: url.clone(),
            message: message.to_string(),
        };
        let data = json.get("data").ok_or_else(|| decode("no `data`"))?;
        let result_type = data["resultType"]
            .as_str()
            .ok_or_else(|| decode("no `resultType`"))?
            .to_string();
        let point = |value: &serde_json::Value| -> Option<(f64, f64)> {
            let pair = value.as_array()?;
            let time = pair.first()?.as_f64()?;
            let value = parse_sample_value(pair.get(1)?.as_str()?)?;
            Some((time, value))
        };
        let mut series = Vec::new();
        match result_type.as_str() {
            "vector" | "matrix" => {
                for item in data["result"]
                    .as_array()
                    .ok_or_else(|| decode("no `result`"))?
                {
                    let labels = item["metric"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                                .collect()
                        })
                        .unwrap_or_default();
                    let points = if result_type == "vector" {
                        vec![point(&item["value"]).ok_or_else(|| decode("bad sample"))?]
                    } else {
                        item["values"]
                            .as_array()
                            .ok_or_else(|| decode("no `values`"))?
                            .iter()
                            .map(|v| point(v).ok_or_else(|| decode("bad sample")))
                            .collect::<Result<_, _>>()?
                    };
                    series.push(Series { labels, points });
                }
            }
            "scalar" => series.push(Series {
                labels: BTreeMap::new(),
                points: vec![point(&data["result"]).ok_or_else(|| decode("bad scalar"))?],
            }),
            other => return Err(decode(&format!("result type {other} is not a number"))),
        }
        let warnings = json["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(QueryResult {
            url,
            result_type,
            series,
            warnings,
            body_sha256,
        })
    }

    /// The rules Prometheus has loaded.
    pub async fn rules(&self) -> Result<(Vec<Rule>, String), PromError> {
        let url = format!("{}/api/v1/rules", self.base);
        let (json, sha256) = self.get_json(&url).await?;
        let mut rules = Vec::new();
        for group in json["data"]["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().into_iter().flatten() {
                let text = |key: &str| rule[key].as_str().unwrap_or("").to_string();
                rules.push(Rule {
                    group: group["name"].as_str().unwrap_or("").to_string(),
                    file: group["file"].as_str().unwrap_or("").to_string(),
                    name: text("name"),
                    kind: text("type"),
                    query: text("query"),
                    health: text("health"),
                    last_error: rule["lastError"]
                        .as_str()
                        .filter(|e| !e.is_empty())
                        .map(str::to_string),
                    state: rule["state"].as_str().map(str::to_string),
                });
            }
        }
        Ok((rules, sha256))
    }
}

/// Whether an Alertmanager answers, and whether Prometheus sends alerts to it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertmanagerCheck {
    pub url: String,
    /// `GET <url>/-/ready` answered 200.
    pub ready: bool,
    pub ready_error: Option<String>,
    /// Prometheus lists it among its active Alertmanagers (`/api/v1/alertmanagers`).
    pub active_in_prometheus: bool,
    /// The Alertmanagers Prometheus is sending to.
    pub active: Vec<String>,
}

impl AlertmanagerCheck {
    pub fn ok(&self) -> bool {
        self.ready && self.active_in_prometheus
    }
}

impl PrometheusClient {
    /// The Alertmanagers Prometheus is sending to (`activeAlertmanagers[].url`).
    pub async fn active_alertmanagers(&self) -> Result<Vec<String>, PromError> {
        let url = format!("{}/api/v1/alertmanagers", self.base);
        let (json, _) = self.get_json(&url).await?;
        Ok(json["data"]["activeAlertmanagers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["url"].as_str().map(str::to_string))
            .collect())
    }

    /// Checks that the Alertmanager at `url` is ready and that Prometheus sends to it (an
    /// active Alertmanager whose URL has the same host and port).
    pub async fn check_alertmanager(&self, url: &str) -> Result<AlertmanagerCheck, PromError> {
        let wanted = Target::parse(url)?;
        let ready_target = Target::parse(&format!("{}/-/ready", url.trim_end_matches('/')))?;
        let (ready, ready_error) = match net::exchange(
            &ready_target,
            &HttpRequest::default(),
            &self.policy,
            &self.tls,
            self.timeouts,
        )
        .await
        {
            Ok(exchange) if exchange.response.status() == 200 => (true, None),
            Ok(exchange) => (
                false,
                Some(format!("HTTP {}", exchange.response.status().as_u16())),
            ),
            Err(failure) => {
                if let NetError::HostNotAllowed { .. } = failure.error {
                    return Err(PromError::Net(failure.error));
                }
                (false, Some(failure.error.to_string()))
            }
        };
        let active = self.active_alertmanagers().await?;
        let same_endpoint = |candidate: &String| {
            Target::parse(candidate).is_ok_and(|t| {
                t.port == wanted.port
                    && (t.host == wanted.host
                        || (is_loopback_host(&t.host) && is_loopback_host(&wanted.host)))
            })
        };
        Ok(AlertmanagerCheck {
            url: url.to_string(),
            ready,
            ready_error,
            active_in_prometheus: active.iter().any(same_endpoint),
            active,
        })
    }
}

fn is_loopback_host(host: &str) -> bool {
    gonogo_io::net::is_loopback_host(host)
}

fn parse_sample_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

/// How a range query's points become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    Last,
    Min,
    Max,
    Mean,
}

impl Reduce {
    pub fn parse(text: &str) -> Option<Reduce> {
        Some(match text {
            "last" => Reduce::Last,
            "min" => Reduce::Min,
            "max" => Reduce::Max,
            "mean" => Reduce::Mean,
            _ => return None,
        })
    }

    fn apply(self, points: &[(f64, f64)]) -> Option<f64> {
        let values = points.iter().map(|(_, v)| *v);
        match self {
            Reduce::Last => points.last().map(|(_, v)| *v),
            Reduce::Min => values.reduce(f64::min),
            Reduce::Max => values.reduce(f64::max),
            Reduce::Mean => (!points.is_empty()).then(|| values.sum::<f64>() / points.len() as f64),
        }
    }
}

/// What a query proves.
#[derive(Debug)]
pub enum QueryEvidence {
    Found(Box<Evidence>),
    /// No series: missing evidence, never a pass.
    Missing {
        url: String,
    },
    /// More than one series: the query must aggregate.
    Ambiguous {
        url: String,
        label_sets: Vec<String>,
    },
}

/// Turns a query result into evidence named `prometheus.<name>`.
pub fn query_evidence(
    name: &str,
    server: &str,
    promql: &str,
    kind: &QueryKind,
    result: &QueryResult,
    reduce: Reduce,
    now: Timestamp,
) -> QueryEvidence {
    let non_empty: Vec<&Series> = result
        .series
        .iter()
        .filter(|s| !s.points.is_empty())
        .collect();
    match non_empty.len() {
        0 => {
            return QueryEvidence::Missing {
                url: result.url.clone(),
            };
        }
        1 => {}
        _ => {
            return QueryEvidence::Ambiguous {
                url: result.url.clone(),
                label_sets: non_empty
                    .iter()
                    .map(|s| {
                        let inner: Vec<String> =
                            s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                        format!("{{{}}}", inner.join(","))
                    })
                    .collect(),
            };
        }
    }
    let series = non_empty[0];
    let value = match kind {
        QueryKind::Instant { .. } => series.points[0].1,
        QueryKind::Range { .. } => reduce.apply(&series.points).expect("non-empty"),
    };
    let evaluated_at = series
        .points
        .last()
        .and_then(|(t, _)| Timestamp::from_microsecond((t * 1e6) as i64).ok())
        .unwrap_or(now);
    let mut record = Evidence::new(
        "prometheus",
        Source::Url(result.url.clone()),
        result.body_sha256.clone(),
        evaluated_at,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    record.insert(
        format!("prometheus.{name}"),
        // A PromQL scalar (a quantile, a ratio of rates) comes without the samples or counts
        // behind it: an estimate, which no gate passes or fails on (`no_distribution`).
        Metric::value(value, Unit::count("1")).as_estimate(),
    );
    record.details = serde_json::json!({
        "server": server,
        "query": promql,
        "kind": match kind { QueryKind::Instant { .. } => "instant", QueryKind::Range { .. } => "range" },
        "range": match kind {
            QueryKind::Range { start, end, step } => serde_json::json!({"start": start, "end": end, "step": step}),
            QueryKind::Instant { time } => serde_json::json!({"time": time}),
        },
        "evaluation_time": evaluated_at.to_string(),
        "result_type": result.result_type,
        "labels": series.labels,
        "points": series.points.len(),
        "reduce": format!("{reduce:?}").to_lowercase(),
        "warnings": result.warnings,
    });
    QueryEvidence::Found(Box::new(record))
}

/// Aggregation operators, which may put `by (...)`/`without (...)` before their parentheses.
const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "atan2",
    "inf",
    "nan",
    "start",
    "end",
];

/// Whether a PromQL expression selects the series `name` (by metric name or
/// `{__name__="name"}`); function names, keywords, label names and strings do not count.
pub fn expression_references(expression: &str, name: &str) -> bool {
    referenced_series(expression).iter().any(|s| s == name)
}

/// The metric names a PromQL expression selects.
pub fn referenced_series(expression: &str) -> Vec<String> {
    let chars: Vec<char> = expression.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    let skip_string = |i: &mut usize| {
        let quote = chars[*i];
        *i += 1;
        while *i < chars.len() && chars[*i] != quote {
            if chars[*i] == '\\' && quote != '`' {
                *i += 1;
            }
            *i += 1;
        }
        *i += 1;
    };
    let skip_parenthesised = |i: &mut usize| {
        // At `(`: skip to the matching `)`.
        let mut depth = 0;
        while *i < chars.len() {
            match chars[*i] {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        *i += 1;
                        return;
                    }
                }
                _ => {}
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            skip_string(&mut i);
        } else if c == '{' {
            // Label matchers: only `__name__="x"` names a series.
            let start = i;
            while i < chars.len() && chars[i] != '}' {
                if chars[i] == '"' || chars[i] == '\'' || chars[i] == '`' {
                    skip_string(&mut i);
                } else {
                    i += 1;
                }
            }
            let inner: String = chars[start + 1..i.min(chars.len())].iter().collect();
            for matcher in inner.split(',') {
                if let Some((label, value)) = matcher.split_once('=') {
                    if label.trim() == "__name__" {
                        let value = value.trim().trim_matches(['"', '\'', '`']);
                        names.push(value.to_string());
                    }
                }
            }
            i += 1;
        } else if c == '[' {
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let followed_by_paren = chars.get(next) == Some(&'(');
            let lower = word.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "by" | "without" | "on" | "ignoring" | "group_left" | "group_right"
            ) {
                if followed_by_paren {
                    i = next;
                    skip_parenthesised(&mut i);
                }
            } else if followed_by_paren
                || KEYWORDS.contains(&lower.as_str())
                || (AGGREGATIONS.contains(&lower.as_str())
                    && ["by", "without"].iter().any(|clause| {
                        let rest: String = chars[next..].iter().take(8).collect();
                        rest.to_ascii_lowercase().starts_with(clause)
                    }))
            {
                // a function or aggregation, or a keyword
            } else {
                names.push(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_series_an_expression_selects() {
        let expression = r#"sum by (code, job) (rate(http_requests_total{code=~"5..", job="api"}[5m] offset 1m)) / on (job) group_left sum without (instance) (rate(http_requests_total[5m])) > 0.05 and {__name__="errors_total"} unless up == bool 0"#;
        assert_eq!(
            referenced_series(expression),
            vec![
                "http_requests_total",
                "http_requests_total",
                "errors_total",
                "up"
            ]
        );
        assert!(expression_references(expression, "http_requests_total"));
        assert!(!expression_references(expression, "code"));
        assert!(!expression_references(expression, "rate"));
        assert!(!expression_references(
            r#"absent(x{label="http_requests_total"})"#,
            "http_requests_total"
        ));
        assert!(expression_references(
            "job:error_ratio:rate5m > 0.01",
            "job:error_ratio:rate5m"
        ));
    }

    #[test]
    fn auth_comes_from_the_environment_and_is_redacted() {
        let bearer = Auth::Bearer("s3cret".into());
        assert!(!format!("{bearer:?}").contains("s3cret"));
        assert_eq!(bearer.header(), "Bearer s3cret");
        let basic = Auth::Basic {
            user: "u".into(),
            password: "p".into(),
        };
        assert_eq!(basic.header(), "Basic dTpw");
        assert!(
            Auth::from_env(
                "GONOGO_TEST_UNSET_A",
                "GONOGO_TEST_UNSET_B",
                "GONOGO_TEST_UNSET_C"
            )
            .is_none()
        );
    }

    #[test]
    fn no_series_is_missing_and_several_are_ambiguous() {
        let result = |series: Vec<Series>| QueryResult {
            url: "http://127.0.0.1:9090/api/v1/query?query=x".into(),
            result_type: "vector".into(),
            series,
            warnings: vec![],
            body_sha256: sha256_hex(b"{}"),
        };
        let kind = QueryKind::Instant { time: None };
        let now = Timestamp::UNIX_EPOCH;
        assert!(matches!(
            query_evidence("x", "s", "x", &kind, &result(vec![]), Reduce::Last, now),
            QueryEvidence::Missing { .. }
        ));
        let one = |v: f64, label: &str| Series {
            labels: [("job".to_string(), label.to_string())].into(),
            points: vec![(1700000000.0, v)],
        };
        match query_evidence(
            "x",
            "s",
            "x",
            &kind,
            &result(vec![one(1.0, "a"), one(2.0, "b")]),
            Reduce::Last,
            now,
        ) {
            QueryEvidence::Ambiguous { label_sets, .. } => assert_eq!(label_sets.len(), 2),
            other => panic!("{other:?}"),
        }
        match query_evidence(
            "x",
            "s",
            "x",
            &kind,
            &result(vec![one(0.25, "a")]),
            Reduce::Last,
            now,
        ) {
            QueryEvidence::Found(record) => {
                assert_eq!(record.collected_at.as_second(), 1700000000);
                assert!(
                    matches!(record.metrics["prometheus.x"].value, gonogo_core::evidence::MetricValue::Value(v) if v == 0.25)
                );
            }
            other => panic!("{other:?}"),
        }
        let range = Series {
            labels: BTreeMap::new(),
            points: vec![(1.0, 3.0), (2.0, 1.0), (3.0, 2.0)],
        };
        assert_eq!(Reduce::Max.apply(&range.points), Some(3.0));
        assert_eq!(Reduce::Last.apply(&range.points), Some(2.0));
        assert_eq!(Reduce::Mean.apply(&range.points), Some(2.0));
    }
}

// ---------------------------------------------------------------------------------------------
// Queries with a sample size: ratios, availability and histograms over a window.
// ---------------------------------------------------------------------------------------------

/// What a shaped query measures; each becomes a ratio or a distribution, never a bare number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shaped {
    /// `errors` of `total` from two counters' `increase()` over the window.
    Ratio { errors: String, total: String },
    /// Samples of a 0/1 series (`up`, `probe_success`) that were 1, of all its samples.
    Availability { series: String },
    /// The observations of a Prometheus histogram (`_bucket` by `le`, and `_count`), whose
    /// bucket boundaries are in `bucket_unit`.
    Histogram {
        histogram: String,
        bucket_unit: BucketUnit,
    },
}

/// The unit of a histogram's `le` boundaries (Prometheus' convention is seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketUnit {
    Seconds,
    Milliseconds,
    Microseconds,
}

impl BucketUnit {
    pub fn parse(text: &str) -> Option<BucketUnit> {
        Some(match text {
            "s" => BucketUnit::Seconds,
            "ms" => BucketUnit::Milliseconds,
            "us" => BucketUnit::Microseconds,
            _ => return None,
        })
    }

    fn micros(self) -> f64 {
        match self {
            BucketUnit::Seconds => 1e6,
            BucketUnit::Milliseconds => 1e3,
            BucketUnit::Microseconds => 1.0,
        }
    }
}

/// A series selector split into its metric name (possibly empty) and its `{...}` matchers.
fn split_selector(selector: &str) -> Option<(&str, &str)> {
    let selector = selector.trim();
    let name_end = selector
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(selector.len());
    let (name, rest) = selector.split_at(name_end);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim();
    if rest.is_empty() {
        return (!name.is_empty()).then_some((name, ""));
    }
    // One `{...}` block to the end, braces only inside quotes.
    if !(rest.starts_with('{') && rest.ends_with('}')) {
        return None;
    }
    let inner = &rest[1..rest.len() - 1];
    let mut quote = None;
    let mut escaped = false;
    for c in inner.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '{' | '}' | '(' | ')' | '[' | ']' => return None,
                _ => {}
            },
        }
    }
    (quote.is_none() && (!name.is_empty() || !inner.trim().is_empty())).then_some((name, rest))
}

/// Why a shaped query cannot be built or its answer is not a count.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShapeError {
    #[error(
        "`{key}` must be a series selector such as {example}, not {given:?}: gonogo wraps it in {wrapping}"
    )]
    NotASelector {
        key: &'static str,
        given: String,
        example: &'static str,
        wrapping: &'static str,
    },
    #[error("`window` {0:?} is not a Prometheus duration (e.g. 5m, 1h, 1h30m)")]
    BadWindow(String),
    #[error("{what} is {value}, not a count: {why}")]
    NotACount {
        what: String,
        value: f64,
        why: &'static str,
    },
    #[error(
        "{k_what} ({k}) exceeds {n_what} ({n}); the two selectors do not count the same events"
    )]
    MoreThanAll {
        k_what: &'static str,
        k: u64,
        n_what: &'static str,
        n: u64,
    },
    #[error("the histogram's bucket {0:?} has no `le` boundary gonogo can read")]
    BadBucket(String),
    #[error("the histogram has no +Inf bucket, so its total count is unknown")]
    NoInfBucket,
}

/// A Prometheus duration: digits and units (`ms`, `s`, `m`, `h`, `d`, `w`, `y`), one or more.
fn check_window(window: &str) -> Result<(), ShapeError> {
    let bad = || ShapeError::BadWindow(window.to_string());
    let mut rest = window.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u))
            .ok_or_else(bad)?;
        rest = &rest[unit.len()..];
    }
    Ok(())
}

/// The two PromQL expressions of a shaped query: (the k or bucket query, the n query).
pub fn shaped_queries(shaped: &Shaped, window: &str) -> Result<(String, String), ShapeError> {
    check_window(window)?;
    fn selector<'a>(
        key: &'static str,
        text: &'a str,
        example: &'static str,
        wrapping: &'static str,
    ) -> Result<(&'a str, &'a str), ShapeError> {
        split_selector(text).ok_or_else(|| ShapeError::NotASelector {
            key,
            given: text.to_string(),
            example,
            wrapping,
        })
    }
    Ok(match shaped {
        Shaped::Ratio { errors, total } => {
            let example = r#"http_requests_total{code=~"5.."}"#;
            let wrapping = "sum(increase(SELECTOR[window]))";
            selector("errors", errors, example, wrapping)?;
            selector("total", total, example, wrapping)?;
            (
                format!("sum(increase({}[{window}]))", errors.trim()),
                format!("sum(increase({}[{window}]))", total.trim()),
            )
        }
        Shaped::Availability { series } => {
            selector(
                "series",
                series,
                r#"up{job="api"}"#,
                "sum(sum_over_time(SELECTOR[window])) and sum(count_over_time(SELECTOR[window]))",
            )?;
            (
                format!("sum(sum_over_time({}[{window}]))", series.trim()),
                format!("sum(count_over_time({}[{window}]))", series.trim()),
            )
        }
        Shaped::Histogram { histogram, .. } => {
            let (name, matchers) = selector(
                "histogram",
                histogram,
                r#"http_request_duration_seconds{job="api"}"#,
                "sum by (le) (increase(NAME_bucket{...}[window])) and sum(increase(NAME_count{...}[window]))",
            )?;
            let base = ["_bucket", "_count", "_sum"]
                .into_iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            if base.is_empty() {
                return Err(ShapeError::NotASelector {
                    key: "histogram",
                    given: histogram.clone(),
                    example: r#"http_request_duration_seconds{job="api"}"#,
                    wrapping: "NAME_bucket and NAME_count",
                });
            }
            (
                format!("sum by (le) (increase({base}_bucket{matchers}[{window}]))"),
                format!("sum(increase({base}_count{matchers}[{window}]))"),
            )
        }
    })
}

/// A count from a float Prometheus returned. `exact`: the value must be an integer
/// (`count_over_time`, `sum_over_time` of 0/1); otherwise (`increase()`, which extrapolates to
/// the window's edges) it is rounded the conservative way: `up` for events that count against
/// the service, down for the trials.
fn to_count(what: &str, value: f64, exact: bool, up: bool) -> Result<u64, ShapeError> {
    let fail = |why| ShapeError::NotACount {
        what: what.to_string(),
        value,
        why,
    };
    if !value.is_finite() {
        return Err(fail(
            "Prometheus returned a value that is not a finite number",
        ));
    }
    if value < 0.0 {
        return Err(fail("a count is never negative"));
    }
    if value > 9_007_199_254_740_992.0 {
        return Err(fail(
            "it is past 2^53, where floats no longer hold every integer",
        ));
    }
    let nearest = value.round();
    // A float sum of integers may be off in its last bits.
    if (value - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        return Ok(nearest as u64);
    }
    if exact {
        return Err(fail(
            "the series must hold only 0 and 1 (up, probe_success) for its samples to be counted",
        ));
    }
    Ok(if up { value.ceil() } else { value.floor() } as u64)
}

/// The answer of a shaped query.
#[derive(Debug)]
pub enum ShapedEvidence {
    Found(Box<Evidence>),
    /// A query returned no series: missing evidence, never a pass. `which` names the query.
    Missing {
        url: String,
        which: &'static str,
    },
}

/// One value of an aggregated (`sum`) instant query, or `None` when it returned no series.
fn single_value(result: &QueryResult) -> Option<f64> {
    result
        .series
        .iter()
        .find(|s| !s.points.is_empty())
        .map(|s| s.points[0].1)
}

/// Turns the two answers of a shaped query into evidence named `prometheus.<name>`.
#[allow(clippy::too_many_arguments)]
pub fn shaped_evidence(
    name: &str,
    server: &str,
    shaped: &Shaped,
    window: &str,
    queries: (&str, &str),
    results: (&QueryResult, &QueryResult),
    time: Option<&str>,
    now: Timestamp,
) -> Result<ShapedEvidence, ShapeError> {
    let (first, second) = results;
    let evaluated_at = first
        .series
        .iter()
        .chain(&second.series)
        .find_map(|s| s.points.first())
        .and_then(|(t, _)| Timestamp::from_microsecond((t * 1e6) as i64).ok())
        .unwrap_or(now);
    let mut warnings: Vec<String> = first.warnings.clone();
    warnings.extend(second.warnings.iter().cloned());
    let missing = |result: &QueryResult, which| {
        Ok(ShapedEvidence::Missing {
            url: result.url.clone(),
            which,
        })
    };
    let (metric, figures) = match shaped {
        Shaped::Ratio { .. } => {
            let Some(total) = single_value(second) else {
                return missing(second, "total");
            };
            // No series for the errors (a labelled counter never incremented, or a typo) is
            // missing too: 0 errors must be a scraped 0, never an absence.
            let Some(errors) = single_value(first) else {
                return missing(first, "errors");
            };
            let mut k = to_count("increase() of `errors`", errors, false, true)?;
            let n = to_count("increase() of `total`", total, false, false)?;
            if k > n && errors <= total {
                // Only the rounding (k up, n down) crossed: every request an error, the worst.
                k = n;
            }
            let ratio = Ratio::new(k, n).ok_or(ShapeError::MoreThanAll {
                k_what: "the errors",
                k,
                n_what: "the total",
                n,
            })?;
            let metric = Metric::ratio(ratio, Unit::count("requests")).with_coded_note(
                "from increase() of two counters: Prometheus extrapolates to the window's edges, \
                 so k and n are approximate (k rounded up, n down)",
                NoteCode::new("prometheus.increase"),
            );
            (
                metric,
                serde_json::json!({"errors": errors, "total": total, "k": k, "n": n}),
            )
        }
        Shaped::Availability { .. } => {
            let Some(samples) = single_value(second) else {
                return missing(second, "samples");
            };
            let Some(ones) = single_value(first) else {
                return missing(first, "successes");
            };
            let n = to_count("count_over_time() of `series`", samples, true, false)?;
            let k = to_count("sum_over_time() of `series`", ones, true, false)?;
            let ratio = Ratio::new(k, n).ok_or(ShapeError::MoreThanAll {
                k_what: "the sum of the samples",
                k,
                n_what: "their number",
                n,
            })?;
            (
                Metric::ratio(ratio, Unit::count("samples")),
                serde_json::json!({"successes": ones, "samples": samples, "k": k, "n": n}),
            )
        }
        Shaped::Histogram { bucket_unit, .. } => {
            if first.series.iter().all(|s| s.points.is_empty()) {
                return missing(first, "buckets");
            }
            let (buckets, labels) = read_buckets(first)?;
            let count = single_value(second);
            let histogram = bucket_histogram(&buckets, *bucket_unit)?;
            let n = histogram.len();
            if let Some(count) = count {
                let counted = to_count("increase() of `_count`", count, false, false)?;
                if counted.abs_diff(n) > 1 {
                    warnings.push(format!(
                        "the histogram's _count ({count}) and its +Inf bucket ({n}) disagree; the buckets were used"
                    ));
                }
            } else {
                warnings.push(
                    "the histogram's _count returned no series; the +Inf bucket gave the count"
                        .into(),
                );
            }
            let table: Vec<serde_json::Value> = histogram_table(&buckets, &labels);
            let metric = Metric::distribution(histogram, Unit::parse("us"))
                .with_coded_note(
                    "from a Prometheus histogram's buckets: every observation is counted at its \
                 bucket's upper bound (le), so a percentile's upper end is conservative; put a \
                 bucket boundary at the gate's threshold, or a fail may only mean the \
                 percentile's bucket reaches past it",
                    NoteCode::new("prometheus.buckets"),
                )
                // `>`, `>=` and relative gates cannot pass on it (core's eval).
                .as_upper_bounds();
            (
                metric,
                serde_json::json!({"buckets": table, "count": count, "n": n}),
            )
        }
    };
    let mut record = Evidence::new(
        "prometheus",
        Source::Url(first.url.clone()),
        sha256_hex(format!("{}\n{}", first.body_sha256, second.body_sha256).as_bytes()),
        evaluated_at,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    record.insert(format!("prometheus.{name}"), metric);
    record.details = serde_json::json!({
        "server": server,
        "kind": match shaped {
            Shaped::Ratio { .. } => "ratio",
            Shaped::Availability { .. } => "availability",
            Shaped::Histogram { .. } => "histogram",
        },
        "window": window,
        "queries": [queries.0, queries.1],
        "urls": [&first.url, &second.url],
        "time": time,
        "evaluation_time": evaluated_at.to_string(),
        "figures": figures,
        "warnings": warnings,
    });
    Ok(ShapedEvidence::Found(Box::new(record)))
}

/// Cumulative bucket counts by upper bound, and the `le` labels as Prometheus wrote them.
type Buckets = (Vec<(f64, f64)>, Vec<String>);

/// Cumulative bucket counts by upper bound (`le`, in the histogram's unit), ascending, the
/// `+Inf` bucket last; and the `le` labels as Prometheus wrote them, in the same order.
fn read_buckets(result: &QueryResult) -> Result<Buckets, ShapeError> {
    let mut buckets = Vec::new();
    for series in result.series.iter().filter(|s| !s.points.is_empty()) {
        let le = series.labels.get("le").map(String::as_str).unwrap_or("");
        let bound = parse_sample_value(le.trim())
            .filter(|b| !b.is_nan() && *b >= 0.0)
            .ok_or_else(|| ShapeError::BadBucket(le.to_string()))?;
        buckets.push((bound, series.points[0].1, le.to_string()));
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|(le, _, _)| *le != f64::INFINITY) {
        return Err(ShapeError::NoInfBucket);
    }
    Ok(buckets
        .into_iter()
        .map(|(le, cumulative, label)| ((le, cumulative), label))
        .unzip())
}

/// The per-bucket counts of cumulative buckets as integers: each cumulative count rounded down
/// (which moves observations up, the conservative way), made non-decreasing, and capped by the
/// +Inf bucket's.
fn bucket_counts(buckets: &[(f64, f64)]) -> Result<Vec<(f64, u64)>, ShapeError> {
    let (_, total) = *buckets.last().expect("read_buckets keeps +Inf");
    let n = to_count("the +Inf bucket's increase()", total, false, false)?;
    let mut counts = Vec::with_capacity(buckets.len());
    let mut below = 0u64;
    for &(le, cumulative) in buckets {
        let cumulative = if le == f64::INFINITY {
            n
        } else {
            let what = format!("the increase() of bucket le={le}");
            to_count(&what, cumulative, false, false)?.clamp(below, n)
        };
        counts.push((le, cumulative - below));
        below = cumulative;
    }
    Ok(counts)
}

/// An HDR histogram in microseconds with each bucket's observations at its upper bound
/// (rounded up to a whole microsecond); the +Inf bucket's at the histogram's top (1 hour).
fn bucket_histogram(
    buckets: &[(f64, f64)],
    unit: BucketUnit,
) -> Result<hdrhistogram::Histogram<u64>, ShapeError> {
    let mut histogram = gonogo_core::evidence::latency_histogram();
    let top = histogram.high();
    for (le, count) in bucket_counts(buckets)? {
        if count == 0 {
            continue;
        }
        let value = if le.is_finite() {
            ((le * unit.micros()).ceil() as u64).clamp(1, top)
        } else {
            top
        };
        histogram
            .record_n(value, count)
            .expect("values are clamped into the histogram's range");
    }
    Ok(histogram)
}

/// The buckets as the details show them: `le` (as Prometheus wrote it) and the observations in
/// that bucket alone.
fn histogram_table(buckets: &[(f64, f64)], labels: &[String]) -> Vec<serde_json::Value> {
    let counts = bucket_counts(buckets).unwrap_or_default();
    buckets
        .iter()
        .zip(labels)
        .zip(counts)
        .map(|(((_, cumulative), le), (_, count))| {
            serde_json::json!({
                "le": le,
                "cumulative_increase": cumulative,
                "count": count,
            })
        })
        .collect()
}

#[cfg(test)]
mod shaped_tests {
    use super::*;

    fn answer(series: Vec<(Vec<(&str, &str)>, f64)>) -> QueryResult {
        QueryResult {
            url: "http://127.0.0.1:9090/api/v1/query?query=x".into(),
            result_type: "vector".into(),
            series: series
                .into_iter()
                .map(|(labels, value)| Series {
                    labels: labels
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    points: vec![(1_700_000_000.0, value)],
                })
                .collect(),
            warnings: vec![],
            body_sha256: sha256_hex(b"{}"),
        }
    }

    fn evidence(shaped: &Shaped, k: QueryResult, n: QueryResult) -> Result<Evidence, ShapeError> {
        match shaped_evidence(
            "x",
            "s",
            shaped,
            "5m",
            ("a", "b"),
            (&k, &n),
            None,
            Timestamp::UNIX_EPOCH,
        )? {
            ShapedEvidence::Found(record) => Ok(*record),
            ShapedEvidence::Missing { which, .. } => panic!("missing {which}"),
        }
    }

    #[test]
    fn queries_wrap_selectors_and_refuse_expressions() {
        let ratio = Shaped::Ratio {
            errors: r#"http_requests_total{code=~"5..", path!="/{x}"}"#.into(),
            total: "http_requests_total".into(),
        };
        assert_eq!(
            shaped_queries(&ratio, "5m").unwrap(),
            (
                r#"sum(increase(http_requests_total{code=~"5..", path!="/{x}"}[5m]))"#.into(),
                "sum(increase(http_requests_total[5m]))".into()
            )
        );
        let histogram = Shaped::Histogram {
            histogram: r#"rpc_seconds_bucket{job="api"}"#.into(),
            bucket_unit: BucketUnit::Seconds,
        };
        assert_eq!(
            shaped_queries(&histogram, "1h30m").unwrap(),
            (
                r#"sum by (le) (increase(rpc_seconds_bucket{job="api"}[1h30m]))"#.into(),
                r#"sum(increase(rpc_seconds_count{job="api"}[1h30m]))"#.into()
            )
        );
        let expression = Shaped::Ratio {
            errors: "sum(rate(errors_total[5m]))".into(),
            total: "requests_total".into(),
        };
        let error = shaped_queries(&expression, "5m").unwrap_err();
        assert!(
            error.to_string().contains("must be a series selector"),
            "{error}"
        );
        let availability = Shaped::Availability {
            series: "up".into(),
        };
        assert_eq!(
            shaped_queries(&availability, "5").unwrap_err(),
            ShapeError::BadWindow("5".into())
        );
    }

    #[test]
    fn ratios_round_conservatively_and_refuse_what_is_not_a_count() {
        let ratio = Shaped::Ratio {
            errors: "e".into(),
            total: "t".into(),
        };
        let record = evidence(
            &ratio,
            answer(vec![(vec![], 2.4)]),
            answer(vec![(vec![], 99.7)]),
        )
        .unwrap();
        let value = &record.metrics["prometheus.x"];
        assert_eq!(value.value.as_ratio(), Some(Ratio { k: 3, n: 99 }));
        assert!(value.note.as_deref().unwrap().contains("approximate"));
        assert_eq!(
            value.note_code.as_ref().map(|c| c.code.as_str()),
            Some("prometheus.increase")
        );
        // Floating noise on an integer is the integer.
        let record = evidence(
            &ratio,
            answer(vec![(vec![], 10.000000000001)]),
            answer(vec![(vec![], 99.99999999999)]),
        )
        .unwrap();
        assert_eq!(
            record.metrics["prometheus.x"].value.as_ratio(),
            Some(Ratio { k: 10, n: 100 })
        );
        // Rounding alone never makes k exceed n: the worst ratio instead.
        let record = evidence(
            &ratio,
            answer(vec![(vec![], 99.5)]),
            answer(vec![(vec![], 99.7)]),
        )
        .unwrap();
        assert_eq!(
            record.metrics["prometheus.x"].value.as_ratio(),
            Some(Ratio { k: 99, n: 99 })
        );
        for (k, n, message) in [
            (5.0, 4.0, "exceeds"),
            (-1.0, 4.0, "never negative"),
            (f64::NAN, 4.0, "not a finite number"),
        ] {
            let error =
                evidence(&ratio, answer(vec![(vec![], k)]), answer(vec![(vec![], n)])).unwrap_err();
            assert!(error.to_string().contains(message), "{error}");
        }
        // Availability counts must be integers: a series that is not 0/1 is refused.
        let availability = Shaped::Availability {
            series: "up".into(),
        };
        let error = evidence(
            &availability,
            answer(vec![(vec![], 10.5)]),
            answer(vec![(vec![], 12.0)]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("only 0 and 1"), "{error}");
        // No errors series is missing, never 0 errors.
        match shaped_evidence(
            "x",
            "s",
            &ratio,
            "5m",
            ("a", "b"),
            (&answer(vec![]), &answer(vec![(vec![], 5.0)])),
            None,
            Timestamp::UNIX_EPOCH,
        )
        .unwrap()
        {
            ShapedEvidence::Missing { which, .. } => assert_eq!(which, "errors"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn histogram_buckets_are_counted_at_their_upper_bounds() {
        let histogram = Shaped::Histogram {
            histogram: "h".into(),
            bucket_unit: BucketUnit::Seconds,
        };
        // Cumulative: 2 at or below 5 ms, 7 at or below 100 ms, 7.6 (extrapolated) at 1 s,
        // 10 in all.
        let buckets = answer(vec![
            (vec![("le", "+Inf")], 10.0),
            (vec![("le", "0.1")], 7.0),
            (vec![("le", "0.005")], 2.0),
            (vec![("le", "1.0")], 7.6),
        ]);
        let record = evidence(&histogram, buckets, answer(vec![(vec![], 10.0)])).unwrap();
        let h = record.metrics["prometheus.x"]
            .value
            .as_histogram()
            .unwrap()
            .clone();
        assert_eq!(h.len(), 10);
        assert_eq!(h.count_at(5_000), 2);
        assert_eq!(h.count_at(100_000), 5);
        // 7.6 rounded down: nothing more at or below 1 s; the rest in +Inf, at the top.
        assert_eq!(h.count_at(1_000_000), 0);
        assert_eq!(h.count_at(h.high()), 3);
        let table = &record.details["figures"]["buckets"];
        assert_eq!(table[0]["le"], "0.005");
        assert_eq!(table[3]["le"], "+Inf");
        assert_eq!(table[3]["count"], 3);
        let error = evidence(
            &histogram,
            answer(vec![(vec![("le", "0.1")], 7.0)]),
            answer(vec![(vec![], 7.0)]),
        )
        .unwrap_err();
        assert_eq!(error, ShapeError::NoInfBucket);
    }
}
