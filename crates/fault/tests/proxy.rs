//! Each fault's effect measured at a real client of a real dependency through the proxy:
//! redis-server (a hand-written RESP client), PostgreSQL (the `postgres` crate) and nginx
//! (HTTP/1.1). Baselines are measured in the same test, through the same proxy, without the
//! fault; the proxy's `apply` returns once the change is in force, so no test sleeps to wait.

mod support;

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use gonogo_fault::drill::{self, Event};
use gonogo_fault::{Direction, FaultKind, LinkConfig, Proxy, ProxyError, Step, Timeline};
use support::*;

fn latency(ms: u64, jitter_ms: u64, direction: Direction) -> FaultKind {
    FaultKind::Latency {
        latency: Duration::from_millis(ms),
        jitter: Duration::from_millis(jitter_ms),
        direction,
    }
}

#[test]
fn a_200ms_latency_adds_200ms_to_a_redis_ping() {
    let Some(redis) = Redis::start("a_200ms_latency_adds_200ms_to_a_redis_ping") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let mut client = RedisClient::connect(proxy.local_addr()).unwrap();
    let baseline = median((0..9).map(|_| client.ping()).collect());
    apply(&rt, &proxy, vec![latency(200, 0, Direction::Downstream)]);
    let slow = median((0..7).map(|_| client.ping()).collect());
    let added = slow.saturating_sub(baseline).as_secs_f64() * 1000.0;
    assert!(
        (190.0..=210.0).contains(&added),
        "added {added:.1} ms (baseline {baseline:?}, with the fault {slow:?})"
    );
    // Both directions: the delay is paid twice per round trip.
    apply(&rt, &proxy, vec![latency(100, 0, Direction::Both)]);
    let both = median((0..5).map(|_| client.ping()).collect());
    let added = both.saturating_sub(baseline).as_secs_f64() * 1000.0;
    assert!((190.0..=215.0).contains(&added), "both ways: {added:.1} ms");
    // Cleared: back to the baseline on the same connection.
    rt.block_on(proxy.clear()).unwrap();
    let after = median((0..9).map(|_| client.ping()).collect());
    assert!(
        after < baseline + Duration::from_millis(10),
        "{after:?} vs {baseline:?}"
    );
}

#[test]
fn jitter_spreads_round_trips_around_the_latency() {
    let Some(redis) = Redis::start("jitter_spreads_round_trips_around_the_latency") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let mut client = RedisClient::connect(proxy.local_addr()).unwrap();
    apply(&rt, &proxy, vec![latency(100, 60, Direction::Downstream)]);
    let samples: Vec<f64> = (0..20)
        .map(|_| client.ping().as_secs_f64() * 1000.0)
        .collect();
    let min = samples.iter().cloned().fold(f64::MAX, f64::min);
    let max = samples.iter().cloned().fold(0.0, f64::max);
    assert!(min >= 39.0, "{samples:?}");
    // 160 ms at most, plus the round trip and scheduling on a busy machine.
    assert!(max <= 200.0, "{samples:?}");
    // Uniform in 40..160: 20 samples all in one half has probability 2 * 2^-20.
    assert!(min < 100.0 && max > 100.0, "spread both ways: {samples:?}");
}

#[test]
fn postgres_queries_pay_the_latency_once_per_round_trip() {
    let Some(pg) = Postgres::start("postgres_queries_pay_the_latency_once_per_round_trip") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, pg.address(), false);
    let url = format!(
        "postgres://gonogo@127.0.0.1:{}/postgres?connect_timeout=5",
        proxy.local_addr().port()
    );
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // The simple query protocol: one round trip per query.
    let query = |client: &mut postgres::Client| {
        let start = Instant::now();
        let rows = client.simple_query("SELECT 41 + 1").unwrap();
        let value = rows.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        });
        assert_eq!(value.as_deref(), Some("42"));
        start.elapsed()
    };
    let baseline = median((0..9).map(|_| query(&mut client)).collect());
    apply(&rt, &proxy, vec![latency(100, 0, Direction::Upstream)]);
    let slow = median((0..5).map(|_| query(&mut client)).collect());
    let added = slow.saturating_sub(baseline).as_secs_f64() * 1000.0;
    assert!((90.0..=112.0).contains(&added), "added {added:.1} ms");

    // Reset: the open connection fails with ECONNRESET at the client.
    apply(&rt, &proxy, vec![FaultKind::Reset]);
    let error = client.simple_query("SELECT 1").unwrap_err();
    let io = std::error::Error::source(&error)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(|e| e.kind());
    assert_eq!(io, Some(ErrorKind::ConnectionReset), "{error:?}");

    // Refused: the client's connect fails with ECONNREFUSED.
    apply(&rt, &proxy, vec![FaultKind::Refuse]);
    let Err(error) = postgres::Client::connect(&url, postgres::NoTls) else {
        panic!("connected through a refusing proxy");
    };
    let io = std::error::Error::source(&error)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(|e| e.kind());
    assert_eq!(io, Some(ErrorKind::ConnectionRefused), "{error:?}");

    // A black hole: the startup never gets an answer (the sync client's connect_timeout
    // covers the TCP connect only, which succeeds); when the hole closes, so does the
    // connection, and the client sees an error instead of hanging on.
    apply(&rt, &proxy, vec![FaultKind::BlackHole]);
    let (tx, rx) = std::sync::mpsc::channel();
    let hole_url = url.clone();
    let waiter = std::thread::spawn(move || {
        let connected = postgres::Client::connect(&hole_url, postgres::NoTls).map(|_| ());
        let _ = tx.send(connected.map_err(|e| e.to_string()));
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(500)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout),
        "no answer from a black hole"
    );
    rt.block_on(proxy.clear()).unwrap();
    let ended = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(ended.is_err(), "{ended:?}");
    waiter.join().unwrap();

    // Restored: a new connection works.
    rt.block_on(proxy.clear()).unwrap();
    let mut again = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    assert!(query(&mut again) < Duration::from_secs(1));
}

#[test]
fn reset_gives_econnreset_to_open_and_new_connections() {
    let Some(redis) = Redis::start("reset_gives_econnreset_to_open_and_new_connections") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let mut open = RedisClient::connect(proxy.local_addr()).unwrap();
    open.ping();
    apply(&rt, &proxy, vec![FaultKind::Reset]);
    let error = open.command("PING").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
    // A new connection is accepted, then reset (before or after the client's first write).
    let error = RedisClient::connect(proxy.local_addr())
        .and_then(|mut fresh| fresh.command("PING"))
        .expect_err("a connection during a reset fault must fail");
    assert!(
        matches!(
            error.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{error}"
    );
    rt.block_on(proxy.clear()).unwrap();
    RedisClient::connect(proxy.local_addr()).unwrap().ping();
    assert!(gonogo_fault::proxy::Counters::get(&proxy.counters().resets) >= 2);
}

#[test]
fn refuse_gives_econnrefused_and_the_port_comes_back() {
    let Some(redis) = Redis::start("refuse_gives_econnrefused_and_the_port_comes_back") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let mut open = RedisClient::connect(proxy.local_addr()).unwrap();
    open.ping();
    apply(&rt, &proxy, vec![FaultKind::Refuse]);
    let error = TcpStream::connect(proxy.local_addr()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
    // The open connection is closed (EOF or reset, never an answer).
    assert!(open.command("PING").is_err());
    rt.block_on(proxy.clear()).unwrap();
    let mut back = RedisClient::connect(proxy.local_addr()).unwrap();
    back.ping();
}

#[test]
fn a_black_hole_makes_a_redis_client_time_out_at_its_own_timeout() {
    let Some(redis) = Redis::start("a_black_hole_makes_a_redis_client_time_out") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let mut client = RedisClient::connect(proxy.local_addr()).unwrap();
    client.ping();
    apply(&rt, &proxy, vec![FaultKind::BlackHole]);
    client
        .stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let start = Instant::now();
    let error = client.command("PING").unwrap_err();
    let waited = start.elapsed();
    assert!(
        matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{error}"
    );
    assert!(
        waited >= Duration::from_millis(295) && waited < Duration::from_millis(400),
        "{waited:?}"
    );
    assert!(gonogo_fault::proxy::Counters::get(&proxy.counters().bytes_dropped) >= 6);
    // When the hole closes, the connection that fell in is closed; new ones work.
    rt.block_on(proxy.clear()).unwrap();
    client
        .stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(
        client.read_line().is_err(),
        "the black-holed connection ends"
    );
    RedisClient::connect(proxy.local_addr()).unwrap().ping();
}

#[test]
fn a_partition_holds_data_and_delivers_it_when_it_heals() {
    let Some(redis) = Redis::start("a_partition_holds_data_and_delivers_it_when_it_heals") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let mut client = RedisClient::connect(proxy.local_addr()).unwrap();
    client.ping();
    apply(&rt, &proxy, vec![FaultKind::Partition]);
    client
        .stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    client.stream.write_all(b"INCR drill\r\n").unwrap();
    let error = client.read_line().unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    // Nothing reached Redis during the partition: a direct client sees no key.
    let mut direct = RedisClient::connect(redis.addr()).unwrap();
    assert_eq!(direct.command("EXISTS drill").unwrap(), ":0");
    rt.block_on(proxy.clear()).unwrap();
    client
        .stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(
        client.read_line().unwrap(),
        ":1",
        "the held command arrives"
    );
    client.ping();
}

#[test]
fn a_slow_close_delays_the_close_not_the_data() {
    let Some(redis) = Redis::start("a_slow_close_delays_the_close_not_the_data") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let quit_then_eof = |proxy: &Proxy| {
        let mut client = RedisClient::connect(proxy.local_addr()).unwrap();
        let start = Instant::now();
        assert_eq!(client.command("QUIT").unwrap(), "+OK");
        let answered = start.elapsed();
        let mut rest = Vec::new();
        client.stream.read_to_end(&mut rest).unwrap();
        (answered, start.elapsed())
    };
    let (_, plain_close) = quit_then_eof(&proxy);
    apply(
        &rt,
        &proxy,
        vec![FaultKind::SlowClose {
            delay: Duration::from_millis(400),
        }],
    );
    let (answered, closed) = quit_then_eof(&proxy);
    assert!(answered < Duration::from_millis(100), "{answered:?}");
    // The close waits the whole delay (a lower bound on the clock, not on a difference with
    // the plain close, whose own time varies with the machine's load: CI saw 380 ms "added"
    // after a 20 ms plain close), and not much more than it beyond the plain close.
    assert!(
        closed >= Duration::from_millis(400),
        "closed after {closed:?}, before the 400 ms delay"
    );
    let added = closed.saturating_sub(plain_close).as_secs_f64() * 1000.0;
    assert!(added <= 550.0, "close delayed {added:.1} ms");
}

#[test]
fn a_bandwidth_limit_paces_an_nginx_download() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let Some(nginx) = nginx(
        "a_bandwidth_limit_paces_an_nginx_download",
        &[("blob", body.clone())],
    ) else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, nginx.address(), false);
    let mut stream = TcpStream::connect(proxy.local_addr()).unwrap();
    let start = Instant::now();
    let (status, got) = http_get(&mut stream, "/blob").unwrap();
    let baseline = start.elapsed();
    assert_eq!((status, got.len()), (200, body.len()));
    assert!(baseline < Duration::from_millis(300), "{baseline:?}");
    apply(
        &rt,
        &proxy,
        vec![FaultKind::Bandwidth {
            bytes_per_second: 100_000,
            direction: Direction::Downstream,
        }],
    );
    let start = Instant::now();
    let (status, got) = http_get(&mut stream, "/blob").unwrap();
    let limited = start.elapsed().as_secs_f64();
    assert_eq!(status, 200);
    assert!(got == body, "the bytes pass unchanged");
    // ~200 KB (and the head) at 100 KB/s: 2 s.
    assert!((1.9..=2.2).contains(&limited), "{limited:.3} s");
}

#[test]
fn http_errors_answer_a_share_of_requests_for_nginx() {
    let Some(nginx) = nginx(
        "http_errors_answer_a_share_of_requests_for_nginx",
        &[("index.html", b"hello\n".to_vec())],
    ) else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, nginx.address(), true);
    let mut stream = TcpStream::connect(proxy.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for _ in 0..5 {
        assert_eq!(
            http_get(&mut stream, "/index.html").unwrap(),
            (200, b"hello\n".to_vec())
        );
    }
    apply(
        &rt,
        &proxy,
        vec![FaultKind::HttpError {
            status: 503,
            share: 0.5,
        }],
    );
    let mut errors = 0;
    for _ in 0..400 {
        match http_get(&mut stream, "/index.html").unwrap() {
            (503, body) => {
                assert!(String::from_utf8_lossy(&body).contains("injected 503"));
                errors += 1;
            }
            (200, body) => assert_eq!(body, b"hello\n"),
            other => panic!("{other:?}"),
        }
    }
    // Binomial(400, 0.5): 200 ± 20 is about 2 standard deviations; 150..=250 is 5.
    assert!((150..=250).contains(&errors), "{errors} of 400");
    assert_eq!(
        gonogo_fault::proxy::Counters::get(&proxy.counters().http_errors_injected),
        errors
    );
    apply(
        &rt,
        &proxy,
        vec![FaultKind::HttpError {
            status: 500,
            share: 1.0,
        }],
    );
    assert_eq!(http_get(&mut stream, "/index.html").unwrap().0, 500);
    // Latency on an HTTP link delays each response.
    apply(&rt, &proxy, vec![latency(150, 0, Direction::Downstream)]);
    let start = Instant::now();
    assert_eq!(http_get(&mut stream, "/index.html").unwrap().0, 200);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_millis(250),
        "{waited:?}"
    );
    // HTTP-only and byte-only faults are refused on the wrong link.
    let bandwidth = FaultKind::Bandwidth {
        bytes_per_second: 10,
        direction: Direction::Both,
    };
    assert!(matches!(
        rt.block_on(proxy.apply(vec![bandwidth])),
        Err(ProxyError::NotOnHttp("bandwidth"))
    ));
}

#[test]
fn the_proxy_listens_on_loopback_only() {
    let rt = runtime();
    let config = LinkConfig::new("0.0.0.0:0".parse().unwrap(), "127.0.0.1:9".parse().unwrap());
    assert!(matches!(
        rt.block_on(Proxy::start(config)),
        Err(ProxyError::NotLoopback(_))
    ));
    let proxy = proxy(&rt, "127.0.0.1:9".parse().unwrap(), false);
    assert!(proxy.local_addr().ip().is_loopback());
    assert!(matches!(
        rt.block_on(proxy.apply(vec![FaultKind::HttpError {
            status: 503,
            share: 1.0
        }])),
        Err(ProxyError::NeedsHttp("http-error"))
    ));
}

fn step(name: &str, start_ms: u64, ms: u64, kind: FaultKind) -> Step {
    Step {
        name: name.into(),
        start: Duration::from_millis(start_ms),
        duration: Duration::from_millis(ms),
        kind,
    }
}

#[test]
fn a_drill_follows_its_timeline_and_restores_the_link_at_its_hard_end() {
    let Some(redis) = Redis::start("a_drill_follows_its_timeline") else {
        return;
    };
    let rt = runtime();
    let proxy = proxy(&rt, redis.addr(), false);
    let timeline = Timeline::new(
        vec![
            step(
                "redis-slow",
                200,
                600,
                latency(150, 0, Direction::Downstream),
            ),
            step("redis-down", 1000, 400, FaultKind::Refuse),
        ],
        Duration::from_millis(1600),
    )
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let handle = rt.spawn({
        let timeline = timeline.clone();
        async move {
            let report = drill::run(&proxy, &timeline, || false, Some(tx)).await;
            (proxy, report)
        }
    });
    assert_eq!(
        rx.blocking_recv(),
        Some(Event::Started {
            name: "redis-slow".into()
        })
    );
    let (proxy, report) = rt.block_on(handle).unwrap();
    let report = report.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1600) && elapsed < Duration::from_millis(1900),
        "{elapsed:?}"
    );
    assert!(!report.interrupted);
    let phases: Vec<(&str, u128, u128)> = report
        .phases
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                (p.started - report.started).as_millis(),
                (p.ended - p.started).as_millis(),
            )
        })
        .collect();
    assert_eq!(phases.len(), 2, "{phases:?}");
    for ((name, at, lasted), (want_name, want_at, want_len)) in phases
        .iter()
        .zip([("redis-slow", 200, 600), ("redis-down", 1000, 400)])
    {
        assert_eq!(*name, want_name);
        assert!(at.abs_diff(want_at) <= 30, "{phases:?}");
        assert!(lasted.abs_diff(want_len) <= 30, "{phases:?}");
    }
    // After the hard end: no fault left.
    let mut client = RedisClient::connect(proxy.local_addr()).unwrap();
    assert!(client.ping() < Duration::from_millis(100));
    rt.block_on(proxy.shutdown());
}

#[test]
fn a_stop_request_ends_a_drill_at_once_and_restores_the_link() {
    let Some(redis) = Redis::start("a_stop_request_ends_a_drill_at_once") else {
        return;
    };
    let rt = runtime();
    let proxy = std::sync::Arc::new(proxy(&rt, redis.addr(), false));
    let timeline = Timeline::new(
        vec![step("redis-down", 0, 60_000, FaultKind::Refuse)],
        Duration::from_secs(60),
    )
    .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = rt.spawn({
        let (proxy, stop) = (proxy.clone(), stop.clone());
        async move {
            drill::run(
                &proxy,
                &timeline,
                move || stop.load(std::sync::atomic::Ordering::SeqCst),
                Some(tx),
            )
            .await
        }
    });
    assert_eq!(
        rx.blocking_recv(),
        Some(Event::Started {
            name: "redis-down".into()
        })
    );
    assert_eq!(
        TcpStream::connect(proxy.local_addr()).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    let asked = Instant::now();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let report = rt.block_on(handle).unwrap().unwrap();
    assert!(report.interrupted);
    assert!(asked.elapsed() < Duration::from_millis(200));
    assert_eq!(report.phases.len(), 1);
    RedisClient::connect(proxy.local_addr()).unwrap().ping();
}
