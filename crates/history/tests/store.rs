//! The SQLite history: record, list, show, trend, baselines by each selector, pin, prune,
//! export/import, refusal of a newer or corrupted database.

use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, sha256_hex};
use gonogo_core::units::Unit;
use gonogo_history::sqlite::SqliteStore;
use gonogo_history::{Filter, GateRow, HistoryError, NewRun, RunMeta, Selector, SeriesKey, Store};

fn at(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_790_000_000 + seconds).unwrap()
}

fn record(name: &str, k: u64) -> Evidence {
    let mut e = Evidence::new(
        "junit",
        Source::File(format!("{name}.xml")),
        sha256_hex(name.as_bytes()),
        at(0),
        Tool::new("gonogo", "0.1.0"),
    );
    e.insert(
        "tests.failed",
        Metric::ratio(Ratio::new(k, 100).unwrap(), Unit::count("tests")),
    );
    e
}

fn gate(name: &str, metric: &str, aggregate: &str, point: f64, status: &str) -> GateRow {
    GateRow {
        name: name.into(),
        metric: metric.into(),
        aggregate: aggregate.into(),
        expect: format!("{aggregate} < 0.5s"),
        status: status.into(),
        reason: (status != "pass").then(|| "breached".into()),
        unit: Some("s".into()),
        point: Some(point),
        lower: Some(point * 0.9),
        upper: Some(point * 1.1),
        pair: Some((Some(point * 0.85), None)),
        n: Some(1000),
        k: None,
        threshold: Some(0.5),
    }
}

fn meta(seconds: i64, decision: &str, env: Option<&str>) -> RunMeta {
    RunMeta {
        service: "checkout".into(),
        env: env.map(str::to_owned),
        commit: Some(format!("{seconds:040x}")),
        branch: Some("main".into()),
        tags: vec![],
        ci_run: None,
        evaluated_at: at(seconds),
        recorded_at: at(seconds),
        judged_in_past: false,
        decision: decision.into(),
        policy_sha256: Some("policy-a".into()),
    }
}

fn put(store: &mut SqliteStore, seconds: i64, p95: f64, records: &[Evidence]) -> String {
    let decision = if p95 < 0.5 { "GO" } else { "NO-GO" };
    let status = if p95 < 0.5 { "pass" } else { "fail" };
    store
        .record(&NewRun {
            meta: meta(seconds, decision, None),
            verdict: format!("{{\"gonogo_verdict\":1,\"verdict\":\"{decision}\",\"n\":{seconds}}}"),
            gates: vec![
                gate(
                    "checkout p95",
                    "load.checkout.latency",
                    "p(95)",
                    p95,
                    status,
                ),
                gate("tests", "tests.failed", "rate", 0.0, "pass"),
            ],
            records,
        })
        .unwrap()
}

#[test]
fn runs_are_recorded_listed_shown_and_share_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".gonogo/history.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let shared = record("shared", 0);
    let first = put(&mut store, 0, 0.4, &[shared.clone(), record("one", 1)]);
    let second = put(&mut store, 60, 0.6, &[shared.clone(), record("two", 2)]);
    assert_ne!(first, second);

    let runs = store.list(&Filter::default()).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, second, "newest first");
    assert_eq!(runs[0].meta.decision, "NO-GO");
    assert_eq!(runs[0].failing, vec!["checkout p95".to_owned()]);
    assert!(runs[1].failing.is_empty());

    let shown = store.show(&second[..6]).unwrap();
    assert_eq!(shown.id, second);
    assert_eq!(shown.gates.len(), 2);
    assert_eq!(shown.gates[0].pair, Some((Some(0.6 * 0.85), None)));
    assert_eq!(shown.gates[0].n, Some(1000));
    assert!(shown.verdict.contains("\"n\":60"));
    assert_eq!(shown.evidence.len(), 2);
    assert!(shown.evidence.contains(&shared.identity()));
    let line = store.evidence(&shared.identity()).unwrap().unwrap();
    assert_eq!(sha256_hex(line.as_bytes()), shared.identity());

    // Three distinct records for two runs: the shared one is stored once.
    let connection = rusqlite::Connection::open(&path).unwrap();
    let stored: i64 = connection
        .query_row("SELECT COUNT(*) FROM evidence", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 3);
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");

    assert!(matches!(
        store.show("ffffffffffff"),
        Err(HistoryError::UnknownRun(_))
    ));
}

#[test]
fn a_trend_is_the_last_runs_one_point_each_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
    for i in 0..10 {
        put(&mut store, i * 60, 0.3 + i as f64 * 0.03, &[]);
    }
    let by_gate = store
        .series("checkout", "", &SeriesKey::Gate("checkout p95".into()), 4)
        .unwrap();
    let points: Vec<f64> = by_gate.iter().map(|p| p.gate.point.unwrap()).collect();
    let expected: Vec<f64> = (6..10).map(|i| 0.3 + i as f64 * 0.03).collect();
    assert_eq!(points, expected);
    let by_metric = store
        .series(
            "checkout",
            "",
            &SeriesKey::Metric {
                metric: "load.checkout.latency".into(),
                aggregate: Some("p(95)".into()),
            },
            4,
        )
        .unwrap();
    assert_eq!(by_metric, by_gate);
    assert!(
        store
            .series(
                "checkout",
                "staging",
                &SeriesKey::Gate("checkout p95".into()),
                4
            )
            .unwrap()
            .is_empty(),
        "another environment's runs are not this one's trend"
    );
}

#[test]
fn baselines_by_each_selector() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
    assert!(
        store
            .find("checkout", "", &Selector::Last, None)
            .unwrap()
            .is_none()
    );
    let go = put(&mut store, 0, 0.4, &[]);
    let nogo = put(&mut store, 60, 0.7, &[]);
    let pick = |store: &SqliteStore, s: &str| store.find("checkout", "", &Selector::parse(s), None);
    assert_eq!(pick(&store, "last").unwrap().unwrap().id, nogo);
    assert_eq!(pick(&store, "last-go").unwrap().unwrap().id, go);
    assert_eq!(pick(&store, &go[..8]).unwrap().unwrap().id, go);
    assert!(matches!(
        pick(&store, "release-1.4"),
        Err(HistoryError::UnknownRun(_))
    ));
    store.pin(&go, "release-1.4").unwrap();
    assert_eq!(pick(&store, "release-1.4").unwrap().unwrap().id, go);
    // A name is re-pinned, never duplicated.
    store.pin(&nogo, "release-1.4").unwrap();
    assert_eq!(pick(&store, "release-1.4").unwrap().unwrap().id, nogo);
    for bad in ["last", "last-go", "abc123", ""] {
        assert!(store.pin(&go, bad).is_err(), "{bad}");
    }
    // Another service has no last run.
    assert!(
        store
            .find("billing", "", &Selector::Last, None)
            .unwrap()
            .is_none()
    );
}

#[test]
fn prune_keeps_the_newest_and_the_pinned_and_drops_unused_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let oldest = put(&mut store, 0, 0.4, &[record("r0", 0)]);
    for i in 1..6 {
        put(&mut store, i * 60, 0.4, &[record(&format!("r{i}"), 0)]);
    }
    store.pin(&oldest, "keep-me").unwrap();
    assert_eq!(store.prune(2).unwrap(), 3);
    let left: Vec<String> = store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left.len(), 3);
    assert!(left.contains(&oldest));
    let connection = rusqlite::Connection::open(&path).unwrap();
    let count = |sql: &str| -> i64 { connection.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT COUNT(*) FROM evidence"), 3);
    assert_eq!(count("SELECT COUNT(*) FROM gates"), 6);
}

#[test]
fn export_then_import_gives_the_same_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut from = SqliteStore::open(&dir.path().join("a.db")).unwrap();
    let shared = record("shared", 3);
    let first = put(&mut from, 0, 0.4, std::slice::from_ref(&shared));
    put(&mut from, 60, 0.6, &[shared, record("x", 1)]);
    from.pin(&first, "release-1.4").unwrap();
    let mut exported = Vec::new();
    let moved = gonogo_history::export(&from, &mut exported).unwrap();
    assert_eq!((moved.runs, moved.records, moved.pins), (2, 2, 1));

    let mut into = SqliteStore::open(&dir.path().join("b.db")).unwrap();
    let imported =
        gonogo_history::import(&mut into, &mut exported.as_slice(), gonogo_catalog::CATALOG)
            .unwrap();
    assert_eq!(imported, moved);
    for id in from.all_ids().unwrap() {
        assert_eq!(into.show(&id).unwrap(), from.show(&id).unwrap());
    }
    assert_eq!(into.pins().unwrap(), from.pins().unwrap());
    // Again: nothing is added twice.
    let again =
        gonogo_history::import(&mut into, &mut exported.as_slice(), gonogo_catalog::CATALOG)
            .unwrap();
    assert_eq!(again.runs, 0);
    assert_eq!(into.all_ids().unwrap().len(), 2);

    // A record changed in the file is refused with its line.
    let text = String::from_utf8(exported).unwrap();
    let tampered = text.replacen("shared.xml", "sharee.xml", 1);
    let mut other = SqliteStore::open(&dir.path().join("c.db")).unwrap();
    let error = gonogo_history::import(
        &mut other,
        &mut tampered.as_bytes(),
        gonogo_catalog::CATALOG,
    )
    .unwrap_err();
    assert!(
        matches!(error, HistoryError::Import { line: 1, .. }),
        "{error}"
    );
    let error = gonogo_history::import(
        &mut other,
        &mut "{not json\n".as_bytes(),
        gonogo_catalog::CATALOG,
    )
    .unwrap_err();
    assert!(
        matches!(error, HistoryError::Import { line: 1, .. }),
        "{error}"
    );
}

#[test]
fn a_newer_database_and_a_corrupted_file_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    drop(SqliteStore::open(&path).unwrap());
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute("INSERT INTO gonogo_schema (version) VALUES (99)", [])
        .unwrap();
    drop(connection);
    let error = SqliteStore::open(&path).err().unwrap();
    assert!(
        matches!(error, HistoryError::Newer { found: 99, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("newer than this gonogo"),
        "{error}"
    );

    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, vec![0x5a; 8192]).unwrap();
    let error = SqliteStore::open(&corrupt).err().unwrap();
    let message = error.to_string();
    assert!(message.contains("corrupt.db"), "{message}");
    assert!(message.contains("not a gonogo history"), "{message}");
}

#[test]
fn migrations_are_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = SqliteStore::open(&path).unwrap();
    put(&mut store, 0, 0.4, &[]);
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.list(&Filter::default()).unwrap().len(), 1);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let connection = rusqlite::Connection::open(&path).unwrap();
    let versions: i64 = connection
        .query_row("SELECT COUNT(*) FROM gonogo_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, gonogo_history::migrations::LATEST);
}

/// `last` and `last-go` with a policy: only runs judged under that policy, as they happened. A
/// newer GO under another policy (a laxer dry run) or re-judged with `--now` in the past is
/// never picked; a run named by id still is.
#[test]
fn last_and_last_go_keep_to_the_policy_judged_as_it_happened() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
    let ours = put(&mut store, 0, 0.4, &[]);
    let mut other = |seconds: i64, policy: Option<&str>, judged_in_past: bool| {
        let mut meta = meta(seconds, "GO", None);
        meta.policy_sha256 = policy.map(str::to_owned);
        meta.judged_in_past = judged_in_past;
        store
            .record(&NewRun {
                meta,
                verdict: format!("{{\"at\":{seconds}}}"),
                gates: vec![gate("p95", "load.checkout.latency", "p(95)", 0.45, "pass")],
                records: &[],
            })
            .unwrap()
    };
    let laxer = other(60, Some("policy-b"), false);
    let unknown = other(120, None, false);
    let replayed = other(180, Some("policy-a"), true);
    for selector in [Selector::Last, Selector::LastGo] {
        let found = store
            .find("checkout", "", &selector, Some("policy-a"))
            .unwrap()
            .unwrap();
        assert_eq!(found.id, ours, "{selector:?}");
        let any = store
            .find("checkout", "", &selector, None)
            .unwrap()
            .unwrap();
        assert_eq!(any.id, replayed, "without a policy: the newest");
    }
    assert!(
        store
            .find("checkout", "", &Selector::LastGo, Some("policy-c"))
            .unwrap()
            .is_none()
    );
    for named in [&laxer, &unknown] {
        let found = store
            .find(
                "checkout",
                "",
                &Selector::Named(named.clone()),
                Some("policy-a"),
            )
            .unwrap()
            .unwrap();
        assert_eq!(&found.id, named);
    }
    assert_eq!(
        store.show(&laxer).unwrap().meta.policy_sha256.as_deref(),
        Some("policy-b")
    );
}

/// Switching a new file to write-ahead logging needs an exclusive lock, and SQLite refuses it at
/// once (without the busy handler) while another connection holds the reserved lock; a shared
/// lock alone is waited for. Two gonogo processes opening one new history at once met that as
/// "database is locked". Opening must wait for the other connection instead, as every write
/// does.
#[test]
fn opening_a_new_history_waits_for_another_connections_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    // Another process's connection on the new file, still in rollback mode, in a write
    // transaction: it holds the reserved lock, as a second gonogo does while it migrates.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
        .unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    let opener = std::thread::spawn({
        let path = path.clone();
        move || sender.send(SqliteStore::open(&path).map(drop)).unwrap()
    });
    // While the lock is held, opening neither succeeds nor fails: it waits. (Before the fix it
    // failed within milliseconds.)
    match receiver.recv_timeout(std::time::Duration::from_millis(500)) {
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        other => panic!("open returned while another connection held the lock: {other:?}"),
    }
    other.execute_batch("COMMIT").unwrap();
    receiver.recv().unwrap().unwrap();
    opener.join().unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
