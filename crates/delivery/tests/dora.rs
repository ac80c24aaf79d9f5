//! DORA metrics on a repository the test builds with set dates: releases, a revert, a hotfix
//! branch, a merge, and a release too young to judge; each metric has a known answer.

use std::path::Path;

use gonogo_core::evidence::Evidence;
use gonogo_delivery::dora::{Dora, DoraOptions};
use gonogo_delivery::git::TargetRules;

const T0: i64 = 1_790_000_000; // 2026-09-21
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

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

    fn signature(at: i64) -> git2::Signature<'static> {
        git2::Signature::new("Dev", "dev@example.com", &git2::Time::new(at, 0)).unwrap()
    }

    /// Commits a change on `branch` (created from `from` when new) at `at`.
    fn commit(&self, branch: &str, parents: &[git2::Oid], message: &str, at: i64) -> git2::Oid {
        let file = self.path().join("change.txt");
        std::fs::write(&file, format!("{message} {at}")).unwrap();
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new("change.txt")).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = parents
            .iter()
            .map(|p| self.repo.find_commit(*p).unwrap())
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let signature = Repo::signature(at);
        self.repo
            .commit(
                Some(&format!("refs/heads/{branch}")),
                &signature,
                &signature,
                message,
                &tree,
                &parent_refs,
            )
            .unwrap()
    }

    fn tag(&self, name: &str, commit: git2::Oid, at: i64) {
        let object = self.repo.find_object(commit, None).unwrap();
        self.repo
            .tag(name, &object, &Repo::signature(at), name, false)
            .unwrap();
    }
}

fn timestamp(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(seconds).unwrap()
}

/// Values of a distribution, each as the histogram's equivalent value.
fn values(evidence: &Evidence, name: &str) -> Vec<u64> {
    let h = evidence.metrics[name].value.as_histogram().unwrap();
    let mut out = Vec::new();
    for v in h.iter_recorded() {
        for _ in 0..v.count_at_value() {
            out.push(v.value_iterated_to());
        }
    }
    out
}

fn close(actual: &[u64], expected: &[i64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        let e = *e as f64;
        assert!(
            ((*a as f64) - e).abs() <= e * 0.001 + 1.0,
            "{actual:?} vs {expected:?}"
        );
    }
}

/// The history of the module doc, four weeks long:
///
/// - v1.0.0 (day 3): first release, no lead time;
/// - v1.1.0 (day 9) ships c4 (day 7); reverted on day 10 → a failed change;
/// - v1.1.1 (day 11) ships the revert (day 10): restores v1.1.0 after 2 days;
/// - v1.2.0 (day 16) ships c6 (day 15); a hotfix branch from it (day 19.5) → failed;
/// - v1.2.1 (day 20) on the hotfix branch: restores v1.2.0 after 4 days;
/// - the hotfix branch merged into main (day 21, a merge: no lead time, not a remedy);
/// - v1.3.0 (day 26.5) ships c8 (day 26): too young to judge on day 28.
fn history() -> Repo {
    let r = Repo::new();
    let c1 = r.commit("main", &[], "init", T0);
    let c2 = r.commit("main", &[c1], "feature a", T0 + DAY);
    let c3 = r.commit("main", &[c2], "feature b", T0 + 2 * DAY);
    r.tag("v1.0.0", c3, T0 + 3 * DAY);
    let c4 = r.commit("main", &[c3], "feature c", T0 + 7 * DAY);
    r.tag("v1.1.0", c4, T0 + 9 * DAY);
    let c5 = r.commit("main", &[c4], "Revert \"feature c\"", T0 + 10 * DAY);
    r.tag("v1.1.1", c5, T0 + 11 * DAY);
    let c6 = r.commit("main", &[c5], "feature d", T0 + 15 * DAY);
    r.tag("v1.2.0", c6, T0 + 16 * DAY);
    let c7 = r.commit(
        "hotfix/1.2.1",
        &[c6],
        "Hotfix: null check in checkout",
        T0 + 19 * DAY + 12 * HOUR,
    );
    r.tag("v1.2.1", c7, T0 + 20 * DAY);
    let merge = r.commit(
        "main",
        &[c6, c7],
        "Merge branch 'hotfix/1.2.1'",
        T0 + 21 * DAY,
    );
    let c8 = r.commit("main", &[merge], "feature e", T0 + 26 * DAY);
    r.tag("v1.3.0", c8, T0 + 26 * DAY + 12 * HOUR);
    // Not a release: a tag that is no version.
    r.tag("nightly", c8, T0 + 27 * DAY);
    r
}

#[test]
fn each_metric_has_its_known_answer() {
    let repo = history();
    let now = timestamp(T0 + 28 * DAY);
    let dora = Dora::measure(
        repo.path(),
        &TargetRules::default(),
        &DoraOptions::default(),
        now,
    )
    .unwrap();
    assert_eq!(dora.weeks, 4);
    assert_eq!(dora.deploys_per_week, vec![1, 2, 2, 1]);
    let records = dora.to_evidence(now);
    assert_eq!(records.len(), 2);
    let main = &records[0];
    assert_eq!(main.kind, "dora");
    assert!(main.incomplete.is_empty(), "{:?}", main.incomplete);
    assert_eq!(values(main, "dora.deploys_per_week"), vec![1, 1, 2, 2]);
    // Lead times: c4 2d, the revert 1d, c6 1d, the hotfix 12h, c8 12h (the merge ships nothing).
    close(
        &values(main, "dora.lead_time"),
        &[12 * HOUR, 12 * HOUR, DAY, DAY, 2 * DAY],
    );
    let failure = main.metrics["dora.change_failure"]
        .value
        .as_ratio()
        .unwrap();
    assert_eq!((failure.k, failure.n), (2, 5));
    let note = main.metrics["dora.change_failure"].note.as_deref().unwrap();
    assert!(
        note.contains("within 7d") && note.contains("revert"),
        "{note}"
    );
    // The code's arguments are the sentence's: a report in another language says the same.
    let code = main.metrics["dora.change_failure"]
        .note_code
        .as_ref()
        .unwrap();
    assert_eq!(code.code, "dora.change_failure");
    assert_eq!(code.args["window"], "7d");
    assert!(
        note.contains(&format!("says {} (", code.args["markers"])),
        "{note}"
    );
    let restore = &records[1];
    close(
        &values(restore, "dora.time_to_restore"),
        &[2 * DAY, 4 * DAY],
    );
    assert!(restore.incomplete.is_empty());
    let releases = main.details["releases"].as_array().unwrap();
    assert_eq!(releases[1]["restored_by"], "v1.1.1");
    assert_eq!(releases[3]["restored_by"], "v1.2.1");
    assert_eq!(releases[5]["tag"], "v1.3.0");
    assert!(
        releases[5]["change_failure"]
            .as_str()
            .unwrap()
            .contains("not judged")
    );
}

#[test]
fn a_failure_not_yet_restored_holds_back_only_time_to_restore() {
    let repo = history();
    // Judged on day 10.5: v1.1.0 failed (reverted on day 10), and v1.1.1, which ships the
    // revert, is tagged only on day 11 (commits and tags after `now` do not count).
    let now = timestamp(T0 + 10 * DAY + 12 * HOUR);
    let options = DoraOptions {
        failure_window: "1d".into(),
        ..DoraOptions::default()
    };
    let dora = Dora::measure(repo.path(), &TargetRules::default(), &options, now).unwrap();
    let records = dora.to_evidence(now);
    let failure = records[0].metrics["dora.change_failure"]
        .value
        .as_ratio()
        .unwrap();
    // One whole week (days 3.5..10.5) is observed: v1.1.0 is judged (its 1d window ended on
    // day 10, the revert is of day 10); v1.0.0 (day 3) is before the window.
    assert_eq!((failure.k, failure.n), (1, 1));
    assert!(records[0].incomplete.is_empty());
    assert!(!records[1].metrics.contains_key("dora.time_to_restore"));
    assert!(records[1].incomplete[0].contains("v1.1.0"));
}

#[test]
fn a_release_pattern_and_a_window_of_weeks() {
    let repo = history();
    let now = timestamp(T0 + 28 * DAY);
    let options = DoraOptions {
        release_tags: Some("v1.1.*".into()),
        weeks: 2,
        ..DoraOptions::default()
    };
    let dora = Dora::measure(repo.path(), &TargetRules::default(), &options, now).unwrap();
    // Weeks 3 and 4 only (days 14..28): no v1.1.* release there.
    assert_eq!(dora.deploys_per_week, vec![0, 0]);
    let bad = DoraOptions {
        failure_window: "7".into(),
        ..DoraOptions::default()
    };
    let error = Dora::measure(repo.path(), &TargetRules::default(), &bad, now).unwrap_err();
    assert!(error.to_string().contains("failure_window"), "{error}");
}
