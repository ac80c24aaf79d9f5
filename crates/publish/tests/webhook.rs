//! The NO-GO webhook against a recording server on loopback (no real Slack or receiver is
//! reachable from the test machines).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gonogo_publish::testing::{Answer, Recorded, Server};
use gonogo_publish::webhook::{self, Format, NotifyError, Webhook};
use serde_json::json;

/// The sample verdict, read back through verdict.json's codec as the typed verdict.
fn doc() -> gonogo_core::verdict::Verdict {
    gonogo_report::json::parse_verdict(include_str!("data/sample-no-go.json"))
        .unwrap()
        .0
}

fn hook(url: String, format: Format) -> Webhook {
    Webhook {
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..Webhook::new(url, format)
    }
}

#[test]
fn slack_and_json_payloads_say_what_blocks() {
    let slack = webhook::payload(&doc(), Format::Slack);
    let text = slack["text"].as_str().unwrap();
    assert!(text.contains("NO-GO"), "{text}");
    assert!(text.contains("no critical vulnerabilities"), "{text}");
    assert!(text.contains("readiness availability"), "{text}");
    assert!(
        text.contains("e8eff29b14c4c590f57cdc86d530583bc6335841"),
        "{text}"
    );
    let plain = webhook::payload(&doc(), Format::Json);
    assert_eq!(plain["verdict"], "NO-GO");
    assert_eq!(
        plain["blockers"],
        json!(["no critical vulnerabilities", "readiness availability"])
    );
    assert_eq!(plain["warnings"], json!(["checkout p99.9"]));
    assert_eq!(plain["policy"], "checkout-service (sample)");
}

#[test]
fn a_failing_receiver_is_retried_with_backoff_until_it_answers() {
    let count = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&count);
    let server = Server::start(move |_: &Recorded, _: &str| {
        let mut n = seen.lock().unwrap();
        *n += 1;
        Answer::json(if *n < 3 { 503 } else { 200 }, json!({}))
    });
    let url = format!("{}/services/T0/B0/secretpart", server.url);
    let payload = webhook::payload(&doc(), Format::Slack);
    let attempts = webhook::send(&hook(url, Format::Slack), &payload).unwrap();
    assert_eq!(attempts, 3);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].method, "POST");
    assert_eq!(requests[2].target, "/services/T0/B0/secretpart");
    assert_eq!(requests[2].header("content-type"), Some("application/json"));
    assert_eq!(requests[2].json(), payload);
}

#[test]
fn retries_are_bounded_and_the_error_hides_the_url_secret() {
    let server = Server::start(|_: &Recorded, _: &str| Answer::json(500, json!({})));
    let url = format!("{}/hooks/very-secret-token", server.url);
    let error = webhook::send(&hook(url, Format::Json), &json!({})).unwrap_err();
    assert!(
        matches!(
            error,
            NotifyError::Status {
                status: 500,
                attempts: 4,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 4, "one try and three retries");
    let text = error.to_string();
    assert!(!text.contains("very-secret-token"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");

    // A 4xx other than 429 is not retried.
    let server = Server::start(|_: &Recorded, _: &str| Answer::json(404, json!({})));
    let error = webhook::send(&hook(format!("{}/x", server.url), Format::Json), &json!({}));
    assert!(matches!(
        error,
        Err(NotifyError::Status { attempts: 1, .. })
    ));
}

#[test]
fn a_receiver_that_never_answers_is_bounded_by_the_timeout() {
    // Accepts connections and never replies.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/hook?token=s3cr3t",
        listener.local_addr().unwrap()
    );
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let mut hook = hook(url, Format::Json);
    hook.timeout = Duration::from_millis(300);
    hook.retries = 1;
    let started = Instant::now();
    let error = webhook::send(&hook, &json!({})).unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(600),
        "two attempts of 300 ms: {elapsed:?}"
    );
    let text = error.to_string();
    assert!(
        matches!(error, NotifyError::Transport { attempts: 2, .. }),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "{text}");
}
