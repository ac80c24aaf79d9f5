//! `gonogo load --threshold`: gates judged right after the run, honest about sample size.

fn load(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), &["load"], dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn four_requests_cannot_prove_a_p99_but_a_thousand_can() {
    let service = gonogo_testkit::demo_target();
    let url = format!("{}/api/items", service.base_url());
    let dir = tempfile::tempdir().unwrap();

    let output = load(
        &[
            &url,
            "--concurrency",
            "1",
            "--max-requests",
            "4",
            "--threshold",
            "p(99)<1s",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("inconclusive"), "{stderr}");
    assert!(
        stderr.contains("to settle: needs about 364 more samples"),
        "{stderr}"
    );

    let output = load(
        &[
            &url,
            "--concurrency",
            "4",
            "--max-requests",
            "1000",
            "--duration",
            "20s",
            "--threshold",
            "p(99)<1s",
            "--threshold",
            "rate<1%",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("✓ pass").count(), 2, "{stderr}");
}

#[test]
fn a_bad_threshold_is_refused_before_any_traffic() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 on loopback: nothing listens; a threshold error must come first.
    let output = load(
        &["http://127.0.0.1:9/", "--threshold", "p(95)<5%"],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "a wrong threshold is a command-line error"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not fit"), "{stderr}");
    assert!(!dir.path().join(".gonogo").exists(), "no run happened");
}

#[test]
fn one_request_cannot_prove_a_maximum() {
    let service = gonogo_testkit::demo_target();
    let url = format!("{}/api/items", service.base_url());
    let dir = tempfile::tempdir().unwrap();
    // `max < t` is a tail claim: one fast request says nothing about the next one.
    let output = load(
        &[
            &url,
            "--concurrency",
            "1",
            "--max-requests",
            "1",
            "--threshold",
            "max<400ms",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("inconclusive"), "{stderr}");
    assert!(stderr.contains("needs about 367 more samples"), "{stderr}");
    // `rate < 1` would mean 100 %: refused before any traffic.
    let output = load(
        &["http://127.0.0.1:9/", "--threshold", "rate<1"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean 1%?"), "{stderr}");
}
