//! A webhook on NO-GO: a Slack-compatible payload (`{"text": ...}`, for Slack, Mattermost,
//! Rocket.Chat and the like) or a plain JSON one, POSTed with a bounded timeout and retried
//! with backoff. A failure is reported and never changes the verdict or the exit code.
//!
//! A webhook URL is a secret (Slack's carries its token in the path): messages show only its
//! scheme and host ([`shown`]).

use std::time::Duration;

use serde_json::{Value, json};

use gonogo_core::verdict::Verdict;

/// The payload's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `{"text": "..."}` with Slack's mrkdwn.
    #[default]
    Slack,
    /// gonogo's own JSON: verdict, blockers, warnings, policy, commit.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Format, String> {
        match text {
            "slack" => Ok(Format::Slack),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown webhook format `{other}`: slack or json")),
        }
    }
}

/// Where and how to notify.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub format: Format,
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The first wait between attempts, doubled each time.
    pub backoff: Duration,
}

impl Webhook {
    pub fn new(url: impl Into<String>, format: Format) -> Webhook {
        Webhook {
            url: url.into(),
            format,
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A notification that could not be delivered. The URL in it is [`shown`], never whole.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("webhook {url}: not an http(s) URL")]
    BadUrl { url: String },
    #[error("webhook {url}: HTTP {status} after {attempts} attempt(s)")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("webhook {url}: {message} after {attempts} attempt(s)")]
    Transport {
        url: String,
        message: String,
        attempts: u32,
    },
}

/// The URL as messages show it: scheme and host (and port), the rest hidden.
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some() => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = if parsed.path() == "/" && parsed.query().is_none() {
                ""
            } else {
                "/…"
            };
            format!(
                "{}://{}{port}{hidden}",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default()
            )
        }
        _ => "(an invalid URL, not shown)".to_owned(),
    }
}

/// The payload for a verdict (the typed verdict; the payload is this edge's own JSON).
pub fn payload(verdict: &Verdict, format: Format) -> Value {
    let policy = verdict
        .policy_name
        .clone()
        .or_else(|| verdict.policy_path.clone())
        .unwrap_or_else(|| "gonogo.toml".into());
    let commit = verdict.context.as_ref().and_then(|c| c.commit.clone());
    let names = |list: &[usize]| -> Vec<&str> {
        list.iter()
            .map(|&i| verdict.gates[i].name.as_str())
            .collect()
    };
    let blockers = names(&verdict.blockers);
    match format {
        Format::Json => json!({
            "event": "gonogo.verdict",
            "verdict": verdict.decision.as_str(),
            "policy": policy,
            "env": verdict.env,
            "commit": commit,
            "evaluated_at": verdict.evaluated_at.to_string(),
            "blockers": blockers,
            "warnings": names(&verdict.warnings),
            "missing_evidence_kinds": verdict.missing_kinds,
        }),
        Format::Slack => {
            let mut text = format!(
                ":no_entry: *gonogo: {}* for `{}`",
                verdict.decision,
                slack_escape(&policy)
            );
            if let Some(env) = &verdict.env {
                text.push_str(&format!(" ({})", slack_escape(env)));
            }
            if let Some(commit) = &commit {
                text.push_str(&format!(" at `{}`", slack_escape(commit)));
            }
            if blockers.is_empty() {
                if let Some(why) = verdict.unearned {
                    text.push_str(&format!(
                        "\nNo blocker passed on evidence ({}).",
                        why.as_str()
                    ));
                }
            } else {
                text.push_str(&format!("\n{} blocker(s):", blockers.len()));
                for name in blockers.iter().take(20) {
                    text.push_str(&format!("\n• {}", slack_escape(name)));
                }
                if blockers.len() > 20 {
                    text.push_str(&format!("\n… and {} more", blockers.len() - 20));
                }
            }
            json!({ "text": text })
        }
    }
}

/// Slack's three escapes, over text made inert.
fn slack_escape(text: &str) -> String {
    gonogo_core::text::inert(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Sends the payload; retried on a transport error, 429 and 5xx. Returns the attempts made.
pub fn send(webhook: &Webhook, payload: &Value) -> Result<u32, NotifyError> {
    let shown_url = shown(&webhook.url);
    let url = reqwest::Url::parse(&webhook.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| NotifyError::BadUrl {
            url: shown_url.clone(),
        })?;
    let client = crate::http::client(webhook.timeout).map_err(|e| NotifyError::Transport {
        url: shown_url.clone(),
        message: e.to_string(),
        attempts: 0,
    })?;
    let mut backoff = webhook.backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = client
            .post(url.clone())
            .header("content-type", "application/json")
            .body(payload.to_string())
            .send();
        let retryable = match &outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(attempt);
                }
                status == 429 || status >= 500
            }
            Err(_) => true,
        };
        if !retryable || attempt > webhook.retries {
            return Err(match outcome {
                Ok(response) => NotifyError::Status {
                    url: shown_url,
                    status: response.status().as_u16(),
                    attempts: attempt,
                },
                Err(error) => NotifyError::Transport {
                    url: shown_url,
                    message: crate::http::transport_message(&error.without_url()),
                    attempts: attempt,
                },
            });
        }
        std::thread::sleep(backoff);
        backoff = backoff.saturating_mul(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_is_shown_without_its_secret() {
        let shown = shown("https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX");
        assert_eq!(shown, "https://hooks.slack.com/…");
        let shown = super::shown("https://user:pass@example.test:8443/?token=abc");
        assert_eq!(shown, "https://example.test:8443/…");
        assert!(!super::shown("not a url secret").contains("secret"));
    }

    #[test]
    fn formats_parse() {
        assert_eq!("slack".parse::<Format>(), Ok(Format::Slack));
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert!("xml".parse::<Format>().is_err());
    }
}
