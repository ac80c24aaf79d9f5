//! CSRF (H-18): does the service refuse a state-changing request forged by another site?
//!
//! Needs `[harden.csrf]` (a request authenticated by a session cookie and safe to repeat) and
//! the session's `Cookie` header; otherwise `skipped`, since CSRF needs an ambient credential
//! and a bearer-token API is not CSRF-able (UnitOneAI/SecuritySkills#843).
//!
//! 1. **Baseline**: the request as the page sends it (cookie, CSRF token header if supplied,
//!    declared content type) must get a 2xx, else the check is inconclusive (`error`).
//! 2. **Forged**: what a cross-site form or `fetch` can send: the cookie, no token header,
//!    `Origin: https://gonogo-<random>.example`, `Sec-Fetch-Site: cross-site`,
//!    `Content-Type: text/plain` (a CORS-simple request, no preflight), the same body. A 2xx is
//!    the finding. The browser's SameSite rules may keep the cookie home; the finding says the
//!    *server* does not refuse, which is what the ASVS requirement asks.

use reqwest::Method;

use crate::config::{AuthSecrets, CsrfConfig};
use crate::http::{Probe, Session, random_hex};
use crate::report::{Finding, Outcomes};
use crate::rules::rule;

pub async fn check(
    session: &mut Session,
    config: Option<&CsrfConfig>,
    secrets: &AuthSecrets,
    out: &mut Outcomes,
) {
    let unprotected = rule("csrf-unprotected");
    let Some(config) = config.filter(|config| !config.path.is_empty()) else {
        out.skipped(unprotected, "no [harden.csrf] endpoint declared");
        return;
    };
    let Some(cookie) = &secrets.session_cookie else {
        out.skipped(
            unprotected,
            format!("no session cookie (set ${})", config.cookie_env),
        );
        return;
    };
    let Ok(method) = Method::from_bytes(config.method.to_ascii_uppercase().as_bytes()) else {
        out.error(
            unprotected,
            format!(
                "[harden.csrf] method `{}` is not an HTTP method",
                config.method
            ),
        );
        return;
    };
    let shown_cookie = format!("{} (the session cookie)", gonogo_core::redact::REDACTED);
    let body = config.body.clone().unwrap_or_default().into_bytes();
    let mut page = Probe::new(method.clone(), &config.path)
        .header("Cookie", cookie.clone())
        .body(body.clone());
    if let Some(content_type) = &config.content_type {
        page = page.header("Content-Type", content_type.clone());
    }
    if let Some(token) = &secrets.csrf_token {
        page = page.header(&config.token_header, token.clone());
    }
    page.shown_cookie = Some(shown_cookie.clone());
    match session.send(&page).await {
        Ok(exchange) if exchange.is_success() => {}
        Ok(exchange) => {
            out.error(
                unprotected,
                format!(
                    "inconclusive: the request as the page sends it got {} (expected 2xx), so a refusal of the forged one proves nothing",
                    exchange.status
                ),
            );
            return;
        }
        Err(error) => {
            out.error(unprotected, error.to_string());
            return;
        }
    }
    let mut forged = Probe::new(method, &config.path)
        .header("Cookie", cookie.clone())
        .header("Origin", format!("https://gonogo-{}.example", random_hex()))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Content-Type", "text/plain")
        .body(body);
    forged.shown_cookie = Some(shown_cookie);
    match session.send(&forged).await {
        Ok(exchange) => {
            out.ran(unprotected);
            if exchange.is_success() {
                out.finding(Finding::new(
                    unprotected,
                    &exchange,
                    format!(
                        "{} {}: a cross-site text/plain request with the session cookie and no {} was accepted ({})",
                        forged.method, config.path, config.token_header, exchange.status
                    ),
                    None,
                ));
            }
        }
        Err(error) => out.error(unprotected, error.to_string()),
    }
}
