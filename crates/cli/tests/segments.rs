//! Issue 20: a load test split into N segments (`gonogo load --segment I/N --start-at T`, N
//! processes at once) against one real nginx on loopback sends exactly the requests of one
//! process on the same schedule (count, and intended times as sets), and `gonogo gate` judges
//! the segments as that one run. A missing, duplicated or foreign segment is refused, named.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use gonogo_testkit::nginx::{Nginx, NginxConfig};
use gonogo_testkit::text;

/// nginx answering `ok` to everything, logging each request's method to `access.log`.
fn start_nginx(test: &str) -> Option<Nginx> {
    let config = NginxConfig {
        http: "  log_format m '$request_method';".into(),
        access_log: "access_log {PREFIX}/access.log m;".into(),
        server: "    keepalive_requests 100000;\n    location / { return 200 \"ok\\n\"; }".into(),
        ..NginxConfig::default()
    };
    Nginx::start(test, &config)
}

/// GET requests nginx has logged so far.
fn gets_logged(nginx: &Nginx) -> usize {
    std::fs::read_to_string(nginx.prefix().join("access.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == "GET")
        .count()
}

fn gonogo(args: &[&str], dir: &Path) -> Command {
    let mut command = gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), args, dir);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn read_dump(path: &Path) -> BTreeSet<(u64, u64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (k, t) = line.split_once(' ').unwrap();
            (k.parse().unwrap(), t.parse().unwrap())
        })
        .collect()
}

/// The schedule every run shares: 0 -> 300/s over 1 s, then 300/s for 1 s: 450 requests.
const SCHEDULE: [&str; 6] = ["--rate", "0", "--stage", "1s:300", "--stage", "1s:300"];
const PLANNED: usize = 450;

/// Runs segments `0..count` as `count` processes at once, all starting at one instant; returns
/// their evidence folder and the union of their intended arrivals.
fn run_segments(
    dir: &Path,
    url: &str,
    count: u64,
    test_id: Option<&str>,
) -> (PathBuf, BTreeSet<(u64, u64)>) {
    let evidence = dir.join(format!("evidence-{count}-{}", test_id.unwrap_or("derived")));
    let start_at = jiff::Timestamp::now() + jiff::SignedDuration::from_millis(1500);
    let start_text = start_at.to_string();
    let mut children = Vec::new();
    for index in 0..count {
        let segment = format!("{index}/{count}");
        let dump = dir.join(format!(
            "intended-{count}-{index}-{}.txt",
            test_id.unwrap_or("derived")
        ));
        let mut args = vec![
            "load",
            url,
            "--name",
            "shop",
            "--threads",
            "1",
            "--quiet",
            "--segment",
            &segment,
            "--start-at",
            &start_text,
        ];
        args.extend(SCHEDULE);
        let evidence_text = evidence.display().to_string();
        let dump_text = dump.display().to_string();
        args.extend([
            "--evidence-dir",
            &evidence_text,
            "--dump-intended",
            &dump_text,
        ]);
        if let Some(id) = test_id {
            args.extend(["--test-id", id]);
        }
        children.push((dump, gonogo(&args, dir).spawn().unwrap()));
    }
    let mut union = BTreeSet::new();
    for (dump, child) in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let arrivals = read_dump(&dump);
        let before = union.len();
        let size = arrivals.len();
        union.extend(arrivals);
        assert_eq!(union.len(), before + size, "an arrival was sent twice");
    }
    (evidence, union)
}

fn gate(dir: &Path, evidence: &Path) -> (Option<i32>, serde_json::Value, String) {
    let evidence_text = evidence.display().to_string();
    let output: Output = gonogo(
        &[
            "gate",
            "--evidence-dir",
            &evidence_text,
            "--json",
            "--no-write",
        ],
        dir,
    )
    .output()
    .unwrap();
    let verdict = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output.status.code(), verdict, text(&output.stderr))
}

/// What must be equal between the one run and the segments: the decision, and per gate its
/// status and sample size (latencies differ within the generator's timing noise).
fn essence(verdict: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    verdict["gates"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or_default().to_owned(),
                g["status"].as_str().unwrap_or_default().to_owned(),
                g["measured"]["n"].clone(),
            )
        })
        .chain(std::iter::once((
            "verdict".to_owned(),
            verdict["verdict"].as_str().unwrap_or_default().to_owned(),
            serde_json::Value::Null,
        )))
        .collect()
}

#[test]
fn n_segments_send_exactly_one_runs_requests_and_are_judged_as_it() {
    let Some(nginx) = start_nginx("segments") else {
        return;
    };
    let port = nginx.port;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let url = format!("http://127.0.0.1:{port}/");
    std::fs::write(
        dir.join("gonogo.toml"),
        format!(
            "[target]\nbase_url = \"http://127.0.0.1:{port}\"\n\n\
             [[gate]]\nname = \"errors\"\narea = \"reliability\"\nmetric = \"load.shop.errors\"\nexpect = \"rate < 5%\"\n\n\
             [[gate]]\nname = \"p99\"\narea = \"performance\"\nmetric = \"load.shop.latency\"\nexpect = \"p(99) < 2s\"\n"
        ),
    )
    .unwrap();

    // One process on the whole schedule.
    let one = dir.join("evidence-one");
    let one_text = one.display().to_string();
    let one_dump = dir.join("intended-one.txt");
    let one_dump_text = one_dump.display().to_string();
    let mut args = vec![
        "load",
        &url,
        "--name",
        "shop",
        "--quiet",
        "--evidence-dir",
        &one_text,
        "--dump-intended",
        &one_dump_text,
    ];
    args.extend(SCHEDULE);
    let before = gets_logged(&nginx);
    let output = gonogo(&args, dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(gets_logged(&nginx) - before, PLANNED);
    let whole = read_dump(&one_dump);
    assert_eq!(whole.len(), PLANNED);
    let (code, one_verdict, stderr) = gate(dir, &one);
    assert_eq!(code, Some(0), "{stderr}\n{one_verdict:#}");
    assert_eq!(one_verdict["verdict"], "GO");

    for count in [1u64, 2, 4, 7] {
        let before = gets_logged(&nginx);
        let (evidence, union) = run_segments(dir, &url, count, None);
        assert_eq!(
            gets_logged(&nginx) - before,
            PLANNED,
            "N = {count}: requests nginx saw"
        );
        assert_eq!(union, whole, "N = {count}: arrivals and intended times");
        let (code, verdict, stderr) = gate(dir, &evidence);
        assert_eq!(code, Some(0), "N = {count}: {stderr}\n{verdict:#}");
        assert_eq!(essence(&verdict), essence(&one_verdict), "N = {count}");
        assert_eq!(
            verdict["gates"][0]["measured"]["n"],
            serde_json::json!(PLANNED)
        );
        let files = std::fs::read_dir(&evidence).unwrap().count();
        assert_eq!(files as u64, count, "one evidence file per segment");
    }

    // A missing segment: segment 2 of 4 never reported.
    let (evidence, _) = run_segments(dir, &url, 4, Some("shop-4"));
    let segment_file = |evidence: &Path, label: &str| {
        std::fs::read_dir(evidence)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                let record: serde_json::Value = serde_json::from_str(&text).unwrap();
                format!(
                    "{}/{}",
                    record["segment"]["index"], record["segment"]["count"]
                ) == label
            })
            .unwrap()
    };
    let missing = dir.join("missing");
    std::fs::create_dir_all(&missing).unwrap();
    for label in ["0/4", "1/4", "3/4"] {
        let from = segment_file(&evidence, label);
        std::fs::copy(&from, missing.join(from.file_name().unwrap())).unwrap();
    }
    let (code, verdict, stderr) = gate(dir, &missing);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(verdict["verdict"], "NO-GO", "{verdict:#}");
    assert!(
        verdict["gates"][0]["why"]
            .as_str()
            .unwrap()
            .contains("segment 2/4 of test shop-4 is missing"),
        "{verdict:#}"
    );

    // A duplicated segment: segment 1 again (a retried pod), with its own result.
    let duplicated = dir.join("duplicated");
    std::fs::create_dir_all(&duplicated).unwrap();
    for label in ["0/4", "1/4", "2/4", "3/4"] {
        let from = segment_file(&evidence, label);
        std::fs::copy(&from, duplicated.join(from.file_name().unwrap())).unwrap();
    }
    let again = segment_file(&evidence, "1/4");
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    record["sha256"] = serde_json::json!("0".repeat(64));
    std::fs::write(
        duplicated.join("retried.json"),
        serde_json::to_string(&record).unwrap(),
    )
    .unwrap();
    let (code, verdict, stderr) = gate(dir, &duplicated);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        verdict["gates"][0]["why"]
            .as_str()
            .unwrap()
            .contains("segment 1/4 of test shop-4 appears twice"),
        "{verdict:#}"
    );

    // A segment of another split of the same test id stands in for segment 2 of 4.
    let (two, _) = run_segments(dir, &url, 2, Some("shop-4"));
    let foreign = dir.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    for (from_dir, label) in [
        (&evidence, "0/4"),
        (&evidence, "1/4"),
        (&evidence, "3/4"),
        (&two, "1/2"),
    ] {
        let from = segment_file(from_dir, label);
        std::fs::copy(&from, foreign.join(from.file_name().unwrap())).unwrap();
    }
    let (code, verdict, stderr) = gate(dir, &foreign);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        verdict["gates"][0]["why"]
            .as_str()
            .unwrap()
            .contains("mixes segments of different splits (N = 2, N = 4)"),
        "{verdict:#}"
    );
    // nginx sends `Date`: every segment has a clock-offset estimate, and one machine's
    // processes agree within the header's resolution.
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(segment_file(&evidence, "0/4")).unwrap())
            .unwrap();
    let offset = record["segment"]["clock_offset_ms"].as_f64().unwrap();
    assert!(offset.abs() <= 1_500.0, "{offset}");
}

#[test]
fn a_policy_load_section_runs_its_segment_and_the_gate_waits_for_the_others() {
    // Engine sections are the engine's own flags: `segment` and `test_id` work there too.
    let service = gonogo_testkit::demo_target();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!(
            "[target]\nbase_url = \"{}\"\n\n[load.shop]\npath = \"/api/items\"\nrate = 20\nduration = \"1s\"\nsegment = \"1/2\"\ntest_id = \"pol-1\"\n\n\
             [[gate]]\nname = \"errors\"\narea = \"reliability\"\nmetric = \"load.shop.errors\"\nexpect = \"rate < 5%\"\n",
            service.base_url()
        ),
    )
    .unwrap();
    let output = gonogo(&["run"], dir.path()).output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("segment 0/2 of test pol-1 is missing"),
        "{stdout}"
    );
    let written: Vec<String> = std::fs::read_dir(dir.path().join("gonogo-report/evidence"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written
            .iter()
            .any(|name| name.starts_with("load-shop-segment-1-of-2-")),
        "{written:?}"
    );
}

#[test]
fn ctrl_c_ends_the_wait_for_start_at_without_sending_anything() {
    let dir = tempfile::tempdir().unwrap();
    let start_at = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60)).to_string();
    // Port 9 on loopback: nothing listens, and nothing may be sent before the start anyway.
    let child = gonogo(
        &[
            "load",
            "http://127.0.0.1:9/",
            "--rate",
            "10",
            "--segment",
            "0/2",
            "--start-at",
            &start_at,
        ],
        dir.path(),
    )
    .spawn()
    .unwrap();
    // Wait until it says it is waiting (bounded), then interrupt it.
    let mut child = child;
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let first = received
        .recv_timeout(Duration::from_secs(20))
        .expect("the load says it waits");
    assert!(first.contains("waiting"), "{first}");
    // The handler is installed right after that line.
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let rest: Vec<String> = received.iter().collect();
    let rest = rest.join("\n");
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(
        rest.contains("stopped while waiting for --start-at"),
        "{rest}"
    );
    assert!(
        !dir.path().join(".gonogo").exists(),
        "no evidence of a run that never started"
    );
}
