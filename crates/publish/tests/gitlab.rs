//! `--gitlab` against a recording server on loopback that answers like the GitLab REST API
//! (v4). The real GitLab is not reachable from the test machines; every request goes to
//! 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gonogo_publish::gitlab::{self, Target};
use gonogo_publish::http::Retry;
use gonogo_publish::testing::{Answer, Recorded, Server};
use gonogo_publish::{ApiError, MARKER};
use gonogo_report::markdown::Annotation;
use serde_json::json;

/// The fake API's comments or notes: (id, body).
type Shared = Arc<Mutex<Vec<(u64, String)>>>;

/// The sample verdict, read back through verdict.json's codec as the typed verdict.
fn doc() -> gonogo_core::verdict::Verdict {
    gonogo_report::json::parse_verdict(include_str!("data/sample-no-go.json"))
        .unwrap()
        .0
}

fn fast() -> Retry {
    Retry {
        retries: 2,
        max_wait: Duration::from_secs(5),
        backoff: Duration::from_millis(10),
    }
}

fn fake_gitlab(notes: Vec<(u64, String)>) -> (Server, Shared) {
    let state = Arc::new(Mutex::new(notes));
    let shared = Arc::clone(&state);
    let server = Server::start(move |request: &Recorded, base: &str| {
        let mut notes = shared.lock().unwrap();
        let path = request.target.split('?').next().unwrap();
        match (request.method.as_str(), path) {
            ("GET", "/api/v4/projects/99/merge_requests/5/notes") => {
                let page: usize = request
                    .target
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix("page="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                let items: Vec<_> = notes
                    .iter()
                    .skip((page - 1) * 2)
                    .take(2)
                    .map(|(id, body)| json!({"id": id, "body": body}))
                    .collect();
                let mut answer = Answer::json(200, json!(items));
                if page * 2 < notes.len() {
                    answer = answer.header(
                        "link",
                        &format!(
                            "<{base}/api/v4/projects/99/merge_requests/5/notes?page={}&per_page=100>; rel=\"next\"",
                            page + 1
                        ),
                    );
                }
                answer
            }
            ("POST", "/api/v4/projects/99/merge_requests/5/notes") => {
                let id = 500 + notes.len() as u64;
                notes.push((id, request.json()["body"].as_str().unwrap().to_owned()));
                Answer::json(201, json!({"id": id}))
            }
            ("PUT", p) if p.starts_with("/api/v4/projects/99/merge_requests/5/notes/") => {
                let id: u64 = p.rsplit('/').next().unwrap().parse().unwrap();
                let body = request.json()["body"].as_str().unwrap().to_owned();
                let note = notes.iter_mut().find(|(n, _)| *n == id).unwrap();
                note.1 = body;
                Answer::json(200, json!({"id": id}))
            }
            _ => Answer::json(404, json!({"message": "404 Project Not Found"})),
        }
    });
    (server, state)
}

fn target(server: &Server, auth: (&'static str, &str)) -> Target {
    Target {
        api_url: format!("{}/api/v4", server.url),
        project: "99".into(),
        merge_request: Some(5),
        auth: Some((auth.0, auth.1.to_owned())),
    }
}

#[test]
fn the_note_is_created_then_updated_when_found_on_a_later_page() {
    let (server, notes) = fake_gitlab(vec![(1, "a".into()), (2, "b".into()), (3, "c".into())]);
    let t = target(&server, ("private-token", "glpat-secret"));
    let created = gitlab::post_note(&t, "first", Duration::from_secs(5), fast()).unwrap();
    assert_eq!(created, Some((503, true)));
    let updated = gitlab::post_note(&t, "second", Duration::from_secs(5), fast()).unwrap();
    assert_eq!(updated, Some((503, false)), "found on page 2, updated");
    let notes = notes.lock().unwrap();
    assert_eq!(notes.len(), 4);
    assert_eq!(notes.iter().filter(|(_, b)| b.contains(MARKER)).count(), 1);
    assert!(notes[3].1.contains("second"));
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.target.contains("page=2")));
    assert!(requests.iter().any(|r| r.method == "PUT"));
    for request in &requests {
        assert_eq!(request.header("private-token"), Some("glpat-secret"));
    }
}

#[test]
fn the_job_token_goes_in_its_own_header() {
    let (server, _) = fake_gitlab(vec![]);
    let env = |name: &str| -> Option<String> {
        match name {
            "CI_API_V4_URL" => Some(format!("{}/api/v4", server.url)),
            "CI_PROJECT_ID" => Some("99".into()),
            "CI_MERGE_REQUEST_IID" => Some("5".into()),
            "CI_JOB_TOKEN" => Some("job-secret".into()),
            _ => None,
        }
    };
    let t = Target::from_env(env).unwrap();
    assert!(!format!("{t:?}").contains("job-secret"));
    gitlab::post_note(&t, "x", Duration::from_secs(5), fast()).unwrap();
    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(request.header("job-token"), Some("job-secret"));
        assert_eq!(request.header("private-token"), None);
    }
    // Outside a merge-request pipeline nothing is posted.
    let t = Target::from_env(|n| env(n).filter(|_| n != "CI_MERGE_REQUEST_IID")).unwrap();
    assert_eq!(
        gitlab::post_note(&t, "x", Duration::from_secs(5), fast()).unwrap(),
        None
    );
}

#[test]
fn a_404_names_the_project_and_not_the_token() {
    let (server, _) = fake_gitlab(vec![]);
    let mut t = target(&server, ("private-token", "glpat-secret"));
    t.project = "group/missing".into();
    let error = gitlab::post_note(&t, "x", Duration::from_secs(5), fast()).unwrap_err();
    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("group%2Fmissing"), "{text}");
    assert!(text.contains("CI_PROJECT_ID"), "{text}");
    assert!(!text.contains("glpat-secret"));
}

#[test]
fn code_quality_and_junit_files_are_written() {
    let annotations = vec![
        Annotation {
            level: "error",
            title: "blocker tests".into(),
            message: "2 failed".into(),
            file: Some("src/lib.rs".into()),
            line: Some(12),
        },
        Annotation {
            level: "warning",
            title: "warn p99".into(),
            message: "slow".into(),
            file: None,
            line: None,
        },
    ];
    let report = gitlab::code_quality(&doc(), &annotations);
    let entries = report.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["severity"], "blocker");
    assert_eq!(entries[0]["location"]["path"], "src/lib.rs");
    assert_eq!(entries[0]["location"]["lines"]["begin"], 12);
    assert_eq!(entries[1]["severity"], "minor");
    assert_eq!(entries[1]["location"]["path"], "examples/gonogo.toml");
    assert_eq!(entries[0]["fingerprint"].as_str().unwrap().len(), 64);
    assert_ne!(entries[0]["fingerprint"], entries[1]["fingerprint"]);
    // Stable across runs.
    assert_eq!(report, gitlab::code_quality(&doc(), &annotations));

    let dir = tempfile::tempdir().unwrap();
    let verdict = doc();
    let junit = gonogo_report::junit::render(
        &verdict,
        &gonogo_report::RenderContext::new(gonogo_report::i18n::Lang::En),
    );
    let files = gitlab::write_files(dir.path(), &verdict, &annotations, &junit).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(files.code_quality).unwrap()).unwrap();
    assert_eq!(written, report);
    let xml = std::fs::read_to_string(files.junit).unwrap();
    assert!(xml.contains("<testsuite"), "{xml}");
    assert!(xml.contains("no critical vulnerabilities"));
}
