//! The message catalogue: every fixed string the renderers print, in English (the default) and
//! Chinese (`zh-CN`).
//!
//! A message is looked up by its id ([`Msg`]) and filled with named arguments, so a sentence is
//! always translated whole, never assembled from translated fragments:
//!
//! ```
//! use gonogo_report::i18n::{Lang, Msg};
//!
//! let text = Lang::ZhCn.format(Msg::CountOf, &[("k", "11"), ("n", "13")]);
//! assert_eq!(text, "13 中的 11");
//! assert_eq!(Lang::En.text(Msg::StatusFail), "fail");
//! ```
//!
//! The two tables ([`EN`], [`ZH_CN`]) are keyed by the message's string id, as a translator's
//! file would be; a test checks that both hold every id, nothing else, and the same
//! `{placeholders}`. Data (gate names, test names, the core's explanations) is never translated.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// A report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag: `en` or `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    fn table(self) -> &'static HashMap<&'static str, &'static str> {
        static EN_MAP: OnceLock<HashMap<&str, &str>> = OnceLock::new();
        static ZH_MAP: OnceLock<HashMap<&str, &str>> = OnceLock::new();
        match self {
            Lang::En => EN_MAP.get_or_init(|| EN.iter().copied().collect()),
            Lang::ZhCn => ZH_MAP.get_or_init(|| ZH_CN.iter().copied().collect()),
        }
    }

    /// The message as written in the catalogue (placeholders unfilled). Falls back to English,
    /// then to the id, so a gap shows rather than panics (a test keeps the tables complete).
    pub fn text(self, message: Msg) -> &'static str {
        let id = message.id();
        self.table()
            .get(id)
            .or_else(|| Lang::En.table().get(id))
            .copied()
            .unwrap_or(id)
    }

    /// `label: value` with the language's punctuation (`：` in Chinese). `value` is data or
    /// already-rendered text; it is inserted as is.
    pub fn labelled(self, label: Msg, value: &str) -> String {
        self.format(
            Msg::LabelValue,
            &[("label", self.text(label)), ("value", value)],
        )
    }

    /// An enumeration (areas, evidence kinds, reasons) joined as the language writes one:
    /// `a, b, c` in English, `a、b、c` (the enumeration comma) in Chinese.
    pub fn list<S: AsRef<str>>(self, items: &[S]) -> String {
        let separator = match self {
            Lang::En => ", ",
            Lang::ZhCn => "、",
        };
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<&str>>()
            .join(separator)
    }

    /// The message with its `{name}` placeholders filled from `args`.
    pub fn format(self, message: Msg, args: &[(&str, &str)]) -> String {
        fill(self.text(message), args)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// An unknown language tag.
#[derive(Debug, thiserror::Error)]
#[error("unknown language {0:?}: choose en or zh-CN")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Ok(Lang::ZhCn),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// Replaces `{name}` by its argument; unknown placeholders stay as they are.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

macro_rules! message_ids {
    ($($variant:ident = $id:literal,)*) => {
        /// A message id. [`Msg::id`] is the key in the catalogue tables.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($variant,)*
        }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$variant,)*];

            pub fn id(self) -> &'static str {
                match self {
                    $(Msg::$variant => $id,)*
                }
            }
        }
    };
}

message_ids! {
    DecisionGo = "decision.go",
    DecisionNoGo = "decision.nogo",
    HeadlineGo = "headline.go",
    HeadlineNoGo = "headline.nogo",
    Counts = "summary.counts",
    CountOf = "summary.count_of",
    StatusPass = "status.pass",
    StatusFail = "status.fail",
    StatusInconclusive = "status.inconclusive",
    StatusMissing = "status.missing",
    StatusWaived = "status.waived",
    AreaGreen = "area_status.green",
    AreaYellow = "area_status.yellow",
    AreaRed = "area_status.red",
    AreaGrey = "area_status.grey",
    AreaFunctionality = "area.functionality",
    AreaPerformance = "area.performance",
    AreaReliability = "area.reliability",
    AreaSecurity = "area.security",
    AreaObservability = "area.observability",
    AreaDelivery = "area.delivery",
    SeverityBlocker = "severity.blocker",
    SeverityWarn = "severity.warn",
    ReasonBreached = "reason.breached",
    ReasonMissing = "reason.missing",
    ReasonStale = "reason.stale",
    ReasonPartial = "reason.partial",
    ReasonTooFewSamples = "reason.too_few_samples",
    ReasonNoBaseline = "reason.no_baseline",
    ReasonUnparseable = "reason.unparseable",
    ReasonNoDistribution = "reason.no_distribution",
    ReasonIncomplete = "reason.incomplete",
    ReasonConflict = "reason.conflict",
    ReasonWaived = "reason.waived",
    ColumnRank = "column.rank",
    ColumnArea = "column.area",
    ColumnStatus = "column.status",
    ColumnGates = "column.gates",
    ColumnGate = "column.gate",
    ColumnMeasured = "column.measured",
    ColumnInterval = "column.interval",
    ColumnN = "column.n",
    ColumnThreshold = "column.threshold",
    ColumnExpect = "column.expect",
    ColumnEvidence = "column.evidence",
    ColumnSeverity = "column.severity",
    ColumnMetric = "column.metric",
    ColumnTest = "column.test",
    ColumnLocation = "column.location",
    ColumnMessage = "column.message",
    SectionAreas = "section.areas",
    SectionBlockers = "section.blockers",
    SectionWarnings = "section.warnings",
    SectionGates = "section.gates",
    SectionCharts = "section.charts",
    SectionEvidence = "section.evidence",
    MissingKinds = "verdict.missing_kinds",
    NoBlockers = "verdict.no_blockers",
    NoWarnings = "verdict.no_warnings",
    AreaNoGates = "area.no_gates",
    AreaGateCount = "area.gate_count",
    GatesNotListed = "area.gates_not_listed",
    LabelValue = "label.value",
    LabelPolicy = "label.policy",
    LabelEnvironment = "label.environment",
    LabelEvaluatedAt = "label.evaluated_at",
    LabelCommit = "label.commit",
    LabelTarget = "label.target",
    LabelDuration = "label.duration",
    WhyMeasured = "why.measured",
    WhyMeasuredExact = "why.measured_exact",
    WhyOutcomePass = "why.outcome.pass",
    WhyOutcomeFail = "why.outcome.fail",
    WhyOutcomeInconclusive = "why.outcome.inconclusive",
    WhyExactPass = "why.exact.pass",
    WhyExactFail = "why.exact.fail",
    WhyNoEvidence = "why.no_evidence",
    SettleMoreTotal = "settle.more_total",
    SettleMore = "settle.more",
    SettleMeanOnThreshold = "settle.mean_on_threshold",
    SettleOnThreshold = "settle.on_threshold",
    CountedSamples = "counted.samples",
    CountedTrials = "counted.trials",
    HoldsDistribution = "holds.distribution",
    HoldsRate = "holds.rate",
    RuleExcludedStale = "rule.excluded_stale",
    RuleSummed = "rule.summed",
    RuleMergedHistograms = "rule.merged_histograms",
    RuleNewestValue = "rule.newest_value",
    RuleExactAggregate = "rule.exact_aggregate",
    RulePlainValue = "rule.plain_value",
    RuleCensus = "rule.census",
    RuleTail = "rule.tail",
    RuleTwoSample = "rule.two_sample",
    RuleWaiverExpired = "rule.waiver_expired",
    RuleOtherCommit = "rule.other_commit",
    RuleNotNamed = "rule.not_named",
    RuleFromTheFuture = "rule.from_the_future",
    RuleDuplicates = "rule.duplicates",
    RuleSuperseded = "rule.superseded",
    RuleCombined = "rule.combined",
    RuleUnion = "rule.union",
    RuleSegmentsAsOne = "rule.segments_as_one",
    RuleClockSpread = "rule.clock_spread",
    RuleRelativeThreshold = "rule.relative_threshold",
    LabelCiRun = "label.ci_run",
    LabelConfidence = "label.confidence",
    LabelBaseline = "label.baseline",
    LabelWhy = "label.why",
    LabelReason = "label.reason",
    LabelSettle = "label.settle",
    LabelRules = "label.rules",
    LabelDescription = "label.description",
    LabelKind = "label.kind",
    LabelSource = "label.source",
    LabelSha256 = "label.sha256",
    LabelCollectedAt = "label.collected_at",
    LabelTool = "label.tool",
    LabelNote = "label.note",
    Waiver = "waiver.active",
    WaiverExpired = "waiver.expired",
    EvidenceCitation = "evidence.citation",
    EvidenceNone = "evidence.none",
    EvidenceNotFound = "evidence.not_found",
    EvidenceNotFoundMore = "evidence.not_found_more",
    NotMeasured = "value.not_measured",
    JunitFailure = "junit.failure",
    JunitSkipped = "junit.skipped",
    JunitWarning = "junit.warning",
    AnnotationTitle = "annotation.title",
    AnnotationTestFailed = "annotation.test_failed",
    AnnotationFinding = "annotation.finding",
    HtmlTitle = "html.title",
    HtmlSkipToBlockers = "html.skip_to_blockers",
    HtmlFooter = "html.footer",
    MarkdownFooter = "markdown.footer",
    ChartLatencyDistribution = "chart.latency_distribution",
    ChartPercentiles = "chart.percentiles",
    ChartAvailability = "chart.availability",
    ChartThroughput = "chart.throughput",
    ChartErrorShare = "chart.error_share",
    ChartRatio = "chart.ratio",
    ChartTrend = "chart.trend",
    CompareNone = "compare.none",
    CompareFlips = "compare.flips",
    CompareAbsent = "compare.absent",
    MoreLocations = "markdown.more_locations",
    MoreInEvidence = "markdown.more_in_evidence",
    FindingProof = "html.finding_proof",
    SectionWaivers = "section.waivers",
    WaiverDaysLeft = "waiver.days_left",
    MoreWaivers = "markdown.more_waivers",
    Unassessed = "verdict.unassessed",
    AxisRuns = "axis.runs",
    LegendGo = "legend.go",
    LegendNoGo = "legend.no_go",
    LegendThisRun = "legend.this_run",
    ChartTests = "chart.tests",
    ChartTooMany = "chart.too_many",
    AxisLatency = "axis.latency",
    AxisRequests = "axis.requests",
    AxisPercentile = "axis.percentile",
    AxisSeconds = "axis.seconds",
    AxisRequestsPerSecond = "axis.requests_per_second",
    AxisErrorShare = "axis.error_share",
    LegendThreshold = "legend.threshold",
    LegendCompleted = "legend.completed",
    LegendErrors = "legend.errors",
    LegendOutage = "legend.outage",
    LegendUp = "legend.up",
    OutageSummary = "probe.outage_summary",
    OutageOngoing = "probe.outage_ongoing",
    TestsPassed = "tests.passed",
    TestsFailed = "tests.failed",
    TestsErrored = "tests.errored",
    TestsSkipped = "tests.skipped",
    TestsFailing = "tests.failing",
    TestsNotListed = "tests.not_listed",
    NoteIncomplete = "note.incomplete",
    WhyIncomplete = "why.incomplete",
    NoteHardenChecksNotRun = "note.harden.checks_not_run",
    NoteHardenChecksErrored = "note.harden.checks_errored",
    NoteHardenRegraded = "note.harden.regraded",
    NoteDoraReleasesNotRead = "note.dora.releases_not_read",
    NoteDoraHistoryCut = "note.dora.history_cut",
    NoteDoraLeadTimesCut = "note.dora.lead_times_cut",
    NoteDoraNotRestored = "note.dora.not_restored",
    NoteLoadlogNoTimeSpan = "note.loadlog.no_time_span",
    NoteCiNoAttemptNumber = "note.ci.no_attempt_number",
    NoteCiWorkflowsNotCounted = "note.ci.workflows_not_counted",
    NoteAuditDependenciesSkipped = "note.audit.dependencies_skipped",
    NoteAuditNoPackages = "note.audit.no_packages",
    NoteLoadClosedModel = "note.load.closed_model",
    NoteLoadLeaks = "note.load.leaks",
    NoteK6TrendEstimate = "note.k6.trend_estimate",
    NoteProbeRecovery = "note.probe.recovery",
    NoteProbeDetection = "note.probe.detection",
    NoteProbeLatency = "note.probe.latency",
    NotePrometheusIncrease = "note.prometheus.increase",
    NotePrometheusBuckets = "note.prometheus.buckets",
    NoteLocustRequestCount = "note.locust.request_count",
    NoteLocustCsvEstimate = "note.locust.csv_estimate",
    NoteLocustOwnRate = "note.locust.own_rate",
    NoteLoadlogPerRequest = "note.loadlog.per_request",
    NoteDoraDeploysPerWeek = "note.dora.deploys_per_week",
    NoteDoraLeadTime = "note.dora.lead_time",
    NoteDoraChangeFailure = "note.dora.change_failure",
    NoteDoraTimeToRestore = "note.dora.time_to_restore",
    NoteGitRollbackTag = "note.git.rollback_tag",
    NoteGitNoRollbackTag = "note.git.no_rollback_tag",
    NoteCommandTimedOut = "note.command.timed_out",
    NoteCommandNotFound = "note.command.not_found",
    NoteCommandExit = "note.command.exit",
    NoteCommandSignal = "note.command.signal",
    NoteCiSuccess = "note.ci.success",
    NoteCiSuccessRerunsUnknown = "note.ci.success_reruns_unknown",
    NoteCiNoDuration = "note.ci.no_duration",
    NoteRollbackDrill = "note.rollback.drill",
    NoteRecordTypedByHand = "note.record.typed_by_hand",
    // Pieces a report words a composite note with (not codes of their own).
    SegmentNote = "segment.note",
    AuditIgnoredList = "audit_note.ignored",
    AuditIgnoredItem = "audit_note.item",
    AuditIgnoredOwner = "audit_note.owner",
    AuditIgnoredUntil = "audit_note.until",
    AuditIgnoreExpired = "audit_note.expired",
}

/// English, the default.
pub const EN: &[(&str, &str)] = &[
    ("decision.go", "GO"),
    ("decision.nogo", "NO-GO"),
    ("headline.go", "GO: no blocker gate stops the release."),
    (
        "headline.nogo",
        "NO-GO: blocker gates that stop the release: {count}.",
    ),
    (
        "summary.counts",
        "{total} gates: {pass} pass, {fail} fail, {inconclusive} inconclusive, {missing} missing, {waived} waived",
    ),
    ("summary.count_of", "{k} of {n}"),
    ("status.pass", "pass"),
    ("status.fail", "fail"),
    ("status.inconclusive", "inconclusive"),
    ("status.missing", "missing"),
    ("status.waived", "waived"),
    ("area_status.green", "green"),
    ("area_status.yellow", "yellow"),
    ("area_status.red", "red"),
    ("area_status.grey", "grey"),
    ("area.functionality", "Functionality"),
    ("area.performance", "Performance"),
    ("area.reliability", "Reliability"),
    ("area.security", "Security"),
    ("area.observability", "Observability"),
    ("area.delivery", "Delivery"),
    ("severity.blocker", "blocker"),
    ("severity.warn", "warning"),
    (
        "reason.breached",
        "the whole interval is on the wrong side of the threshold",
    ),
    ("reason.missing", "no evidence carries the metric"),
    (
        "reason.stale",
        "all evidence for the metric is older than the gate allows",
    ),
    (
        "reason.partial",
        "evidence kinds this environment requires never arrived",
    ),
    (
        "reason.too_few_samples",
        "the interval straddles the threshold: more samples would settle it",
    ),
    (
        "reason.no_baseline",
        "a relative gate without a usable baseline",
    ),
    (
        "reason.unparseable",
        "evidence exists but cannot answer the gate",
    ),
    (
        "reason.no_distribution",
        "the evidence gives an estimate without its samples: it can neither pass nor fail (for k6, collect its `--out json` for an interval)",
    ),
    (
        "reason.incomplete",
        "the evidence comes from work that did not complete, so it cannot show the gate holds",
    ),
    (
        "reason.conflict",
        "several sources give a value that has no meaning across sources",
    ),
    ("reason.waived", "a waiver applies"),
    ("column.rank", "#"),
    ("column.area", "Area"),
    ("column.status", "Status"),
    ("column.gates", "Gates"),
    ("column.gate", "Gate"),
    ("column.measured", "Measured"),
    ("column.interval", "Interval ({confidence})"),
    ("column.n", "n"),
    ("column.threshold", "Threshold"),
    ("column.expect", "Expectation"),
    ("column.evidence", "Evidence"),
    ("column.severity", "Severity"),
    ("column.metric", "Metric"),
    ("column.test", "Test"),
    ("column.location", "Location"),
    ("column.message", "Message"),
    ("section.areas", "Areas"),
    ("section.blockers", "Blockers, worst first"),
    ("section.warnings", "Warnings, worst first"),
    ("section.gates", "Gates by area"),
    ("section.charts", "Charts"),
    ("section.evidence", "Evidence"),
    (
        "verdict.missing_kinds",
        "Evidence this environment requires never arrived: {kinds}",
    ),
    ("verdict.no_blockers", "No blocker gate stops the release."),
    ("verdict.no_warnings", "No warning."),
    (
        "area.no_gates",
        "No gate in this area: no evidence, no green.",
    ),
    ("area.gate_count", "gates: {count}"),
    (
        "area.gates_not_listed",
        "Gates not listed here: {count}. The HTML report and verdict.json hold every gate.",
    ),
    ("label.value", "{label}: {value}"),
    ("label.policy", "Policy"),
    ("label.environment", "Environment"),
    ("label.evaluated_at", "Evaluated"),
    ("label.commit", "Commit"),
    ("label.target", "Target"),
    ("label.duration", "Duration"),
    (
        "why.measured",
        "{aggregate} = {value}, interval {interval} from {n}: {outcome} {threshold}",
    ),
    (
        "why.measured_exact",
        "{aggregate} = {value}: {outcome} {threshold}",
    ),
    ("why.outcome.pass", "the whole interval satisfies"),
    ("why.outcome.fail", "the whole interval breaks"),
    (
        "why.outcome.inconclusive",
        "the interval straddles the threshold",
    ),
    ("why.exact.pass", "satisfies"),
    ("why.exact.fail", "breaks"),
    ("why.no_evidence", "no evidence has the metric `{metric}`"),
    (
        "settle.more_total",
        "needs about {more} more {counted} (n ≈ {total}) if the {holds} holds",
    ),
    (
        "settle.more",
        "needs about {more} more {counted} if the {holds} holds",
    ),
    (
        "settle.mean_on_threshold",
        "the mean sits on the threshold: more samples will not settle it",
    ),
    (
        "settle.on_threshold",
        "more samples will not settle it: the measured value sits on the threshold",
    ),
    ("counted.samples", "samples"),
    ("counted.trials", "trials"),
    ("holds.distribution", "distribution"),
    ("holds.rate", "rate"),
    (
        "rule.excluded_stale",
        "excluded {records} record(s) older than max_age {max_age}",
    ),
    ("rule.summed", "summed {records} records: {k} of {n} {unit}"),
    (
        "rule.merged_histograms",
        "merged the histograms of {records} records ({samples} samples)",
    ),
    (
        "rule.newest_value",
        "{records} records give `{metric}`: used the newest, from {source} at {at}",
    ),
    (
        "rule.exact_aggregate",
        "`{aggregate}` is exact: compared directly, no interval",
    ),
    (
        "rule.plain_value",
        "a plain value has no sampling error: compared directly",
    ),
    (
        "rule.census",
        "`{metric}` counts a whole population (a census, not a sample): compared exactly, no interval",
    ),
    (
        "rule.tail",
        "a tail claim: fails on the first sample past the threshold, passes only when the bound on the share past it ({bound} from {samples} samples) is within {tail}",
    ),
    (
        "rule.two_sample",
        "two samples: each run's interval at {confidence}, compared conservatively",
    ),
    (
        "rule.waiver_expired",
        "the waiver by {owner} expired on {expires}: the gate counts again",
    ),
    (
        "rule.other_commit",
        "set aside {records} record(s) about another commit than {commit}",
    ),
    (
        "rule.not_named",
        "set aside {records} record(s) about {sources}, which the policy does not name",
    ),
    (
        "rule.from_the_future",
        "set aside {records} record(s) dated in the future",
    ),
    (
        "rule.duplicates",
        "counted once: {records} record(s) repeated another (same record, or the same producer on the same input)",
    ),
    (
        "rule.superseded",
        "{records} older measurement(s) of {sources} superseded by the newest",
    ),
    ("rule.combined", "combined {records} sources: {how}"),
    (
        "rule.union",
        "union of {records} reports by file: {parts} files, {k} of {n}",
    ),
    ("label.ci_run", "CI run"),
    ("label.confidence", "Confidence"),
    ("label.baseline", "Baseline"),
    ("label.why", "Why"),
    ("label.reason", "Reason"),
    ("label.settle", "What would settle it"),
    ("label.rules", "Rules applied"),
    ("label.description", "Description"),
    ("label.kind", "Kind"),
    ("label.source", "Source"),
    ("label.sha256", "SHA-256"),
    ("label.collected_at", "Collected"),
    ("label.tool", "Tool"),
    ("label.note", "Note"),
    (
        "waiver.active",
        "Waived: {reason} (owner {owner}, until {expires}; status without the waiver: {status})",
    ),
    (
        "waiver.expired",
        "Expired waiver, no longer applied: {reason} (owner {owner}, expired {expires})",
    ),
    (
        "evidence.citation",
        "{type} {source} · sha256 {sha} · {time}",
    ),
    ("evidence.none", "no evidence"),
    (
        "evidence.not_found",
        "The evidence record with sha256 {sha} is not in the evidence folder, so it has no chart.",
    ),
    (
        "evidence.not_found_more",
        "Further evidence records not in the evidence folder: {count}.",
    ),
    ("value.not_measured", "—"),
    (
        "junit.failure",
        "{status}: measured {measured}, threshold {threshold}",
    ),
    (
        "junit.skipped",
        "waived: {reason} (owner {owner}, until {expires})",
    ),
    (
        "junit.warning",
        "warning, not blocking: {status}: measured {measured}, threshold {threshold}",
    ),
    ("annotation.title", "gonogo {severity}: {gate}"),
    (
        "annotation.test_failed",
        "{gate}: test {test} failed: {message}",
    ),
    ("annotation.finding", "{gate}: {rule}: {message}"),
    ("html.title", "Readiness report: {decision} · {policy}"),
    ("html.skip_to_blockers", "Skip to the blockers"),
    (
        "html.footer",
        "Rendered by gonogo from verdict.json version {version}. Every figure comes from the evidence it cites; the SHA-256 identifies the raw input.",
    ),
    (
        "markdown.footer",
        "Rendered by gonogo from verdict.json version {version}; every figure cites its evidence.",
    ),
    (
        "chart.latency_distribution",
        "Latency distribution: {metric}",
    ),
    ("chart.percentiles", "Latency by percentile: {metric}"),
    ("chart.availability", "Availability timeline: {target}"),
    ("chart.throughput", "Throughput per second: {metric}"),
    (
        "chart.error_share",
        "Share of requests that failed, per second: {metric}",
    ),
    ("chart.ratio", "{metric}: {k} of {n}"),
    ("chart.trend", "{gate}: the last {runs} runs"),
    ("compare.none", "Compared with {with}: no gate flips."),
    (
        "compare.flips",
        "Compared with {with}: {count} gate(s) flip.",
    ),
    ("compare.absent", "(absent)"),
    (
        "markdown.more_locations",
        "… and {count} more (verdict.json and the HTML report list them)",
    ),
    (
        "markdown.more_in_evidence",
        "… and {count} more (the cited evidence file lists them)",
    ),
    ("html.finding_proof", "request and response"),
    ("section.waivers", "Waivers"),
    ("waiver.days_left", "{days} day(s) left"),
    (
        "markdown.more_waivers",
        "… and {count} more waivers (the HTML report lists them all)",
    ),
    (
        "verdict.unassessed",
        "Not assessed (no gates or no evidence): {areas}",
    ),
    ("axis.runs", "runs, oldest first"),
    ("legend.go", "run was GO"),
    ("legend.no_go", "run was NO-GO"),
    ("legend.this_run", "this run"),
    ("chart.tests", "Test results: {source}"),
    (
        "chart.too_many",
        "Charts are drawn for the first {shown} evidence records; {hidden} more are listed without a chart.",
    ),
    ("axis.latency", "latency (log scale)"),
    ("axis.requests", "requests"),
    ("axis.percentile", "percentile"),
    ("axis.seconds", "seconds since the start"),
    ("axis.requests_per_second", "requests per second"),
    ("axis.error_share", "failed requests (%)"),
    ("legend.threshold", "threshold {threshold}"),
    ("legend.completed", "completed"),
    ("legend.errors", "errors"),
    ("legend.outage", "outage"),
    ("legend.up", "up"),
    (
        "probe.outage_summary",
        "outages: {count} · downtime: {downtime} s · window: {window} s · successful probes: {k} of {n}",
    ),
    ("probe.outage_ongoing", "still down when the window ended"),
    ("tests.passed", "passed: {count}"),
    ("tests.failed", "failed: {count}"),
    ("tests.errored", "errored: {count}"),
    ("tests.skipped", "skipped: {count}"),
    ("tests.failing", "Failing tests"),
    ("tests.not_listed", "not listed: {count}"),
    ("note.incomplete", "the evidence is incomplete: {what}"),
    (
        "why.incomplete",
        "the evidence is incomplete ({what}), so it cannot show that {expect} holds",
    ),
    (
        "note.harden.checks_not_run",
        "{count} check(s) did not run (error or skipped): {checks}",
    ),
    (
        "note.harden.checks_errored",
        "{count} of {total} checks did not run because of errors: {checks}",
    ),
    ("note.harden.regraded", "re-graded by the policy: {reason}"),
    (
        "note.dora.releases_not_read",
        "the oldest {count} releases were not read",
    ),
    (
        "note.dora.history_cut",
        "history cut at {max} commits for remedies and the window start",
    ),
    (
        "note.dora.lead_times_cut",
        "lead times cut at {max} commits",
    ),
    (
        "note.dora.not_restored",
        "failed releases not restored by a later release yet: {releases}",
    ),
    (
        "note.loadlog.no_time_span",
        "scenario `{scenario}`: the results carry no time span, so no throughput",
    ),
    (
        "note.ci.no_attempt_number",
        "re-runs of {workflow}: the export has no attempt number, so flaky runs are not counted apart",
    ),
    (
        "note.ci.workflows_not_counted",
        "{runs} runs of workflows beyond the first {max} were not counted",
    ),
    (
        "note.audit.dependencies_skipped",
        "{tool} skipped {skipped} of {total} dependencies",
    ),
    (
        "note.audit.no_packages",
        "the {tool} report lists no package, so it cannot show what was scanned",
    ),
    (
        "note.load.closed_model",
        "closed model: latency is timed from the actual send, so a stalled server also stalls the generator and the stall is under-counted (coordinated omission); use --rate for an open model",
    ),
    (
        "note.load.leaks",
        "error bodies that showed a stack trace, a database error or a version",
    ),
    (
        "note.k6.trend_estimate",
        "k6 exports no histogram: sample count unknown; collect k6's `--out json` for an interval",
    ),
    (
        "note.probe.recovery",
        "probe {probe}: {count} attempts in a row succeeded from then on",
    ),
    (
        "note.probe.detection",
        "probe {probe}: {count} attempts in a row failed from then on",
    ),
    (
        "note.probe.latency",
        "attempts that got an answer; latency from each attempt's scheduled start",
    ),
    (
        "note.prometheus.increase",
        "from increase() of two counters: Prometheus extrapolates to the window's edges, so k and n are approximate (k rounded up, n down)",
    ),
    (
        "note.prometheus.buckets",
        "from a Prometheus histogram's buckets: every observation is counted at its bucket's upper bound (le), so a percentile's upper end is conservative; put a bucket boundary at the gate's threshold, or a fail may only mean the percentile's bucket reaches past it",
    ),
    (
        "note.locust.request_count",
        "Locust's Request Count: failed requests included",
    ),
    (
        "note.locust.csv_estimate",
        "Locust's --csv holds no per-request samples: an estimate from its bucketed response times; collect per-request samples with its request event hook (docs/load-results.md)",
    ),
    (
        "note.locust.own_rate",
        "Locust's own requests per second, to the second: an estimate",
    ),
    (
        "note.loadlog.per_request",
        "from {producer}'s per-request results, read by gonogo",
    ),
    (
        "note.dora.deploys_per_week",
        "deployment frequency: releases ({rule}) per week, one sample per week of the {weeks} whole weeks ending now ({total} releases)",
    ),
    (
        "note.dora.lead_time",
        "lead time for changes: each non-merge commit a release ships that the previous release did not, commit time to release time ({count} commits)",
    ),
    (
        "note.dora.change_failure",
        "change failure rate: releases followed within {window} by a commit whose subject says {markers} (counted for the newest release before it that it descends from), of releases older than {window}",
    ),
    (
        "note.dora.time_to_restore",
        "time to restore: failed release to the first later release that ships its remedy ({restored} restored, {unrestored} not yet)",
    ),
    (
        "note.git.rollback_tag",
        "a previous release tag ({tag}) exists: that is all this knows; whether deploying it works is known only from a rollback drill (gonogo run --rollback-drill, delivery.rollback.drill)",
    ),
    (
        "note.git.no_rollback_tag",
        "no previous release tag: nothing to roll back to",
    ),
    (
        "note.command.timed_out",
        "killed at its timeout (exit {exit}); its output is in {log}",
    ),
    (
        "note.command.not_found",
        "exit 127: the command was not found; its output is in {log}",
    ),
    ("note.command.exit", "exit {code}; its output is in {log}"),
    (
        "note.command.signal",
        "killed by a signal; its output is in {log}",
    ),
    (
        "note.ci.success",
        "CI success: runs that succeeded at their first attempt, of runs that ended in success or failure ({not_counted} cancelled, skipped or unfinished not counted; {reruns} passed only on a re-run)",
    ),
    (
        "note.ci.success_reruns_unknown",
        "re-runs unknown (the export has no attempt number): a run that passed only when re-run counts as a success",
    ),
    (
        "note.ci.no_duration",
        "{missing} of {total} runs have no start or end time and are not in the distribution",
    ),
    (
        "note.rollback.drill",
        "rollback drill: the rollback target was deployed, answered healthy within the limit, and the candidate was rolled forward (gonogo run --rollback-drill)",
    ),
    ("note.record.typed_by_hand", "typed by hand: {source}"),
    ("segment.note", "segment {segment}: {what}"),
    (
        "rule.segments_as_one",
        "test {test}: its {segments} segments are judged as one run",
    ),
    (
        "rule.clock_spread",
        "the clocks of the machines that ran test {test} disagree by about {seconds} s (more than {limit} s): their schedules may not have started together",
    ),
    (
        "rule.relative_threshold",
        "threshold = baseline {aggregate} {baseline} × (1 {sign} {percent}%){source}",
    ),
    (
        "audit_note.ignored",
        "{count} ignored by the policy: {items}",
    ),
    ("audit_note.item", "{id} in {package} ({reason}{by})"),
    ("audit_note.owner", "owner {owner}"),
    ("audit_note.until", "until {until}"),
    (
        "audit_note.expired",
        "the ignore rule for {rule} expired after {expires} (reason was: {reason}); {id} in {package} is counted",
    ),
];

/// Simplified Chinese.
pub const ZH_CN: &[(&str, &str)] = &[
    ("decision.go", "GO"),
    ("decision.nogo", "NO-GO"),
    ("headline.go", "GO：没有阻塞项阻止发布。"),
    ("headline.nogo", "NO-GO：阻止发布的阻塞项共 {count} 个。"),
    (
        "summary.counts",
        "门禁共 {total} 个：通过 {pass}，未通过 {fail}，无法判定 {inconclusive}，缺少证据 {missing}，已豁免 {waived}",
    ),
    ("summary.count_of", "{n} 中的 {k}"),
    ("status.pass", "通过"),
    ("status.fail", "未通过"),
    ("status.inconclusive", "无法判定"),
    ("status.missing", "缺少证据"),
    ("status.waived", "已豁免"),
    ("area_status.green", "绿"),
    ("area_status.yellow", "黄"),
    ("area_status.red", "红"),
    ("area_status.grey", "灰"),
    ("area.functionality", "功能"),
    ("area.performance", "性能"),
    ("area.reliability", "可靠性"),
    ("area.security", "安全"),
    ("area.observability", "可观测性"),
    ("area.delivery", "交付"),
    ("severity.blocker", "阻塞"),
    ("severity.warn", "警告"),
    ("reason.breached", "整个置信区间都落在阈值的错误一侧"),
    ("reason.missing", "没有任何证据包含该指标"),
    ("reason.stale", "该指标的所有证据都超过了门禁允许的时效"),
    ("reason.partial", "本环境要求的证据类型没有提交"),
    (
        "reason.too_few_samples",
        "置信区间跨越阈值：需要更多样本才能判定",
    ),
    ("reason.no_baseline", "相对门禁缺少可用的基线"),
    ("reason.unparseable", "证据存在，但无法回答该门禁"),
    (
        "reason.no_distribution",
        "证据只给出估计值而没有其样本：既不能通过也不能失败（k6 请收集一段区间的 `--out json` 原始输出）",
    ),
    (
        "reason.incomplete",
        "证据来自未完成的工作，无法证明门禁成立",
    ),
    ("reason.conflict", "多个来源给出的数值无法跨来源合并"),
    ("reason.waived", "适用豁免"),
    ("column.rank", "#"),
    ("column.area", "领域"),
    ("column.status", "状态"),
    ("column.gates", "门禁"),
    ("column.gate", "门禁"),
    ("column.measured", "测量值"),
    ("column.interval", "置信区间（{confidence}）"),
    ("column.n", "样本数 n"),
    ("column.threshold", "阈值"),
    ("column.expect", "期望"),
    ("column.evidence", "证据"),
    ("column.severity", "级别"),
    ("column.metric", "指标"),
    ("column.test", "测试"),
    ("column.location", "位置"),
    ("column.message", "信息"),
    ("section.areas", "各领域状态"),
    ("section.blockers", "阻塞项（最严重的在前）"),
    ("section.warnings", "警告（最严重的在前）"),
    ("section.gates", "各领域门禁明细"),
    ("section.charts", "图表"),
    ("section.evidence", "证据"),
    (
        "verdict.missing_kinds",
        "本环境要求但没有提交的证据类型：{kinds}",
    ),
    ("verdict.no_blockers", "没有阻塞项阻止发布。"),
    ("verdict.no_warnings", "没有警告。"),
    ("area.no_gates", "该领域没有门禁：没有证据，就没有绿灯。"),
    ("area.gate_count", "门禁数：{count}"),
    (
        "area.gates_not_listed",
        "此处未列出的门禁：{count} 个。HTML 报告和 verdict.json 包含全部门禁。",
    ),
    ("label.value", "{label}：{value}"),
    ("label.policy", "策略"),
    ("label.environment", "环境"),
    ("label.evaluated_at", "评估时间"),
    ("label.commit", "提交"),
    ("label.target", "被测服务"),
    ("label.duration", "耗时"),
    (
        "why.measured",
        "{aggregate} = {value}，基于 {n} 个样本的置信区间为 {interval}：{outcome} {threshold}",
    ),
    (
        "why.measured_exact",
        "{aggregate} 实测为 {value}：{outcome} {threshold}",
    ),
    ("why.outcome.pass", "整个区间满足"),
    ("why.outcome.fail", "整个区间违反"),
    ("why.outcome.inconclusive", "区间跨越阈值"),
    ("why.exact.pass", "满足"),
    ("why.exact.fail", "违反"),
    ("why.no_evidence", "没有任何证据包含指标 `{metric}`"),
    (
        "settle.more_total",
        "若{holds}保持不变，还需约 {more} 个{counted}（n ≈ {total}）",
    ),
    (
        "settle.more",
        "若{holds}保持不变，还需约 {more} 个{counted}",
    ),
    (
        "settle.mean_on_threshold",
        "均值正好落在阈值上：增加样本也无法判定",
    ),
    (
        "settle.on_threshold",
        "测量值正好落在阈值上：增加样本也无法判定",
    ),
    ("counted.samples", "样本"),
    ("counted.trials", "试验"),
    ("holds.distribution", "分布"),
    ("holds.rate", "比率"),
    (
        "rule.excluded_stale",
        "排除了 {records} 条早于 max_age {max_age} 的记录",
    ),
    (
        "rule.summed",
        "汇总了 {records} 条记录：{n} 个{unit}中的 {k} 个",
    ),
    (
        "rule.merged_histograms",
        "合并了 {records} 条记录的直方图（{samples} 个样本）",
    ),
    (
        "rule.newest_value",
        "{records} 条记录给出了 `{metric}`：采用最新的一条，来自 {source}，时间 {at}",
    ),
    (
        "rule.exact_aggregate",
        "`{aggregate}` 是精确值：直接比较，没有置信区间",
    ),
    ("rule.plain_value", "单个数值没有抽样误差：直接比较"),
    (
        "rule.census",
        "`{metric}` 统计的是整个总体（普查而非抽样）：精确比较，没有置信区间",
    ),
    (
        "rule.tail",
        "尾部声明：一旦有样本越过阈值即失败；只有当越过阈值的比例上界（{samples} 个样本得出 {bound}）不超过 {tail} 时才通过",
    ),
    (
        "rule.two_sample",
        "两个样本：两次运行各取 {confidence} 置信区间，保守比较",
    ),
    (
        "rule.waiver_expired",
        "{owner} 的豁免已于 {expires} 到期：该门禁重新计入",
    ),
    (
        "rule.other_commit",
        "已搁置 {records} 条关于 {commit} 以外提交的记录",
    ),
    (
        "rule.not_named",
        "已搁置 {records} 条关于 {sources} 的记录：策略没有指明它们",
    ),
    (
        "rule.from_the_future",
        "已搁置 {records} 条日期在未来的记录",
    ),
    (
        "rule.duplicates",
        "只计一次：{records} 条记录与另一条重复（同一记录，或同一生产者处理同一输入）",
    ),
    (
        "rule.superseded",
        "{sources} 的 {records} 次较早测量已被最新一次取代",
    ),
    ("rule.combined", "合并了 {records} 个来源：{how}"),
    (
        "rule.union",
        "按文件合并 {records} 份报告：{parts} 个文件，{n} 中的 {k}",
    ),
    ("label.ci_run", "CI 运行"),
    ("label.confidence", "置信度"),
    ("label.baseline", "基线"),
    ("label.why", "原因"),
    ("label.reason", "判定依据"),
    ("label.settle", "如何才能判定"),
    ("label.rules", "应用的规则"),
    ("label.description", "说明"),
    ("label.kind", "类型"),
    ("label.source", "来源"),
    ("label.sha256", "SHA-256"),
    ("label.collected_at", "采集时间"),
    ("label.tool", "工具"),
    ("label.note", "注意"),
    (
        "waiver.active",
        "已豁免：{reason}（负责人 {owner}，有效期至 {expires}；不计豁免时的状态：{status}）",
    ),
    (
        "waiver.expired",
        "豁免已过期，不再适用：{reason}（负责人 {owner}，于 {expires} 过期）",
    ),
    (
        "evidence.citation",
        "{type} {source} · sha256 {sha} · {time}",
    ),
    ("evidence.none", "无证据"),
    (
        "evidence.not_found",
        "证据目录中没有 sha256 为 {sha} 的证据记录，因此无法绘制图表。",
    ),
    (
        "evidence.not_found_more",
        "证据目录中另有 {count} 条证据记录缺失。",
    ),
    ("value.not_measured", "—"),
    (
        "junit.failure",
        "{status}：测量值 {measured}，阈值 {threshold}",
    ),
    (
        "junit.skipped",
        "已豁免：{reason}（负责人 {owner}，有效期至 {expires}）",
    ),
    (
        "junit.warning",
        "警告，不阻断发布：{status}：测量值 {measured}，阈值 {threshold}",
    ),
    ("annotation.title", "gonogo {severity}项：{gate}"),
    (
        "annotation.test_failed",
        "{gate}：测试 {test} 失败：{message}",
    ),
    (
        "annotation.finding",
        "{gate}：规则 {rule} 的发现：{message}",
    ),
    ("html.title", "上线就绪报告：{decision} · {policy}"),
    ("html.skip_to_blockers", "跳到阻塞项"),
    (
        "html.footer",
        "由 gonogo 根据 verdict.json 第 {version} 版生成。每个数字都来自所引用的证据；SHA-256 标识原始输入。",
    ),
    (
        "markdown.footer",
        "由 gonogo 根据 verdict.json 第 {version} 版生成；每个数字都注明了证据。",
    ),
    ("chart.latency_distribution", "延迟分布：{metric}"),
    ("chart.percentiles", "各百分位的延迟：{metric}"),
    ("chart.availability", "可用性时间线：{target}"),
    ("chart.throughput", "每秒吞吐量：{metric}"),
    ("chart.error_share", "每秒失败请求占比：{metric}"),
    ("chart.ratio", "{metric}：{n} 中的 {k}"),
    ("chart.trend", "{gate}：最近 {runs} 次运行"),
    ("compare.none", "与 {with} 相比：没有门禁改变状态。"),
    (
        "compare.flips",
        "与 {with} 相比：{count} 个门禁改变了状态。",
    ),
    ("compare.absent", "（不存在）"),
    (
        "markdown.more_locations",
        "……另有 {count} 项（见 verdict.json 与 HTML 报告）",
    ),
    (
        "markdown.more_in_evidence",
        "……另有 {count} 项（见所引用的证据文件）",
    ),
    ("html.finding_proof", "请求与响应"),
    ("section.waivers", "豁免"),
    ("waiver.days_left", "剩余 {days} 天"),
    (
        "markdown.more_waivers",
        "……另有 {count} 项豁免（HTML 报告全部列出）",
    ),
    (
        "verdict.unassessed",
        "未评估（没有门禁或没有证据）：{areas}",
    ),
    ("axis.runs", "运行（从旧到新）"),
    ("legend.go", "该次为 GO"),
    ("legend.no_go", "该次为 NO-GO"),
    ("legend.this_run", "本次运行"),
    ("chart.tests", "测试结果：{source}"),
    (
        "chart.too_many",
        "仅为前 {shown} 条证据记录绘制图表；其余 {hidden} 条只列出，不绘图。",
    ),
    ("axis.latency", "延迟（对数刻度）"),
    ("axis.requests", "请求数"),
    ("axis.percentile", "百分位"),
    ("axis.seconds", "开始后的秒数"),
    ("axis.requests_per_second", "每秒请求数"),
    ("axis.error_share", "失败请求占比（%）"),
    ("legend.threshold", "阈值 {threshold}"),
    ("legend.completed", "完成"),
    ("legend.errors", "错误"),
    ("legend.outage", "中断"),
    ("legend.up", "正常"),
    (
        "probe.outage_summary",
        "中断次数：{count} · 中断时长：{downtime} 秒 · 观测窗口：{window} 秒 · 成功探测：{n} 中的 {k}",
    ),
    ("probe.outage_ongoing", "观测窗口结束时仍在中断"),
    ("tests.passed", "通过：{count}"),
    ("tests.failed", "失败：{count}"),
    ("tests.errored", "出错：{count}"),
    ("tests.skipped", "跳过：{count}"),
    ("tests.failing", "失败的测试"),
    ("tests.not_listed", "未列出：{count}"),
    ("note.incomplete", "证据不完整：{what}"),
    (
        "why.incomplete",
        "证据不完整（{what}），因此无法表明 {expect} 成立",
    ),
    (
        "note.harden.checks_not_run",
        "{count} 项检查没有运行（出错或跳过）：{checks}",
    ),
    (
        "note.harden.checks_errored",
        "{total} 项检查中有 {count} 项因出错没有运行：{checks}",
    ),
    ("note.harden.regraded", "已由策略重新定级：{reason}"),
    (
        "note.dora.releases_not_read",
        "最早的 {count} 个发布没有读取",
    ),
    (
        "note.dora.history_cut",
        "查找修复和窗口起点时，历史在 {max} 个提交处截断",
    ),
    ("note.dora.lead_times_cut", "前置时间在 {max} 个提交处截断"),
    (
        "note.dora.not_restored",
        "尚未被后续发布恢复的失败发布：{releases}",
    ),
    (
        "note.loadlog.no_time_span",
        "场景 `{scenario}`：结果没有时间跨度，因此没有吞吐量",
    ),
    (
        "note.ci.no_attempt_number",
        "{workflow} 的重跑：导出数据没有尝试次数，因此不稳定的运行没有单独计数",
    ),
    (
        "note.ci.workflows_not_counted",
        "前 {max} 个工作流之外的 {runs} 次运行没有计入",
    ),
    (
        "note.audit.dependencies_skipped",
        "{tool} 跳过了 {total} 个依赖中的 {skipped} 个",
    ),
    (
        "note.audit.no_packages",
        "{tool} 报告没有列出任何包，因此无法表明扫描了什么",
    ),
    (
        "note.load.closed_model",
        "封闭模型：延迟从实际发送时刻起算，服务器停顿时负载生成器也随之停顿，停顿因此被少计（协调遗漏）；改用 --rate 以开放模型运行",
    ),
    (
        "note.load.leaks",
        "暴露了堆栈跟踪、数据库错误或版本号的错误响应体",
    ),
    (
        "note.k6.trend_estimate",
        "k6 不导出直方图：样本数未知；收集 k6 的 `--out json` 输出才能得到区间",
    ),
    (
        "note.probe.recovery",
        "探测 {probe}：自该时刻起连续 {count} 次尝试成功",
    ),
    (
        "note.probe.detection",
        "探测 {probe}：自该时刻起连续 {count} 次尝试失败",
    ),
    (
        "note.probe.latency",
        "得到应答的尝试；延迟从每次尝试的计划开始时刻起算",
    ),
    (
        "note.prometheus.increase",
        "来自两个计数器的 increase()：Prometheus 会外推到窗口边界，因此 k 和 n 是近似值（k 向上取整，n 向下取整）",
    ),
    (
        "note.prometheus.buckets",
        "来自 Prometheus 直方图的桶：每个观测值都按其所在桶的上界（le）计，因此百分位数的上端是保守的；请在门禁阈值处设一个桶边界，否则失败可能只意味着该百分位数所在的桶越过了阈值",
    ),
    (
        "note.locust.request_count",
        "Locust 的 Request Count：包含失败的请求",
    ),
    (
        "note.locust.csv_estimate",
        "Locust 的 --csv 不含逐请求样本：这是根据其分桶响应时间得出的估计值；请用其 request 事件钩子收集逐请求样本（docs/load-results.md）",
    ),
    (
        "note.locust.own_rate",
        "Locust 自己统计的每秒请求数，精确到秒：估计值",
    ),
    (
        "note.loadlog.per_request",
        "来自 {producer} 的逐请求结果，由 gonogo 读取",
    ),
    (
        "note.dora.deploys_per_week",
        "部署频率：每周的发布数（{rule}），截至现在的 {weeks} 个整周每周一个样本（共 {total} 个发布）",
    ),
    (
        "note.dora.lead_time",
        "变更前置时间：某个发布包含而上一个发布未包含的每个非合并提交，从提交时间到发布时间（{count} 个提交）",
    ),
    (
        "note.dora.change_failure",
        "变更失败率：早于 {window} 的发布中，{window} 内出现标题含 {markers} 的提交的发布所占比例（该提交计入在它之前、且是它祖先的最新发布）",
    ),
    (
        "note.dora.time_to_restore",
        "恢复时间：从失败的发布到第一个包含其修复的后续发布（{restored} 个已恢复，{unrestored} 个尚未恢复）",
    ),
    (
        "note.git.rollback_tag",
        "存在上一个发布标签（{tag}）：这里只知道这一点；部署它能否成功，只有回滚演练才能知道（gonogo run --rollback-drill，delivery.rollback.drill）",
    ),
    (
        "note.git.no_rollback_tag",
        "没有上一个发布标签：没有可回滚的目标",
    ),
    (
        "note.command.timed_out",
        "超时被终止（退出码 {exit}）；输出在 {log}",
    ),
    (
        "note.command.not_found",
        "退出码 127：找不到该命令；输出在 {log}",
    ),
    ("note.command.exit", "退出码 {code}；输出在 {log}"),
    ("note.command.signal", "被信号终止；输出在 {log}"),
    (
        "note.ci.success",
        "CI 成功率：以成功或失败结束的运行中，首次尝试即成功的运行所占比例（{not_counted} 次取消、跳过或未完成的运行不计入；{reruns} 次仅在重跑后通过）",
    ),
    (
        "note.ci.success_reruns_unknown",
        "重跑情况未知（导出数据没有尝试次数）：仅在重跑后通过的运行也算作成功",
    ),
    (
        "note.ci.no_duration",
        "{total} 次运行中有 {missing} 次没有开始或结束时间，不在分布中",
    ),
    (
        "note.rollback.drill",
        "回滚演练：已部署回滚目标，它在时限内健康应答，随后候选版本已重新前滚（gonogo run --rollback-drill）",
    ),
    ("note.record.typed_by_hand", "手工录入：{source}"),
    ("segment.note", "分段 {segment}：{what}"),
    (
        "rule.segments_as_one",
        "测试 {test}：其 {segments} 个分段合并为一次运行评判",
    ),
    (
        "rule.clock_spread",
        "运行测试 {test} 的各台机器时钟相差约 {seconds} 秒（超过 {limit} 秒）：它们的调度可能并未同时开始",
    ),
    (
        "rule.relative_threshold",
        "阈值 = 基线 {aggregate} {baseline} × (1 {sign} {percent}%){source}",
    ),
    ("audit_note.ignored", "{count} 项被策略忽略：{items}"),
    ("audit_note.item", "{package} 中的 {id}（{reason}{by}）"),
    ("audit_note.owner", "负责人 {owner}"),
    ("audit_note.until", "有效至 {until}"),
    (
        "audit_note.expired",
        "{rule} 的忽略规则已于 {expires} 后失效（原因：{reason}）；{package} 中的 {id} 计入统计",
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            names.insert(after[..close].to_owned());
            rest = &after[close + 1..];
        }
        names
    }

    #[test]
    fn every_message_exists_in_both_languages_with_the_same_placeholders() {
        for (name, table) in [("en", EN), ("zh-CN", ZH_CN)] {
            let ids: Vec<&str> = table.iter().map(|(id, _)| *id).collect();
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(ids.len(), unique.len(), "{name} has a duplicate id");
            for message in Msg::ALL {
                assert!(
                    unique.contains(message.id()),
                    "{name} lacks {}",
                    message.id()
                );
            }
            let known: BTreeSet<&str> = Msg::ALL.iter().map(|m| m.id()).collect();
            for id in &unique {
                assert!(known.contains(id), "{name} has an unknown id {id}");
            }
            for (id, text) in table {
                assert!(!text.trim().is_empty(), "{name} {id} is empty");
            }
        }
        for message in Msg::ALL {
            assert_eq!(
                placeholders(Lang::En.text(*message)),
                placeholders(Lang::ZhCn.text(*message)),
                "{} has different placeholders",
                message.id()
            );
        }
    }

    #[test]
    fn chinese_messages_are_chinese() {
        // Words, not ids or English left behind: every zh-CN message that is not a symbol,
        // an acronym or a shared template holds a CJK character.
        let shared = [
            "decision.go",
            "decision.nogo",
            "column.rank",
            "label.value",
            "label.sha256",
            "evidence.citation",
            "value.not_measured",
        ];
        let untranslated: Vec<&str> = ZH_CN
            .iter()
            .filter(|(id, text)| {
                !shared.contains(id)
                    && !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            })
            .map(|(id, _)| *id)
            .collect();
        assert!(untranslated.is_empty(), "not translated: {untranslated:?}");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(
            fill("{a} and {b}", &[("a", "1"), ("b", "{a}")]),
            "1 and {a}"
        );
        assert_eq!(fill("{x} {", &[]), "{x} {");
        assert_eq!(
            Lang::En.format(Msg::CountOf, &[("k", "2"), ("n", "5")]),
            "2 of 5"
        );
    }

    #[test]
    fn enumerations_use_the_language_s_list_comma() {
        let areas = ["Delivery", "Security"];
        assert_eq!(Lang::En.list(&areas), "Delivery, Security");
        assert_eq!(Lang::ZhCn.list(&["交付", "安全"]), "交付、安全");
        assert_eq!(Lang::ZhCn.list(&["one"]), "one");
        assert_eq!(Lang::En.list::<&str>(&[]), "");
    }

    #[test]
    fn language_tags_parse() {
        assert_eq!("zh-CN".parse::<Lang>().unwrap(), Lang::ZhCn);
        assert_eq!("zh_cn".parse::<Lang>().unwrap(), Lang::ZhCn);
        assert_eq!("en".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().is_err());
    }
}
