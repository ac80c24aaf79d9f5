//! The fault proxy: a TCP proxy on loopback between a service and one dependency, whose active
//! faults change at once for every connection (a `watch` channel), and which always comes back
//! to a clean link (no faults, listening) when the faults are cleared and on shutdown.
//!
//! Each connection is one task: two pipes (client → dependency, dependency → client), each a
//! reader and a writer joined by a small bounded queue (16 chunks of 16 KiB: memory is
//! bounded, a held pipe pushes back on its sender through TCP). The reader stamps each chunk
//! with its release time (now + latency ± jitter, never before the previous chunk's), the
//! writer waits for it, holds through a partition, drops into a black hole and paces to a
//! bandwidth. Connection faults (reset, refuse, the end of a black hole) are decided by the
//! connection's supervisor, which owns both sockets.
//!
//! HTTP links (`http: true`) relay one request and then its response at a time, so a share of
//! requests can be answered by the proxy itself (`http-error`); latency applies to each
//! response, partitions and black holes hold requests; bandwidth and slow close are byte-link
//! faults.

use std::future::pending;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::fault::{Active, Direction, FaultKind};

/// Bytes read at once from either side.
const CHUNK: usize = 16 * 1024;
/// Chunks queued between a pipe's reader and writer.
const QUEUE: usize = 16;
/// The longest HTTP head (request or response) an HTTP link reads.
const MAX_HEAD: usize = 64 * 1024;
/// How long [`Proxy::apply`] waits for the listener to follow a change.
const APPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// One link: where the proxy listens and which dependency it forwards to.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// A loopback address (port 0: any free port).
    pub listen: SocketAddr,
    /// The dependency, resolved under the loopback / allow-host rule by the caller
    /// ([`gonogo_io::net::resolve_blocking`]).
    pub upstream: SocketAddr,
    /// Relay HTTP/1.1 request by request (needed for `http-error`).
    pub http: bool,
    /// Connections open at once; more are closed at accept.
    pub max_connections: usize,
    /// How long a connection to the dependency may take.
    pub connect_timeout: Duration,
}

impl LinkConfig {
    pub fn new(listen: SocketAddr, upstream: SocketAddr) -> LinkConfig {
        LinkConfig {
            listen,
            upstream,
            http: false,
            max_connections: 1024,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a proxy could not start or follow a change.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the fault proxy listens on loopback only; {0} is not a loopback address")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("the proxy did not follow the change within {0:?} (could not listen again?)")]
    NotApplied(Duration),
    #[error("fault `{0}` needs an HTTP link (--http)")]
    NeedsHttp(&'static str),
    #[error("fault `{0}` applies to byte links only, not to an HTTP link")]
    NotOnHttp(&'static str),
}

/// What the proxy did, for the drill's evidence and for tests.
#[derive(Debug, Default)]
pub struct Counters {
    pub accepted: AtomicU64,
    pub refused_over_limit: AtomicU64,
    pub resets: AtomicU64,
    pub closed_by_fault: AtomicU64,
    pub bytes_dropped: AtomicU64,
    pub http_errors_injected: AtomicU64,
    pub upstream_connect_failures: AtomicU64,
}

impl Counters {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

#[derive(Debug, Clone, Default)]
struct State {
    version: u64,
    active: Active,
    shutdown: bool,
}

impl State {
    /// Whether a connection must stop passing data now (its supervisor ends it).
    fn ending(&self) -> bool {
        self.shutdown || self.active.reset() || self.active.refuse()
    }
}

/// A running fault proxy. Dropping it without [`Proxy::shutdown`] still stops it (the tasks see
/// the state's sender go away and close every connection).
pub struct Proxy {
    addr: SocketAddr,
    http: bool,
    state: watch::Sender<State>,
    applied: watch::Receiver<u64>,
    task: Option<tokio::task::JoinHandle<()>>,
    counters: Arc<Counters>,
}

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // The same port again after a `refuse` fault, while old connections sit in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

impl Proxy {
    /// Starts listening (on loopback only) and forwarding, with no fault active.
    pub async fn start(config: LinkConfig) -> Result<Proxy, ProxyError> {
        if !gonogo_io::net::is_loopback_ip(config.listen.ip()) {
            return Err(ProxyError::NotLoopback(config.listen));
        }
        let listener = bind(config.listen).map_err(|source| ProxyError::Listen {
            addr: config.listen,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| ProxyError::Listen {
            addr: config.listen,
            source,
        })?;
        let (state, state_rx) = watch::channel(State::default());
        let (applied_tx, applied) = watch::channel(0);
        let counters = Arc::new(Counters::default());
        let link = Arc::new(Link {
            upstream: config.upstream,
            http: config.http,
            connect_timeout: config.connect_timeout,
            counters: counters.clone(),
        });
        let task = tokio::spawn(accept_loop(
            addr,
            listener,
            config.max_connections.max(1),
            state_rx,
            applied_tx,
            link,
        ));
        Ok(Proxy {
            addr,
            http: config.http,
            state,
            applied,
            task: Some(task),
            counters,
        })
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Makes `faults` the active set (replacing the previous one) and returns once the
    /// listener follows it (stopped for `refuse`, listening again otherwise). Every connection
    /// sees the new set before it passes its next chunk.
    pub async fn apply(&self, faults: Vec<FaultKind>) -> Result<(), ProxyError> {
        for fault in &faults {
            match fault {
                FaultKind::HttpError { .. } if !self.http => {
                    return Err(ProxyError::NeedsHttp(fault.name()));
                }
                FaultKind::Bandwidth { .. } | FaultKind::SlowClose { .. } if self.http => {
                    return Err(ProxyError::NotOnHttp(fault.name()));
                }
                _ => {}
            }
        }
        let mut version = 0;
        self.state.send_modify(|s| {
            s.version += 1;
            version = s.version;
            s.active = Active::new(faults);
        });
        let mut applied = self.applied.clone();
        match timeout(APPLY_TIMEOUT, applied.wait_for(|v| *v >= version)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ProxyError::NotApplied(APPLY_TIMEOUT)),
        }
    }

    /// No fault: the link restored.
    pub async fn clear(&self) -> Result<(), ProxyError> {
        self.apply(Vec::new()).await
    }

    /// Clears every fault, stops listening, closes every connection and waits for them.
    pub async fn shutdown(mut self) {
        self.state.send_modify(|s| {
            s.active = Active::default();
            s.shutdown = true;
        });
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.send_modify(|s| {
            s.active = Active::default();
            s.shutdown = true;
        });
    }
}

struct Link {
    upstream: SocketAddr,
    http: bool,
    connect_timeout: Duration,
    counters: Arc<Counters>,
}

async fn accept(listener: &Option<TcpListener>) -> io::Result<TcpStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => pending().await,
    }
}

async fn accept_loop(
    addr: SocketAddr,
    listener: TcpListener,
    max_connections: usize,
    mut state: watch::Receiver<State>,
    applied: watch::Sender<u64>,
    link: Arc<Link>,
) {
    let mut listener = Some(listener);
    let mut connections = JoinSet::new();
    loop {
        let (version, refuse, shutdown) = {
            let s = state.borrow_and_update();
            (s.version, s.active.refuse(), s.shutdown)
        };
        if shutdown {
            break;
        }
        if refuse {
            listener = None;
        } else if listener.is_none() {
            match bind(addr) {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    // The port is briefly unavailable: try again, until shut down.
                    tokio::select! {
                        changed = state.changed() => if changed.is_err() { break },
                        _ = sleep(Duration::from_millis(20)) => {}
                    }
                    continue;
                }
            }
        }
        let _ = applied.send(version);
        while connections.try_join_next().is_some() {}
        tokio::select! {
            changed = state.changed() => if changed.is_err() { break },
            accepted = accept(&listener) => match accepted {
                Ok(stream) => {
                    if connections.len() >= max_connections {
                        add(&link.counters.refused_over_limit, 1);
                        drop(stream);
                    } else {
                        add(&link.counters.accepted, 1);
                        connections.spawn(connection(stream, link.clone(), state.clone()));
                    }
                }
                // Out of descriptors and the like: breathe, then accept again.
                Err(_) => sleep(Duration::from_millis(10)).await,
            }
        }
    }
    drop(listener);
    // Every connection watches the state and closes on shutdown.
    while connections.join_next().await.is_some() {}
}

/// The client sees ECONNRESET: SO_LINGER 0, then close.
fn reset(stream: TcpStream, counters: &Counters) {
    add(&counters.resets, 1);
    let _ = stream.set_zero_linger();
    drop(stream);
}

enum Ending {
    Done,
    Close,
    Reset,
}

/// Reads and drops what `stream` sends; returns when it closes or fails.
async fn drain(stream: &mut TcpStream, counters: &Counters) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => add(&counters.bytes_dropped, n as u64),
        }
    }
}

async fn connection(mut client: TcpStream, link: Arc<Link>, mut state: watch::Receiver<State>) {
    let _ = client.set_nodelay(true);
    let mut saw_black_hole = false;
    // What the faults say about a new connection, before it reaches the dependency.
    loop {
        let s = state.borrow_and_update().clone();
        if s.shutdown || s.active.refuse() {
            return;
        }
        if s.active.reset() {
            return reset(client, &link.counters);
        }
        if s.active.black_hole() {
            saw_black_hole = true;
            tokio::select! {
                changed = state.changed() => if changed.is_err() { return },
                _ = drain(&mut client, &link.counters) => return,
            }
            continue;
        }
        if saw_black_hole {
            add(&link.counters.closed_by_fault, 1);
            return;
        }
        if s.active.partition() {
            if state.changed().await.is_err() {
                return;
            }
            continue;
        }
        break;
    }
    let mut upstream = match timeout(link.connect_timeout, TcpStream::connect(link.upstream)).await
    {
        Ok(Ok(upstream)) => upstream,
        _ => {
            add(&link.counters.upstream_connect_failures, 1);
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let ending = {
        let (client_read, client_write) = client.split();
        let (upstream_read, upstream_write) = upstream.split();
        let (up_state, down_state) = (state.clone(), state.clone());
        let counters = &*link.counters;
        let http = link.http;
        let work = async move {
            if http {
                let _ = http_relay(
                    client_read,
                    client_write,
                    upstream_read,
                    upstream_write,
                    up_state,
                    counters,
                )
                .await;
            } else {
                let _ = tokio::join!(
                    pipe(
                        client_read,
                        upstream_write,
                        Direction::Upstream,
                        up_state,
                        counters
                    ),
                    pipe(
                        upstream_read,
                        client_write,
                        Direction::Downstream,
                        down_state,
                        counters
                    ),
                );
            }
        };
        tokio::pin!(work);
        loop {
            tokio::select! {
                _ = &mut work => break Ending::Done,
                changed = state.changed() => {
                    if changed.is_err() {
                        break Ending::Close;
                    }
                    let s = state.borrow_and_update().clone();
                    if s.shutdown || s.active.refuse() {
                        break Ending::Close;
                    }
                    if s.active.reset() {
                        break Ending::Reset;
                    }
                    if s.active.black_hole() {
                        saw_black_hole = true;
                    } else if saw_black_hole {
                        break Ending::Close;
                    }
                }
            }
        }
    };
    match ending {
        Ending::Done => {}
        Ending::Close => add(&link.counters.closed_by_fault, 1),
        Ending::Reset => reset(client, &link.counters),
    }
}

/// Waits while `state` says data may not move (a partition) or the connection is ending (its
/// supervisor ends it); `None` when the proxy is gone.
async fn wait_passable(state: &mut watch::Receiver<State>) -> Option<Active> {
    match state
        .wait_for(|s| !s.active.partition() && !s.ending())
        .await
    {
        Ok(s) => Some(s.active.clone()),
        Err(_) => None,
    }
}

/// One direction of a byte link.
async fn pipe<R, W>(
    mut src: R,
    mut dst: W,
    flow: Direction,
    state: watch::Receiver<State>,
    counters: &Counters,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::channel::<(Vec<u8>, Instant)>(QUEUE);
    let reader_state = state.clone();
    let reader = async move {
        let mut rng = fastrand::Rng::new();
        let mut last_release = Instant::now();
        loop {
            let mut buf = vec![0u8; CHUNK];
            let n = src.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, io::Error>(());
            }
            buf.truncate(n);
            let active = reader_state.borrow().clone();
            if active.ending() {
                // The supervisor resets or closes this connection: nothing more passes.
                pending::<()>().await;
            }
            if active.active.black_hole() {
                add(&counters.bytes_dropped, n as u64);
                continue;
            }
            let release = (Instant::now() + active.active.delay(flow, &mut rng)).max(last_release);
            last_release = release;
            if tx.send((buf, release)).await.is_err() {
                return Ok(());
            }
        }
    };
    let writer = async move {
        let mut state = state;
        // (rate, start, bytes sent since start) while a bandwidth limit paces this pipe.
        let mut pace: Option<(u64, Instant, u64)> = None;
        while let Some((chunk, release)) = rx.recv().await {
            sleep_until(release).await;
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                let Some(active) = wait_passable(&mut state).await else {
                    return Ok(());
                };
                if active.black_hole() {
                    add(&counters.bytes_dropped, rest.len() as u64);
                    break;
                }
                let Some(rate) = active.bandwidth(flow) else {
                    dst.write_all(rest).await?;
                    pace = None;
                    break;
                };
                let now = Instant::now();
                let (start, sent) = match pace {
                    // Still on schedule at this rate: keep pacing from the same start.
                    Some((r, start, sent)) if r == rate && start + secs(sent, rate) >= now => {
                        (start, sent)
                    }
                    _ => (now, 0),
                };
                // A twentieth of a second's worth at a time, so the pace is smooth.
                let piece = usize::try_from(rate / 20)
                    .unwrap_or(usize::MAX)
                    .clamp(1, rest.len());
                let (now_part, later) = rest.split_at(piece);
                dst.write_all(now_part).await?;
                rest = later;
                let sent = sent + piece as u64;
                pace = Some((rate, start, sent));
                sleep_until(start + secs(sent, rate)).await;
            }
        }
        // The source closed: pass the close on, late under a slow-close fault.
        let delay = state.borrow().active.slow_close();
        if !delay.is_zero() {
            sleep(delay).await;
        }
        dst.shutdown().await
    };
    tokio::try_join!(reader, writer).map(|_| ())
}

fn secs(bytes: u64, rate: u64) -> Duration {
    Duration::from_secs_f64(bytes as f64 / rate.max(1) as f64)
}

/// How an HTTP message's body ends.
enum Body {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

fn header_value<'h>(headers: &'h [httparse::Header<'_>], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn body_of(headers: &[httparse::Header<'_>]) -> Result<Body, io::Error> {
    if let Some(te) = header_value(headers, "transfer-encoding") {
        if String::from_utf8_lossy(te)
            .to_ascii_lowercase()
            .contains("chunked")
        {
            return Ok(Body::Chunked);
        }
    }
    match header_value(headers, "content-length") {
        Some(v) => std::str::from_utf8(v)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(Body::Length)
            .ok_or_else(|| bad("a Content-Length that is not a number")),
        None => Ok(Body::UntilClose),
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Reads into `buf` until it holds a complete head; its length, or `None` at a clean EOF
/// before any byte.
async fn read_head<R: AsyncRead + Unpin>(
    src: &mut R,
    buf: &mut Vec<u8>,
) -> io::Result<Option<usize>> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(i + 4));
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("an HTTP head over 64 KiB"));
        }
        let mut chunk = [0u8; 4096];
        let n = src.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Copies exactly `n` bytes from `buf` (what was read ahead) then `src` to `dst`.
async fn relay_exact<R, W>(src: &mut R, buf: &mut Vec<u8>, dst: &mut W, n: u64) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let from_buf = usize::try_from(n).unwrap_or(usize::MAX).min(buf.len());
    dst.write_all(&buf[..from_buf]).await?;
    buf.drain(..from_buf);
    let mut left = n - from_buf as u64;
    let mut chunk = vec![0u8; CHUNK];
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
        let got = src.read(&mut chunk[..want]).await?;
        if got == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        dst.write_all(&chunk[..got]).await?;
        left -= got as u64;
    }
    Ok(())
}

/// Reads until `buf` holds a CRLF-terminated line; the line's length without CRLF.
async fn read_line<R: AsyncRead + Unpin>(src: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
            return Ok(i);
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("a chunk line over 64 KiB"));
        }
        let mut chunk = [0u8; 1024];
        let n = src.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Relays a chunked body as it comes, chunk by chunk, trailers included.
async fn relay_chunked<R, W>(src: &mut R, buf: &mut Vec<u8>, dst: &mut W) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let line = read_line(src, buf).await?;
        let text = std::str::from_utf8(&buf[..line]).map_err(|_| bad("a chunk size"))?;
        let size = u64::from_str_radix(text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| bad("a chunk size that is not hexadecimal"))?;
        dst.write_all(&buf[..line + 2]).await?;
        buf.drain(..line + 2);
        if size == 0 {
            loop {
                let line = read_line(src, buf).await?;
                dst.write_all(&buf[..line + 2]).await?;
                buf.drain(..line + 2);
                if line == 0 {
                    return Ok(());
                }
            }
        }
        relay_exact(src, buf, dst, size.saturating_add(2)).await?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        429 => "Too Many Requests",
        _ => "Injected Fault",
    }
}

/// An HTTP link: request by request, so a share of them can be answered by the proxy.
async fn http_relay<CR, CW, UR, UW>(
    mut client_read: CR,
    mut client_write: CW,
    mut upstream_read: UR,
    mut upstream_write: UW,
    mut state: watch::Receiver<State>,
    counters: &Counters,
) -> io::Result<()>
where
    CR: AsyncRead + Unpin,
    CW: AsyncWrite + Unpin,
    UR: AsyncRead + Unpin,
    UW: AsyncWrite + Unpin,
{
    let mut rng = fastrand::Rng::new();
    let mut from_client = Vec::new();
    let mut from_upstream = Vec::new();
    loop {
        let Some(head_len) = read_head(&mut client_read, &mut from_client).await? else {
            return Ok(());
        };
        let (body, close, is_head) = {
            let mut headers = [httparse::EMPTY_HEADER; 100];
            let mut request = httparse::Request::new(&mut headers);
            request
                .parse(&from_client[..head_len])
                .map_err(|_| bad("an HTTP request head"))?;
            let close = header_value(request.headers, "connection")
                .is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
                || request.version == Some(0);
            let body = match body_of(request.headers)? {
                Body::UntilClose => Body::None,
                other => other,
            };
            (body, close, request.method == Some("HEAD"))
        };
        // Black holes and partitions hold the request; the supervisor ends the connection
        // when a black hole ends.
        let active = match state
            .wait_for(|s| !s.active.partition() && !s.active.black_hole() && !s.ending())
            .await
        {
            Ok(s) => s.active.clone(),
            Err(_) => return Ok(()),
        };
        let inject = active
            .http_error()
            .is_some_and(|(_, share)| rng.f64() < share);
        if inject {
            // Consume the request without passing it on, then answer for the dependency.
            let mut sink = tokio::io::sink();
            match body {
                Body::Length(n) => {
                    from_client.drain(..head_len);
                    relay_exact(&mut client_read, &mut from_client, &mut sink, n).await?;
                }
                Body::Chunked => {
                    from_client.drain(..head_len);
                    relay_chunked(&mut client_read, &mut from_client, &mut sink).await?;
                }
                Body::None | Body::UntilClose => {
                    from_client.drain(..head_len);
                }
            }
            let (status, _) = active.http_error().unwrap_or((503, 1.0));
            add(&counters.http_errors_injected, 1);
            let text = format!("gonogo fault: injected {status}\n");
            let response = format!(
                "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n{}\r\n{}",
                reason(status),
                text.len(),
                if close { "connection: close\r\n" } else { "" },
                if is_head { "" } else { &text }
            );
            client_write.write_all(response.as_bytes()).await?;
            if close {
                return client_write.shutdown().await;
            }
            continue;
        }
        upstream_write.write_all(&from_client[..head_len]).await?;
        from_client.drain(..head_len);
        match body {
            Body::Length(n) => {
                relay_exact(&mut client_read, &mut from_client, &mut upstream_write, n).await?
            }
            Body::Chunked => {
                relay_chunked(&mut client_read, &mut from_client, &mut upstream_write).await?
            }
            Body::None | Body::UntilClose => {}
        }
        // The response, after the active latency.
        let Some(head_len) = read_head(&mut upstream_read, &mut from_upstream).await? else {
            return Ok(());
        };
        let (body, upstream_close) = {
            let mut headers = [httparse::EMPTY_HEADER; 100];
            let mut response = httparse::Response::new(&mut headers);
            response
                .parse(&from_upstream[..head_len])
                .map_err(|_| bad("an HTTP response head"))?;
            let status = response.code.unwrap_or(0);
            let close = header_value(response.headers, "connection")
                .is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
            let body = if is_head || (100..200).contains(&status) || status == 204 || status == 304
            {
                Body::None
            } else {
                body_of(response.headers)?
            };
            (body, close)
        };
        let delay = state.borrow().active.delay(Direction::Downstream, &mut rng);
        sleep(delay).await;
        client_write.write_all(&from_upstream[..head_len]).await?;
        from_upstream.drain(..head_len);
        match body {
            Body::None => {}
            Body::Length(n) => {
                relay_exact(&mut upstream_read, &mut from_upstream, &mut client_write, n).await?
            }
            Body::Chunked => {
                relay_chunked(&mut upstream_read, &mut from_upstream, &mut client_write).await?
            }
            Body::UntilClose => {
                client_write.write_all(&from_upstream).await?;
                from_upstream.clear();
                tokio::io::copy(&mut upstream_read, &mut client_write).await?;
                return client_write.shutdown().await;
            }
        }
        if close || upstream_close {
            return client_write.shutdown().await;
        }
    }
}
