//! [`HardenConfig`]: what `gonogo harden` checks and how, as the policy's `[harden]` table.
//!
//! ```toml
//! [harden]
//! paths = ["/app", "/api/items"]         # GET these too (besides / and a random 404)
//! json_endpoints = ["/api/items"]        # POST a malformed JSON body here
//! allowed_methods = ["GET", "HEAD", "POST", "OPTIONS"]
//! session_cookies = ["sessionid"]        # else names like sess, sid, token, auth, jwt
//! strict_secure_cookies = false          # true: judge Secure even over plain http
//! hsts_min_max_age = 31536000            # ASVS 5.0 (4.0.3's example: 15724800; Observatory: 15552000)
//! min_certificate_days = 14              # the https certificate must last at least this long
//! request_timeout = "5s"
//! group_timeout = "30s"
//! passive = false                        # true: only GETs, no CORS/methods/rate/auth/CSRF
//! ca_file = "tests/ca.pem"               # extra CA for https test environments
//! public_listener = false                # true: the listener is reachable from outside (H-38)
//! monitoring_paths = ["/metrics", "/actuator", "/actuator/env", "/actuator/heapdump", "/debug/pprof/"]
//! http_port = 80                         # https targets: where plain http is tried (H-36)
//! api_paths = ["/api/items"]             # API endpoints: plain http must be refused, not redirected
//!
//! [harden.rate_limit]
//! path = "/login"
//! method = "POST"
//! body = '{"username":"gonogo","password":"wrong"}'
//! content_type = "application/json"
//! max_requests = 50                      # hard cap 500
//! max_duration = "10s"                   # hard cap 10 s
//!
//! [harden.auth]
//! protected = ["/api/admin"]
//! deny_statuses = [401, 403]
//! token_env = "GONOGO_HARDEN_TOKEN"                  # a valid token of the required role
//! lower_role_token_env = "GONOGO_HARDEN_LOWER_TOKEN" # a valid token of a lower role
//! hmac_secret_env = "GONOGO_HARDEN_HMAC_SECRET"      # test environment only: to mint an expired token
//! expired_token_env = "GONOGO_HARDEN_EXPIRED_TOKEN"  # or supply an expired token
//! public_key_file = "jwt-public.pem"     # RS/ES/PS tokens: try the public key as an HS256 secret
//!
//! [harden.csrf]
//! path = "/api/cart"                     # a POST authenticated by the session cookie, safe to repeat
//! body = '{"item": 1}'
//! cookie_env = "GONOGO_HARDEN_SESSION_COOKIE"        # the Cookie header of a logged-in session
//! token_header = "X-CSRF-Token"
//! token_env = "GONOGO_HARDEN_CSRF_TOKEN"             # its anti-CSRF token, if any
//!
//! [harden.checks.csp-missing]
//! enabled = false
//! reason = "JSON API behind a gateway that adds the CSP"
//!
//! [harden.checks.version-disclosed]
//! severity = "info"
//! reason = "the Server header is overwritten by the CDN"
//! ```
//!
//! [`HardenConfig::validate`] reports every problem at once: unknown check ids (with the
//! closest known id), overrides without a reason, caps exceeded.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::rules::{self, FindingSeverity};

/// The `[harden]` table.
/// The `[harden]` section of a policy: read by serde, its JSON Schema by schemars (issue 16:
/// the section's one definition).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "[harden]",
    description = "The hardening audit (`gonogo harden`)."
)]
pub struct HardenConfig {
    /// Paths fetched with GET besides `/` and a random 404 path.
    pub paths: Vec<String>,
    /// Paths that take JSON bodies: a malformed body is POSTed there to look at the error.
    pub json_endpoints: Vec<String>,
    /// Methods the service may advertise in `Allow`.
    pub allowed_methods: Vec<String>,
    /// Cookie names that carry the session; empty: recognise them by name.
    pub session_cookies: Vec<String>,
    /// Judge `Secure` on cookies even over plain http (for loopback test targets that set it).
    pub strict_secure_cookies: bool,
    /// Minimum HSTS max-age in seconds.
    pub hsts_min_max_age: u64,
    /// The certificate must be valid at least this many more days.
    pub min_certificate_days: u64,
    #[serde(deserialize_with = "duration_text")]
    #[schemars(with = "String")]
    pub request_timeout: Duration,
    #[serde(deserialize_with = "duration_text")]
    #[schemars(with = "String")]
    pub group_timeout: Duration,
    /// Only GETs: no CORS, methods, rate-limit, auth or CSRF requests, no malformed POSTs.
    pub passive: bool,
    /// Hosts besides loopback that may be contacted.
    pub allow_hosts: Vec<String>,
    /// PEM certificates to trust besides the system roots (a test environment's own CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// The target's listener is reachable from outside (the internet, or users' networks):
    /// monitoring endpoints on it are then exposed (H-38). `false` (the default): the check is
    /// not applicable, since Prometheus scraping an internal listener is the normal case.
    pub public_listener: bool,
    /// Monitoring and debug endpoints looked for when `public_listener` is set; a path ending
    /// in `/heapdump` is asked with HEAD only.
    pub monitoring_paths: Vec<String>,
    /// https targets: the port plain http is tried on (H-36).
    pub http_port: u16,
    /// API endpoints (not browser-facing): over plain http they must be refused, not
    /// redirected (H-36, ASVS 5.0 4.1.2).
    pub api_paths: Vec<String>,
    pub rate_limit: Option<RateLimitConfig>,
    pub auth: Option<AuthConfig>,
    pub csrf: Option<CsrfConfig>,
    /// Per-check overrides, by check id.
    pub checks: BTreeMap<String, CheckOverride>,
}

impl Default for HardenConfig {
    fn default() -> HardenConfig {
        HardenConfig {
            paths: Vec::new(),
            json_endpoints: Vec::new(),
            allowed_methods: ["GET", "HEAD", "POST", "OPTIONS"]
                .map(String::from)
                .to_vec(),
            session_cookies: Vec::new(),
            strict_secure_cookies: false,
            hsts_min_max_age: 31_536_000,
            min_certificate_days: 14,
            request_timeout: Duration::from_secs(5),
            group_timeout: Duration::from_secs(30),
            passive: false,
            allow_hosts: Vec::new(),
            ca_file: None,
            public_listener: false,
            monitoring_paths: DEFAULT_MONITORING_PATHS.map(String::from).to_vec(),
            http_port: 80,
            api_paths: Vec::new(),
            rate_limit: None,
            auth: None,
            csrf: None,
            checks: BTreeMap::new(),
        }
    }
}

/// The monitoring and debug endpoints H-38 looks for by default: Prometheus, Spring Boot
/// Actuator (its index, the environment, the heap dump) and Go's pprof index.
pub const DEFAULT_MONITORING_PATHS: [&str; 5] = [
    "/metrics",
    "/actuator",
    "/actuator/env",
    "/actuator/heapdump",
    "/debug/pprof/",
];

/// `[harden.rate_limit]`: the endpoint a bounded burst goes to.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub path: String,
    pub method: String,
    pub body: Option<String>,
    pub content_type: Option<String>,
    /// At most this many requests (hard cap [`RateLimitConfig::MAX_REQUESTS`]).
    pub max_requests: u32,
    /// For at most this long (hard cap [`RateLimitConfig::MAX_DURATION`]).
    #[serde(deserialize_with = "duration_text")]
    #[schemars(with = "String")]
    pub max_duration: Duration,
}

impl RateLimitConfig {
    pub const MAX_REQUESTS: u32 = 500;
    pub const MAX_DURATION: Duration = Duration::from_secs(10);
}

impl Default for RateLimitConfig {
    fn default() -> RateLimitConfig {
        RateLimitConfig {
            path: "/login".into(),
            method: "POST".into(),
            body: Some(r#"{"username":"gonogo-harden","password":"not-the-password"}"#.into()),
            content_type: Some("application/json".into()),
            max_requests: 50,
            max_duration: Duration::from_secs(10),
        }
    }
}

/// `[harden.auth]`: protected routes and where the test tokens come from.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub protected: Vec<String>,
    /// Statuses that count as a refusal.
    pub deny_statuses: Vec<u16>,
    pub token_env: String,
    pub lower_role_token_env: String,
    pub hmac_secret_env: String,
    pub expired_token_env: String,
    /// The service's JWT verification key (PEM), to forge an HS256 token keyed with it (H-26).
    pub public_key_file: Option<std::path::PathBuf>,
}

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            protected: Vec::new(),
            deny_statuses: vec![401, 403],
            token_env: "GONOGO_HARDEN_TOKEN".into(),
            lower_role_token_env: "GONOGO_HARDEN_LOWER_TOKEN".into(),
            hmac_secret_env: "GONOGO_HARDEN_HMAC_SECRET".into(),
            expired_token_env: "GONOGO_HARDEN_EXPIRED_TOKEN".into(),
            public_key_file: None,
        }
    }
}

/// `[harden.csrf]`: a state-changing request authenticated by a session cookie, safe to
/// repeat (it is sent twice: once as the page would, once forged).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CsrfConfig {
    pub path: String,
    pub method: String,
    pub body: Option<String>,
    pub content_type: Option<String>,
    /// The `Cookie` header value of a logged-in session.
    pub cookie_env: String,
    /// The header the page sends its anti-CSRF token in, if the service uses one.
    pub token_header: String,
    pub token_env: String,
}

impl Default for CsrfConfig {
    fn default() -> CsrfConfig {
        CsrfConfig {
            path: String::new(),
            method: "POST".into(),
            body: None,
            content_type: Some("application/json".into()),
            cookie_env: "GONOGO_HARDEN_SESSION_COOKIE".into(),
            token_header: "X-CSRF-Token".into(),
            token_env: "GONOGO_HARDEN_CSRF_TOKEN".into(),
        }
    }
}

/// The secrets the auth checks use, read from the environment variables [`AuthConfig`] names
/// (or passed directly by tests and embedders).
#[derive(Clone, Default)]
pub struct AuthSecrets {
    pub valid_token: Option<String>,
    pub lower_role_token: Option<String>,
    pub hmac_secret: Option<String>,
    pub expired_token: Option<String>,
    /// For the CSRF check: the `Cookie` header of a logged-in session, and its CSRF token.
    pub session_cookie: Option<String>,
    pub csrf_token: Option<String>,
}

impl std::fmt::Debug for AuthSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |value: &Option<String>| if value.is_some() { "set" } else { "unset" };
        f.debug_struct("AuthSecrets")
            .field("valid_token", &shown(&self.valid_token))
            .field("lower_role_token", &shown(&self.lower_role_token))
            .field("hmac_secret", &shown(&self.hmac_secret))
            .field("expired_token", &shown(&self.expired_token))
            .field("session_cookie", &shown(&self.session_cookie))
            .field("csrf_token", &shown(&self.csrf_token))
            .finish()
    }
}

impl AuthSecrets {
    /// Reads the variables `[harden.auth]` and `[harden.csrf]` name; empty values count as
    /// unset.
    pub fn from_env(config: &HardenConfig) -> AuthSecrets {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let mut secrets = AuthSecrets::default();
        if let Some(auth) = &config.auth {
            secrets.valid_token = read(&auth.token_env);
            secrets.lower_role_token = read(&auth.lower_role_token_env);
            secrets.hmac_secret = read(&auth.hmac_secret_env);
            secrets.expired_token = read(&auth.expired_token_env);
        }
        if let Some(csrf) = &config.csrf {
            secrets.session_cookie = read(&csrf.cookie_env);
            secrets.csrf_token = read(&csrf.token_env);
        }
        secrets
    }
}

/// `[harden.checks.<id>]`: disable or re-grade one check, always with a reason.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CheckOverride {
    pub enabled: Option<bool>,
    pub severity: Option<FindingSeverity>,
    pub reason: Option<String>,
}

/// One problem in a [`HardenConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    #[error("[harden.checks.{id}]: unknown check id{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownCheck {
        id: String,
        suggestion: Option<String>,
    },
    #[error("[harden.checks.{id}]: an override needs a `reason` (it is shown in the report)")]
    MissingReason { id: String },
    #[error(
        "[harden.checks.{id}]: set `enabled = false` or a `severity`; an empty override does nothing"
    )]
    EmptyOverride { id: String },
    #[error("[harden.rate_limit] max_requests = {0}: the cap is {max}", max = RateLimitConfig::MAX_REQUESTS)]
    TooManyRequests(u32),
    #[error("[harden.rate_limit] max_duration = {0:?}: the cap is 10s")]
    TooLong(Duration),
    #[error("`{path}`: a path must start with `/`")]
    BadPath { path: String },
    #[error("[harden.auth] deny_statuses: {0} is not an HTTP status (100-599)")]
    BadStatus(u16),
    #[error("[harden] http_port = 0: not a port")]
    BadHttpPort,
}

impl HardenConfig {
    /// Every problem, not only the first.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        for (id, check) in &self.checks {
            if rules::find(id).is_none() {
                let suggestion = rules::RULES
                    .iter()
                    .map(|rule| (strsim_distance(id, rule.id), rule.id))
                    .min()
                    .filter(|(distance, _)| *distance <= 6)
                    .map(|(_, id)| id.to_owned());
                problems.push(ConfigProblem::UnknownCheck {
                    id: id.clone(),
                    suggestion,
                });
                continue;
            }
            if check.enabled.is_none() && check.severity.is_none() {
                problems.push(ConfigProblem::EmptyOverride { id: id.clone() });
            }
            if check.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                problems.push(ConfigProblem::MissingReason { id: id.clone() });
            }
        }
        let mut all_paths: Vec<&String> = self
            .paths
            .iter()
            .chain(&self.json_endpoints)
            .chain(&self.monitoring_paths)
            .chain(&self.api_paths)
            .collect();
        if let Some(rate_limit) = &self.rate_limit {
            if rate_limit.max_requests > RateLimitConfig::MAX_REQUESTS {
                problems.push(ConfigProblem::TooManyRequests(rate_limit.max_requests));
            }
            if rate_limit.max_duration > RateLimitConfig::MAX_DURATION {
                problems.push(ConfigProblem::TooLong(rate_limit.max_duration));
            }
            all_paths.push(&rate_limit.path);
        }
        if let Some(csrf) = &self.csrf {
            all_paths.push(&csrf.path);
        }
        if let Some(auth) = &self.auth {
            all_paths.extend(&auth.protected);
            for status in &auth.deny_statuses {
                if !(100..=599).contains(status) {
                    problems.push(ConfigProblem::BadStatus(*status));
                }
            }
        }
        if self.http_port == 0 {
            problems.push(ConfigProblem::BadHttpPort);
        }
        for path in all_paths {
            if !path.starts_with('/') {
                problems.push(ConfigProblem::BadPath { path: path.clone() });
            }
        }
        problems
    }
}

/// Levenshtein distance, for "did you mean".
fn strsim_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b_chars.len()]
}

/// Parses `500ms`, `5s`, `2m`, `1m30s`: gonogo's one duration syntax
/// ([`gonogo_core::duration`]).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    gonogo_core::duration::parse(text).map_err(|error| error.to_string())
}

fn duration_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HardenConfig, String> {
        #[derive(Deserialize)]
        struct Policy {
            harden: HardenConfig,
        }
        toml::from_str::<Policy>(text)
            .map(|policy| policy.harden)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn the_documented_example_parses_and_validates() {
        let doc = include_str!("config.rs");
        let example: String = doc
            .lines()
            .skip_while(|line| !line.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|line| !line.starts_with("//! ```"))
            .map(|line| format!("{}\n", line.trim_start_matches("//!").trim_start()))
            .collect();
        let config = parse(&example).unwrap();
        assert_eq!(config.validate(), vec![]);
        assert_eq!(
            config.rate_limit.unwrap().max_duration,
            Duration::from_secs(10)
        );
        assert_eq!(
            config.checks["version-disclosed"].severity,
            Some(FindingSeverity::Info)
        );
    }

    #[test]
    fn every_problem_is_reported_with_a_suggestion() {
        let config = parse(
            "[harden]\npaths = [\"app\"]\n[harden.rate_limit]\nmax_requests = 9000\n\
             [harden.checks.hsts-mising]\nenabled = false\nreason = \"x\"\n\
             [harden.checks.csp-missing]\nenabled = false\n",
        )
        .unwrap();
        let problems = config.validate();
        assert_eq!(
            problems,
            vec![
                ConfigProblem::MissingReason {
                    id: "csp-missing".into()
                },
                ConfigProblem::UnknownCheck {
                    id: "hsts-mising".into(),
                    suggestion: Some("hsts-missing".into())
                },
                ConfigProblem::TooManyRequests(9000),
                ConfigProblem::BadPath { path: "app".into() },
            ]
        );
    }

    #[test]
    fn unknown_fields_and_bad_durations_are_errors() {
        assert!(
            parse("[harden]\npathz = []\n")
                .unwrap_err()
                .contains("pathz")
        );
        assert!(
            parse("[harden]\nrequest_timeout = \"5 parsecs\"\n")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5").is_err());
    }

    #[test]
    fn monitoring_and_plain_http_settings_are_validated() {
        let config = parse(
            "[harden]\npublic_listener = true\nmonitoring_paths = [\"metrics\"]\nhttp_port = 0\napi_paths = [\"/api\"]\n",
        )
        .unwrap();
        assert!(config.public_listener);
        assert_eq!(
            config.validate(),
            vec![
                ConfigProblem::BadHttpPort,
                ConfigProblem::BadPath {
                    path: "metrics".into()
                },
            ]
        );
        let defaults = HardenConfig::default();
        assert!(!defaults.public_listener);
        assert_eq!(defaults.http_port, 80);
        assert_eq!(defaults.monitoring_paths, DEFAULT_MONITORING_PATHS);
    }
}
