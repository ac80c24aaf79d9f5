//! Ports on loopback: a free one for a server that needs its port in its configuration, and
//! readiness by polling with a deadline (never a sleep standing in for it).

use std::net::{SocketAddr, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (free when asked: the server started on it binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until 127.0.0.1:`port` accepts a connection, polling every 20 ms for at most
/// `limit`. Panics naming `what` when the time is up, or at once when `child` (the server)
/// has exited.
#[track_caller]
pub fn wait_listening(port: u16, child: Option<&mut Child>, what: &str, limit: Duration) {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + limit;
    let mut child = child;
    loop {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Some(child) = child.as_deref_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            panic!("{what} exited with {status} before listening on {address}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {address} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `limit`; panics naming
/// `what` when the time is up.
#[track_caller]
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} ({limit:?})"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_port_is_ready_and_a_closed_one_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        wait_listening(port, None, "the listener", Duration::from_secs(5));
        drop(listener);
        let closed = free_port();
        let started = Instant::now();
        let failed = std::panic::catch_unwind(|| {
            wait_listening(closed, None, "nothing", Duration::from_millis(300))
        });
        let message = *failed.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("nothing did not listen"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_server_that_exits_is_reported_at_once() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .unwrap();
        let port = free_port();
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_listening(port, Some(&mut child), "sh", Duration::from_secs(30))
        }));
        let message = *failed.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("sh exited with"), "{message}");
    }

    #[test]
    fn wait_for_returns_the_first_answer() {
        let mut calls = 0;
        let value = wait_for("the third call", Duration::from_secs(5), || {
            calls += 1;
            (calls == 3).then_some(calls)
        });
        assert_eq!(value, 3);
    }
}
