//! `application/health+json` (the expired but widely copied IETF draft
//! draft-inadarei-api-health-check): a top-level `status` of `pass`, `warn` or `fail` (aliases
//! `ok`/`up`, `error`/`down`, and Spring/MicroProfile `UP`/`DOWN`/`OUT_OF_SERVICE`), and
//! `checks`: an object of `"component:measurement"` keys, each an array of results with
//! their own `status`. A failing check is named so the report can say *what* is down.

use serde::Serialize;

/// A health status, with the draft's aliases folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Pass,
    Warn,
    Fail,
}

impl HealthStatus {
    pub fn parse(text: &str) -> Option<HealthStatus> {
        match text.to_ascii_lowercase().as_str() {
            "pass" | "ok" | "up" => Some(HealthStatus::Pass),
            "warn" => Some(HealthStatus::Warn),
            "fail" | "error" | "down" | "out_of_service" => Some(HealthStatus::Fail),
            _ => None,
        }
    }
}

/// A parsed health response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub status: HealthStatus,
    /// `"key"` or `"key[i]"` (with `componentId` when given) of checks that are not `pass`.
    pub failing_checks: Vec<String>,
    pub warning_checks: Vec<String>,
    pub n_checks: usize,
}

/// Parses a health body; `None` when it is not JSON with a known `status`.
pub fn parse_health(body: &[u8]) -> Option<Health> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let status = HealthStatus::parse(json.get("status")?.as_str()?)?;
    let mut health = Health {
        status,
        failing_checks: Vec::new(),
        warning_checks: Vec::new(),
        n_checks: 0,
    };
    // health+json `checks` (arrays of results) and Spring's `components` (objects).
    if let Some(checks) = json.get("checks").and_then(|c| c.as_object()) {
        for (key, results) in checks {
            let results: Vec<&serde_json::Value> = match results {
                serde_json::Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for (index, result) in results.iter().enumerate() {
                health.n_checks += 1;
                let name = match result.get("componentId").and_then(|c| c.as_str()) {
                    Some(id) => format!("{key} ({id})"),
                    None if results.len() > 1 => format!("{key}[{index}]"),
                    None => key.clone(),
                };
                classify(&mut health, name, result);
            }
        }
    }
    if let Some(components) = json.get("components").and_then(|c| c.as_object()) {
        for (key, result) in components {
            health.n_checks += 1;
            classify(&mut health, key.clone(), result);
        }
    }
    Some(health)
}

fn classify(health: &mut Health, name: String, result: &serde_json::Value) {
    match result
        .get("status")
        .and_then(|s| s.as_str())
        .and_then(HealthStatus::parse)
    {
        Some(HealthStatus::Fail) => health.failing_checks.push(name),
        Some(HealthStatus::Warn) => health.warning_checks.push(name),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_checks_are_named() {
        let body = br#"{"status":"fail","checks":{
            "postgres:responseTime":[{"componentId":"db-1","status":"fail"},{"componentId":"db-2","status":"pass"}],
            "redis:connections":[{"status":"warn"}],
            "uptime":[{"status":"pass"}]}}"#;
        let health = parse_health(body).unwrap();
        assert_eq!(health.status, HealthStatus::Fail);
        assert_eq!(health.failing_checks, vec!["postgres:responseTime (db-1)"]);
        assert_eq!(health.warning_checks, vec!["redis:connections"]);
        assert_eq!(health.n_checks, 4);
        let spring =
            br#"{"status":"DOWN","components":{"db":{"status":"DOWN"},"disk":{"status":"UP"}}}"#;
        assert_eq!(parse_health(spring).unwrap().failing_checks, vec!["db"]);
        assert!(parse_health(b"OK").is_none());
    }
}
