//! `gonogo load --segment I/N` in-process: N segments send exactly the arrivals (indices and
//! intended times) of one run of the whole schedule, each once, and their evidence says which
//! segment of which test it is. Against a small keep-alive HTTP/1.1 server on loopback.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser;
use gonogo_load::cli::LoadArgs;

#[derive(Parser)]
struct LoadCommand {
    #[command(flatten)]
    args: LoadArgs,
}

fn load_args(argv: &[&str]) -> LoadArgs {
    let mut full = vec!["load"];
    full.extend_from_slice(argv);
    LoadCommand::try_parse_from(full)
        .expect("test flags parse")
        .args
}

/// Answers every request `200 ok` on keep-alive connections; counts the GET requests (a
/// segment also sends one HEAD, for the target's `Date`).
fn server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut pending = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    let n = match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    pending.extend_from_slice(&buffer[..n]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        if pending.starts_with(b"GET ") {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        pending.drain(..end + 4);
                        if stream
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, count)
}

fn read_dump(path: &Path) -> Vec<(u64, u64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (k, t) = line.split_once(' ').unwrap();
            (k.parse().unwrap(), t.parse().unwrap())
        })
        .collect()
}

#[test]
fn segments_together_send_exactly_the_whole_schedule() {
    let (url, served) = server();
    let dir = tempfile::tempdir().unwrap();
    // A ramp, so intended times are not evenly spaced: 0 -> 400/s over 0.5 s, then 0.25 s at
    // 400/s: 100 + 100 = 200 arrivals.
    let common = [
        url.as_str(),
        "--rate",
        "0",
        "--stage",
        "500ms:400",
        "--stage",
        "250ms:400",
        "--threads",
        "2",
        "--quiet",
        "--test-id",
        "t-1",
    ];
    let run = |extra: &[&str], dump: &Path| {
        let mut argv: Vec<&str> = common.to_vec();
        argv.extend_from_slice(extra);
        let dump_text = dump.display().to_string();
        let evidence = dir
            .path()
            .join(format!("ev-{}", dump.file_name().unwrap().display()));
        let evidence_text = evidence.display().to_string();
        argv.extend_from_slice(&[
            "--dump-intended",
            &dump_text,
            "--evidence-dir",
            &evidence_text,
        ]);
        let outcome = gonogo_load::cli::execute(&load_args(&argv)).expect("run");
        (outcome, read_dump(dump))
    };
    let before = served.load(Ordering::SeqCst);
    let (whole, whole_arrivals) = run(&[], &dir.path().join("whole"));
    assert_eq!(served.load(Ordering::SeqCst) - before, 200);
    assert_eq!(whole_arrivals.len(), 200);
    assert_eq!(
        whole_arrivals.iter().map(|a| a.0).collect::<Vec<_>>(),
        (0..200).collect::<Vec<_>>()
    );
    assert_eq!(whole.result.totals.n_completed, 200);
    for count in [2u64, 4, 7] {
        let mut union: BTreeMap<u64, u64> = BTreeMap::new();
        let mut completed = 0;
        let before = served.load(Ordering::SeqCst);
        for index in 0..count {
            let segment = format!("{index}/{count}");
            let (outcome, arrivals) = run(
                &["--segment", &segment],
                &dir.path().join(format!("seg-{index}-{count}")),
            );
            let info = outcome.evidence.segment.clone().expect("a segment says so");
            assert_eq!(
                (info.test.as_str(), info.index, info.count),
                ("t-1", index, count)
            );
            assert!(info.started_at.is_some() && info.elapsed_seconds.unwrap() > 0.5);
            for (k, offset) in arrivals {
                assert_eq!(k % count, index, "segment {segment} sent arrival {k}");
                assert!(union.insert(k, offset).is_none(), "arrival {k} sent twice");
            }
            completed += outcome.result.totals.n_completed;
        }
        assert_eq!(completed, 200, "N = {count}");
        assert_eq!(served.load(Ordering::SeqCst) - before, 200, "N = {count}");
        // The same arrivals at the same intended times as the one run.
        assert_eq!(
            union.into_iter().collect::<Vec<_>>(),
            whole_arrivals,
            "N = {count}"
        );
    }
}

#[test]
fn closed_model_segments_split_connections_and_the_request_budget() {
    let (url, served) = server();
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for index in 0..3 {
        let segment = format!("{index}/3");
        let evidence = dir.path().display().to_string();
        let args = load_args(&[
            &url,
            "--concurrency",
            "4",
            "--max-requests",
            "100",
            "--segment",
            &segment,
            "--test-id",
            "closed-1",
            "--quiet",
            "--evidence-dir",
            &evidence,
        ]);
        let outcome = gonogo_load::cli::execute(&args).expect("run");
        // 100 split 34/33/33 over the segments.
        assert_eq!(
            outcome.result.totals.n_completed,
            [34, 33, 33][index],
            "segment {segment}"
        );
        total += outcome.result.totals.n_completed;
    }
    assert_eq!(total, 100);
    assert_eq!(served.load(Ordering::SeqCst), 100);
}

#[test]
fn segment_flags_are_checked() {
    let parse = |argv: &[&str]| {
        let mut full = vec!["load"];
        full.extend_from_slice(argv);
        LoadCommand::try_parse_from(full).map(|_| ())
    };
    for bad in ["4/4", "0/0", "0/1025", "x", "0:2/3"] {
        let error = parse(&["http://127.0.0.1:1/", "--segment", bad]).unwrap_err();
        assert!(error.to_string().contains(bad), "{error}");
    }
    assert!(parse(&["http://127.0.0.1:1/", "--segment", "1023/1024"]).is_ok());
    assert!(parse(&["http://127.0.0.1:1/", "--start-at", "tomorrow"]).is_err());
    assert!(parse(&["http://127.0.0.1:1/", "--test-id", "a b"]).is_err());
    // More segments than connections, and N > 1 without a shared start or test id.
    let usage = |argv: &[&str]| {
        let error = match gonogo_load::cli::execute(&load_args(argv)) {
            Ok(_) => panic!("{argv:?} ran"),
            Err(error) => error,
        };
        assert_eq!(
            gonogo_load::cli::exit_code_for(&error),
            std::process::ExitCode::from(2)
        );
        error.to_string()
    };
    assert!(
        usage(&[
            "http://127.0.0.1:1/",
            "-c",
            "2",
            "--segment",
            "0/4",
            "--test-id",
            "t"
        ])
        .contains("cannot be split into 4 segments")
    );
    assert!(
        usage(&["http://127.0.0.1:1/", "--rate", "10", "--segment", "0/4"]).contains("--start-at")
    );
    assert!(
        usage(&[
            "http://127.0.0.1:1/",
            "--rate",
            "10",
            "--segment",
            "0/4",
            "--start-at",
            "2000-01-01T00:00:00Z"
        ])
        .contains("in the past")
    );
}

#[test]
fn merge_takes_segments_only_as_the_whole_test() {
    let (url, _) = server();
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    let evidence_text = evidence.display().to_string();
    for index in 0..3 {
        let segment = format!("{index}/3");
        let args = load_args(&[
            &url,
            "--rate",
            "100",
            "--duration",
            "300ms",
            "--segment",
            &segment,
            "--test-id",
            "merge-1",
            "--quiet",
            "--evidence-dir",
            &evidence_text,
        ]);
        gonogo_load::cli::execute(&args).expect("run");
    }
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&evidence)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3);
    let merge = |inputs: &[std::path::PathBuf]| {
        gonogo_load::histogram_log::merge_files(
            inputs,
            gonogo_core::catalog::Catalog::new(&[gonogo_load::METRICS]),
        )
        .map(|merged| match merged {
            gonogo_load::histogram_log::Merged::Evidence(record) => *record,
            _ => panic!("evidence in, evidence out"),
        })
    };
    let whole = merge(&files).expect("the whole test merges");
    assert!(whole.segment.is_none());
    let errors = whole.metrics["load.default.errors"]
        .value
        .as_ratio()
        .unwrap();
    assert_eq!(errors.n, 30, "100/s for 300 ms, over 3 segments");
    // Two of three segments are not the test.
    let error = merge(&files[..2]).unwrap_err().to_string();
    assert!(error.contains("of test merge-1 is missing"), "{error}");
}
