//! The history's speed and size (issue 18), run by `bench/history.sh`:
//!
//! - recording one run of 100 gates and 50 records (budget: 20 ms on SQLite);
//! - over a history of N runs × 100 gates (default 10,000): a trend (the last 20 runs of one
//!   gate, and of one metric) and `--baseline last-go` (budget: 50 ms on SQLite, 100 ms on
//!   PostgreSQL on loopback);
//! - bytes per run (SQLite: the file, checkpointed), with 45 of each run's 50 records shared
//!   with every other run (unchanged inputs) and 5 its own.
//!
//! usage: bench LOCATION [N_RUNS]   (LOCATION: a SQLite file that does not exist yet, or a
//! postgres:// URL of an empty database)

use std::time::{Duration, Instant};

use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, sha256_hex};
use gonogo_history::{GateRow, Location, NewRun, RunMeta, Selector, SeriesKey, Store};

const GATES: usize = 100;
const RECORDS: usize = 50;
const SHARED: usize = 45;

fn evidence(name: &str) -> Evidence {
    let mut e = Evidence::new(
        "junit",
        Source::File(format!("reports/{name}.xml")),
        sha256_hex(name.as_bytes()),
        jiff::Timestamp::from_second(1_790_000_000).unwrap(),
        Tool::new("gonogo", "0.1.0"),
    );
    e.insert(
        "tests.failed",
        Metric::ratio(
            Ratio::new(3, 1200).unwrap(),
            gonogo_core::units::Unit::count("tests"),
        ),
    );
    e
}

fn run(i: usize, shared: &[Evidence]) -> (RunMeta, String, Vec<GateRow>, Vec<Evidence>) {
    let mut records = shared.to_vec();
    records.extend((SHARED..RECORDS).map(|r| evidence(&format!("run{i}-{r}"))));
    let gates = (0..GATES)
        .map(|g| {
            let point = 0.1 + ((i * 7 + g) % 50) as f64 / 1000.0;
            GateRow {
                name: format!("gate {g}"),
                metric: format!("load.scenario{g}.latency"),
                aggregate: "p(95)".into(),
                expect: "p(95) < 500ms".into(),
                status: "pass".into(),
                reason: None,
                unit: Some("s".into()),
                point: Some(point),
                lower: Some(point * 0.95),
                upper: Some(point * 1.05),
                pair: Some((Some(point * 0.93), Some(point * 1.07))),
                n: Some(10_000),
                k: None,
                threshold: Some(0.5),
            }
        })
        .collect();
    let at = jiff::Timestamp::from_second(1_700_000_000 + i as i64 * 600).unwrap();
    let decision = if i % 3 == 0 { "NO-GO" } else { "GO" };
    (
        RunMeta {
            service: "checkout".into(),
            env: Some("staging".into()),
            commit: Some(format!("{i:040x}")),
            branch: Some("main".into()),
            tags: vec![],
            ci_run: Some(format!("https://ci.invalid/runs/{i}")),
            evaluated_at: at,
            recorded_at: at,
            judged_in_past: false,
            decision: decision.into(),
            policy_sha256: Some("policy-a".into()),
        },
        format!("{{\"gonogo_verdict\":1,\"verdict\":\"{decision}\",\"run\":{i}}}"),
        gates,
        records,
    )
}

fn record(store: &mut dyn Store, i: usize, shared: &[Evidence]) -> Duration {
    let (meta, verdict, gates, records) = run(i, shared);
    let start = Instant::now();
    store
        .record(&NewRun {
            meta,
            verdict,
            gates,
            records: &records,
        })
        .expect("recorded");
    start.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn time<T>(times: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..times {
        let start = Instant::now();
        last = Some(f());
        samples.push(start.elapsed());
    }
    (median(samples), last.expect("timed at least once"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: bench LOCATION [N_RUNS]");
    let runs: usize = args.next().map_or(10_000, |n| n.parse().expect("N_RUNS"));
    let location = Location::parse(&target, std::path::Path::new("."));
    let (kind, budget) = match location {
        Location::Sqlite(_) => ("SQLite", 50.0),
        Location::Postgres(_) => ("PostgreSQL", 100.0),
    };
    let mut store = gonogo_history::open(&location).expect("the history opens");
    let shared: Vec<Evidence> = (0..SHARED)
        .map(|r| evidence(&format!("shared{r}")))
        .collect();

    let started = Instant::now();
    let mut recording = Vec::new();
    for i in 0..runs {
        let took = record(store.as_mut(), i, &shared);
        if i < 50 || i >= runs - 50 {
            recording.push(took);
        }
    }
    let filled = started.elapsed();
    let record_ms = ms(median(recording));
    println!(
        "{kind}: recorded {runs} runs × {GATES} gates, {RECORDS} records each ({SHARED} shared) in {:.1} s",
        filled.as_secs_f64()
    );
    println!(
        "{kind}: record one run (100 gates, 50 records): {record_ms:.2} ms median (budget 20 ms: {:.1}× under)",
        20.0 / record_ms
    );

    let (trend, points) = time(21, || {
        store
            .series(
                "checkout",
                "staging",
                &SeriesKey::Gate("gate 42".into()),
                20,
            )
            .expect("a trend")
    });
    assert_eq!(points.len(), 20.min(runs));
    let (by_metric, points) = time(21, || {
        store
            .series(
                "checkout",
                "staging",
                &SeriesKey::Metric {
                    metric: "load.scenario42.latency".into(),
                    aggregate: Some("p(95)".into()),
                },
                20,
            )
            .expect("a trend")
    });
    assert_eq!(points.len(), 20.min(runs));
    let (last_go, found) = time(21, || {
        store
            .find("checkout", "staging", &Selector::LastGo, None)
            .expect("a baseline")
    });
    let found = found.expect("a GO run");
    assert_eq!(found.gates.len(), GATES);
    for (what, took) in [
        ("trend of a gate, last 20 runs", trend),
        ("trend of a metric, last 20 runs", by_metric),
        ("--baseline last-go (100 gates loaded)", last_go),
    ] {
        println!(
            "{kind}: {what} over {runs} runs: {:.2} ms median (budget {budget} ms: {:.1}× under)",
            ms(took),
            budget / ms(took)
        );
    }
    if let Location::Sqlite(path) = &location {
        let store = gonogo_history::sqlite::SqliteStore::open(path).expect("reopens");
        let bytes = store.checkpointed_size().expect("size");
        println!(
            "{kind}: {bytes} bytes for {runs} runs: {} bytes per run",
            bytes / runs as u64
        );
    }
}
