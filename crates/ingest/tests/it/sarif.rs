//! SARIF files written by real producers; expected counts come from each tool's own summary.

use gonogo_ingest::Kind;

use crate::{collect, collect_error, value};

#[test]
fn bandit_levels_with_the_default_warning() {
    // bandit: "Total issues (by severity): Low: 3, Medium: 2, High: 1". Its MEDIUM results
    // carry no level and rely on SARIF's default, warning.
    let evidence = collect(Kind::Sarif, "sarif/bandit/bandit.sarif");
    assert_eq!(evidence.kind, "sarif");
    assert_eq!(
        (
            value(&evidence, "sarif.error"),
            value(&evidence, "sarif.warning"),
            value(&evidence, "sarif.note")
        ),
        (1.0, 2.0, 3.0)
    );
    assert_eq!(value(&evidence, "sarif.suppressed"), 0.0);
    assert!(
        !evidence.metrics.contains_key("sarif.new.error"),
        "no baselineState: no new.* metrics"
    );
    assert_eq!(evidence.tool.name, "Bandit");
    assert_eq!(evidence.tool.version, "1.9.4");
}

#[test]
fn ruff_every_result_is_an_error() {
    // ruff check --select S,F: "Found 4 errors."
    let evidence = collect(Kind::Sarif, "sarif/ruff/ruff.sarif");
    assert_eq!(value(&evidence, "sarif.error"), 4.0);
    assert_eq!(value(&evidence, "sarif.warning"), 0.0);
    assert_eq!(evidence.details["by_rule"]["ruff/S307"]["error"], 1);
}

#[test]
fn eslint_results_and_a_file_that_did_not_parse() {
    // eslint: "✖ 3 problems (1 error, 2 warnings)".
    let evidence = collect(Kind::Sarif, "sarif/eslint/eslint.sarif");
    assert_eq!(
        (
            value(&evidence, "sarif.error"),
            value(&evidence, "sarif.warning")
        ),
        (1.0, 2.0)
    );
    // A parse error is not a result but a failed invocation: no evidence, not "0 findings".
    let error = collect_error(Kind::Sarif, "sarif/eslint/eslint-parse-error.sarif");
    assert_eq!(error.code(), "no-evidence");
    assert!(error.to_string().contains("Parsing error"), "{error}");
}

#[test]
fn auto_detects_sarif() {
    let evidence = collect(Kind::Auto, "sarif/ruff/ruff.sarif");
    assert_eq!(evidence.kind, "sarif");
}

#[test]
fn semgrep_levels_come_from_the_rules_and_nosemgrep_is_suppressed() {
    // semgrep: "Ran 3 rules on 1 file: 4 findings." (no-eval ERROR 1, no-print WARNING 2,
    // todo-assert INFO 1), plus the `# nosemgrep` eval, suppressed in source.
    let evidence = collect(Kind::Sarif, "sarif/semgrep/semgrep.sarif");
    assert_eq!(
        (
            value(&evidence, "sarif.error"),
            value(&evidence, "sarif.warning"),
            value(&evidence, "sarif.note"),
            value(&evidence, "sarif.none")
        ),
        (1.0, 2.0, 1.0, 0.0)
    );
    assert_eq!(value(&evidence, "sarif.suppressed"), 1.0);
    assert_eq!(evidence.tool.name, "Semgrep OSS");
    assert_eq!(evidence.tool.version, "1.185.0");
    assert_eq!(
        evidence.details["by_rule"]["Semgrep OSS/no-print"]["warning"],
        2
    );
}

/// Defect 4 (issue 15): results that all name a different rule keep at most `MAX_RULES`
/// rules in memory and in the record; every result is still counted, and the record says how
/// many were not listed by rule.
#[test]
fn sarif_distinct_rule_ids_are_capped_and_counted() {
    use gonogo_ingest::sarif::{MAX_RULES, parse};
    let n = 25_000usize;
    let mut text = String::from(
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T","version":"1","rules":[{"id":"R1","defaultConfiguration":{"level":"note"}}]}},"results":["#,
    );
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        // Even: an explicit error. Odd: the level comes from the rule (none declared: warning,
        // except R1's note).
        let level = if i % 2 == 0 {
            r#","level":"error""#
        } else {
            ""
        };
        text.push_str(&format!(
            r#"{{"ruleId":"R{i}"{level},"message":{{"text":"m"}}}}"#
        ));
    }
    text.push_str("]}]}");
    let summary = parse(text.as_bytes()).unwrap();
    assert_eq!(summary.results, n as u64);
    assert_eq!(summary.by_rule.len(), MAX_RULES);
    let beyond = (n - MAX_RULES) as u64;
    assert_eq!(summary.results_of_unlisted_rules, beyond);
    // The odd ones beyond the cap needed their rule: counted at the worst level the run's
    // rules declare, never below warning.
    assert_eq!(summary.results_at_worst_rule_level, beyond / 2);
    let error = summary.by_level[0];
    let warning = summary.by_level[1];
    let note = summary.by_level[2];
    assert_eq!((error, warning, note), (12_500, 12_499, 1));
    assert_eq!(summary.by_rule["T/R1"], [0, 0, 1, 0]);
    let parsed = summary.into_parsed().unwrap();
    let truncated = parsed.details["truncated"].as_str().unwrap();
    assert!(
        truncated.starts_with(
            "truncated: 15000 results of rules beyond 10000 distinct rules counted, not listed"
        ),
        "{truncated}"
    );
    assert_eq!(
        parsed.details["by_rule"].as_object().unwrap().len(),
        MAX_RULES
    );
}
