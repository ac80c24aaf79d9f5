//! `gonogo run --rollback-drill`: a rollback that is known to work, not one that is written down.
//!
//! `[rollback]` in the policy names the command that deploys the rollback target (the
//! previous release tag, given to it as `{ROLLBACK_TAG}`), the command that rolls forward
//! again, a health probe (a path under `[target] base_url`, or a loopback URL) and a time
//! limit. The drill:
//!
//! 1. runs `deploy` (its own timeout; full log in `<out>/logs/rollback-deploy.log`);
//! 2. probes `health` every 200 ms until it answers below 400, and no later than `within`
//!    after `deploy` started;
//! 3. runs `forward`, whatever happened, so the target is left on the candidate.
//!
//! It passes when all three did. Evidence of kind `rollback`: `delivery.rollback.drill`
//! (1 passed, 0 failed) and, when healthy, `delivery.rollback.duration` (deploy start to the
//! first healthy answer, seconds). Without a drill, the only rollback evidence is
//! `git.rollback_target`: that a previous release tag exists, and nothing more.

use std::path::Path;
use std::time::{Duration, Instant};

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Source, Tool, sha256_hex};
use gonogo_core::text::Inert;
use gonogo_core::units::Unit;
use gonogo_delivery::command::{CommandSpec, StderrTail, TailPolicy, run_command};
use serde::Deserialize;

/// `[rollback]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackSection {
    /// Deploys the rollback target to the staging target; `{ROLLBACK_TAG}` is replaced by the
    /// previous release tag.
    pub deploy: String,
    /// Deploys the candidate again.
    pub forward: String,
    /// What must answer healthy (HTTP status below 400): a path under `[target] base_url`, or
    /// a URL.
    pub health: String,
    /// From the start of `deploy` to the first healthy answer, at most (default 60s).
    pub within: Option<String>,
    /// Each command's timeout (default 10m).
    pub timeout: Option<String>,
    /// The working directory of both commands, relative to the policy's folder.
    pub dir: Option<String>,
}

/// What the drill found.
#[derive(Debug)]
pub struct Drill {
    pub passed: bool,
    /// Deploy start to the first healthy answer.
    pub healthy_after: Option<Duration>,
    pub steps: Vec<String>,
}

fn seconds(text: &str, key: &str) -> Result<Duration, String> {
    gonogo_core::duration::parse_seconds(text)
        .map(Duration::from_secs_f64)
        .map_err(|e| format!("[rollback] {key} = {text:?}: {e}"))
}

/// A `[rollback]` section's settings, read and checked: its time limit, the commands'
/// timeout and the health target. `gonogo run` calls this before anything runs, so a typo
/// in `[rollback]` stops the run at once instead of after the engines.
pub fn settings(
    section: &RollbackSection,
    base_url: Option<&str>,
    allow: &[String],
) -> Result<Settings, String> {
    let within = seconds(section.within.as_deref().unwrap_or("60s"), "within")?;
    let timeout = seconds(section.timeout.as_deref().unwrap_or("10m"), "timeout")?;
    let url = if section.health.starts_with('/') {
        let base = base_url.ok_or("[rollback] health is a path: it needs [target] base_url")?;
        format!("{}{}", base.trim_end_matches('/'), section.health)
    } else {
        section.health.clone()
    };
    let target =
        gonogo_probe::net::Target::parse(&url).map_err(|e| format!("[rollback] health: {e}"))?;
    let policy = gonogo_probe::net::HostPolicy::new(allow.iter().cloned());
    policy
        .check(&target.host)
        .map_err(|e| format!("[rollback] health: {e}"))?;
    Ok(Settings {
        within,
        timeout,
        url,
        target,
        policy,
    })
}

/// What [`settings`] read from a `[rollback]` section.
pub struct Settings {
    within: Duration,
    timeout: Duration,
    url: String,
    target: gonogo_probe::net::Target,
    policy: gonogo_probe::net::HostPolicy,
}

/// Runs the drill; `Err` only for a `[rollback]` section that cannot run at all.
pub fn drill(
    section: &RollbackSection,
    base_url: Option<&str>,
    allow: &[String],
    rollback_tag: Option<&str>,
    policy_dir: &Path,
    logs: &Path,
) -> Result<Drill, String> {
    let Settings {
        within,
        timeout,
        url,
        target,
        policy,
    } = settings(section, base_url, allow)?;
    let tls =
        gonogo_probe::net::TlsSettings::new(&[]).map_err(|e| format!("[rollback] health: {e}"))?;
    let spec = gonogo_probe::probe::ProbeSpec::new("rollback", target);
    let dir = section.dir.as_ref().map(|d| policy_dir.join(d));

    let mut steps = Vec::new();
    let command = |name: &str, run: String| CommandSpec {
        name: name.to_owned(),
        run,
        timeout,
        dir: dir.clone().or_else(|| Some(policy_dir.to_path_buf())),
        pass_env: Vec::new(),
        secret_env: Vec::new(),
        redactor: gonogo_core::redact::Redactor::new(),
    };
    let run = |spec: &CommandSpec, log: &str, steps: &mut Vec<String>| -> bool {
        eprintln!(
            "  ▶ {}: {}",
            spec.name,
            Inert(&gonogo_core::redact::redact(&spec.run))
        );
        match run_command(
            spec,
            &logs.join(log),
            TailPolicy::default(),
            &mut StderrTail,
        ) {
            Ok(outcome) if outcome.succeeded() => {
                steps.push(format!("{}: ok in {:.1?}", spec.name, outcome.duration));
                true
            }
            Ok(outcome) => {
                steps.push(format!(
                    "{}: failed ({}; log {})",
                    spec.name,
                    match (outcome.timed_out, outcome.exit_code) {
                        (true, _) => "killed at its timeout".to_owned(),
                        (false, Some(code)) => format!("exit {code}"),
                        (false, None) => "killed by a signal".to_owned(),
                    },
                    outcome.log_path.display()
                ));
                false
            }
            Err(e) => {
                steps.push(format!("{}: could not run: {e}", spec.name));
                false
            }
        }
    };

    let started = Instant::now();
    let deployed = match rollback_tag {
        None if section.deploy.contains("{ROLLBACK_TAG}") => {
            steps.push("rollback: no previous release tag to roll back to".into());
            false
        }
        tag => run(
            &command(
                "rollback",
                section
                    .deploy
                    .replace("{ROLLBACK_TAG}", tag.unwrap_or_default()),
            ),
            "rollback-deploy.log",
            &mut steps,
        ),
    };
    let mut healthy_after = None;
    if deployed {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("rollback drill: {e}"))?;
        let mut last = String::new();
        loop {
            let scheduled = Instant::now();
            let attempt = runtime.block_on(gonogo_probe::probe::attempt(
                &spec,
                &policy,
                &tls,
                scheduled,
                scheduled - started,
                jiff::Timestamp::now(),
            ));
            if attempt.success && started.elapsed() <= within {
                healthy_after = Some(started.elapsed());
                break;
            }
            last = attempt
                .message
                .or(attempt.reason)
                .unwrap_or_else(|| "not healthy".into());
            if started.elapsed() + Duration::from_millis(200) > within {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        steps.push(match healthy_after {
            Some(after) => format!("health: {url} healthy after {after:.1?}"),
            None => format!(
                "health: {url} not healthy within {within:?} (last: {})",
                gonogo_core::redact::redact(&last)
            ),
        });
    }
    let forward = run(
        &command("roll forward", section.forward.clone()),
        "rollback-forward.log",
        &mut steps,
    );
    Ok(Drill {
        passed: deployed && healthy_after.is_some() && forward,
        healthy_after,
        steps,
    })
}

impl Drill {
    /// The drill as evidence of kind `rollback`.
    pub fn to_evidence(&self, policy: &Path, now: jiff::Timestamp) -> Evidence {
        let details = serde_json::json!({
            "passed": self.passed,
            "healthy_after_s": self.healthy_after.map(|d| d.as_secs_f64()),
            "steps": self.steps,
        });
        let mut evidence = Evidence::new(
            "rollback",
            Source::File(format!("{}#rollback", policy.display())),
            sha256_hex(details.to_string().as_bytes()),
            now,
            Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
        );
        evidence.insert(
            "delivery.rollback.drill",
            Metric::value(f64::from(u8::from(self.passed)), Unit::count("1")).with_coded_note(
                "rollback drill: the rollback target was deployed, answered healthy within the \
                 limit, and the candidate was rolled forward (gonogo run --rollback-drill)",
                NoteCode::new("rollback.drill"),
            ),
        );
        if let Some(after) = self.healthy_after {
            evidence.insert(
                "delivery.rollback.duration",
                Metric::value(after.as_secs_f64(), Unit::parse("s")),
            );
        }
        evidence.details = details;
        evidence
    }
}
