//! Git context as evidence for the delivery area: what is being judged, and where it goes.
//!
//! [`GitContext::read`] opens the repository in-process (libgit2) and reports the branch, the
//! commit, the tags on it, whether the working tree is dirty, the deployment target derived
//! from the branch or tag ([`TargetRules`]: by default the `main`/`master` branch means
//! *staging* and a version tag such as `v1.4.2` means *production*), and the rollback target:
//! the newest *earlier* release tag reachable from the commit. A release with no previous tag
//! has nothing to roll back to, and the metric `git.rollback_target` is 0 so a gate can fail
//! on it.

use std::path::Path;

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Source, Tool, sha256_hex};
use gonogo_core::units::Unit;
use serde::{Deserialize, Serialize};

/// Why the repository could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// Not inside a git checkout: an ordinary case, said in one line (libgit2's own message,
    /// `class=Repository (6); code=NotFound (-3)`, stays in the error's source).
    #[error("no git repository at or above {path}")]
    NotARepository {
        path: String,
        #[source]
        source: git2::Error,
    },
    #[error("reading the repository at {path}: {source}")]
    Read { path: String, source: git2::Error },
}

/// How branches and tags map to deployment targets (`[delivery]` in the policy).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TargetRules {
    /// Branches that deploy to staging.
    pub staging_branches: Vec<String>,
    /// A tag whose name is this prefix followed by a version (digits and dots, e.g. `v1.4.2`)
    /// is a release: it deploys to production.
    pub release_tag_prefix: String,
    /// `[delivery.dora]`: measure the DORA metrics from this repository ([`crate::dora`]).
    pub dora: Option<crate::dora::DoraOptions>,
}

impl Default for TargetRules {
    fn default() -> TargetRules {
        TargetRules {
            staging_branches: vec!["main".into(), "master".into()],
            release_tag_prefix: "v".into(),
            dora: None,
        }
    }
}

impl TargetRules {
    /// Whether `tag` names a release (`v1.4.2`, `v2.0.0-rc.1`).
    pub fn is_release_tag(&self, tag: &str) -> bool {
        tag.strip_prefix(self.release_tag_prefix.as_str())
            .and_then(|rest| rest.split(['-', '+']).next())
            .is_some_and(|version| {
                !version.is_empty()
                    && version
                        .split('.')
                        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            })
    }
}

/// Where a commit is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentTarget {
    Production,
    Staging,
    /// Neither a release tag nor a staging branch: nothing is deployed from here.
    None,
}

/// What the repository says about the commit being judged.
#[derive(Debug, Clone, Serialize)]
pub struct GitContext {
    pub repository: String,
    /// `None` on a detached HEAD.
    pub branch: Option<String>,
    pub commit: String,
    /// Tags pointing at the commit, sorted.
    pub tags: Vec<String>,
    pub target: DeploymentTarget,
    /// The newest release tag before this commit's own, if any.
    pub rollback_tag: Option<String>,
    /// Paths with uncommitted changes (untracked files included, ignored ones not).
    pub dirty_paths: Vec<String>,
}

impl GitContext {
    /// Reads the repository that contains `path`.
    pub fn read(path: &Path, rules: &TargetRules) -> Result<GitContext, GitError> {
        let shown = path.display().to_string();
        let repo = git2::Repository::discover(path).map_err(|source| GitError::NotARepository {
            path: shown.clone(),
            source,
        })?;
        let read = |source| GitError::Read {
            path: shown.clone(),
            source,
        };
        let head = repo.head().map_err(read)?;
        let branch = head
            .is_branch()
            .then(|| head.shorthand().ok().map(str::to_owned))
            .flatten();
        let commit = head.peel_to_commit().map_err(read)?;
        let commit_id = commit.id();

        // Tags: name -> the commit they point at (lightweight or annotated).
        let mut tags_here = Vec::new();
        let mut release_tags = Vec::new();
        let names = repo.tag_names(None).map_err(read)?;
        for name in names.iter().filter_map(|n| n.ok().flatten()) {
            let Ok(object) = repo.revparse_single(&format!("refs/tags/{name}")) else {
                continue;
            };
            let Ok(tagged) = object.peel_to_commit() else {
                continue;
            };
            if tagged.id() == commit_id {
                tags_here.push(name.to_owned());
            } else if rules.is_release_tag(name)
                && repo
                    .graph_descendant_of(commit_id, tagged.id())
                    .unwrap_or(false)
            {
                release_tags.push((tagged.time().seconds(), name.to_owned()));
            }
        }
        tags_here.sort();
        // The newest earlier release: by commit time, then by version order of the name.
        release_tags.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| version_order(&a.1, &b.1)));
        let rollback_tag = release_tags.pop().map(|(_, name)| name);

        let target = if tags_here.iter().any(|t| rules.is_release_tag(t)) {
            DeploymentTarget::Production
        } else if branch
            .as_ref()
            .is_some_and(|b| rules.staging_branches.iter().any(|s| s == b))
        {
            DeploymentTarget::Staging
        } else {
            DeploymentTarget::None
        };

        let mut options = git2::StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = repo.statuses(Some(&mut options)).map_err(read)?;
        let mut dirty_paths: Vec<String> = statuses
            .iter()
            .filter(|entry| entry.status() != git2::Status::CURRENT && !entry.status().is_ignored())
            .filter_map(|entry| entry.path().ok().map(str::to_owned))
            .collect();
        dirty_paths.sort();

        let repository = repo
            .workdir()
            .unwrap_or_else(|| repo.path())
            .display()
            .to_string();
        Ok(GitContext {
            repository,
            branch,
            commit: commit_id.to_string(),
            tags: tags_here,
            target,
            rollback_tag,
            dirty_paths,
        })
    }

    /// The context as an evidence record of kind `git`. Its SHA-256 is of the context itself
    /// (commit, refs and dirty paths as JSON), so the same state always hashes alike.
    pub fn to_evidence(&self, now: jiff::Timestamp) -> Evidence {
        let canonical = serde_json::to_string(self).expect("context serialises");
        let mut evidence = Evidence::new(
            "git",
            Source::File(self.repository.clone()),
            sha256_hex(canonical.as_bytes()),
            now,
            Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
        );
        evidence
            .insert(
                "git.dirty",
                Metric::value(self.dirty_paths.len() as f64, Unit::count("files")),
            )
            .insert(
                "git.rollback_target",
                Metric::value(
                    f64::from(u8::from(self.rollback_tag.is_some())),
                    Unit::count("tags"),
                )
                .with_coded_note(
                    match &self.rollback_tag {
                        Some(tag) => format!(
                            "a previous release tag ({tag}) exists: that is all this knows; \
                             whether deploying it works is known only from a rollback drill \
                             (gonogo run --rollback-drill, delivery.rollback.drill)"
                        ),
                        None => "no previous release tag: nothing to roll back to".to_owned(),
                    },
                    match &self.rollback_tag {
                        Some(tag) => NoteCode::new("git.rollback_tag").arg("tag", tag),
                        None => NoteCode::new("git.no_rollback_tag"),
                    },
                ),
            );
        evidence.details = serde_json::to_value(self).expect("context serialises");
        evidence
    }
}

/// Orders `v1.10.0` after `v1.9.0`.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let numbers = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    numbers(a).cmp(&numbers(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_tags_are_versions() {
        let rules = TargetRules::default();
        for tag in ["v1", "v1.4.2", "v2.0.0-rc.1", "v10.0.0+build.5"] {
            assert!(rules.is_release_tag(tag), "{tag}");
        }
        for tag in ["1.4.2", "v", "vnext", "v1..2", "release-1.0", "v1.x"] {
            assert!(!rules.is_release_tag(tag), "{tag}");
        }
        assert_eq!(
            version_order("v1.10.0", "v1.9.0"),
            std::cmp::Ordering::Greater
        );
    }
}
