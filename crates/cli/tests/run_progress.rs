//! Progress on long work inside `gonogo run`: on a terminal, each load section shows its
//! progress bar and then one summary line, and a probe's watch window a live count of its
//! attempts; in a CI log (stderr not a terminal) neither, only the step lines. The terminal is
//! a real pseudo-terminal, from util-linux's `script`.

use std::path::Path;
use std::process::Command;

fn policy(dir: &Path, base_url: &str) {
    std::fs::write(
        dir.join("gonogo.toml"),
        format!(
            r#"[policy]
name = "progress"

[target]
base_url = "{base_url}"

[load.home]
path = "/healthz"
rate = 100
duration = "1s"

[[probe]]
name = "live"
path = "/healthz"
watch = "1s"
interval = "100ms"

[[gate]]
name = "home p95"
area = "performance"
metric = "load.home.latency"
expect = "p(95) < 2s"
"#
        ),
    )
    .unwrap();
}

#[test]
fn a_terminal_sees_progress_and_a_ci_log_does_not() {
    if Command::new("script").arg("--version").output().is_err() {
        gonogo_testkit::missing_tool(
            "script (util-linux)",
            "a_terminal_sees_progress_and_a_ci_log_does_not",
        );
        return;
    }
    let service = gonogo_testkit::demo_target();
    let dir = tempfile::tempdir().unwrap();
    policy(dir.path(), &service.base_url());
    let binary = env!("CARGO_BIN_EXE_gonogo");

    // On a pseudo-terminal: stdout and stderr both go to it; `script` copies it to stdout.
    let on_tty = Command::new("script")
        .args(["-qec", &format!("'{binary}' run --no-history"), "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&on_tty.stdout).replace('\r', "\n");
    assert_eq!(on_tty.status.code(), Some(0), "{tty}");
    assert!(
        tty.contains("load `home`: 100 answered in") && tty.contains("p(95)"),
        "the load's summary line: {tty}"
    );
    assert!(
        tty.contains("done, 0 errors"),
        "the load's progress bar: {tty}"
    );
    assert!(
        tty.contains("probe `live`:") && tty.contains("attempts, 0 failed"),
        "the watch window's live count: {tty}"
    );

    // In a log: the same run, none of it.
    let logged = Command::new(binary)
        .args(["run", "--no-history"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&logged.stderr);
    assert_eq!(logged.status.code(), Some(0), "{log}");
    assert!(log.contains("[3/5] engines: 2"), "{log}");
    for tty_only in [
        "answered in",
        "done, 0 errors",
        "attempts, 0 failed",
        "\u{1b}[2K",
    ] {
        assert!(!log.contains(tty_only), "{tty_only:?} in a CI log: {log}");
    }
}
