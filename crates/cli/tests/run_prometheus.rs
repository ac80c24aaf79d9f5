//! `gonogo run` with a `[[prometheus]]` query against a real Prometheus (Debian package) that
//! scrapes the real demo service, both on loopback and started by this test. Prints why it
//! skips when `prometheus` is not installed (scripts/test installs it).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use gonogo_testkit::Prometheus;
use gonogo_testkit::net::wait_for;

/// A plain HTTP/1.0 GET on loopback; the body when the status is 200.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200")
        .then(|| body.to_owned())
        .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_owned()))
}

#[test]
fn run_turns_a_promql_query_into_a_gate() {
    let service = gonogo_testkit::demo_target();
    let Some(prometheus) = Prometheus::scraping("run_prometheus", "shop", &[service.address()])
    else {
        return;
    };
    wait_for("Prometheus to be ready", Duration::from_secs(60), || {
        get(prometheus.port, "/-/ready").map(drop)
    });
    wait_for("the first scrape", Duration::from_secs(60), || {
        get(
            prometheus.port,
            "/api/v1/query?query=up%7Bjob%3D%22shop%22%7D",
        )
        .is_some_and(|body| body.contains("\"value\""))
        .then_some(())
    });

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!(
            r#"
[[prometheus]]
name = "shop_up"
url = "http://127.0.0.1:{port}"
query = 'up{{job="shop"}}'

[[prometheus]]
name = "nothing"
url = "http://127.0.0.1:{port}"
query = 'up{{job="no-such-job"}}'

[[prometheus]]
name = "shop_scrapes"
url = "http://127.0.0.1:{port}"
kind = "availability"
series = 'up{{job="shop"}}'
window = "10m"

[[gate]]
name = "the service is scraped"
area = "observability"
metric = "prometheus.shop_up"
expect = "value == 1"

[[gate]]
name = "a query without series is missing evidence"
area = "observability"
metric = "prometheus.nothing"
expect = "value == 1"
severity = "warn"

[[gate]]
name = "scrapes succeed"
area = "observability"
metric = "prometheus.shop_scrapes"
expect = "rate >= 50%"
severity = "warn"
"#,
            port = prometheus.port
        ),
    )
    .unwrap();
    let output = gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), &["run"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // A PromQL scalar comes without the samples behind it: an estimate (statistics spec v2),
    // so the gate on it is inconclusive (`no_distribution`) and the blocker makes it NO-GO.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    let verdict: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("gonogo-report/verdict.json")).unwrap(),
    )
    .unwrap();
    let gates = verdict["gates"].as_array().unwrap();
    assert_eq!(gates[0]["status"], "inconclusive", "{}", gates[0]["why"]);
    assert_eq!(gates[0]["reason"], "no_distribution", "{}", gates[0]["why"]);
    assert_eq!(
        gates[0]["measured"]["point"], 1.0,
        "the query ran and was read"
    );
    assert_eq!(gates[1]["status"], "missing", "no series is never a pass");
    // `kind = "availability"`: a ratio with its sample size (the scrapes of `up`), every one
    // of them up, not a bare number.
    assert_eq!(gates[2]["metric"], "prometheus.shop_scrapes");
    let measured = &gates[2]["measured"];
    let n = measured["n"].as_u64().expect("a sample size");
    assert!(n >= 1, "{measured}");
    assert_eq!(measured["k"].as_u64(), Some(n), "{measured}");
    assert_ne!(gates[2]["reason"], "no_distribution", "{}", gates[2]["why"]);
    let cited = &verdict["evidence"][gates[0]["evidence"][0].as_u64().unwrap() as usize];
    assert!(
        cited["source"]["location"]
            .as_str()
            .unwrap()
            .contains("/api/v1/query"),
        "{cited}"
    );
}
