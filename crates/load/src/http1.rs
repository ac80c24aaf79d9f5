//! A minimal HTTP/1.1 client connection for the hot loop.
//!
//! The load engine sends the same request many times, so the request is serialised once
//! ([`RequestTemplate`]) and written as bytes; the response head is parsed with `httparse` into a
//! stack array of headers, and the body is skipped (or kept only when a body check needs it).
//! Nothing is allocated per request once the connection's read buffer has grown to fit.
//!
//! Supported response framing: `Content-Length`, `Transfer-Encoding: chunked` (trailers
//! skipped), read-until-close, and no body for `HEAD`, 1xx, 204 and 304. Interim 1xx responses
//! (other than 101) are skipped. Keep-alive follows HTTP/1.1 (`Connection: close` ends it;
//! HTTP/1.0 responses keep it only with `Connection: keep-alive`). Pipelining is not used: one
//! request is outstanding per connection.
//!
//! Timeouts are the caller's: wrap [`Http1Connection::round_trip`] in `tokio::time::timeout`.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// The bytes of one request, serialised once and sent many times.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    pub bytes: Vec<u8>,
    /// `HEAD` responses have no body whatever their headers say.
    pub is_head: bool,
    /// GET, HEAD, PUT, DELETE, OPTIONS, TRACE: safe to resend when a reused connection turns
    /// out to have been closed by the server before it answered.
    pub idempotent: bool,
}

impl RequestTemplate {
    /// Serialises a request. `headers` are `(name, value)` pairs as given by the user; `Host`,
    /// `User-Agent`, `Accept` and `Content-Length` are added unless the user set them.
    pub fn new(
        method: &str,
        authority: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> RequestTemplate {
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut bytes = Vec::with_capacity(256 + body.len());
        bytes.extend_from_slice(method.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(path_and_query.as_bytes());
        bytes.extend_from_slice(b" HTTP/1.1\r\n");
        let mut push_header = |name: &str, value: &str| {
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(value.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        };
        if !has("host") {
            push_header("Host", authority);
        }
        if !has("user-agent") {
            push_header("User-Agent", concat!("gonogo/", env!("CARGO_PKG_VERSION")));
        }
        if !has("accept") {
            push_header("Accept", "*/*");
        }
        for (name, value) in headers {
            push_header(name, value);
        }
        if !has("content-length") && (!body.is_empty() || method_takes_body(method)) {
            push_header("Content-Length", &body.len().to_string());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(body);
        RequestTemplate {
            bytes,
            is_head: method == "HEAD",
            idempotent: matches!(
                method,
                "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
            ),
        }
    }
}

/// Whether requests of `method` usually carry a body (POST, PUT, PATCH, ...): they always get a
/// `Content-Length`, and with `--urls` they are the ones `--body` goes with. GET, HEAD, DELETE,
/// OPTIONS and TRACE do not.
pub fn method_takes_body(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE")
}

/// What the engine needs to know about a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseSummary {
    pub status: u16,
    /// A `Retry-After` header was present.
    pub retry_after: bool,
    /// Whether the body contained the needle, when one was asked for.
    pub body_contains: Option<bool>,
    /// The connection may be reused.
    pub keep_alive: bool,
}

/// Why a round trip failed.
#[derive(Debug, thiserror::Error)]
pub enum RoundTripError {
    /// The connection was closed before a single byte of the response arrived (a reused
    /// connection the server had already closed: safe to retry once on a new connection).
    #[error("connection closed before the response started")]
    ClosedBeforeResponse,
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    #[error("malformed response: {0}")]
    Protocol(String),
}

const INITIAL_BUFFER: usize = 8 * 1024;
const MAX_HEAD: usize = 1024 * 1024;
const MAX_CAPTURED_BODY: usize = 8 * 1024 * 1024;
const MAX_HEADERS: usize = 96;

/// One HTTP/1.1 connection over any byte stream.
pub struct Http1Connection<S> {
    stream: S,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    captured_body: Vec<u8>,
    /// Keep every body (up to the capture limit), not only when a needle is looked for.
    keep_body: bool,
}

enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Http1Connection<S> {
    pub fn new(stream: S) -> Self {
        Http1Connection {
            stream,
            buffer: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            captured_body: Vec::new(),
            keep_body: false,
        }
    }

    /// Keeps each response's body (up to 8 MiB) for [`Http1Connection::body`].
    pub fn keeping_bodies(mut self) -> Self {
        self.keep_body = true;
        self
    }

    /// The last response's body as kept (only with a needle or [`Self::keeping_bodies`]).
    pub fn body(&self) -> &[u8] {
        &self.captured_body
    }

    /// Sends `request` and reads the whole response. `needle`: look for these bytes in the body.
    pub async fn round_trip(
        &mut self,
        request: &RequestTemplate,
        needle: Option<&[u8]>,
    ) -> Result<ResponseSummary, RoundTripError> {
        self.start = 0;
        self.end = 0;
        let written = async {
            self.stream.write_all(&request.bytes).await?;
            // A no-op for TCP; pushes buffered records out for TLS.
            self.stream.flush().await
        };
        written.await.map_err(closed_before_response)?;
        let mut received_any = false;
        let (status, retry_after, framing, keep_alive) = loop {
            let parsed = {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut headers);
                match response.parse(&self.buffer[self.start..self.end]) {
                    Ok(httparse::Status::Complete(head_length)) => {
                        Some((head_length, head_facts(&response, request.is_head)?))
                    }
                    Ok(httparse::Status::Partial) => None,
                    Err(error) => return Err(RoundTripError::Protocol(error.to_string())),
                }
            };
            match parsed {
                Some((head_length, facts)) => {
                    self.start += head_length;
                    if (100..200).contains(&facts.0) && facts.0 != 101 {
                        continue;
                    }
                    break facts;
                }
                None => {
                    let filled = match self.fill().await {
                        Err(RoundTripError::Io(error)) if !received_any => {
                            return Err(closed_before_response(error));
                        }
                        other => other?,
                    };
                    if filled == 0 {
                        return Err(if received_any {
                            RoundTripError::Io(io::ErrorKind::UnexpectedEof.into())
                        } else {
                            RoundTripError::ClosedBeforeResponse
                        });
                    }
                    received_any = true;
                }
            }
        };
        self.captured_body.clear();
        let capture = needle.is_some() || self.keep_body;
        let mut keep_alive = keep_alive;
        match framing {
            Framing::None => {}
            Framing::Length(length) => self.skip_body(length, capture).await?,
            Framing::Chunked => self.skip_chunked(capture).await?,
            Framing::UntilClose => {
                keep_alive = false;
                loop {
                    self.consume_available(u64::MAX, capture);
                    if self.fill().await? == 0 {
                        break;
                    }
                }
            }
        }
        let body_contains = needle.map(|needle| contains(&self.captured_body, needle));
        Ok(ResponseSummary {
            status,
            retry_after,
            body_contains,
            keep_alive,
        })
    }

    /// Reads more bytes into the buffer, compacting or growing it first; returns 0 at EOF.
    async fn fill(&mut self) -> Result<usize, RoundTripError> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buffer.len() {
            if self.start > 0 {
                self.buffer.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buffer.len() < MAX_HEAD {
                self.buffer.resize(self.buffer.len() * 2, 0);
            } else {
                return Err(RoundTripError::Protocol(
                    "response head or chunk line longer than 1 MiB".to_owned(),
                ));
            }
        }
        let n = self.stream.read(&mut self.buffer[self.end..]).await?;
        self.end += n;
        Ok(n)
    }

    /// Consumes up to `limit` buffered bytes as body; returns how many.
    fn consume_available(&mut self, limit: u64, capture: bool) -> u64 {
        let available = (self.end - self.start) as u64;
        let taken = available.min(limit) as usize;
        if capture && self.captured_body.len() < MAX_CAPTURED_BODY {
            let room = MAX_CAPTURED_BODY - self.captured_body.len();
            let slice = &self.buffer[self.start..self.start + taken.min(room)];
            self.captured_body.extend_from_slice(slice);
        }
        self.start += taken;
        taken as u64
    }

    async fn skip_body(&mut self, mut remaining: u64, capture: bool) -> Result<(), RoundTripError> {
        loop {
            remaining -= self.consume_available(remaining, capture);
            if remaining == 0 {
                return Ok(());
            }
            if self.fill().await? == 0 {
                return Err(RoundTripError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }

    async fn skip_chunked(&mut self, capture: bool) -> Result<(), RoundTripError> {
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buffer[self.start..self.end]) {
                    Ok(httparse::Status::Complete((consumed, size))) => {
                        self.start += consumed;
                        break size;
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.fill().await? == 0 {
                            return Err(RoundTripError::Io(io::ErrorKind::UnexpectedEof.into()));
                        }
                    }
                    Err(_) => {
                        return Err(RoundTripError::Protocol("bad chunk size line".to_owned()));
                    }
                }
            };
            if size == 0 {
                return self.skip_trailers().await;
            }
            self.skip_body(size, capture).await?;
            self.skip_body(2, false).await?;
        }
    }

    /// Skips trailer lines up to and including the empty line that ends a chunked body.
    async fn skip_trailers(&mut self) -> Result<(), RoundTripError> {
        loop {
            let window = &self.buffer[self.start..self.end];
            if let Some(position) = window.windows(2).position(|w| w == b"\r\n") {
                self.start += position + 2;
                if position == 0 {
                    return Ok(());
                }
                continue;
            }
            if self.fill().await? == 0 {
                return Err(RoundTripError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }
}

/// A reset or broken pipe before any byte of the response: the server had closed the connection.
fn closed_before_response(error: io::Error) -> RoundTripError {
    match error.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted => RoundTripError::ClosedBeforeResponse,
        _ => RoundTripError::Io(error),
    }
}

type HeadFacts = (u16, bool, Framing, bool);

fn head_facts(
    response: &httparse::Response<'_, '_>,
    is_head: bool,
) -> Result<HeadFacts, RoundTripError> {
    let status = response.code.unwrap_or(0);
    let http10 = response.version == Some(0);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut connection_close = http10;
    let mut retry_after = false;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).unwrap_or("").trim();
            let length = text
                .parse::<u64>()
                .map_err(|_| RoundTripError::Protocol(format!("bad Content-Length `{text}`")))?;
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = ends_with_token(header.value, b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            if has_token(header.value, b"close") {
                connection_close = true;
            } else if http10 && has_token(header.value, b"keep-alive") {
                connection_close = false;
            }
        } else if name.eq_ignore_ascii_case("retry-after") {
            retry_after = true;
        }
    }
    let framing = if is_head || (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::None
    } else if chunked {
        Framing::Chunked
    } else if let Some(length) = content_length {
        if length == 0 {
            Framing::None
        } else {
            Framing::Length(length)
        }
    } else {
        Framing::UntilClose
    };
    Ok((status, retry_after, framing, !connection_close))
}

fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

fn ends_with_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .next_back()
        .is_some_and(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs one round trip against a canned response through an in-memory duplex pipe (a real
    /// server cannot easily produce malformed or oddly split responses; the integration tests
    /// cover real servers).
    async fn check(
        response: &[u8],
        is_head: bool,
        needle: Option<&[u8]>,
    ) -> Result<ResponseSummary, String> {
        let (client, mut server) = tokio::io::duplex(64);
        let response = response.to_vec();
        let server_task = tokio::spawn(async move {
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && server.read(&mut byte).await.unwrap_or(0) == 1
            {
                request.push(byte[0]);
            }
            for piece in response.chunks(7) {
                if server.write_all(piece).await.is_err() {
                    return;
                }
            }
        });
        let mut connection = Http1Connection::new(client);
        let method = if is_head { "HEAD" } else { "GET" };
        let template = RequestTemplate::new(method, "x", "/", &[], b"");
        let result = connection
            .round_trip(&template, needle)
            .await
            .map_err(|e| e.to_string());
        server_task.abort();
        result
    }

    #[tokio::test]
    async fn content_length_and_chunked_bodies() {
        let summary = check(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            false,
            Some(b"ell"),
        )
        .await
        .unwrap();
        assert_eq!(
            (summary.status, summary.body_contains, summary.keep_alive),
            (200, Some(true), true)
        );
        let chunked = b"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\nRetry-After: 1\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n";
        let summary = check(chunked, false, Some(b"cd")).await.unwrap();
        assert_eq!(
            (summary.status, summary.retry_after, summary.body_contains),
            (503, true, Some(true))
        );
        let summary = check(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No\r\nConnection: close\r\n\r\n",
            false,
            None,
        )
        .await
        .unwrap();
        assert_eq!((summary.status, summary.keep_alive), (204, false));
        let summary = check(b"HTTP/1.0 200 OK\r\n\r\nrest of body", false, Some(b"zzz"))
            .await
            .unwrap();
        assert_eq!(
            (summary.body_contains, summary.keep_alive),
            (Some(false), false)
        );
        let summary = check(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, None)
            .await
            .unwrap();
        assert_eq!(summary.status, 200);
    }

    #[tokio::test]
    async fn broken_responses_are_errors() {
        assert!(
            check(b"", false, None)
                .await
                .unwrap_err()
                .contains("before the response")
        );
        assert!(
            check(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                false,
                None
            )
            .await
            .is_err()
        );
        assert!(
            check(b"NOT HTTP\r\n\r\n", false, None)
                .await
                .unwrap_err()
                .contains("malformed")
        );
        assert!(
            check(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, None)
                .await
                .unwrap_err()
                .contains("Content-Length")
        );
    }

    #[test]
    fn template_adds_default_headers_once() {
        let template = RequestTemplate::new(
            "POST",
            "h:1",
            "/p",
            &[("host".into(), "other".into())],
            b"{}",
        );
        let text = String::from_utf8(template.bytes).unwrap();
        assert!(text.starts_with("POST /p HTTP/1.1\r\n"));
        assert!(!text.contains("Host: h:1"));
        assert!(text.contains("host: other\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
