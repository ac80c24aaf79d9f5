//! Response-header checks (H-01 to H-06, H-34) and the Content-Security-Policy parser they use.
//!
//! All of them are pure functions of the baseline [`Exchange`]s (`GET /`, each declared path,
//! and a random 404 path), so they are tested on hand-written responses as well as live ones.
//!
//! Which responses are judged:
//! - HTML-only checks (CSP, framing, Permissions-Policy) look at `text/html` 2xx responses; with
//!   none (a JSON API) they are `not applicable`, not failed (zaproxy#9115).
//! - HSTS looks at https 2xx responses; over plain http it is `not applicable` (RFC 6797 8.1).
//! - `nosniff` and version disclosure look at every response, error pages included, because a
//!   header missing on 404s (nginx `add_header` without `always`) is a real defect.
//! - Referrer-Policy looks at 2xx responses.
//!
//! CSP: a response's enforced policies are every `Content-Security-Policy` header (each may hold
//! several comma-separated policies) plus `<meta http-equiv>` policies in HTML (which cannot
//! carry `frame-ancestors`). A restriction holds when *any* enforced policy imposes it, since
//! browsers enforce all of them (zaproxy#5931). Parsing follows CSP Level 3, 2.2.1 "parse a
//! serialized CSP": split on `;`, the first occurrence of a directive wins, names are
//! case-insensitive.

use std::sync::LazyLock;

use regex::Regex;

use crate::http::{Exchange, Target};
use crate::report::{Finding, Outcomes};
use crate::rules::rule;

/// One parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspPolicy {
    /// Directive names (lower case) with their source expressions, in order, first wins.
    pub directives: Vec<(String, Vec<String>)>,
    /// From a `<meta http-equiv>` tag rather than a header.
    pub from_meta: bool,
}

impl CspPolicy {
    /// CSP3 2.2.1: parse one serialized policy.
    pub fn parse(text: &str, from_meta: bool) -> CspPolicy {
        let mut directives: Vec<(String, Vec<String>)> = Vec::new();
        for token in text.split(';') {
            let mut parts = token.split_ascii_whitespace();
            let Some(name) = parts.next() else { continue };
            let name = name.to_ascii_lowercase();
            if directives.iter().any(|(existing, _)| *existing == name) {
                continue;
            }
            if from_meta && matches!(name.as_str(), "frame-ancestors" | "report-uri" | "sandbox") {
                continue;
            }
            directives.push((name, parts.map(str::to_owned).collect()));
        }
        CspPolicy {
            directives,
            from_meta,
        }
    }

    pub fn directive(&self, name: &str) -> Option<&[String]> {
        self.directives
            .iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, values)| values.as_slice())
    }

    /// The sources scripts are checked against: `script-src`, else `default-src`; `None`
    /// when neither is set (scripts are not restricted).
    pub fn script_sources(&self) -> Option<&[String]> {
        self.directive("script-src")
            .or_else(|| self.directive("default-src"))
    }

    /// Whether inline scripts run under this policy.
    pub fn allows_inline_scripts(&self) -> bool {
        match self.script_sources() {
            None => true,
            Some(sources) => {
                let has = |keyword: &str| sources.iter().any(|s| s.eq_ignore_ascii_case(keyword));
                let has_nonce_or_hash = sources.iter().any(|source| {
                    let lower = source.to_ascii_lowercase();
                    lower.starts_with("'nonce-")
                        || lower.starts_with("'sha256-")
                        || lower.starts_with("'sha384-")
                        || lower.starts_with("'sha512-")
                });
                // 'unsafe-inline' is ignored when a nonce, a hash or 'strict-dynamic' is present.
                has("'unsafe-inline'") && !has_nonce_or_hash && !has("'strict-dynamic'")
            }
        }
    }

    pub fn allows_eval(&self) -> bool {
        match self.script_sources() {
            None => true,
            Some(sources) => sources
                .iter()
                .any(|s| s.eq_ignore_ascii_case("'unsafe-eval'")),
        }
    }

    /// Script sources that allow any host: `*`, scheme-only `http:`, `https:`, `data:`. With
    /// `'strict-dynamic'` host and scheme sources are ignored, so none count.
    pub fn wildcard_script_sources(&self) -> Vec<String> {
        match self.script_sources() {
            None => vec!["(no script-src or default-src)".into()],
            Some(sources) => {
                if sources
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case("'strict-dynamic'"))
                {
                    return Vec::new();
                }
                sources
                    .iter()
                    .filter(|source| {
                        let lower = source.to_ascii_lowercase();
                        matches!(
                            lower.as_str(),
                            "*" | "http:" | "https:" | "data:" | "http://*" | "https://*"
                        )
                    })
                    .cloned()
                    .collect()
            }
        }
    }

    /// `object-src 'none'`, explicit or through `default-src`.
    pub fn blocks_objects(&self) -> bool {
        self.directive("object-src")
            .or_else(|| self.directive("default-src"))
            .is_some_and(|sources| sources.len() == 1 && sources[0].eq_ignore_ascii_case("'none'"))
    }

    pub fn restricts_base_uri(&self) -> bool {
        self.directive("base-uri").is_some()
    }

    pub fn has_frame_ancestors(&self) -> bool {
        !self.from_meta && self.directive("frame-ancestors").is_some()
    }
}

static META_CSP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<meta\s[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>"#)
        .expect("static regex")
});
static META_CONTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)content\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("static regex")
});

/// Every enforced policy of a response (headers, then meta tags in HTML).
pub fn enforced_policies(exchange: &Exchange) -> Vec<CspPolicy> {
    let mut policies: Vec<CspPolicy> = exchange
        .header_all("content-security-policy")
        .flat_map(|value| value.split(','))
        .filter(|text| !text.trim().is_empty())
        .map(|text| CspPolicy::parse(text, false))
        .collect();
    if exchange.is_html() {
        let body = exchange.body_text();
        for tag in META_CSP.find_iter(&body) {
            if let Some(content) = META_CONTENT.captures(tag.as_str()) {
                let text = content
                    .get(1)
                    .or_else(|| content.get(2))
                    .map(|m| m.as_str())
                    .unwrap_or("");
                policies.push(CspPolicy::parse(text, true));
            }
        }
    }
    policies
}

/// Runs every header check over `exchanges`.
pub fn check(exchanges: &[Exchange], target: &Target, hsts_min_max_age: u64, out: &mut Outcomes) {
    let n_responses = exchanges.len();
    let html: Vec<&Exchange> = exchanges
        .iter()
        .filter(|e| e.is_success() && e.is_html())
        .collect();
    let successes: Vec<&Exchange> = exchanges.iter().filter(|e| e.is_success()).collect();

    // H-01 CSP and H-04 framing, H-06 Permissions-Policy: HTML only.
    let html_rules = [
        "csp-missing",
        "csp-unsafe-inline",
        "csp-unsafe-eval",
        "csp-wildcard-source",
        "csp-object-src-missing",
        "csp-base-uri-missing",
        "framing-unprotected",
        "permissions-policy-missing",
    ];
    if html.is_empty() {
        for id in html_rules {
            out.not_applicable(
                rule(id),
                format!("no text/html 2xx response among the {n_responses} fetched"),
            );
        }
    } else {
        for id in html_rules {
            out.ran(rule(id));
        }
    }
    for exchange in &html {
        let path = &exchange.path;
        let policies = enforced_policies(exchange);
        if policies.is_empty() {
            let report_only = exchange
                .header("content-security-policy-report-only")
                .map(|_| " (only Content-Security-Policy-Report-Only, which enforces nothing)")
                .unwrap_or("");
            out.finding(Finding::new(
                rule("csp-missing"),
                exchange,
                format!("{path}: no Content-Security-Policy{report_only}"),
                None,
            ));
        } else {
            if policies.iter().all(CspPolicy::allows_inline_scripts) {
                out.finding(Finding::new(
                    rule("csp-unsafe-inline"),
                    exchange,
                    format!("{path}: inline scripts are allowed ('unsafe-inline' without nonce or hash, or no script-src/default-src)"),
                    None,
                ));
            }
            if policies.iter().all(CspPolicy::allows_eval) {
                out.finding(Finding::new(
                    rule("csp-unsafe-eval"),
                    exchange,
                    format!("{path}: script-src allows 'unsafe-eval'"),
                    None,
                ));
            }
            let wildcards: Vec<Vec<String>> = policies
                .iter()
                .map(CspPolicy::wildcard_script_sources)
                .collect();
            if wildcards.iter().all(|w| !w.is_empty()) {
                out.finding(Finding::new(
                    rule("csp-wildcard-source"),
                    exchange,
                    format!(
                        "{path}: scripts may load from anywhere: {}",
                        wildcards[0].join(" ")
                    ),
                    None,
                ));
            }
            if !policies.iter().any(CspPolicy::blocks_objects) {
                out.finding(Finding::new(
                    rule("csp-object-src-missing"),
                    exchange,
                    format!("{path}: no object-src 'none' (explicit or via default-src 'none')"),
                    None,
                ));
            }
            if !policies.iter().any(CspPolicy::restricts_base_uri) {
                out.finding(Finding::new(
                    rule("csp-base-uri-missing"),
                    exchange,
                    format!("{path}: no base-uri directive"),
                    None,
                ));
            }
        }
        let frame_ancestors = policies.iter().any(CspPolicy::has_frame_ancestors);
        let frame_options = exchange
            .header("x-frame-options")
            .map(|v| v.trim().to_ascii_uppercase());
        let frame_options_protects =
            matches!(frame_options.as_deref(), Some("DENY") | Some("SAMEORIGIN"));
        if !frame_ancestors && !frame_options_protects {
            let detail = match frame_options {
                Some(value) => format!(
                    "X-Frame-Options `{value}` does not protect (obsolete or invalid) and there is no CSP frame-ancestors"
                ),
                None => "no CSP frame-ancestors and no X-Frame-Options".into(),
            };
            out.finding(Finding::new(
                rule("framing-unprotected"),
                exchange,
                format!("{path}: {detail}"),
                None,
            ));
        }
        match exchange.header("permissions-policy") {
            None => out.finding(Finding::new(
                rule("permissions-policy-missing"),
                exchange,
                format!("{path}: no Permissions-Policy"),
                None,
            )),
            Some(value) if !permissions_policy_parses(value) => out.finding(Finding::new(
                rule("permissions-policy-missing"),
                exchange,
                format!("{path}: Permissions-Policy does not parse as a structured-field dictionary, so browsers ignore it"),
                None,
            )),
            Some(_) => {}
        }
    }

    // H-02 HSTS.
    let hsts_rules = [rule("hsts-missing"), rule("hsts-short-max-age")];
    if !target.is_https() {
        for hsts_rule in hsts_rules {
            out.not_applicable(
                hsts_rule,
                "plain http: browsers ignore Strict-Transport-Security without TLS (RFC 6797 section 8.1)",
            );
        }
    } else if successes.is_empty() {
        for hsts_rule in hsts_rules {
            out.not_applicable(hsts_rule, "no 2xx response to judge");
        }
    } else {
        for hsts_rule in hsts_rules {
            out.ran(hsts_rule);
        }
        for exchange in &successes {
            match exchange.header("strict-transport-security").map(hsts_max_age) {
                None => out.finding(Finding::new(
                    rule("hsts-missing"),
                    exchange,
                    format!("{}: no Strict-Transport-Security", exchange.path),
                    None,
                )),
                Some(None) => out.finding(Finding::new(
                    rule("hsts-missing"),
                    exchange,
                    format!("{}: Strict-Transport-Security without a valid max-age is ignored", exchange.path),
                    None,
                )),
                Some(Some(max_age)) if max_age < hsts_min_max_age => out.finding(Finding::new(
                    rule("hsts-short-max-age"),
                    exchange,
                    format!(
                        "{}: max-age={max_age} is below {hsts_min_max_age} s (ASVS 5.0 asks for a year)",
                        exchange.path
                    ),
                    None,
                )),
                Some(Some(_)) => {}
            }
        }
    }

    // H-03 nosniff, on every response.
    if exchanges.is_empty() {
        out.error(rule("nosniff-missing"), "no response was collected");
        out.error(rule("version-disclosed"), "no response was collected");
    } else {
        out.ran(rule("nosniff-missing"));
        out.ran(rule("version-disclosed"));
    }
    let mut n_without_nosniff = 0;
    for exchange in exchanges {
        let nosniff = exchange
            .header("x-content-type-options")
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("nosniff"));
        if !nosniff {
            n_without_nosniff += 1;
            out.finding(Finding::new(
                rule("nosniff-missing"),
                exchange,
                format!(
                    "{} ({}): no X-Content-Type-Options: nosniff",
                    exchange.path, exchange.status
                ),
                None,
            ));
        }
    }
    if n_without_nosniff > 0 {
        out.note(
            rule("nosniff-missing"),
            format!(
                "{} of {n_responses} responses carry nosniff",
                n_responses - n_without_nosniff
            ),
        );
    }

    // H-05 Referrer-Policy, on 2xx responses.
    if successes.is_empty() {
        out.not_applicable(rule("referrer-policy-missing"), "no 2xx response to judge");
        out.not_applicable(rule("referrer-policy-unsafe"), "no 2xx response to judge");
    } else {
        out.ran(rule("referrer-policy-missing"));
        out.ran(rule("referrer-policy-unsafe"));
    }
    for exchange in &successes {
        let joined: Vec<&str> = exchange.header_all("referrer-policy").collect();
        let effective = effective_referrer_policy(&joined.join(","));
        match effective {
            None => out.finding(Finding::new(
                rule("referrer-policy-missing"),
                exchange,
                format!("{}: no (recognised) Referrer-Policy", exchange.path),
                None,
            )),
            Some(policy)
                if matches!(
                    policy.as_str(),
                    "unsafe-url"
                        | "no-referrer-when-downgrade"
                        | "origin"
                        | "origin-when-cross-origin"
                ) =>
            {
                out.finding(Finding::new(
                    rule("referrer-policy-unsafe"),
                    exchange,
                    format!(
                        "{}: Referrer-Policy `{policy}` sends the URL or origin cross-origin",
                        exchange.path
                    ),
                    None,
                ));
            }
            Some(_) => {}
        }
    }

    // H-07 Content-Type and charset, on every response with a body.
    out.ran(rule("content-type-charset-missing"));
    for exchange in exchanges.iter().filter(|e| !e.body.is_empty()) {
        let problem = match exchange.header("content-type") {
            None => Some("no Content-Type".to_owned()),
            Some(value) => {
                let media_type = exchange.media_type();
                let needs_charset = media_type.starts_with("text/")
                    || media_type.ends_with("+xml")
                    || media_type == "application/xml";
                let has_charset = value.to_ascii_lowercase().contains("charset=");
                (needs_charset && !has_charset)
                    .then(|| format!("`Content-Type: {value}` without charset"))
            }
        };
        if let Some(problem) = problem {
            out.finding(Finding::new(
                rule("content-type-charset-missing"),
                exchange,
                format!("{} ({}): {problem}", exchange.path, exchange.status),
                None,
            ));
        }
    }

    // H-09 cross-origin isolation: COOP on HTML, CORP on every 2xx.
    if successes.is_empty() {
        out.not_applicable(
            rule("cross-origin-isolation-missing"),
            "no 2xx response to judge",
        );
    } else {
        out.ran(rule("cross-origin-isolation-missing"));
    }
    for exchange in &successes {
        let first_token = |name: &str| {
            exchange.header(name).map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
        };
        let mut missing = Vec::new();
        if exchange.is_html()
            && !matches!(
                first_token("cross-origin-opener-policy").as_deref(),
                Some("same-origin" | "same-origin-allow-popups" | "noopener-allow-popups")
            )
        {
            missing.push("Cross-Origin-Opener-Policy same-origin");
        }
        if !matches!(
            first_token("cross-origin-resource-policy").as_deref(),
            Some("same-origin" | "same-site")
        ) {
            missing.push("Cross-Origin-Resource-Policy same-origin/same-site");
        }
        if !missing.is_empty() {
            out.finding(Finding::new(
                rule("cross-origin-isolation-missing"),
                exchange,
                format!("{}: no {}", exchange.path, missing.join(", no ")),
                None,
            ));
        }
    }

    // H-34 version disclosure in headers: one finding per distinct header value.
    let mut seen: Vec<(String, String)> = Vec::new();
    for exchange in exchanges {
        for (name, value) in &exchange.headers {
            let lower = name.to_ascii_lowercase();
            let discloses = if lower == "server" {
                value.chars().any(|c| c.is_ascii_digit())
            } else {
                DISCLOSING_HEADERS.contains(&lower.as_str())
            };
            if discloses && !seen.iter().any(|(n, v)| *n == lower && v == value) {
                seen.push((lower.clone(), value.clone()));
                out.finding(Finding::new(
                    rule("version-disclosed"),
                    exchange,
                    format!("{}: `{name}: {value}`", exchange.path),
                    None,
                ));
            }
        }
    }
}

/// Headers whose only purpose is to name the software (from OSHP's `headers_remove.json`).
const DISCLOSING_HEADERS: &[&str] = &[
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-generator",
    "x-version",
    "x-runtime-version",
    "x-powered-by-plesk",
    "x-backend-server",
    "x-server-powered-by",
    "x-php-version",
];

/// The `max-age` of an HSTS header value; `None` when it has none or it does not parse.
pub fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|directive| {
        let (name, number) = directive.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("max-age") {
            number.trim().trim_matches('"').parse().ok()
        } else {
            None
        }
    })
}

/// The policy a browser uses: the last recognised token of the comma-separated list.
pub fn effective_referrer_policy(value: &str) -> Option<String> {
    const KNOWN: &[&str] = &[
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ];
    value
        .split(',')
        .map(|token| token.trim().to_ascii_lowercase())
        .rfind(|token| KNOWN.contains(&token.as_str()))
}

static PERMISSIONS_MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^[a-z*][a-z0-9_\-.*]*(=(\([^()]*\)|[^,()\s]+))?(;[^,]*)?$"#)
        .expect("static regex")
});

/// Whether a Permissions-Policy value looks like a structured-field dictionary
/// (`camera=(), geolocation=(self "https://a.example")`).
pub fn permissions_policy_parses(value: &str) -> bool {
    !value.trim().is_empty()
        && value
            .split(',')
            .all(|member| PERMISSIONS_MEMBER.is_match(member.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(path: &str, status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            request: format!("GET {path}"),
            method: reqwest::Method::GET,
            path: path.into(),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            body_truncated: false,
            tls: None,
        }
    }

    async fn http_target() -> Target {
        Target::new("http://127.0.0.1:1", &[]).await.unwrap()
    }

    async fn https_target() -> Target {
        Target::new("https://127.0.0.1:1", &[]).await.unwrap()
    }

    /// Runs the header checks and lists (check id, finding count) for checks with findings.
    fn check_ids(exchanges: &[Exchange], target: &Target) -> Vec<(&'static str, usize)> {
        let mut out = Outcomes::default();
        check(exchanges, target, 31_536_000, &mut out);
        out.by_rule
            .iter()
            .filter_map(|(id, outcome)| match outcome {
                crate::report::Outcome::Ran { findings, .. } if !findings.is_empty() => {
                    Some((*id, findings.len()))
                }
                _ => None,
            })
            .collect()
    }

    const GOOD: &[(&str, &str)] = &[
        ("content-type", "text/html; charset=utf-8"),
        (
            "content-security-policy",
            "default-src 'none'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        (
            "permissions-policy",
            "camera=(), geolocation=(self \"https://a.example\")",
        ),
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("server", "nginx"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ];

    #[tokio::test]
    async fn a_good_html_response_passes_over_https() {
        let good = exchange("/", 200, GOOD, "<html></html>");
        assert_eq!(check_ids(&[good], &https_target().await), vec![]);
    }

    #[tokio::test]
    async fn hsts_is_judged_only_over_https() {
        let mut headers = GOOD.to_vec();
        headers.retain(|(n, _)| *n != "strict-transport-security");
        let without = exchange("/", 200, &headers, "");
        assert_eq!(
            check_ids(std::slice::from_ref(&without), &https_target().await),
            vec![("hsts-missing", 1)]
        );
        assert_eq!(check_ids(&[without], &http_target().await), vec![]);
        headers.push(("strict-transport-security", "max-age=15552000"));
        let short = exchange("/", 200, &headers, "");
        assert_eq!(
            check_ids(&[short], &https_target().await),
            vec![("hsts-short-max-age", 1)]
        );
        assert_eq!(
            hsts_max_age("max-age=\"31536000\"; preload"),
            Some(31_536_000)
        );
        assert_eq!(hsts_max_age("includeSubDomains"), None);
    }

    #[tokio::test]
    async fn zap_false_positives_are_not_repeated() {
        let target = http_target().await;
        // zaproxy#7506: frame-ancestors 'none' is not a wildcard; #8439: hash-only policies.
        let hash_only = [
            ("content-type", "text/html; charset=utf-8"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
            (
                "content-security-policy",
                "script-src 'sha256-abc=' 'unsafe-inline'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("permissions-policy", "camera=()"),
        ];
        assert_eq!(
            check_ids(&[exchange("/", 200, &hash_only, "")], &target),
            vec![]
        );
        // zaproxy#5931: two CSP headers are both enforced; the strict one wins.
        let two_headers = [
            ("content-type", "text/html; charset=utf-8"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
            (
                "content-security-policy",
                "script-src * 'unsafe-inline' 'unsafe-eval'",
            ),
            (
                "content-security-policy",
                "default-src 'none'; base-uri 'none'; frame-ancestors 'self'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("permissions-policy", "camera=()"),
        ];
        assert_eq!(
            check_ids(&[exchange("/", 200, &two_headers, "")], &target),
            vec![]
        );
        // zaproxy#9115: no CSP on JSON is not a finding.
        let json = [
            ("content-type", "application/json"),
            ("cross-origin-resource-policy", "same-site"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
        ];
        assert_eq!(
            check_ids(&[exchange("/api", 200, &json, "{}")], &target),
            vec![]
        );
        // zaproxy#7303: a meta CSP counts (but cannot carry frame-ancestors).
        let meta = [
            ("content-type", "text/html; charset=utf-8"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("permissions-policy", "camera=()"),
        ];
        let body = r#"<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; base-uri 'none'; frame-ancestors 'none'"></head></html>"#;
        assert_eq!(
            check_ids(&[exchange("/", 200, &meta, body)], &target),
            vec![]
        );
    }

    #[tokio::test]
    async fn defeated_policies_are_named() {
        let weak = [
            ("content-type", "text/html; charset=utf-8"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
            (
                "content-security-policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' *",
            ),
            ("x-frame-options", "ALLOW-FROM https://a.example"),
            ("referrer-policy", "no-referrer, unsafe-url"),
            ("permissions-policy", "camera=(), (broken"),
            ("server", "Apache/2.4.57 (Debian)"),
            ("x-powered-by", "PHP/8.2.7"),
        ];
        let ids: Vec<&str> = check_ids(&[exchange("/app", 200, &weak, "")], &http_target().await)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            ids,
            vec![
                "csp-base-uri-missing",
                "csp-object-src-missing",
                "csp-unsafe-eval",
                "csp-unsafe-inline",
                "csp-wildcard-source",
                "framing-unprotected",
                "nosniff-missing",
                "permissions-policy-missing",
                "referrer-policy-unsafe",
                "version-disclosed",
            ]
        );
    }

    #[test]
    fn csp_parsing_follows_the_spec_algorithm() {
        let policy = CspPolicy::parse(
            " Script-Src 'self' ; script-src *;; OBJECT-SRC 'none' ",
            false,
        );
        assert_eq!(
            policy.directive("script-src"),
            Some(&["'self'".to_string()][..])
        );
        assert!(policy.blocks_objects());
        assert!(!policy.allows_inline_scripts());
        let strict_dynamic = CspPolicy::parse(
            "script-src 'nonce-r4nd' 'strict-dynamic' https: 'unsafe-inline'",
            false,
        );
        assert!(!strict_dynamic.allows_inline_scripts());
        assert!(strict_dynamic.wildcard_script_sources().is_empty());
        assert!(!CspPolicy::parse("frame-ancestors 'none'", true).has_frame_ancestors());
        assert_eq!(
            effective_referrer_policy("unsafe-url, bogus"),
            Some("unsafe-url".into())
        );
        assert_eq!(effective_referrer_policy("bogus"), None);
        assert!(permissions_policy_parses("geolocation=(self), camera=()"));
        assert!(!permissions_policy_parses("geolocation 'none'"));
    }
}
