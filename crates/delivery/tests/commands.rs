//! Commands run for real under `sh`: exit codes, timeouts, logs and the throttled tail.

use std::time::Duration;

use gonogo_delivery::command::{CommandSpec, TailPolicy, TailSink, run_command};

#[derive(Default)]
struct Collect(Vec<String>);

impl TailSink for Collect {
    fn lines(&mut self, _command: &str, lines: &[String]) {
        self.0.extend_from_slice(lines);
    }
}

fn spec(name: &str, run: &str, timeout: Duration) -> CommandSpec {
    CommandSpec::new(name, run, timeout)
}

#[test]
fn exit_codes_and_output_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ok.log");
    let mut sink = Collect::default();
    let outcome = run_command(
        &spec(
            "unit tests",
            "echo one; echo two >&2; echo three; exit 3",
            Duration::from_secs(30),
        ),
        &log,
        TailPolicy::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(outcome.exit_code, Some(3));
    assert!(!outcome.timed_out);
    let text = std::fs::read_to_string(&log).unwrap();
    for line in ["one", "two", "three"] {
        assert!(text.contains(line), "{text}");
    }
    assert_eq!(outcome.output_bytes, text.len() as u64);
    assert_eq!(
        outcome.output_sha256,
        gonogo_core::evidence::sha256_hex(text.as_bytes())
    );
    assert_eq!(outcome.tail.len(), 3);

    let evidence = outcome.to_evidence("2026-11-25T12:00:00Z".parse().unwrap());
    assert!(
        evidence
            .metrics
            .contains_key("command.unit_tests.exit_code")
    );
    assert!(evidence.metrics.contains_key("command.unit_tests.duration"));
}

#[test]
fn a_hanging_command_is_killed_at_its_timeout_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_command(
        &spec(
            "hang",
            "sleep 60 & sleep 60; echo never",
            Duration::from_millis(300),
        ),
        &dir.path().join("hang.log"),
        TailPolicy::default(),
        &mut Collect::default(),
    )
    .unwrap();
    assert!(outcome.timed_out);
    assert_eq!(outcome.exit_code, None);
    assert!(
        outcome.duration < Duration::from_secs(10),
        "{:?}",
        outcome.duration
    );
    let evidence = outcome.to_evidence("2026-11-25T12:00:00Z".parse().unwrap());
    let gonogo_core::evidence::MetricValue::Value(code) =
        evidence.metrics["command.hang.exit_code"].value
    else {
        unreachable!()
    };
    assert_eq!(code, 124.0);
    // The note's code carries the sentence's figures: the exit code and the log.
    let metric = &evidence.metrics["command.hang.exit_code"];
    let note = metric.note.as_deref().unwrap();
    let coded = metric.note_code.as_ref().unwrap();
    assert_eq!(coded.code, "command.timed_out");
    assert_eq!(coded.args["exit"], "124");
    assert_eq!(
        note,
        format!(
            "killed at its timeout (exit 124); its output is in {}",
            coded.args["log"]
        )
    );
}

#[test]
fn a_missing_program_is_a_failing_outcome_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_command(
        &spec(
            "missing",
            "definitely-not-a-program-gonogo",
            Duration::from_secs(10),
        ),
        &dir.path().join("m.log"),
        TailPolicy::default(),
        &mut Collect::default(),
    )
    .unwrap();
    assert_eq!(outcome.exit_code, Some(127));
    assert!(
        outcome.tail.join("\n").contains("not found"),
        "{:?}",
        outcome.tail
    );
}
