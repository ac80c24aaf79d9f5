//! The one redactor: secrets never leave gonogo in an excerpt, a URL, a log tail, an evidence
//! record or a report.
//!
//! A [`Redactor`] replaces with [`REDACTED`]:
//!
//! - **by value**, every secret it was given ([`Redactor::secret`]): the tokens, cookies and
//!   header values gonogo sends for the user (`--header`, `[harden.auth]` tokens, the session
//!   cookie...). A header value such as `Bearer abc` is registered whole and by its credential
//!   part; secrets shorter than [`MIN_SECRET_LEN`] characters are not registered, because
//!   replacing every `a` would destroy the text and protect nothing;
//! - **by pattern**, whatever was not given but looks like a credential:
//!   - `Bearer <token>` and `Basic <credentials>` (case-insensitive scheme);
//!   - the user information of a URL, `scheme://user:pass@host` → `scheme://[REDACTED]@host`;
//!   - query parameters named like a credential (`?token=`, `access_token`, `api_key`,
//!     `apikey`, `password`, `secret`, `signature`, `sig`, `auth`, `key`, `code`);
//!   - AWS access key ids (`AKIA`/`ASIA` and 16 upper-case letters or digits);
//!   - GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 20+ characters,
//!     `github_pat_...`);
//!   - Slack tokens (`xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`, `xoxe-`...);
//!   - PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----` to its `END` line, or to the
//!     end of the text when cut);
//!   - JWT-looking strings (`eyJ…` `.` `…` `.` `…`).
//!
//! Nothing of a redacted secret is kept (no prefix: twelve characters of a token are often
//! enough to find or guess it). The redactor is pure and works on any text; callers apply it
//! where text leaves the process (excerpts, errors, tails, sources), before [`crate::text::inert`]
//! when the text goes to a console.
//!
//! ```
//! use gonogo_core::redact::Redactor;
//! let redactor = Redactor::new().secret("s3cr3t-value");
//! assert_eq!(
//!     redactor.redact("token s3cr3t-value at https://bob:pw@127.0.0.1/x"),
//!     "token [REDACTED] at https://[REDACTED]@127.0.0.1/x"
//! );
//! assert_eq!(gonogo_core::redact::redact("Authorization: Bearer abc.def"), "Authorization: Bearer [REDACTED]");
//! ```

use std::borrow::Cow;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not registered by value (patterns still apply).
pub const MIN_SECRET_LEN: usize = 4;

/// Redacts secrets given by value and credentials recognised by shape.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor with the patterns only.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a secret value (and, for `Scheme credentials` values, the credentials alone).
    pub fn secret(mut self, value: impl AsRef<str>) -> Redactor {
        self.add_secret(value);
        self
    }

    /// Adds a secret value; see [`Redactor::secret`].
    pub fn add_secret(&mut self, value: impl AsRef<str>) {
        let value = value.as_ref().trim();
        let mut candidates = vec![value];
        if let Some((scheme, credentials)) = value.split_once(' ')
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            candidates.push(credentials.trim());
        }
        for candidate in candidates {
            if candidate.chars().count() >= MIN_SECRET_LEN
                && !self.secrets.iter().any(|s| s == candidate)
            {
                self.secrets.push(candidate.to_owned());
            }
        }
        self.secrets
            .sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    }

    /// Adds the value of header `name` when the header carries credentials (`Authorization`,
    /// `Proxy-Authorization`, `Cookie`, and names containing `token`, `secret`, `key`,
    /// `auth`, `session`, `password` or `credential`).
    pub fn add_header(&mut self, name: &str, value: &str) {
        if is_secret_header(name) {
            self.add_secret(value);
        }
    }

    /// Whether any secret was registered by value.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// `text` with every secret and credential-shaped string replaced by [`REDACTED`].
    /// Borrows when nothing was found.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
        match out {
            Cow::Borrowed(text) => patterns(text),
            Cow::Owned(text) => Cow::Owned(patterns(&text).into_owned()),
        }
    }
}

/// Where a text redacted line by line ([`Redactor::redact_line`]) stands: inside a PEM
/// private key block opened on an earlier line, or not.
#[derive(Debug, Clone, Default)]
pub struct LineState {
    /// The footer (`-----END ... PRIVATE KEY-----`) that closes the open block.
    open_block: Option<String>,
}

impl LineState {
    /// Whether a private key block is open: the next line is withheld unless it closes it.
    pub fn is_open(&self) -> bool {
        self.open_block.is_some()
    }
}

impl Redactor {
    /// One line of a text that arrives line by line (a command's output, streamed to its log),
    /// redacted as [`Redactor::redact`] does. A PEM private key block spans lines: its `BEGIN`
    /// line is redacted to its end, and the lines after it are withheld (an empty result) up
    /// to and including its `END` line, of which only what follows the footer is kept.
    pub fn redact_line<'a>(&self, line: &'a str, state: &mut LineState) -> Cow<'a, str> {
        if let Some(footer) = &state.open_block {
            let Some(offset) = line.find(footer.as_str()) else {
                return Cow::Borrowed("");
            };
            let after = &line[offset + footer.len()..];
            state.open_block = None;
            return Cow::Owned(self.redact_line(after, state).into_owned());
        }
        state.open_block = open_private_key_block(line);
        self.redact(line)
    }
}

/// The footer of a PEM private key block that `text` opens and does not close.
fn open_private_key_block(text: &str) -> Option<String> {
    let mut rest = text;
    let mut open = None;
    while let Some(offset) = rest.find("-----BEGIN ") {
        let after_begin = &rest[offset + "-----BEGIN ".len()..];
        let Some(label_end) = after_begin.find("-----") else {
            break;
        };
        let label = &after_begin[..label_end];
        rest = &after_begin[label_end..];
        if label.ends_with("PRIVATE KEY") && !label.contains('\n') {
            let footer = format!("-----END {label}-----");
            match rest.find(&footer) {
                Some(end) => {
                    rest = &rest[end + footer.len()..];
                    open = None;
                }
                None => return Some(footer),
            }
        }
    }
    open
}

/// [`Redactor::redact`] with the patterns only.
pub fn redact(text: &str) -> Cow<'_, str> {
    patterns(text)
}

/// Whether a header of this name carries credentials.
pub fn is_secret_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || [
        "token",
        "secret",
        "key",
        "auth",
        "session",
        "password",
        "credential",
    ]
    .iter()
    .any(|word| name.contains(word))
}

fn patterns(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    // Bytes of `text` before `copied` are already in `out`.
    let mut copied = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Every pattern of `match_at` starts with one of these ASCII bytes: skip the others
        // at once (a command's log is redacted line by line, gigabytes of it).
        if !may_start_match(bytes[i]) {
            i += 1;
            continue;
        }
        if let Some((start, end, replacement)) = match_at(text, i) {
            out.push_str(&text[copied..start]);
            out.push_str(&replacement);
            copied = end;
            i = end.max(i + 1);
            continue;
        }
        i += 1;
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    if copied == 0 && out.is_empty() {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether a pattern of [`match_at`] can start at this byte: `://`, `?`/`&`/`;` query
/// parameters, `Bearer`/`Basic`, `AKIA`/`ASIA`, `gh*_`/`github_pat_`, `xox`, `-----BEGIN`,
/// `eyJ`.
fn may_start_match(b: u8) -> bool {
    matches!(
        b,
        b':' | b'?' | b'&' | b';' | b'B' | b'b' | b'A' | b'g' | b'x' | b'-' | b'e'
    )
}

/// A credential starting at byte `i` (or a URL's user information after `://` at `i`):
/// the byte range to replace and its replacement.
fn match_at(text: &str, i: usize) -> Option<(usize, usize, String)> {
    let rest = &text[i..];
    let bytes = text.as_bytes();
    let boundary_before = i == 0 || !is_word_byte(bytes[i - 1]);

    // scheme://userinfo@
    if rest.starts_with("://") {
        let start = i + 3;
        let authority_end = text[start..]
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"')
            .map_or(text.len(), |offset| start + offset);
        if let Some(at) = text[start..authority_end].rfind('@')
            && at > 0
            && &text[start..start + at] != REDACTED
        {
            return Some((start, start + at, REDACTED.to_owned()));
        }
        return None;
    }

    // ?token=value, &api_key=value
    if matches!(rest.as_bytes()[0], b'?' | b'&' | b';') {
        let name_start = i + 1;
        let eq = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map(|offset| name_start + offset)?;
        if bytes.get(eq) != Some(&b'=') {
            return None;
        }
        let name = text[name_start..eq].to_ascii_lowercase();
        let secret_name = matches!(
            name.as_str(),
            "token"
                | "access_token"
                | "refresh_token"
                | "id_token"
                | "api_key"
                | "apikey"
                | "api-key"
                | "key"
                | "password"
                | "passwd"
                | "pass"
                | "secret"
                | "client_secret"
                | "signature"
                | "sig"
                | "auth"
                | "code"
                | "session"
                | "x-amz-signature"
                | "x-amz-credential"
                | "x-amz-security-token"
        );
        if !secret_name {
            return None;
        }
        let value_start = eq + 1;
        let value_end = text[value_start..]
            .find(|c: char| {
                matches!(c, '&' | '#' | ';' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .map_or(text.len(), |offset| value_start + offset);
        if value_end == value_start || &text[value_start..value_end] == REDACTED {
            return None;
        }
        return Some((value_start, value_end, REDACTED.to_owned()));
    }

    if !boundary_before {
        return None;
    }

    // Bearer <token>, Basic <credentials>
    for scheme in ["bearer", "basic"] {
        if rest.len() > scheme.len()
            && rest.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
        {
            let after = &rest[scheme.len()..];
            let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
            if spaces == 0 {
                continue;
            }
            let token_start = i + scheme.len() + spaces;
            let token_end = token_end(text, token_start, |b| {
                b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
            });
            // A token is long or not an ordinary word ("basic authentication", "bearer of").
            let token = &text[token_start..token_end];
            if token.len() >= 16
                || (token.len() >= 4 && token.bytes().any(|b| !b.is_ascii_alphabetic()))
            {
                return Some((token_start, token_end, REDACTED.to_owned()));
            }
        }
    }

    // AWS access key ids.
    if (rest.starts_with("AKIA") || rest.starts_with("ASIA")) && rest.len() >= 20 {
        let end = token_end(text, i + 4, |b| {
            b.is_ascii_uppercase() || b.is_ascii_digit()
        });
        if end - i == 20 && (end == text.len() || !is_word_byte(bytes[end])) {
            return Some((i, end, REDACTED.to_owned()));
        }
    }

    // GitHub tokens.
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
        if rest.starts_with(prefix) {
            let end = token_end(text, i + prefix.len(), |b| {
                b.is_ascii_alphanumeric() || b == b'_'
            });
            if end - i - prefix.len() >= 20 {
                return Some((i, end, REDACTED.to_owned()));
            }
        }
    }

    // Slack tokens: xoxa-, xoxb-, xoxe-, xoxp-, xoxr-, xoxs-, xoxe.xoxp-...
    if rest.starts_with("xox") && rest.len() > 5 {
        let kind = rest.as_bytes()[3];
        if kind.is_ascii_lowercase() && matches!(rest.as_bytes()[4], b'-' | b'.') {
            let end = token_end(text, i + 5, |b| {
                b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
            });
            if end - i >= 15 {
                return Some((i, end, REDACTED.to_owned()));
            }
        }
    }

    // PEM private keys.
    if let Some(after_begin) = rest.strip_prefix("-----BEGIN ") {
        let label = &after_begin[..after_begin.find("-----")?];
        if label.ends_with("PRIVATE KEY") && !label.contains('\n') {
            let footer = format!("-----END {label}-----");
            let end = rest
                .find(&footer)
                .map_or(text.len(), |offset| i + offset + footer.len());
            return Some((i, end, format!("{REDACTED} ({label})")));
        }
    }

    // JWT-looking: eyJ<base64url>.<base64url>.<base64url>
    if rest.starts_with("eyJ") {
        let is_b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let first_end = token_end(text, i, is_b64url);
        if first_end - i >= 10 && bytes.get(first_end) == Some(&b'.') {
            let second_end = token_end(text, first_end + 1, is_b64url);
            if second_end > first_end + 1 && bytes.get(second_end) == Some(&b'.') {
                let third_end = token_end(text, second_end + 1, is_b64url);
                return Some((i, third_end, REDACTED.to_owned()));
            }
        }
    }
    None
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The end of the run of bytes matching `keep` from `start`.
fn token_end(text: &str, start: usize, keep: impl Fn(u8) -> bool) -> usize {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && keep(bytes[end]) {
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(redact(input), expected, "input {input:?}");
        assert_eq!(redact(expected), expected, "second pass over {expected:?}");
    }

    #[test]
    fn by_value_whole_and_credential_part() {
        let redactor = Redactor::new()
            .secret("Bearer opaque-token-123")
            .secret("abc");
        assert_eq!(
            redactor.redact("echo: opaque-token-123 and abc"),
            "echo: [REDACTED] and abc",
            "the credential part is registered; 3-character secrets are not"
        );
        assert_eq!(
            redactor.redact("Authorization: Bearer opaque-token-123"),
            "Authorization: [REDACTED]"
        );
        assert!(redactor.has_secrets());
        assert!(!format!("{redactor:?}").contains("opaque"));
    }

    #[test]
    fn secret_headers_are_recognised() {
        let mut redactor = Redactor::new();
        redactor.add_header("X-Api-Key", "k-1234567");
        redactor.add_header("Accept", "text/html");
        assert_eq!(
            redactor.redact("k-1234567 text/html"),
            "[REDACTED] text/html"
        );
    }

    #[test]
    fn authorization_schemes() {
        check(
            "Authorization: Bearer abc.def-ghi",
            "Authorization: Bearer [REDACTED]",
        );
        check(
            "authorization: bearer 0123456789",
            "authorization: bearer [REDACTED]",
        );
        check(
            "Authorization: Basic dXNlcjpwYXNzd29yZA==",
            "Authorization: Basic [REDACTED]",
        );
        check(
            "a basic check, bearer of news",
            "a basic check, bearer of news",
        );
    }

    #[test]
    fn url_user_information() {
        check(
            "refused http://user:pass@10.0.0.1:8080/metrics",
            "refused http://[REDACTED]@10.0.0.1:8080/metrics",
        );
        check("https://tok@example.com", "https://[REDACTED]@example.com");
        check("http://127.0.0.1/a@b", "http://127.0.0.1/a@b");
        check("mailto a@b and http://h/", "mailto a@b and http://h/");
    }

    #[test]
    fn query_parameters() {
        check(
            "GET /cb?code=abc123&state=x&access_token=zzz#f",
            "GET /cb?code=[REDACTED]&state=x&access_token=[REDACTED]#f",
        );
        check("/search?q=token&page=2", "/search?q=token&page=2");
    }

    #[test]
    fn key_shapes() {
        check("id AKIAIOSFODNN7EXAMPLE ok", "id [REDACTED] ok");
        check("AKIAshort", "AKIAshort");
        check("ghp_abcdefghijklmnopqrstuvwxyz0123456789 x", "[REDACTED] x");
        check(
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "[REDACTED]",
        );
        check("xoxb-123456789012-abcdefghij", "[REDACTED]");
        check(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end",
            "[REDACTED] end",
        );
        check("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. end", "[REDACTED] end");
        check(
            "Basic authentication and bearer tokens",
            "Basic authentication and bearer tokens",
        );
    }

    #[test]
    fn private_key_blocks() {
        check(
            "k=-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nafter",
            "k=[REDACTED] (RSA PRIVATE KEY)\nafter",
        );
        check(
            "-----BEGIN PRIVATE KEY-----\nMIIEcut",
            "[REDACTED] (PRIVATE KEY)",
        );
        check(
            "-----BEGIN CERTIFICATE-----\nMIIB",
            "-----BEGIN CERTIFICATE-----\nMIIB",
        );
    }

    #[test]
    fn nothing_found_borrows() {
        assert!(matches!(redact("p95 = 120ms, n = 4000"), Cow::Borrowed(_)));
        assert!(matches!(redact("日本語 · ok"), Cow::Borrowed(_)));
    }
    #[test]
    fn a_private_key_block_spanning_lines_is_withheld_line_by_line() {
        let redactor = Redactor::new().secret("given-secret-1");
        let mut state = LineState::default();
        let lines = [
            "before given-secret-1",
            "key: -----BEGIN RSA PRIVATE KEY-----",
            "MIIEpAIBAAKCAQEA1234",
            "abcdefSECRETBODY",
            "-----END RSA PRIVATE KEY----- after",
            "-----BEGIN CERTIFICATE-----",
            "MIIBpublic",
        ];
        let out: Vec<String> = lines
            .iter()
            .map(|line| redactor.redact_line(line, &mut state).into_owned())
            .collect();
        assert_eq!(
            out,
            [
                "before [REDACTED]",
                "key: [REDACTED] (RSA PRIVATE KEY)",
                "",
                "",
                " after",
                "-----BEGIN CERTIFICATE-----",
                "MIIBpublic",
            ]
        );
        // Closed on its own line: nothing stays open.
        let mut state = LineState::default();
        let line = "-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY----- tail";
        assert_eq!(
            redactor.redact_line(line, &mut state),
            "[REDACTED] (PRIVATE KEY) tail"
        );
        assert_eq!(redactor.redact_line("next", &mut state), "next");
    }
}
