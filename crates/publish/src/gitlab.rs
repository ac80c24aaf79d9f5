//! `gonogo report --gitlab`: one merge-request note, created or updated (found again by the
//! hidden [`MARKER`](crate::MARKER), notes listed page by page), and the report files GitLab
//! shows in a merge request: code quality (`gl-code-quality-report.json`, declared as
//! `artifacts:reports:codequality`) and JUnit (`artifacts:reports:junit`).
//!
//! Environment (as GitLab CI sets it): `CI_API_V4_URL`, `CI_PROJECT_ID`,
//! `CI_MERGE_REQUEST_IID` (merge-request pipelines only) and a token: `GITLAB_TOKEN` (a project
//! or personal access token, sent as `PRIVATE-TOKEN`), else `CI_JOB_TOKEN` (as `JOB-TOKEN`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use gonogo_core::verdict::Verdict;
use gonogo_report::markdown::Annotation;

use crate::MARKER;
use crate::http::{Api, ApiError, Retry};

const MAX_PAGES: usize = 100;
/// GitLab's limit on a note (characters), with room to spare.
const MAX_BODY: usize = 1_000_000;

/// Where to post on GitLab. Its `Debug` form leaves the token out.
#[derive(Clone)]
pub struct Target {
    pub api_url: String,
    pub project: String,
    /// `None` outside a merge-request pipeline: the report files only.
    pub merge_request: Option<u64>,
    /// The header that carries the token and the token.
    pub auth: Option<(&'static str, String)>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("api_url", &self.api_url)
            .field("project", &self.project)
            .field("merge_request", &self.merge_request)
            .field("auth", &self.auth.as_ref().map(|(header, _)| header))
            .finish_non_exhaustive()
    }
}

impl Target {
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Target, ApiError> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let auth = get("GITLAB_TOKEN")
            .map(|t| ("private-token", t))
            .or_else(|| get("CI_JOB_TOKEN").map(|t| ("job-token", t)));
        let merge_request = match get("CI_MERGE_REQUEST_IID") {
            Some(iid) => Some(iid.trim().parse::<u64>().map_err(|_| {
                ApiError::Config(format!("CI_MERGE_REQUEST_IID `{iid}` is not a number"))
            })?),
            None => None,
        };
        Ok(Target {
            api_url: get("CI_API_V4_URL").unwrap_or_else(|| "https://gitlab.com/api/v4".into()),
            project: get("CI_PROJECT_ID").unwrap_or_default(),
            merge_request,
            auth,
        })
    }
}

/// Posts (or updates) the merge request's note. Returns the note's id and whether it is new;
/// `None` outside a merge-request pipeline.
pub fn post_note(
    target: &Target,
    markdown: &str,
    timeout: Duration,
    retry: Retry,
) -> Result<Option<(u64, bool)>, ApiError> {
    let Some(iid) = target.merge_request else {
        return Ok(None);
    };
    if target.project.is_empty() {
        return Err(ApiError::Config("CI_PROJECT_ID is not set".into()));
    }
    let Some((header, token)) = &target.auth else {
        return Err(ApiError::Config(
            "neither GITLAB_TOKEN nor CI_JOB_TOKEN is set: no token to post the merge-request note with".into(),
        ));
    };
    let mut api = Api::new(&target.api_url, header, token, timeout, retry)?;
    api.forbidden_needs =
        "write merge-request notes (a project access token with the `api` scope in GITLAB_TOKEN)";
    api.not_found_hint =
        "check CI_PROJECT_ID and CI_MERGE_REQUEST_IID, and that the token can see the project";
    let project = encode_segment(&target.project);
    let mut body = format!("{MARKER}\n{markdown}");
    if body.len() > MAX_BODY {
        let mut cut = MAX_BODY;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let body = json!({ "body": body });
    let list = api.url(&format!(
        "projects/{project}/merge_requests/{iid}/notes?per_page=100&sort=asc"
    ))?;
    let existing = api.find_in_pages(list, MAX_PAGES, |note| {
        let text = note.get("body")?.as_str()?;
        if text.contains(MARKER) {
            note.get("id")?.as_u64()
        } else {
            None
        }
    })?;
    match existing {
        Some(id) => {
            let url = api.url(&format!(
                "projects/{project}/merge_requests/{iid}/notes/{id}"
            ))?;
            api.send(Method::PUT, url, Some(&body))?;
            Ok(Some((id, false)))
        }
        None => {
            let url = api.url(&format!("projects/{project}/merge_requests/{iid}/notes"))?;
            let reply = api.send(Method::POST, url.clone(), Some(&body))?;
            let id = reply
                .json
                .get("id")
                .and_then(Value::as_u64)
                .ok_or_else(|| ApiError::BadReply {
                    path: url.path().to_owned(),
                    message: "no note id in the reply".into(),
                })?;
            Ok(Some((id, true)))
        }
    }
}

/// A project id or `group/project` path as one URL path segment.
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GitLab's code-quality report (a subset of the Code Climate format): one entry per blocker
/// (`blocker`) and warning (`minor`), at the evidence's file and line when known, else the
/// policy file; the fingerprint is stable across runs for the same finding.
pub fn code_quality(verdict: &Verdict, annotations: &[Annotation]) -> Value {
    let policy_path = verdict.policy_path.as_deref().unwrap_or("gonogo.toml");
    let entries: Vec<Value> = annotations
        .iter()
        .map(|a| {
            let path = a.file.as_deref().unwrap_or(policy_path);
            let line = a.line.unwrap_or(1).max(1);
            let fingerprint = gonogo_core::evidence::sha256_hex(
                format!("gonogo\0{}\0{}\0{path}\0{line}", a.level, a.title).as_bytes(),
            );
            json!({
                "description": gonogo_core::text::inert(&format!("{}: {}", a.title, a.message)),
                "check_name": "gonogo",
                "fingerprint": fingerprint,
                "severity": if a.level == "error" { "blocker" } else { "minor" },
                "location": { "path": path, "lines": { "begin": line } },
            })
        })
        .collect();
    Value::Array(entries)
}

/// The files written for GitLab.
#[derive(Debug, Clone)]
pub struct Files {
    pub code_quality: PathBuf,
    pub junit: PathBuf,
}

/// Writes `gl-code-quality-report.json` and `junit.xml` into `dir`, atomically.
pub fn write_files(
    dir: &Path,
    verdict: &Verdict,
    annotations: &[Annotation],
    junit_xml: &str,
) -> Result<Files, gonogo_io::atomic::WriteError> {
    let files = Files {
        code_quality: dir.join("gl-code-quality-report.json"),
        junit: dir.join("junit.xml"),
    };
    let mut quality = serde_json::to_string_pretty(&code_quality(verdict, annotations))
        .expect("JSON values serialise");
    quality.push('\n');
    gonogo_io::atomic::write_atomic(&files.code_quality, quality.as_bytes())?;
    gonogo_io::atomic::write_atomic(&files.junit, junit_xml.as_bytes())?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_project_path_is_one_segment() {
        assert_eq!(super::encode_segment("42"), "42");
        assert_eq!(
            super::encode_segment("group/sub proj"),
            "group%2Fsub%20proj"
        );
    }
}
