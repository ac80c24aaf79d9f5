//! `gonogo demo`: the whole pipeline against the built-in sample service, on loopback, offline.
//!
//! It starts the demo target (`gonogo-demo-target`) on an ephemeral loopback port, writes a
//! policy and the sample test and coverage files the demo's "CI" would have produced into
//! `./gonogo-demo/`, with a CI history and a small git history of the demo shop (releases,
//! a revert), runs `gonogo run --rollback-drill` on them, and stops the service. The default service has
//! realistic flaws (a slow tail, a share of 5xx, missing security headers, a readiness endpoint
//! that lies about its database, an inventory dependency called without a timeout or a
//! breaker), so the verdict is NO-GO; `--fixed` runs the same policy against the service with
//! its flaws fixed, and the verdict is GO. The policy drills the inventory (`[[fault]]`): a
//! proxy on a free loopback port between the shop and its inventory makes it slow, then
//! unreachable, while load and probes run.

use std::path::PathBuf;

use anyhow::Context as _;
use gonogo_demo_target::{DemoConfig, Mode, spawn_with};

use crate::exit::{Exit, Failure};
use crate::run::{self, RunArgs};

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
What it does, in under a minute and without any network:
  1. starts the sample service on 127.0.0.1 (a free port);
  2. writes gonogo-demo/gonogo.toml, the sample JUnit, LCOV and CI history files, and a
     git history of the demo shop (nine releases in eight weeks, one reverted);
  3. runs `gonogo run` with that policy: a resilience drill of the shop's inventory
     dependency (slow, then unreachable) with 3 load scenarios and 2 probes beside it,
     /metrics and log checks, a hardening audit, the collectors, the verdict;
  4. writes the reports to gonogo-demo/report/ and stops the service.

Exit codes: 0 GO (with --fixed), 1 NO-GO (the default), 2 and 3 as for `gonogo gate`.")]
pub struct DemoArgs {
    /// Run against the service with its flaws fixed (the verdict should be GO).
    #[arg(long)]
    pub fixed: bool,

    /// Where to write the policy, the sample files and the reports.
    #[arg(long, default_value = "gonogo-demo", value_name = "DIR")]
    pub dir: PathBuf,
}

/// The policy the demo runs, with `{BASE_URL}` and `{LOG}` filled in.
const DEMO_POLICY: &str = include_str!("demo.toml");

pub fn run(args: DemoArgs, color: bool) -> Result<Exit, Failure> {
    let mode = if args.fixed {
        Mode::Hardened
    } else {
        Mode::Weak
    };
    let dir = &args.dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failure::usage)?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
        .map_err(Failure::usage)?;
    // The hardening audit's role checks need real tokens of the service: an admin token, a
    // token of the lower role `user`, and the signing secret to mint an expired one. They
    // reach the audit through the environment, as a user's would.
    let tokens = [
        (
            "GONOGO_HARDEN_TOKEN",
            gonogo_demo_target::mint_token(mode, "admin", "admin", 3600),
        ),
        (
            "GONOGO_HARDEN_LOWER_TOKEN",
            gonogo_demo_target::mint_token(mode, "alice", "user", 3600),
        ),
        (
            "GONOGO_HARDEN_HMAC_SECRET",
            gonogo_demo_target::jwt_secret(mode).to_owned(),
        ),
    ];
    for (name, value) in tokens {
        // SAFETY: no other thread runs yet (the service starts below), so nothing reads the
        // environment concurrently.
        unsafe { std::env::set_var(name, value) };
    }
    let log = dir.join("service.log");
    let _ = std::fs::remove_file(&log);
    // The drill's proxy listens on a free loopback port; the shop asks its inventory there.
    let inventory_proxy = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .context("cannot find a free loopback port for the drill's proxy")
        .map_err(Failure::usage)?;
    let mut config = DemoConfig::new(mode).with_log_file(&log);
    config.inventory_via = Some(inventory_proxy);
    let server = spawn_with(config)
        .context("cannot start the demo service on loopback")
        .map_err(Failure::usage)?;
    eprintln!(
        "gonogo demo: the sample service runs at {} ({} mode{})",
        server.base_url(),
        mode.as_str(),
        if args.fixed {
            ": its flaws are fixed"
        } else {
            ", with realistic flaws; --fixed removes them"
        }
    );

    let write = |name: &str, text: &str| {
        crate::fsutil::write_atomic(&dir.join(name), text.as_bytes()).map_err(Failure::from)
    };
    write(
        "gonogo.toml",
        &DEMO_POLICY
            .replace("{BASE_URL}", &server.base_url())
            .replace("{LOG}", &log.display().to_string())
            .replace("{INVENTORY_PROXY}", &inventory_proxy.to_string())
            .replace("{INVENTORY}", &server.inventory_address().to_string()),
    )?;
    write("junit.xml", &sample_junit(args.fixed))?;
    write("lcov.info", &sample_lcov(args.fixed))?;
    write("ci-runs.json", &sample_ci_runs(jiff::Timestamp::now()))?;
    match sample_history(&dir, jiff::Timestamp::now()) {
        Ok(true) => {}
        Ok(false) => eprintln!(
            "gonogo demo: {} is a git repository of its own; its history is judged as it is",
            dir.display()
        ),
        Err(e) => eprintln!("warning: the demo's git history could not be built: {e}"),
    }

    let outcome = run::execute(
        &RunArgs {
            policy: dir.join("gonogo.toml"),
            env: None,
            commit: None,
            out: dir.join("report"),
            baseline: None,
            lang: gonogo_report::i18n::Lang::En,
            markdown: false,
            now: None,
            wait: false,
            rollback_drill: true,
            notify: Default::default(),
            // Recorded beside the demo's policy: the NO-GO run and the `--fixed` GO run both.
            history: Default::default(),
        },
        color,
    );
    let stopped = server.stop();
    let outcome = outcome?;
    if let Err(e) = stopped {
        eprintln!("warning: the demo service did not stop cleanly: {e}");
    }
    eprintln!("\nThe HTML report: {}", outcome.html.display());
    Ok(outcome.exit)
}

/// The file in `.git/` that says the repository is the demo's own, rebuilt on every run.
const HISTORY_MARK: &str = "gonogo-demo-history";

/// The demo project's git history, built in `dir` with dates relative to `now`: nine
/// releases over eight weeks, one of them reverted a day later, the newest too young to
/// judge (docs/delivery.md). A folder that is already a repository not made by the demo is
/// left alone (`Ok(false)`).
fn sample_history(dir: &std::path::Path, now: jiff::Timestamp) -> Result<bool, git2::Error> {
    let git_dir = dir.join(".git");
    if git_dir.exists() {
        if !git_dir.join(HISTORY_MARK).is_file() {
            return Ok(false);
        }
        std::fs::remove_dir_all(&git_dir).map_err(|e| git2::Error::from_str(&e.to_string()))?;
    }
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &options)?;
    std::fs::write(
        git_dir.join(HISTORY_MARK),
        "built by gonogo demo; rebuilt on every run\n",
    )
    .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    // (days ago, commit subject, release tag and days ago it was tagged)
    type Release = Option<(&'static str, f64)>;
    let history: [(f64, &str, Release); 14] = [
        (58.0, "init shop", None),
        (55.0, "catalogue page", Some(("v1.0.0", 54.0))),
        (50.0, "cart", None),
        (49.0, "cart totals", Some(("v1.1.0", 47.0))),
        (44.0, "checkout", Some(("v1.2.0", 41.0))),
        (40.5, "Revert \"checkout\"", Some(("v1.2.1", 40.0))),
        (36.0, "checkout, again", Some(("v1.3.0", 34.0))),
        (29.0, "search", None),
        (27.0, "search filters", Some(("v1.4.0", 26.0))),
        (20.0, "payments", None),
        (15.0, "payments retries", Some(("v1.5.0", 13.0))),
        (9.0, "reviews", Some(("v1.6.0", 6.0))),
        (3.0, "wishlist", None),
        (2.5, "wishlist sharing", Some(("v1.7.0", 1.0))),
    ];
    let at = |days: f64| {
        let seconds = now.as_second() - (days * 86_400.0) as i64;
        git2::Signature::new("Demo Dev", "dev@shop.example", &git2::Time::new(seconds, 0))
    };
    let mut changelog = String::from("# Changelog of the demo shop\n");
    let mut parent: Option<git2::Oid> = None;
    let mut last_tree = None;
    for (days, subject, release) in history {
        changelog.push_str(&format!("- {subject}\n"));
        let blob = repo.blob(changelog.as_bytes())?;
        let mut builder = repo.treebuilder(None)?;
        builder.insert("CHANGELOG.md", blob, 0o100644)?;
        let tree = repo.find_tree(builder.write()?)?;
        let parents: Vec<git2::Commit> = parent
            .iter()
            .map(|p| repo.find_commit(*p))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        let signature = at(days)?;
        let id = repo.commit(Some("HEAD"), &signature, &signature, subject, &tree, &refs)?;
        if let Some((tag, tagged)) = release {
            repo.tag(tag, &repo.find_object(id, None)?, &at(tagged)?, tag, false)?;
        }
        parent = Some(id);
        last_tree = Some(tree);
    }
    if let Some(tree) = last_tree {
        let mut index = repo.index()?;
        index.read_tree(&tree)?;
        index.write()?;
    }
    std::fs::write(dir.join("CHANGELOG.md"), &changelog)
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    Ok(true)
}

/// The demo's CI history as `gh run list --json` writes it: the seeds' "145 s, well under
/// the 180 s target" and "100 % success" from four runs, which prove neither.
fn sample_ci_runs(now: jiff::Timestamp) -> String {
    let runs: Vec<serde_json::Value> = [(4, 145), (3, 150), (2, 138), (1, 160)]
        .iter()
        .enumerate()
        .map(|(i, (days, seconds))| {
            let start = now - jiff::SignedDuration::from_hours(24 * days);
            let end = start + jiff::SignedDuration::from_secs(*seconds);
            serde_json::json!({
                "databaseId": 7001 + i, "workflowName": "CI", "headBranch": "main",
                "event": "push", "status": "completed", "conclusion": "success",
                "attempt": 1, "createdAt": start.to_string(), "startedAt": start.to_string(),
                "updatedAt": end.to_string(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&runs).expect("runs serialise")
}

/// A JUnit file like the one cargo-nextest writes for the demo's 420 tests (all pass; the
/// demo's NO-GO comes from what gonogo measures, not from its tests).
fn sample_junit(_fixed: bool) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nextest-run\" tests=\"420\" failures=\"0\" errors=\"0\" uuid=\"00000000-0000-0000-0000-000000000000\" timestamp=\"2026-11-25T12:00:00.000+00:00\" time=\"12.5\">\n    <testsuite name=\"shop\" tests=\"420\" disabled=\"0\" errors=\"0\" failures=\"0\">\n",
    );
    for i in 0..420 {
        xml.push_str(&format!(
            "        <testcase name=\"api::checkout::case_{i:03}\" classname=\"shop\" timestamp=\"2026-11-25T12:00:00.000+00:00\" time=\"0.0{}\">\n        </testcase>\n",
            10 + i % 80
        ));
    }
    xml.push_str("    </testsuite>\n</testsuites>\n");
    xml
}

/// An LCOV tracefile of 40 source files, 50 lines each: 84 % covered with the fixes, 72 %
/// without (the weak service skipped tests for its error paths).
fn sample_lcov(fixed: bool) -> String {
    let covered_per_file = if fixed { 42 } else { 36 };
    let mut lcov = String::new();
    for file in 0..40 {
        lcov.push_str(&format!("TN:\nSF:src/module_{file:02}.rs\n"));
        for line in 1..=50 {
            let hits = u32::from(line <= covered_per_file);
            lcov.push_str(&format!("DA:{line},{hits}\n"));
        }
        lcov.push_str(&format!("LF:50\nLH:{covered_per_file}\nend_of_record\n"));
    }
    lcov
}
