//! CI run histories, written from GitHub's and GitLab's documented shapes (the real APIs are
//! not reachable from the build machine; `tests/data/ci/README.md`), and the gates they feed.

use gonogo_core::eval::evaluate;
use gonogo_core::evidence::Evidence;
use gonogo_core::policy::Policy;
use gonogo_core::verdict::GateStatus;
use gonogo_ingest::{IngestError, Kind, collect_file};

use crate::{collect, collect_error, data, ratio};

fn durations(evidence: &Evidence, name: &str) -> Vec<u64> {
    let histogram = evidence.metrics[name]
        .value
        .as_histogram()
        .unwrap_or_else(|| panic!("{name}: not a distribution"));
    let mut values = Vec::new();
    for v in histogram.iter_recorded() {
        for _ in 0..v.count_at_value() {
            values.push(histogram.highest_equivalent(v.value_iterated_to()));
        }
    }
    values
}

#[test]
fn gh_run_list_counts_first_attempt_successes_and_reruns_apart() {
    let evidence = collect(Kind::CiHistory, "ci/gh-run-list.json");
    assert_eq!(evidence.kind, "ci");
    assert_eq!(evidence.details["format"], "gh-run-list");
    // CI: 9001 passed, 9002 failed, 9003 passed on attempt 2, 9004 passed; 9005 cancelled and
    // 9006 in progress are not counted.
    assert_eq!(ratio(&evidence, "ci.ci.success"), (2, 4));
    assert_eq!(ratio(&evidence, "ci.ci.flaky"), (1, 4));
    assert_eq!(ratio(&evidence, "ci.ci.main.success"), (1, 3));
    assert_eq!(ratio(&evidence, "ci.ci.main.flaky"), (1, 3));
    assert_eq!(ratio(&evidence, "ci.ci.feature_login.success"), (1, 1));
    assert_eq!(
        durations(&evidence, "ci.ci.duration"),
        vec![60, 120, 140, 200]
    );
    // timed_out is a failure.
    assert_eq!(ratio(&evidence, "ci.deploy_staging.success"), (1, 2));
    assert_eq!(
        durations(&evidence, "ci.deploy_staging.duration"),
        vec![240, 1800]
    );
    let ci = &evidence.details["workflows"][0];
    assert_eq!(ci["workflow"], "CI");
    assert_eq!(ci["not_counted"]["cancelled"], 1);
    assert_eq!(ci["not_counted"]["in_progress"], 1);
    assert!(evidence.incomplete.is_empty());
    assert_eq!(collect(Kind::Auto, "ci/gh-run-list.json").kind, "ci");
}

#[test]
fn without_attempts_reruns_are_unknown_and_the_record_says_so() {
    let evidence = collect(Kind::CiHistory, "ci/gh-run-list-no-attempt.json");
    // A final success counts: 9001, 9003, 9004.
    assert_eq!(ratio(&evidence, "ci.ci.success"), (3, 4));
    assert!(!evidence.metrics.contains_key("ci.ci.flaky"));
    assert!(
        evidence.metrics["ci.ci.success"]
            .note
            .as_deref()
            .unwrap()
            .contains("re-runs unknown")
    );
    assert_eq!(
        evidence.metrics["ci.ci.success"]
            .note_code
            .as_ref()
            .map(|c| c.code.as_str()),
        Some("ci.success_reruns_unknown")
    );
    assert!(
        evidence
            .incomplete
            .iter()
            .any(|i| i.contains("re-runs of CI")),
        "{:?}",
        evidence.incomplete
    );
}

#[test]
fn github_rest_workflow_runs() {
    let evidence = collect(Kind::CiHistory, "ci/github-rest.json");
    assert_eq!(evidence.details["format"], "github-rest");
    assert_eq!(ratio(&evidence, "ci.build.success"), (1, 3));
    assert_eq!(ratio(&evidence, "ci.build.flaky"), (1, 3));
    assert_eq!(ratio(&evidence, "ci.build.main.success"), (1, 2));
    assert_eq!(ratio(&evidence, "ci.build.release_1_2.success"), (0, 1));
    // From run_started_at (the latest attempt's start) to updated_at.
    assert_eq!(
        durations(&evidence, "ci.build.duration"),
        vec![60, 150, 180]
    );
    assert_eq!(evidence.details["workflows"][0]["not_counted"]["queued"], 1);
}

#[test]
fn gitlab_pipelines_with_and_without_durations() {
    let evidence = collect(Kind::CiHistory, "ci/gitlab-pipelines.json");
    assert_eq!(evidence.details["format"], "gitlab-pipelines");
    assert_eq!(ratio(&evidence, "ci.build_pipeline.success"), (2, 3));
    assert_eq!(ratio(&evidence, "ci.build_pipeline.main.success"), (2, 3));
    // GitLab's own `duration` when given, else started_at → finished_at.
    assert_eq!(
        durations(&evidence, "ci.build_pipeline.duration"),
        vec![118, 180, 230]
    );
    assert!(!evidence.metrics.contains_key("ci.build_pipeline.flaky"));
    assert!(!evidence.incomplete.is_empty());

    let list = collect(Kind::CiHistory, "ci/gitlab-pipelines-list.json");
    assert_eq!(ratio(&list, "ci.build_pipeline.success"), (1, 2));
    assert_eq!(
        ratio(&list, "ci.build_pipeline.new_pipeline.success"),
        (1, 2)
    );
    assert!(!list.metrics.contains_key("ci.build_pipeline.duration"));
    assert_eq!(list.details["workflows"][0]["without_duration"], 2);
}

#[test]
fn generic_csv() {
    let evidence = collect(Kind::CiHistory, "ci/history.csv");
    assert_eq!(evidence.details["format"], "csv");
    assert_eq!(ratio(&evidence, "ci.unit_tests.success"), (3, 5));
    assert_eq!(ratio(&evidence, "ci.unit_tests.flaky"), (1, 5));
    assert_eq!(ratio(&evidence, "ci.unit_tests.main.success"), (2, 4));
    assert_eq!(
        ratio(&evidence, "ci.unit_tests.hotfix_1_2_1.success"),
        (1, 1)
    );
    assert_eq!(
        durations(&evidence, "ci.unit_tests.duration"),
        vec![50, 70, 90, 100, 120]
    );
    assert_eq!(collect(Kind::Auto, "ci/history.csv").kind, "ci");
}

#[test]
fn malformed_histories_name_file_and_line() {
    match collect_error(Kind::CiHistory, "ci/bad-time.json") {
        IngestError::Malformed {
            path,
            line,
            message,
            ..
        } => {
            assert!(path.ends_with("bad-time.json"), "{path}");
            assert_eq!(line, 3);
            assert!(message.contains("item 2 (run 2)"), "{message}");
            assert!(message.contains("\"yesterday\""), "{message}");
        }
        other => panic!("{other}"),
    }
    match collect_error(Kind::CiHistory, "ci/bad-row.csv") {
        IngestError::Malformed { line, message, .. } => {
            assert_eq!(line, 3);
            assert!(message.contains("before"), "{message}");
        }
        other => panic!("{other}"),
    }
    // Another format asked for as a CI history, and a CI history asked for as JUnit.
    assert!(matches!(
        collect_error(Kind::CiHistory, "k6/summary-export.json"),
        IngestError::WrongKind { .. }
    ));
    assert!(matches!(
        collect_error(Kind::Junit, "ci/github-rest.json"),
        IngestError::WrongKind { .. }
    ));
}

#[test]
fn a_history_of_only_cancelled_runs_is_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.csv");
    std::fs::write(
        &path,
        "workflow,branch,conclusion,started_at,finished_at\nbuild,main,cancelled,,\n",
    )
    .unwrap();
    assert!(matches!(
        collect_file(Kind::CiHistory, &path),
        Err(IngestError::NoEvidence { .. })
    ));
}

fn judge(metric: &str, expect: &str, evidence: &[Evidence]) -> GateStatus {
    let policy = Policy::parse(
        &format!(
            "[[gate]]\nname = \"g\"\narea = \"delivery\"\nmetric = \"{metric}\"\nexpect = \"{expect}\"\n"
        ),
        None, gonogo_core::catalog::Catalog::new(&[gonogo_ingest::METRICS]),
    )
    .unwrap();
    // Collected records carry the real clock's time: judge them now.
    evaluate(&policy, evidence, jiff::Timestamp::now(), None).gates[0].status
}

/// The seeds' "success rate 100 %" and "145 s, far below the 180 s target" from four runs:
/// neither is known from four runs.
#[test]
fn four_green_runs_are_inconclusive() {
    let evidence = collect(Kind::CiHistory, "ci/four-green.csv");
    assert_eq!(ratio(&evidence, "ci.build.success"), (4, 4));
    assert_eq!(
        judge(
            "ci.build.success",
            "rate >= 95%",
            std::slice::from_ref(&evidence)
        ),
        GateStatus::Inconclusive
    );
    assert_eq!(
        judge("ci.build.duration", "p(90) <= 180s", &[evidence]),
        GateStatus::Inconclusive
    );
}

/// With a history long enough, the same gates decide both ways.
#[test]
fn a_long_history_decides() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("workflow,branch,conclusion,started_at,finished_at,attempt\n");
    for day in 0..200u32 {
        let (d, h) = (1 + day / 24, day % 24);
        csv.push_str(&format!(
            "build,main,success,2026-10-{d:02}T{h:02}:00:00Z,2026-10-{d:02}T{h:02}:02:{:02}Z,1\n",
            day % 50
        ));
    }
    let path = dir.path().join("long.csv");
    std::fs::write(&path, &csv).unwrap();
    let evidence = collect_file(Kind::CiHistory, &path).unwrap();
    assert_eq!(ratio(&evidence, "ci.build.success"), (200, 200));
    assert_eq!(
        judge(
            "ci.build.success",
            "rate >= 95%",
            std::slice::from_ref(&evidence)
        ),
        GateStatus::Pass
    );
    assert_eq!(
        judge(
            "ci.build.duration",
            "p(90) <= 180s",
            std::slice::from_ref(&evidence)
        ),
        GateStatus::Pass
    );
    assert_eq!(
        judge("ci.build.duration", "p(90) <= 100s", &[evidence]),
        GateStatus::Fail
    );
    assert!(data("ci/README.md").exists());
}
