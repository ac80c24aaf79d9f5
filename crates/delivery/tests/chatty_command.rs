//! A command that prints 256 MiB: memory stays flat, the console sees a few lines, the log has
//! every byte. In its own test binary so the peak-RSS reading is this test's alone.

use std::time::Duration;

use gonogo_delivery::command::{CommandSpec, TailPolicy, TailSink, run_command};

#[derive(Default)]
struct Count {
    lines: usize,
    batches: usize,
}

impl TailSink for Count {
    fn lines(&mut self, _command: &str, lines: &[String]) {
        self.lines += lines.len();
        self.batches += 1;
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_flood_of_output_keeps_memory_flat_and_the_console_short() {
    const BYTES: u64 = 256 << 20;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("chatty.log");
    let before = peak_rss_kib();
    let mut sink = Count::default();
    let outcome = run_command(
        &CommandSpec {
            name: "chatty".into(),
            // 1 GiB of 64-byte lines.
            run: format!("yes 'line of test output that a chatty suite prints again and again' | head -c {BYTES}"),
            timeout: Duration::from_secs(300),
            ..CommandSpec::new("", "", Duration::ZERO)
        },
        &log,
        TailPolicy {
            throttle: Duration::from_millis(500),
            lines: 3,
        },
        &mut sink,
    )
    .unwrap();
    let grown = peak_rss_kib().saturating_sub(before);
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.output_bytes, BYTES);
    assert_eq!(
        std::fs::metadata(&log).unwrap().len(),
        BYTES,
        "the full log is on disk"
    );
    assert!(
        grown < 32 * 1024,
        "peak RSS grew by {grown} KiB for 256 MiB of output"
    );
    // One batch of at most 3 lines per 500 ms, plus the final batch.
    let allowed = (outcome.duration.as_millis() / 500 + 2) as usize * 3;
    assert!(
        sink.lines <= allowed,
        "{} console lines for {:?}",
        sink.lines,
        outcome.duration
    );
    assert!(sink.lines >= 1);
    eprintln!(
        "256 MiB in {:.2?}, peak RSS +{grown} KiB, {} console lines in {} batches",
        outcome.duration, sink.lines, sink.batches
    );
}
