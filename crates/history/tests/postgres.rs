//! The history on a real PostgreSQL server (Debian's `postgresql`), started by the test on a
//! free loopback port in a temporary data directory and stopped at the end: record, list,
//! trend, baselines by each selector, pin, prune, and SQLite → PostgreSQL → SQLite giving the
//! same runs and verdicts byte for byte.

use gonogo_history::pg::PgStore;
use gonogo_history::sqlite::SqliteStore;
use gonogo_history::{Filter, GateRow, HistoryError, NewRun, RunMeta, Selector, SeriesKey, Store};
use gonogo_testkit::postgres::PgServer as Server;

fn at(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_790_000_000 + seconds).unwrap()
}

fn record(name: &str) -> gonogo_core::evidence::Evidence {
    use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, sha256_hex};
    let mut e = Evidence::new(
        "junit",
        Source::File(format!("{name}.xml")),
        sha256_hex(name.as_bytes()),
        at(0),
        Tool::new("gonogo", "0.1.0"),
    );
    e.insert(
        "tests.failed",
        Metric::ratio(
            Ratio::new(1, 50).unwrap(),
            gonogo_core::units::Unit::count("tests"),
        ),
    );
    e
}

fn put(
    store: &mut dyn Store,
    seconds: i64,
    p95: f64,
    records: &[gonogo_core::evidence::Evidence],
) -> String {
    let decision = if p95 < 0.5 { "GO" } else { "NO-GO" };
    store
        .record(&NewRun {
            meta: RunMeta {
                service: "checkout".into(),
                env: Some("staging".into()),
                commit: Some(format!("{seconds:040x}")),
                branch: Some("main".into()),
                tags: vec!["v1.4.0".into()],
                ci_run: Some("https://ci.invalid/runs/1".into()),
                evaluated_at: at(seconds),
                recorded_at: at(seconds + 1),
                judged_in_past: seconds % 2 == 1,
                decision: decision.into(),
                policy_sha256: Some("policy-a".into()),
            },
            verdict: format!(
                "{{\"gonogo_verdict\":1,\"verdict\":\"{decision}\",\"at\":{seconds},\"unicode\":\"数据 ✓\"}}"
            ),
            gates: vec![GateRow {
                name: "checkout p95".into(),
                metric: "load.checkout.latency".into(),
                aggregate: "p(95)".into(),
                expect: "p(95) < 500ms".into(),
                status: if p95 < 0.5 { "pass" } else { "fail" }.into(),
                reason: (p95 >= 0.5).then(|| "breached".into()),
                unit: Some("s".into()),
                point: Some(p95),
                lower: Some(p95 * 0.9),
                upper: None,
                pair: Some((Some(p95 * 0.8), None)),
                n: Some(5000),
                k: None,
                threshold: Some(0.5),
            }],
            records,
        })
        .unwrap()
}

#[test]
fn the_store_on_a_real_postgresql() {
    let Some(server) = Server::start("the_store_on_a_real_postgresql") else {
        return;
    };
    let url = server.database("store");
    let mut store = PgStore::open(&url).unwrap();
    let shared = record("shared");
    let go = put(&mut store, 0, 0.4, std::slice::from_ref(&shared));
    let nogo = put(&mut store, 60, 0.6, &[shared.clone(), record("other")]);

    let runs = store.list(&Filter::default()).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [nogo.as_str(), go.as_str()]
    );
    assert_eq!(runs[0].failing, ["checkout p95"]);
    let shown = store.show(&go[..6]).unwrap();
    assert_eq!(shown.gates[0].pair, Some((Some(0.4 * 0.8), None)));
    assert_eq!(shown.gates[0].upper, None);
    assert!(shown.verdict.contains("数据 ✓"));

    let trend = store
        .series(
            "checkout",
            "staging",
            &SeriesKey::Gate("checkout p95".into()),
            10,
        )
        .unwrap();
    assert_eq!(
        trend
            .iter()
            .map(|p| p.gate.point.unwrap())
            .collect::<Vec<_>>(),
        [0.4, 0.6]
    );
    assert_eq!(
        trend.iter().map(|p| p.judged_in_past).collect::<Vec<_>>(),
        [false, false]
    );

    let find =
        |store: &PgStore, s: &str| store.find("checkout", "staging", &Selector::parse(s), None);
    assert_eq!(find(&store, "last").unwrap().unwrap().id, nogo);
    assert_eq!(find(&store, "last-go").unwrap().unwrap().id, go);
    // Under a policy: the same runs when it is theirs, none under another one.
    let under = |s: &str, policy: &str| {
        store
            .find("checkout", "staging", &Selector::parse(s), Some(policy))
            .unwrap()
            .map(|run| run.id)
    };
    assert_eq!(under("last-go", "policy-a"), Some(go.clone()));
    assert_eq!(under("last", "policy-b"), None);
    store.pin(&go, "release-1.4").unwrap();
    assert_eq!(find(&store, "release-1.4").unwrap().unwrap().id, go);
    assert!(matches!(
        find(&store, "release-9"),
        Err(HistoryError::UnknownRun(_))
    ));
    assert!(
        store
            .find("checkout", "production", &Selector::Last, None)
            .unwrap()
            .is_none()
    );

    // Two open the same database: migrations are not applied twice.
    drop(PgStore::open(&url).unwrap());

    put(&mut store, 120, 0.45, &[record("third")]);
    assert_eq!(store.prune(1).unwrap(), 1, "the pinned GO run stays");
    let left: Vec<String> = store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&go) && !left.contains(&nogo));

    // A database newer than this binary is refused.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .execute("INSERT INTO gonogo_schema (version) VALUES (99)", &[])
        .unwrap();
    let error = PgStore::open(&url).err().unwrap();
    assert!(
        matches!(error, HistoryError::Newer { found: 99, .. }),
        "{error}"
    );
}

#[test]
fn sqlite_to_postgresql_to_sqlite_keeps_every_run() {
    let Some(server) = Server::start("sqlite_to_postgresql_to_sqlite_keeps_every_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut first = SqliteStore::open(&dir.path().join("first.db")).unwrap();
    let shared = record("shared");
    let a = put(&mut first, 0, 0.4, std::slice::from_ref(&shared));
    put(&mut first, 61, 0.7, &[shared, record("b")]);
    first.pin(&a, "release-1.4").unwrap();

    let mut exported = Vec::new();
    gonogo_history::export(&first, &mut exported).unwrap();
    let mut pg = PgStore::open(&server.database("roundtrip")).unwrap();
    gonogo_history::import(&mut pg, &mut exported.as_slice(), gonogo_catalog::CATALOG).unwrap();
    let mut again = Vec::new();
    gonogo_history::export(&pg, &mut again).unwrap();
    assert_eq!(
        again, exported,
        "PostgreSQL exports exactly what it imported"
    );

    let mut last = SqliteStore::open(&dir.path().join("last.db")).unwrap();
    gonogo_history::import(&mut last, &mut again.as_slice(), gonogo_catalog::CATALOG).unwrap();
    assert!(
        last.list(&Filter::default()).unwrap()[0]
            .meta
            .judged_in_past,
        "a run judged in the past stays marked"
    );
    for id in first.all_ids().unwrap() {
        let (before, after) = (first.show(&id).unwrap(), last.show(&id).unwrap());
        assert_eq!(before, after);
        assert_eq!(before.verdict, pg.show(&id).unwrap().verdict);
    }
    assert_eq!(last.pins().unwrap(), first.pins().unwrap());
    for identity in first.show(&a).unwrap().evidence {
        assert_eq!(
            last.evidence(&identity).unwrap(),
            first.evidence(&identity).unwrap()
        );
    }
}

/// Two writers on one fresh PostgreSQL history at once (each its own connection, both opening
/// the database for the first time, so the migrations race too): 2 × 100 runs sharing one
/// evidence record all land whole.
#[test]
fn two_writers_at_once_on_postgresql_both_land() {
    let Some(server) = Server::start("two_writers_at_once_on_postgresql_both_land") else {
        return;
    };
    let url = server.database("concurrent");
    let shared = record("shared");
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let url = url.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url).unwrap();
                for i in 0..100 {
                    let own = record(&format!("w{w}-{i}"));
                    put(
                        &mut store,
                        (w * 1000 + i) as i64 * 2,
                        0.4,
                        &[shared.clone(), own],
                    );
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer failed");
    }
    let store = PgStore::open(&url).unwrap();
    let runs = store
        .list(&Filter {
            limit: Some(1000),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 200);
    for run in &runs {
        let shown = store.show(&run.id).unwrap();
        assert_eq!(shown.gates.len(), 1, "{}", run.id);
        assert_eq!(shown.evidence.len(), 2, "{}", run.id);
    }
    assert!(store.evidence(&shared.identity()).unwrap().is_some());
}
