//! Durable and concurrent on SQLite: a writer killed with SIGKILL at random points 50 times
//! loses nothing it had committed and leaves no half-run; two processes writing 100 runs each
//! into one history give 200 whole runs.
//!
//! The writers are this test binary run again as a child (`writer` below does nothing unless
//! `GONOGO_HISTORY_WRITER` names a database).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, sha256_hex};
use gonogo_history::sqlite::SqliteStore;
use gonogo_history::{Filter, GateRow, NewRun, RunMeta, Store};

const GATES: usize = 100;
const RECORDS: usize = 5;

fn evidence(name: &str) -> Evidence {
    let mut e = Evidence::new(
        "junit",
        Source::File(format!("{name}.xml")),
        sha256_hex(name.as_bytes()),
        jiff::Timestamp::from_second(1_790_000_000).unwrap(),
        Tool::new("gonogo", "0.1.0"),
    );
    e.insert(
        "tests.failed",
        Metric::ratio(
            Ratio::new(0, 10).unwrap(),
            gonogo_core::units::Unit::count("tests"),
        ),
    );
    e
}

/// One run: GATES gates and RECORDS records, one of them shared by every run.
fn write_run(store: &mut SqliteStore, tag: &str, i: usize) -> String {
    let mut records = vec![evidence("shared")];
    records.extend((1..RECORDS).map(|r| evidence(&format!("{tag}-{i}-{r}"))));
    let gates = (0..GATES)
        .map(|g| GateRow {
            name: format!("gate {g}"),
            metric: format!("custom.m{g}"),
            aggregate: "p(95)".into(),
            expect: "p(95) < 1s".into(),
            status: "pass".into(),
            reason: None,
            unit: Some("s".into()),
            point: Some(0.1 + g as f64 / 1000.0),
            lower: Some(0.09),
            upper: Some(0.2),
            pair: Some((Some(0.08), Some(0.21))),
            n: Some(1000),
            k: None,
            threshold: Some(1.0),
        })
        .collect();
    let now = jiff::Timestamp::now();
    store
        .record(&NewRun {
            meta: RunMeta {
                service: "checkout".into(),
                env: None,
                commit: None,
                branch: None,
                tags: vec![],
                ci_run: Some(format!("{tag}-{i}")),
                evaluated_at: now,
                recorded_at: now,
                judged_in_past: false,
                decision: "GO".into(),
                policy_sha256: Some("policy-a".into()),
            },
            verdict: format!("{{\"gonogo_verdict\":1,\"run\":\"{tag}-{i}\"}}"),
            gates,
            records: &records,
        })
        .unwrap()
}

/// The child: writes `GONOGO_HISTORY_RUNS` runs (default: until killed), printing each id once
/// it is committed.
#[test]
fn writer() {
    let Some(path) = std::env::var_os("GONOGO_HISTORY_WRITER") else {
        return;
    };
    let tag = std::env::var("GONOGO_HISTORY_TAG").unwrap_or_default();
    let runs: usize = std::env::var("GONOGO_HISTORY_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let mut store = SqliteStore::open(Path::new(&path)).unwrap();
    for i in 0..runs {
        let id = write_run(&mut store, &tag, i);
        println!("committed {id}");
    }
}

fn spawn_writer(db: &Path, tag: &str, runs: Option<usize>) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "writer", "--nocapture", "--test-threads", "1"])
        .env("GONOGO_HISTORY_WRITER", db)
        .env("GONOGO_HISTORY_TAG", tag)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr_file(db, tag)).unwrap());
    if let Some(runs) = runs {
        command.env("GONOGO_HISTORY_RUNS", runs.to_string());
    }
    command.spawn().unwrap()
}

/// Where the writer tagged `tag` writes its stderr, to show why it failed.
fn stderr_file(db: &Path, tag: &str) -> std::path::PathBuf {
    db.with_extension(format!("{tag}.stderr"))
}

fn committed(child: &mut Child) -> Vec<String> {
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        // libtest may print `test writer ... ` on the same line as the first id.
        .filter_map(|line| {
            line.split_once("committed ")
                .map(|(_, id)| id.trim().to_owned())
        })
        .collect()
}

/// Every run has all its gates and records, and every record it names is stored.
fn assert_every_run_whole(store: &SqliteStore) -> usize {
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let ids = store.all_ids().unwrap();
    for id in &ids {
        let run = store.show(id).unwrap();
        assert_eq!(run.gates.len(), GATES, "run {id} is not whole");
        assert_eq!(run.evidence.len(), RECORDS, "run {id} is not whole");
        for identity in &run.evidence {
            assert!(
                store.evidence(identity).unwrap().is_some(),
                "{id}: {identity}"
            );
        }
    }
    ids.len()
}

#[test]
fn a_writer_killed_at_random_points_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    // A small xorshift, seeded from the clock: kill points differ from run to run, and the
    // seed is printed to replay one.
    let mut seed = jiff::Timestamp::now().as_nanosecond() as u64 | 1;
    eprintln!("kill-point seed {seed}");
    let mut promised: Vec<String> = Vec::new();
    for _ in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = spawn_writer(&db, "crash", None);
        // The kill point: 0 to 60 ms after the start, anywhere in opening, migrating or a
        // transaction.
        std::thread::sleep(std::time::Duration::from_micros(seed % 60_000));
        child.kill().unwrap();
        promised.extend(committed(&mut child));
        child.wait().unwrap();
    }
    let store = SqliteStore::open(&db).unwrap();
    let stored = assert_every_run_whole(&store);
    for id in &promised {
        assert!(store.show(id).is_ok(), "run {id} was committed, then lost");
    }
    assert!(stored >= promised.len());
    eprintln!(
        "{stored} whole runs after 50 kills ({} reported committed)",
        promised.len()
    );
}

#[test]
fn two_processes_writing_at_once_both_land() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut children = [
        spawn_writer(&db, "a", Some(100)),
        spawn_writer(&db, "b", Some(100)),
    ];
    let mut reported = 0;
    for (child, tag) in children.iter_mut().zip(["a", "b"]) {
        reported += committed(child).len();
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "writer {tag}: {status}\n{}",
            std::fs::read_to_string(stderr_file(&db, tag)).unwrap()
        );
    }
    assert_eq!(reported, 200);
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(assert_every_run_whole(&store), 200);
    let listed = store
        .list(&Filter {
            limit: Some(1000),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 200);
    // The shared record is stored once: 1 + 200 × 4 records.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let records: i64 = connection
        .query_row("SELECT COUNT(*) FROM evidence", [], |r| r.get(0))
        .unwrap();
    assert_eq!(records, 1 + 200 * (RECORDS as i64 - 1));
}
