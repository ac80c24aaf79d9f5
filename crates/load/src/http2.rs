//! HTTP/2 (`--http2`): one multiplexed hyper connection per worker thread.
//!
//! Over `http://` it speaks HTTP/2 with prior knowledge (h2c); over `https://` it offers `h2`
//! by ALPN. All of a thread's requests (its share of `--concurrency`, or its open-model
//! arrivals) are streams on that thread's connection, which is re-opened when it closes.
//! The request is rebuilt from an [`Http2Request`] for every send (hyper takes requests by
//! value); this path allocates per request, unlike the HTTP/1.1 one.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;

use crate::http1::ResponseSummary;
use crate::tls::Transport;

/// What to send, kept in `http` types.
#[derive(Debug, Clone)]
pub struct Http2Request {
    pub method: http::Method,
    /// Absolute (`http://host:port/path`), for the `:scheme` and `:authority` pseudo-headers.
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Http2Request {
    fn build(&self) -> http::Request<Full<Bytes>> {
        let mut request = http::Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// A sender on a thread's shared HTTP/2 connection.
pub type Http2Sender = SendRequest<Full<Bytes>>;

/// Performs the HTTP/2 handshake on `transport` and spawns the connection's driver on the
/// current `LocalSet`.
pub async fn handshake(transport: Transport) -> Result<Http2Sender, hyper::Error> {
    let (sender, connection) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .handshake(hyper_util::rt::TokioIo::new(transport))
            .await?;
    tokio::task::spawn_local(async move {
        // Ends when the connection closes; errors surface on the requests in flight.
        let _ = connection.await;
    });
    Ok(sender)
}

/// Why an HTTP/2 request failed.
#[derive(Debug)]
pub enum Http2Failure {
    /// The connection or stream was closed or reset.
    Reset,
    /// The peer sent something we could not understand.
    Protocol,
}

impl From<hyper::Error> for Http2Failure {
    fn from(error: hyper::Error) -> Self {
        if error.is_parse() || error.is_user() {
            Http2Failure::Protocol
        } else {
            Http2Failure::Reset
        }
    }
}

/// Sends one request and reads the whole response.
pub async fn round_trip(
    sender: &mut Http2Sender,
    request: &Http2Request,
    needle: Option<&[u8]>,
) -> Result<ResponseSummary, Http2Failure> {
    sender.ready().await?;
    let response = sender.send_request(request.build()).await?;
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key(http::header::RETRY_AFTER);
    let mut body = response.into_body();
    let mut captured = needle.map(|_| Vec::new());
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if let (Some(captured), Some(data)) = (captured.as_mut(), frame.data_ref()) {
            captured.extend_from_slice(data);
        }
    }
    let body_contains = needle.map(|needle| {
        let captured = captured.unwrap_or_default();
        needle.is_empty() || captured.windows(needle.len()).any(|w| w == needle)
    });
    Ok(ResponseSummary {
        status,
        retry_after,
        body_contains,
        keep_alive: true,
    })
}
