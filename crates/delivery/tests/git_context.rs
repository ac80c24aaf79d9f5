//! Git context on repositories the test creates: branches, tags, a dirty tree, no previous tag.

use std::path::Path;

use gonogo_delivery::git::{DeploymentTarget, GitContext, TargetRules};

struct Repo {
    dir: tempfile::TempDir,
    repo: git2::Repository,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let mut options = git2::RepositoryInitOptions::new();
        options.initial_head("main");
        let repo = git2::Repository::init_opts(dir.path(), &options).unwrap();
        Repo { dir, repo }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file and commits it; returns the commit id.
    fn commit(&self, file: &str, content: &str, seconds: i64) -> git2::Oid {
        std::fs::write(self.path().join(file), content).unwrap();
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(file)).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature =
            git2::Signature::new("Test", "test@example.com", &git2::Time::new(seconds, 0)).unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                "change",
                &tree,
                &parent_refs,
            )
            .unwrap()
    }

    fn tag(&self, name: &str, annotated: bool) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        if annotated {
            let signature = git2::Signature::now("Test", "test@example.com").unwrap();
            self.repo
                .tag(name, head.as_object(), &signature, name, false)
                .unwrap();
        } else {
            self.repo
                .tag_lightweight(name, head.as_object(), false)
                .unwrap();
        }
    }

    fn branch(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.branch(name, &head, false).unwrap();
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
    }

    fn context(&self) -> GitContext {
        GitContext::read(self.path(), &TargetRules::default()).unwrap()
    }
}

#[test]
fn main_branch_goes_to_staging_and_has_no_rollback_without_a_release() {
    let repo = Repo::new();
    let commit = repo.commit("a.txt", "one", 1_700_000_000);
    let context = repo.context();
    assert_eq!(context.branch.as_deref(), Some("main"));
    assert_eq!(context.commit, commit.to_string());
    assert_eq!(context.target, DeploymentTarget::Staging);
    assert_eq!(context.rollback_tag, None);
    assert!(context.dirty_paths.is_empty());

    let evidence = context.to_evidence("2026-11-25T12:00:00Z".parse().unwrap());
    assert_eq!(evidence.kind, "git");
    assert_eq!(
        evidence.metrics["git.rollback_target"].value.shape(),
        gonogo_core::evidence::Shape::Value
    );
    let gonogo_core::evidence::MetricValue::Value(rollback) =
        evidence.metrics["git.rollback_target"].value
    else {
        unreachable!()
    };
    assert_eq!(
        rollback, 0.0,
        "no previous release: nothing to roll back to"
    );
}

#[test]
fn a_release_tag_goes_to_production_and_rolls_back_to_the_previous_release() {
    let repo = Repo::new();
    repo.commit("a.txt", "one", 1_700_000_000);
    repo.tag("v1.9.0", true);
    repo.commit("a.txt", "two", 1_700_000_100);
    repo.tag("v1.10.0", false);
    repo.tag("nightly", false);
    repo.commit("a.txt", "three", 1_700_000_200);
    repo.tag("v1.11.0", true);

    let context = repo.context();
    assert_eq!(context.tags, vec!["v1.11.0".to_owned()]);
    assert_eq!(context.target, DeploymentTarget::Production);
    assert_eq!(context.rollback_tag.as_deref(), Some("v1.10.0"));
}

#[test]
fn a_first_release_has_no_rollback_target() {
    let repo = Repo::new();
    repo.commit("a.txt", "one", 1_700_000_000);
    repo.tag("v0.1.0", true);
    let context = repo.context();
    assert_eq!(context.target, DeploymentTarget::Production);
    assert_eq!(context.rollback_tag, None);
}

#[test]
fn tags_on_other_branches_are_not_rollback_targets() {
    let repo = Repo::new();
    repo.commit("a.txt", "one", 1_700_000_000);
    repo.branch("feature");
    repo.commit("b.txt", "feature work", 1_700_000_100);
    repo.tag("v9.9.9", false); // tagged on the feature branch only
    repo.repo.set_head("refs/heads/main").unwrap();
    repo.repo
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    repo.commit("c.txt", "main work", 1_700_000_200);

    let context = repo.context();
    assert_eq!(context.branch.as_deref(), Some("main"));
    assert_eq!(
        context.rollback_tag, None,
        "v9.9.9 is not an ancestor of main"
    );

    repo.branch("topic");
    let topic = repo.context();
    assert_eq!(
        topic.target,
        DeploymentTarget::None,
        "a topic branch deploys nowhere"
    );
}

#[test]
fn a_dirty_tree_lists_its_changes() {
    let repo = Repo::new();
    repo.commit("a.txt", "one", 1_700_000_000);
    std::fs::write(repo.path().join("a.txt"), "edited").unwrap();
    std::fs::write(repo.path().join("new.txt"), "untracked").unwrap();
    std::fs::write(repo.path().join(".gitignore"), "ignored.log\n").unwrap();
    std::fs::write(repo.path().join("ignored.log"), "noise").unwrap();
    let context = repo.context();
    assert_eq!(
        context.dirty_paths,
        vec![
            ".gitignore".to_owned(),
            "a.txt".to_owned(),
            "new.txt".to_owned()
        ]
    );
}

#[test]
fn outside_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = GitContext::read(dir.path(), &TargetRules::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("no git repository at or above"),
        "{error}"
    );
}
