//! CORS checks (H-10, H-11, H-13): active requests with a foreign `Origin`.
//!
//! For `/` and each declared path gonogo sends `GET` with `Origin: https://gonogo-<random>.example`,
//! the same as an `OPTIONS` preflight (`Access-Control-Request-Method: GET`), and `GET` with
//! `Origin: null`. A finding needs the server to *echo* what was sent (a random origin cannot be
//! on an allow list), so these are confirmed, not heuristic. `Access-Control-Allow-Origin: *`
//! alone is not a finding (public data; zaproxy#5907); with `Allow-Credentials: true` it is a
//! misconfiguration browsers refuse, reported low.

use reqwest::Method;

use crate::http::{Probe, Session, random_hex};
use crate::report::{Finding, Outcomes};
use crate::rules::{Severity, rule};

pub async fn check(session: &mut Session, paths: &[String], out: &mut Outcomes) {
    let ids = [
        "cors-origin-reflected",
        "cors-null-origin",
        "cors-wildcard-credentials",
    ];
    let mut n_answered = 0;
    let mut errors = Vec::new();
    let mut reported: Vec<(&'static str, String)> = Vec::new();
    for path in paths {
        let origin = format!("https://gonogo-{}.example", random_hex());
        let probes = [
            Probe::get(path).header("Origin", origin.clone()),
            Probe::new(Method::OPTIONS, path)
                .header("Origin", origin.clone())
                .header("Access-Control-Request-Method", "GET"),
            Probe::get(path).header("Origin", "null"),
        ];
        for probe in &probes {
            let exchange = match session.send(probe).await {
                Ok(exchange) => exchange,
                Err(error) => {
                    errors.push(error.to_string());
                    continue;
                }
            };
            n_answered += 1;
            let sent = probe
                .headers
                .iter()
                .find(|(name, _)| name == "Origin")
                .map(|(_, value)| value.as_str())
                .unwrap_or("");
            let allowed = exchange
                .header("access-control-allow-origin")
                .map(str::trim);
            let credentials = exchange
                .header("access-control-allow-credentials")
                .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
            let with_credentials = if credentials {
                " with Access-Control-Allow-Credentials: true"
            } else {
                ""
            };
            let graded = |base: Severity| if credentials { Severity::High } else { base };
            let mut report = |id: &'static str, finding: Finding| {
                if !reported.iter().any(|(i, p)| *i == id && p == path) {
                    reported.push((id, path.clone()));
                    out.finding(finding);
                }
            };
            match allowed {
                Some(value) if value == sent && sent != "null" => report(
                    "cors-origin-reflected",
                    Finding::new(
                        rule("cors-origin-reflected"),
                        &exchange,
                        format!("{path}: the foreign origin {sent} is echoed in Access-Control-Allow-Origin{with_credentials} ({})", probe.method),
                        None,
                    )
                    .severity(graded(Severity::Medium)),
                ),
                Some("null") if sent == "null" => report(
                    "cors-null-origin",
                    Finding::new(
                        rule("cors-null-origin"),
                        &exchange,
                        format!("{path}: Origin null is allowed{with_credentials}"),
                        None,
                    )
                    .severity(graded(Severity::Medium)),
                ),
                Some("*") if credentials => report(
                    "cors-wildcard-credentials",
                    Finding::new(
                        rule("cors-wildcard-credentials"),
                        &exchange,
                        format!("{path}: Access-Control-Allow-Origin: * with Allow-Credentials: true"),
                        None,
                    ),
                ),
                _ => {}
            }
        }
    }
    for id in ids {
        if n_answered == 0 {
            out.error(
                rule(id),
                errors
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no request was sent".into()),
            );
        } else {
            out.ran(rule(id));
            for error in &errors {
                out.note(rule(id), format!("not checked: {error}"));
            }
        }
    }
}
