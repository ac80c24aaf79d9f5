//! Probe conditions in the Gatus syntax users already know, parsed into a typed form with a
//! caret under the error, then evaluated against one attempt's [`Observation`]. The grammar
//! below is also the reference page's (`GRAMMAR`, `gonogo schema reference`).
//!
#![doc = include_str!("conditions.md")]
//!
//! ```
//! use gonogo_probe::probe::condition::Condition;
//! let condition: Condition = "[BODY].status == UP".parse().unwrap();
//! assert_eq!(condition.to_string(), "[BODY].status == UP");
//! let error = "[STATUS] =! 200".parse::<Condition>().unwrap_err();
//! assert!(error.to_string().contains('^'));
//! ```

use std::fmt;
use std::str::FromStr;

/// The condition grammar and its semantics, for users (Markdown): this module's documentation
/// and the reference page's section.
pub const GRAMMAR: &str = include_str!("conditions.md");
use std::time::Duration;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub text: String,
    pub function: Option<Function>,
    pub placeholder: Placeholder,
    pub op: Op,
    pub expected: Expected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Len,
    Has,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Placeholder {
    Status,
    ResponseTime,
    Body(Vec<PathStep>),
    Header(String),
    CertificateExpiration,
    Connected,
    Ip,
    DnsAnswers,
    DnsRcode,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Value(String),
    Any(Vec<String>),
    Pattern(String),
}

/// A condition that does not parse, with a caret under the problem.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("invalid condition: {message}\n  {text}\n  {caret}")]
pub struct ConditionError {
    pub text: String,
    pub column: usize,
    pub message: String,
    caret: String,
}

fn error(text: &str, column: usize, message: impl Into<String>) -> ConditionError {
    let mut column = column.min(text.len());
    while !text.is_char_boundary(column) {
        column -= 1;
    }
    ConditionError {
        text: text.to_string(),
        column,
        message: message.into(),
        caret: format!(
            "{}^",
            " ".repeat(text[..column.min(text.len())].chars().count())
        ),
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Condition {
    type Err = ConditionError;

    fn from_str(text: &str) -> Result<Condition, ConditionError> {
        let trimmed = text.trim();
        let offset = text.len() - text.trim_start().len();
        // Split at the operator that follows the operand.
        let operand_end = find_operand_end(trimmed)
            .ok_or_else(|| error(text, offset, "expected a placeholder such as [STATUS]"))?;
        let operand = &trimmed[..operand_end];
        let rest = trimmed[operand_end..].trim_start();
        let op_column = offset + trimmed.len() - rest.len();
        let (op, after_op) = ["==", "!=", "<=", ">=", "<", ">"]
            .iter()
            .find_map(|candidate| {
                rest.strip_prefix(candidate)
                    .map(|after| (*candidate, after))
            })
            .ok_or_else(|| error(text, op_column, "expected an operator: == != < <= > >="))?;
        let op = match op {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<=" => Op::Le,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            _ => Op::Gt,
        };
        let expected_text = after_op.trim();
        let expected_column = offset + trimmed.len() - after_op.trim_start().len();
        if expected_text.is_empty() {
            return Err(error(
                text,
                expected_column,
                "expected a value after the operator",
            ));
        }
        let (function, placeholder_text, placeholder_column) = if let Some(inner) = operand
            .strip_prefix("len(")
            .and_then(|s| s.strip_suffix(')'))
        {
            (Some(Function::Len), inner, offset + 4)
        } else if let Some(inner) = operand
            .strip_prefix("has(")
            .and_then(|s| s.strip_suffix(')'))
        {
            (Some(Function::Has), inner, offset + 4)
        } else {
            (None, operand, offset)
        };
        let placeholder = parse_placeholder(placeholder_text)
            .map_err(|(at, message)| error(text, placeholder_column + at, message))?;
        let expected = if let Some(inner) = expected_text
            .strip_prefix("pat(")
            .and_then(|s| s.strip_suffix(')'))
        {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(error(text, op_column, "pat(...) works with == and != only"));
            }
            Expected::Pattern(inner.to_string())
        } else if let Some(inner) = expected_text
            .strip_prefix("any(")
            .and_then(|s| s.strip_suffix(')'))
        {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(error(text, op_column, "any(...) works with == and != only"));
            }
            Expected::Any(inner.split(',').map(|v| unquote(v.trim())).collect())
        } else {
            Expected::Value(unquote(expected_text))
        };
        let is_duration = function.is_none()
            && matches!(
                placeholder,
                Placeholder::ResponseTime | Placeholder::CertificateExpiration
            );
        if let Expected::Value(value) = &expected {
            if is_duration && parse_duration(value).is_none() {
                return Err(error(
                    text,
                    expected_column,
                    format!("{value:?} is not a duration (e.g. 300ms, 2s, 720h, 30d)"),
                ));
            }
            let numeric = function == Some(Function::Len)
                || matches!(placeholder, Placeholder::Status | Placeholder::DnsAnswers);
            if numeric && !matches!(op, Op::Eq | Op::Ne) && value.parse::<f64>().is_err() {
                return Err(error(
                    text,
                    expected_column,
                    format!("{value:?} is not a number"),
                ));
            }
        }
        Ok(Condition {
            text: trimmed.to_string(),
            function,
            placeholder,
            op,
            expected,
        })
    }
}

fn find_operand_end(text: &str) -> Option<usize> {
    // The operand runs until whitespace or an operator character outside brackets/parens.
    let mut depth = 0i32;
    for (index, c) in text.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ' ' | '\t' | '=' | '!' | '<' | '>' if depth <= 0 => {
                return (index > 0).then_some(index);
            }
            _ => {}
        }
    }
    None
}

fn unquote(text: &str) -> String {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        text[1..text.len() - 1].to_string()
    } else {
        text.to_string()
    }
}

fn parse_placeholder(text: &str) -> Result<Placeholder, (usize, String)> {
    let simple = [
        ("[STATUS]", Placeholder::Status),
        ("[RESPONSE_TIME]", Placeholder::ResponseTime),
        (
            "[CERTIFICATE_EXPIRATION]",
            Placeholder::CertificateExpiration,
        ),
        ("[CONNECTED]", Placeholder::Connected),
        ("[IP]", Placeholder::Ip),
        ("[DNS_ANSWERS]", Placeholder::DnsAnswers),
        ("[DNS_RCODE]", Placeholder::DnsRcode),
    ];
    for (name, placeholder) in simple {
        if text.eq_ignore_ascii_case(name) {
            return Ok(placeholder);
        }
    }
    if let Some(name) = strip_prefix_ignore_case(text, "[HEADER].") {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err((9, "expected a header name after [HEADER].".into()));
        }
        return Ok(Placeholder::Header(name.to_ascii_lowercase()));
    }
    if let Some(path) = strip_prefix_ignore_case(text, "[BODY]") {
        return parse_path(path)
            .map(Placeholder::Body)
            .map_err(|(at, m)| (at + 6, m));
    }
    Err((
        0,
        format!(
            "unknown placeholder {text:?} (STATUS, RESPONSE_TIME, BODY, HEADER.<name>, CERTIFICATE_EXPIRATION, CONNECTED, IP, DNS_ANSWERS)"
        ),
    ))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    (text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &text[prefix.len()..])
}

fn parse_path(text: &str) -> Result<Vec<PathStep>, (usize, String)> {
    let mut steps = Vec::new();
    let bytes = text.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        match bytes[position] {
            b'.' => {
                let start = position + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'.' && bytes[end] != b'[' {
                    end += 1;
                }
                if end == start {
                    return Err((position, "empty key in the JSON path".into()));
                }
                steps.push(PathStep::Key(text[start..end].to_string()));
                position = end;
            }
            b'[' => {
                let close = text[position..]
                    .find(']')
                    .ok_or((position, "unclosed [ in the JSON path".to_string()))?
                    + position;
                let index = text[position + 1..close]
                    .parse()
                    .map_err(|_| (position + 1, "expected an array index".to_string()))?;
                steps.push(PathStep::Index(index));
                position = close + 1;
            }
            _ => {
                return Err((
                    position,
                    "expected `.key` or `[index]` in the JSON path".into(),
                ));
            }
        }
    }
    Ok(steps)
}

/// `300ms`, `2s`, `1.5m`, `720h`, `30d`, `250us`, `10ns`; a bare number is milliseconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "ms" => number / 1e3,
        "ns" => number / 1e9,
        "us" | "µs" => number / 1e6,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "d" => number * 86400.0,
        _ => return None,
    };
    // Negative durations are allowed for certificate expiry comparisons; clamp for Duration.
    // Checked: a huge number is no duration (not a panic in `from_secs_f64`).
    gonogo_core::limits::seconds(seconds.max(0.0), text).ok()
}

fn parse_signed_seconds(text: &str) -> Option<f64> {
    let negative = text.trim().starts_with('-');
    let duration = parse_duration(text.trim().trim_start_matches('-'))?;
    Some(if negative {
        -duration.as_secs_f64()
    } else {
        duration.as_secs_f64()
    })
}

/// What one attempt showed, for conditions to read.
#[derive(Debug, Default)]
pub struct Observation<'a> {
    pub status: Option<u16>,
    pub response_time: Option<Duration>,
    pub body: Option<&'a [u8]>,
    pub headers: Option<&'a http::HeaderMap>,
    /// Seconds until the leaf certificate expires (negative when expired).
    pub certificate_expires_in: Option<f64>,
    pub connected: bool,
    pub ip: Option<String>,
    pub dns_answers: Option<usize>,
    /// The response code's mnemonic (`NOERROR`, `NXDOMAIN`, ...), with a chosen resolver.
    pub dns_rcode: Option<String>,
}

/// The outcome of one condition on one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    Fail { observed: String },
    Error { message: String },
}

enum Resolved {
    Number(f64),
    Seconds(f64),
    Bool(bool),
    Texts(Vec<String>),
    Json(serde_json::Value),
    Missing(String),
}

impl Condition {
    /// Evaluates the condition.
    pub fn evaluate(&self, observation: &Observation<'_>) -> Outcome {
        let resolved = match self.resolve(observation) {
            Ok(resolved) => resolved,
            Err(message) => return Outcome::Error { message },
        };
        let resolved = match (self.function, resolved) {
            (Some(Function::Has), Resolved::Missing(_)) => Resolved::Bool(false),
            (Some(Function::Has), _) => Resolved::Bool(true),
            (Some(Function::Len), Resolved::Json(value)) => match value {
                serde_json::Value::Array(items) => Resolved::Number(items.len() as f64),
                serde_json::Value::Object(map) => Resolved::Number(map.len() as f64),
                serde_json::Value::String(s) => Resolved::Number(s.chars().count() as f64),
                other => {
                    return Outcome::Error {
                        message: format!(
                            "len() of {other} which is not an array, object or string"
                        ),
                    };
                }
            },
            (Some(Function::Len), Resolved::Texts(texts)) => {
                Resolved::Number(texts.first().map(|t| t.chars().count()).unwrap_or(0) as f64)
            }
            (_, resolved) => resolved,
        };
        self.compare(resolved)
    }

    fn resolve(&self, observation: &Observation<'_>) -> Result<Resolved, String> {
        Ok(match &self.placeholder {
            Placeholder::Status => match observation.status {
                Some(status) => Resolved::Number(f64::from(status)),
                None => Resolved::Missing("no HTTP status".into()),
            },
            Placeholder::ResponseTime => match observation.response_time {
                Some(t) => Resolved::Seconds(t.as_secs_f64()),
                None => Resolved::Missing("no response".into()),
            },
            Placeholder::CertificateExpiration => match observation.certificate_expires_in {
                Some(s) => Resolved::Seconds(s),
                None => Resolved::Missing("no certificate".into()),
            },
            Placeholder::Connected => Resolved::Bool(observation.connected),
            Placeholder::Ip => match &observation.ip {
                Some(ip) => Resolved::Texts(vec![ip.clone()]),
                None => Resolved::Missing("no address".into()),
            },
            Placeholder::DnsAnswers => match observation.dns_answers {
                Some(n) => Resolved::Number(n as f64),
                None => Resolved::Missing("no DNS answer".into()),
            },
            Placeholder::DnsRcode => match &observation.dns_rcode {
                Some(rcode) => Resolved::Texts(vec![rcode.clone()]),
                None => Resolved::Missing("no DNS response code (query a --resolver)".into()),
            },
            Placeholder::Header(name) => {
                let values: Vec<String> = observation
                    .headers
                    .map(|headers| {
                        headers
                            .get_all(name.as_str())
                            .iter()
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                if values.is_empty() {
                    Resolved::Missing(format!("header {name} is missing"))
                } else {
                    Resolved::Texts(values)
                }
            }
            Placeholder::Body(path) => {
                let Some(body) = observation.body else {
                    return Ok(Resolved::Missing("no body".into()));
                };
                if path.is_empty() && self.function != Some(Function::Len) {
                    return Ok(Resolved::Texts(vec![
                        String::from_utf8_lossy(body).into_owned(),
                    ]));
                }
                let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
                    format!(
                        "the body is not JSON ({e}), so {} cannot be read",
                        self.placeholder_text()
                    )
                })?;
                let mut current = &json;
                for step in path {
                    let next = match step {
                        PathStep::Key(key) => current.get(key.as_str()),
                        PathStep::Index(index) => current.get(*index),
                    };
                    match next {
                        Some(next) => current = next,
                        None => {
                            return Ok(Resolved::Missing(format!(
                                "{} is missing from the body",
                                self.placeholder_text()
                            )));
                        }
                    }
                }
                Resolved::Json(current.clone())
            }
        })
    }

    fn placeholder_text(&self) -> &str {
        let end = self
            .text
            .find([' ', '=', '!', '<', '>'])
            .unwrap_or(self.text.len());
        &self.text[..end]
    }

    fn compare(&self, resolved: Resolved) -> Outcome {
        let (texts, number): (Vec<String>, Option<f64>) = match resolved {
            Resolved::Missing(what) => {
                return Outcome::Fail {
                    observed: format!("missing: {what}"),
                };
            }
            Resolved::Seconds(seconds) => {
                return self.compare_seconds(seconds);
            }
            Resolved::Number(n) => (vec![format_number(n)], Some(n)),
            Resolved::Bool(b) => (vec![b.to_string()], None),
            Resolved::Texts(texts) => {
                let number = if texts.len() == 1 {
                    texts[0].trim().parse().ok()
                } else {
                    None
                };
                (texts, number)
            }
            Resolved::Json(value) => {
                let number = value.as_f64();
                let text = match &value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (vec![text], number)
            }
        };
        let observed = if texts.len() == 1 {
            texts[0].clone()
        } else {
            format!("{texts:?}")
        };
        let passed = match (&self.expected, self.op) {
            (Expected::Pattern(pattern), op) => {
                let matched = texts.iter().any(|t| glob_match(pattern, t));
                if op == Op::Eq { matched } else { !matched }
            }
            (Expected::Any(values), op) => {
                let matched = values
                    .iter()
                    .any(|v| texts.iter().any(|t| equal(t, number, v)));
                if op == Op::Eq { matched } else { !matched }
            }
            (Expected::Value(value), Op::Eq) => texts.iter().any(|t| equal(t, number, value)),
            (Expected::Value(value), Op::Ne) => !texts.iter().any(|t| equal(t, number, value)),
            (Expected::Value(value), op) => match (number, value.parse::<f64>()) {
                (Some(left), Ok(right)) => ordered(left, op, right),
                (None, _) => {
                    return Outcome::Error {
                        message: format!(
                            "{observed:?} is not a number, so {} cannot compare it",
                            op.as_str()
                        ),
                    };
                }
                (_, Err(_)) => {
                    return Outcome::Error {
                        message: format!("{value:?} is not a number"),
                    };
                }
            },
        };
        if passed {
            Outcome::Pass
        } else {
            Outcome::Fail { observed }
        }
    }

    fn compare_seconds(&self, seconds: f64) -> Outcome {
        let observed = format_seconds(seconds);
        let expected: Vec<&String> = match &self.expected {
            Expected::Value(v) => vec![v],
            Expected::Any(values) => values.iter().collect(),
            Expected::Pattern(_) => {
                return Outcome::Error {
                    message: "pat() cannot match a duration".into(),
                };
            }
        };
        let mut results = Vec::new();
        for value in expected {
            let Some(right) = parse_signed_seconds(value) else {
                return Outcome::Error {
                    message: format!("{value:?} is not a duration"),
                };
            };
            results.push(match self.op {
                Op::Eq => (seconds - right).abs() < 1e-9,
                Op::Ne => (seconds - right).abs() >= 1e-9,
                op => ordered(seconds, op, right),
            });
        }
        let passed = match self.op {
            Op::Ne => results.iter().all(|r| *r),
            _ => results.iter().any(|r| *r),
        };
        if passed {
            Outcome::Pass
        } else {
            Outcome::Fail { observed }
        }
    }
}

fn ordered(left: f64, op: Op, right: f64) -> bool {
    match op {
        Op::Lt => left < right,
        Op::Le => left <= right,
        Op::Gt => left > right,
        Op::Ge => left >= right,
        Op::Eq => left == right,
        Op::Ne => left != right,
    }
}

fn equal(text: &str, number: Option<f64>, expected: &str) -> bool {
    if let (Some(left), Ok(right)) = (number, expected.parse::<f64>()) {
        return left == right;
    }
    text == expected
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn format_seconds(seconds: f64) -> String {
    let magnitude = seconds.abs();
    if magnitude >= 3600.0 {
        format!("{:.1}h", seconds / 3600.0)
    } else if magnitude >= 1.0 {
        format!("{seconds:.3}s")
    } else {
        format!("{:.3}ms", seconds * 1e3)
    }
}

/// `*` matches any run of characters; everything else is literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    let first = parts[0];
    if !rest.starts_with(first) {
        return false;
    }
    rest = &rest[first.len()..];
    let last = parts[parts.len() - 1];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(index) => rest = &rest[index + middle.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(condition: &str, observation: &Observation<'_>) -> Outcome {
        condition
            .parse::<Condition>()
            .unwrap()
            .evaluate(observation)
    }

    #[test]
    fn gatus_conditions_evaluate() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "content-type",
            "application/json; charset=utf-8".parse().unwrap(),
        );
        let body = br#"{"status":"UP","items":[1,2],"db":{"latency":12}}"#;
        let observation = Observation {
            status: Some(200),
            response_time: Some(Duration::from_millis(120)),
            body: Some(body),
            headers: Some(&headers),
            certificate_expires_in: Some(10.0 * 86400.0),
            connected: true,
            ..Observation::default()
        };
        for (condition, expected) in [
            ("[STATUS] == 200", true),
            ("[STATUS] == any(200, 201)", true),
            ("[STATUS] < 300", true),
            ("[STATUS] != 200", false),
            ("[RESPONSE_TIME] < 300ms", true),
            ("[RESPONSE_TIME] < 100", false),
            ("[BODY].status == UP", true),
            ("[BODY].db.latency <= 12", true),
            ("[BODY].items[1] == 2", true),
            ("len([BODY].items) > 0", true),
            ("len([BODY].items) == 3", false),
            ("has([BODY].errors) == false", true),
            ("[BODY] == pat(*\"UP\"*)", true),
            ("[HEADER].Content-Type == pat(application/json*)", true),
            ("[HEADER].content-type == application/json", false),
            ("[CERTIFICATE_EXPIRATION] > 720h", false),
            ("[CERTIFICATE_EXPIRATION] > 48h", true),
            ("[CONNECTED] == true", true),
        ] {
            let outcome = check(condition, &observation);
            assert_eq!(
                outcome == Outcome::Pass,
                expected,
                "{condition}: {outcome:?}"
            );
        }
    }

    #[test]
    fn missing_values_fail_and_json_on_text_is_an_error() {
        let observation = Observation {
            status: Some(200),
            body: Some(b"OK"),
            ..Observation::default()
        };
        assert!(matches!(
            check("[HEADER].x-id == a", &observation),
            Outcome::Fail { .. }
        ));
        assert!(matches!(
            check("[HEADER].x-id != a", &observation),
            Outcome::Fail { .. }
        ));
        assert!(matches!(
            check("[BODY].status == UP", &observation),
            Outcome::Error { .. }
        ));
        assert!(matches!(
            check("[CERTIFICATE_EXPIRATION] > 1h", &observation),
            Outcome::Fail { .. }
        ));
    }

    #[test]
    fn bad_conditions_point_at_the_problem() {
        let error = "[STATUS] =! 200".parse::<Condition>().unwrap_err();
        assert_eq!(error.column, 9);
        let error = "[STATU] == 200".parse::<Condition>().unwrap_err();
        assert_eq!(error.column, 0);
        let error = "[RESPONSE_TIME] < fast".parse::<Condition>().unwrap_err();
        assert_eq!(error.column, 18);
        assert!("[BODY].a[x] == 1".parse::<Condition>().is_err());
        // Never a panic, whatever the input.
        for text in [
            "",
            "[",
            "é == 1",
            "[BODY].é[ == 1",
            "len([BODY]) > é",
            "[HEADER]. == x",
            "(((",
            "[STATUS] ==",
            "pat(*) == [STATUS]",
        ] {
            let _ = text.parse::<Condition>();
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("*UP*", "status UP now"));
        assert!(glob_match("a*c", "abc"));
        assert!(!glob_match("a*c", "ab"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("ab*ba", "aba"));
    }
}
