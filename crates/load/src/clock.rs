//! Distributed runs: the start barrier (`--start-at`) and the clock-offset estimate each
//! segment records, so that a judgement can warn when the machines' clocks disagree.
//!
//! The estimate asks the target for its HTTP `Date` header (one `HEAD` request on loopback or
//! an allowed host, bounded by the connect timeout, 3 s of reading and 16 KiB). `Date` has one-second
//! resolution, so the estimate is good to about ±0.5 s plus half the round trip: enough to see
//! a machine whose clock is seconds off (which would start its schedule seconds late), not
//! to correct it. Without an HTTP target or a `Date`, the offset is unknown.

use std::io::{Read as _, Write as _};
use std::time::{Duration, SystemTime};

use crate::engine::LoadConfig;
use crate::target::Scheme;

/// The most response bytes read for the `Date` header.
const MAX_HEAD: usize = 16 * 1024;

/// This machine's clock minus the target's (`Date`), in milliseconds; `None` when unknown.
pub fn offset_ms(config: &LoadConfig) -> Option<f64> {
    if config.target.scheme != Scheme::Http {
        return None;
    }
    let address = config.addresses.first()?;
    let timeout = config.connect_timeout.min(Duration::from_secs(2));
    let mut stream = std::net::TcpStream::connect_timeout(address, timeout).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let request = format!(
        "HEAD {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gonogo/{}\r\nConnection: close\r\n\r\n",
        config.target.path_and_query,
        config.target.authority,
        env!("CARGO_PKG_VERSION")
    );
    let sent = SystemTime::now();
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 2048];
    // Bounded in bytes and in time: a server dripping its head gets 3 s in all.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while head.len() < MAX_HEAD && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        let n = stream.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..n]);
    }
    let received = SystemTime::now();
    let date = date_header(&head)?;
    let local_mid = seconds(sent) + (seconds(received) - seconds(sent)) / 2.0;
    // `Date` truncates to the second: the server's time was within [date, date + 1 s).
    let server = date.as_nanosecond() as f64 / 1e9 + 0.5;
    Some(((local_mid - server) * 1000.0).round())
}

fn seconds(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The `Date` header of a response head, parsed as RFC 9110's IMF-fixdate.
fn date_header(head: &[u8]) -> Option<jiff::Timestamp> {
    let text = std::str::from_utf8(head).ok()?;
    let end = text.find("\r\n\r\n").unwrap_or(text.len());
    text[..end].split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("date") {
            return None;
        }
        jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(value.trim())
            .ok()
    })
}

/// Why `--start-at` was refused.
pub fn check_start(at: jiff::Timestamp, now: jiff::Timestamp) -> Result<Duration, String> {
    let ahead = at.as_nanosecond() - now.as_nanosecond();
    let past_tolerance = crate::cli::START_AT_PAST_TOLERANCE;
    let max_ahead = crate::cli::START_AT_MAX_AHEAD;
    if ahead < -(past_tolerance.as_nanos() as i128) {
        return Err(format!(
            "--start-at {at} was {:.1} s ago (more than {} s in the past): give an instant ahead, the same for every segment",
            -ahead as f64 / 1e9,
            past_tolerance.as_secs()
        ));
    }
    if ahead > max_ahead.as_nanos() as i128 {
        return Err(format!(
            "--start-at {at} is {:.0} s ahead, more than {} s: a start barrier waits minutes, not hours",
            ahead as f64 / 1e9,
            max_ahead.as_secs()
        ));
    }
    Ok(Duration::from_nanos(ahead.max(0) as u64))
}

/// Waits until the wall clock reaches `at` (checked with [`check_start`] first). Returns
/// `false` when Ctrl-C (or, under `gonogo run`, a stop request) ended the wait.
pub fn wait_until(at: jiff::Timestamp) -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(async {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            // Re-read the wall clock each step: it may be adjusted while we wait.
            let now = jiff::Timestamp::now();
            let left = at.as_nanosecond() - now.as_nanosecond();
            if left <= 0 {
                return true;
            }
            if gonogo_io::signals::stop_requested().is_some() {
                return false;
            }
            let step = Duration::from_nanos(left.min(100_000_000) as u64);
            tokio::select! {
                _ = &mut ctrl_c => return false,
                () = tokio::time::sleep(step) => {}
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_header_is_read_case_insensitively() {
        let head =
            b"HTTP/1.1 200 OK\r\nServer: nginx\r\ndate: Sun, 06 Dec 2026 10:00:00 GMT\r\n\r\n";
        assert_eq!(
            date_header(head),
            Some("2026-12-06T10:00:00Z".parse().unwrap())
        );
        assert_eq!(date_header(b"HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(
            date_header(b"HTTP/1.1 200 OK\r\nDate: yesterday\r\n\r\n"),
            None
        );
    }

    #[derive(clap::Parser)]
    struct Command {
        #[command(flatten)]
        args: crate::cli::LoadArgs,
    }

    /// A loopback server that answers one connection with `reply` (then `drip` a byte every
    /// 200 ms for up to 10 s); the config of a load against it.
    fn config_against(reply: String, drip: bool) -> LoadConfig {
        use clap::Parser as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(reply.as_bytes());
            for _ in 0..50 {
                if !drip || stream.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let args = Command::try_parse_from(["load", url.as_str(), "--rate", "1"])
            .unwrap()
            .args;
        crate::cli::build_config(&args).unwrap()
    }

    #[test]
    fn the_offset_is_read_from_the_targets_date() {
        // The target's clock is 10 s ahead of ours: our offset is about -10 s (±0.5 s of
        // resolution, and the round trip).
        let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(10);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&ahead)
            .unwrap();
        let config = config_against(format!("HTTP/1.1 200 OK\r\nDate: {date}\r\n\r\n"), false);
        let offset = offset_ms(&config).unwrap();
        assert!((-11_000.0..=-9_000.0).contains(&offset), "{offset}");
    }

    #[test]
    fn a_target_that_drips_its_head_is_given_up_on_in_bounded_time() {
        let config = config_against("HTTP/1.1 200 OK\r\n".to_owned(), true);
        let started = std::time::Instant::now();
        assert_eq!(offset_ms(&config), None);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn start_times_too_far_back_or_ahead_are_refused() {
        let now: jiff::Timestamp = "2026-12-06T10:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(
            check_start(at("2026-12-06T10:00:30Z"), now),
            Ok(Duration::from_secs(30))
        );
        assert_eq!(
            check_start(at("2026-12-06T09:59:58Z"), now),
            Ok(Duration::ZERO)
        );
        assert!(
            check_start(at("2026-12-06T09:59:00Z"), now)
                .unwrap_err()
                .contains("60.0 s ago")
        );
        assert!(
            check_start(at("2026-12-06T12:00:00Z"), now)
                .unwrap_err()
                .contains("7200 s ahead")
        );
    }
}
