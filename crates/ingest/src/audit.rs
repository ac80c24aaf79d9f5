//! Dependency audits: `cargo audit --json`, `npm audit --json` (npm 6 and npm 7+),
//! `pip-audit -f json` and `osv-scanner --format json`, into open vulnerabilities by severity.
//!
//! Every format is streamed entry by entry, never held whole: cargo-audit
//! ([`cargo_audit_stream`]), pip-audit ([`pip_audit_stream`], one entry per *dependency*, so
//! it grows with the project), npm ([`npm_audit_stream`], one entry per vulnerable package or
//! advisory) and osv-scanner ([`osv_stream`], one entry per package). In every format at most
//! [`MAX_KEPT`] vulnerabilities (and informational entries) are kept one by one; later ones
//! are counted by severity, never hidden by an ignore rule, and the record says how many.
//! Severity:
//!
//! - cargo-audit has none: it is computed from the advisory's CVSS v3 vector ([`cvss3_base_score`])
//!   and banded as NVD does (9.0+ critical, 7.0+ high, 4.0+ moderate, above 0 low); no vector,
//!   or a CVSS v4 vector, is `unknown`;
//! - npm gives `severity` (`info` is not counted as a vulnerability, only listed);
//!   npm 6 counts advisories, npm 7+ counts vulnerable packages (as `npm audit` prints);
//! - pip-audit has none: every vulnerability is `unknown`;
//! - osv-scanner: each *group* (aliases of one issue) counts once, banded from `max_severity`.
//!
//! An audit that did not run is *no evidence*, never "0 vulnerabilities": npm's error document
//! (`{"error": {...}}` when the advisory endpoint failed), a pip-audit report whose every
//! dependency was skipped (it still prints "No known vulnerabilities found" and exits 0), a
//! report that lists no dependency at all, and cargo-audit with `dependency-count: 0`.
//!
//! A policy's ignore list ([`AuditIgnore`]: an ID, a reason, an owner, a last day) is applied
//! by [`AuditSummary::apply_ignores`] before counting; ignored vulnerabilities are listed in
//! the details with their rule, the severity's metric carries a note naming them (so every
//! gate on it prints what was left out), and a rule past its last day hides nothing.

use std::io::BufRead;

use gonogo_core::evidence::{Metric, NoteCode, Tool};
use gonogo_core::units::Unit;
use serde_json::{Value, json};

use crate::error::ParseError;
use crate::{Kind, Parsed};

/// The `visit_*` methods of every JSON scalar, each yielding `$value` (for visitors that
/// skip what is not the container they stream).
macro_rules! accept_any_scalar {
    ($value:expr) => {
        accept_any_scalar!($value, but_u64);
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    ($value:expr, but_u64) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// Vulnerabilities listed in the details.
pub const MAX_LISTED: usize = 200;

/// Vulnerabilities kept one by one (for ignore rules and the listing); later ones are
/// counted by severity only, so memory stays bounded. Ignore rules are not applied to those:
/// they are counted, never hidden.
pub const MAX_KEPT: usize = 20_000;

/// A vulnerability's severity band, as the catalogue names them (not a gate's
/// enforcement, `gonogo_core::policy::GateSeverity`, nor a harden finding's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VulnSeverity {
    Critical,
    High,
    Moderate,
    Low,
    Unknown,
}

const SEVERITIES: [VulnSeverity; 5] = [
    VulnSeverity::Critical,
    VulnSeverity::High,
    VulnSeverity::Moderate,
    VulnSeverity::Low,
    VulnSeverity::Unknown,
];

impl VulnSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            VulnSeverity::Critical => "critical",
            VulnSeverity::High => "high",
            VulnSeverity::Moderate => "moderate",
            VulnSeverity::Low => "low",
            VulnSeverity::Unknown => "unknown",
        }
    }

    /// NVD's bands for a CVSS base score.
    pub fn from_score(score: f64) -> VulnSeverity {
        if score >= 9.0 {
            VulnSeverity::Critical
        } else if score >= 7.0 {
            VulnSeverity::High
        } else if score >= 4.0 {
            VulnSeverity::Moderate
        } else if score > 0.0 {
            VulnSeverity::Low
        } else {
            VulnSeverity::Unknown
        }
    }

    fn from_word(word: &str) -> Option<VulnSeverity> {
        match word.to_ascii_lowercase().as_str() {
            "critical" => Some(VulnSeverity::Critical),
            "high" => Some(VulnSeverity::High),
            "moderate" | "medium" => Some(VulnSeverity::Moderate),
            "low" => Some(VulnSeverity::Low),
            _ => None,
        }
    }
}

/// One open vulnerability.
#[derive(Debug, Clone, PartialEq)]
pub struct Vulnerability {
    pub id: String,
    pub package: String,
    pub version: Option<String>,
    pub severity: VulnSeverity,
    pub title: Option<String>,
    pub aliases: Vec<String>,
}

/// An audit's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditSummary {
    pub tool: String,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Dependencies the tool says it checked, when it says.
    pub dependencies_checked: Option<u64>,
    /// Informational entries (npm `info`, cargo-audit warnings) that are not vulnerabilities.
    pub informational: Vec<String>,
    pub warnings: Vec<String>,
    /// Vulnerabilities removed by an ignore rule, with the rule.
    pub ignored: Vec<(Vulnerability, AuditIgnore)>,
    /// Vulnerabilities an ignore rule matched after its last day: counted, with the rule.
    pub expired: Vec<(Vulnerability, AuditIgnore)>,
    /// What the audit did not cover (dependencies it skipped): its counts are lower bounds.
    pub incomplete: Vec<(String, Option<NoteCode>)>,
    /// Vulnerabilities past [`MAX_KEPT`], by severity (in [`SEVERITIES`] order): counted, not
    /// kept, no ignore rule applied.
    pub not_kept: [u64; 5],
    /// Informational entries past [`MAX_KEPT`]: counted, not listed.
    pub informational_not_kept: u64,
}

/// An accepted vulnerability (a policy's `[[ignore]]`): not counted until it expires.
///
/// `id` matches a vulnerability's ID or any of its aliases (`RUSTSEC-...`, `GHSA-...`,
/// `CVE-...`), case-insensitively. After the `expires` day the rule no longer applies and the
/// report says so: an expired rule never hides a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditIgnore {
    pub id: String,
    pub reason: String,
    pub owner: Option<String>,
    /// The last day (UTC) the rule applies, as the policy's waivers; `None` never expires.
    pub expires: Option<jiff::civil::Date>,
}

impl AuditSummary {
    /// Removes the vulnerabilities `ignores` accept on `today`; expired rules that would have
    /// matched become warnings.
    pub fn apply_ignores(&mut self, ignores: &[AuditIgnore], today: jiff::civil::Date) {
        if ignores.is_empty() {
            return;
        }
        let mut kept = Vec::new();
        for vulnerability in std::mem::take(&mut self.vulnerabilities) {
            let matching = ignores.iter().find(|rule| {
                std::iter::once(&vulnerability.id)
                    .chain(vulnerability.aliases.iter())
                    .any(|id| {
                        id.eq_ignore_ascii_case(&rule.id) || id.ends_with(&format!("/{}", rule.id))
                    })
            });
            match matching {
                Some(rule) if rule.expires.is_none_or(|last_day| today <= last_day) => {
                    self.ignored.push((vulnerability, rule.clone()));
                }
                Some(rule) => {
                    self.warnings.push(expired_rule(&vulnerability, rule));
                    self.expired.push((vulnerability.clone(), rule.clone()));
                    kept.push(vulnerability);
                }
                None => kept.push(vulnerability),
            }
        }
        self.vulnerabilities = kept;
    }

    /// What the metric of `severity` leaves out or counts despite a rule, for the report:
    /// `1 ignored by the policy: RUSTSEC-2023-0071 in rsa (reason; owner bob, until
    /// 2027-01-31)`, and rules that have expired. `None` when no rule touched it.
    /// The note on a severity's count: the vulnerabilities the policy ignores and the ignore
    /// rules that expired, as a sentence and as the code `audit.ignored` whose arguments give
    /// each item (`ignored.1.id`, `ignored.1.package`, ..., `expired.1.rule`, ...), so that a
    /// report words the list in its language.
    fn note(&self, severity: VulnSeverity) -> Option<(String, NoteCode)> {
        let mut code = NoteCode::new("audit.ignored");
        let ignored: Vec<String> = self
            .ignored
            .iter()
            .filter(|(v, _)| v.severity == severity)
            .enumerate()
            .map(|(i, (v, rule))| {
                let key = |name: &str| format!("ignored.{}.{name}", i + 1);
                code.args.insert(key("id"), v.id.clone());
                code.args.insert(key("package"), v.package.clone());
                code.args.insert(key("reason"), rule.reason.clone());
                let mut by = Vec::new();
                if let Some(owner) = &rule.owner {
                    code.args.insert(key("owner"), owner.clone());
                    by.push(format!("owner {owner}"));
                }
                if let Some(last_day) = rule.expires {
                    code.args.insert(key("until"), last_day.to_string());
                    by.push(format!("until {last_day}"));
                }
                let by = if by.is_empty() {
                    String::new()
                } else {
                    format!("; {}", by.join(", "))
                };
                format!("{} in {} ({}{by})", v.id, v.package, rule.reason)
            })
            .collect();
        let expired: Vec<String> = self
            .expired
            .iter()
            .filter(|(v, _)| v.severity == severity)
            .enumerate()
            .map(|(i, (v, rule))| {
                let key = |name: &str| format!("expired.{}.{name}", i + 1);
                code.args.insert(key("rule"), rule.id.clone());
                code.args.insert(
                    key("expires"),
                    rule.expires.map(|d| d.to_string()).unwrap_or_default(),
                );
                code.args.insert(key("reason"), rule.reason.clone());
                code.args.insert(key("id"), v.id.clone());
                code.args.insert(key("package"), v.package.clone());
                expired_rule(v, rule)
            })
            .collect();
        let mut parts: Vec<String> = Vec::new();
        if !ignored.is_empty() {
            parts.push(format!(
                "{} ignored by the policy: {}",
                ignored.len(),
                ignored.join("; ")
            ));
        }
        parts.extend(expired);
        (!parts.is_empty()).then(|| (parts.join(". "), code))
    }

    pub fn count(&self, severity: VulnSeverity) -> u64 {
        let index = SEVERITIES.iter().position(|s| *s == severity).unwrap_or(4);
        self.vulnerabilities
            .iter()
            .filter(|v| v.severity == severity)
            .count() as u64
            + self.not_kept[index]
    }

    /// Vulnerabilities read, kept or not.
    pub fn n_vulnerabilities(&self) -> u64 {
        self.vulnerabilities.len() as u64 + self.not_kept.iter().sum::<u64>()
    }

    /// Adds an informational entry: listed while fewer than [`MAX_KEPT`] are, else counted.
    pub fn inform(&mut self, entry: String) {
        if self.informational.len() < MAX_KEPT {
            self.informational.push(entry);
        } else {
            self.informational_not_kept += 1;
        }
    }

    /// Adds a vulnerability: kept while fewer than [`MAX_KEPT`] are, else counted.
    pub fn push(&mut self, vulnerability: Vulnerability) {
        if self.vulnerabilities.len() < MAX_KEPT {
            self.vulnerabilities.push(vulnerability);
        } else {
            let index = SEVERITIES
                .iter()
                .position(|s| *s == vulnerability.severity)
                .unwrap_or(4);
            self.not_kept[index] += 1;
        }
    }

    pub fn into_parsed(self) -> Parsed {
        let unit = Unit::count("vulnerabilities");
        let metrics = SEVERITIES
            .iter()
            .map(|&severity| {
                let metric = Metric::value(self.count(severity) as f64, unit.clone());
                let note = self.note(severity);
                (
                    format!("audit.{}", severity.as_str()),
                    match note {
                        Some((note, code)) => metric.with_coded_note(note, code),
                        None => metric,
                    },
                )
            })
            .collect();
        let mut listed: Vec<&Vulnerability> = self.vulnerabilities.iter().collect();
        listed.sort_by(|a, b| {
            a.severity
                .cmp(&b.severity)
                .then_with(|| a.package.cmp(&b.package))
        });
        let details = json!({
            "audit_tool": self.tool,
            "dependencies_checked": self.dependencies_checked,
            "vulnerability_count": self.n_vulnerabilities(),
            "vulnerabilities": listed.iter().take(MAX_LISTED).map(|v| json!({
                "id": v.id,
                "package": v.package,
                "version": v.version,
                "severity": v.severity.as_str(),
                "title": v.title,
                "aliases": v.aliases,
            })).collect::<Vec<_>>(),
            "informational": self.informational,
            "warnings": self.warnings,
            "ignored": self.ignored.iter().map(|(v, rule)| json!({
                "id": v.id,
                "package": v.package,
                "severity": v.severity.as_str(),
                "rule": rule.id,
                "reason": rule.reason,
                "owner": rule.owner,
                "expires": rule.expires.map(|d| d.to_string()),
            })).collect::<Vec<_>>(),
        });
        let mut details = details;
        let not_kept: u64 = self.not_kept.iter().sum();
        let mut truncated = Vec::new();
        if not_kept > 0 {
            truncated.push(format!(
                "truncated: {not_kept} vulnerabilities beyond {MAX_KEPT} counted by severity, \
                 not listed; ignore rules were not applied to them"
            ));
        }
        if self.informational_not_kept > 0 {
            truncated.push(format!(
                "truncated: {} informational entries beyond {MAX_KEPT} not listed",
                self.informational_not_kept
            ));
        }
        if !truncated.is_empty() {
            details["truncated"] = json!(truncated.join(". "));
        }
        Parsed {
            kind: "audit",
            tool: Tool::new(self.tool.clone(), "unknown"),
            metrics,
            details,
            incomplete: self.incomplete.clone(),
        }
    }
}

/// The warning for a rule that matched `vulnerability` after its last day.
fn expired_rule(vulnerability: &Vulnerability, rule: &AuditIgnore) -> String {
    format!(
        "the ignore rule for {} expired after {} (reason was: {}); {} in {} is counted",
        rule.id,
        rule.expires.map(|d| d.to_string()).unwrap_or_default(),
        rule.reason,
        vulnerability.id,
        vulnerability.package
    )
}

/// Reads an audit report of `kind` (one of the four audit kinds).
pub fn parse(kind: Kind, input: impl BufRead) -> Result<Parsed, ParseError> {
    Ok(parse_summary(kind, input)?.into_parsed())
}

/// Reads an audit report of `kind` without turning it into evidence yet (to apply ignores).
pub fn parse_summary(kind: Kind, input: impl BufRead) -> Result<AuditSummary, ParseError> {
    checked(match kind {
        Kind::PipAudit => pip_audit_stream(input)?,
        Kind::CargoAudit => cargo_audit_stream(input)?,
        Kind::NpmAudit => npm_audit_stream(input)?,
        Kind::Osv => osv_stream(input)?,
        other => {
            return Err(ParseError::WrongKind {
                expected: "an audit report",
                found: other.description().to_string(),
            });
        }
    })
}

/// No dependency checked is no evidence.
fn checked(summary: AuditSummary) -> Result<AuditSummary, ParseError> {
    if summary.dependencies_checked == Some(0) {
        return Err(ParseError::NoEvidence(format!(
            "{} checked no dependency, which proves nothing",
            summary.tool
        )));
    }
    Ok(summary)
}

fn wrong(expected: &'static str, what: &str) -> ParseError {
    ParseError::WrongKind {
        expected,
        found: what.to_string(),
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// `cargo audit --json` (rustsec's `Report`).
pub fn cargo_audit(document: &Value) -> Result<AuditSummary, ParseError> {
    let vulnerabilities = document
        .get("vulnerabilities")
        .filter(|v| v.is_object())
        .ok_or_else(|| {
            wrong(
                "a cargo-audit report",
                "JSON without a `vulnerabilities` object",
            )
        })?;
    let mut summary = AuditSummary {
        tool: "cargo-audit".into(),
        dependencies_checked: document
            .pointer("/lockfile/dependency-count")
            .and_then(Value::as_u64),
        ..AuditSummary::default()
    };
    for entry in vulnerabilities
        .get("list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        cargo_audit_entry(&mut summary, entry);
    }
    cargo_audit_count(
        &mut summary,
        vulnerabilities.get("count").and_then(Value::as_u64),
    );
    if let Some(warnings) = document.get("warnings").and_then(Value::as_object) {
        for (kind, list) in warnings {
            for warning in list.as_array().into_iter().flatten() {
                cargo_audit_warning(&mut summary, kind, warning);
            }
        }
    }
    Ok(summary)
}

fn cargo_audit_entry(summary: &mut AuditSummary, entry: &Value) {
    let advisory = &entry["advisory"];
    let severity = advisory
        .get("cvss")
        .and_then(Value::as_str)
        .and_then(cvss3_base_score)
        .map(VulnSeverity::from_score)
        .unwrap_or(VulnSeverity::Unknown);
    summary.push(Vulnerability {
        id: text(&advisory["id"]).unwrap_or_default(),
        package: text(&entry["package"]["name"])
            .or_else(|| text(&advisory["package"]))
            .unwrap_or_default(),
        version: text(&entry["package"]["version"]),
        severity,
        title: text(&advisory["title"]),
        aliases: advisory["aliases"]
            .as_array()
            .map(|a| a.iter().filter_map(text).collect())
            .unwrap_or_default(),
    });
}

fn cargo_audit_count(summary: &mut AuditSummary, count: Option<u64>) {
    if let Some(count) = count
        && count != summary.n_vulnerabilities()
    {
        summary.warnings.push(format!(
            "the report says {count} vulnerabilities but lists {}",
            summary.n_vulnerabilities()
        ));
    }
}

fn cargo_audit_warning(summary: &mut AuditSummary, kind: &str, warning: &Value) {
    let package = text(&warning["package"]["name"]).unwrap_or_default();
    let id = text(&warning["advisory"]["id"]).unwrap_or_default();
    summary.inform(format!("{kind}: {package} {id}").trim().to_string());
}

/// `cargo audit --json` read in one streaming pass: `vulnerabilities.list` and `warnings`
/// entry by entry, `lockfile.dependency-count` kept, everything else skipped unread.
pub fn cargo_audit_stream(input: impl BufRead) -> Result<AuditSummary, ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut state = CargoAudit {
        summary: AuditSummary {
            tool: "cargo-audit".into(),
            ..AuditSummary::default()
        },
        saw_vulnerabilities: false,
        count: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    CargoSeed {
        state: &mut state,
        level: CargoLevel::Top,
    }
    .deserialize(&mut deserializer)
    .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)?;
    if !state.saw_vulnerabilities {
        return Err(wrong(
            "a cargo-audit report",
            "JSON without a `vulnerabilities` object",
        ));
    }
    let mut summary = state.summary;
    cargo_audit_count(&mut summary, state.count);
    Ok(summary)
}

struct CargoAudit {
    summary: AuditSummary,
    saw_vulnerabilities: bool,
    count: Option<u64>,
}

#[derive(Clone, Copy)]
enum CargoLevel {
    Top,
    Vulnerabilities,
    List,
    Warnings,
}

struct CargoSeed<'a> {
    state: &'a mut CargoAudit,
    level: CargoLevel,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LockfileLite {
    #[serde(rename = "dependency-count")]
    dependency_count: Option<u64>,
}

impl<'de> serde::de::DeserializeSeed<'de> for CargoSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CargoSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a cargo-audit report")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Value>()? {
            if let CargoLevel::List = self.level {
                cargo_audit_entry(&mut self.state.summary, &entry);
            }
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::IgnoredAny;
        while let Some(key) = map.next_key::<String>()? {
            match (self.level, key.as_str()) {
                (CargoLevel::Top, "vulnerabilities") => {
                    self.state.saw_vulnerabilities = true;
                    map.next_value_seed(CargoSeed {
                        state: &mut *self.state,
                        level: CargoLevel::Vulnerabilities,
                    })?;
                }
                (CargoLevel::Top, "lockfile") => {
                    let lockfile: LockfileLite = map.next_value()?;
                    self.state.summary.dependencies_checked = lockfile.dependency_count;
                }
                (CargoLevel::Top, "warnings") => map.next_value_seed(CargoSeed {
                    state: &mut *self.state,
                    level: CargoLevel::Warnings,
                })?,
                (CargoLevel::Vulnerabilities, "list") => map.next_value_seed(CargoSeed {
                    state: &mut *self.state,
                    level: CargoLevel::List,
                })?,
                (CargoLevel::Vulnerabilities, "count") => {
                    self.state.count = map.next_value::<Option<Value>>()?.and_then(|v| v.as_u64());
                }
                (CargoLevel::Warnings, kind) => {
                    let kind = kind.to_string();
                    map.next_value_seed(WarningsSeed {
                        summary: &mut self.state.summary,
                        kind,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// One kind of cargo-audit warnings (`unmaintained`, `yanked`...): a list, read entry by entry.
struct WarningsSeed<'a> {
    summary: &'a mut AuditSummary,
    kind: String,
}

impl<'de> serde::de::DeserializeSeed<'de> for WarningsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WarningsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of warnings")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(warning) = seq.next_element::<Value>()? {
            cargo_audit_warning(self.summary, &self.kind, &warning);
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(())
    }
}

/// `npm audit --json`, both shapes, from a whole document; the error document is no
/// evidence. [`parse`] streams instead ([`npm_audit_stream`]); this reader is kept to check
/// that both agree.
pub fn npm_audit(document: &Value) -> Result<AuditSummary, ParseError> {
    if let Some(error) = document.get("error").filter(|e| !e.is_null()) {
        let summary = error.get("summary").and_then(Value::as_str);
        return NpmAudit {
            error: Some((summary.map(first_line), first_line(&error.to_string()))),
            message: document
                .get("message")
                .and_then(Value::as_str)
                .map(first_line),
            ..NpmAudit::default()
        }
        .finish();
    }
    let metadata = &document["metadata"];
    let mut declared = NpmMetadata::default();
    if let Some(total) = metadata
        .pointer("/dependencies/total")
        .and_then(Value::as_u64)
    {
        declared.dependencies_total = Some(total);
    }
    declared.dependencies = metadata.get("dependencies").and_then(Value::as_u64);
    declared.dev_dependencies = metadata.get("devDependencies").and_then(Value::as_u64);
    declared.optional_dependencies = metadata.get("optionalDependencies").and_then(Value::as_u64);
    if let Some(vulnerabilities) = metadata.get("vulnerabilities").and_then(Value::as_object) {
        declared.vulnerabilities =
            Some(NPM_DECLARED.map(|word| vulnerabilities.get(word).and_then(Value::as_u64)));
    }
    let mut state = NpmAudit {
        metadata: declared,
        ..NpmAudit::default()
    };
    if document.get("auditReportVersion").is_some()
        || document
            .get("vulnerabilities")
            .is_some_and(Value::is_object)
    {
        state.v7_shape = true;
        let summary = state.v7.get_or_insert_with(AuditSummary::default);
        for (name, entry) in document["vulnerabilities"]
            .as_object()
            .into_iter()
            .flatten()
        {
            npm7_package(summary, name.clone(), entry);
        }
    } else if let Some(advisories) = document.get("advisories").and_then(Value::as_object) {
        state.v6_shape = true;
        let summary = state.v6.get_or_insert_with(AuditSummary::default);
        for (id, advisory) in advisories {
            npm6_advisory(summary, id.clone(), advisory);
        }
    }
    state.finish()
}

/// The words of npm's `metadata.vulnerabilities` that count (not `info`, not `total`).
const NPM_DECLARED: [&str; 4] = ["low", "moderate", "high", "critical"];

/// One entry of npm 7+'s `vulnerabilities` (a vulnerable package).
fn npm7_package(summary: &mut AuditSummary, name: String, entry: &Value) {
    let word = entry["severity"].as_str().unwrap_or("");
    if word == "info" {
        summary.inform(format!("info: {name}"));
        return;
    }
    let ids: Vec<String> = entry["via"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|via| {
            via.get("url")
                .or_else(|| via.get("source"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        })
        .collect();
    let title = entry["via"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|via| via.get("title").and_then(Value::as_str).map(str::to_string))
        .or_else(|| {
            let names: Vec<&str> = entry["via"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            (!names.is_empty()).then(|| format!("via {}", names.join(", ")))
        });
    summary.push(Vulnerability {
        id: ids.first().cloned().unwrap_or_else(|| name.clone()),
        package: name,
        version: text(&entry["range"]),
        severity: VulnSeverity::from_word(word).unwrap_or(VulnSeverity::Unknown),
        title,
        aliases: ids.into_iter().skip(1).collect(),
    });
}

/// One entry of npm 6's `advisories`.
fn npm6_advisory(summary: &mut AuditSummary, id: String, advisory: &Value) {
    let word = advisory["severity"].as_str().unwrap_or("");
    let package = text(&advisory["module_name"]).unwrap_or_default();
    if word == "info" {
        summary.inform(format!("info: {package} {id}"));
        return;
    }
    summary.push(Vulnerability {
        id: text(&advisory["url"]).unwrap_or(id),
        package,
        version: text(&advisory["vulnerable_versions"]),
        severity: VulnSeverity::from_word(word).unwrap_or(VulnSeverity::Unknown),
        title: text(&advisory["title"]),
        aliases: advisory["cves"]
            .as_array()
            .map(|a| a.iter().filter_map(text).collect())
            .unwrap_or_default(),
    });
}

/// What npm's `metadata` declares: a few numbers.
#[derive(Default)]
struct NpmMetadata {
    /// npm 7+: `dependencies.total`.
    dependencies_total: Option<u64>,
    /// npm 6: `dependencies`, `devDependencies`, `optionalDependencies` are counts.
    dependencies: Option<u64>,
    dev_dependencies: Option<u64>,
    optional_dependencies: Option<u64>,
    /// `vulnerabilities` by [`NPM_DECLARED`] word, when it is an object.
    vulnerabilities: Option<[Option<u64>; 4]>,
}

/// What reading an npm audit report keeps: bounded (each summary keeps at most
/// [`MAX_KEPT`] vulnerabilities and informational entries).
#[derive(Default)]
struct NpmAudit {
    /// The error document: its `summary`, and the error itself as text (first line).
    error: Option<(Option<String>, String)>,
    /// The top-level `message` (npm puts the error's text there too).
    message: Option<String>,
    /// `auditReportVersion` present, or `vulnerabilities` an object: npm 7+.
    v7_shape: bool,
    v7: Option<AuditSummary>,
    /// `advisories` an object: npm 6 (when not npm 7+).
    v6_shape: bool,
    v6: Option<AuditSummary>,
    metadata: NpmMetadata,
}

impl NpmAudit {
    fn finish(self) -> Result<AuditSummary, ParseError> {
        if let Some((summary, error)) = self.error {
            let summary = summary.or(self.message).unwrap_or(error);
            return Err(ParseError::NoEvidence(format!(
                "npm audit did not run (error document): {}",
                summary.lines().next().unwrap_or_default()
            )));
        }
        let (mut summary, tool) = if self.v7_shape {
            (self.v7.unwrap_or_default(), "npm audit (v7+)")
        } else if self.v6_shape {
            (self.v6.unwrap_or_default(), "npm audit (v6)")
        } else {
            return Err(wrong(
                "an npm audit report",
                "JSON with neither `vulnerabilities` (npm 7+) nor `advisories` (npm 6)",
            ));
        };
        summary.tool = tool.into();
        let metadata = self.metadata;
        summary.dependencies_checked = metadata.dependencies_total.or_else(|| {
            let values: Vec<u64> = [
                metadata.dependencies,
                metadata.dev_dependencies,
                metadata.optional_dependencies,
            ]
            .into_iter()
            .flatten()
            .collect();
            (!values.is_empty()).then(|| values.iter().sum())
        });
        if let Some(declared) = metadata.vulnerabilities {
            let declared_total: u64 = declared.iter().flatten().sum();
            if declared_total != summary.n_vulnerabilities() {
                summary.warnings.push(format!(
                    "metadata.vulnerabilities totals {declared_total} but {} entries were read",
                    summary.n_vulnerabilities()
                ));
            }
        }
        Ok(summary)
    }
}

/// `npm audit --json` (npm 6 or 7+) read in one streaming pass: each entry of
/// `vulnerabilities` (npm 7+) or `advisories` (npm 6) is read, counted and dropped; of
/// `metadata` only its counts are kept; everything else is skipped unread. The error document
/// is no evidence.
pub fn npm_audit_stream(input: impl BufRead) -> Result<AuditSummary, ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut state = NpmAudit::default();
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    NpmSeed { state: &mut state }
        .deserialize(&mut deserializer)
        .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)?;
    state.finish()
}

/// The top level of an npm audit report.
struct NpmSeed<'a> {
    state: &'a mut NpmAudit,
}

impl<'de> serde::de::DeserializeSeed<'de> for NpmSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NpmSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an npm audit report")
    }
    accept_any_scalar!(());
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::IgnoredAny;
        let state = self.state;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "error" => {
                    let error: Value = map.next_value()?;
                    state.error = (!error.is_null()).then(|| {
                        let summary = error.get("summary").and_then(Value::as_str);
                        (summary.map(first_line), first_line(&error.to_string()))
                    });
                }
                "message" => {
                    state.message = map.next_value::<Value>()?.as_str().map(first_line);
                }
                "auditReportVersion" => {
                    map.next_value::<IgnoredAny>()?;
                    state.v7_shape = true;
                }
                "vulnerabilities" => {
                    let summary = state.v7.get_or_insert_with(AuditSummary::default);
                    let is_object = map.next_value_seed(entries(|name, entry: Value| {
                        npm7_package(summary, name, &entry)
                    }))?;
                    state.v7_shape |= is_object;
                }
                "advisories" => {
                    let summary = state.v6.get_or_insert_with(AuditSummary::default);
                    let is_object = map.next_value_seed(entries(|id, advisory: Value| {
                        npm6_advisory(summary, id, &advisory)
                    }))?;
                    state.v6_shape |= is_object;
                }
                "metadata" => {
                    state.metadata = NpmMetadata::default();
                    map.next_value_seed(NpmMetadataSeed(&mut state.metadata))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

/// npm's `metadata`: its counts kept, everything else skipped.
struct NpmMetadataSeed<'a>(&'a mut NpmMetadata);

impl<'de> serde::de::DeserializeSeed<'de> for NpmMetadataSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NpmMetadataSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("npm audit metadata")
    }
    accept_any_scalar!(());
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let metadata = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "dependencies" => {
                    let DependencyCount { number, total } = map.next_value()?;
                    metadata.dependencies = number;
                    metadata.dependencies_total = total;
                }
                "devDependencies" => {
                    metadata.dev_dependencies = map.next_value::<LooseU64>()?.0;
                }
                "optionalDependencies" => {
                    metadata.optional_dependencies = map.next_value::<LooseU64>()?.0;
                }
                "vulnerabilities" => {
                    let mut declared = [None; 4];
                    let is_object = map.next_value_seed(entries(|word, count: LooseU64| {
                        if let Some(i) = NPM_DECLARED.iter().position(|w| *w == word) {
                            declared[i] = count.0;
                        }
                    }))?;
                    metadata.vulnerabilities = is_object.then_some(declared);
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A JSON value read as `Value::as_u64` would: a non-negative integer, else `None` (anything
/// else is skipped unread).
struct LooseU64(Option<u64>);

impl<'de> serde::Deserialize<'de> for LooseU64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LooseU64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a count")
            }
            accept_any_scalar!(LooseU64(None), but_u64);
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LooseU64, E> {
                Ok(LooseU64(Some(v)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<LooseU64, A::Error> {
                drain_seq(seq).map(|()| LooseU64(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<LooseU64, A::Error> {
                drain_map(map).map(|()| LooseU64(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// npm's `metadata.dependencies`: a count (npm 6) or an object with a `total` (npm 7+).
struct DependencyCount {
    number: Option<u64>,
    total: Option<u64>,
}

impl<'de> serde::Deserialize<'de> for DependencyCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DependencyCount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a dependency count")
            }
            accept_any_scalar!(
                DependencyCount {
                    number: None,
                    total: None
                },
                but_u64
            );
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DependencyCount, E> {
                Ok(DependencyCount {
                    number: Some(v),
                    total: None,
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<DependencyCount, A::Error> {
                drain_seq(seq).map(|()| DependencyCount {
                    number: None,
                    total: None,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<DependencyCount, A::Error> {
                let mut total = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "total" {
                        total = map.next_value::<LooseU64>()?.0;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(DependencyCount {
                    number: None,
                    total,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A JSON object streamed entry by entry into a callback (each value read as `T`, then
/// dropped); any other value is skipped unread. Yields whether it was an object.
struct EntriesSeed<T, F>(F, std::marker::PhantomData<fn(T)>);

impl<'de, T, F> serde::de::DeserializeSeed<'de> for EntriesSeed<T, F>
where
    T: serde::Deserialize<'de>,
    F: FnMut(String, T),
{
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, F> serde::de::Visitor<'de> for EntriesSeed<T, F>
where
    T: serde::Deserialize<'de>,
    F: FnMut(String, T),
{
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    accept_any_scalar!(false);
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        drain_seq(seq).map(|()| false)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<bool, A::Error> {
        while let Some((key, value)) = map.next_entry::<String, T>()? {
            (self.0)(key, value);
        }
        Ok(true)
    }
}

/// A JSON list streamed element by element into a callback (each read as `T`, then dropped);
/// any other value is skipped unread. Yields whether it was a list.
struct ElementsSeed<T, F>(F, std::marker::PhantomData<fn(T)>);

impl<'de, T, F> serde::de::DeserializeSeed<'de> for ElementsSeed<T, F>
where
    T: serde::Deserialize<'de>,
    F: FnMut(T),
{
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, F> serde::de::Visitor<'de> for ElementsSeed<T, F>
where
    T: serde::Deserialize<'de>,
    F: FnMut(T),
{
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list")
    }
    accept_any_scalar!(false);
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(element) = seq.next_element::<T>()? {
            (self.0)(element);
        }
        Ok(true)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        drain_map(map).map(|()| false)
    }
}

/// [`EntriesSeed`] over `f`.
fn entries<T, F: FnMut(String, T)>(f: F) -> EntriesSeed<T, F> {
    EntriesSeed(f, std::marker::PhantomData)
}

/// [`ElementsSeed`] over `f`.
fn elements<T, F: FnMut(T)>(f: F) -> ElementsSeed<T, F> {
    ElementsSeed(f, std::marker::PhantomData)
}

fn drain_seq<'de, A: serde::de::SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map
        .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
        .is_some()
    {}
    Ok(())
}

/// `pip-audit -f json`: `{"dependencies": [...], "fixes": [...]}` or (older) a bare list.
pub fn pip_audit(document: &Value) -> Result<AuditSummary, ParseError> {
    let dependencies = match document {
        Value::Array(list) => list,
        Value::Object(object) => object
            .get("dependencies")
            .and_then(Value::as_array)
            .ok_or_else(|| wrong("a pip-audit report", "JSON without a `dependencies` list"))?,
        _ => {
            return Err(wrong(
                "a pip-audit report",
                "JSON that is neither an object nor a list",
            ));
        }
    };
    let mut state = PipAudit::default();
    for dependency in dependencies {
        state.dependency(dependency);
    }
    state.finish()
}

/// `pip-audit -f json` read in one streaming pass: each dependency is read, counted and
/// dropped (the document is never held whole; see [`MAX_KEPT`]).
pub fn pip_audit_stream(input: impl BufRead) -> Result<AuditSummary, ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut state = PipAudit::default();
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    PipSeed { state: &mut state }
        .deserialize(&mut deserializer)
        .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)?;
    if !state.saw_list {
        return Err(wrong(
            "a pip-audit report",
            "JSON without a `dependencies` list",
        ));
    }
    state.finish()
}

/// What reading a pip-audit report keeps: bounded.
#[derive(Default)]
struct PipAudit {
    summary: AuditSummary,
    saw_list: bool,
    dependencies: u64,
    skipped: u64,
    /// The first few skipped dependencies, for the messages.
    skipped_first: Vec<String>,
}

impl PipAudit {
    fn dependency(&mut self, dependency: &Value) {
        self.dependencies += 1;
        let name = text(&dependency["name"]).unwrap_or_default();
        if let Some(reason) = dependency.get("skip_reason").and_then(Value::as_str) {
            self.skipped += 1;
            if self.skipped_first.len() < 5 {
                self.skipped_first.push(format!("{name}: {reason}"));
            }
            return;
        }
        for vuln in dependency["vulns"].as_array().into_iter().flatten() {
            self.summary.push(Vulnerability {
                id: text(&vuln["id"]).unwrap_or_default(),
                package: name.clone(),
                version: text(&dependency["version"]),
                severity: VulnSeverity::Unknown,
                title: text(&vuln["description"]).map(|d| d.chars().take(200).collect()),
                aliases: vuln["aliases"]
                    .as_array()
                    .map(|a| a.iter().filter_map(text).collect())
                    .unwrap_or_default(),
            });
        }
    }

    fn finish(self) -> Result<AuditSummary, ParseError> {
        let mut summary = self.summary;
        summary.tool = "pip-audit".into();
        let checked = self.dependencies - self.skipped;
        if checked == 0 && self.skipped > 0 {
            return Err(ParseError::NoEvidence(format!(
                "pip-audit skipped every one of its {} dependencies (it still says \"No known vulnerabilities found\"): {}",
                self.skipped,
                self.skipped_first
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        if self.skipped > 0 {
            // Its counts are lower bounds: a gate on them cannot pass (docs/evidence.md).
            summary.incomplete.push((
                format!(
                    "pip-audit skipped {} of {} dependencies",
                    self.skipped, self.dependencies
                ),
                Some(
                    NoteCode::new("audit.dependencies_skipped")
                        .arg("tool", "pip-audit")
                        .arg("skipped", self.skipped)
                        .arg("total", self.dependencies),
                ),
            ));
            summary.warnings.push(format!(
                "{} of {} dependencies were not checked: {}",
                self.skipped,
                self.dependencies,
                self.skipped_first.join("; ")
            ));
        }
        summary.dependencies_checked = Some(checked);
        Ok(summary)
    }
}

/// The top level of a pip-audit report: a list of dependencies, or an object whose
/// `dependencies` list is streamed (everything else is skipped unread).
struct PipSeed<'a> {
    state: &'a mut PipAudit,
}

impl<'de> serde::de::DeserializeSeed<'de> for PipSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PipSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a pip-audit report (an object with `dependencies`, or a list)")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.state.saw_list = true;
        while let Some(dependency) = seq.next_element::<Value>()? {
            self.state.dependency(&dependency);
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "dependencies" {
                map.next_value_seed(PipSeed {
                    state: &mut *self.state,
                })?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// `osv-scanner --format json`, from a whole document. [`parse`] streams instead
/// ([`osv_stream`]); this reader is kept to check that both agree.
pub fn osv(document: &Value) -> Result<AuditSummary, ParseError> {
    let results = document
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| wrong("an osv-scanner report", "JSON without a `results` list"))?;
    let mut state = OsvScan {
        saw_results: true,
        ..OsvScan::default()
    };
    for result in results {
        for package in result["packages"].as_array().into_iter().flatten() {
            state.package(package);
        }
    }
    state.finish()
}

/// What reading an osv-scanner report keeps: bounded.
#[derive(Default)]
struct OsvScan {
    summary: AuditSummary,
    saw_results: bool,
    packages: u64,
}

impl OsvScan {
    fn package(&mut self, package: &Value) {
        self.packages += 1;
        let summary = &mut self.summary;
        let name = text(&package["package"]["name"]).unwrap_or_default();
        let version = text(&package["package"]["version"]);
        let groups = package["groups"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if groups.is_empty() {
            // Older output without groups: one entry per vulnerability record.
            for vuln in package["vulnerabilities"].as_array().into_iter().flatten() {
                summary.push(Vulnerability {
                    id: text(&vuln["id"]).unwrap_or_default(),
                    package: name.clone(),
                    version: version.clone(),
                    severity: VulnSeverity::Unknown,
                    title: text(&vuln["summary"]),
                    aliases: vuln["aliases"]
                        .as_array()
                        .map(|a| a.iter().filter_map(text).collect())
                        .unwrap_or_default(),
                });
            }
        }
        for group in groups {
            let ids: Vec<String> = group["ids"]
                .as_array()
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default();
            let score = match &group["max_severity"] {
                Value::String(s) => s.trim().parse::<f64>().ok(),
                Value::Number(n) => n.as_f64(),
                _ => None,
            };
            let title = package["vulnerabilities"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|v| ids.iter().any(|id| v["id"].as_str() == Some(id)))
                .and_then(|v| text(&v["summary"]));
            summary.push(Vulnerability {
                id: ids.first().cloned().unwrap_or_default(),
                package: name.clone(),
                version: version.clone(),
                severity: score
                    .map(VulnSeverity::from_score)
                    .unwrap_or(VulnSeverity::Unknown),
                title,
                aliases: ids.into_iter().skip(1).collect(),
            });
        }
    }

    fn finish(self) -> Result<AuditSummary, ParseError> {
        if !self.saw_results {
            return Err(wrong(
                "an osv-scanner report",
                "JSON without a `results` list",
            ));
        }
        let mut summary = self.summary;
        summary.tool = "osv-scanner".into();
        if self.packages == 0 {
            summary.incomplete.push((
                "the osv-scanner report lists no package, so it cannot show what was scanned"
                    .into(),
                Some(NoteCode::new("audit.no_packages").arg("tool", "osv-scanner")),
            ));
        }
        Ok(summary)
    }
}

/// `osv-scanner --format json` read in one streaming pass: `results[].packages[]` package by
/// package (each read, counted and dropped), everything else skipped unread.
pub fn osv_stream(input: impl BufRead) -> Result<AuditSummary, ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut state = OsvScan::default();
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    OsvSeed {
        state: &mut state,
        level: OsvLevel::Top,
    }
    .deserialize(&mut deserializer)
    .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)?;
    state.finish()
}

/// Where an [`OsvSeed`] is in an osv-scanner report.
#[derive(Clone, Copy)]
enum OsvLevel {
    Top,
    Results,
    Result,
}

/// An osv-scanner report streamed down to its packages. Yields whether the value had the
/// expected shape (an object, or the `results` list).
struct OsvSeed<'a> {
    state: &'a mut OsvScan,
    level: OsvLevel,
}

impl<'de> serde::de::DeserializeSeed<'de> for OsvSeed<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for OsvSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an osv-scanner report")
    }
    accept_any_scalar!(false);
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let OsvLevel::Results = self.level else {
            return drain_seq(seq).map(|()| false);
        };
        while seq
            .next_element_seed(OsvSeed {
                state: &mut *self.state,
                level: OsvLevel::Result,
            })?
            .is_some()
        {}
        Ok(true)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match (self.level, key.as_str()) {
                (OsvLevel::Top, "results") => {
                    let is_list = map.next_value_seed(OsvSeed {
                        state: &mut *self.state,
                        level: OsvLevel::Results,
                    })?;
                    self.state.saw_results |= is_list;
                }
                (OsvLevel::Result, "packages") => {
                    let state = &mut *self.state;
                    map.next_value_seed(elements(|package: Value| state.package(&package)))?;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(matches!(self.level, OsvLevel::Top | OsvLevel::Result))
    }
}

/// The CVSS v3.0/v3.1 base score of a vector such as
/// `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` (9.8); `None` for anything else.
pub fn cvss3_base_score(vector: &str) -> Option<f64> {
    let mut parts = vector.trim().split('/');
    let version = parts.next()?;
    if version != "CVSS:3.0" && version != "CVSS:3.1" {
        return None;
    }
    let metric = |name: &str| -> Option<String> {
        vector.split('/').find_map(|part| {
            part.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(str::to_string)
        })
    };
    let scope_changed = match metric("S")?.as_str() {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let attack_vector = match metric("AV")?.as_str() {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let attack_complexity = match metric("AC")?.as_str() {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let privileges = match (metric("PR")?.as_str(), scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let interaction = match metric("UI")?.as_str() {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let impact_of = |name: &str| -> Option<f64> {
        match metric(name)?.as_str() {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (impact_of("C")?, impact_of("I")?, impact_of("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * attack_vector * attack_complexity * privileges * interaction;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw = if scope_changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Some(round_up(raw))
}

/// CVSS v3.1's Roundup: the smallest number with one decimal that is >= the input.
fn round_up(value: f64) -> f64 {
    let scaled = (value * 100_000.0).round() as i64;
    if scaled % 10_000 == 0 {
        scaled as f64 / 100_000.0
    } else {
        ((scaled / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores_match_nvd() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ];
        for (vector, score) in cases {
            assert_eq!(cvss3_base_score(vector), Some(score), "{vector}");
        }
        assert_eq!(
            cvss3_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            None
        );
        assert_eq!(cvss3_base_score("garbage"), None);
    }
}
