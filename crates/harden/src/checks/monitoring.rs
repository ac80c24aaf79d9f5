//! Monitoring and debug endpoints on a public listener (H-38).
//!
//! Only when the user declares the listener public (`[harden] public_listener = true`): an
//! internal listener that Prometheus scrapes is the normal case, so otherwise the check is
//! `n/a` and sends nothing. Each of `monitoring_paths` (default `/metrics`, `/actuator`,
//! `/actuator/env`, `/actuator/heapdump`, `/debug/pprof/`) is fetched with GET, except a path
//! ending in `/heapdump`, which is asked with HEAD only (a heap dump is never downloaded) and not
//! at all when the Actuator index already lists it (Spring runs the GET handler for a HEAD too,
//! so even a HEAD makes the JVM write a dump).
//!
//! A finding needs a 2xx whose *content* is the thing: Prometheus exposition text, Spring
//! Actuator JSON (`_links`, `propertySources`), Go's pprof index, or a heap-dump download. A
//! single-page app that answers 200 with its `index.html` for every path is not a finding; a
//! 401/403/404 is not either.

use std::sync::LazyLock;

use regex::Regex;
use reqwest::Method;

use crate::http::{Exchange, Probe, Session};
use crate::report::{Finding, Outcomes};
use crate::rules::{FindingSeverity, rule};

/// What a 2xx monitoring response turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    /// What is exposed, for the finding's message.
    pub what: &'static str,
    pub severity: FindingSeverity,
    /// Where in the body the evidence is (for the excerpt).
    pub focus: Option<usize>,
    /// An Actuator index whose links name the heap dump.
    pub lists_heapdump: bool,
}

static PROMETHEUS_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped|unknown|info|stateset|gaugehistogram)\s*$")
        .expect("static regex")
});
static PROMETHEUS_SAMPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?([0-9][0-9.eE+-]*|Inf|NaN)( -?[0-9]+)?\s*$"#,
    )
    .expect("static regex")
});

/// Prometheus (or OpenMetrics) exposition text: a `# TYPE` line, or lines that are all samples
/// or comments (the first 50 looked at).
fn prometheus_at(body: &str) -> Option<usize> {
    if let Some(found) = PROMETHEUS_TYPE.find(body) {
        return Some(found.start());
    }
    let mut n_samples = 0;
    for line in body.lines().take(50) {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !PROMETHEUS_SAMPLE.is_match(line) {
            return None;
        }
        n_samples += 1;
    }
    (n_samples > 0).then_some(0)
}

/// Whether `exchange` (a 2xx) shows a monitoring endpoint, and which.
pub fn recognise(exchange: &Exchange) -> Option<Recognised> {
    if !exchange.is_success() {
        return None;
    }
    let found = |what, severity, focus| {
        Some(Recognised {
            what,
            severity,
            focus,
            lists_heapdump: false,
        })
    };
    if exchange.method == Method::HEAD {
        // No body to read: a download is recognised by its type or disposition.
        let disposition = exchange
            .header("content-disposition")
            .unwrap_or("")
            .to_ascii_lowercase();
        let media_type = exchange.media_type();
        let download = media_type == "application/octet-stream"
            || disposition.contains("attachment")
            || disposition.contains("hprof");
        return if download {
            found(
                "a heap dump download (the process memory: secrets, tokens, personal data)",
                FindingSeverity::High,
                None,
            )
        } else {
            None
        };
    }
    let body = exchange.body_text();
    if exchange.is_html() {
        // Go's net/http/pprof index; a single-page app's index.html is not one.
        let marker = body
            .find("Types of profiles available")
            .or_else(|| body.find("goroutine?debug="));
        return match marker {
            Some(at) if body.contains("/debug/pprof") => found(
                "Go's pprof index (goroutine dumps, the command line, CPU profiles on demand)",
                FindingSeverity::Medium,
                Some(at),
            ),
            _ => None,
        };
    }
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(&exchange.body) {
        if let Some(serde_json::Value::Object(links)) = object.get("_links") {
            let lists_heapdump = links.contains_key("heapdump");
            return Some(Recognised {
                what: "the Spring Boot Actuator index (it lists the management endpoints)",
                severity: FindingSeverity::Medium,
                focus: body.find("_links"),
                lists_heapdump,
            });
        }
        if object
            .get("propertySources")
            .is_some_and(serde_json::Value::is_array)
        {
            return found(
                "the Spring Boot Actuator environment (configuration properties, often secrets)",
                FindingSeverity::High,
                body.find("propertySources"),
            );
        }
        return None;
    }
    prometheus_at(&body).map(|at| Recognised {
        what: "Prometheus metrics (internal names, routes, versions and load)",
        severity: FindingSeverity::Medium,
        focus: Some(at),
        lists_heapdump: false,
    })
}

pub async fn check(
    session: &mut Session,
    public_listener: bool,
    monitoring_paths: &[String],
    passive: bool,
    out: &mut Outcomes,
) {
    let exposed = rule("monitoring-endpoint-exposed");
    if !public_listener {
        out.not_applicable(
            exposed,
            "the listener is not declared public ([harden] public_listener = true): monitoring endpoints on an internal listener are the normal case",
        );
        return;
    }
    let mut heapdump_listed_by: Option<Exchange> = None;
    let mut n_answered = 0;
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    let mut notes = Vec::new();
    for path in monitoring_paths {
        let path = path.as_str();
        let probe = if path.ends_with("/heapdump") {
            if let Some(index) = &heapdump_listed_by {
                out.finding(
                    Finding::new(
                        exposed,
                        index,
                        format!(
                            "{path} is listed by the Actuator index {}, which answers without authentication; not requested (a HEAD still makes Spring write a heap dump)",
                            index.path
                        ),
                        index.body_text().find("heapdump"),
                    )
                    .severity(FindingSeverity::High),
                );
                continue;
            }
            if passive {
                notes.push(format!(
                    "{path}: not asked (--passive sends only GETs, and a heap dump is never downloaded)"
                ));
                continue;
            }
            Probe::new(Method::HEAD, path)
        } else {
            Probe::get(path)
        };
        let exchange = match session.send(&probe).await {
            Ok(exchange) => exchange,
            Err(error) => {
                failures.push(error.to_string());
                continue;
            }
        };
        n_answered += 1;
        answers.push(format!("{} {path}: {}", probe.method, exchange.status));
        match recognise(&exchange) {
            Some(recognised) => {
                if recognised.lists_heapdump {
                    heapdump_listed_by = Some(exchange.clone());
                }
                out.finding(
                    Finding::new(
                        exposed,
                        &exchange,
                        format!(
                            "{} {path} answers {} without authentication with {}",
                            probe.method, exchange.status, recognised.what
                        ),
                        recognised.focus,
                    )
                    .severity(recognised.severity),
                );
            }
            None if exchange.is_success() => notes.push(format!(
                "{} {path} answered {} ({}) without monitoring content: not counted (a catch-all page?)",
                probe.method,
                exchange.status,
                if exchange.media_type().is_empty() {
                    "no Content-Type".to_owned()
                } else {
                    exchange.media_type()
                }
            )),
            None => {}
        }
    }
    if n_answered == 0 && !out.has_findings(exposed) {
        match failures.first() {
            Some(failure) => out.error(exposed, failure.clone()),
            None => out.skipped(
                exposed,
                "no monitoring path to ask ([harden] monitoring_paths)",
            ),
        }
        return;
    }
    out.ran(exposed);
    if !answers.is_empty() {
        out.note(exposed, format!("answers: {}", answers.join(", ")));
    }
    for note in notes {
        out.note(exposed, note);
    }
    for failure in failures {
        out.note(exposed, format!("not checked: {failure}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: Method, status: u16, content_type: &str, body: &str) -> Exchange {
        Exchange {
            request: format!("{method} /x"),
            method,
            path: "/x".into(),
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
            body_truncated: false,
            tls: None,
        }
    }

    fn what(method: Method, status: u16, content_type: &str, body: &str) -> Option<&'static str> {
        recognise(&exchange(method, status, content_type, body)).map(|found| found.what)
    }

    #[test]
    fn monitoring_content_is_recognised_and_catch_all_pages_are_not() {
        let prometheus = "# HELP up Whether it is up.\n# TYPE up gauge\nup 1\n";
        assert!(
            what(Method::GET, 200, "text/plain; version=0.0.4", prometheus)
                .unwrap()
                .starts_with("Prometheus")
        );
        // Samples without TYPE lines, as some exporters write them.
        assert!(
            what(
                Method::GET,
                200,
                "text/plain",
                "http_requests_total{code=\"200\"} 42\nprocess_start_time_seconds 1.7e9\n"
            )
            .is_some()
        );
        assert_eq!(what(Method::GET, 200, "text/plain", "hello world\n"), None);
        assert_eq!(what(Method::GET, 401, "text/plain", prometheus), None);
        // A single-page app answers every path with its index.html.
        let spa = "<!DOCTYPE html><html><head><title>shop</title></head><body><div id=\"root\"></div><script src=\"/main.js\"></script></body></html>";
        assert_eq!(what(Method::GET, 200, "text/html", spa), None);
        assert_eq!(what(Method::HEAD, 200, "text/html", ""), None);
        let actuator = r#"{"_links":{"self":{"href":"http://h/actuator"},"heapdump":{"href":"http://h/actuator/heapdump"}}}"#;
        let found = recognise(&exchange(
            Method::GET,
            200,
            "application/vnd.spring-boot.actuator.v3+json",
            actuator,
        ))
        .unwrap();
        assert!(found.what.contains("Actuator index") && found.lists_heapdump);
        assert_eq!(
            what(
                Method::GET,
                200,
                "application/json",
                r#"{"activeProfiles":[],"propertySources":[{"name":"systemEnvironment"}]}"#
            ),
            Some("the Spring Boot Actuator environment (configuration properties, often secrets)")
        );
        // JSON that is neither: an API's own data.
        assert_eq!(
            what(Method::GET, 200, "application/json", r#"{"items":[]}"#),
            None
        );
        let pprof = "<html><head><title>/debug/pprof/</title></head><body>/debug/pprof/<br><p>Set debug=1 as a query parameter to export in legacy text format</p><br>Types of profiles available:<table><tr><td>12</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr></table></body></html>";
        assert!(
            what(Method::GET, 200, "text/html; charset=utf-8", pprof)
                .unwrap()
                .starts_with("Go's pprof")
        );
        assert!(
            what(Method::HEAD, 200, "application/octet-stream", "")
                .unwrap()
                .starts_with("a heap dump")
        );
    }
}
