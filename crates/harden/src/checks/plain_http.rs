//! Plain http next to https (H-36): what an https service's host answers over plain http.
//!
//! Only for https targets (on a plain-http target both checks are `n/a`). gonogo asks the same
//! host on `http_port` (default 80), redirects never followed:
//!
//! - **Browser-facing** (`GET http://host/`, unless `/` is declared an API path): a redirect
//!   (301, 302, 307, 308) to `https://` on the *same host* passes (the Observatory's
//!   "redirection"). A 2xx serves the site in clear text; a redirect to plain http or to
//!   another host is a finding too. An error status (400, 403...) is an `info` finding: no
//!   downgrade, but users who type the bare name get an error page. No listener at all passes
//!   (nothing can be downgraded; the Observatory's `redirection-not-needed-no-http`).
//! - **API** (each of `api_paths`): ASVS 5.0 4.1.2 wants API endpoints to *refuse* plain http:
//!   a transparent redirect hides the client's mistake after its request (token and body
//!   included) already crossed the network in clear text. A 3xx is the finding, a 2xx is
//!   worse (high); a 4xx/5xx or no listener passes.
//!
//! A timeout is an `error`: a firewall that drops the port and a hung server look alike.

use crate::http::{Exchange, Probe, RequestErrorKind, Session, Target};
use crate::report::{Finding, Outcomes};
use crate::rules::{FindingSeverity, rule};

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The absolute URL a redirect points at, resolved against the request's URL.
fn location(exchange: &Exchange, requested: &str) -> Option<reqwest::Url> {
    let value = exchange.header("location")?;
    reqwest::Url::parse(requested).ok()?.join(value.trim()).ok()
}

pub async fn check(
    session: &mut Session,
    target: &Target,
    http_port: u16,
    api_paths: &[String],
    out: &mut Outcomes,
) {
    let browser = rule("http-not-redirected-to-https");
    let api = rule("api-redirects-http-to-https");
    let Some(plain) = target.plain_http(http_port) else {
        let reason =
            "the target is plain http (H-36 asks https targets whether plain http redirects)";
        out.not_applicable(browser, reason);
        out.not_applicable(api, reason);
        return;
    };
    let no_listener = |url: &str| {
        format!("nothing listens for plain http at {url} (connection refused): nothing to redirect")
    };

    // Browser-facing: `/`.
    if api_paths.iter().any(|path| path == "/") {
        out.not_applicable(browser, "`/` is declared an API path ([harden] api_paths)");
    } else {
        let url = plain.url("/");
        match session.send_to(&plain, &Probe::get("/")).await {
            Ok(exchange) => {
                out.ran(browser);
                let status = exchange.status;
                if is_redirect(status) {
                    match location(&exchange, &url) {
                        Some(to) if to.scheme() == "https" && same_host(&to, target) => {
                            out.note(browser, format!("GET {url} redirects ({status}) to {to}"));
                        }
                        Some(to) if to.scheme() == "https" => out.finding(Finding::new(
                            browser,
                            &exchange,
                            format!(
                                "GET {url} redirects ({status}) to another host, {to}: the first hop must go to https on the same host (so its HSTS policy is set)"
                            ),
                            None,
                        )),
                        Some(to) => out.finding(Finding::new(
                            browser,
                            &exchange,
                            format!("GET {url} redirects ({status}) to {to}, which is not https"),
                            None,
                        )),
                        None => out.finding(
                            Finding::new(
                                browser,
                                &exchange,
                                format!("GET {url} answers {status} without a usable Location"),
                                None,
                            )
                            .severity(FindingSeverity::Low),
                        ),
                    }
                } else if exchange.is_success() {
                    out.finding(Finding::new(
                        browser,
                        &exchange,
                        format!(
                            "GET {url} serves the site over plain http ({status}) instead of redirecting to https"
                        ),
                        None,
                    ));
                } else {
                    out.finding(
                        Finding::new(
                            browser,
                            &exchange,
                            format!(
                                "GET {url} answers {status} instead of redirecting to https: no downgrade, but users who type the bare host name get an error page"
                            ),
                            None,
                        )
                        .severity(FindingSeverity::Info),
                    );
                }
            }
            Err(error) if error.kind == RequestErrorKind::Connect => {
                out.note(browser, no_listener(&url));
            }
            Err(error) => out.error(browser, error.to_string()),
        }
    }

    // API endpoints: refuse, never redirect.
    if api_paths.is_empty() {
        out.skipped(
            api,
            "no [harden] api_paths declared (API endpoints must refuse plain http, not redirect it)",
        );
        return;
    }
    let mut failures = Vec::new();
    let mut n_concluded = 0;
    for path in api_paths {
        let url = plain.url(path);
        match session.send_to(&plain, &Probe::get(path)).await {
            Ok(exchange) => {
                n_concluded += 1;
                out.ran(api);
                let status = exchange.status;
                if (300..400).contains(&status) {
                    let to = location(&exchange, &url)
                        .map(|to| to.to_string())
                        .unwrap_or_else(|| "(no Location)".into());
                    out.finding(Finding::new(
                        api,
                        &exchange,
                        format!(
                            "GET {url} redirects ({status}) to {to}: a client that follows it already sent its request (token and body included) in clear text; an API must refuse plain http"
                        ),
                        None,
                    ));
                } else if exchange.is_success() {
                    out.finding(
                        Finding::new(
                            api,
                            &exchange,
                            format!("GET {url} serves the API over plain http ({status})"),
                            None,
                        )
                        .severity(FindingSeverity::High),
                    );
                } else {
                    out.note(api, format!("GET {url} is refused ({status})"));
                }
            }
            Err(error) if error.kind == RequestErrorKind::Connect => {
                n_concluded += 1;
                out.note(api, no_listener(&url));
            }
            Err(error) => failures.push(error.to_string()),
        }
    }
    if n_concluded == 0 {
        out.error(api, failures.first().cloned().unwrap_or_default());
    } else {
        for failure in failures {
            out.note(api, format!("not checked: {failure}"));
        }
    }
}

fn same_host(url: &reqwest::Url, target: &Target) -> bool {
    url.host_str()
        .is_some_and(|host| host.eq_ignore_ascii_case(target.host()))
}
