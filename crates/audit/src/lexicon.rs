//! The audit's words, in Chinese and English, as data: every rule reads its vocabulary from
//! here, so a reader can see (and a maintainer extend) exactly what a rule recognises.
//! Matching is on lower-cased text; CJK entries match as substrings, ASCII entries too (so
//! keep ASCII entries specific enough to be substrings of nothing else that matters).

use aho_corasick::{AhoCorasick, MatchKind};
use std::cell::RefCell;

/// Status marks: emoji and checkbox-like glyphs, with what they claim.
pub const MARKS: &[(&str, Mark)] = &[
    ("✅", Mark::Success),
    ("✔", Mark::Success),
    ("☑", Mark::Success),
    ("🎉", Mark::Success),
    ("⚠️", Mark::Warning),
    ("⚠", Mark::Warning),
    ("❌", Mark::Failure),
    ("✗", Mark::Failure),
    ("✘", Mark::Failure),
    ("🔴", Mark::Failure),
    ("🟡", Mark::Partial),
    ("🟠", Mark::Partial),
    ("🔄", Mark::Pending),
    ("📌", Mark::Pending),
    ("⏳", Mark::Pending),
    ("🚧", Mark::Pending),
];

/// Words that claim success when no glyph does ("通过", "approved").
pub const SUCCESS_WORDS: &[&str] = &[
    "完成",
    "通过",
    "达标",
    "达成",
    "成功",
    "已批准",
    "批准发布",
    "已验证",
    "已解决",
    "已缓解",
    "approved",
    "passed",
    "completed",
    "verified",
    "achieved",
    "meets target",
    "met target",
    "on target",
];

/// Words that say a figure meets a target; without a stated target the claim is unsupported.
pub const MEETS_TARGET: &[&str] = &[
    "达标",
    "meets target",
    "met target",
    "on target",
    "target met",
];

/// A ❌ followed by one of these marks a prohibition, not a failure ("❌ 禁止: 实时报价").
pub const PROHIBITION: &[&str] = &[
    "禁止",
    "不允许",
    "不得",
    "forbidden",
    "not allowed",
    "never",
    "don't",
    "do not",
];

/// Readiness words that are a verdict only with a success mark or word beside them
/// ("✅ 生产就绪", "production ready: approved").
pub const READINESS: &[&str] = &["生产就绪", "production ready", "production-ready"];

/// Readiness verdicts by themselves: the report's answer to "may this go to production?".
pub const READINESS_VERDICTS: &[&str] = &[
    "可安全部署",
    "可立即投入生产",
    "投入生产使用",
    "生产就绪度",
    "approved for production",
    "ready for production",
    "ready to ship",
    "safe to deploy",
    "go for production",
    "readiness score",
    "风险等级: 低",
    "风险等级：低",
    "总体风险: 低",
    "总体风险：低",
    "低风险",
    "risk level: low",
    "overall risk: low",
    "预计go时间",
];

/// Section headings whose content is future work.
pub const FUTURE_HEADINGS: &[&str] = &[
    "下一步",
    "后续",
    "待办",
    "待改进",
    "计划",
    "短期",
    "中期",
    "长期",
    "next step",
    "follow-up",
    "follow up",
    "todo",
    "future work",
    "roadmap",
    "remaining work",
];

/// Words that make an item open: pending, failed, blocking, not done.
pub const OPEN_WORDS: &[&str] = &[
    "待修复",
    "待部署",
    "待生成",
    "待验证",
    "待完成",
    "未完成",
    "未达标",
    "阻塞",
    "即将进入",
    "推荐后续",
    "失败",
    "状态异常",
    "blocker",
    "blocked",
    "pending",
    "not yet",
    "todo",
    "failing",
    "failed",
    "to be fixed",
    "in progress",
];

/// Words that make a future item a validation still to do (tests, measurements, deployment).
pub const VALIDATION_WORDS: &[&str] = &[
    "验证",
    "测试",
    "采样",
    "基准",
    "重新评估",
    "部署",
    "test",
    "validat",
    "verif",
    "benchmark",
    "measure",
    "sample",
    "deploy",
    "load test",
];

/// Words near a number that make it a stated target.
pub const TARGET_WORDS: &[&str] = &[
    "目标",
    "预期",
    "阈值",
    "要求",
    "target",
    "goal",
    "slo",
    "threshold",
    "budget",
    "expected",
];

/// Words naming a method or basis for a score; a score with none of them is unsupported.
pub const METHOD_WORDS: &[&str] = &[
    "评分方法",
    "评分标准",
    "计算方法",
    "评分依据",
    "rubric",
    "methodology",
    "scoring method",
    "scored by",
    "scored with",
    "method:",
];

/// Labels that make a number a score or grade ("安全评级", "rating").
pub const SCORE_LABELS: &[&str] = &[
    "评分",
    "评级",
    "得分",
    "就绪度",
    "score",
    "rating",
    "grade",
    "readiness:",
];

/// Measured quantities, recognised by their label, with the direction that is good.
pub const METRICS: &[(&str, MetricKind)] = &[
    ("可用性", MetricKind::Availability),
    ("可用率", MetricKind::Availability),
    ("availability", MetricKind::Availability),
    ("uptime", MetricKind::Availability),
    ("错误率", MetricKind::ErrorRate),
    ("失败率", MetricKind::ErrorRate),
    ("error rate", MetricKind::ErrorRate),
    ("failure rate", MetricKind::ErrorRate),
    ("通过率", MetricKind::PassRate),
    ("pass rate", MetricKind::PassRate),
    ("成功率", MetricKind::SuccessRate),
    ("success rate", MetricKind::SuccessRate),
    ("覆盖率", MetricKind::Coverage),
    ("coverage", MetricKind::Coverage),
    ("响应时间", MetricKind::Latency),
    ("延迟", MetricKind::Latency),
    ("latency", MetricKind::Latency),
    ("response time", MetricKind::Latency),
    ("执行时间", MetricKind::Duration),
    ("耗时", MetricKind::Duration),
    ("duration", MetricKind::Duration),
    ("build time", MetricKind::Duration),
    ("吞吐量", MetricKind::Throughput),
    ("throughput", MetricKind::Throughput),
];

/// The words of [`METRICS`], in order, for [`first`].
pub const METRIC_WORDS: &[&str] = &[
    "可用性",
    "可用率",
    "availability",
    "uptime",
    "错误率",
    "失败率",
    "error rate",
    "failure rate",
    "通过率",
    "pass rate",
    "成功率",
    "success rate",
    "覆盖率",
    "coverage",
    "响应时间",
    "延迟",
    "latency",
    "response time",
    "执行时间",
    "耗时",
    "duration",
    "build time",
    "吞吐量",
    "throughput",
];

/// The words of [`NEEDS_EVIDENCE`], in order, for [`first`].
pub const NEEDS_EVIDENCE_WORDS: &[&str] = &[
    "覆盖率",
    "coverage",
    "漏洞",
    "vulnerab",
    "安全风险已全部缓解",
    "gdpr",
    "pci dss",
    "hipaa",
    "soc 2",
    "iso 27001",
    "rbac",
    "测试",
    "tests",
];

/// What names evidence: a file of a report format, or a URL.
pub const EVIDENCE_NAMES: &[&str] = &[
    ".md", ".xml", ".json", ".html", ".log", ".lcov", ".info", ".sarif", ".txt", ".csv", ".jsonl",
    "http://", "https://",
];

/// Claims that need evidence to be believed, with what kind of evidence.
pub const NEEDS_EVIDENCE: &[(&str, &str)] = &[
    ("覆盖率", "a coverage report"),
    ("coverage", "a coverage report"),
    ("漏洞", "a dependency or security scan"),
    ("vulnerab", "a dependency or security scan"),
    ("安全风险已全部缓解", "a security assessment"),
    ("gdpr", "a compliance assessment"),
    ("pci dss", "a compliance assessment"),
    ("hipaa", "a compliance assessment"),
    ("soc 2", "a compliance assessment"),
    ("iso 27001", "a compliance assessment"),
    ("rbac", "an access-control test or review"),
    ("测试", "a test report or the command that ran the tests"),
    ("tests", "a test report or the command that ran the tests"),
];

/// A pass or success rate, an availability below this (percent) is a failure by itself.
pub const FAILING_SUCCESS_BELOW: f64 = 90.0;
/// An error rate above this (percent) is a failure by itself.
pub const FAILING_ERROR_ABOVE: f64 = 5.0;

/// Words that, after a count, are not part of what is counted (English).
pub const COUNT_STOPWORDS: &[&str] = &[
    "in", "of", "and", "or", "are", "were", "was", "is", "the", "a", "an", "with", "for", "to",
    "from", "on", "at", "by", "all", "have", "has", "had", "been",
];

/// ASCII words too common to show that a ticked item is backed by the body.
pub const TICK_STOPWORDS: &[&str] = &[
    "rps",
    "qps",
    "req",
    "the",
    "and",
    "all",
    "for",
    "with",
    "are",
    "was",
    "has",
    "have",
    "not",
    "done",
    "pass",
    "passed",
    "success",
    "complete",
    "completed",
    "ready",
    "yes",
    "via",
    "from",
    "into",
    "this",
    "that",
    "full",
    "fully",
    "new",
    "ok",
];

/// Things a success mark and a failure reported elsewhere can both name (rule
/// `mark.failed-elsewhere`): each word with the topic it names. Kinds of test and subsystems
/// only, named specifically: a generic word ("build", "部署") would tie honest lines together
/// (an Android build ✅ beside an iOS build ❌).
pub const TOPICS: &[(&str, &str)] = &[
    ("e2e", "end-to-end tests"),
    ("端到端", "end-to-end tests"),
    ("end-to-end", "end-to-end tests"),
    ("end to end", "end-to-end tests"),
    ("压测", "load tests"),
    ("压力测试", "load tests"),
    ("负载测试", "load tests"),
    ("loadtest", "load tests"),
    ("load test", "load tests"),
    ("load-test", "load tests"),
    ("stress test", "load tests"),
    ("k6", "load tests"),
    ("locust", "load tests"),
    ("jmeter", "load tests"),
    ("异步", "asynchronous services"),
    ("async", "asynchronous services"),
    ("冒烟", "smoke tests"),
    ("smoke test", "smoke tests"),
    ("集成测试", "integration tests"),
    ("integration test", "integration tests"),
    ("单元测试", "unit tests"),
    ("unit test", "unit tests"),
    ("回滚", "rollback"),
    ("rollback", "rollback"),
    ("备份", "backups"),
    ("backup", "backups"),
    ("数据迁移", "data migration"),
    ("data migration", "data migration"),
];

/// The words of [`TOPICS`], in order, for [`all`].
pub const TOPIC_WORDS: &[&str] = &[
    "e2e",
    "端到端",
    "end-to-end",
    "end to end",
    "压测",
    "压力测试",
    "负载测试",
    "loadtest",
    "load test",
    "load-test",
    "stress test",
    "k6",
    "locust",
    "jmeter",
    "异步",
    "async",
    "冒烟",
    "smoke test",
    "集成测试",
    "integration test",
    "单元测试",
    "unit test",
    "回滚",
    "rollback",
    "备份",
    "backup",
    "数据迁移",
    "data migration",
];

/// Words that make a line under (or in) a blocker heading a failure ("BLOCKER #2:
/// 异步验证服务状态异常").
pub const BLOCKER_WORDS: &[&str] = &["blocker", "阻塞", "阻断", "showstopper"];

/// Words that report a failure.
pub const FAILURE_WORDS: &[&str] = &[
    "异常",
    "失败",
    "不可用",
    "未通过",
    "报错",
    "崩溃",
    "failed",
    "failing",
    "fails",
    "broken",
    "not working",
    "crash",
];

/// Words that name a pass or success rate (a 0 % one is a failure by itself).
pub const RATE_WORDS: &[&str] = &["通过率", "成功率", "pass rate", "passing", "success rate"];

/// A risk marked as dealt with (rule `risk.advice`).
pub const MITIGATED: &[&str] = &["已缓解", "缓解完成", "mitigated"];

/// A table head cell over the mitigation of a risk.
pub const MITIGATION_HEAD: &[&str] = &["缓解措施", "应对措施", "措施", "mitigation"];

/// Words that make a mitigation advice, not a thing done.
pub const ADVICE_WORDS: &[&str] = &[
    "建议",
    "推荐",
    "计划",
    "待",
    "recommend",
    "should",
    "consider",
    "todo",
    "to do",
    "planned",
    "will ",
];

/// What a score is about (rule `score.range`): each word with its subject.
pub const SCORE_SUBJECTS: &[(&str, &str)] = &[
    ("文档", "documentation"),
    ("documentation", "documentation"),
    ("document", "documentation"),
    ("docs", "documentation"),
    ("guide", "documentation"),
    ("代码", "code"),
    ("code", "code"),
    ("安全", "security"),
    ("security", "security"),
    ("测试", "tests"),
    ("test", "tests"),
];

/// The words of [`SCORE_SUBJECTS`], in order.
pub const SCORE_SUBJECT_WORDS: &[&str] = &[
    "文档",
    "documentation",
    "document",
    "docs",
    "guide",
    "代码",
    "code",
    "安全",
    "security",
    "测试",
    "test",
];

/// A table head cell over figures from before a change ("改进前", "Before").
pub const BEFORE_HEAD: &[&str] = &["前", "before", "baseline", "previous", "初始", "原"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Success,
    Warning,
    Failure,
    Partial,
    Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Availability,
    ErrorRate,
    PassRate,
    SuccessRate,
    Coverage,
    Latency,
    Duration,
    Throughput,
}

impl MetricKind {
    /// Whether more is better.
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            MetricKind::Availability
                | MetricKind::PassRate
                | MetricKind::SuccessRate
                | MetricKind::Coverage
                | MetricKind::Throughput
        )
    }

    /// Whether the figure is a share of trials (k of n).
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            MetricKind::Availability
                | MetricKind::ErrorRate
                | MetricKind::PassRate
                | MetricKind::SuccessRate
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            MetricKind::Availability => "availability",
            MetricKind::ErrorRate => "error rate",
            MetricKind::PassRate => "pass rate",
            MetricKind::SuccessRate => "success rate",
            MetricKind::Coverage => "coverage",
            MetricKind::Latency => "latency",
            MetricKind::Duration => "duration",
            MetricKind::Throughput => "throughput",
        }
    }
}

thread_local! {
    /// One automaton per word list, built on first use (keyed by the list's address).
    /// (a dozen lists: a linear search of addresses is cheaper than hashing them).
    static AUTOMATA: RefCell<Vec<(usize, usize, AhoCorasick)>> = const { RefCell::new(Vec::new()) };
}

fn with_automaton<R>(words: &'static [&'static str], f: impl FnOnce(&AhoCorasick) -> R) -> R {
    let key = (words.as_ptr() as usize, words.len());
    AUTOMATA.with(|cell| {
        let mut list = cell.borrow_mut();
        let at = match list.iter().position(|(p, n, _)| (*p, *n) == key) {
            Some(at) => at,
            None => {
                let automaton = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(words)
                    .expect("the lexicon's words build an automaton");
                list.push((key.0, key.1, automaton));
                list.len() - 1
            }
        };
        f(&list[at].2)
    })
}

/// Whether `haystack` (lower-cased) contains any of `words`: one pass over the text, however
/// long the list.
pub fn any(haystack: &str, words: &'static [&'static str]) -> bool {
    with_automaton(words, |a| a.is_match(haystack))
}

/// The first of `words` in `haystack` (leftmost), as (byte offset, index in `words`).
pub fn first(haystack: &str, words: &'static [&'static str]) -> Option<(usize, usize)> {
    with_automaton(words, |a| {
        a.find(haystack)
            .map(|m| (m.start(), m.pattern().as_usize()))
    })
}

/// Every one of `words` in `haystack` (leftmost, not overlapping), as indices in `words`.
pub fn all(haystack: &str, words: &'static [&'static str]) -> Vec<usize> {
    with_automaton(words, |a| {
        a.find_iter(haystack)
            .map(|m| m.pattern().as_usize())
            .collect()
    })
}

/// The glyphs of [`MARKS`], in order, for [`first`].
pub const MARK_GLYPHS: &[&str] = &[
    "✅", "✔", "☑", "🎉", "⚠️", "⚠", "❌", "✗", "✘", "🔴", "🟡", "🟠", "🔄", "📌", "⏳", "🚧",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_follow_marks() {
        let glyphs: Vec<&str> = MARKS.iter().map(|(g, _)| *g).collect();
        assert_eq!(glyphs, MARK_GLYPHS);
        let words: Vec<&str> = METRICS.iter().map(|(w, _)| *w).collect();
        assert_eq!(words, METRIC_WORDS);
        let words: Vec<&str> = NEEDS_EVIDENCE.iter().map(|(w, _)| *w).collect();
        assert_eq!(words, NEEDS_EVIDENCE_WORDS);
        let words: Vec<&str> = TOPICS.iter().map(|(w, _)| *w).collect();
        assert_eq!(words, TOPIC_WORDS);
        let words: Vec<&str> = SCORE_SUBJECTS.iter().map(|(w, _)| *w).collect();
        assert_eq!(words, SCORE_SUBJECT_WORDS);
        assert_eq!(
            first("x ⚠️ y ✅", MARK_GLYPHS).map(|(_, i)| MARKS[i].1),
            Some(Mark::Warning)
        );
        assert!(any("p95 latency", &["latency"]) && !any("p95", &["latency"]));
    }
}
