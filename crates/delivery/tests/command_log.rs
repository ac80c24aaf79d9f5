//! Issue 15, defect 8: the full log of a `[[command]]` on disk is redacted as it is written,
//! by the one redactor (the tokens gonogo was given, bearer tokens, `user:pass@` URLs), line
//! by line with bounded line length; output without secrets is written byte for byte.

use std::time::Duration;

use gonogo_core::redact::Redactor;
use gonogo_delivery::command::{CommandSpec, MAX_LOG_LINE, TailPolicy, TailSink, run_command};

#[derive(Default)]
struct Collect(Vec<String>);

impl TailSink for Collect {
    fn lines(&mut self, _command: &str, lines: &[String]) {
        self.0.extend_from_slice(lines);
    }
}

const GIVEN_TOKEN: &str = "tok-given-to-gonogo-7f3a9c";

fn run(script: &str) -> (Vec<u8>, gonogo_delivery::command::CommandOutcome) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("command.log");
    let mut spec = CommandSpec::new("secrets", script, Duration::from_secs(30));
    spec.redactor = Redactor::new().secret(GIVEN_TOKEN);
    let outcome = run_command(
        &spec,
        &log,
        TailPolicy {
            throttle: Duration::from_secs(60),
            lines: 10,
        },
        &mut Collect::default(),
    )
    .unwrap();
    assert_eq!(outcome.exit_code, Some(0));
    let bytes = std::fs::read(&log).unwrap();
    // The record describes the log as written.
    assert_eq!(outcome.output_bytes, bytes.len() as u64);
    assert_eq!(
        outcome.output_sha256,
        gonogo_core::evidence::sha256_hex(&bytes)
    );
    (bytes, outcome)
}

#[test]
fn issue_15_defect_8_the_full_command_log_is_redacted() {
    let (bytes, _) = run(&format!(
        "echo 'deploying with {GIVEN_TOKEN}'; \
         echo 'cloning https://bob:hunter2-pw@127.0.0.1/repo.git' >&2; \
         echo 'curl -H \"Authorization: Bearer abcdef0123456789xyz\" http://127.0.0.1/'; \
         printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\nKEYBODYSECRET\\n-----END OPENSSH PRIVATE KEY-----\\nafter the key\\n'; \
         printf 'no newline at the end {GIVEN_TOKEN}'"
    ));
    let text = String::from_utf8(bytes).unwrap();
    for secret in [
        GIVEN_TOKEN,
        "hunter2-pw",
        "bob:",
        "abcdef0123456789xyz",
        "b3BlbnNzaC1rZXktdjEAAAAA",
        "KEYBODYSECRET",
    ] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
    // What surrounds a secret stays, so the log is still useful.
    for kept in [
        "deploying with [REDACTED]\n",
        "https://[REDACTED]@127.0.0.1/repo.git\n",
        "Bearer [REDACTED]",
        "[REDACTED] (OPENSSH PRIVATE KEY)\nafter the key\n",
        "no newline at the end [REDACTED]",
    ] {
        assert!(text.contains(kept), "{kept:?} not in the log:\n{text}");
    }
}

/// A line far longer than `MAX_LOG_LINE` is written in pieces (memory stays bounded), cut at
/// blanks, so a token in it is still redacted; bytes that are not UTF-8 and output without
/// secrets are written unchanged.
#[test]
fn issue_15_defect_8_long_lines_and_binary_output_in_the_log() {
    let words = MAX_LOG_LINE * 3 / 10;
    let (bytes, _) = run(&format!(
        "i=0; while [ $i -lt {words} ]; do printf 'word{GIVEN_TOKEN} '; i=$((i+1)); done; echo; \
         printf 'raw \\377\\376 bytes\\n'; echo 'plain line'"
    ));
    assert!(bytes.len() > 3 * MAX_LOG_LINE, "{} bytes", bytes.len());
    let lossy = String::from_utf8_lossy(&bytes);
    assert!(
        !lossy.contains(GIVEN_TOKEN),
        "the token survived in a long line"
    );
    assert_eq!(lossy.matches("word[REDACTED] ").count(), words);
    assert!(
        bytes
            .windows(b"raw \xff\xfe bytes\n".len())
            .any(|w| w == b"raw \xff\xfe bytes\n"),
        "binary bytes without a secret are kept as they came"
    );
    assert!(bytes.ends_with(b"plain line\n"));
}
