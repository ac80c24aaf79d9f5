//! `gonogo fault` and `[[fault]]` end to end: the real binary, a real redis-server behind the
//! proxy, a real probe meeting the drill during `gonogo run`.

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use gonogo_testkit::{Redis, text};

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

#[test]
fn fault_sections_are_checked_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[command]]\nname = \"marker\"\nrun = \"touch ran\"\n\n\
         [[fault]]\nname = \"redis\"\nlisten = \"127.0.0.1:6380\"\nupstrem = \"127.0.0.1:6379\"\n\n\
         [[fault]]\nname = \"db\"\nlisten = \"127.0.0.1:5433\"\nupstream = \"127.0.0.1:5432\"\nsteps = [\"db-down reset at=1s for=500\"]\n\n\
         [[fault]]\nname = \"api\"\nlisten = \"0.0.0.0:8081\"\nupstream = \"127.0.0.1:8080\"\nsteps = [\"api-errors reset at=0s for=1s\"]\n\n\
         [[fault]]\nname = \"far\"\nlisten = \"127.0.0.1:8082\"\nupstream = \"db.example:5432\"\nsteps = [\"far-down refuse at=0s for=1s\"]\n",
    )
    .unwrap();
    let output = gonogo(&["run"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("[[fault]] redis: unknown key `upstrem`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `upstream`?"), "{stderr}");
    assert!(stderr.contains("needs a unit"), "{stderr}");
    assert!(stderr.contains("loopback only"), "{stderr}");
    assert!(
        stderr.contains("db.example is not a loopback host"),
        "{stderr}"
    );
    assert!(!dir.path().join("ran").exists(), "nothing ran");
}

/// A drill runs beside the engines: a TCP probe of Redis through the proxy fails while the
/// proxy refuses connections and succeeds before and after.
#[test]
fn a_drill_runs_beside_a_probe_during_gonogo_run() {
    let Some(redis) = Redis::start("a_drill_runs_beside_a_probe_during_gonogo_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy_port = gonogo_testkit::free_port();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!(
            "[[fault]]\nname = \"redis\"\nlisten = \"127.0.0.1:{proxy_port}\"\nupstream = \"127.0.0.1:{}\"\n\
             steps = [\"redis-down refuse at=1s for=1s\"]\nduration = \"3s\"\n\n\
             [[probe]]\nname = \"redis\"\nurl = \"tcp://127.0.0.1:{proxy_port}\"\nsend = 'PING\\r\\n'\nexpect = '^\\+PONG'\n\
             watch = \"2800ms\"\ninterval = \"100ms\"\ntimeout = \"500ms\"\n\n\
             [[gate]]\narea = \"reliability\"\nmetric = \"probe.redis.availability\"\nexpect = \"rate >= 99%\"\n\n\
             [[gate]]\nname = \"recovers\"\narea = \"reliability\"\nmetric = \"recovery.redis-down.seconds\"\nexpect = \"value < 1s\"\n\n\
             [[gate]]\nname = \"ready during\"\narea = \"reliability\"\nmetric = \"probe.redis.availability[during:redis-down]\"\nexpect = \"rate >= 50%\"\n",
            redis.port
        ),
    )
    .unwrap();
    let started = Instant::now();
    let output = gonogo(&["run"], dir.path());
    let took = started.elapsed();
    let stderr = text(&output.stderr);
    assert!(stderr.contains("fault redis: + redis-down"), "{stderr}");
    assert!(stderr.contains("fault redis: - redis-down"), "{stderr}");
    assert!(
        took >= Duration::from_secs(3),
        "the drill's hard end: {took:?}"
    );
    // The probe's record: some attempts failed (the refusal), most passed.
    let evidence = dir.path().join("gonogo-report/evidence");
    let mut found = None;
    let mut phases = [(0, 0); 3];
    let mut recovery = None;
    for entry in std::fs::read_dir(&evidence).unwrap() {
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let ratio = &record["metrics"]["probe.redis.availability"]["ratio"];
        if let (Some(k), Some(n)) = (ratio["k"].as_u64(), ratio["n"].as_u64()) {
            found = Some((k, n));
            recovery = record["metrics"]["recovery.redis-down.seconds"]["value"].as_f64();
            phases = ["[before]", "[during:redis-down]", "[after]"].map(|phase| {
                let ratio = &record["metrics"][format!("probe.redis.availability{phase}")]["ratio"];
                (
                    ratio["k"].as_u64().unwrap_or(99),
                    ratio["n"].as_u64().unwrap_or(0),
                )
            });
        }
    }
    let (k, n) = found.unwrap_or_else(|| panic!("no probe record: {stderr}"));
    // ~28 attempts, ~10 of them in the second the proxy refused.
    assert!(n >= 20 && k < n && k >= n / 2, "{k} of {n}");
    // Per phase: every attempt before and after the refusal passed, none during it (an
    // attempt at a boundary may fall on either side of it).
    let [(bk, bn), (dk, dn), (ak, an)] = phases;
    assert!(bn >= 8 && bk == bn, "before: {bk} of {bn}");
    assert!(dn >= 8 && dk <= 1, "during: {dk} of {dn}");
    assert!(an >= 6 && ak + 1 >= an, "after: {ak} of {an}");
    assert_eq!(bn + dn + an, n, "every attempt in one phase");
    // Redis was back at once: the first attempts after the fault's end passed (probes every
    // 100 ms, so the figure is quantised at 0.1 s).
    let recovery = recovery.expect("a recovery figure");
    assert!((0.0..=0.2).contains(&recovery), "recovered in {recovery} s");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the availability gate fails: {stderr}"
    );
    // Gates speak of phases: recovery within 1 s passes, availability during the outage fails.
    let verdict: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("gonogo-report/verdict.json")).unwrap(),
    )
    .unwrap();
    let status = |name: &str| {
        verdict["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .map(|g| g["status"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(status("recovers").as_deref(), Some("pass"), "{verdict}");
    assert_eq!(status("ready during").as_deref(), Some("fail"), "{verdict}");
}

/// `gonogo fault` itself: the fault is in force when it says so, and Ctrl-C ends the drill
/// at once with the link restored (130).
#[test]
fn gonogo_fault_refuses_then_stops_on_sigint() {
    let Some(redis) = Redis::start("gonogo_fault_refuses_then_stops_on_sigint") else {
        return;
    };
    let port = gonogo_testkit::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gonogo"))
        .args(["fault", "--name", "redis", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--upstream")
        .arg(format!("127.0.0.1:{}", redis.port))
        .args(["--step", "redis-down refuse at=200ms for=30s"])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    // Before the fault: the link works (PING through the proxy).
    assert!(lines.next().unwrap().unwrap().starts_with("fault redis:"));
    let mut through = TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(&mut through, b"PING\r\n").unwrap();
    let mut answer = [0u8; 7];
    std::io::Read::read_exact(&mut through, &mut answer).unwrap();
    assert_eq!(&answer, b"+PONG\r\n");
    assert_eq!(lines.next().unwrap().unwrap(), "  + redis-down");
    assert_eq!(
        TcpStream::connect(("127.0.0.1", port)).unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    let asked = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.contains(&"  - redis-down".to_owned()), "{rest:?}");
}

/// The demo shop's inventory drilled through the real proxy during `gonogo run`, weak and
/// hardened: load and a readiness probe run at once beside the drill and record per phase;
/// the phases' counts add up to the whole run's; harden's detector finds the weak shop's
/// stack-trace pages among the load's responses during the outage, and none from the
/// hardened shop, whose breaker keeps errors away and whose readiness goes down meanwhile.
#[test]
fn the_demo_inventory_drill_splits_load_and_probes_by_phase() {
    use gonogo_demo_target::{DemoConfig, Mode, spawn_with};
    for mode in [Mode::Weak, Mode::Hardened] {
        let dir = tempfile::tempdir().unwrap();
        let proxy_port = gonogo_testkit::free_port();
        let mut config = DemoConfig::new(mode);
        config.inventory_via = Some(([127, 0, 0, 1], proxy_port).into());
        let shop = spawn_with(config).unwrap();
        std::fs::write(
            dir.path().join("gonogo.toml"),
            format!(
                "[target]\nbase_url = \"{}\"\n\n\
                 [[fault]]\nname = \"inventory\"\nlisten = \"127.0.0.1:{proxy_port}\"\nupstream = \"{}\"\n\
                 steps = [\"inventory-down black-hole at=1s for=1s\"]\nduration = \"3500ms\"\n\n\
                 [load.stock]\npath = \"/api/stock\"\nrate = 100\nduration = \"3s\"\n\n\
                 [[probe]]\nname = \"ready\"\npath = \"/readyz\"\nconditions = [\"[STATUS] == 200\"]\n\
                 watch = \"3s\"\ninterval = \"50ms\"\n\n\
                 [[gate]]\nname = \"no leaks\"\narea = \"security\"\nmetric = \"load.stock.leaks[during:inventory-down]\"\nexpect = \"count == 0\"\n",
                shop.base_url(),
                shop.inventory_address()
            ),
        )
        .unwrap();
        let output = gonogo(&["run"], dir.path());
        let stderr = text(&output.stderr);
        let evidence = dir.path().join("gonogo-report/evidence");
        let (mut load, mut probe) = (None, None);
        for entry in std::fs::read_dir(&evidence).unwrap() {
            let record: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap())
                    .unwrap();
            if record["metrics"]["load.stock.errors"].is_object() {
                load = Some(record["metrics"].clone());
            } else if record["metrics"]["probe.ready.availability"].is_object() {
                probe = Some(record["metrics"].clone());
            }
        }
        let load = load.unwrap_or_else(|| panic!("{mode:?}: no load record: {stderr}"));
        let probe = probe.unwrap_or_else(|| panic!("{mode:?}: no probe record: {stderr}"));
        let ratio = |metrics: &serde_json::Value, name: &str| {
            let ratio = &metrics[name]["ratio"];
            match (ratio["k"].as_u64(), ratio["n"].as_u64()) {
                (Some(k), Some(n)) => (k, n),
                _ => panic!("{mode:?}: no ratio {name}: {metrics}"),
            }
        };
        let phases = ["[before]", "[during:inventory-down]", "[after]"];
        // One fault: before, during and after cover the run, so they add up to it.
        for metric in ["load.stock.errors", "load.stock.leaks"] {
            let whole = ratio(&load, metric);
            let split = phases.map(|phase| ratio(&load, &format!("{metric}{phase}")));
            let sum = split
                .iter()
                .fold((0, 0), |(k, n), part| (k + part.0, n + part.1));
            assert_eq!(sum, whole, "{mode:?} {metric}: {split:?}");
        }
        let (_, due) = ratio(&load, "load.stock.errors");
        assert!((250..=320).contains(&due), "{mode:?}: {due} requests due");
        let (_, during) = ratio(&load, "load.stock.errors[during:inventory-down]");
        assert!((80..=120).contains(&during), "{mode:?}: {during} during");
        for phase in phases {
            let (_, n) = ratio(&probe, &format!("probe.ready.availability{phase}"));
            assert!(n >= 10, "{mode:?}: the probe watched {phase}: {n}");
            assert!(
                load[format!("load.stock.latency{phase}")].is_object(),
                "{mode:?}: latency {phase}"
            );
        }
        let (leaks, responses) = ratio(&load, "load.stock.leaks[during:inventory-down]");
        let (errors, _) = ratio(&load, "load.stock.errors[during:inventory-down]");
        let (ready, attempts) = ratio(&probe, "probe.ready.availability[during:inventory-down]");
        let (before_errors, _) = ratio(&load, "load.stock.errors[before]");
        assert_eq!(
            before_errors, 0,
            "{mode:?}: the inventory answered before the fault"
        );
        match mode {
            Mode::Weak => {
                // No timeout, no breaker: hung requests become 500 pages with a stack trace
                // when the hole closes, and readiness says ready throughout.
                assert!(
                    leaks >= 10 && errors >= leaks,
                    "{mode:?}: {leaks} leaks, {errors} errors"
                );
                assert_eq!(ready, attempts, "{mode:?}: readiness stays 200");
                assert_eq!(output.status.code(), Some(1), "{stderr}");
            }
            Mode::Hardened => {
                // The breaker opens and the last known count answers: no errors, no leaks;
                // readiness is down for most of the outage.
                assert_eq!((leaks, errors), (0, 0), "{mode:?}: of {responses}");
                assert!(
                    ready * 3 <= attempts,
                    "{mode:?}: ready {ready} of {attempts}"
                );
                assert_eq!(output.status.code(), Some(0), "{stderr}");
            }
        }
        shop.stop().unwrap();
    }
}
