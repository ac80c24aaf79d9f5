//! ZeroMQ REQ/REP round trips (`zmq+tcp://host:port`), through the pure-Rust `zeromq` crate.
//!
//! A REQ socket has one request outstanding at a time, like an HTTP/1.1 connection, so the
//! engine treats it the same way: the closed model gives each of its `--concurrency` tasks a
//! socket, the open model keeps a pool of idle ones. A request sends `--body` (or
//! `--body-file`) as a one-frame message and waits for the reply; `--expect-prefix` checks that
//! the reply's first frame starts with the given bytes (else `check_failed`). A socket that
//! timed out is discarded, since a REQ socket cannot send again before it has received.
//!
//! `zeromq`'s `connect` retries a refused connection forever, so [`connect`] first tries a
//! plain TCP connection to report `connect_refused` promptly.

use std::net::SocketAddr;

use bytes::Bytes;
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

use crate::error_class::ErrorClass;

/// What to send to a REP server.
#[derive(Debug, Clone)]
pub struct ZmqRequest {
    /// `tcp://host:port`.
    pub endpoint: String,
    pub payload: Bytes,
    /// The reply's first frame must start with these bytes.
    pub expect_prefix: Option<Vec<u8>>,
}

/// A connected REQ socket.
pub type ZmqSocket = zeromq::ReqSocket;

/// Connects a REQ socket to `address` (checked with a plain TCP connect first).
pub async fn connect(request: &ZmqRequest, address: SocketAddr) -> Result<ZmqSocket, ErrorClass> {
    drop(
        tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| ErrorClass::from_connect_io(&e))?,
    );
    let mut socket = zeromq::ReqSocket::new();
    socket
        .connect(&request.endpoint)
        .await
        .map_err(|_| ErrorClass::ConnectOther)?;
    Ok(socket)
}

/// Sends one request and waits for the reply. `Ok(true)` when the reply passes the check.
pub async fn round_trip(socket: &mut ZmqSocket, request: &ZmqRequest) -> Result<bool, ErrorClass> {
    socket
        .send(zeromq::ZmqMessage::from(request.payload.clone()))
        .await
        .map_err(|_| ErrorClass::ConnectionReset)?;
    let reply = socket
        .recv()
        .await
        .map_err(|_| ErrorClass::ConnectionReset)?;
    Ok(match &request.expect_prefix {
        None => true,
        Some(prefix) => reply.get(0).is_some_and(|frame| frame.starts_with(prefix)),
    })
}
