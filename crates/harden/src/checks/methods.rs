//! Method checks (H-31 TRACE, H-32 advertised methods). gonogo never sends PUT, DELETE or
//! PATCH: it asks with `OPTIONS` and reads `Allow`.
//!
//! TRACE is a finding only when the response is 2xx *and* echoes the canary header gonogo sent
//! (a 405/501, or a 200 that does not echo, passes).

use reqwest::Method;

use crate::http::{Probe, Session, random_hex};
use crate::report::{Finding, Outcomes};
use crate::rules::rule;

pub async fn check(
    session: &mut Session,
    paths: &[String],
    allowed: &[String],
    out: &mut Outcomes,
) {
    // H-31
    let canary = format!("gonogo-canary-{}", random_hex());
    let trace = Probe::new(Method::TRACE, "/")
        .header("X-Gonogo-Canary", canary.clone())
        .header("Cookie", format!("gonogo_canary={}", random_hex()));
    match session.send(&trace).await {
        Ok(exchange) => {
            out.ran(rule("trace-enabled"));
            let body = exchange.body_text();
            if exchange.is_success() {
                if let Some(at) = body.find(&canary) {
                    out.finding(Finding::new(
                        rule("trace-enabled"),
                        &exchange,
                        format!(
                            "TRACE / answered {} and echoed the canary header",
                            exchange.status
                        ),
                        Some(at),
                    ));
                }
            }
        }
        Err(error) => out.error(rule("trace-enabled"), error.to_string()),
    }

    // H-32
    let mut n_answered = 0;
    let mut errors = Vec::new();
    for path in paths {
        match session.send(&Probe::new(Method::OPTIONS, path)).await {
            Ok(exchange) => {
                n_answered += 1;
                let Some(allow) = exchange.header("allow") else {
                    continue;
                };
                let unexpected: Vec<String> = allow
                    .split(',')
                    .map(|method| method.trim().to_ascii_uppercase())
                    .filter(|method| {
                        !method.is_empty()
                            && !allowed.iter().any(|a| a.eq_ignore_ascii_case(method))
                    })
                    .collect();
                if !unexpected.is_empty() {
                    out.finding(Finding::new(
                        rule("methods-unexpected"),
                        &exchange,
                        format!(
                            "{path}: Allow advertises {} (declared: {})",
                            unexpected.join(", "),
                            allowed.join(", ")
                        ),
                        None,
                    ));
                }
            }
            Err(error) => errors.push(error.to_string()),
        }
    }
    if n_answered == 0 {
        out.error(
            rule("methods-unexpected"),
            errors.first().cloned().unwrap_or_default(),
        );
    } else {
        out.ran(rule("methods-unexpected"));
        for error in errors {
            out.note(rule("methods-unexpected"), format!("not checked: {error}"));
        }
    }
}
