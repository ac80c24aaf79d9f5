//! The one judging pipeline: what `gonogo gate` does on an evidence folder is exactly what
//! `gonogo run` does after producing its evidence, so judging a run's evidence again gives the
//! same verdict.
//!
//! 1. **candidate**: the commit being judged (`--commit`, the CI's variables, else git) and
//!    the environment profile (`--env`, else the deployment target's `[env.X]` when the policy
//!    has one);
//! 2. **evidence**: the records of a [`crate::store::Store`] (an evidence folder: a record
//!    dated in the future is refused with its file, and every file record whose input still
//!    exists is checked against its SHA-256, a file changed after collection refused, named;
//!    or a run of the history), and `gate`'s `[[collect]]` files read again (identical records
//!    count once in the core);
//! 3. **policy checks**: metrics against the catalogue, waivers within `max_waiver_days`;
//! 4. **decision**: [`gonogo_core::eval::evaluate_for`].

use std::path::{Path, PathBuf};

use gonogo_core::eval::{self, Baseline, Candidate};
use gonogo_core::evidence::Evidence;
use gonogo_core::verdict::Verdict;
use gonogo_delivery::git::{GitContext, TargetRules};

use crate::diagnostics::render_problems;
use crate::exit::{Exit, Failure};
use crate::gate::{LoadedPolicy, check_metrics};

/// The folder a policy's relative paths (and its git repository) are found from.
pub fn policy_folder(policy: &Path) -> PathBuf {
    policy
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Reads the policy once and resolves it for the candidate: the git context of its folder,
/// the commit judged, and the environment profile (`--env`, else the deployment target's).
pub fn load_for_candidate(
    policy: &Path,
    env_flag: Option<&str>,
    commit_flag: Option<&str>,
    color: bool,
) -> Result<(LoadedPolicy, Option<GitContext>, Candidate), Failure> {
    load_checked(policy, env_flag, commit_flag, color, |_| Vec::new())
}

/// As [`load_for_candidate`], with `more` checks of the policy's text (`gonogo run`'s
/// sections): their problems and the core's are reported together, in one round, in the
/// order they appear in the file.
pub fn load_checked(
    policy: &Path,
    env_flag: Option<&str>,
    commit_flag: Option<&str>,
    color: bool,
    more: impl FnOnce(&str) -> Vec<gonogo_core::policy::Problem>,
) -> Result<(LoadedPolicy, Option<GitContext>, Candidate), Failure> {
    let text = crate::gate::read_policy_text(policy)?;
    let (git, candidate) =
        self::candidate(&policy_folder(policy), commit_flag, &delivery_rules(&text));
    let env = pick_env(env_flag, &text, git.as_ref());
    let more = more(&text);
    let display = policy.display().to_string();
    let mut problems = match crate::gate::resolve_policy(policy, text.clone(), env.as_deref()) {
        Ok(loaded) if more.is_empty() => return Ok((loaded, git, candidate)),
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    };
    for problem in more {
        if !problems
            .iter()
            .any(|p| p.span == problem.span && p.message == problem.message)
        {
            problems.push(problem);
        }
    }
    problems.sort_by_key(|p| (p.span.start, p.span.end));
    eprint!("{}", render_problems(&display, &text, &problems, color));
    Err(Failure::reported(Exit::Usage))
}

/// The git context of the policy's folder and the candidate it names.
fn candidate(
    policy_dir: &Path,
    commit_flag: Option<&str>,
    rules: &TargetRules,
) -> (Option<GitContext>, Candidate) {
    let git = GitContext::read(policy_dir, rules).ok();
    let from_ci = [
        "GITHUB_SHA",
        "CI_COMMIT_SHA",
        "BUILD_VCS_NUMBER",
        "GIT_COMMIT",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok().filter(|v| v.trim().len() >= 7));
    let commit = commit_flag
        .map(str::to_owned)
        .or(from_ci)
        .or_else(|| git.as_ref().map(|g| g.commit.clone()))
        .map(|c| c.trim().to_ascii_lowercase());
    (git, Candidate { commit })
}

/// The policy's `[delivery]` rules (how branches and tags map to deployment targets); the
/// defaults when it has none or they do not parse (`gonogo run` reports that with a caret).
pub fn delivery_rules(policy_text: &str) -> TargetRules {
    #[derive(serde::Deserialize)]
    struct OnlyDelivery {
        #[serde(default)]
        delivery: TargetRules,
    }
    toml::from_str::<OnlyDelivery>(policy_text)
        .map(|d| d.delivery)
        .unwrap_or_default()
}

/// The environment profile that judges: `--env`, else the deployment target's name when the
/// policy has an `[env.NAME]` of that name.
pub fn pick_env(flag: Option<&str>, policy_text: &str, git: Option<&GitContext>) -> Option<String> {
    if let Some(env) = flag {
        return Some(env.to_owned());
    }
    let target = git.and_then(|g| {
        serde_json::to_value(g.target)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    })?;
    let table: toml::Table = toml::from_str(policy_text).ok()?;
    table
        .get("env")
        .and_then(toml::Value::as_table)
        .is_some_and(|envs| envs.contains_key(&target))
        .then_some(target)
}

/// What judging needs besides the policy and the records.
pub struct Judge<'a> {
    pub now: jiff::Timestamp,
    pub baseline: Option<&'a Baseline>,
    pub candidate: &'a Candidate,
    pub color: bool,
}

/// Checks the policy against the evidence and the clock, then decides.
pub fn judge(
    loaded: &LoadedPolicy,
    records: &[Evidence],
    judge: &Judge<'_>,
) -> Result<Verdict, Failure> {
    check_metrics(loaded, records, judge.color)?;
    let today = jiff::tz::TimeZone::UTC.to_datetime(judge.now).date();
    let problems = loaded.policy.check_waivers(today);
    if !problems.is_empty() {
        eprint!(
            "{}",
            render_problems(&loaded.path, &loaded.text, &problems, judge.color)
        );
        return Err(Failure::reported(Exit::Usage));
    }
    Ok(eval::evaluate_for(
        &loaded.policy,
        records,
        judge.now,
        judge.baseline,
        judge.candidate,
    ))
}
