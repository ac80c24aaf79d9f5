//! `--github` against a recording server on loopback that answers like the GitHub REST API.
//! The real api.github.com is not reachable from the test machines (and must not be contacted
//! by tests): every request here goes to 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gonogo_publish::github::{self, Target};
use gonogo_publish::http::Retry;
use gonogo_publish::testing::{Answer, Recorded, Server};
use gonogo_publish::{ApiError, MARKER};
use gonogo_report::markdown::Annotation;
use serde_json::json;

/// The fake API's comments or notes: (id, body).
type Shared = Arc<Mutex<Vec<(u64, String)>>>;

const TOKEN: &str = "ghs_test_token_never_printed_123";

/// The sample verdict, read back through verdict.json's codec as the typed verdict.
fn doc() -> gonogo_core::verdict::Verdict {
    gonogo_report::json::parse_verdict(include_str!("data/sample-no-go.json"))
        .unwrap()
        .0
}

fn fast() -> Retry {
    Retry {
        retries: 3,
        max_wait: Duration::from_secs(5),
        backoff: Duration::from_millis(10),
    }
}

fn target(server: &Server, pr: Option<u64>) -> Target {
    Target {
        api_url: server.url.clone(),
        repository: "octo/shop".into(),
        token: TOKEN.into(),
        sha: Some("e8eff29b14c4c590f57cdc86d530583bc6335841".into()),
        pull_request: pr,
    }
}

/// A fake GitHub: the pull request's comments (served two a page, with `Link` headers), and
/// check runs.
fn fake_github(comments: Vec<(u64, String)>) -> (Server, Shared) {
    let state = Arc::new(Mutex::new(comments));
    let shared = Arc::clone(&state);
    let server = Server::start(move |request: &Recorded, base: &str| {
        let mut comments = shared.lock().unwrap();
        let path = request.target.split('?').next().unwrap();
        match (request.method.as_str(), path) {
            ("GET", "/repos/octo/shop/issues/7/comments") => {
                let page: usize = request
                    .target
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix("page="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                let items: Vec<_> = comments
                    .iter()
                    .skip((page - 1) * 2)
                    .take(2)
                    .map(|(id, body)| json!({"id": id, "body": body}))
                    .collect();
                let mut answer = Answer::json(200, json!(items));
                if page * 2 < comments.len() {
                    answer = answer.header(
                        "link",
                        &format!(
                            "<{base}/repos/octo/shop/issues/7/comments?per_page=100&page={}>; rel=\"next\", <{base}/x?page=1>; rel=\"first\"",
                            page + 1
                        ),
                    );
                }
                answer
            }
            ("POST", "/repos/octo/shop/issues/7/comments") => {
                let id = 1000 + comments.len() as u64;
                comments.push((id, request.json()["body"].as_str().unwrap().to_owned()));
                Answer::json(201, json!({"id": id}))
            }
            ("PATCH", p) if p.starts_with("/repos/octo/shop/issues/comments/") => {
                let id: u64 = p.rsplit('/').next().unwrap().parse().unwrap();
                let body = request.json()["body"].as_str().unwrap().to_owned();
                match comments.iter_mut().find(|(c, _)| *c == id) {
                    Some(comment) => {
                        comment.1 = body;
                        Answer::json(200, json!({"id": id}))
                    }
                    None => Answer::json(404, json!({"message": "Not Found"})),
                }
            }
            ("POST", "/repos/octo/shop/check-runs") => Answer::json(201, json!({"id": 555})),
            ("PATCH", "/repos/octo/shop/check-runs/555") => Answer::json(200, json!({"id": 555})),
            _ => Answer::json(404, json!({"message": "Not Found"})),
        }
    });
    (server, state)
}

#[test]
fn the_comment_is_created_once_then_updated_never_a_second() {
    let (server, comments) = fake_github(vec![(1, "LGTM".into())]);
    let target = target(&server, Some(7));
    let first = github::post(
        &target,
        &doc(),
        "first report",
        &[],
        Duration::from_secs(5),
        fast(),
    )
    .unwrap();
    assert_eq!(first.comment, Some((1001, true)));
    let second = github::post(
        &target,
        &doc(),
        "second report",
        &[],
        Duration::from_secs(5),
        fast(),
    )
    .unwrap();
    assert_eq!(second.comment, Some((1001, false)));
    let comments = comments.lock().unwrap();
    let ours: Vec<_> = comments
        .iter()
        .filter(|(_, b)| b.contains(MARKER))
        .collect();
    assert_eq!(ours.len(), 1, "{comments:?}");
    assert!(ours[0].1.contains("second report"));
    assert!(!ours[0].1.contains("first report"));
    // Every request carried the token in the Authorization header.
    for request in server.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[test]
fn the_marker_is_found_on_page_two_through_the_link_header() {
    let (server, comments) = fake_github(vec![
        (11, "first".into()),
        (12, "second".into()),
        (13, format!("{MARKER}\nold verdict")),
        (14, "later".into()),
    ]);
    let posted = github::post(
        &target(&server, Some(7)),
        &doc(),
        "new verdict",
        &[],
        Duration::from_secs(5),
        fast(),
    )
    .unwrap();
    assert_eq!(posted.comment, Some((13, false)));
    let requests = server.requests();
    let lists: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        lists,
        [
            "/repos/octo/shop/issues/7/comments?per_page=100",
            "/repos/octo/shop/issues/7/comments?per_page=100&page=2"
        ]
    );
    assert!(
        requests
            .iter()
            .any(|r| r.method == "PATCH" && r.target == "/repos/octo/shop/issues/comments/13")
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "POST" && r.target.contains("/comments"))
    );
    assert_eq!(comments.lock().unwrap().len(), 4);
    assert!(comments.lock().unwrap()[2].1.contains("new verdict"));
}

fn annotation(i: usize) -> Annotation {
    Annotation {
        level: if i % 2 == 0 { "error" } else { "warning" },
        title: format!("gate {i}"),
        message: format!("failed {i}"),
        file: (i % 3 == 0).then(|| format!("src/f{i}.rs")),
        line: (i % 3 == 0).then_some(i as u64),
    }
}

#[test]
fn the_check_run_fails_on_no_go_and_carries_annotations_fifty_per_request() {
    let (server, _) = fake_github(vec![]);
    let annotations: Vec<_> = (0..120).map(annotation).collect();
    let posted = github::post(
        &target(&server, None),
        &doc(),
        "the report",
        &annotations,
        Duration::from_secs(5),
        fast(),
    )
    .unwrap();
    assert_eq!(posted.comment, None, "not a pull request: no comment");
    assert_eq!(posted.check_run, Some((555, 3)));
    let requests = server.requests();
    let create = requests.iter().find(|r| r.method == "POST").unwrap();
    let body = create.json();
    assert_eq!(body["conclusion"], "failure");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["head_sha"], "e8eff29b14c4c590f57cdc86d530583bc6335841");
    let sizes: Vec<usize> = requests
        .iter()
        .filter(|r| r.target.contains("check-runs"))
        .map(|r| r.json()["output"]["annotations"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [50, 50, 20]);
    let first = &body["output"]["annotations"][0];
    assert_eq!(first["annotation_level"], "failure");
    assert_eq!(first["path"], "src/f0.rs");
    let second = &body["output"]["annotations"][1];
    assert_eq!(second["annotation_level"], "warning");
    assert_eq!(
        second["path"], "examples/gonogo.toml",
        "no file: the policy file"
    );

    let mut go = doc();
    go.decision = gonogo_core::verdict::Decision::Go;
    github::post(
        &target(&server, None),
        &go,
        "ok",
        &[],
        Duration::from_secs(5),
        fast(),
    )
    .unwrap();
    let last = server
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    assert_eq!(last.json()["conclusion"], "success");
}

fn answering(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    message: &'static str,
) -> Server {
    Server::start(move |_: &Recorded, _: &str| {
        let mut answer = Answer::json(status, json!({"message": message}));
        for (name, value) in headers {
            answer = answer.header(name, value);
        }
        answer
    })
}

fn post_err(server: &Server) -> ApiError {
    github::post(
        &target(server, Some(7)),
        &doc(),
        "r",
        &[],
        Duration::from_secs(5),
        fast(),
    )
    .unwrap_err()
}

#[test]
fn a_403_is_a_clear_error_that_names_the_permission_and_not_the_token() {
    let server = answering(403, &[], "Resource not accessible by integration");
    let error = post_err(&server);
    assert!(matches!(error, ApiError::Forbidden { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("403"), "{text}");
    assert!(
        text.contains("Resource not accessible by integration"),
        "{text}"
    );
    assert!(text.contains("pull-requests: write"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(!format!("{error:?}").contains(TOKEN));
    assert_eq!(server.requests().len(), 1, "a 403 is not retried");
}

#[test]
fn a_404_is_a_clear_error() {
    let server = answering(404, &[], "Not Found");
    let error = post_err(&server);
    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("/repos/octo/shop/issues/7/comments"),
        "{text}"
    );
    assert!(text.contains("GITHUB_REPOSITORY"), "{text}");
}

#[test]
fn a_rate_limit_is_retried_after_retry_after_then_a_clear_error() {
    let server = answering(429, &[("retry-after", "0")], "API rate limit exceeded");
    let error = post_err(&server);
    assert!(
        matches!(error, ApiError::RateLimited { attempts: 4, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("API rate limit exceeded"));
    assert_eq!(server.requests().len(), 4, "one try and three retries");

    // GitHub's primary limit: 403 with x-ratelimit-remaining: 0.
    let server = answering(
        403,
        &[("x-ratelimit-remaining", "0"), ("retry-after", "0")],
        "limit",
    );
    assert!(matches!(post_err(&server), ApiError::RateLimited { .. }));
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn a_wait_longer_than_the_bound_fails_at_once() {
    let server = answering(429, &[("retry-after", "3600")], "slow down");
    let started = std::time::Instant::now();
    let error = post_err(&server);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(error.to_string().contains("wait 3600 s"), "{error}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_rate_limit_that_lifts_is_retried_to_success() {
    let count = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&count);
    let server = Server::start(move |request: &Recorded, _: &str| {
        let mut n = seen.lock().unwrap();
        *n += 1;
        if *n == 1 {
            return Answer::json(429, json!({"message": "wait"})).header("retry-after", "0");
        }
        match request.method.as_str() {
            "GET" => Answer::json(200, json!([])),
            _ => Answer::json(201, json!({"id": 9})),
        }
    });
    let posted = github::post(
        &target(&server, Some(7)),
        &doc(),
        "r",
        &[],
        Duration::from_secs(5),
        fast(),
    )
    .unwrap();
    assert_eq!(posted.comment, Some((9, true)));
    assert_eq!(server.requests()[0].target, server.requests()[1].target);
}

#[test]
fn a_pagination_link_off_the_api_origin_is_never_followed() {
    // 192.0.2.1 (TEST-NET-1) is not loopback: the client must refuse it before connecting.
    let server = Server::start(|_: &Recorded, _: &str| {
        Answer::json(200, json!([])).header(
            "link",
            "<http://192.0.2.1/repos/octo/shop/issues/7/comments?page=2>; rel=\"next\"",
        )
    });
    let error = post_err(&server);
    assert!(matches!(error, ApiError::OffOrigin { .. }), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn the_target_comes_from_the_actions_environment() {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"opened","pull_request":{"number":42}}"#,
    )
    .unwrap();
    let env = |name: &str| -> Option<String> {
        match name {
            "GITHUB_TOKEN" => Some(TOKEN.into()),
            "GITHUB_REPOSITORY" => Some("octo/shop".into()),
            "GITHUB_EVENT_PATH" => Some(event.display().to_string()),
            "GITHUB_SHA" => Some("abc".into()),
            _ => None,
        }
    };
    let target = Target::from_env(env).unwrap();
    assert_eq!(target.pull_request, Some(42));
    assert_eq!(target.api_url, "https://api.github.com");
    assert!(!format!("{target:?}").contains(TOKEN));

    std::fs::write(&event, r#"{"ref":"refs/heads/main"}"#).unwrap();
    assert_eq!(
        Target::from_env(env).unwrap().pull_request,
        None,
        "a push: no PR"
    );

    let missing = Target::from_env(|name| env(name).filter(|_| name != "GITHUB_TOKEN"));
    assert!(
        missing
            .unwrap_err()
            .to_string()
            .contains("GITHUB_TOKEN is not set")
    );
}
