//! The catalogue of checks `gonogo harden` runs: one [`Rule`] per problem it can find.
//!
//! A rule's id names the problem, not the fix (`hsts-missing`, not `hsts`), is stable, and is
//! what the policy uses to disable or re-grade it (`[harden.checks.hsts-missing]`) and what the
//! evidence metric `harden.<id>.findings` is named after. Each rule cites the row of the check
//! specification it implements (`H-01` ... `H-38`, `shared/specs/probe-harden-observe.md`) and
//! the OWASP ASVS requirement it checks, in version 4.0.3 and 5.0.0 (`none` where ASVS has no
//! requirement, as for Permissions-Policy).

use serde::{Deserialize, Serialize};

/// How bad a finding is. Policies gate on the counts of `high`, `medium` and `low`; `info` is
/// shown but never counted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    Info,
    Low,
    Medium,
    High,
}

impl FindingSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingSeverity::Info => "info",
            FindingSeverity::Low => "low",
            FindingSeverity::Medium => "medium",
            FindingSeverity::High => "high",
        }
    }
}

impl std::fmt::Display for FindingSeverity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The group a rule belongs to; a group's checks share their requests and their deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Headers,
    Cookies,
    Cors,
    Methods,
    Errors,
    RateLimit,
    Auth,
    Csrf,
    Tls,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Headers => "headers",
            Group::Cookies => "cookies",
            Group::Cors => "cors",
            Group::Methods => "methods",
            Group::Errors => "errors",
            Group::RateLimit => "rate-limit",
            Group::Auth => "auth",
            Group::Csrf => "csrf",
            Group::Tls => "tls",
        }
    }

    /// Active groups send more than plain GETs; `--passive` turns them off.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Group::Cors | Group::Methods | Group::RateLimit | Group::Auth | Group::Csrf
        )
    }
}

/// One check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable, kebab-case, named after the problem; never contains a dot.
    pub id: &'static str,
    /// The row of the check specification (`H-01`).
    pub spec: &'static str,
    pub group: Group,
    /// Severity of a finding unless the check grades it (e.g. a reflected CORS origin is high
    /// with credentials, medium without) or the policy re-grades the rule.
    pub severity: FindingSeverity,
    /// OWASP ASVS 4.0.3 requirement ids, comma-separated, or `none`.
    pub asvs4: &'static str,
    /// OWASP ASVS 5.0.0 requirement ids, comma-separated, or `none`.
    pub asvs5: &'static str,
    /// What the problem is, one line.
    pub title: &'static str,
}

const fn entry(
    id: &'static str,
    spec: &'static str,
    group: Group,
    severity: FindingSeverity,
    asvs4: &'static str,
    asvs5: &'static str,
    title: &'static str,
) -> Rule {
    Rule {
        id,
        spec,
        group,
        severity,
        asvs4,
        asvs5,
        title,
    }
}

use FindingSeverity::{High, Info, Low, Medium};
use Group::{Auth, Cookies, Cors, Csrf, Errors, Headers, Methods, RateLimit, Tls};

/// Every check, in report order.
pub const RULES: &[Rule] = &[
    entry(
        "tls-missing",
        "H-35",
        Tls,
        Medium,
        "9.1.1",
        "12.2.1",
        "a target that is not loopback is served over plain http",
    ),
    entry(
        "tls-certificate-expiring",
        "H-35",
        Tls,
        Medium,
        "9.1.1",
        "12.2.2",
        "the certificate expires sooner than the policy's minimum (min_certificate_days)",
    ),
    entry(
        "http-not-redirected-to-https",
        "H-36",
        Tls,
        Medium,
        "9.1.1",
        "4.1.2",
        "an https site's `/` over plain http is served, or not redirected to https on the same host",
    ),
    entry(
        "api-redirects-http-to-https",
        "H-36",
        Tls,
        Medium,
        "9.1.1",
        "4.1.2",
        "a declared API path over plain http is redirected (or served) instead of refused",
    ),
    entry(
        "csp-missing",
        "H-01",
        Headers,
        Medium,
        "14.4.3",
        "3.4.3",
        "an HTML response has no enforced Content-Security-Policy",
    ),
    entry(
        "csp-unsafe-inline",
        "H-01",
        Headers,
        Medium,
        "14.4.3",
        "3.4.3",
        "the CSP lets inline scripts run ('unsafe-inline' without nonce or hash, or no script-src/default-src)",
    ),
    entry(
        "csp-unsafe-eval",
        "H-01",
        Headers,
        Low,
        "14.4.3",
        "3.4.3",
        "the CSP allows eval ('unsafe-eval' in script-src)",
    ),
    entry(
        "csp-wildcard-source",
        "H-01",
        Headers,
        Medium,
        "14.4.3",
        "3.4.3",
        "the CSP allows scripts from anywhere (*, http:, https:, data:)",
    ),
    entry(
        "csp-object-src-missing",
        "H-01",
        Headers,
        Low,
        "14.4.3",
        "3.4.3",
        "the CSP does not set object-src 'none' (explicitly or through default-src)",
    ),
    entry(
        "csp-base-uri-missing",
        "H-01",
        Headers,
        Low,
        "14.4.3",
        "3.4.3",
        "the CSP does not restrict base-uri",
    ),
    entry(
        "hsts-missing",
        "H-02",
        Headers,
        Medium,
        "14.4.5",
        "3.4.1",
        "an https response has no Strict-Transport-Security",
    ),
    entry(
        "hsts-short-max-age",
        "H-02",
        Headers,
        Low,
        "14.4.5",
        "3.4.1",
        "Strict-Transport-Security max-age is shorter than the policy's minimum",
    ),
    entry(
        "nosniff-missing",
        "H-03",
        Headers,
        Low,
        "14.4.4",
        "3.4.4",
        "a response lacks X-Content-Type-Options: nosniff",
    ),
    entry(
        "framing-unprotected",
        "H-04",
        Headers,
        Medium,
        "14.4.7",
        "3.4.6",
        "an HTML response can be framed (no CSP frame-ancestors, no X-Frame-Options DENY/SAMEORIGIN)",
    ),
    entry(
        "referrer-policy-missing",
        "H-05",
        Headers,
        Info,
        "14.4.6",
        "3.4.5",
        "no Referrer-Policy (browsers then default to strict-origin-when-cross-origin)",
    ),
    entry(
        "referrer-policy-unsafe",
        "H-05",
        Headers,
        Low,
        "14.4.6",
        "3.4.5",
        "Referrer-Policy leaks full URLs cross-origin (unsafe-url, no-referrer-when-downgrade, origin...)",
    ),
    entry(
        "permissions-policy-missing",
        "H-06",
        Headers,
        Info,
        "none",
        "none",
        "an HTML response has no parseable Permissions-Policy (OSHP; ZAP 10063)",
    ),
    entry(
        "content-type-charset-missing",
        "H-07",
        Headers,
        Low,
        "14.4.1",
        "4.1.1",
        "a response with a body has no Content-Type, or a text/XML one without charset",
    ),
    entry(
        "cross-origin-isolation-missing",
        "H-09",
        Headers,
        Info,
        "none",
        "3.4.8, 3.5.8",
        "no Cross-Origin-Opener-Policy on HTML or no Cross-Origin-Resource-Policy (ASVS 5 level 3)",
    ),
    entry(
        "version-disclosed",
        "H-34",
        Headers,
        Low,
        "14.3.3",
        "13.4.6",
        "a response header discloses a component version (Server with a version, X-Powered-By...)",
    ),
    entry(
        "cookie-secure-missing",
        "H-14",
        Cookies,
        Medium,
        "3.4.1",
        "3.3.1",
        "a cookie set over https (or in strict mode) lacks Secure",
    ),
    entry(
        "cookie-httponly-missing",
        "H-15",
        Cookies,
        Medium,
        "3.4.2",
        "3.3.4",
        "a session cookie lacks HttpOnly",
    ),
    entry(
        "cookie-samesite-missing",
        "H-16",
        Cookies,
        Low,
        "3.4.3",
        "3.3.2",
        "a session cookie has no valid SameSite (or SameSite=None without Secure)",
    ),
    entry(
        "cookie-prefix-invalid",
        "H-17",
        Cookies,
        Low,
        "3.4.4",
        "3.3.3",
        "a __Host- or __Secure- cookie breaks its prefix's rules (browsers drop it)",
    ),
    entry(
        "cors-origin-reflected",
        "H-10",
        Cors,
        High,
        "14.5.3",
        "3.4.2",
        "an arbitrary Origin is echoed in Access-Control-Allow-Origin (high with credentials)",
    ),
    entry(
        "cors-null-origin",
        "H-11",
        Cors,
        Medium,
        "14.5.3",
        "3.4.2",
        "Origin: null is allowed (sandboxed frames and local files can read responses)",
    ),
    entry(
        "cors-weak-origin-match",
        "H-12",
        Cors,
        Medium,
        "14.5.3",
        "3.4.2",
        "a look-alike origin (the host as a prefix or suffix of a foreign one, http for https) is allowed",
    ),
    entry(
        "cors-wildcard-credentials",
        "H-13",
        Cors,
        Low,
        "14.5.3",
        "3.4.2",
        "Access-Control-Allow-Origin: * together with Allow-Credentials: true (a misconfiguration browsers reject)",
    ),
    entry(
        "csrf-unprotected",
        "H-18",
        Csrf,
        High,
        "4.2.2, 13.2.3",
        "3.5.1, 3.5.2",
        "a forged cross-site request (session cookie, no token, foreign Origin, text/plain) changes state",
    ),
    entry(
        "trace-enabled",
        "H-31",
        Methods,
        Medium,
        "14.5.1",
        "13.4.4",
        "TRACE is answered and echoes the request (cookies and headers included)",
    ),
    entry(
        "methods-unexpected",
        "H-32",
        Methods,
        Low,
        "14.5.1",
        "4.1.4",
        "OPTIONS advertises methods the policy did not declare (PUT, DELETE, PATCH, WebDAV...)",
    ),
    entry(
        "error-stack-trace",
        "H-30",
        Errors,
        Medium,
        "7.4.1, 14.3.2",
        "16.5.1, 13.4.2",
        "an error response shows a stack trace, a debug page or an absolute server path",
    ),
    entry(
        "error-sql-message",
        "H-30",
        Errors,
        Medium,
        "7.4.1, 14.3.2",
        "16.5.1, 13.4.2",
        "an error response shows a database error message",
    ),
    entry(
        "error-version-string",
        "H-30",
        Errors,
        Low,
        "7.4.1, 14.3.3",
        "16.5.1, 13.4.6",
        "an error response body names a component and its version (nginx/1.22.1, axum/0.8.9)",
    ),
    entry(
        "source-control-exposed",
        "H-37",
        Errors,
        High,
        "4.3.2",
        "13.4.1",
        "/.git/HEAD or /.svn/entries is served (the source history can be downloaded)",
    ),
    entry(
        "monitoring-endpoint-exposed",
        "H-38",
        Errors,
        Medium,
        "none",
        "13.4.5",
        "a monitoring or debug endpoint (Prometheus, Spring Actuator, Go pprof) answers without authentication on a public listener",
    ),
    entry(
        "rate-limit-missing",
        "H-19",
        RateLimit,
        Medium,
        "11.1.4, 2.2.1",
        "2.4.1, 6.3.1",
        "a bounded burst to the declared endpoint never saw 429 (or 503)",
    ),
    entry(
        "rate-limit-headers-missing",
        "H-19",
        RateLimit,
        Low,
        "11.1.4",
        "2.4.1",
        "the 429 carries neither Retry-After nor RateLimit headers",
    ),
    entry(
        "auth-missing-token-accepted",
        "H-20",
        Auth,
        High,
        "4.1.1",
        "8.3.1",
        "a protected route answers 2xx without any token",
    ),
    entry(
        "auth-www-authenticate-missing",
        "H-20",
        Auth,
        Low,
        "4.1.1",
        "8.3.1",
        "a 401 without WWW-Authenticate (RFC 9110 15.5.2)",
    ),
    entry(
        "auth-malformed-token-not-refused",
        "H-21",
        Auth,
        Medium,
        "4.1.5",
        "16.5.3",
        "a malformed token is not refused with 401/403 (2xx: high; 5xx: the parser crashes)",
    ),
    entry(
        "auth-expired-token-accepted",
        "H-22",
        Auth,
        High,
        "3.3.1, 3.5.3",
        "9.2.1",
        "an expired JWT (exp one hour ago) is accepted",
    ),
    entry(
        "auth-bad-signature-accepted",
        "H-23",
        Auth,
        High,
        "3.5.3",
        "9.1.1",
        "a JWT with a corrupted signature is accepted",
    ),
    entry(
        "auth-alg-none-accepted",
        "H-24",
        Auth,
        High,
        "3.5.3",
        "9.1.2",
        "an unsigned JWT with alg none (any case) is accepted",
    ),
    entry(
        "auth-empty-signature-accepted",
        "H-25",
        Auth,
        High,
        "3.5.3",
        "9.1.1",
        "the original JWT header with an empty signature is accepted (CVE-2020-28042)",
    ),
    entry(
        "auth-key-confusion-accepted",
        "H-26",
        Auth,
        High,
        "3.5.3",
        "9.1.2",
        "an RS/ES/PS-signed token re-signed as HS256 with the public key as the secret is accepted",
    ),
    entry(
        "auth-embedded-jwk-accepted",
        "H-27",
        Auth,
        High,
        "3.5.3",
        "9.1.3",
        "a JWT signed with an attacker's key that carries the key as `jwk` in its header is accepted",
    ),
    entry(
        "auth-jku-accepted",
        "H-27",
        Auth,
        High,
        "3.5.3",
        "9.1.3",
        "a JWT signed with an attacker's key whose `jku` header points at the attacker's key set is accepted",
    ),
    entry(
        "auth-weak-hmac-secret",
        "H-28",
        Auth,
        High,
        "3.5.3",
        "9.1.2",
        "the HMAC secret that signed the supplied token is empty or in the common-secret list (checked offline)",
    ),
    entry(
        "auth-response-cacheable",
        "H-08",
        Auth,
        Low,
        "8.2.1",
        "14.3.2",
        "an authenticated response lacks Cache-Control: no-store",
    ),
    entry(
        "auth-lower-role-accepted",
        "H-29",
        Auth,
        High,
        "4.1.3",
        "8.2.1",
        "a valid token of a lower role reaches the protected route",
    ),
];

/// The rule with `id`; the checks name their own rules, and a unit test covers every id.
pub(crate) fn rule(id: &str) -> &'static Rule {
    find(id).unwrap_or_else(|| panic!("internal error: no check `{id}` in the catalogue"))
}

/// The rule with `id`, if any.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_carry_asvs_ids() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate {}", rule.id);
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.id
            );
            assert!(rule.spec.starts_with("H-"), "{}", rule.id);
            assert!(!rule.asvs4.is_empty() && !rule.asvs5.is_empty());
            // The evidence metric name has exactly one segment for the id.
            assert!(crate::METRICS.iter().any(|known| {
                gonogo_core::catalog::matches(
                    known.pattern,
                    &format!("harden.{}.findings", rule.id),
                )
            }));
        }
    }
}
