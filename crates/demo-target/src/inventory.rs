//! The demo shop's dependency: a small "inventory" service on loopback that `GET /api/stock`
//! asks, and the circuit breaker the hardened mode puts in front of it.
//!
//! The inventory speaks one line each way over TCP (`STOCK <sku>\n` -> `<count>\n`), a new
//! connection per question, so a resilience drill's proxy (`[[fault]]`, docs/drills.md) can
//! sit between the shop and it: [`crate::DemoConfig::inventory_via`] points the shop at the
//! proxy, the proxy at [`crate::DemoServer::inventory_address`].
//!
//! - Weak mode asks with no timeout and no breaker: a slow inventory makes every request slow,
//!   a black hole hangs requests until the connection dies, and each failure is a 500 page
//!   with a stack trace; `/readyz` stays 200 throughout.
//! - Hardened mode asks within [`CALL_TIMEOUT`] through a [`Breaker`] (closed -> open after
//!   [`FAILURE_THRESHOLD`] failures in a row -> half-open after [`OPEN_FOR`], one trial ->
//!   closed or open again); while the inventory fails it answers from the last known count
//!   (`"source": "cache"`), and `/readyz` says not ready while the breaker is not closed.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// Hardened mode: how long one question to the inventory may take, connection included.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(150);
/// Hardened mode: failures in a row that open the breaker.
pub const FAILURE_THRESHOLD: u32 = 5;
/// Hardened mode: how long the breaker stays open before it lets one trial through.
pub const OPEN_FOR: Duration = Duration::from_millis(300);

/// Connections the inventory serves at once; more are closed at accept.
const MAX_CONNECTIONS: usize = 256;
/// A question or an answer is one short line.
const MAX_LINE: u64 = 64;
/// The count the inventory answers for every item.
pub const STOCK: u64 = 42;

/// The inventory service: a listener thread on `127.0.0.1:<ephemeral>` and one thread per
/// connection (at most [`MAX_CONNECTIONS`], each with a 5 s read timeout). Dropping it stops
/// the listener.
pub struct Inventory {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Inventory {
    pub fn start() -> std::io::Result<Inventory> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name("gonogo-demo-inventory".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
                            open.fetch_sub(1, Ordering::AcqRel);
                            continue;
                        }
                        let done = Arc::clone(&open);
                        let spawned = std::thread::Builder::new()
                            .name("gonogo-demo-inventory-conn".into())
                            .spawn(move || {
                                let _ = answer(stream);
                                done.fetch_sub(1, Ordering::AcqRel);
                            });
                        if spawned.is_err() {
                            // The thread never ran, nor its decrement.
                            open.fetch_sub(1, Ordering::AcqRel);
                        }
                    }
                }
            })?;
        Ok(Inventory {
            address,
            stop,
            thread: Some(thread),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for Inventory {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the listener's blocking accept so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers `STOCK <sku>` lines on one connection until it closes.
fn answer(stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if std::io::Read::take(&mut reader, MAX_LINE).read_line(&mut line)? == 0 {
            return Ok(());
        }
        let answer = match line.trim_end().strip_prefix("STOCK ") {
            Some(sku) if !sku.is_empty() => format!("{STOCK}\n"),
            _ => "ERR unknown command\n".to_owned(),
        };
        writer.write_all(answer.as_bytes())?;
    }
}

/// Asks the inventory at `address` for `sku`'s count over a new connection. No timeout of its
/// own: the caller bounds it (hardened) or does not (weak).
pub async fn ask(address: SocketAddr, sku: &str) -> std::io::Result<u64> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream
        .write_all(format!("STOCK {sku}\n").as_bytes())
        .await?;
    let mut line = String::new();
    let read = tokio::io::BufReader::new(stream)
        .take(MAX_LINE)
        .read_line(&mut line)
        .await?;
    if read == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the inventory closed the connection without an answer",
        ));
    }
    line.trim_end().parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the inventory answered {:?}", line.trim_end()),
        )
    })
}

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls pass; `failures` in a row so far.
    Closed { failures: u32 },
    /// Calls are refused until `until`.
    Open { until: Instant },
    /// One trial call is under way; others are refused until it ends.
    HalfOpen,
}

impl BreakerState {
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed { .. } => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// A circuit breaker: closed -> open after `threshold` failures in a row; open -> half-open
/// when `open_for` has passed and a call asks; half-open -> closed when its one trial succeeds,
/// open again when it fails. The clock is the caller's (`now`), so the state machine is tested
/// without waiting.
#[derive(Debug)]
pub struct Breaker {
    state: std::sync::Mutex<BreakerState>,
    threshold: u32,
    open_for: Duration,
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Breaker {
        Breaker {
            state: std::sync::Mutex::new(BreakerState::Closed { failures: 0 }),
            threshold: threshold.max(1),
            open_for,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn state(&self) -> BreakerState {
        *self.lock()
    }

    /// Whether a call may go to the dependency now. An open breaker whose time is up lets this
    /// call through as the half-open trial.
    pub fn permit(&self, now: Instant) -> bool {
        let mut state = self.lock();
        match *state {
            BreakerState::Closed { .. } => true,
            BreakerState::Open { until } if now >= until => {
                *state = BreakerState::HalfOpen;
                true
            }
            BreakerState::Open { .. } | BreakerState::HalfOpen => false,
        }
    }

    /// A permitted call succeeded.
    pub fn success(&self) {
        *self.lock() = BreakerState::Closed { failures: 0 };
    }

    /// A permitted call failed at `now`.
    pub fn failure(&self, now: Instant) {
        let mut state = self.lock();
        *state = match *state {
            BreakerState::Closed { failures } if failures + 1 < self.threshold => {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
            _ => BreakerState::Open {
                until: now + self.open_for,
            },
        };
    }

    /// Readiness: only a closed breaker is ready.
    pub fn is_closed(&self) -> bool {
        matches!(*self.lock(), BreakerState::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let breaker = Breaker::new(3, Duration::from_millis(300));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Closed: failures below the threshold keep it closed; a success resets the count.
        assert!(breaker.permit(at(0)));
        breaker.failure(at(0));
        breaker.failure(at(1));
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 2 });
        breaker.success();
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
        // Three in a row open it: calls are refused until 300 ms later.
        for ms in 10..13 {
            assert!(breaker.permit(at(ms)));
            breaker.failure(at(ms));
        }
        assert_eq!(breaker.state(), BreakerState::Open { until: at(312) });
        assert!(!breaker.is_closed());
        assert!(!breaker.permit(at(100)));
        assert!(!breaker.permit(at(311)));
        // Time is up: one trial goes through (half-open), the next call is refused meanwhile.
        assert!(breaker.permit(at(312)));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!breaker.permit(at(313)));
        // The trial fails: open again for another 300 ms.
        breaker.failure(at(320));
        assert_eq!(breaker.state(), BreakerState::Open { until: at(620) });
        assert!(!breaker.permit(at(619)));
        // The next trial succeeds: closed, and calls pass.
        assert!(breaker.permit(at(620)));
        breaker.success();
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
        assert!(breaker.is_closed());
        assert!(breaker.permit(at(621)));
    }

    #[test]
    fn inventory_answers_over_loopback_and_refuses_nonsense() {
        let inventory = Inventory::start().expect("bind loopback");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let count = runtime
            .block_on(ask(inventory.address(), "widget"))
            .expect("an answer");
        assert_eq!(count, STOCK);
        // A question it does not know is an error at the client, not a number.
        let mut stream = TcpStream::connect(inventory.address()).expect("connect");
        stream.write_all(b"PRICE widget\n").expect("write");
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).expect("read");
        assert_eq!(line, "ERR unknown command\n");
        let address = inventory.address();
        drop(inventory);
        // Stopped: nothing answers any more.
        assert!(runtime.block_on(ask(address, "widget")).is_err());
    }
}
