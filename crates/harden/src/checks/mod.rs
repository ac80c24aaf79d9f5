//! The checks, one module per group, and the baseline requests the passive groups share.
//!
//! Passive groups (headers, cookies, TLS) judge the baseline responses; active groups (CORS,
//! methods, errors, rate limit, auth, CSRF) send their own bounded requests through their own
//! [`Session`]. Every group records one outcome per rule it owns into [`Outcomes`](crate::report::Outcomes).

pub mod auth;
pub mod cookies;
pub mod cors;
pub mod csrf;
pub mod errors;
pub mod headers;
pub mod jwks;
pub mod methods;
pub mod monitoring;
pub mod plain_http;
pub mod rate_limit;
pub mod tls;

use crate::http::{Exchange, Probe, Session, random_hex};

/// `GET` of each path (`/` first) and of a random path (a 404, to see error-page headers).
/// Returns the exchanges and the errors of the requests that failed.
pub async fn baseline(
    session: &mut Session,
    paths: &[String],
) -> (Vec<Exchange>, Vec<crate::http::RequestError>) {
    let mut exchanges = Vec::new();
    let mut errors = Vec::new();
    let random = format!("/gonogo-{}", random_hex());
    for path in paths.iter().map(String::as_str).chain([random.as_str()]) {
        match session.send(&Probe::get(path)).await {
            Ok(exchange) => exchanges.push(exchange),
            Err(error) => errors.push(error),
        }
    }
    (exchanges, errors)
}
