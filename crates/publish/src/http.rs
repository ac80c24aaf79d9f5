//! The one HTTP client of the posting: JSON requests to an API origin, with a timeout,
//! bounded retries on rate limits (429, or 403 with the rate limit exhausted) and server
//! errors, `Retry-After` honoured up to a bound, and `Link: <...>; rel="next"` pagination
//! restricted to the API's own origin.

use std::io::Read as _;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

/// The largest reply body read (GitHub's and GitLab's pages are far smaller).
const MAX_REPLY_BYTES: u64 = 8 * 1024 * 1024;

/// A request that did not succeed. The message names the method, the path, the status and the
/// API's own message; never the token (it is only ever in a header).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "{method} {path}: {status} forbidden: {message}\nhint: the token needs permission to {needs}"
    )]
    Forbidden {
        method: String,
        path: String,
        status: u16,
        message: String,
        needs: &'static str,
    },
    #[error("{method} {path}: 404 not found: {message}\nhint: {hint}")]
    NotFound {
        method: String,
        path: String,
        message: String,
        hint: &'static str,
    },
    #[error("{method} {path}: rate limited ({status}) after {attempts} attempts{wait}: {message}")]
    RateLimited {
        method: String,
        path: String,
        status: u16,
        attempts: u32,
        wait: String,
        message: String,
    },
    #[error("{method} {path}: HTTP {status}: {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{method} {path}: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    #[error("{path}: the reply is not the JSON expected: {message}")]
    BadReply { path: String, message: String },
    #[error("pagination link {link} leaves the API origin {origin}: not followed")]
    OffOrigin { link: String, origin: String },
    #[error("more than {0} pages of comments: stopped")]
    TooManyPages(usize),
    #[error("{0}")]
    Config(String),
}

/// How many times and how long a request is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts after the first one.
    pub retries: u32,
    /// The longest wait gonogo accepts from `Retry-After` or a rate-limit reset; a longer one
    /// fails at once with a clear error.
    pub max_wait: Duration,
    /// The first backoff when the server names no wait (doubled each time).
    pub backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            retries: 3,
            max_wait: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
        }
    }
}

/// A reply: status, the `next` page link and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub next: Option<String>,
    pub json: Value,
}

/// A JSON API at one origin, authenticated by one header.
pub struct Api {
    client: Client,
    base: reqwest::Url,
    auth: (HeaderName, HeaderValue),
    retry: Retry,
    /// What a 403 means for this API ("write pull requests and checks").
    pub forbidden_needs: &'static str,
    /// What a 404 usually means for this API.
    pub not_found_hint: &'static str,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Api")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl Api {
    /// `base` is the API root (`https://api.github.com`, `https://gitlab.com/api/v4`);
    /// `auth_header` and `token` the header that carries the token.
    pub fn new(
        base: &str,
        auth_header: &'static str,
        token: &str,
        timeout: Duration,
        retry: Retry,
    ) -> Result<Api, ApiError> {
        let mut base = reqwest::Url::parse(base.trim())
            .map_err(|e| ApiError::Config(format!("the API URL `{base}` is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(ApiError::Config(format!(
                "the API URL `{base}` is not an http(s) URL"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut value = HeaderValue::from_str(token).map_err(|_| {
            ApiError::Config("the token has characters a header cannot carry".into())
        })?;
        value.set_sensitive(true);
        Ok(Api {
            client: client(timeout)?,
            base,
            auth: (HeaderName::from_static(auth_header), value),
            retry,
            forbidden_needs: "post here",
            not_found_hint: "check the repository or project and the pull or merge request number",
        })
    }

    /// The URL of a path below the API root (`repos/o/r/issues/1/comments`).
    pub fn url(&self, path: &str) -> Result<reqwest::Url, ApiError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| ApiError::Config(format!("bad API path {path}: {e}")))
    }

    fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// Sends one request (retried as [`Retry`] says) and returns the 2xx reply.
    pub fn send(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<&Value>,
    ) -> Result<Reply, ApiError> {
        if url.origin() != self.base.origin() {
            return Err(ApiError::OffOrigin {
                link: shown_url(&url),
                origin: self.origin(),
            });
        }
        let path = shown_url(&url);
        let mut attempt = 0u32;
        let mut backoff = self.retry.backoff;
        loop {
            attempt += 1;
            let mut request = self
                .client
                .request(method.clone(), url.clone())
                .header(self.auth.0.clone(), self.auth.1.clone())
                .header("accept", "application/json")
                .header("x-github-api-version", "2022-11-28");
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            let response = match request.send() {
                Ok(response) => response,
                Err(error) => {
                    let message = transport_message(&error);
                    if attempt <= self.retry.retries && (error.is_timeout() || error.is_connect()) {
                        std::thread::sleep(backoff);
                        backoff *= 2;
                        continue;
                    }
                    return Err(ApiError::Transport {
                        method: method.to_string(),
                        path,
                        message,
                    });
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = read_body(response);
            if (200..300).contains(&status) {
                let json = if text.trim().is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&text).map_err(|e| ApiError::BadReply {
                        path: path.clone(),
                        message: e.to_string(),
                    })?
                };
                return Ok(Reply {
                    status,
                    next: next_link(&headers),
                    json,
                });
            }
            let message = api_message(&text);
            let rate_limited = status == 429
                || (status == 403
                    && (header(&headers, "x-ratelimit-remaining").as_deref() == Some("0")
                        || headers.contains_key("retry-after")));
            if rate_limited || status >= 500 {
                let asked = wait_asked(&headers);
                if let Some(wait) = asked.filter(|w| *w > self.retry.max_wait) {
                    return Err(ApiError::RateLimited {
                        method: method.to_string(),
                        path,
                        status,
                        attempts: attempt,
                        wait: format!(
                            " (the server asks to wait {} s, more than the {} s gonogo waits)",
                            wait.as_secs(),
                            self.retry.max_wait.as_secs()
                        ),
                        message,
                    });
                }
                if attempt <= self.retry.retries {
                    std::thread::sleep(asked.unwrap_or(backoff));
                    backoff *= 2;
                    continue;
                }
                if rate_limited {
                    return Err(ApiError::RateLimited {
                        method: method.to_string(),
                        path,
                        status,
                        attempts: attempt,
                        wait: String::new(),
                        message,
                    });
                }
            }
            return Err(match status {
                401 | 403 => ApiError::Forbidden {
                    method: method.to_string(),
                    path,
                    status,
                    message,
                    needs: self.forbidden_needs,
                },
                404 => ApiError::NotFound {
                    method: method.to_string(),
                    path,
                    message,
                    hint: self.not_found_hint,
                },
                _ => ApiError::Status {
                    method: method.to_string(),
                    path,
                    status,
                    message,
                },
            });
        }
    }

    /// Every item of a paginated list (`GET`, following `rel="next"` on the API's origin, at
    /// most `max_pages` pages), stopping early when `found` returns something.
    pub fn find_in_pages<T>(
        &self,
        first: reqwest::Url,
        max_pages: usize,
        mut found: impl FnMut(&Value) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        let mut url = first;
        for _ in 0..max_pages {
            let reply = self.send(Method::GET, url.clone(), None)?;
            let Value::Array(items) = &reply.json else {
                return Err(ApiError::BadReply {
                    path: shown_url(&url),
                    message: "expected a JSON array".into(),
                });
            };
            if let Some(hit) = items.iter().find_map(&mut found) {
                return Ok(Some(hit));
            }
            match reply.next {
                Some(next) => {
                    url = reqwest::Url::parse(&next).map_err(|e| ApiError::BadReply {
                        path: shown_url(&url),
                        message: format!("bad pagination link: {e}"),
                    })?;
                }
                None => return Ok(None),
            }
        }
        Err(ApiError::TooManyPages(max_pages))
    }
}

/// A blocking client: timeout, no redirects, no proxy from the environment surprises beyond
/// reqwest's defaults, ring as the rustls provider (as in the hardening audit).
pub fn client(timeout: Duration) -> Result<Client, ApiError> {
    // reqwest is built without a crypto provider: install ring's as the process default (a
    // second install by another engine is harmless).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gonogo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ApiError::Config(format!("cannot build the HTTP client: {e}")))
}

/// The path and query of a URL, for messages (the API origin is known, and a query never
/// carries the token).
fn shown_url(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A transport error without its URL.
pub(crate) fn transport_message(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut message = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    gonogo_core::redact::redact(&message).into_owned()
}

fn read_body(response: reqwest::blocking::Response) -> String {
    let mut bytes = Vec::new();
    let _ = response.take(MAX_REPLY_BYTES).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}

/// `Retry-After` in seconds, else GitHub's `x-ratelimit-reset` (epoch seconds) from now.
fn wait_asked(headers: &HeaderMap) -> Option<Duration> {
    if let Some(seconds) = header(headers, "retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    let reset = header(headers, "x-ratelimit-reset")?.parse::<i64>().ok()?;
    let now = jiff::Timestamp::now().as_second();
    Some(Duration::from_secs(reset.saturating_sub(now).max(0) as u64))
}

/// The API's `message` field (GitHub; GitLab's `message` or `error`), else the start of the
/// body, made inert and redacted.
fn api_message(text: &str) -> String {
    let message = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|json| {
            ["message", "error"].iter().find_map(|k| {
                json.get(k)
                    .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
            })
        })
        .unwrap_or_else(|| text.chars().take(200).collect());
    let message = if message.trim().is_empty() {
        "(no message)".to_owned()
    } else {
        message
    };
    gonogo_core::text::inert(&gonogo_core::redact::redact(&message)).into_owned()
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params
                .split(';')
                .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        headers.insert(
            "link",
            HeaderValue::from_static("<https://api.github.com/x?page=1>; rel=\"prev\""),
        );
        assert_eq!(next_link(&headers), None);
    }

    #[test]
    fn api_messages_are_taken_from_json_and_made_inert() {
        assert_eq!(
            api_message(r#"{"message":"Bad credentials"}"#),
            "Bad credentials"
        );
        assert_eq!(
            api_message(r#"{"error":"insufficient_scope"}"#),
            "insufficient_scope"
        );
        assert!(!api_message("\u{1b}[2Jboom").contains('\u{1b}'));
        assert_eq!(api_message(""), "(no message)");
    }

    #[test]
    fn the_api_debug_form_has_no_token() {
        let api = Api::new(
            "http://127.0.0.1:1",
            "authorization",
            "Bearer ghp_supersecret",
            Duration::from_secs(1),
            Retry::default(),
        )
        .unwrap();
        assert!(!format!("{api:?}").contains("supersecret"));
        assert_eq!(
            api.url("repos/o/r").unwrap().as_str(),
            "http://127.0.0.1:1/repos/o/r"
        );
    }
}
