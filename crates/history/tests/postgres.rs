//! The history on a real PostgreSQL server (Debian's `postgresql`), started by the test on a
//! free loopback port in a temporary data directory and stopped at the end: record, list,
//! trend, baselines by each selector, pin, prune, and SQLite → PostgreSQL → SQLite giving the
//! same runs and verdicts byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gonogo_history::pg::PgStore;
use gonogo_history::sqlite::SqliteStore;
use gonogo_history::{Filter, GateRow, HistoryError, NewRun, RunMeta, Selector, SeriesKey, Store};

/// A PostgreSQL server of its own, stopped on drop.
struct Server {
    child: Child,
    url: String,
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl Server {
    fn start(test: &str) -> Option<Server> {
        let Some(bin) = bin_dir() else {
            gonogo_io::testing::missing_tool("postgresql (initdb, postgres)", test);
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if is_root() {
            let chowned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chowned.success());
        }
        let init = as_server_user(&bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-U", "gonogo", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = as_server_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("postgres://gonogo@127.0.0.1:{port}/postgres");
        let server = Server {
            child,
            url,
            bin,
            data,
            _dir: dir,
        };
        // Ready when it accepts a connection; bounded.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if postgres::Client::connect(&server.url, postgres::NoTls).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// A fresh database on the server.
    fn database(&self, name: &str) -> String {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        self.url.replace("/postgres", &format!("/{name}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A fast shutdown, waited for (the child may be `runuser`, which passes no signal on).
        let stopped = as_server_user(&self.bin.join("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "-t", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

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
    gonogo_history::import(&mut pg, &mut exported.as_slice()).unwrap();
    let mut again = Vec::new();
    gonogo_history::export(&pg, &mut again).unwrap();
    assert_eq!(
        again, exported,
        "PostgreSQL exports exactly what it imported"
    );

    let mut last = SqliteStore::open(&dir.path().join("last.db")).unwrap();
    gonogo_history::import(&mut last, &mut again.as_slice()).unwrap();
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
