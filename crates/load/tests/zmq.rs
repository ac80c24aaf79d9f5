//! Integration test of `zmq+tcp://` targets against a real ZeroMQ REP server: a pyzmq (libzmq)
//! process the test starts on 127.0.0.1 with a random port and kills when it ends.
//!
//! The server answers `PONG:<request>`, except every 10th request, which gets `NOPE`; so a
//! run with `--expect-prefix PONG:` has exactly 10 % `check_failed`. When python3 or pyzmq
//! is missing (scripts/deps/python.txt lists it), the test says so and does not run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use gonogo_load::cli::LoadArgs;
use gonogo_load::error_class::ErrorClass;

#[derive(Parser)]
struct LoadCommand {
    #[command(flatten)]
    args: LoadArgs,
}

fn load_args(argv: &[&str]) -> LoadArgs {
    let mut full = vec!["load"];
    full.extend_from_slice(argv);
    LoadCommand::try_parse_from(full)
        .expect("test flags parse")
        .args
}

const REP_SERVER: &str = r#"
import sys, zmq
context = zmq.Context()
socket = context.socket(zmq.REP)
port = socket.bind_to_random_port("tcp://127.0.0.1")
print(port, flush=True)
count = 0
while True:
    request = socket.recv()
    count += 1
    socket.send(b"NOPE" if count % 10 == 0 else b"PONG:" + request)
"#;

struct RepServer {
    child: Child,
    port: u16,
}

impl RepServer {
    /// Starts the server; `None` (with the reason printed) when pyzmq is not available.
    fn start() -> Option<RepServer> {
        let probe = Command::new("python3").args(["-c", "import zmq"]).output();
        match probe {
            Ok(output) if output.status.success() => {}
            _ => {
                gonogo_io::testing::missing_tool(
                    "python3 with pyzmq (python3-zmq in scripts/deps/debian.txt, pyzmq in python.txt)",
                    "zmq",
                );
                return None;
            }
        }
        let mut child = Command::new("python3")
            .args(["-c", REP_SERVER])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 starts");
        // Readiness: the server prints its port once it is bound.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the server prints its port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("not a port: {line:?}"));
        Some(RepServer { child, port })
    }
}

impl Drop for RepServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn zmq_req_rep_round_trips_with_exact_check_counts() {
    let Some(server) = RepServer::start() else {
        return;
    };
    let url = format!("zmq+tcp://127.0.0.1:{}", server.port);
    let config = gonogo_load::cli::build_config(&load_args(&[
        &url,
        "-c",
        "1",
        "-n",
        "200",
        "--body",
        "PING",
        "--expect-prefix",
        "PONG:PING",
        "--timeout",
        "2s",
    ]))
    .unwrap();
    let result =
        gonogo_load::engine::run(config.clone(), Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.totals.n_completed, 200);
    assert_eq!(
        result.totals.errors_of(ErrorClass::CheckFailed),
        20,
        "{:?}",
        result.totals.error_counts
    );
    assert_eq!(result.totals.n_errors(), 20);
    assert_eq!(result.totals.latency.len(), 200);
    let record = gonogo_load::evidence::to_evidence(&result, &config, "ping");
    let errors = record.metrics["load.ping.errors"].value.as_ratio().unwrap();
    assert_eq!((errors.k, errors.n), (20, 200));
    assert_eq!(record.details["protocol"], "zmq-req");

    // Open model on the same server.
    let config = gonogo_load::cli::build_config(&load_args(&[
        &url,
        "--rate",
        "200",
        "--duration",
        "1s",
        "--body",
        "PING",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.totals.n_completed, 200);
    assert_eq!(
        result.totals.n_errors(),
        0,
        "{:?}",
        result.totals.error_counts
    );
}

#[test]
fn zmq_against_a_closed_port_is_connect_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = gonogo_load::cli::build_config(&load_args(&[
        &format!("zmq+tcp://127.0.0.1:{port}"),
        "-c",
        "1",
        "-n",
        "5",
        "--timeout",
        "1s",
    ]))
    .unwrap();
    let started = std::time::Instant::now();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        result.totals.errors_of(ErrorClass::ConnectRefused),
        5,
        "{:?}",
        result.totals.error_counts
    );
}
