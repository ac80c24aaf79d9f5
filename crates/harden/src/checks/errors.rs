//! Error-body leakage (H-30): provoke error responses and look for what they should not show;
//! and source-control metadata served by mistake (H-37).
//!
//! Requests: `GET /gonogo-<random>` (404), `GET /%` (a bad escape), a made-up method
//! `GONOGO /` (405/501; never a method that could change data), `GET /` with an 8 kB header,
//! and `POST {"a":` with `Content-Type: application/json` to each declared JSON endpoint (the
//! last two not in passive mode).
//!
//! Bodies of responses with status >= 400 are matched against stack-trace *structure* (never
//! the reason phrase: a clean problem+json titled "Internal Server Error" is not a leak, see
//! the synthorg PR #1661 complaint about ZAP 90022), database error messages (ZAP's
//! `application_errors.xml` without its generic entries), absolute server paths, and
//! `component/version` strings. Pattern matches are `heuristic` findings.

use std::sync::LazyLock;

use regex::Regex;
use reqwest::Method;

use crate::http::{Exchange, Probe, Session, random_hex};
use crate::report::{Finding, Outcomes};
use crate::rules::rule;

/// (what, pattern) pairs: stack traces, debug pages and absolute paths.
const STACK_TRACE_PATTERNS: &[(&str, &str)] = &[
    ("a Java stack trace", r"at [\w.$]+\([\w$]+\.java:\d+\)"),
    (
        "a Python traceback",
        r"Traceback \(most recent call last\):",
    ),
    ("a Node.js stack trace", r"at .+ \(/.+\.js:\d+:\d+\)"),
    ("a Go panic", r"goroutine \d+ \[|panic: .+\n"),
    ("a Rust panic", r"panicked at "),
    ("a Rust backtrace", r"stack backtrace:"),
    (
        ".NET exception details",
        r"--- End of stack trace|System\.\w+Exception",
    ),
    (
        "a PHP error",
        r"(Fatal error|Parse error|Warning): .+ on line \d+",
    ),
    ("a Ruby backtrace", r"\.rb:\d+:in `"),
    ("the Django debug page", r"DEBUG = True"),
    ("the Werkzeug debugger", r"Werkzeug Debugger"),
    (
        "Spring's Whitelabel error page with a trace",
        r"(?s)Whitelabel Error Page.*trace",
    ),
    ("ASP.NET error details", r"customErrors"),
    (
        "an absolute server path",
        r#"(?:^|[\s"'(=])(/home/[\w.-]+/|/var/www/|/srv/www/|/usr/src/app/|/root/\.cargo/|[A-Z]:\\(?:Users|inetpub|Windows)\\)"#,
    ),
];

const SQL_PATTERNS: &[(&str, &str)] = &[
    ("a SQLSTATE code", r"SQLSTATE"),
    ("a PostgreSQL syntax error", r"syntax error at or near"),
    (
        "a MySQL syntax error",
        r"You have an error in your SQL syntax",
    ),
    ("an Oracle error code", r"\bORA-\d{5}"),
    (
        "a SQL Server error",
        r"Unclosed quotation mark after the character string|Microsoft OLE DB Provider for|SQL Server Native Client",
    ),
    (
        "a SQLite error",
        r"SQLite3::|sqlite3\.OperationalError|SQLITE_ERROR",
    ),
    (
        "a JDBC exception",
        r"java\.sql\.SQLException|org\.postgresql\.util\.PSQLException|com\.mysql\.jdbc",
    ),
    (
        "a PHP database error",
        r"PDOException|mysql_fetch_array\(\)|Warning: pg_",
    ),
    (
        "a Ruby database error",
        r"PG::\w+Error|ActiveRecord::StatementInvalid",
    ),
    ("an ODBC error", r"\[ODBC [^\]]*Driver\]"),
    ("a Go database error", r"pq: |Error 1064"),
];

static STACK_TRACES: LazyLock<Vec<(&'static str, Regex)>> =
    LazyLock::new(|| compile(STACK_TRACE_PATTERNS));
static SQL_ERRORS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| compile(SQL_PATTERNS));
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(nginx|apache|apache-coyote|apache tomcat|microsoft-iis|jetty|php|express|axum|hyper|actix-web|werkzeug|gunicorn|uvicorn|kestrel|openresty|lighttpd|caddy|node\.js|rails|django|wildfly|jboss|undertow|envoy|traefik|openssl|mod_ssl)/v?\d+\.\d+(\.\d+)*")
        .expect("static regex")
});
fn compile(patterns: &[(&'static str, &'static str)]) -> Vec<(&'static str, Regex)> {
    patterns
        .iter()
        .map(|(what, pattern)| (*what, Regex::new(pattern).expect("static regex")))
        .collect()
}

/// What leaks from one body: (check id, description, byte offset).
pub fn scan(body: &str) -> Vec<(&'static str, String, usize)> {
    let mut leaks = Vec::new();
    if let Some((what, found)) = STACK_TRACES
        .iter()
        .find_map(|(what, regex)| regex.find(body).map(|found| (what, found)))
    {
        leaks.push(("error-stack-trace", (*what).to_owned(), found.start()));
    }
    if let Some((what, found)) = SQL_ERRORS
        .iter()
        .find_map(|(what, regex)| regex.find(body).map(|found| (what, found)))
    {
        leaks.push(("error-sql-message", (*what).to_owned(), found.start()));
    }
    if let Some(found) = VERSION.find(body) {
        leaks.push((
            "error-version-string",
            format!("`{}`", found.as_str()),
            found.start(),
        ));
    }
    leaks
}

/// With `passive`, only the GETs are sent (no unknown method, no malformed POST).
pub async fn check(
    session: &mut Session,
    json_endpoints: &[String],
    passive: bool,
    out: &mut Outcomes,
) {
    let ids = [
        "error-stack-trace",
        "error-sql-message",
        "error-version-string",
    ];
    let gonogo_method = Method::from_bytes(b"GONOGO").expect("a valid token");
    let mut probes = vec![
        (
            Probe::get(&format!("/gonogo-{}", random_hex())),
            "a random path",
        ),
        (Probe::get("/%"), "a bad percent escape"),
        (Probe::new(gonogo_method, "/"), "an unknown method"),
        (
            Probe::get("/").header("X-Gonogo-Padding", "a".repeat(8 * 1024)),
            "an 8 kB header",
        ),
    ];
    if passive {
        probes.retain(|(probe, _)| probe.method == Method::GET);
    }
    for endpoint in json_endpoints.iter().filter(|_| !passive) {
        probes.push((
            Probe::new(Method::POST, endpoint)
                .header("Content-Type", "application/json")
                .body(&b"{\"a\":"[..]),
            "a malformed JSON body",
        ));
    }
    let mut n_errors_seen = 0;
    let mut n_answered = 0;
    let mut failures = Vec::new();
    for (probe, what) in &probes {
        let exchange: Exchange = match session.send(probe).await {
            Ok(exchange) => exchange,
            Err(error) => {
                failures.push(error.to_string());
                continue;
            }
        };
        n_answered += 1;
        if exchange.status < 400 {
            continue;
        }
        n_errors_seen += 1;
        let body = exchange.body_text();
        for (id, description, at) in scan(&body) {
            out.finding(
                Finding::new(
                    rule(id),
                    &exchange,
                    format!(
                        "{} {} ({what}) answered {} showing {description}",
                        probe.method, probe.path, exchange.status
                    ),
                    Some(at),
                )
                .heuristic(),
            );
        }
    }
    source_control(session, out).await;
    for id in ids {
        if n_answered == 0 {
            out.error(rule(id), failures.first().cloned().unwrap_or_default());
        } else if n_errors_seen == 0 {
            out.not_applicable(
                rule(id),
                format!("none of the {n_answered} error-provoking requests got a 4xx/5xx answer"),
            );
        } else {
            out.ran(rule(id));
            for failure in &failures {
                out.note(rule(id), format!("not checked: {failure}"));
            }
        }
    }
}

/// H-37: is version-control metadata served? Content is verified (a soft 404 that answers
/// 200 with the home page is not a finding, zaproxy#3048).
async fn source_control(session: &mut Session, out: &mut Outcomes) {
    let exposed = rule("source-control-exposed");
    let mut n_answered = 0;
    let mut failures = Vec::new();
    for path in ["/.git/HEAD", "/.svn/entries"] {
        match session.send(&Probe::get(path)).await {
            Ok(exchange) => {
                n_answered += 1;
                if exchange.is_success() && is_source_control_metadata(path, &exchange.body_text())
                {
                    out.finding(Finding::new(
                        exposed,
                        &exchange,
                        format!("{path} is served with repository metadata"),
                        None,
                    ));
                }
            }
            Err(error) => failures.push(error.to_string()),
        }
    }
    if n_answered == 0 {
        out.error(exposed, failures.first().cloned().unwrap_or_default());
    } else {
        out.ran(exposed);
    }
}

/// `.git/HEAD` holds `ref: refs/...` or a commit id; `.svn/entries` starts with its format
/// number (or is the old XML form).
pub fn is_source_control_metadata(path: &str, body: &str) -> bool {
    let first_line = body.lines().next().unwrap_or("").trim();
    if path.ends_with("/.git/HEAD") {
        first_line.starts_with("ref: refs/")
            || (first_line.len() == 40 && first_line.chars().all(|c| c.is_ascii_hexdigit()))
    } else {
        (!first_line.is_empty() && first_line.chars().all(|c| c.is_ascii_digit()))
            || body.contains("<wc-entries")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(body: &str) -> Vec<&'static str> {
        scan(body).into_iter().map(|(id, _, _)| id).collect()
    }

    #[test]
    fn source_control_metadata_is_recognised_by_content() {
        assert!(is_source_control_metadata(
            "/.git/HEAD",
            "ref: refs/heads/main\n"
        ));
        assert!(is_source_control_metadata(
            "/.git/HEAD",
            "0123456789abcdef0123456789abcdef01234567\n"
        ));
        assert!(!is_source_control_metadata(
            "/.git/HEAD",
            "<!DOCTYPE html><html>home</html>"
        ));
        assert!(is_source_control_metadata("/.svn/entries", "12\n"));
        assert!(!is_source_control_metadata("/.svn/entries", "<html>"));
    }

    #[test]
    fn structures_leak_and_reason_phrases_do_not() {
        assert_eq!(
            STACK_TRACES.len() + SQL_ERRORS.len(),
            STACK_TRACE_PATTERNS.len() + SQL_PATTERNS.len()
        );
        assert_eq!(
            ids("Traceback (most recent call last):\n  File \"app.py\""),
            vec!["error-stack-trace"]
        );
        assert_eq!(
            ids("\tat com.shop.Cart.add(Cart.java:42)"),
            vec!["error-stack-trace"]
        );
        assert_eq!(
            ids("ERROR: syntax error at or near \"{\" SQLSTATE 42601"),
            vec!["error-sql-message"]
        );
        assert_eq!(
            ids("<hr><center>nginx/1.22.1</center>"),
            vec!["error-version-string"]
        );
        // RFC 9457 problem details with the reason phrase: not a leak.
        assert_eq!(
            ids(r#"{"type":"about:blank","title":"Internal Server Error","status":500}"#),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids("<center>nginx</center> internal error"),
            Vec::<&str>::new()
        );
        assert_eq!(ids("<a href=\"/home/\">home</a>"), Vec::<&str>::new());
    }
}
