//! Cookie checks (H-14 to H-17) over every `Set-Cookie` of the baseline responses.
//!
//! A *session cookie* is one the policy names in `session_cookies`, else one whose name looks
//! like a session (`sess`, `sid`, `token`, `auth`, `login`, `jwt`, or a well-known framework
//! name). HttpOnly and SameSite are required of session cookies; Secure of every cookie set over
//! https (over plain http it cannot be judged, unless `strict_secure_cookies` asks for it, for
//! loopback test targets that set it anyway); prefix rules of every `__Host-`/`__Secure-`
//! cookie. One finding per cookie name and check.

use std::sync::LazyLock;

use regex::Regex;

use crate::http::{Exchange, Target};
use crate::report::{Finding, Outcomes};
use crate::rules::rule;

/// A parsed `Set-Cookie` header (RFC 6265 5.2, attribute names case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub secure: bool,
    pub http_only: bool,
    /// The SameSite value as written, if any.
    pub same_site: Option<String>,
    pub path: Option<String>,
    pub domain: Option<String>,
}

impl SetCookie {
    pub fn parse(header: &str) -> Option<SetCookie> {
        let mut parts = header.split(';');
        let (name, _value) = parts.next()?.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let mut cookie = SetCookie {
            name: name.to_owned(),
            secure: false,
            http_only: false,
            same_site: None,
            path: None,
            domain: None,
        };
        for attribute in parts {
            let (key, value) = match attribute.split_once('=') {
                Some((key, value)) => (key.trim(), Some(value.trim())),
                None => (attribute.trim(), None),
            };
            match key.to_ascii_lowercase().as_str() {
                "secure" => cookie.secure = true,
                "httponly" => cookie.http_only = true,
                "samesite" => cookie.same_site = value.map(str::to_owned),
                "path" => cookie.path = value.map(str::to_owned),
                "domain" => cookie.domain = value.map(str::to_owned),
                _ => {}
            }
        }
        Some(cookie)
    }
}

static SESSION_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(sess|sid|token|auth|login|jwt)").expect("static regex"));

const WELL_KNOWN_SESSION: &[&str] = &[
    "JSESSIONID",
    "PHPSESSID",
    "ASP.NET_SessionId",
    "connect.sid",
    "laravel_session",
];

pub fn is_session_cookie(name: &str, declared: &[String]) -> bool {
    if !declared.is_empty() {
        return declared.iter().any(|d| d.eq_ignore_ascii_case(name));
    }
    WELL_KNOWN_SESSION.contains(&name) || SESSION_NAME.is_match(name)
}

pub fn check(
    exchanges: &[Exchange],
    target: &Target,
    declared_session: &[String],
    strict_secure: bool,
    out: &mut Outcomes,
) {
    let ids = [
        "cookie-secure-missing",
        "cookie-httponly-missing",
        "cookie-samesite-missing",
        "cookie-prefix-invalid",
    ];
    let cookies: Vec<(&Exchange, SetCookie)> = exchanges
        .iter()
        .flat_map(|exchange| {
            exchange
                .header_all("set-cookie")
                .filter_map(SetCookie::parse)
                .map(move |cookie| (exchange, cookie))
        })
        .collect();
    if cookies.is_empty() {
        for id in ids {
            out.not_applicable(
                rule(id),
                format!("no Set-Cookie in the {} responses fetched", exchanges.len()),
            );
        }
        return;
    }
    for id in ids {
        out.ran(rule(id));
    }
    let judge_secure = target.is_https() || strict_secure;
    if !judge_secure {
        out.not_applicable(
            rule("cookie-secure-missing"),
            "plain http: Secure cannot be judged (set strict_secure_cookies = true if the service sets it anyway)",
        );
    }
    let mut reported: Vec<(&str, String)> = Vec::new();
    let mut report = |out: &mut Outcomes,
                      id: &'static str,
                      exchange: &Exchange,
                      cookie: &SetCookie,
                      message: String| {
        if reported.iter().any(|(i, n)| *i == id && *n == cookie.name) {
            return;
        }
        reported.push((id, cookie.name.clone()));
        out.finding(Finding::new(rule(id), exchange, message, None));
    };
    for (exchange, cookie) in &cookies {
        let name = &cookie.name;
        let session = is_session_cookie(name, declared_session);
        if judge_secure && !cookie.secure {
            report(
                out,
                "cookie-secure-missing",
                exchange,
                cookie,
                format!("cookie `{name}` has no Secure attribute"),
            );
        }
        if session && !cookie.http_only {
            report(
                out,
                "cookie-httponly-missing",
                exchange,
                cookie,
                format!("session cookie `{name}` has no HttpOnly attribute"),
            );
        }
        if session {
            match cookie
                .same_site
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("lax") | Some("strict") => {}
                Some("none") if cookie.secure => {}
                Some("none") => report(
                    out,
                    "cookie-samesite-missing",
                    exchange,
                    cookie,
                    format!(
                        "session cookie `{name}` has SameSite=None without Secure (browsers reject it)"
                    ),
                ),
                Some(other) => report(
                    out,
                    "cookie-samesite-missing",
                    exchange,
                    cookie,
                    format!("session cookie `{name}` has an invalid SameSite value `{other}`"),
                ),
                None => report(
                    out,
                    "cookie-samesite-missing",
                    exchange,
                    cookie,
                    format!("session cookie `{name}` has no SameSite attribute"),
                ),
            }
        }
        if name.starts_with("__Host-") {
            let mut broken = Vec::new();
            if !cookie.secure {
                broken.push("no Secure");
            }
            if cookie.path.as_deref() != Some("/") {
                broken.push("Path is not /");
            }
            if cookie.domain.is_some() {
                broken.push("has a Domain");
            }
            if !broken.is_empty() {
                report(
                    out,
                    "cookie-prefix-invalid",
                    exchange,
                    cookie,
                    format!(
                        "`{name}`: {} (browsers refuse to store it)",
                        broken.join(", ")
                    ),
                );
            }
        } else if name.starts_with("__Secure-") && !cookie.secure {
            report(
                out,
                "cookie-prefix-invalid",
                exchange,
                cookie,
                format!("`{name}`: no Secure (browsers refuse to store it)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_attributes_are_case_insensitive() {
        let cookie =
            SetCookie::parse("__Host-sid=abc; path=/; SECURE; httponly; SameSite=Lax").unwrap();
        assert!(cookie.secure && cookie.http_only);
        assert_eq!(cookie.same_site.as_deref(), Some("Lax"));
        assert_eq!(cookie.path.as_deref(), Some("/"));
        assert_eq!(SetCookie::parse("garbage"), None);
    }

    #[test]
    fn session_cookies_are_recognised_or_declared() {
        assert!(is_session_cookie("JSESSIONID", &[]));
        assert!(is_session_cookie("sessionid", &[]));
        assert!(is_session_cookie("access_token", &[]));
        assert!(!is_session_cookie("theme", &[]));
        assert!(is_session_cookie("theme", &["theme".into()]));
        assert!(!is_session_cookie("sessionid", &["theme".into()]));
    }
}
