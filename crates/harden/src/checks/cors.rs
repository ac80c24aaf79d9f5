//! CORS checks (H-10 to H-13): active requests with a foreign `Origin`.
//!
//! For `/` and each declared path gonogo sends `GET` with `Origin: https://gonogo-<random>.example`,
//! the same as an `OPTIONS` preflight (`Access-Control-Request-Method: GET`), and `GET` with
//! `Origin: null`. A finding needs the server to *echo* what was sent (a random origin cannot be
//! on an allow list), so these are confirmed, not heuristic. `Access-Control-Allow-Origin: *`
//! alone is not a finding (public data; zaproxy#5907); with `Allow-Credentials: true` it is a
//! misconfiguration browsers refuse, reported low.
//!
//! H-12 looks for allow lists matched with `starts_with` / `ends_with` / `contains`: where a
//! random origin is *not* echoed, gonogo sends look-alikes of the target's own origin
//! in the target's scheme (`<scheme>://<host>.gonogo-<random>.example`,
//! `<scheme>://gonogo<random><host>`, `<scheme>://<host>%60gonogo-<random>.example`), and
//! `http://<host>` for an https target.

use reqwest::Method;

use crate::http::{Exchange, Probe, Session, random_hex};
use crate::report::{Finding, Outcomes};
use crate::rules::{FindingSeverity, rule};

pub async fn check(session: &mut Session, paths: &[String], out: &mut Outcomes) {
    let ids = [
        "cors-origin-reflected",
        "cors-null-origin",
        "cors-wildcard-credentials",
    ];
    let host = session
        .target()
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let https = session.target().is_https();
    let mut n_look_alike_paths = 0;
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
        let mut random_echoed = false;
        let mut random_answered = false;
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
            let graded = |base: FindingSeverity| {
                if credentials {
                    FindingSeverity::High
                } else {
                    base
                }
            };
            let mut report = |id: &'static str, finding: Finding| {
                if !reported.iter().any(|(i, p)| *i == id && p == path) {
                    reported.push((id, path.clone()));
                    out.finding(finding);
                }
            };
            if sent != "null" {
                random_answered = true;
                random_echoed |= allowed == Some(sent);
            }
            match allowed {
                Some(value) if value == sent && sent != "null" => report(
                    "cors-origin-reflected",
                    Finding::new(
                        rule("cors-origin-reflected"),
                        &exchange,
                        format!("{path}: the foreign origin {sent} is echoed in Access-Control-Allow-Origin{with_credentials} ({})", probe.method),
                        None,
                    )
                    .severity(graded(FindingSeverity::Medium)),
                ),
                Some("null") if sent == "null" => report(
                    "cors-null-origin",
                    Finding::new(
                        rule("cors-null-origin"),
                        &exchange,
                        format!("{path}: Origin null is allowed{with_credentials}"),
                        None,
                    )
                    .severity(graded(FindingSeverity::Medium)),
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
        if random_answered && !random_echoed {
            n_look_alike_paths += 1;
            if let Some((exchange, origin)) =
                look_alike_echo(session, path, &host, https, &mut errors).await
            {
                let credentials = exchange
                    .header("access-control-allow-credentials")
                    .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
                out.finding(
                    Finding::new(
                        rule("cors-weak-origin-match"),
                        &exchange,
                        format!(
                            "{path}: a random origin is refused but the look-alike {origin} is allowed{}",
                            if credentials { " with credentials" } else { "" }
                        ),
                        None,
                    )
                    .severity(if credentials { FindingSeverity::High } else { FindingSeverity::Medium }),
                );
            }
        }
    }
    let weak_match = rule("cors-weak-origin-match");
    if n_answered == 0 {
        out.error(
            weak_match,
            errors
                .first()
                .cloned()
                .unwrap_or_else(|| "no request was sent".into()),
        );
    } else if n_look_alike_paths == 0 {
        out.not_applicable(
            weak_match,
            "every path echoes any origin (see cors-origin-reflected) or none could be asked",
        );
    } else {
        out.ran(weak_match);
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

/// Sends the look-alike origins to `path`; the first one echoed, with its exchange.
async fn look_alike_echo(
    session: &mut Session,
    path: &str,
    host: &str,
    https: bool,
    errors: &mut Vec<String>,
) -> Option<(Exchange, String)> {
    let random = random_hex();
    let scheme = if https { "https" } else { "http" };
    let mut origins = vec![
        format!("{scheme}://{host}.gonogo-{random}.example"),
        format!("{scheme}://gonogo{random}{host}"),
        format!("{scheme}://{host}%60gonogo-{random}.example"),
    ];
    if https {
        origins.push(format!("http://{host}"));
    }
    for origin in origins {
        let probe = Probe::get(path).header("Origin", origin.clone());
        match session.send(&probe).await {
            Ok(exchange) => {
                if exchange
                    .header("access-control-allow-origin")
                    .map(str::trim)
                    == Some(origin.as_str())
                {
                    return Some((exchange, origin));
                }
            }
            Err(error) => errors.push(error.to_string()),
        }
    }
    None
}
