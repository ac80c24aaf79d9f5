//! Issue 15, defect 8: `[[command]]` children do not inherit gonogo's credentials unless the
//! policy passes them on, and secrets do not reach the tail (console and evidence) nor the
//! full log on disk.
//!
//! This file holds one test only: it sets variables of its own process, which must not race
//! with other tests' threads.

use std::time::Duration;

use gonogo_core::redact::Redactor;
use gonogo_delivery::command::{CommandSpec, TailPolicy, TailSink, run_command};

#[derive(Default)]
struct Collect(Vec<String>);

impl TailSink for Collect {
    fn lines(&mut self, _command: &str, lines: &[String]) {
        self.0.extend_from_slice(lines);
    }
}

const GONOGO_TOKEN: &str = "gonogo-harden-token-0001";
const GITHUB_TOKEN: &str = "github-token-value-0002";
const GH_TOKEN: &str = "gh-token-value-passed-0003";
const POLICY_SECRET: &str = "policy-named-secret-0004";
const GIVEN_SECRET: &str = "given-by-the-caller-0005";

#[test]
fn issue_15_defect_8_commands_get_credentials_only_when_passed_on_and_tails_are_redacted() {
    // SAFETY: the only test in this binary, run before any thread of ours starts.
    unsafe {
        std::env::set_var("GONOGO_HARDEN_TOKEN", GONOGO_TOKEN);
        std::env::set_var("GITHUB_TOKEN", GITHUB_TOKEN);
        std::env::set_var("GH_TOKEN", GH_TOKEN);
        std::env::set_var("MY_POLICY_SECRET", POLICY_SECRET);
        std::env::set_var("HARMLESS_VARIABLE", "visible-value");
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("env.log");
    let mut spec = CommandSpec::new(
        "env",
        "env; echo END; \
         echo \"gonogo=${GONOGO_HARDEN_TOKEN-unset}\"; \
         echo \"github=${GITHUB_TOKEN-unset}\"; \
         echo \"mine=${MY_POLICY_SECRET-unset}\"; \
         echo \"gh=$GH_TOKEN\"; \
         echo \"plain=$HARMLESS_VARIABLE\"; \
         echo \"given=given-by-the-caller-0005\"; \
         echo 'Authorization: Bearer abcdef0123456789'",
        Duration::from_secs(30),
    );
    spec.pass_env = vec!["GH_TOKEN".into()];
    spec.secret_env = vec!["MY_POLICY_SECRET".into()];
    spec.redactor = Redactor::new().secret(GIVEN_SECRET);
    let mut sink = Collect::default();
    let outcome = run_command(
        &spec,
        &log,
        TailPolicy {
            throttle: Duration::from_secs(60),
            lines: 10,
        },
        &mut sink,
    )
    .unwrap();
    assert_eq!(outcome.exit_code, Some(0));

    // The child's environment, as `env` printed it to the full log.
    let text = std::fs::read_to_string(&log).unwrap();
    let environment = text.split("END\n").next().unwrap();
    for withheld in ["GONOGO_HARDEN_TOKEN=", "GITHUB_TOKEN=", "MY_POLICY_SECRET="] {
        assert!(
            !environment.lines().any(|line| line.starts_with(withheld)),
            "{withheld} inherited:\n{environment}"
        );
    }
    // Passed on: the variable is there; its value, a credential, is redacted in the log.
    assert!(environment.contains("GH_TOKEN=[REDACTED]"), "pass_env");
    assert!(!text.contains(GH_TOKEN), "the log is redacted too");
    assert!(environment.contains("HARMLESS_VARIABLE=visible-value"));
    assert!(
        text.contains("gonogo=unset\ngithub=unset\nmine=unset\n"),
        "{text}"
    );

    // The tail, on the console and in evidence: the passed-on token and the given secret are
    // redacted, a bearer token too.
    let evidence = outcome.to_evidence("2026-11-25T12:00:00Z".parse().unwrap());
    let evidence_text = evidence.details.to_string();
    for shown in [sink.0.join("\n"), outcome.tail.join("\n"), evidence_text] {
        for secret in [GH_TOKEN, GIVEN_SECRET, "abcdef0123456789"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("gh=[REDACTED]"), "{shown}");
        assert!(shown.contains("plain=visible-value"), "{shown}");
    }
}
