//! The verdict: GO or NO-GO, a status per area, ranked blockers, and every gate's result with
//! the evidence it used. Renderers read this and nothing else (plus the evidence it cites).

use std::fmt;

use jiff::Timestamp;

use crate::evidence::{NoteCode, Source};
use crate::expect::Expectation;
use crate::policy::GateSeverity;
use crate::stats::Interval;
use crate::units::{Dimension, format_base, format_base_beside};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Go,
    NoGo,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Go => "GO",
            Decision::NoGo => "NO-GO",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one gate. Only `Pass` is green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GateStatus {
    Pass,
    Fail,
    Inconclusive,
    Missing,
    Waived,
}

impl GateStatus {
    pub const ALL: [GateStatus; 5] = [
        GateStatus::Pass,
        GateStatus::Fail,
        GateStatus::Inconclusive,
        GateStatus::Missing,
        GateStatus::Waived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "fail",
            GateStatus::Inconclusive => "inconclusive",
            GateStatus::Missing => "missing",
            GateStatus::Waived => "waived",
        }
    }

    pub fn parse(s: &str) -> Option<GateStatus> {
        GateStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
    }

    /// Whether a blocker gate in this status stops the release.
    pub fn blocks(self) -> bool {
        matches!(
            self,
            GateStatus::Fail | GateStatus::Inconclusive | GateStatus::Missing
        )
    }
}

impl fmt::Display for GateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a gate is not a pass, for machines. [`GateResult::why`] says it for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The measured interval is on the wrong side of the threshold.
    Breached,
    /// No evidence carries the metric.
    Missing,
    /// All evidence for the metric is older than the gate's `max_age`.
    Stale,
    /// The environment requires evidence kinds that never arrived.
    Partial,
    /// The interval straddles the threshold: more samples would settle it.
    TooFewSamples,
    /// A relative gate without a usable baseline.
    NoBaseline,
    /// Evidence exists but cannot answer the gate (wrong shape or unit, no samples).
    Unparseable,
    /// The evidence gives an estimate (a k6 summary percentile, a PromQL scalar, a figure
    /// typed by hand) without the samples behind it: it never passes or fails.
    NoDistribution,
    /// A waiver applies.
    Waived,
    /// The evidence comes from work that did not complete (the target did not answer, checks
    /// did not run): it cannot show that the gate holds.
    Incomplete,
    /// Several sources give a metric that has no meaning across sources.
    Conflict,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Breached => "breached",
            Reason::Missing => "missing",
            Reason::Stale => "stale",
            Reason::Partial => "partial",
            Reason::TooFewSamples => "too_few_samples",
            Reason::NoBaseline => "no_baseline",
            Reason::Unparseable => "unparseable",
            Reason::NoDistribution => "no_distribution",
            Reason::Waived => "waived",
            Reason::Incomplete => "incomplete",
            Reason::Conflict => "conflict",
        }
    }

    pub const ALL: [Reason; 11] = [
        Reason::Breached,
        Reason::Missing,
        Reason::Stale,
        Reason::Partial,
        Reason::TooFewSamples,
        Reason::NoBaseline,
        Reason::Unparseable,
        Reason::NoDistribution,
        Reason::Waived,
        Reason::Incomplete,
        Reason::Conflict,
    ];

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An area's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaStatus {
    Green,
    Yellow,
    Red,
    /// No evidence at all for the area's gates, or no gates.
    Grey,
}

impl AreaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaStatus::Green => "green",
            AreaStatus::Yellow => "yellow",
            AreaStatus::Red => "red",
            AreaStatus::Grey => "grey",
        }
    }

    pub fn parse(s: &str) -> Option<AreaStatus> {
        [
            AreaStatus::Green,
            AreaStatus::Yellow,
            AreaStatus::Red,
            AreaStatus::Grey,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub decision: Decision,
    pub policy_name: Option<String>,
    pub env: Option<String>,
    /// The policy-wide confidence (gates may override theirs).
    pub confidence: f64,
    pub evaluated_at: Timestamp,
    pub areas: Vec<AreaResult>,
    pub gates: Vec<GateResult>,
    /// Indices into `gates` of blocker-severity gates that stop the release, worst first.
    pub blockers: Vec<usize>,
    /// Indices into `gates` of warn-severity gates that are not a pass, worst first.
    pub warnings: Vec<usize>,
    /// Evidence kinds the environment requires that never arrived.
    pub missing_kinds: Vec<String>,
    /// Why a verdict with nothing failing is still NO-GO: no blocker gate passed on evidence.
    pub unearned: Option<Unearned>,
    /// Every evidence record a gate used; gates refer to it by index.
    pub evidence: Vec<EvidenceRef>,
    pub baseline: Option<BaselineRef>,
    /// The policy file judged under and its SHA-256, when the caller read it from a file.
    pub policy_path: Option<String>,
    pub policy_sha256: Option<String>,
    /// What was judged: the commit, its refs and the CI run (filled in by the binary, which
    /// reads git and the environment; `None` outside a repository and CI).
    pub context: Option<Context>,
    /// The service under test: the policy's `[target] base_url`.
    pub target: Option<String>,
    /// How long the work behind the verdict took (a `gonogo run` from its start to the
    /// decision); `None` when only evidence was judged.
    pub duration: Option<jiff::SignedDuration>,
}

/// What a verdict judged: the candidate's commit and refs, and the CI run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: Vec<String>,
    /// `production`, `staging` or `none`.
    pub deployment_target: Option<String>,
    /// The previous release tag, the rollback target.
    pub rollback_tag: Option<String>,
    /// Uncommitted changes in the working tree.
    pub dirty_paths: usize,
    pub ci_provider: Option<String>,
    pub ci_run_url: Option<String>,
}

impl Verdict {
    pub fn count(&self, status: GateStatus) -> usize {
        self.gates.iter().filter(|g| g.status == status).count()
    }

    /// Gate names with their statuses (what `eval::flips` compares).
    pub fn statuses(&self) -> Vec<(String, GateStatus)> {
        self.gates
            .iter()
            .map(|g| (g.name.clone(), g.status))
            .collect()
    }
}

/// GO has to be earned: why it was not, when no blocker stopped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unearned {
    /// The policy has no gates.
    NoGates,
    /// Every gate is a warning.
    NoBlockers,
    /// No blocker gate passed on evidence (every one is waived, or none exists that passed).
    NoBlockerPassed,
}

impl Unearned {
    pub fn as_str(self) -> &'static str {
        match self {
            Unearned::NoGates => "no_gates",
            Unearned::NoBlockers => "no_blockers",
            Unearned::NoBlockerPassed => "no_blocker_passed",
        }
    }

    pub fn parse(s: &str) -> Option<Unearned> {
        [
            Unearned::NoGates,
            Unearned::NoBlockers,
            Unearned::NoBlockerPassed,
        ]
        .into_iter()
        .find(|u| u.as_str() == s)
    }
}

impl fmt::Display for Unearned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unearned::NoGates => "the policy has no gates: GO has to be earned by a blocker gate that passes on evidence",
            Unearned::NoBlockers => "every gate is a warning: GO has to be earned by a blocker gate that passes on evidence",
            Unearned::NoBlockerPassed => "no blocker gate passed on evidence (waived gates do not count): GO has to be earned",
        })
    }
}

#[derive(Debug, Clone)]
pub struct AreaResult {
    pub name: String,
    pub title: String,
    pub status: AreaStatus,
    /// Indices into the verdict's gates.
    pub gates: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct GateResult {
    pub name: String,
    pub area: String,
    pub metric: String,
    /// The expectation as the policy resolved it (`p(95) < 500ms`): aggregate, operator and
    /// threshold with its unit, typed to the renderers.
    pub expect: Expectation,
    pub severity: GateSeverity,
    pub description: Option<String>,
    pub status: GateStatus,
    /// `None` only for a pass.
    pub reason: Option<Reason>,
    /// One sentence a person can act on.
    pub why: String,
    pub measured: Option<Measured>,
    /// The threshold in base units, and as people read it.
    pub threshold: Option<f64>,
    pub threshold_display: String,
    /// The confidence of this gate's interval.
    pub confidence: f64,
    /// Every rule applied on the way (aggregation, exclusion, caveats), in order.
    pub rules: Vec<Rule>,
    /// For an inconclusive gate: what would settle it.
    pub settle: Option<Settle>,
    pub waiver: Option<WaiverState>,
    /// Indices into the verdict's evidence.
    pub evidence: Vec<usize>,
    /// How far the point estimate is past the threshold, relative (positive: wrong side);
    /// infinite for missing evidence. Used to rank.
    pub distance: f64,
}

/// A rule applied on the way to a gate's result, as data (renderers word it in their
/// language); `Display` gives the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Records older than the gate's `max_age` were left out.
    ExcludedStale { records: usize, max_age: String },
    /// Ratios of several records were added up.
    Summed {
        records: usize,
        k: u64,
        n: u64,
        unit: String,
    },
    /// Histograms of several records were merged.
    MergedHistograms { records: usize, samples: u64 },
    /// Several records give a plain value: the newest was used.
    NewestValue {
        records: usize,
        metric: String,
        source: String,
        at: String,
    },
    /// An exact aggregate (a count, a maximum) has no interval.
    ExactAggregate { aggregate: String },
    /// A plain value has no sampling error.
    PlainValue,
    /// A ratio that counts a whole population (lines covered): compared exactly.
    Census { metric: String },
    /// `max < t` / `min > t` is a claim about the tail: it passes only when, with no sample
    /// past `t`, the exact bound on the share past `t` is within `tail`.
    Tail {
        tail: String,
        bound: String,
        samples: u64,
    },
    /// A relative gate compared two samples, each interval at `confidence`.
    TwoSample { confidence: String },
    /// The gate's waiver has expired.
    WaiverExpired { owner: String, expires: String },
    /// Text as its author wrote it: an engine's caveat on a metric, the formula of a relative
    /// threshold. Not translated.
    Text(String),
    /// Records stamped with another commit than the candidate's were set aside.
    OtherCommit { records: usize, commit: String },
    /// Engine records about services the policy does not name were set aside.
    NotNamed { records: usize, sources: String },
    /// Records dated in the future were set aside.
    FromTheFuture { records: usize },
    /// Records that repeat another (the same record twice, the same producer's reading of the
    /// same input) counted once.
    Duplicates { records: usize },
    /// Older measurements of the same source by the same producer were superseded by the
    /// newest.
    Superseded { records: usize, sources: String },
    /// Plain values of several sources were combined, as the metric's combiner says.
    Combined { records: usize, how: String },
    /// Split ratios of several records were combined as a union by part.
    Union {
        records: usize,
        parts: usize,
        k: u64,
        n: u64,
    },
    /// The evidence is incomplete: what the producer could not do (the sentences without a
    /// code, joined; the coded ones are each a [`Rule::Note`]).
    Incomplete { what: String },
    /// The segments of one distributed test (`load --segment I/N`) were judged as one run.
    SegmentsAsOne { test: String, segments: u64 },
    /// The clocks of the machines that ran a distributed test disagree by more than the
    /// limit (seconds, one decimal).
    ClockSpread {
        test: String,
        seconds: String,
        limit: String,
    },
    /// A relative gate's threshold: the baseline's figure times (1 ± percent), and where the
    /// baseline came from (` (verdict.json, sha256 …)`, or empty).
    RelativeThreshold {
        aggregate: String,
        baseline: String,
        sign: String,
        percent: String,
        source: String,
    },
    /// A producer's note: a caveat on the metric (`incomplete: false`), or one thing it could
    /// not do (`incomplete: true`). `text` is the producer's English; `code`, when the
    /// producer gave one, lets a report word it in its language (issue 17).
    Note {
        text: String,
        code: Option<NoteCode>,
        incomplete: bool,
    },
}

impl Rule {
    /// A stable name for the kind of rule (the report catalogue's key is `rule.<kind>`).
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::ExcludedStale { .. } => "excluded_stale",
            Rule::Summed { .. } => "summed",
            Rule::MergedHistograms { .. } => "merged_histograms",
            Rule::NewestValue { .. } => "newest_value",
            Rule::ExactAggregate { .. } => "exact_aggregate",
            Rule::PlainValue => "plain_value",
            Rule::Census { .. } => "census",
            Rule::Tail { .. } => "tail",
            Rule::TwoSample { .. } => "two_sample",
            Rule::WaiverExpired { .. } => "waiver_expired",
            Rule::Text(_) => "text",
            Rule::OtherCommit { .. } => "other_commit",
            Rule::NotNamed { .. } => "not_named",
            Rule::FromTheFuture { .. } => "from_the_future",
            Rule::Duplicates { .. } => "duplicates",
            Rule::Superseded { .. } => "superseded",
            Rule::Combined { .. } => "combined",
            Rule::Union { .. } => "union",
            Rule::SegmentsAsOne { .. } => "segments_as_one",
            Rule::ClockSpread { .. } => "clock_spread",
            Rule::RelativeThreshold { .. } => "relative_threshold",
            Rule::Incomplete { .. } => "incomplete",
            Rule::Note { .. } => "note",
        }
    }

    /// The rule's figures and names, by placeholder name.
    pub fn values(&self) -> Vec<(&'static str, String)> {
        match self {
            Rule::ExcludedStale { records, max_age } => {
                vec![
                    ("records", records.to_string()),
                    ("max_age", max_age.clone()),
                ]
            }
            Rule::Summed {
                records,
                k,
                n,
                unit,
            } => vec![
                ("records", records.to_string()),
                ("k", k.to_string()),
                ("n", n.to_string()),
                ("unit", unit.clone()),
            ],
            Rule::MergedHistograms { records, samples } => vec![
                ("records", records.to_string()),
                ("samples", samples.to_string()),
            ],
            Rule::NewestValue {
                records,
                metric,
                source,
                at,
            } => vec![
                ("records", records.to_string()),
                ("metric", metric.clone()),
                ("source", source.clone()),
                ("at", at.clone()),
            ],
            Rule::ExactAggregate { aggregate } => vec![("aggregate", aggregate.clone())],
            Rule::PlainValue => Vec::new(),
            Rule::Census { metric } => vec![("metric", metric.clone())],
            Rule::Tail {
                tail,
                bound,
                samples,
            } => vec![
                ("tail", tail.clone()),
                ("bound", bound.clone()),
                ("samples", samples.to_string()),
            ],
            Rule::TwoSample { confidence } => vec![("confidence", confidence.clone())],
            Rule::WaiverExpired { owner, expires } => {
                vec![("owner", owner.clone()), ("expires", expires.clone())]
            }
            Rule::Text(text) => vec![("text", text.clone())],
            Rule::OtherCommit { records, commit } => {
                vec![("records", records.to_string()), ("commit", commit.clone())]
            }
            Rule::NotNamed { records, sources } | Rule::Superseded { records, sources } => {
                vec![
                    ("records", records.to_string()),
                    ("sources", sources.clone()),
                ]
            }
            Rule::FromTheFuture { records } | Rule::Duplicates { records } => {
                vec![("records", records.to_string())]
            }
            Rule::Combined { records, how } => {
                vec![("records", records.to_string()), ("how", how.clone())]
            }
            Rule::Union {
                records,
                parts,
                k,
                n,
            } => vec![
                ("records", records.to_string()),
                ("parts", parts.to_string()),
                ("k", k.to_string()),
                ("n", n.to_string()),
            ],
            Rule::Incomplete { what } => vec![("what", what.clone())],
            Rule::SegmentsAsOne { test, segments } => {
                vec![("test", test.clone()), ("segments", segments.to_string())]
            }
            Rule::ClockSpread {
                test,
                seconds,
                limit,
            } => vec![
                ("test", test.clone()),
                ("seconds", seconds.clone()),
                ("limit", limit.clone()),
            ],
            Rule::RelativeThreshold {
                aggregate,
                baseline,
                sign,
                percent,
                source,
            } => vec![
                ("aggregate", aggregate.clone()),
                ("baseline", baseline.clone()),
                ("sign", sign.clone()),
                ("percent", percent.clone()),
                ("source", source.clone()),
            ],
            Rule::Note {
                text,
                code,
                incomplete,
            } => {
                let mut values = vec![
                    ("text", text.clone()),
                    ("incomplete", incomplete.to_string()),
                ];
                if let Some(code) = code {
                    values.push(("code", code.code.clone()));
                    values.push((
                        "args",
                        serde_json::to_string(&code.args).expect("a map of strings serialises"),
                    ));
                }
                values
            }
        }
    }
}

impl Rule {
    /// The rule back from its kind and values (the inverse of [`Rule::kind`] and
    /// [`Rule::values`]), as a saved verdict holds it; `None` for a kind this version does not
    /// know or a value missing or unreadable.
    pub fn from_parts(kind: &str, values: &dyn Fn(&str) -> Option<String>) -> Option<Rule> {
        let text = |name: &str| values(name);
        let count = |name: &str| values(name)?.parse::<usize>().ok();
        let number = |name: &str| values(name)?.parse::<u64>().ok();
        Some(match kind {
            "excluded_stale" => Rule::ExcludedStale {
                records: count("records")?,
                max_age: text("max_age")?,
            },
            "summed" => Rule::Summed {
                records: count("records")?,
                k: number("k")?,
                n: number("n")?,
                unit: text("unit")?,
            },
            "merged_histograms" => Rule::MergedHistograms {
                records: count("records")?,
                samples: number("samples")?,
            },
            "newest_value" => Rule::NewestValue {
                records: count("records")?,
                metric: text("metric")?,
                source: text("source")?,
                at: text("at")?,
            },
            "exact_aggregate" => Rule::ExactAggregate {
                aggregate: text("aggregate")?,
            },
            "plain_value" => Rule::PlainValue,
            "census" => Rule::Census {
                metric: text("metric")?,
            },
            "tail" => Rule::Tail {
                tail: text("tail")?,
                bound: text("bound")?,
                samples: number("samples")?,
            },
            "two_sample" => Rule::TwoSample {
                confidence: text("confidence")?,
            },
            "waiver_expired" => Rule::WaiverExpired {
                owner: text("owner")?,
                expires: text("expires")?,
            },
            "text" => Rule::Text(text("text")?),
            "other_commit" => Rule::OtherCommit {
                records: count("records")?,
                commit: text("commit")?,
            },
            "not_named" => Rule::NotNamed {
                records: count("records")?,
                sources: text("sources")?,
            },
            "from_the_future" => Rule::FromTheFuture {
                records: count("records")?,
            },
            "duplicates" => Rule::Duplicates {
                records: count("records")?,
            },
            "superseded" => Rule::Superseded {
                records: count("records")?,
                sources: text("sources")?,
            },
            "combined" => Rule::Combined {
                records: count("records")?,
                how: text("how")?,
            },
            "union" => Rule::Union {
                records: count("records")?,
                parts: count("parts")?,
                k: number("k")?,
                n: number("n")?,
            },
            "incomplete" => Rule::Incomplete {
                what: text("what")?,
            },
            "segments_as_one" => Rule::SegmentsAsOne {
                test: text("test")?,
                segments: number("segments")?,
            },
            "clock_spread" => Rule::ClockSpread {
                test: text("test")?,
                seconds: text("seconds")?,
                limit: text("limit")?,
            },
            "relative_threshold" => Rule::RelativeThreshold {
                aggregate: text("aggregate")?,
                baseline: text("baseline")?,
                sign: text("sign")?,
                percent: text("percent")?,
                source: text("source")?,
            },
            "note" => Rule::Note {
                text: text("text")?,
                code: match text("code") {
                    None => None,
                    Some(code) => Some(NoteCode {
                        code,
                        args: match text("args") {
                            None => Default::default(),
                            Some(args) => serde_json::from_str(&args).ok()?,
                        },
                    }),
                },
                incomplete: text("incomplete")? == "true",
            },
            _ => return None,
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::ExcludedStale { records, max_age } => write!(
                f,
                "excluded {records} record{} older than max_age {max_age}",
                if *records == 1 { "" } else { "s" }
            ),
            Rule::Summed {
                records,
                k,
                n,
                unit,
            } => write!(f, "summed {records} records: {k} of {n} {unit}"),
            Rule::MergedHistograms { records, samples } => write!(
                f,
                "merged the histograms of {records} records ({samples} samples)"
            ),
            Rule::NewestValue {
                records,
                metric,
                source,
                at,
            } => write!(
                f,
                "{records} records give `{metric}`: used the newest, from {source} at {at}"
            ),
            Rule::ExactAggregate { aggregate } => {
                write!(f, "`{aggregate}` is exact: compared directly, no interval")
            }
            Rule::PlainValue => {
                f.write_str("a plain value has no sampling error: compared directly")
            }
            Rule::Census { metric } => write!(
                f,
                "`{metric}` counts a whole population (a census, not a sample): compared exactly, no interval"
            ),
            Rule::Tail {
                tail,
                bound,
                samples,
            } => write!(
                f,
                "a tail claim: fails on the first sample past the threshold, passes only when the bound on the share past it ({bound} from {samples} samples) is within {tail}"
            ),
            Rule::TwoSample { confidence } => write!(
                f,
                "two samples: each run's interval at {confidence}, compared conservatively"
            ),
            Rule::WaiverExpired { owner, expires } => write!(
                f,
                "the waiver by {owner} expired on {expires}: the gate counts again"
            ),
            Rule::Text(text) => f.write_str(text),
            Rule::OtherCommit { records, commit } => write!(
                f,
                "set aside {records} record{} about another commit than {commit}",
                plural_s(*records)
            ),
            Rule::NotNamed { records, sources } => write!(
                f,
                "set aside {records} record{} about {sources}, which the policy does not name",
                plural_s(*records)
            ),
            Rule::FromTheFuture { records } => write!(
                f,
                "set aside {records} record{} dated in the future",
                plural_s(*records)
            ),
            Rule::Duplicates { records } => write!(
                f,
                "counted once: {records} record{} repeated another (same record, or the same producer on the same input)",
                plural_s(*records)
            ),
            Rule::Superseded { records, sources } => write!(
                f,
                "{records} older measurement{} of {sources} superseded by the newest",
                plural_s(*records)
            ),
            Rule::Combined { records, how } => {
                write!(f, "combined {records} sources: {how}")
            }
            Rule::Union {
                records,
                parts,
                k,
                n,
            } => write!(
                f,
                "union of {records} reports by file: {parts} files, {k} of {n}"
            ),
            Rule::Incomplete { what } => write!(f, "the evidence is incomplete: {what}"),
            Rule::SegmentsAsOne { test, segments } => write!(
                f,
                "test {test}: its {segments} segments are judged as one run"
            ),
            Rule::ClockSpread {
                test,
                seconds,
                limit,
            } => write!(
                f,
                "the clocks of the machines that ran test {test} disagree by about {seconds} s (more than {limit} s): their schedules may not have started together"
            ),
            Rule::RelativeThreshold {
                aggregate,
                baseline,
                sign,
                percent,
                source,
            } => write!(
                f,
                "threshold = baseline {aggregate} {baseline} × (1 {sign} {percent}%){source}"
            ),
            Rule::Note {
                text,
                incomplete: true,
                ..
            } => write!(f, "the evidence is incomplete: {text}"),
            Rule::Note { text, .. } => f.write_str(text),
        }
    }
}

fn plural_s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What would settle an inconclusive gate, as data (renderers word it in their language);
/// `Display` gives the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// About `more` more samples (or trials, for a rate) would decide it, reaching `total`
    /// when the search found it, assuming what was measured so far holds.
    More {
        more: u64,
        total: Option<u64>,
        counted: Counted,
    },
    /// The point estimate sits on the threshold: no number of samples decides it.
    OnThreshold { mean: bool },
    /// The English sentence of a verdict written before this was data (read back from
    /// verdict.json): shown as written, in every language.
    Text(String),
}

/// What a gate's `n` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Samples of a distribution (latencies, sizes).
    Samples,
    /// Trials behind a rate (requests, tests, probes).
    Trials,
}

impl Counted {
    pub fn as_str(self) -> &'static str {
        match self {
            Counted::Samples => "samples",
            Counted::Trials => "trials",
        }
    }
}

impl fmt::Display for Settle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Settle::Text(ref text) => f.write_str(text),
            Settle::More {
                more,
                total,
                counted,
            } => {
                let holds = match counted {
                    Counted::Samples => "distribution",
                    Counted::Trials => "rate",
                };
                match total {
                    Some(total) => write!(
                        f,
                        "needs about {more} more {} (n ≈ {total}) if the {holds} holds",
                        counted.as_str()
                    ),
                    None => write!(
                        f,
                        "needs about {more} more {} if the {holds} holds",
                        counted.as_str()
                    ),
                }
            }
            Settle::OnThreshold { mean: true } => {
                f.write_str("the mean sits on the threshold: more samples will not settle it")
            }
            Settle::OnThreshold { mean: false } => f.write_str(
                "more samples will not settle it: the measured value sits on the threshold",
            ),
        }
    }
}

/// What was measured, in base units (seconds, fractions, bytes, numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub point: f64,
    /// `None` for exact aggregates (a value, a count, an observed maximum).
    pub interval: Option<Interval>,
    /// Samples or trials behind the figure (`None` for a plain value).
    pub n: Option<u64>,
    /// Events, for a ratio.
    pub k: Option<u64>,
    pub dimension: Dimension,
    /// The interval at `1 − α/2` (97.5 % when the gate's confidence is 95 %), what a later
    /// run's relative gate compares with; `None` where `interval` is.
    pub pair: Option<Interval>,
}

impl Measured {
    pub fn display_point(&self) -> String {
        format_base(self.point, self.dimension)
    }

    pub fn display_interval(&self) -> Option<String> {
        self.display_interval_beside(None)
    }

    /// The point beside the threshold it is compared with: with the digits that tell the two
    /// apart when they differ (`units::format_base_beside`).
    pub fn display_point_beside(&self, threshold: Option<f64>) -> String {
        format_base_beside(self.point, self.dimension, threshold)
    }

    /// The interval beside the threshold it is compared with: each end with the digits that
    /// tell it from the threshold (an upper bound of 0.50004 s beside `< 500 ms` reads
    /// `500.04 ms`, never `500 ms`).
    pub fn display_interval_beside(&self, threshold: Option<f64>) -> Option<String> {
        self.interval.map(|i| {
            format!(
                "[{}, {}]",
                format_base_beside(i.lower, self.dimension, threshold),
                format_base_beside(i.upper, self.dimension, threshold)
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverState {
    pub reason: String,
    pub owner: String,
    pub expires: jiff::civil::Date,
    /// An expired waiver is shown but no longer applies.
    pub expired: bool,
    /// The status the gate had before the waiver.
    pub underlying: GateStatus,
}

/// Provenance of one evidence record.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRef {
    pub kind: String,
    pub source: Source,
    pub sha256: String,
    pub collected_at: Timestamp,
    pub tool: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineRef {
    pub source: String,
    pub sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of rule reads back from its kind and values as the same rule.
    #[test]
    fn every_rule_reads_back_from_its_parts() {
        let rules = [
            Rule::ExcludedStale {
                records: 2,
                max_age: "24 h".into(),
            },
            Rule::Summed {
                records: 2,
                k: 1,
                n: 1000,
                unit: "requests".into(),
            },
            Rule::MergedHistograms {
                records: 3,
                samples: 600,
            },
            Rule::NewestValue {
                records: 2,
                metric: "m".into(),
                source: "url x".into(),
                at: "2026-11-25T12:00:00Z".into(),
            },
            Rule::ExactAggregate {
                aggregate: "count".into(),
            },
            Rule::PlainValue,
            Rule::Census { metric: "c".into() },
            Rule::Tail {
                tail: "0.1 %".into(),
                bound: "0.05 %".into(),
                samples: 7,
            },
            Rule::TwoSample {
                confidence: "97.5 %".into(),
            },
            Rule::WaiverExpired {
                owner: "alice".into(),
                expires: "2026-11-24".into(),
            },
            Rule::Text("as written".into()),
            Rule::OtherCommit {
                records: 1,
                commit: "abc".into(),
            },
            Rule::NotNamed {
                records: 4,
                sources: "a, b".into(),
            },
            Rule::FromTheFuture { records: 5 },
            Rule::Duplicates { records: 6 },
            Rule::Superseded {
                records: 7,
                sources: "s".into(),
            },
            Rule::Combined {
                records: 8,
                how: "summed".into(),
            },
            Rule::Union {
                records: 9,
                parts: 3,
                k: 10,
                n: 20,
            },
            Rule::Incomplete {
                what: "checks did not run".into(),
            },
            Rule::SegmentsAsOne {
                test: "t-1".into(),
                segments: 4,
            },
            Rule::ClockSpread {
                test: "t-1".into(),
                seconds: "2.5".into(),
                limit: "1.5".into(),
            },
            Rule::RelativeThreshold {
                aggregate: "p(95)".into(),
                baseline: "120 ms".into(),
                sign: "+".into(),
                percent: "10".into(),
                source: " (verdict.json, sha256 0123456789ab)".into(),
            },
            Rule::Note {
                text: "2 of 16 checks did not run because of errors: cors, hsts".into(),
                code: Some(
                    NoteCode::new("harden.checks_errored")
                        .arg("count", 2)
                        .arg("total", 16)
                        .arg("checks", "cors, hsts"),
                ),
                incomplete: true,
            },
            Rule::Note {
                text: "sample count unknown".into(),
                code: None,
                incomplete: false,
            },
        ];
        for rule in rules {
            let values = rule.values();
            let lookup = |name: &str| {
                values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(Rule::from_parts(rule.kind(), &lookup), Some(rule.clone()));
        }
        assert_eq!(Rule::from_parts("summed", &|_| None), None);
        assert_eq!(
            Rule::from_parts("no_such_kind", &|_| Some("1".into())),
            None
        );
    }
}
