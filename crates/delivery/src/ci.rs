//! CI context from the environment variables CI providers set: which provider, which run.
//!
//! [`CiContext::from_env`] takes the variables as a lookup function so it can be tested
//! without touching the process environment.

use serde::Serialize;

/// The CI run gonogo executes in, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiContext {
    /// `github-actions`, `gitlab-ci`, or `ci` for any other provider that sets `CI`.
    pub provider: String,
    /// A link to the run, when the provider says where it is.
    pub run_url: Option<String>,
}

impl CiContext {
    /// Reads the context through `var` (e.g. `|name| std::env::var(name).ok()`).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<CiContext> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        if set("GITHUB_ACTIONS").as_deref() == Some("true") {
            let run_url = match (
                set("GITHUB_SERVER_URL"),
                set("GITHUB_REPOSITORY"),
                set("GITHUB_RUN_ID"),
            ) {
                (Some(server), Some(repository), Some(run)) => {
                    Some(format!("{server}/{repository}/actions/runs/{run}"))
                }
                _ => None,
            };
            return Some(CiContext {
                provider: "github-actions".into(),
                run_url,
            });
        }
        if set("GITLAB_CI").is_some() {
            return Some(CiContext {
                provider: "gitlab-ci".into(),
                run_url: set("CI_JOB_URL").or_else(|| set("CI_PIPELINE_URL")),
            });
        }
        if set("CI").is_some_and(|v| v != "false" && v != "0") {
            return Some(CiContext {
                provider: "ci".into(),
                run_url: set("BUILD_URL"),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::CiContext;
    use std::collections::HashMap;

    fn context(vars: &[(&str, &str)]) -> Option<CiContext> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        CiContext::from_env(|name| map.get(name).cloned())
    }

    #[test]
    fn providers_and_run_urls() {
        assert_eq!(
            context(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_SERVER_URL", "https://github.example"),
                ("GITHUB_REPOSITORY", "acme/shop"),
                ("GITHUB_RUN_ID", "42"),
            ]),
            Some(CiContext {
                provider: "github-actions".into(),
                run_url: Some("https://github.example/acme/shop/actions/runs/42".into()),
            })
        );
        assert_eq!(
            context(&[
                ("GITLAB_CI", "true"),
                ("CI_JOB_URL", "https://gitlab.example/j/7")
            ])
            .unwrap()
            .run_url
            .as_deref(),
            Some("https://gitlab.example/j/7")
        );
        assert_eq!(context(&[("CI", "true")]).unwrap().provider, "ci");
        assert_eq!(context(&[("CI", "false")]), None);
        assert_eq!(context(&[]), None);
    }
}
