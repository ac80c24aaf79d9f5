//! `gonogo report --github`: one pull-request comment, created or updated, and one check run.
//!
//! The comment carries the hidden [`MARKER`](crate::MARKER); the pull request's comments are
//! listed page by page (`Link: rel="next"`) until the marker is found, and that comment is
//! updated with `PATCH`, so a pull request never gets a second gonogo comment. The check run
//! (`gonogo`) is completed with `success` on GO and `failure` on NO-GO; its annotations go 50
//! per request, as GitHub accepts at most 50 per request (the first batch with the create, the
//! rest with updates).
//!
//! Environment (as GitHub Actions sets it): `GITHUB_TOKEN`, `GITHUB_REPOSITORY` (`owner/repo`),
//! `GITHUB_EVENT_PATH` (the event payload: the pull request's number), `GITHUB_SHA`,
//! `GITHUB_API_URL` (default `https://api.github.com`).

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use gonogo_core::verdict::{Decision, Verdict};
use gonogo_report::markdown::Annotation;

use crate::MARKER;
use crate::http::{Api, ApiError, Retry};

/// GitHub accepts at most 50 annotations per check-run request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// GitHub's limit on a comment's body and a check run's summary (characters).
const MAX_BODY: usize = 65_000;
/// The most pages of comments read looking for the marker (100 comments a page).
const MAX_PAGES: usize = 100;

/// What GitHub Actions tells about where to post. Its `Debug` form leaves the token out.
#[derive(Clone)]
pub struct Target {
    pub api_url: String,
    pub repository: String,
    pub token: String,
    pub sha: Option<String>,
    /// `None` outside a pull-request event: no comment, the check run only.
    pub pull_request: Option<u64>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("api_url", &self.api_url)
            .field("repository", &self.repository)
            .field("sha", &self.sha)
            .field("pull_request", &self.pull_request)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Reads the target from the environment (passed in, for tests).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Target, ApiError> {
        let need = |name: &str| {
            env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                ApiError::Config(format!(
                    "{name} is not set: --github posts from GitHub Actions (or with the GITHUB_* variables set)"
                ))
            })
        };
        let token = need("GITHUB_TOKEN")?;
        let repository = need("GITHUB_REPOSITORY")?;
        if repository.split('/').count() != 2 || repository.contains(['?', '#', ' ']) {
            return Err(ApiError::Config(format!(
                "GITHUB_REPOSITORY `{repository}` is not owner/repo"
            )));
        }
        let pull_request = match env("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) {
            Some(path) => pull_request_number(Path::new(&path))?,
            None => None,
        };
        Ok(Target {
            api_url: env("GITHUB_API_URL")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "https://api.github.com".to_owned()),
            repository,
            token,
            sha: env("GITHUB_SHA").filter(|v| !v.is_empty()),
            pull_request,
        })
    }
}

/// The pull request's number in an event payload (`pull_request.number`, or `issue.number`
/// for a comment on a pull request), `None` for other events.
pub fn pull_request_number(path: &Path) -> Result<Option<u64>, ApiError> {
    let text = gonogo_io_read(path)?;
    let event: Value = serde_json::from_str(&text).map_err(|e| {
        ApiError::Config(format!(
            "GITHUB_EVENT_PATH {}: not JSON: {e}",
            path.display()
        ))
    })?;
    Ok(event
        .pointer("/pull_request/number")
        .and_then(Value::as_u64)
        .or_else(|| {
            event
                .pointer("/issue/pull_request")
                .and_then(|_| event.pointer("/issue/number"))
                .and_then(Value::as_u64)
        }))
}

fn gonogo_io_read(path: &Path) -> Result<String, ApiError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| {
        ApiError::Config(format!(
            "cannot read GITHUB_EVENT_PATH {}: {e}",
            path.display()
        ))
    })?;
    let mut text = String::new();
    file.take(32 * 1024 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| {
            ApiError::Config(format!(
                "cannot read GITHUB_EVENT_PATH {}: {e}",
                path.display()
            ))
        })?;
    Ok(text)
}

/// What was posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// `Some((id, created))`: the comment's id and whether it was new.
    pub comment: Option<(u64, bool)>,
    /// The check run's id and how many requests carried its annotations.
    pub check_run: Option<(u64, usize)>,
}

/// Posts the comment (when on a pull request) and the check run (when the commit is known).
pub fn post(
    target: &Target,
    verdict: &Verdict,
    markdown: &str,
    annotations: &[Annotation],
    timeout: Duration,
    retry: Retry,
) -> Result<Posted, ApiError> {
    let mut api = Api::new(
        &target.api_url,
        "authorization",
        &format!("Bearer {}", target.token),
        timeout,
        retry,
    )?;
    api.forbidden_needs = "write pull requests and checks (in the workflow: `permissions: pull-requests: write, checks: write`; a pull request from a fork gets a read-only token)";
    api.not_found_hint =
        "check GITHUB_REPOSITORY and the pull request, and that the token can see the repository";
    let comment = match target.pull_request {
        Some(number) => Some(upsert_comment(&api, &target.repository, number, markdown)?),
        None => None,
    };
    let check_run = match &target.sha {
        Some(sha) => Some(check_run(
            &api,
            &target.repository,
            sha,
            verdict,
            markdown,
            annotations,
        )?),
        None => None,
    };
    Ok(Posted { comment, check_run })
}

/// The comment's body: the marker, then the Markdown (cut to GitHub's limit).
pub fn comment_body(markdown: &str) -> String {
    let mut body = format!("{MARKER}\n{markdown}");
    truncate(&mut body, MAX_BODY);
    body
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max - 40;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n\n… (cut to GitHub's size limit)");
    }
}

/// Updates the pull request's gonogo comment, or creates it when no comment has the marker.
pub fn upsert_comment(
    api: &Api,
    repository: &str,
    number: u64,
    markdown: &str,
) -> Result<(u64, bool), ApiError> {
    let body = json!({ "body": comment_body(markdown) });
    let list = api.url(&format!(
        "repos/{repository}/issues/{number}/comments?per_page=100"
    ))?;
    let existing = api.find_in_pages(list, MAX_PAGES, |comment| {
        let text = comment.get("body")?.as_str()?;
        if text.contains(MARKER) {
            comment.get("id")?.as_u64()
        } else {
            None
        }
    })?;
    match existing {
        Some(id) => {
            let url = api.url(&format!("repos/{repository}/issues/comments/{id}"))?;
            api.send(Method::PATCH, url, Some(&body))?;
            Ok((id, false))
        }
        None => {
            let url = api.url(&format!("repos/{repository}/issues/{number}/comments"))?;
            let reply = api.send(Method::POST, url.clone(), Some(&body))?;
            let id = reply
                .json
                .get("id")
                .and_then(Value::as_u64)
                .ok_or_else(|| ApiError::BadReply {
                    path: url.path().to_owned(),
                    message: "no comment id in the reply".into(),
                })?;
            Ok((id, true))
        }
    }
}

/// A check-run annotation: the file and line when the evidence has them, else the policy file.
pub fn check_annotation(annotation: &Annotation, policy_path: &str) -> Value {
    let line = annotation.line.unwrap_or(1).max(1);
    json!({
        "path": annotation.file.as_deref().unwrap_or(policy_path),
        "start_line": line,
        "end_line": line,
        "annotation_level": if annotation.level == "error" { "failure" } else { "warning" },
        "title": gonogo_core::text::inert(&annotation.title),
        "message": gonogo_core::text::inert(&annotation.message),
    })
}

/// Creates the completed check run with the first 50 annotations, then adds the rest 50 per
/// request. Returns its id and the number of requests.
pub fn check_run(
    api: &Api,
    repository: &str,
    sha: &str,
    verdict: &Verdict,
    markdown: &str,
    annotations: &[Annotation],
) -> Result<(u64, usize), ApiError> {
    let go = verdict.decision == Decision::Go;
    let title = if go {
        "GO".to_owned()
    } else {
        format!("NO-GO: {} blocker(s)", verdict.blockers.len())
    };
    let mut summary = markdown.to_owned();
    truncate(&mut summary, MAX_BODY);
    let policy_path = verdict.policy_path.as_deref().unwrap_or("gonogo.toml");
    let all: Vec<Value> = annotations
        .iter()
        .map(|a| check_annotation(a, policy_path))
        .collect();
    let mut batches = all.chunks(ANNOTATIONS_PER_REQUEST);
    let first = batches.next().unwrap_or(&[]);
    let create = json!({
        "name": "gonogo",
        "head_sha": sha,
        "status": "completed",
        "conclusion": if go { "success" } else { "failure" },
        "output": { "title": title, "summary": summary, "annotations": first },
    });
    let url = api.url(&format!("repos/{repository}/check-runs"))?;
    let reply = api.send(Method::POST, url.clone(), Some(&create))?;
    let id = reply
        .json
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::BadReply {
            path: url.path().to_owned(),
            message: "no check run id in the reply".into(),
        })?;
    let mut requests = 1;
    for batch in batches {
        let update = json!({
            "output": { "title": title, "summary": summary, "annotations": batch },
        });
        let url = api.url(&format!("repos/{repository}/check-runs/{id}"))?;
        api.send(Method::PATCH, url, Some(&update))?;
        requests += 1;
    }
    Ok((id, requests))
}
