//! The one judging pipeline: what `gonogo gate` does on an evidence folder is exactly what
//! `gonogo run` does after producing its evidence, so judging a run's evidence again gives the
//! same verdict.
//!
//! 1. **candidate**: the commit being judged (`--commit`, the CI's variables, else git) and
//!    the environment profile (`--env`, else the deployment target's `[env.X]` when the policy
//!    has one);
//! 2. **evidence**: the folder's records (a record dated in the future is refused with its
//!    file), the `[[collect]]` files read again (identical records count once in the core), and
//!    every file record whose input still exists checked against its SHA-256 (a file changed
//!    after collection is refused, named);
//! 3. **policy checks**: metrics against the catalogue, waivers within `max_waiver_days`;
//! 4. **decision**: [`gonogo_core::eval::evaluate_for`].

use std::io::Read as _;
use std::path::{Path, PathBuf};

use gonogo_core::eval::{self, Baseline, Candidate};
use gonogo_core::evidence::{Evidence, Sha256Stream, Source};
use gonogo_core::verdict::Verdict;
use gonogo_delivery::git::{GitContext, TargetRules};

use crate::diagnostics::render_problems;
use crate::evidence_dir;
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

/// The folder's records, with the future refused and changed inputs set aside.
pub fn read_evidence(dir: &Path, now: jiff::Timestamp) -> Result<Vec<Evidence>, Failure> {
    let named = evidence_dir::read_dir_named(dir).map_err(Failure::evidence)?;
    evidence_dir::refuse_future(&named, now).map_err(Failure::evidence)?;
    Ok(verify_inputs(named.into_iter().map(|(_, r)| r).collect()))
}

/// A collected file's record whose input still exists at its path must still hash to its
/// SHA-256; otherwise the file changed after it was collected and the record is refused (with
/// a warning naming it). Inputs that are gone are not checked, nor the files the engines read
/// while measuring (a service's live log grows after `observe` read it).
pub fn verify_inputs(records: Vec<Evidence>) -> Vec<Evidence> {
    records
        .into_iter()
        .filter(|record| {
            let Source::File(path) = &record.source else {
                return true;
            };
            if gonogo_core::eval::ENGINE_KINDS.contains(&record.kind.as_str()) {
                return true;
            }
            match sha256_of_file(Path::new(path)) {
                Some(hash) if hash != record.sha256 => {
                    eprintln!(
                        "warning: {path} changed after it was collected (its SHA-256 is no longer the record's): its {} record is refused",
                        record.kind
                    );
                    false
                }
                _ => true,
            }
        })
        .collect()
}

/// The SHA-256 of a regular file, streamed; `None` when it is not a readable regular file.
fn sha256_of_file(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut hash = Sha256Stream::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        hash.update(&buffer[..read]);
    }
    Some(hash.finish())
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

/// Where a verdict's evidence is: `<folder of the verdict>/evidence` when it exists (a run's),
/// else `.gonogo/evidence`, where the engines write by default.
pub fn default_evidence_dir(verdict_path: &Path) -> PathBuf {
    let beside = verdict_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("evidence");
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from(evidence_dir::DEFAULT_DIR)
    }
}

/// Stamps every unstamped record in a run's evidence folder with the candidate's commit, so a
/// later `gonogo gate` on another commit sets them aside.
pub fn stamp_commit(dir: &Path, commit: &str) -> anyhow::Result<()> {
    for file in evidence_dir::evidence_files(dir)? {
        let mut records = evidence_dir::read_file(&file)?;
        if records.iter().all(|r| r.commit.is_some()) {
            continue;
        }
        for record in &mut records {
            record.commit.get_or_insert_with(|| commit.to_owned());
        }
        let text = if records.len() == 1 {
            gonogo_core::wire::to_json_pretty(&records[0])
        } else {
            records
                .iter()
                .map(|r| gonogo_core::wire::to_json_line(r) + "\n")
                .collect()
        };
        crate::fsutil::write_atomic(&file, text.as_bytes())?;
    }
    Ok(())
}
