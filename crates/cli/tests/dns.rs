//! Issue 15 defect 17: names under `localhost` (`foo.localhost`, `localhost.`) resolve to
//! loopback without asking any resolver (RFC 6761), in every engine. Each engine runs under
//! `strace -f -e trace=connect,sendto` against the demo service on loopback; the trace must
//! show connections to loopback only and nothing sent to port 53 (no DNS query), whatever the
//! machine's resolver configuration.

use std::path::Path;
use std::process::Command;

/// Runs `gonogo args...` under strace and returns the trace.
fn traced(dir: &Path, args: &[&str]) -> Option<String> {
    let trace = dir.join(format!("trace-{}.txt", args[0]));
    let status = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=connect,sendto,sendmsg,sendmmsg",
            "-o",
        ])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_gonogo"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GONOGO_PROMETHEUS_TOKEN", "")
        .output();
    match status {
        Ok(output) if trace.exists() => {
            let _ = output;
            Some(std::fs::read_to_string(&trace).unwrap())
        }
        _ => None,
    }
}

/// Every `connect`/`send*` with an internet address in the trace: (address, port).
fn destinations(trace: &str) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for line in trace.lines() {
        for (marker, end) in [("inet_addr(\"", '"'), ("inet_pton(AF_INET6, \"", '"')] {
            let Some(start) = line.find(marker) else {
                continue;
            };
            let rest = &line[start + marker.len()..];
            let address = rest[..rest.find(end).unwrap()].to_owned();
            let port = line
                .split("htons(")
                .nth(1)
                .and_then(|p| p.split(')').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            out.push((address, port));
        }
    }
    out
}

fn is_loopback(address: &str) -> bool {
    address
        .parse::<std::net::IpAddr>()
        .is_ok_and(gonogo_io::net::is_loopback_ip)
}

#[test]
fn defect_17_localhost_names_never_reach_a_resolver_in_any_engine() {
    let service = gonogo_testkit::demo_target();
    let port = service.address().port();
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    let evidence = evidence.to_str().unwrap();
    let foo = format!("http://foo.localhost:{port}");
    let dotted = format!("http://localhost.:{port}");
    let runs: Vec<Vec<String>> = vec![
        vec![
            "load".into(),
            format!("{foo}/"),
            "-n".into(),
            "20".into(),
            "-c".into(),
            "2".into(),
            "--evidence-dir".into(),
            evidence.into(),
        ],
        vec![
            "probe".into(),
            format!("{dotted}/"),
            "--evidence-dir".into(),
            evidence.into(),
        ],
        vec!["observe".into(), foo.clone(), "--no-evidence".into()],
        vec![
            "harden".into(),
            format!("http://api.localhost:{port}"),
            "--passive".into(),
            "--evidence-dir".into(),
            evidence.into(),
        ],
        vec![
            "prometheus".into(),
            "query".into(),
            dotted.clone(),
            "up".into(),
            "--no-evidence".into(),
        ],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let Some(trace) = traced(dir.path(), &args) else {
            gonogo_testkit::missing_tool("strace", "defect_17 (dns.rs)");
            return;
        };
        let destinations = destinations(&trace);
        assert!(
            destinations.iter().any(|(_, p)| *p == port),
            "{}: the engine reached the service: {trace}",
            args[0]
        );
        for (address, to_port) in &destinations {
            assert!(
                is_loopback(address),
                "{}: traffic to {address}:{to_port}\n{trace}",
                args[0]
            );
            assert_ne!(*to_port, 53, "{}: a DNS query\n{trace}", args[0]);
        }
    }
}
