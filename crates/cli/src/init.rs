//! `gonogo init`: a starter policy that `gonogo run` can execute on day one.
//!
//! It asks nothing: it looks at the folder (pyproject.toml, Cargo.toml, package.json, go.mod,
//! pom.xml, build.gradle) for how the project runs its tests, and with `--target URL` adds a
//! probe, a load scenario, observe and harden sized so that their gates can pass on a healthy
//! service. Every gate is one a careful team would write: `count == 0` failed tests (a census
//! of this run), coverage compared exactly, a watch window long enough for `rate >= 99%`, a
//! load long enough for `p(95)` and `rate < 1%`. Every key is commented.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::exit::{Exit, Failure};

/// Write a starter policy for this folder's project (and, with --target, its running service).
///
/// Looks at the folder for how the project runs its tests (pyproject.toml, Cargo.toml,
/// package.json, go.mod, pom.xml, build.gradle) and writes `[[command]]`s that run them with
/// JUnit and coverage output where the tool can, plus the honest gates on them. With --target,
/// adds a readiness probe, a load scenario, observe and harden, each sized so its gates can
/// pass on a healthy service. Then: `gonogo run`.
///
/// Examples:
///   gonogo init
///   gonogo init --target http://127.0.0.1:8080
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(default_value = "gonogo.toml", value_name = "FILE")]
    pub path: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
    /// The running service to probe, load and audit (loopback, e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// The service's name in reports (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
}

/// How a project runs its tests, as found in its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// What was found (`pyproject.toml`).
    pub marker: &'static str,
    pub tool: &'static str,
    /// The command that runs the tests.
    pub run: &'static str,
    /// `(kind, path)` of the JUnit report the command writes, if the tool can.
    pub junit: Option<(&'static str, &'static str)>,
    /// `(kind, path)` of the coverage report the command writes, if the tool can.
    pub coverage: Option<(&'static str, &'static str)>,
    /// What to add for JUnit or coverage when the command cannot write them itself.
    pub note: Option<&'static str>,
}

/// The project in `dir`, by the first marker file found.
pub fn detect(dir: &Path) -> Option<Project> {
    let has = |name: &str| dir.join(name).is_file();
    let python = [
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
    ];
    if let Some(marker) = python.into_iter().find(|m| has(m)) {
        return Some(Project {
            marker,
            tool: "pytest",
            run: "python -m pytest --junitxml=junit.xml --cov --cov-report=xml:coverage.xml",
            junit: Some(("junit", "junit.xml")),
            coverage: Some(("cobertura", "coverage.xml")),
            note: Some("needs pytest-cov for --cov (pip install pytest-cov)"),
        });
    }
    if has("Cargo.toml") {
        return Some(Project {
            marker: "Cargo.toml",
            tool: "cargo",
            run: "cargo test --workspace",
            junit: None,
            coverage: None,
            note: Some(
                "for per-test evidence, run `cargo nextest run --profile ci` with a JUnit path \
                 in .config/nextest.toml and add `evidence = { junit = \"target/nextest/ci/junit.xml\" }`; \
                 for coverage, `cargo llvm-cov --lcov --output-path lcov.info` and `lcov = \"lcov.info\"`",
            ),
        });
    }
    if has("pom.xml") {
        return Some(Project {
            marker: "pom.xml",
            tool: "maven",
            run: "mvn -B verify",
            junit: Some(("junit", "target/surefire-reports/*.xml")),
            coverage: std::fs::read_to_string(dir.join("pom.xml"))
                .ok()
                .filter(|pom| pom.contains("jacoco-maven-plugin"))
                .map(|_| ("jacoco", "target/site/jacoco/jacoco.xml")),
            note: Some("coverage needs the jacoco-maven-plugin's report goal"),
        });
    }
    if has("build.gradle") || has("build.gradle.kts") {
        return Some(Project {
            marker: if has("build.gradle") {
                "build.gradle"
            } else {
                "build.gradle.kts"
            },
            tool: "gradle",
            run: "./gradlew test",
            junit: Some(("junit", "build/test-results/test/*.xml")),
            coverage: None,
            note: Some(
                "for coverage, apply the jacoco plugin and add `jacoco = \"build/reports/jacoco/test/jacocoTestReport.xml\"`",
            ),
        });
    }
    if has("package.json") {
        return Some(Project {
            marker: "package.json",
            tool: "npm",
            run: "npm test",
            junit: None,
            coverage: None,
            note: Some(
                "for per-test evidence, add the jest-junit reporter (JEST_JUNIT_OUTPUT_FILE=junit.xml) and \
                 `--coverage --coverageReporters=lcov`, then `evidence = { junit = \"junit.xml\", lcov = \"coverage/lcov.info\" }`",
            ),
        });
    }
    if has("go.mod") {
        return Some(Project {
            marker: "go.mod",
            tool: "go",
            run: "go test ./...",
            junit: None,
            coverage: None,
            note: Some(
                "for per-test evidence, run the tests through gotestsum --junitfile junit.xml and add `evidence = { junit = \"junit.xml\" }`",
            ),
        });
    }
    None
}

pub fn run(args: InitArgs) -> Result<Exit, Failure> {
    if args.path.exists() && !args.force {
        return Err(Failure::usage(anyhow!(
            "{} exists already\nhint: pass --force to replace it",
            args.path.display()
        )));
    }
    let folder = crate::pipeline::policy_folder(&args.path);
    if let Some(url) = &args.target {
        check_target(url).map_err(Failure::usage)?;
    }
    let name = args.name.clone().unwrap_or_else(|| {
        std::fs::canonicalize(&folder)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "my-service".to_owned())
    });
    let project = detect(&folder);
    let text = policy(&name, project.as_ref(), args.target.as_deref());
    // Every policy init writes must load: a broken starter is a bug, not the user's problem.
    gonogo_core::policy::Policy::parse(&text, None, gonogo_catalog::CATALOG).map_err(
        |problems| {
            Failure::from(anyhow!(
                "internal error: the starter policy does not load: {problems:?}"
            ))
        },
    )?;
    crate::fsutil::write_atomic(&args.path, text.as_bytes())?;
    match &project {
        Some(p) => eprintln!(
            "found {} ({}): `gonogo run` runs `{}`",
            p.marker, p.tool, p.run
        ),
        None => eprintln!(
            "found no project file (pyproject.toml, Cargo.toml, package.json, go.mod, pom.xml): add your test command under [[command]]"
        ),
    }
    if args.target.is_none() {
        eprintln!("no --target: add one to probe, load and audit the running service");
    }
    eprintln!(
        "wrote {}: every key is commented; next, `gonogo run`",
        args.path.display()
    );
    Ok(Exit::Go)
}

/// `--target` must be a URL gonogo's engines may reach (loopback), said now rather than after
/// the first run's commands.
fn check_target(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| anyhow!("--target `{url}` must start with http:// or https://"))?;
    if rest
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|a| a.contains('@'))
    {
        return Err(anyhow!(
            "--target must not carry credentials; give tokens through the environment"
        ));
    }
    // The policy's own reading of a URL's host, and the engines' one loopback rule.
    let origin = gonogo_core::policy::origin(url);
    let host = gonogo_core::policy::host_of(&origin).unwrap_or_default();
    if !gonogo_io::net::is_loopback_host(host) {
        return Err(anyhow!(
            "--target `{url}`: gonogo only sends traffic to loopback (127.0.0.0/8, ::1, *.localhost)"
        ));
    }
    Ok(())
}

/// Quotes a value for TOML (basic string).
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The policy text.
pub fn policy(name: &str, project: Option<&Project>, target: Option<&str>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"# gonogo.toml: what "ready for production" means for this service, as gates on evidence.
# Written by `gonogo init`{found}. Run it with `gonogo run`.
#
# A gate passes only when its whole confidence interval is on the right side of the threshold:
# too little evidence is *inconclusive*, never green. Every key: `gonogo schema policy`;
# every metric name: `gonogo metrics`.

[policy]
name = {name}
# Confidence of every interval, between 0.90 and 0.9999.
confidence = 0.95
# Evidence older than this is stale (per gate: `max_age`; no limit: "none", written out).
max_age = "7d"
"#,
        found = project
            .map(|p| format!(" from {}", p.marker))
            .unwrap_or_default(),
        name = quoted(name),
    );
    match project {
        Some(project) => command_section(&mut out, project),
        None => out.push_str(
            r#"
# Commands `gonogo run` runs first; each is a blocker of its own (a non-zero exit is NO-GO;
# `allow_failure = true` makes it a warning). Paths in `evidence` are relative to `dir`
# (the policy's folder when there is none).
# [[command]]
# name = "tests"
# run = "pytest --junitxml=junit.xml --cov --cov-report=xml:coverage.xml"
# evidence = { junit = "junit.xml", cobertura = "coverage.xml" }
#
# [[gate]]
# name = "tests pass"
# area = "functionality"
# metric = "tests.failed"
# expect = "count == 0"
"#,
        ),
    }
    if let Some(url) = target {
        target_sections(&mut out, url);
    } else {
        out.push_str(
            r#"
# The running service: `gonogo init --target http://127.0.0.1:8080` writes a readiness probe,
# a load scenario, observe and harden here, sized so that their gates can pass.
"#,
        );
    }
    let mut requires = Vec::new();
    if project.is_some_and(|p| p.junit.is_some()) {
        requires.push("\"junit\"");
    }
    if target.is_some() {
        requires.push("\"load\"");
        requires.push("\"probe\"");
    }
    let _ = write!(
        out,
        r#"
# A gate that does not pass yet can be waived, with a reason, an owner and an end date.
# [[waiver]]
# gate = "line coverage"
# reason = "legacy module excluded from coverage until 2.0"
# owner = "team-lead@example.com"
# expires = "2026-12-31"

# Environments override thresholds and severities: `gonogo run --env production`.
[env.production]
# Evidence kinds production must have; one that never arrives makes the verdict NO-GO.
requires = [{}]
"#,
        requires.join(", ")
    );
    out
}

fn command_section(out: &mut String, project: &Project) {
    let mut evidence = Vec::new();
    for (kind, path) in project.junit.iter().chain(project.coverage.iter()) {
        evidence.push(format!("{kind} = {}", quoted(path)));
    }
    let _ = write!(
        out,
        r#"
# The project's tests ({tool}, found from {marker}). A blocker: a non-zero exit is NO-GO
# (`allow_failure = true` makes it a warning). `timeout` ends it (default 30m); `dir` runs it
# elsewhere (then `evidence` paths are relative to that folder).
[[command]]
name = "tests"
run = {run}
"#,
        tool = project.tool,
        marker = project.marker,
        run = quoted(project.run),
    );
    if evidence.is_empty() {
        out.push_str("# evidence = { junit = \"junit.xml\" }\n");
    } else {
        let _ = writeln!(out, "evidence = {{ {} }}", evidence.join(", "));
    }
    if let Some(note) = project.note {
        let _ = writeln!(out, "# Note: {note}.");
    }
    if project.junit.is_some() {
        out.push_str(
            r#"
# No test of this run may fail. `count` counts this run's failed tests exactly (a census of
# the run, not a sample), so 62 of 62 passing tests is a pass. (`rate < 0.5%` would instead
# claim how often *any* run fails, which needs about 736 tests without a failure.)
[[gate]]
name = "tests pass"
area = "functionality"
metric = "tests.failed"
expect = "count == 0"
max_age = "24h"
"#,
        );
    }
    if project.coverage.is_some() {
        out.push_str(
            r#"
# Coverage counts every line, so it is compared exactly: 79.9 % fails `>= 80%`. A warning
# until the team agrees on its number (`severity = "blocker"` then).
[[gate]]
name = "line coverage"
area = "functionality"
metric = "coverage.lines"
expect = "rate >= 80%"
severity = "warn"
"#,
        );
    }
}

fn target_sections(out: &mut String, url: &str) {
    let _ = write!(
        out,
        r#"
# The service under test. Engine evidence counts only when it is about a service the policy
# names (this, the engine sections' URLs, [targets] origins).
[target]
base_url = {url}

# Readiness, probed every 100 ms for 40 s: 400 probes. `rate >= 99%` passes only when the
# lower end of its interval clears 99 %: with no failure that takes 368 probes at 95 %
# (longer windows tolerate a failure: 10m at 1s is 600 probes).
# Point `path` at your health endpoint.
[[probe]]
name = "ready"
path = "/"
conditions = ["[STATUS] == 200"]
watch = "40s"
interval = "100ms"

[[gate]]
name = "ready"
area = "reliability"
metric = "probe.ready.availability"
expect = "rate >= 99%"

# Load: 100 requests a second for 10 s, open model (latency from each request's intended
# start): 1,000 requests, enough for `p(95)` and for `rate < 1%` (368 without an error).
# Point `path` at a representative endpoint; `gonogo load --help` lists every key.
[load.main]
path = "/"
rate = 100
duration = "10s"

[[gate]]
name = "p95 latency"
area = "performance"
metric = "load.main.latency"
expect = "p(95) < 500ms"

[[gate]]
name = "error rate"
area = "reliability"
metric = "load.main.errors"
expect = "rate < 1%"

# Observability: /metrics lint, health endpoints. `require = ["http_requests_total"]` makes
# named series required; `logs = "service.log"` checks structured logs. Warnings until clean.
[observe]

[[gate]]
name = "metrics lint clean"
area = "observability"
metric = "observe.metrics.problems"
expect = "value == 0"
severity = "warn"

# Hardening: security headers, TLS, cookies, CORS, auth (docs/harden.md). Warnings until the
# findings are fixed or ignored with a reason; then make them blockers.
[harden]

[[gate]]
name = "no high-severity hardening findings"
area = "security"
metric = "harden.findings.high"
expect = "value == 0"
severity = "warn"
"#,
        url = quoted(url),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_is_a_policy_that_loads() {
        let dir = tempfile::tempdir().unwrap();
        let markers = [
            "pyproject.toml",
            "Cargo.toml",
            "pom.xml",
            "build.gradle",
            "package.json",
            "go.mod",
        ];
        for marker in markers {
            let folder = dir.path().join(marker.replace('.', "_"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(marker), "").unwrap();
            let project = detect(&folder).unwrap();
            assert_eq!(project.marker, marker);
            for target in [None, Some("http://127.0.0.1:8080")] {
                let text = policy("svc \"quoted\"", Some(&project), target);
                for env in [Some("production"), None] {
                    let policy =
                        gonogo_core::policy::Policy::parse(&text, env, gonogo_catalog::CATALOG)
                            .unwrap_or_else(|p| panic!("{marker} {target:?}: {p:?}\n{text}"));
                    assert!(policy.check_metrics(&Default::default()).is_empty());
                }
                let policy =
                    gonogo_core::policy::Policy::parse(&text, None, gonogo_catalog::CATALOG)
                        .unwrap();
                assert_eq!(policy.name.as_deref(), Some("svc \"quoted\""));
                // The tests command is a blocker gate of its own.
                assert!(policy.gates.iter().any(|g| g.name == "command tests"));
            }
        }
        assert_eq!(detect(dir.path()), None);
        let text = policy("x", None, None);
        assert!(gonogo_core::policy::Policy::parse(&text, None, gonogo_catalog::CATALOG).is_ok());
    }

    #[test]
    fn targets_must_be_loopback_and_carry_no_credentials() {
        assert!(check_target("http://127.0.0.1:8080").is_ok());
        assert!(check_target("http://[::1]:8080/").is_ok());
        assert!(check_target("http://api.localhost:8080").is_ok());
        assert!(check_target("http://example.com").is_err());
        assert!(check_target("http://user:pass@127.0.0.1:8080").is_err());
        assert!(check_target("127.0.0.1:8080").is_err());
    }
}
