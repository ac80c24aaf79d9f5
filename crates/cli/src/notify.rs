//! The webhook on NO-GO (`[notify]` in the policy, or `--notify-webhook` on `gate` and `run`).
//!
//! ```toml
//! [notify]
//! webhook_env = "SLACK_WEBHOOK_URL"   # or webhook = "https://..." (a secret: prefer the env)
//! format = "slack"                    # or "json"
//! ```
//!
//! Sent after the verdict is written, only on NO-GO, with retries (3, backoff) and a timeout
//! per attempt; a failure is a warning on stderr and never changes the verdict or the exit
//! code. The URL is a secret: messages show only its scheme and host. Like posting to a CI's
//! API, this is the one kind of traffic that leaves loopback without `--allow-host`: it is not
//! traffic to the service under test, and its host is the one the user configured for it.

use std::time::Duration;

use gonogo_core::policy::Problem;
use gonogo_core::verdict::{Decision, Verdict};
use gonogo_publish::webhook::{self, Format, Webhook};
use serde::Deserialize;

use crate::exit::{Exit, Failure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NotifyFormat {
    /// `{"text": ...}`: Slack, Mattermost, Rocket.Chat incoming webhooks.
    Slack,
    /// gonogo's own JSON: verdict, blockers, warnings, policy, commit.
    Json,
}

/// The webhook flags of `gate` and `run`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NotifyArgs {
    /// On NO-GO, POST a notification to this webhook URL (overrides the policy's [notify]).
    /// The URL is a secret: prefer the environment variable; messages show only its host.
    #[arg(
        long,
        value_name = "URL",
        env = "GONOGO_NOTIFY_WEBHOOK",
        hide_env_values = true
    )]
    pub notify_webhook: Option<String>,

    /// The webhook payload: slack (default) or json.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub notify_format: Option<NotifyFormat>,
}

#[derive(Debug, Default, Deserialize)]
struct PolicyNotify {
    #[serde(default)]
    notify: Option<toml::Spanned<NotifySection>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifySection {
    /// The webhook URL (a secret: prefer `webhook_env`).
    webhook: Option<String>,
    /// The environment variable that holds the webhook URL.
    webhook_env: Option<String>,
    /// `slack` or `json`.
    format: Option<String>,
    /// Seconds per attempt (default 10, at most 60).
    timeout_seconds: Option<u64>,
}

/// The webhook to call on NO-GO, from the flags and the policy; `None` when there is none.
/// A wrong `[notify]` section is a diagnostic (exit 2), found before anything runs.
pub fn configure(
    args: &NotifyArgs,
    policy_path: &str,
    policy_text: &str,
    env: impl Fn(&str) -> Option<String>,
    color: bool,
) -> Result<Option<Webhook>, Failure> {
    let problem = |message: String, span: std::ops::Range<usize>| {
        let problem = Problem {
            message,
            span,
            label: "here".into(),
            help: Some(
                "[notify] takes webhook or webhook_env, format (slack or json) and timeout_seconds"
                    .into(),
            ),
        };
        eprint!(
            "{}",
            crate::diagnostics::render_problems(policy_path, policy_text, &[problem], color)
        );
        Failure::reported(Exit::Usage)
    };
    let parsed: PolicyNotify = toml::from_str(policy_text).map_err(|e| {
        problem(
            format!("[notify]: {}", e.message()),
            e.span().unwrap_or(0..0),
        )
    })?;
    let (section, span) = match parsed.notify {
        Some(spanned) => {
            let span = spanned.span();
            (spanned.into_inner(), span)
        }
        None => (NotifySection::default(), 0..0),
    };
    let format = match (args.notify_format, section.format.as_deref()) {
        (Some(NotifyFormat::Slack), _) => Format::Slack,
        (Some(NotifyFormat::Json), _) => Format::Json,
        (None, Some(text)) => text.parse().map_err(|e: String| problem(e, span.clone()))?,
        (None, None) => Format::Slack,
    };
    let timeout = match section.timeout_seconds {
        Some(seconds @ 1..=60) => Duration::from_secs(seconds),
        Some(seconds) => {
            return Err(problem(
                format!("[notify] timeout_seconds = {seconds}: between 1 and 60"),
                span,
            ));
        }
        None => Duration::from_secs(10),
    };
    let url = match (&args.notify_webhook, &section.webhook, &section.webhook_env) {
        (Some(url), _, _) if !url.is_empty() => Some(url.clone()),
        (_, Some(url), _) => Some(url.clone()),
        (_, None, Some(name)) => match env(name).filter(|v| !v.is_empty()) {
            Some(url) => Some(url),
            None => {
                eprintln!(
                    "warning: [notify] webhook_env names {name}, which is not set: no notification on NO-GO"
                );
                None
            }
        },
        _ => None,
    };
    let Some(url) = url else {
        return Ok(None);
    };
    let mut hook = Webhook::new(url, format);
    hook.timeout = timeout;
    if reqwest_like_url_ok(&hook.url) {
        Ok(Some(hook))
    } else {
        Err(Failure::usage(anyhow::anyhow!(
            "the notification webhook {} is not an http(s) URL",
            webhook::shown(&hook.url)
        )))
    }
}

fn reqwest_like_url_ok(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && lower.len() > "https://".len()
}

/// Sends the notification when the verdict is NO-GO; reports a failure on stderr and returns.
pub fn on_verdict(hook: Option<&Webhook>, verdict: &Verdict) {
    let Some(hook) = hook else { return };
    if verdict.decision == Decision::Go {
        return;
    }
    let payload = webhook::payload(verdict, hook.format);
    match webhook::send(hook, &payload) {
        Ok(_) => eprintln!("notified {} of the NO-GO", webhook::shown(&hook.url)),
        Err(error) => eprintln!(
            "warning: the NO-GO notification failed (the verdict stands): {}",
            gonogo_core::text::inert(&error.to_string())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configure_text(args: &NotifyArgs, text: &str) -> Result<Option<Webhook>, Failure> {
        configure(
            args,
            "gonogo.toml",
            text,
            |name| (name == "HOOK").then(|| "https://hooks.example.test/T/B/secret".to_owned()),
            false,
        )
    }

    #[test]
    fn the_policy_section_and_the_flags_configure_the_webhook() {
        let none = configure_text(&NotifyArgs::default(), "[[gate]]\nname = \"x\"\n").unwrap();
        assert!(none.is_none());
        let hook = configure_text(
            &NotifyArgs::default(),
            "[notify]\nwebhook_env = \"HOOK\"\nformat = \"json\"\ntimeout_seconds = 5\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(hook.url, "https://hooks.example.test/T/B/secret");
        assert_eq!(hook.format, Format::Json);
        assert_eq!(hook.timeout, Duration::from_secs(5));
        let flags = NotifyArgs {
            notify_webhook: Some("http://127.0.0.1:9/x".into()),
            notify_format: Some(NotifyFormat::Slack),
        };
        let hook = configure_text(
            &flags,
            "[notify]\nwebhook = \"https://a.test/\"\nformat = \"json\"\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(hook.url, "http://127.0.0.1:9/x", "the flag wins");
        assert_eq!(hook.format, Format::Slack);
    }

    #[test]
    fn a_wrong_section_is_a_usage_error() {
        for text in [
            "[notify]\nwebhok = \"https://a.test/\"\n",
            "[notify]\nwebhook = \"https://a.test/\"\nformat = \"xml\"\n",
            "[notify]\nwebhook = \"https://a.test/\"\ntimeout_seconds = 3600\n",
        ] {
            let failure = configure_text(&NotifyArgs::default(), text).unwrap_err();
            assert_eq!(failure.exit, Exit::Usage, "{text}");
        }
        let failure = configure_text(
            &NotifyArgs::default(),
            "[notify]\nwebhook = \"ftp://secret@a.test/x\"\n",
        )
        .unwrap_err();
        let message = format!("{:#}", failure.error.unwrap());
        assert!(!message.contains("secret"), "{message}");
    }
}
