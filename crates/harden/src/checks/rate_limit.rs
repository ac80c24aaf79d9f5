//! Rate limiting (H-19): a bounded burst to the declared endpoint.
//!
//! Requests go one after the other (no concurrency) until the first `429` (or `503`), the
//! request cap (`max_requests`, at most 500) or the time cap (`max_duration`, at most 10 s),
//! whichever comes first. The finding states the measured fact, "no 429 within N requests in
//! T s", because a limit keyed on client IP behind a proxy, or per account, may exist in
//! production and never trip on loopback. A 429 passes when it says when to come back:
//! `Retry-After`, `RateLimit`/`RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-09),
//! `RateLimit-Limit/-Remaining/-Reset` (drafts up to 06) or `X-RateLimit-*`. When the 429's
//! `Retry-After` (delta-seconds) still fits the time cap, gonogo waits that long and sends once
//! more, and notes whether the limit lifted as advertised.

use std::time::{Duration, Instant};

use reqwest::Method;

use crate::config::RateLimitConfig;
use crate::http::{Exchange, Probe, Session};
use crate::report::{Finding, Outcomes};
use crate::rules::rule;

const LIMIT_HEADERS: &[&str] = &[
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

pub async fn check(session: &mut Session, config: Option<&RateLimitConfig>, out: &mut Outcomes) {
    let missing = rule("rate-limit-missing");
    let headers = rule("rate-limit-headers-missing");
    let Some(config) = config else {
        let reason = "no [harden.rate_limit] endpoint declared";
        out.skipped(missing, reason);
        out.skipped(headers, reason);
        return;
    };
    let method = match Method::from_bytes(config.method.to_ascii_uppercase().as_bytes()) {
        Ok(method) => method,
        Err(_) => {
            let reason = format!(
                "[harden.rate_limit] method `{}` is not an HTTP method",
                config.method
            );
            out.error(missing, reason.clone());
            out.error(headers, reason);
            return;
        }
    };
    let mut probe = Probe::new(method, &config.path);
    if let Some(content_type) = &config.content_type {
        probe = probe.header("Content-Type", content_type.clone());
    }
    if let Some(body) = &config.body {
        probe = probe.body(body.clone().into_bytes());
    }
    let max_requests = config.max_requests.clamp(1, RateLimitConfig::MAX_REQUESTS);
    let max_duration = config.max_duration.min(RateLimitConfig::MAX_DURATION);
    let started = Instant::now();
    let mut last: Option<Exchange> = None;
    let mut n_sent = 0u32;
    let mut limited: Option<(u32, Exchange)> = None;
    let mut failure = None;
    while n_sent < max_requests && started.elapsed() < max_duration {
        n_sent += 1;
        match session.send(&probe).await {
            Ok(exchange) => {
                if exchange.status == 429 || exchange.status == 503 {
                    limited = Some((n_sent, exchange));
                    break;
                }
                last = Some(exchange);
            }
            Err(error) => {
                failure = Some(error.to_string());
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    match (limited, last, failure) {
        (Some((index, exchange)), _, _) => {
            out.ran(missing);
            out.note(
                missing,
                format!(
                    "request #{index} of the burst got {} after {}",
                    exchange.status,
                    seconds(elapsed)
                ),
            );
            let present: Vec<&str> = LIMIT_HEADERS
                .iter()
                .copied()
                .filter(|name| exchange.header(name).is_some())
                .collect();
            if present.is_empty() {
                out.finding(Finding::new(
                    headers,
                    &exchange,
                    format!("{} {}: the {} carries no Retry-After or RateLimit header, so clients cannot know when to retry", probe.method, config.path, exchange.status),
                    None,
                ));
            } else {
                out.ran(headers);
                let values: Vec<String> = present
                    .iter()
                    .map(|name| format!("{name}: {}", exchange.header(name).unwrap_or("")))
                    .collect();
                out.note(headers, format!("limit headers: {}", values.join(", ")));
            }
            // Does the limit lift when the server said it would? Only if the wait fits the
            // burst's time cap.
            let retry_after = exchange
                .header("retry-after")
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            match retry_after {
                Some(wait) if started.elapsed() + wait + Duration::from_millis(250) <= max_duration => {
                    tokio::time::sleep(wait + Duration::from_millis(250)).await;
                    match session.send(&probe).await {
                        Ok(after) if after.status == exchange.status => out.note(
                            headers,
                            format!("after waiting Retry-After ({} s) the endpoint still answered {}: the advertised time is wrong", wait.as_secs(), after.status),
                        ),
                        Ok(after) => out.note(
                            headers,
                            format!("after waiting Retry-After ({} s) the endpoint answered {}: the limit lifts as advertised", wait.as_secs(), after.status),
                        ),
                        Err(error) => out.note(headers, format!("the request after Retry-After failed: {error}")),
                    }
                }
                Some(wait) => out.note(
                    headers,
                    format!("Retry-After {} s does not fit the burst's time cap: whether the limit lifts was not checked", wait.as_secs()),
                ),
                None => {}
            }
        }
        (None, Some(_), Some(error)) => {
            let reason =
                format!("the burst stopped after {n_sent} requests without a 429: {error}");
            out.error(missing, reason.clone());
            out.error(headers, reason);
        }
        (None, Some(exchange), None) => {
            out.finding(Finding::new(
                missing,
                &exchange,
                format!(
                    "{} {}: no 429 or 503 within {n_sent} requests in {} (the last response is shown)",
                    probe.method, config.path, seconds(elapsed)
                ),
                None,
            ));
            out.not_applicable(headers, "no 429 was seen");
        }
        (None, None, failure) => {
            let reason = failure.unwrap_or_else(|| "no request was sent".into());
            out.error(missing, reason.clone());
            out.error(headers, reason);
        }
    }
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}
