//! `gonogo run --rollback-drill` end to end: the real binary, the real demo service on
//! loopback, a real repository with a previous release tag. A drill that works is GO; a
//! failing rollback command, and a rolled-back service that never answers healthy, are NO-GO.

use std::path::Path;
use std::process::Output;

use gonogo_demo_target::{Mode, spawn};

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

/// A repository whose HEAD is tagged v1.1.0 with v1.0.0 before it.
fn repository(dir: &Path) {
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &options).unwrap();
    let signature = git2::Signature::now("Dev", "dev@example.com").unwrap();
    let mut parent: Option<git2::Oid> = None;
    for tag in ["v1.0.0", "v1.1.0"] {
        std::fs::write(dir.join("app.txt"), tag).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("app.txt")).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = parent
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &signature, &signature, tag, &tree, &refs)
            .unwrap();
        repo.tag_lightweight(tag, &repo.find_object(id, None).unwrap(), false)
            .unwrap();
        parent = Some(id);
    }
}

fn policy(base_url: &str, deploy: &str, health: &str) -> String {
    format!(
        r#"[policy]
name = "drill"

[target]
base_url = "{base_url}"

[rollback]
deploy = "{deploy}"
forward = "echo forward >> deployed.txt"
health = "{health}"
within = "5s"
timeout = "30s"

[[gate]]
name = "rollback drilled"
area = "delivery"
metric = "delivery.rollback.drill"
expect = "value == 1"
"#
    )
}

fn drill(deploy: &str, health: Option<&str>) -> (Output, tempfile::TempDir) {
    let server = spawn(Mode::Hardened).unwrap();
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    let health = health.map_or_else(|| "/healthz".to_owned(), str::to_owned);
    std::fs::write(
        dir.path().join("gonogo.toml"),
        policy(&server.base_url(), deploy, &health),
    )
    .unwrap();
    let output = gonogo(&["run", "--rollback-drill", "--out", "out"], dir.path());
    server.stop().unwrap();
    (output, dir)
}

fn record(dir: &Path) -> serde_json::Value {
    for entry in std::fs::read_dir(dir.join("out/evidence")).unwrap() {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        if value["kind"] == "rollback" {
            return value;
        }
    }
    panic!("no rollback record")
}

#[test]
fn a_drill_against_the_demo_target_passes() {
    let (output, dir) = drill("echo {ROLLBACK_TAG} > deployed.txt", None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // The rollback target was the previous release, then the candidate came back.
    let deployed = std::fs::read_to_string(dir.path().join("deployed.txt")).unwrap();
    assert_eq!(deployed, "v1.0.0\nforward\n");
    let record = record(dir.path());
    assert_eq!(record["details"]["passed"], true);
    assert!(stderr.contains("healthy after"), "{stderr}");
    let verdict: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/verdict.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(verdict["verdict"], "GO");
    let gate = &verdict["gates"][0];
    assert_eq!(gate["status"], "pass");
}

#[test]
fn a_failing_rollback_command_is_no_go_and_still_rolls_forward() {
    let (output, dir) = drill("echo cannot deploy {ROLLBACK_TAG} >&2; exit 3", None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rollback: failed (exit 3"), "{stderr}");
    let record = record(dir.path());
    assert_eq!(record["details"]["passed"], false);
    // Rolled forward even so.
    let deployed = std::fs::read_to_string(dir.path().join("deployed.txt")).unwrap();
    assert_eq!(deployed, "forward\n");
}

#[test]
fn an_unhealthy_rolled_back_service_is_no_go() {
    // A loopback port nothing listens on: the rolled-back service never came up.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let health = format!("http://127.0.0.1:{port}/healthz");
    let (output, dir) = drill("echo {ROLLBACK_TAG} > deployed.txt", Some(&health));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not healthy within"), "{stderr}");
    let record = record(dir.path());
    assert_eq!(record["details"]["passed"], false);
    assert!(
        record["metrics"]
            .get("delivery.rollback.duration")
            .is_none()
    );
}

/// A `[rollback]` that cannot run (a bare-number time limit, a health host that is not
/// allowed) stops `run --rollback-drill` before anything runs: no engine, no command, no
/// evidence folder.
#[test]
fn a_broken_rollback_section_stops_the_run_before_anything_runs() {
    for (from, to, expected) in [
        ("within = \"5s\"", "within = \"5\"", "[rollback] within"),
        (
            "health = \"/healthz\"",
            "health = \"http://192.0.2.1/healthz\"",
            "[rollback] health",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        repository(dir.path());
        let text = policy(
            "http://127.0.0.1:9",
            "echo deployed > deployed.txt",
            "/healthz",
        )
        .replace(from, to)
            + "\n[[command]]\nname = \"marker\"\nrun = \"echo ran > ran.txt\"\n";
        std::fs::write(dir.path().join("gonogo.toml"), text).unwrap();
        let output = gonogo(&["run", "--rollback-drill", "--out", "out"], dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{to}: {stderr}");
        assert!(stderr.contains(expected), "{to}: {stderr}");
        assert!(!dir.path().join("ran.txt").exists(), "{to}: a command ran");
        assert!(
            !dir.path().join("deployed.txt").exists(),
            "{to}: the drill ran"
        );
    }
}
