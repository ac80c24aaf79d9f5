//! The four DORA measures from a git repository's release tags and commits, each a sample
//! with its size (docs/delivery.md has the definitions; each metric's note repeats its rule,
//! so the gate prints it).
//!
//! - **deployment frequency** `dora.deploys_per_week`: one sample per whole week of the
//!   observation window (the `weeks` weeks ending at `now`, never before the repository's
//!   first commit), the number of releases tagged that week. A gate on its `mean` has an
//!   interval, which a "deploys per week" figure never shows;
//! - **lead time for changes** `dora.lead_time`: for each release in the window that has a
//!   previous release, each non-merge commit it ships that the previous one did not
//!   (`previous..release`), from the commit's committer time to the release time;
//! - **change failure rate** `dora.change_failure`: releases in the window followed by a
//!   remedy within `failure_window`, of releases whose failure window has ended by `now`
//!   (a younger release cannot be judged yet). A remedy is a non-merge commit whose subject
//!   contains a marker (`revert`, `hotfix`, `rollback` by default, case-insensitive),
//!   reachable from a branch or tag; it belongs to the newest release before it that it
//!   descends from;
//! - **time to restore** `dora.time_to_restore`: for each failed release, from its release
//!   time to the first later release that ships one of its remedies. A failure not yet
//!   restored is listed in the details and marks the record incomplete.
//!
//! A release is a tag matching `release_tags` (a glob, `v*`), or by default a version tag
//! ([`TargetRules::is_release_tag`]). Its time is the tagger's time for an annotated tag, the
//! commit's committer time for a lightweight one.

use std::collections::BTreeMap;
use std::path::Path;

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Ratio, Source, Tool, sha256_hex};
use gonogo_core::units::Unit;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::git::{GitError, TargetRules};

/// Commits walked in all, at most; a longer history is cut and the record says so.
pub const MAX_COMMITS: usize = 1_000_000;

/// Releases read, at most (the newest are kept).
pub const MAX_RELEASES: usize = 10_000;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

/// `[delivery.dora]` in the policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DoraOptions {
    /// The repository to measure, relative to the policy's folder (default: the one the
    /// policy is in).
    pub repository: Option<String>,
    /// A glob over tag names (`v*`, `release-*`); default: `[delivery] release_tag_prefix`
    /// followed by a version.
    pub release_tags: Option<String>,
    /// The observation window: this many whole weeks ending now.
    pub weeks: u32,
    /// How soon after a release a remedy makes it a failed change (`7d`).
    pub failure_window: String,
    /// Words in a commit subject that make it a remedy (case-insensitive).
    pub failure_markers: Vec<String>,
}

impl Default for DoraOptions {
    fn default() -> DoraOptions {
        DoraOptions {
            repository: None,
            release_tags: None,
            weeks: 12,
            failure_window: "7d".into(),
            failure_markers: vec!["revert".into(), "hotfix".into(), "rollback".into()],
        }
    }
}

/// Why the measures could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum DoraError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("[delivery.dora] {0}")]
    Options(String),
}

#[derive(Debug, Clone)]
struct Release {
    tag: String,
    commit: git2::Oid,
    time: i64,
}

/// The four measures, with what they were counted from.
#[derive(Debug, Clone)]
pub struct Dora {
    pub repository: String,
    pub window_start: i64,
    pub weeks: u64,
    pub deploys_per_week: Vec<u64>,
    /// Seconds, one per shipped commit.
    pub lead_times: Vec<i64>,
    /// (failed, judged) releases.
    pub change_failure: (u64, u64),
    /// Seconds, one per restored failure.
    pub restore_times: Vec<i64>,
    /// Release tag → what was found (for the details).
    pub releases: Vec<serde_json::Value>,
    pub unrestored: Vec<String>,
    /// What was not read, each sentence with its code (reports word it in their language).
    pub incomplete: Vec<(String, NoteCode)>,
    rule_release: String,
    window_text: String,
    markers: Vec<String>,
}

fn matches_glob(pattern: &str, name: &str) -> bool {
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches(name))
}

impl Dora {
    /// Measures the repository containing `path` as of `now` (seconds since the epoch).
    pub fn measure(
        path: &Path,
        rules: &TargetRules,
        options: &DoraOptions,
        now: jiff::Timestamp,
    ) -> Result<Dora, DoraError> {
        let shown = path.display().to_string();
        let repo = git2::Repository::discover(path).map_err(|source| {
            DoraError::Git(GitError::NotARepository {
                path: shown.clone(),
                source,
            })
        })?;
        let read = |source| {
            DoraError::Git(GitError::Read {
                path: shown.clone(),
                source,
            })
        };
        if let Some(pattern) = &options.release_tags {
            glob::Pattern::new(pattern)
                .map_err(|e| DoraError::Options(format!("release_tags {pattern:?}: {e}")))?;
        }
        if options.weeks == 0 || options.weeks > 520 {
            return Err(DoraError::Options(format!(
                "weeks = {}: give 1 to 520",
                options.weeks
            )));
        }
        let failure_window =
            gonogo_core::duration::parse_seconds(&options.failure_window).map_err(|e| {
                DoraError::Options(format!("failure_window {:?}: {e}", options.failure_window))
            })? as i64;
        let markers: Vec<String> = options
            .failure_markers
            .iter()
            .map(|m| m.to_lowercase())
            .filter(|m| !m.is_empty())
            .collect();
        let now = now.as_second();
        let mut incomplete = Vec::new();

        // Releases, oldest first; one per commit (the earliest tag on it).
        let mut releases: Vec<Release> = Vec::new();
        let names = repo.tag_names(None).map_err(read)?;
        for name in names.iter().filter_map(|n| n.ok().flatten()) {
            let is_release = match &options.release_tags {
                Some(pattern) => matches_glob(pattern, name),
                None => rules.is_release_tag(name),
            };
            if !is_release {
                continue;
            }
            let Ok(object) = repo.revparse_single(&format!("refs/tags/{name}")) else {
                continue;
            };
            let Ok(commit) = object.peel_to_commit() else {
                continue;
            };
            let time = match object.as_tag().and_then(|t| t.tagger()) {
                Some(tagger) => tagger.when().seconds(),
                None => commit.committer().when().seconds(),
            };
            releases.push(Release {
                tag: name.to_owned(),
                commit: commit.id(),
                time,
            });
        }
        releases.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.tag.cmp(&b.tag)));
        let mut seen = std::collections::HashSet::new();
        releases.retain(|r| seen.insert(r.commit));
        if releases.len() > MAX_RELEASES {
            let cut = releases.len() - MAX_RELEASES;
            releases.drain(..cut);
            incomplete.push((
                format!("the oldest {cut} releases were not read"),
                NoteCode::new("dora.releases_not_read").arg("count", cut),
            ));
        }

        // Every commit reachable from a branch or a tag: its time, whether it is a merge,
        // and whether its subject names a remedy.
        let mut walk = repo.revwalk().map_err(read)?;
        walk.push_glob("refs/heads/*").map_err(read)?;
        walk.push_glob("refs/tags/*").map_err(read)?;
        if let Ok(head) = repo.head()
            && let Some(target) = head.target()
        {
            walk.push(target).map_err(read)?;
        }
        let mut first_commit = i64::MAX;
        let mut remedies: Vec<(git2::Oid, i64, String)> = Vec::new();
        let mut walked = 0usize;
        for oid in walk {
            let oid = oid.map_err(read)?;
            walked += 1;
            if walked > MAX_COMMITS {
                incomplete.push((
                    format!(
                        "history cut at {MAX_COMMITS} commits for remedies and the window start"
                    ),
                    NoteCode::new("dora.history_cut").arg("max", MAX_COMMITS),
                ));
                break;
            }
            let commit = repo.find_commit(oid).map_err(read)?;
            let time = commit.committer().when().seconds();
            first_commit = first_commit.min(time);
            if commit.parent_count() > 1 {
                continue;
            }
            let subject =
                String::from_utf8_lossy(commit.summary_bytes().unwrap_or(b"")).into_owned();
            let lower = subject.to_lowercase();
            if markers.iter().any(|m| lower.contains(m.as_str())) {
                remedies.push((oid, time, subject));
            }
        }

        // The window: whole weeks ending now, not before the first commit.
        let requested = i64::from(options.weeks);
        let observed = if first_commit == i64::MAX {
            1
        } else {
            ((now - first_commit) / WEEK).clamp(1, requested)
        };
        let window_start = now - observed * WEEK;
        let mut deploys_per_week = vec![0u64; observed as usize];
        for release in &releases {
            if release.time >= window_start && release.time < now {
                let week = ((release.time - window_start) / WEEK) as usize;
                deploys_per_week[week.min(observed as usize - 1)] += 1;
            }
        }

        // Remedies belong to the newest release before them that they descend from.
        let descends = |commit: git2::Oid, ancestor: git2::Oid| {
            commit == ancestor || repo.graph_descendant_of(commit, ancestor).unwrap_or(false)
        };
        let mut remedies_of: BTreeMap<usize, Vec<(git2::Oid, i64, String)>> = BTreeMap::new();
        // Only remedies of the window's releases matter: after its start, not after now.
        for (oid, time, subject) in remedies
            .iter()
            .filter(|(_, time, _)| *time <= now && *time > window_start)
        {
            let owner = releases
                .iter()
                .enumerate()
                .rev()
                .find(|(_, r)| r.time < *time && descends(*oid, r.commit));
            if let Some((index, _)) = owner {
                remedies_of
                    .entry(index)
                    .or_default()
                    .push((*oid, *time, subject.clone()));
            }
        }

        let mut lead_times = Vec::new();
        let mut failed = 0u64;
        let mut judged = 0u64;
        let mut restore_times = Vec::new();
        let mut unrestored = Vec::new();
        let mut described = Vec::new();
        let mut commits_counted = 0usize;
        for (index, release) in releases.iter().enumerate() {
            if release.time < window_start || release.time >= now {
                continue;
            }
            let mut about = json!({"tag": release.tag, "commit": release.commit.to_string(),
                "time": jiff::Timestamp::from_second(release.time).map(|t| t.to_string()).unwrap_or_default()});
            // Lead time: the commits this release ships that the previous one did not.
            match index.checked_sub(1).map(|i| &releases[i]) {
                None => {
                    about["lead_time"] = json!("not counted: no previous release");
                }
                Some(previous) => {
                    let mut walk = repo.revwalk().map_err(read)?;
                    walk.push(release.commit).map_err(read)?;
                    walk.hide(previous.commit).map_err(read)?;
                    let mut shipped = 0u64;
                    for oid in walk {
                        let oid = oid.map_err(read)?;
                        commits_counted += 1;
                        if commits_counted > MAX_COMMITS {
                            break;
                        }
                        let commit = repo.find_commit(oid).map_err(read)?;
                        if commit.parent_count() > 1 {
                            continue;
                        }
                        shipped += 1;
                        lead_times
                            .push((release.time - commit.committer().when().seconds()).max(0));
                    }
                    about["commits_shipped"] = json!(shipped);
                    about["previous"] = json!(previous.tag);
                }
            }
            // Change failure: judged once its failure window has ended.
            if release.time + failure_window > now {
                about["change_failure"] =
                    json!("not judged yet: its failure window ends after now");
                described.push(about);
                continue;
            }
            judged += 1;
            let own: Vec<&(git2::Oid, i64, String)> = remedies_of
                .get(&index)
                .map(|v| {
                    v.iter()
                        .filter(|(_, t, _)| *t - release.time <= failure_window)
                        .collect()
                })
                .unwrap_or_default();
            if own.is_empty() {
                about["change_failure"] = json!(false);
            } else {
                failed += 1;
                about["change_failure"] = json!(true);
                about["remedies"] = json!(
                    own.iter()
                        .map(|(oid, _, s)| json!({"commit": oid.to_string(), "subject": s}))
                        .collect::<Vec<_>>()
                );
                // Time to restore: the first later release that ships one of the remedies.
                let restored = releases[index + 1..]
                    .iter()
                    .filter(|later| later.time < now)
                    .find(|later| own.iter().any(|(oid, _, _)| descends(later.commit, *oid)));
                match restored {
                    Some(later) => {
                        restore_times.push(later.time - release.time);
                        about["restored_by"] = json!(later.tag);
                    }
                    None => unrestored.push(release.tag.clone()),
                }
            }
            described.push(about);
        }
        if commits_counted > MAX_COMMITS {
            incomplete.push((
                format!("lead times cut at {MAX_COMMITS} commits"),
                NoteCode::new("dora.lead_times_cut").arg("max", MAX_COMMITS),
            ));
        }
        let rule_release = match &options.release_tags {
            Some(pattern) => format!("tags matching {pattern}"),
            None => format!("tags {}<version>", rules.release_tag_prefix),
        };
        Ok(Dora {
            repository: repo
                .workdir()
                .unwrap_or_else(|| repo.path())
                .display()
                .to_string(),
            window_start,
            weeks: observed as u64,
            deploys_per_week,
            lead_times,
            change_failure: (failed, judged),
            restore_times,
            releases: described,
            unrestored,
            incomplete,
            rule_release,
            window_text: options.failure_window.clone(),
            markers,
        })
    }

    /// The measures as evidence of kind `dora`; each metric's note is its rule. Time to
    /// restore is a record of its own (source `REPO#time_to_restore`), incomplete while a
    /// failed release is not restored yet, so that an open failure holds back only that gate.
    pub fn to_evidence(&self, now: jiff::Timestamp) -> Vec<Evidence> {
        let details = json!({
            "repository": self.repository,
            "window_start": jiff::Timestamp::from_second(self.window_start).map(|t| t.to_string()).unwrap_or_default(),
            "weeks": self.weeks,
            "deploys_per_week": self.deploys_per_week,
            "releases": self.releases,
            "unrestored": self.unrestored,
        });
        let canonical = serde_json::to_string(&details).expect("details serialise");
        let mut evidence = Evidence::new(
            "dora",
            Source::File(self.repository.clone()),
            sha256_hex(canonical.as_bytes()),
            now,
            Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
        );
        let seconds = |values: &[i64]| {
            let mut h = Histogram::<u64>::new_with_bounds(1, 10 * 365 * DAY as u64, 3)
                .expect("static bounds");
            for v in values {
                h.saturating_record((*v).max(0) as u64);
            }
            h
        };
        let mut deploys = Histogram::<u64>::new_with_bounds(1, 100_000, 3).expect("static bounds");
        for count in &self.deploys_per_week {
            deploys.saturating_record(*count);
        }
        let total: u64 = self.deploys_per_week.iter().sum();
        evidence.insert(
            "dora.deploys_per_week",
            Metric::distribution(deploys, Unit::count("deploys")).with_coded_note(
                format!(
                    "deployment frequency: releases ({}) per week, one sample per week of the {} \
                     whole weeks ending now ({total} releases)",
                    self.rule_release, self.weeks
                ),
                NoteCode::new("dora.deploys_per_week")
                    .arg("rule", &self.rule_release)
                    .arg("weeks", self.weeks)
                    .arg("total", total),
            ),
        );
        if !self.lead_times.is_empty() {
            evidence.insert(
                "dora.lead_time",
                Metric::distribution(seconds(&self.lead_times), Unit::parse("s")).with_coded_note(
                    format!(
                        "lead time for changes: each non-merge commit a release ships that the \
                         previous release did not, commit time to release time ({} commits)",
                        self.lead_times.len()
                    ),
                    NoteCode::new("dora.lead_time").arg("count", self.lead_times.len()),
                ),
            );
        }
        let (failed, judged) = self.change_failure;
        if judged > 0 {
            evidence.insert(
                "dora.change_failure",
                Metric::ratio(
                    Ratio::new(failed, judged).expect("failed <= judged"),
                    Unit::count("releases"),
                )
                .with_coded_note(
                    format!(
                        "change failure rate: releases followed within {} by a commit whose \
                         subject says {} (counted for the newest release before it that it \
                         descends from), of releases older than {}",
                        self.window_text,
                        self.markers.join(", "),
                        self.window_text
                    ),
                    NoteCode::new("dora.change_failure")
                        .arg("window", &self.window_text)
                        .arg("markers", self.markers.join(", ")),
                ),
            );
        }
        evidence.details = details;
        for (what, code) in &self.incomplete {
            evidence.mark_incomplete_coded(what.clone(), code.clone());
        }
        let mut records = vec![evidence];
        if failed > 0 {
            let details = json!({
                "repository": self.repository,
                "restore_times_s": self.restore_times,
                "unrestored": self.unrestored,
            });
            let canonical = serde_json::to_string(&details).expect("details serialise");
            let mut restore = Evidence::new(
                "dora",
                Source::File(format!("{}#time_to_restore", self.repository)),
                sha256_hex(canonical.as_bytes()),
                now,
                Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
            );
            if !self.restore_times.is_empty() {
                restore.insert(
                    "dora.time_to_restore",
                    Metric::distribution(seconds(&self.restore_times), Unit::parse("s"))
                        .with_coded_note(
                            format!(
                                "time to restore: failed release to the first later release \
                                 that ships its remedy ({} restored, {} not yet)",
                                self.restore_times.len(),
                                self.unrestored.len()
                            ),
                            NoteCode::new("dora.time_to_restore")
                                .arg("restored", self.restore_times.len())
                                .arg("unrestored", self.unrestored.len()),
                        ),
                );
            }
            if !self.unrestored.is_empty() {
                restore.mark_incomplete_coded(
                    format!(
                        "failed releases not restored by a later release yet: {}",
                        self.unrestored.join(", ")
                    ),
                    NoteCode::new("dora.not_restored").arg("releases", self.unrestored.join(", ")),
                );
            }
            restore.details = details;
            records.push(restore);
        }
        records
    }
}
