//! SARIF 2.1.0 static-analysis results, streamed.
//!
//! The document is read with `serde_json::Deserializer::from_reader` and a chain of
//! [`DeserializeSeed`]s: the top-level object, then `runs[]`, then each run's `results[]`,
//! one result at a time into a small struct that is counted and dropped. Memory holds a run's
//! rules and counters, never its results, so a 1 GB file parses in a few MB.
//!
//! Level resolution (SARIF 2.1.0 §3.27.9–10):
//! 1. a `kind` other than `fail` (`pass`, `notApplicable`, `informational`) → `none`
//!    (`open` and `review` count like `fail`);
//! 2. the result's `level`;
//! 3. the run's `invocations[].ruleConfigurationOverrides` for that rule;
//! 4. the rule's `defaultConfiguration.level` (rules in `tool.driver` or `tool.extensions`);
//! 5. otherwise `warning`.
//!
//! Results may come before `tool` in a run's JSON, so a result whose level needs its rule is
//! counted under its rule key and resolved when the run ends.
//!
//! A result with a suppression whose `status` is `accepted` (or absent) is *suppressed*:
//! counted in `sarif.suppressed`, not by level. `baselineState: absent` (fixed since the
//! baseline) is not counted at all. `sarif.new.*` counts results whose `baselineState` is `new`,
//! and is written only when every result carries a `baselineState`: without a baseline,
//! "0 new errors" would be a false green. A run whose invocation says
//! `executionSuccessful: false` (eslint when a file does not parse) is no evidence.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::BufRead;

use gonogo_core::evidence::{Metric, Tool};
use gonogo_core::units::Unit;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::json;

use crate::Parsed;
use crate::error::ParseError;

/// Results listed in the details.
pub const MAX_RESULTS_LISTED: usize = 50;

/// Distinct rules kept, per run while its results stream by and in `by_rule`: a file whose
/// results all name a different rule cannot grow memory without bound. Results of the rules
/// beyond are still counted by level, in the totals, and the record says how many there were.
pub const MAX_RULES: usize = 10_000;

/// Runs whose tool name (and failure) are listed.
pub const MAX_RUNS_LISTED: usize = 100;

/// A SARIF level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
    Note,
    None,
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        match text {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "note" => Some(Level::Note),
            "none" => Some(Level::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
            Level::None => "none",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

const LEVELS: [Level; 4] = [Level::Error, Level::Warning, Level::Note, Level::None];

/// Counts over every run of a SARIF file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SarifSummary {
    pub version: Option<String>,
    pub runs: u64,
    pub results: u64,
    /// Not suppressed, not fixed, by level.
    pub by_level: [u64; 4],
    /// `baselineState: new`, not suppressed, by level.
    pub new_by_level: [u64; 4],
    pub suppressed: u64,
    /// `baselineState: absent` (fixed).
    pub fixed: u64,
    /// Results without a `baselineState`.
    pub without_baseline: u64,
    /// Per rule (`tool/rule`): count by level, for the first [`MAX_RULES`] rules.
    pub by_rule: BTreeMap<String, [u64; 4]>,
    /// Counted results (not suppressed) of rules beyond [`MAX_RULES`], not in `by_rule`.
    pub results_of_unlisted_rules: u64,
    /// Results beyond [`MAX_RULES`] distinct rules in a run whose level depended on their
    /// rule: counted at the most severe default level their run's rules declare.
    pub results_at_worst_rule_level: u64,
    /// `name version` per run.
    pub tools: Vec<String>,
    pub listed: Vec<ListedResult>,
    /// Why a run did not complete (from its invocations).
    pub execution_failures: Vec<String>,
}

/// A result kept in the details.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedResult {
    pub rule: String,
    pub level: Option<Level>,
    pub message: String,
    pub uri: Option<String>,
    pub line: Option<u64>,
    pub baseline_state: Option<String>,
    rule_key: RuleKey,
}

impl SarifSummary {
    /// The evidence of this file.
    pub fn into_parsed(self) -> Result<Parsed, ParseError> {
        if self.runs == 0 {
            return Err(ParseError::NoEvidence("the SARIF file has no run".into()));
        }
        if !self.execution_failures.is_empty() {
            return Err(ParseError::NoEvidence(format!(
                "the analysis did not complete: {}",
                self.execution_failures.join("; ")
            )));
        }
        let findings = Unit::count("findings");
        let mut metrics = Vec::new();
        for level in LEVELS {
            metrics.push((
                format!("sarif.{}", level.as_str()),
                Metric::value(self.by_level[level.index()] as f64, findings.clone()),
            ));
        }
        metrics.push((
            "sarif.suppressed".into(),
            Metric::value(self.suppressed as f64, findings.clone()),
        ));
        if self.without_baseline == 0 {
            for level in [Level::Error, Level::Warning] {
                metrics.push((
                    format!("sarif.new.{}", level.as_str()),
                    Metric::value(self.new_by_level[level.index()] as f64, findings.clone()),
                ));
            }
        }
        let by_rule: serde_json::Map<String, serde_json::Value> = self
            .by_rule
            .iter()
            .map(|(rule, counts)| {
                let object: serde_json::Map<String, serde_json::Value> = LEVELS
                    .iter()
                    .filter(|level| counts[level.index()] > 0)
                    .map(|level| (level.as_str().to_string(), json!(counts[level.index()])))
                    .collect();
                (rule.clone(), serde_json::Value::Object(object))
            })
            .collect();
        let listed: Vec<serde_json::Value> = self
            .listed
            .iter()
            .map(|result| {
                json!({
                    "rule": result.rule,
                    "level": result.level.map(Level::as_str),
                    "message": result.message,
                    "uri": result.uri,
                    "line": result.line,
                    "baseline_state": result.baseline_state,
                })
            })
            .collect();
        let details = json!({
            "sarif_version": self.version,
            "runs": self.runs,
            "results": self.results,
            "suppressed": self.suppressed,
            "fixed": self.fixed,
            "without_baseline_state": self.without_baseline,
            "tools": self.tools,
            "by_rule": by_rule,
            "results_listed": listed,
        });
        let mut details = details;
        if self.results_of_unlisted_rules > 0 || self.results_at_worst_rule_level > 0 {
            details["results_of_unlisted_rules"] = json!(self.results_of_unlisted_rules);
            details["truncated"] = json!(format!(
                "truncated: {} results of rules beyond {MAX_RULES} distinct rules counted, not listed by rule{}",
                self.results_of_unlisted_rules,
                if self.results_at_worst_rule_level > 0 {
                    format!(
                        "; {} of them needed their rule for a level and were counted at the most severe level their run's rules declare",
                        self.results_at_worst_rule_level
                    )
                } else {
                    String::new()
                }
            ));
        }
        let tool = self
            .tools
            .first()
            .cloned()
            .unwrap_or_else(|| "sarif".into());
        let (name, version) = match tool.rsplit_once(' ') {
            Some((name, version)) => (name.to_string(), version.to_string()),
            None => (tool, "unknown".to_string()),
        };
        Ok(Parsed {
            kind: "sarif",
            tool: Tool::new(name, version),
            metrics,
            details,
            incomplete: Vec::new(),
        })
    }
}

/// Reads a SARIF file.
pub fn parse(input: impl BufRead) -> Result<SarifSummary, ParseError> {
    let mut summary = SarifSummary::default();
    // serde_json reads byte by byte through `Read::bytes`, which std makes fast only for a
    // `BufReader` (it reads from the buffer in place); the copy into it is cheap by comparison.
    let input = std::io::BufReader::with_capacity(64 * 1024, input);
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    DocumentSeed {
        summary: &mut summary,
    }
    .deserialize(&mut deserializer)
    .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)?;
    Ok(summary)
}

struct DocumentSeed<'a> {
    summary: &'a mut SarifSummary,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF log object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_runs = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => {
                    let version: serde_json::Value = map.next_value()?;
                    let version = version.as_str().unwrap_or_default().to_string();
                    if !version.starts_with("2.") {
                        return Err(de::Error::custom(format!(
                            "SARIF version `{version}` is not supported (2.1.0 is)"
                        )));
                    }
                    self.summary.version = Some(version);
                }
                "runs" => {
                    saw_runs = true;
                    map.next_value_seed(RunsSeed {
                        summary: self.summary,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_runs {
            return Err(de::Error::custom("not a SARIF log: no `runs`"));
        }
        Ok(())
    }
}

struct RunsSeed<'a> {
    summary: &'a mut SarifSummary,
}

impl<'de> DeserializeSeed<'de> for RunsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RunsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of runs")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RunSeed {
                summary: self.summary,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// How a result names its rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RuleKey {
    Id(String),
    /// (tool component index or None for the driver, rule index)
    Index(Option<u64>, u64),
    Unknown,
    /// A rule beyond the first [`MAX_RULES`] of its run (not remembered).
    Unlisted,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ToolLite {
    driver: Component,
    extensions: Vec<Component>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Component {
    name: String,
    version: Option<String>,
    semantic_version: Option<String>,
    rules: Vec<RuleLite>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RuleLite {
    id: Option<String>,
    default_configuration: Option<Configuration>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Configuration {
    level: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Invocation {
    execution_successful: Option<bool>,
    tool_execution_notifications: Vec<Notification>,
    tool_configuration_notifications: Vec<Notification>,
    rule_configuration_overrides: Vec<Override>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Notification {
    level: Option<String>,
    message: MessageLite,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Override {
    descriptor: ReportingDescriptorReference,
    configuration: Configuration,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ReportingDescriptorReference {
    id: Option<String>,
    index: Option<u64>,
    tool_component: Option<ToolComponentReference>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ToolComponentReference {
    index: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct MessageLite {
    text: Option<String>,
    id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResultLite {
    rule_id: Option<String>,
    rule_index: Option<u64>,
    rule: Option<ReportingDescriptorReference>,
    level: Option<String>,
    kind: Option<String>,
    baseline_state: Option<String>,
    suppressions: Option<Vec<Suppression>>,
    message: MessageLite,
    locations: Vec<LocationLite>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Suppression {
    status: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LocationLite {
    physical_location: Option<PhysicalLocation>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ArtifactLocation {
    uri: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Region {
    start_line: Option<u64>,
}

/// A rule's place: (tool component index, `None` for the driver; rule index).
type RuleSlot = (Option<u64>, u64);

/// What the end of a run needs to count a result whose level depends on its rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Pending {
    rule: RuleKey,
    new: bool,
    suppressed: bool,
}

struct RunSeed<'a> {
    summary: &'a mut SarifSummary,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// Per-run state while its results stream by.
#[derive(Default)]
struct RunState {
    /// Counts of results whose level is already known: (level, new, suppressed) → n, and by rule.
    resolved: HashMap<(Level, bool, bool, RuleKey), u64>,
    pending: HashMap<Pending, u64>,
    /// The distinct rules of this run seen so far, at most [`MAX_RULES`].
    rules: std::collections::HashSet<RuleKey>,
    listed_from: usize,
}

impl<'de> Visitor<'de> for RunSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF run object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let summary = self.summary;
        summary.runs += 1;
        let mut tool = ToolLite::default();
        let mut invocations: Vec<Invocation> = Vec::new();
        let mut state = RunState {
            listed_from: summary.listed.len(),
            ..RunState::default()
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tool" => tool = map.next_value()?,
                "invocations" => invocations = map.next_value()?,
                "results" => map.next_value_seed(ResultsSeed {
                    summary: &mut *summary,
                    state: &mut state,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        finish_run(summary, tool, invocations, state);
        Ok(())
    }
}

struct ResultsSeed<'a> {
    summary: &'a mut SarifSummary,
    state: &'a mut RunState,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of results (or null)")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(result) = seq.next_element::<ResultLite>()? {
            count_result(self.summary, self.state, result);
        }
        Ok(())
    }
}

fn rule_key(result: &ResultLite) -> RuleKey {
    if let Some(id) = &result.rule_id {
        return RuleKey::Id(id.clone());
    }
    if let Some(rule) = &result.rule {
        if let Some(id) = &rule.id {
            return RuleKey::Id(id.clone());
        }
        if let Some(index) = rule.index {
            return RuleKey::Index(rule.tool_component.as_ref().and_then(|c| c.index), index);
        }
    }
    match result.rule_index {
        Some(index) => RuleKey::Index(None, index),
        None => RuleKey::Unknown,
    }
}

fn count_result(summary: &mut SarifSummary, state: &mut RunState, result: ResultLite) {
    summary.results += 1;
    let baseline = result.baseline_state.as_deref();
    if baseline.is_none() {
        summary.without_baseline += 1;
    }
    if baseline == Some("absent") {
        summary.fixed += 1;
        return;
    }
    let new = baseline == Some("new");
    let suppressed = result.suppressions.as_ref().is_some_and(|list| {
        list.iter()
            .any(|s| matches!(s.status.as_deref(), None | Some("accepted")))
    });
    let mut key = rule_key(&result);
    if !state.rules.contains(&key) {
        if state.rules.len() < MAX_RULES {
            state.rules.insert(key.clone());
        } else {
            key = RuleKey::Unlisted;
        }
    }
    let explicit_level = match result.kind.as_deref() {
        Some("fail") | Some("open") | Some("review") | None => {
            result.level.as_deref().and_then(Level::parse)
        }
        Some(_) => Some(Level::None),
    };
    if summary.listed.len() < MAX_RESULTS_LISTED && !suppressed {
        let location = result
            .locations
            .first()
            .and_then(|l| l.physical_location.as_ref());
        let text = result
            .message
            .text
            .clone()
            .or_else(|| result.message.id.clone())
            .unwrap_or_default();
        summary.listed.push(ListedResult {
            rule: match &key {
                RuleKey::Id(id) => id.clone(),
                RuleKey::Index(_, index) => format!("#{index}"),
                RuleKey::Unknown | RuleKey::Unlisted => String::new(),
            },
            level: explicit_level,
            message: text.chars().take(300).collect(),
            uri: location
                .and_then(|l| l.artifact_location.as_ref())
                .and_then(|a| a.uri.clone()),
            line: location
                .and_then(|l| l.region.as_ref())
                .and_then(|r| r.start_line),
            baseline_state: result.baseline_state.clone(),
            rule_key: key.clone(),
        });
    }
    match explicit_level {
        Some(level) => {
            *state
                .resolved
                .entry((level, new, suppressed, key))
                .or_insert(0) += 1
        }
        None => {
            *state
                .pending
                .entry(Pending {
                    rule: key,
                    new,
                    suppressed,
                })
                .or_insert(0) += 1
        }
    }
}

fn finish_run(
    summary: &mut SarifSummary,
    tool: ToolLite,
    invocations: Vec<Invocation>,
    state: RunState,
) {
    let tool_name = if tool.driver.name.is_empty() {
        "unknown tool".to_string()
    } else {
        tool.driver.name.clone()
    };
    let version = tool
        .driver
        .semantic_version
        .clone()
        .or(tool.driver.version.clone());
    if summary.tools.len() < MAX_RUNS_LISTED {
        summary.tools.push(match &version {
            Some(version) => format!("{tool_name} {version}"),
            None => tool_name.clone(),
        });
    }
    // Rule levels: overrides beat defaults.
    let mut by_id: HashMap<String, Level> = HashMap::new();
    let mut by_index: HashMap<RuleSlot, (Option<String>, Option<Level>)> = HashMap::new();
    let components = std::iter::once((None, &tool.driver)).chain(
        tool.extensions
            .iter()
            .enumerate()
            .map(|(i, c)| (Some(i as u64), c)),
    );
    for (component, rules) in components.map(|(i, c)| (i, &c.rules)) {
        for (index, rule) in rules.iter().enumerate() {
            let level = rule
                .default_configuration
                .as_ref()
                .and_then(|c| c.level.as_deref())
                .and_then(Level::parse);
            if let (Some(id), Some(level)) = (&rule.id, level) {
                by_id.entry(id.clone()).or_insert(level);
            }
            by_index.insert((component, index as u64), (rule.id.clone(), level));
        }
    }
    for invocation in &invocations {
        for override_ in &invocation.rule_configuration_overrides {
            let Some(level) = override_
                .configuration
                .level
                .as_deref()
                .and_then(Level::parse)
            else {
                continue;
            };
            let component = override_
                .descriptor
                .tool_component
                .as_ref()
                .and_then(|c| c.index);
            let id = override_.descriptor.id.clone().or_else(|| {
                override_
                    .descriptor
                    .index
                    .and_then(|i| by_index.get(&(component, i)).and_then(|(id, _)| id.clone()))
            });
            if let Some(id) = id {
                by_id.insert(id, level);
            }
            if let Some(index) = override_.descriptor.index {
                by_index.entry((component, index)).or_insert((None, None)).1 = Some(level);
            }
        }
        if invocation.execution_successful == Some(false) {
            let notes: Vec<String> = invocation
                .tool_configuration_notifications
                .iter()
                .chain(invocation.tool_execution_notifications.iter())
                .filter(|n| n.level.as_deref().unwrap_or("warning") == "error")
                .filter_map(|n| n.message.text.clone())
                .take(3)
                .collect();
            if summary.execution_failures.len() >= MAX_RUNS_LISTED {
                continue;
            }
            summary.execution_failures.push(if notes.is_empty() {
                format!("{tool_name}: executionSuccessful is false")
            } else {
                format!("{tool_name}: {}", notes.join(" | "))
            });
        }
    }
    // Results of unremembered rules whose level depended on their rule: the most severe
    // level any rule of the run declares, so the cap can never turn an error into a pass.
    let worst = by_id
        .values()
        .chain(by_index.values().filter_map(|(_, level)| level.as_ref()))
        .min()
        .copied()
        .unwrap_or(Level::Warning)
        .min(Level::Warning);
    let resolve = |key: &RuleKey| -> Level {
        match key {
            RuleKey::Unlisted => Some(worst),
            RuleKey::Id(id) => by_id.get(id).copied(),
            RuleKey::Index(component, index) => {
                by_index.get(&(*component, *index)).and_then(|(id, level)| {
                    id.as_ref().and_then(|id| by_id.get(id).copied()).or(*level)
                })
            }
            RuleKey::Unknown => None,
        }
        .unwrap_or(Level::Warning)
    };
    let rule_name = |key: &RuleKey| -> String {
        let rule = match key {
            RuleKey::Id(id) => id.clone(),
            RuleKey::Index(component, index) => by_index
                .get(&(*component, *index))
                .and_then(|(id, _)| id.clone())
                .unwrap_or_else(|| format!("#{index}")),
            RuleKey::Unknown => "(no rule)".into(),
            RuleKey::Unlisted => "(unlisted rule)".into(),
        };
        format!("{tool_name}/{rule}")
    };
    let mut add = |level: Level, new: bool, suppressed: bool, key: &RuleKey, n: u64| {
        if suppressed {
            summary.suppressed += n;
            return;
        }
        summary.by_level[level.index()] += n;
        if new {
            summary.new_by_level[level.index()] += n;
        }
        if *key == RuleKey::Unlisted {
            summary.results_of_unlisted_rules += n;
            return;
        }
        let name = rule_name(key);
        if let Some(counts) = summary.by_rule.get_mut(&name) {
            counts[level.index()] += n;
        } else if summary.by_rule.len() < MAX_RULES {
            let mut counts = [0; 4];
            counts[level.index()] = n;
            summary.by_rule.insert(name, counts);
        } else {
            summary.results_of_unlisted_rules += n;
        }
    };
    for ((level, new, suppressed, key), n) in &state.resolved {
        add(*level, *new, *suppressed, key, *n);
    }
    for (pending, n) in &state.pending {
        if pending.rule == RuleKey::Unlisted {
            summary.results_at_worst_rule_level += n;
        }
        add(
            resolve(&pending.rule),
            pending.new,
            pending.suppressed,
            &pending.rule,
            *n,
        );
    }
    for listed in &mut summary.listed[state.listed_from..] {
        if listed.level.is_none() {
            listed.level = Some(resolve(&listed.rule_key));
        }
        if let RuleKey::Index(..) = listed.rule_key {
            listed.rule = rule_name(&listed.rule_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_resolve_as_the_spec_says() {
        // Results before tool; a level from the result, the rule default, an override, the
        // fallback warning, a non-fail kind, a suppression, a fixed result.
        let text = r#"{"version":"2.1.0","runs":[{
          "results":[
            {"ruleId":"A","level":"note","message":{"text":"explicit"}},
            {"ruleId":"B","message":{"text":"rule default error"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.py"},"region":{"startLine":3}}}]},
            {"ruleIndex":1,"message":{"text":"by index"}},
            {"ruleId":"C","message":{"text":"override"}},
            {"ruleId":"D","message":{"text":"no rule: warning"}},
            {"ruleId":"B","kind":"pass","message":{"text":"pass is none"}},
            {"ruleId":"B","suppressions":[{"kind":"inSource"}],"message":{"text":"suppressed"}},
            {"ruleId":"B","suppressions":[{"kind":"external","status":"rejected"}],"message":{"text":"rejected suppression counts"}}
          ],
          "tool":{"driver":{"name":"T","version":"1.0","rules":[
             {"id":"A"},{"id":"B","defaultConfiguration":{"level":"error"}},{"id":"C","defaultConfiguration":{"level":"note"}}]}},
          "invocations":[{"executionSuccessful":true,"ruleConfigurationOverrides":[{"descriptor":{"id":"C"},"configuration":{"level":"error"}}]}]
        }]}"#;
        let summary = parse(text.as_bytes()).unwrap();
        assert_eq!(summary.by_level, [4, 1, 1, 1]);
        assert_eq!(summary.suppressed, 1);
        assert_eq!(summary.results, 8);
        assert_eq!(summary.listed[1].level, Some(Level::Error));
        assert_eq!(summary.listed[1].line, Some(3));
        let parsed = summary.into_parsed().unwrap();
        assert!(
            !parsed
                .metrics
                .iter()
                .any(|(name, _)| name.starts_with("sarif.new"))
        );
    }

    #[test]
    fn baseline_state_and_failed_execution() {
        let text = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T"}},"results":[
            {"ruleId":"A","level":"error","baselineState":"new"},
            {"ruleId":"A","level":"error","baselineState":"unchanged"},
            {"ruleId":"A","level":"error","baselineState":"absent"}]}]}"#;
        let summary = parse(text.as_bytes()).unwrap();
        assert_eq!(
            (summary.by_level[0], summary.new_by_level[0], summary.fixed),
            (2, 1, 1)
        );
        let parsed = summary.into_parsed().unwrap();
        let new_errors = parsed
            .metrics
            .iter()
            .find(|(n, _)| n == "sarif.new.error")
            .unwrap();
        assert_eq!(
            new_errors.1.value.shape(),
            gonogo_core::evidence::Shape::Value
        );

        let failed = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"ESLint"}},"results":[],
          "invocations":[{"executionSuccessful":false,"toolConfigurationNotifications":[{"level":"error","message":{"text":"Parsing error: Unexpected token"}}]}]}]}"#;
        let error = parse(failed.as_bytes()).unwrap().into_parsed().unwrap_err();
        assert!(error.to_string().contains("Parsing error"), "{error}");
    }

    #[test]
    fn malformed_json_has_a_position() {
        match parse(&b"{\"version\":\"2.1.0\",\n\"runs\":[{\"results\":[}]}"[..]) {
            Err(ParseError::Malformed { at, .. }) => assert_eq!(
                at,
                crate::error::Position::LineColumn {
                    line: 2,
                    column: 21
                }
            ),
            other => panic!("{other:?}"),
        }
        assert!(parse(&b"{\"version\":\"1.0\",\"runs\":[]}"[..]).is_err());
    }
}
