//! TCP probes that talk: `--send` once connected, `--expect` on the answer, against a real
//! Redis server (Debian's `redis-server`) on a loopback port the test picks.

mod support;

use std::process::ExitCode;

use gonogo_probe::cli::probe::run;
use gonogo_testkit::Redis;
use support::{probe_args as args, read_evidence};

fn probe(redis: &Redis, extra: &[&str]) -> (ExitCode, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("tcp://{}", redis.addr());
    let mut argv = vec![url.as_str(), "--name", "redis"];
    argv.extend_from_slice(extra);
    let code = run(args(&argv, dir.path())).unwrap();
    let record = read_evidence(dir.path()).remove(0);
    (code, record)
}

#[test]
fn ping_gets_pong_and_the_answer_is_the_body() {
    let Some(redis) = Redis::start("tcp_conversation") else {
        return;
    };
    let (code, record) = probe(&redis, &["--send", "PING\\r\\n", "--expect", r"^\+PONG"]);
    assert_eq!(code, ExitCode::SUCCESS, "{record}");
    assert_eq!(
        record["metrics"]["probe.redis.availability"]["ratio"],
        serde_json::json!({"k": 1, "n": 1})
    );
    assert_eq!(record["details"]["expect"], r"^\+PONG");
    assert_eq!(record["details"]["attempt_log"][0]["expect_match"], "+PONG");

    // What was read up to the match is [BODY], so conditions apply to it.
    let (code, record) = probe(
        &redis,
        &[
            "--send",
            "INFO server\\r\\n",
            "--expect",
            r"redis_version:\d+\.\d+",
            "--condition",
            "[BODY] == pat(*redis_version:7*)",
        ],
    );
    assert_eq!(code, ExitCode::SUCCESS, "{record}");
    let matched = record["details"]["attempt_log"][0]["expect_match"]
        .as_str()
        .unwrap();
    assert!(matched.starts_with("redis_version:7."), "{matched}");
}

#[test]
fn a_wrong_answer_fails_with_the_reason_expect_and_says_what_came() {
    let Some(redis) = Redis::start("tcp_conversation") else {
        return;
    };
    // Redis answers ECHO with a bulk string and keeps the connection open: the timeout ends
    // the wait.
    let (code, record) = probe(
        &redis,
        &[
            "--send",
            "ECHO hello\\r\\n",
            "--expect",
            r"^\+PONG",
            "--timeout",
            "500ms",
        ],
    );
    assert_eq!(code, ExitCode::from(1));
    assert_eq!(record["details"]["failures_by_reason"]["expect"], 1);
    let message = record["details"]["attempt_log"][0]["message"]
        .as_str()
        .unwrap();
    assert_eq!(
        message,
        r#"no match for `^\+PONG`: the timeout came first after 11 bytes: "$5\r\nhello\r\n""#
    );

    // QUIT: Redis says +OK and closes, before anything matches.
    let (code, record) = probe(&redis, &["--send", "QUIT\\r\\n", "--expect", r"^\+PONG"]);
    assert_eq!(code, ExitCode::from(1));
    let message = record["details"]["attempt_log"][0]["message"]
        .as_str()
        .unwrap();
    assert_eq!(
        message,
        r#"no match for `^\+PONG`: the peer closed the connection after 5 bytes: "+OK\r\n""#
    );
}

#[test]
fn conversations_only_apply_to_tcp_and_tls() {
    let dir = tempfile::tempdir().unwrap();
    for argv in [
        &["http://127.0.0.1:9/", "--send", "x"][..],
        &["tcp://127.0.0.1:9", "--expect", "(unclosed"][..],
        &["tcp://127.0.0.1:9", "--send", "bad \\q escape"][..],
    ] {
        let code = run(args(argv, dir.path())).unwrap();
        assert_eq!(code, ExitCode::from(2), "{argv:?}");
    }
    assert!(
        read_evidence(dir.path()).is_empty(),
        "no evidence from bad arguments"
    );
}
