//! DNS probes that ask a chosen resolver: a real dnsmasq (Debian's `dnsmasq-base`) on a
//! loopback port the test picks, serving a test zone and nothing else (no upstream).

mod support;

use std::process::ExitCode;

use gonogo_probe::cli::probe::run;
use gonogo_testkit::{Server, free_port};
use support::{probe_args as args, read_evidence};

/// dnsmasq answering for `gonogo.test` only: `web` is 127.0.0.7, `info` has a TXT record,
/// any other name in the zone is NXDOMAIN. `None` (with the reason) when it is not installed.
/// dnsmasq opens its UDP and TCP sockets before it serves: TCP accepting means both are up.
fn start_dnsmasq() -> Option<Server> {
    let port = free_port();
    let args: Vec<String> = [
        "--no-daemon",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--user=root",
        "--pid-file=",
        &format!("--port={port}"),
        "--address=/web.gonogo.test/127.0.0.7",
        "--local=/gonogo.test/",
        "--txt-record=info.gonogo.test,hello world",
    ]
    .map(str::to_owned)
    .to_vec();
    Server::start(
        "probe dns",
        "dnsmasq",
        &args,
        port,
        tempfile::tempdir().unwrap(),
    )
}

fn probe(dns: &Server, name: &str, extra: &[&str]) -> (ExitCode, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("dns://{name}");
    let resolver = dns.address().to_string();
    let mut argv = vec![
        url.as_str(),
        "--name",
        "zone",
        "--resolver",
        resolver.as_str(),
    ];
    argv.extend_from_slice(extra);
    let code = run(args(&argv, dir.path())).unwrap();
    let record = read_evidence(dir.path()).remove(0);
    (code, record)
}

#[test]
fn an_address_record_from_the_chosen_resolver() {
    let Some(dns) = start_dnsmasq() else { return };
    let (code, record) = probe(
        &dns,
        "web.gonogo.test",
        &["--condition", "[IP] == 127.0.0.7"],
    );
    assert_eq!(code, ExitCode::SUCCESS, "{record}");
    let attempt = &record["details"]["attempt_log"][0];
    assert_eq!(attempt["rcode"], "NOERROR");
    assert_eq!(attempt["answers"], serde_json::json!(["127.0.0.7"]));
    assert_eq!(attempt["peer"], dns.address().to_string());
    assert_eq!(record["details"]["dns"]["type"], "A");
}

#[test]
fn a_missing_name_fails_unless_its_absence_is_the_condition() {
    let Some(dns) = start_dnsmasq() else { return };
    let (code, record) = probe(&dns, "nope.gonogo.test", &[]);
    assert_eq!(code, ExitCode::from(1));
    assert_eq!(record["details"]["failures_by_reason"]["dns"], 1);
    assert_eq!(
        record["details"]["attempt_log"][0]["message"],
        format!("NXDOMAIN for nope.gonogo.test A from {}", dns.address())
    );

    let (code, record) = probe(
        &dns,
        "nope.gonogo.test",
        &["--condition", "[DNS_RCODE] == NXDOMAIN"],
    );
    assert_eq!(code, ExitCode::SUCCESS, "{record}");
}

#[test]
fn other_record_types_over_tcp_are_the_body() {
    let Some(dns) = start_dnsmasq() else { return };
    let (code, record) = probe(
        &dns,
        "info.gonogo.test",
        &[
            "--query-type",
            "txt",
            "--dns-tcp",
            "--condition",
            "[BODY] == pat(*hello world*)",
        ],
    );
    assert_eq!(code, ExitCode::SUCCESS, "{record}");
    assert_eq!(record["details"]["dns"]["tcp"], true);
    assert_eq!(record["details"]["attempt_log"][0]["rcode"], "NOERROR");

    // An existing name without the asked type: NOERROR and no answer, which fails.
    let (code, record) = probe(&dns, "info.gonogo.test", &["--query-type", "MX"]);
    assert_eq!(code, ExitCode::from(1), "{record}");
    assert_eq!(
        record["details"]["attempt_log"][0]["message"],
        "no MX record for info.gonogo.test"
    );
}

#[test]
fn resolvers_must_be_allowed_and_arguments_make_sense() {
    let dir = tempfile::tempdir().unwrap();
    for argv in [
        // Not loopback and not allowed: refused before anything is sent.
        &["dns://web.gonogo.test", "--resolver", "192.0.2.1"][..],
        &["dns://web.gonogo.test", "--resolver", "not-an-ip"][..],
        &[
            "dns://web.gonogo.test",
            "--resolver",
            "127.0.0.1",
            "--query-type",
            "BOGUS",
        ][..],
        &["http://127.0.0.1:9/", "--resolver", "127.0.0.1"][..],
    ] {
        let code = run(args(argv, dir.path())).unwrap();
        assert_eq!(code, ExitCode::from(2), "{argv:?}");
    }
    assert!(read_evidence(dir.path()).is_empty());
}
