//! The rules: claims extracted from the blocks, then findings. Every finding names its rule
//! id; docs/audit.md says what each rule means, with an example.

use std::collections::{BTreeMap, HashMap, HashSet};

use gonogo_core::stats;

use crate::lexicon::{self, Mark, MetricKind};
use crate::markdown::{Block, BlockKind};
use crate::numbers::{self, Num, NumUnit, Op};
use crate::{
    Audit, CONFIDENCE, Claim, ClaimKind, ClaimStatus, Class, Finding, MAX_ITEMS, Summary, Target,
};

/// What the rules know about one block.
struct Info {
    lower: String,
    mark: Option<Mark>,
    success: bool,
    label: String,
    nums: Vec<Num>,
    metric: Option<MetricKind>,
    percentile: Option<f64>,
    future: bool,
    readiness: bool,
    open: bool,
    /// Read for claims (a code line in a language fence is not, unless it starts with a mark).
    claims: bool,
}

fn first_mark(text: &str) -> Option<(usize, Mark)> {
    lexicon::first(text, lexicon::MARK_GLYPHS).map(|(at, i)| (at, lexicon::MARKS[i].1))
}

fn strip_marks(text: &str) -> String {
    if first_mark(text).is_none() && !text.contains('\u{fe0f}') {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (glyph, _) in lexicon::MARKS {
        if out.contains(glyph) {
            out = out.replace(glyph, "");
        }
    }
    out.replace('\u{fe0f}', "")
}

fn label_of(block: &Block) -> String {
    if let BlockKind::Row { .. } = block.kind
        && let Some(first) = block.cells.first()
    {
        return strip_marks(first).trim().to_string();
    }
    let text = block
        .text
        .trim_start_matches(['├', '└', '─', '│', ' ', '-', '*']);
    let cut = text
        .char_indices()
        .find(|(_, c)| *c == ':' || *c == '：')
        .map(|(i, _)| i)
        .filter(|&i| i <= 80);
    match cut {
        Some(i) => strip_marks(&text[..i]).trim().to_string(),
        None => String::new(),
    }
}

fn metric_of(label: &str, lower: &str) -> Option<MetricKind> {
    let label = label.to_ascii_lowercase();
    let from = |text: &str| {
        lexicon::first(text, lexicon::METRIC_WORDS).map(|(_, i)| lexicon::METRICS[i].1)
    };
    from(&label).or_else(|| if label.is_empty() { from(lower) } else { None })
}

/// "P95", "p99.9": the percentile named in the text.
fn percentile_of(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b'P' || b == b'p')
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_alphabetic) {
                continue;
            }
            if let Ok(q) = text[i + 1..j].trim_end_matches('.').parse::<f64>()
                && q > 0.0
                && q < 100.0
            {
                return Some(q);
            }
        }
    }
    None
}

fn is_future_heading(lower: &str) -> bool {
    lexicon::any(lower, lexicon::FUTURE_HEADINGS)
}

fn infos(blocks: &[Block]) -> Vec<Info> {
    let mut out: Vec<Info> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let lower = block.text.to_ascii_lowercase();
        let plain = !matches!(block.kind, BlockKind::Code { plain: false });
        let leading_mark = block
            .text
            .trim_start()
            .chars()
            .next()
            .is_some_and(|c| lexicon::MARKS.iter().any(|(g, _)| g.starts_with(c)));
        let claims = plain || leading_mark;
        let mut mark = first_mark(&block.text).map(|(_, m)| m);
        if let BlockKind::Item { task: Some(done) } = block.kind
            && mark.is_none()
        {
            mark = Some(if done { Mark::Success } else { Mark::Pending });
        }
        // "❌ 禁止: 实时报价" is a prohibition, not a failure.
        if mark == Some(Mark::Failure)
            && let Some((at, _)) = first_mark(&block.text)
        {
            let after = block.text[at..].to_ascii_lowercase();
            if lexicon::PROHIBITION.iter().any(|w| after.contains(w)) {
                mark = None;
            }
        }
        // "通过率", "成功率" name a rate; they claim nothing by themselves.
        let success = mark == Some(Mark::Success)
            || (mark.is_none()
                && lexicon::any(&lower, lexicon::SUCCESS_WORDS)
                && lexicon::any(
                    &lower.replace("通过率", "").replace("成功率", ""),
                    lexicon::SUCCESS_WORDS,
                ));
        let label = label_of(block);
        let nums = numbers::scan(&block.text);
        let metric = metric_of(&label, &lower).or_else(|| {
            // "100%成功", "100% success": a rate named after its figure.
            nums.iter().find_map(|n| {
                if n.unit != NumUnit::Percent {
                    return None;
                }
                let after: String = block.text[n.end..]
                    .chars()
                    .take(8)
                    .collect::<String>()
                    .to_ascii_lowercase();
                let after = after.trim_start();
                if after.starts_with("成功") || after.starts_with("success") {
                    Some(MetricKind::SuccessRate)
                } else if after.starts_with("通过") || after.starts_with("pass") {
                    Some(MetricKind::PassRate)
                } else {
                    None
                }
            })
        });
        let heading = match block.kind {
            BlockKind::Heading(_) => block.parent,
            _ => block.heading,
        };
        // Future work: under a heading (at any level above) that names it.
        let mut future = false;
        let mut h = heading;
        let mut hops = 0;
        while let Some(i) = h {
            if is_future_heading(&out[i].lower) {
                future = true;
                break;
            }
            h = blocks[i].parent;
            hops += 1;
            if hops > 8 {
                break;
            }
        }
        let negated = ["未", "not ", "不可"].iter().any(|w| lower.contains(w));
        let strong = lexicon::any(&lower, lexicon::READINESS_VERDICTS);
        let weak = lexicon::any(&lower, lexicon::READINESS);
        let readiness = claims && !future && !negated && (strong || (weak && success));
        let open = claims
            && !readiness
            && (matches!(
                mark,
                Some(Mark::Failure | Mark::Warning | Mark::Partial | Mark::Pending)
            ) || (mark != Some(Mark::Success)
                && !success
                && !matches!(block.kind, BlockKind::Code { .. })
                && lexicon::any(&lower, lexicon::OPEN_WORDS))
                || (future
                    && mark != Some(Mark::Success)
                    && !matches!(block.kind, BlockKind::Heading(_))
                    && lexicon::any(&lower, lexicon::VALIDATION_WORDS)));
        out.push(Info {
            nums,
            percentile: percentile_of(&block.text),
            lower,
            mark,
            success,
            label,
            metric,
            future,
            readiness,
            open,
            claims,
        });
    }
    out
}

/// The figure of a metric claim: the first number in a unit that fits the metric, not a
/// target, not a change.
fn figure(info: &Info) -> Option<&Num> {
    let metric = info.metric?;
    info.nums
        .iter()
        .find(|n| !n.target && n.sign.is_none() && n.denominator.is_none() && fits(metric, n.unit))
}

fn fits(metric: MetricKind, unit: NumUnit) -> bool {
    match metric {
        MetricKind::Latency | MetricKind::Duration => unit.is_time(),
        MetricKind::Throughput => matches!(unit, NumUnit::PerSecond | NumUnit::None),
        _ => unit == NumUnit::Percent,
    }
}

fn target_of(info: &Info) -> Option<Target> {
    let metric = info.metric?;
    let n = info
        .nums
        .iter()
        .find(|n| n.target && fits(metric, n.unit))?;
    let op = n.op.unwrap_or(if metric.higher_is_better() {
        Op::Ge
    } else {
        Op::Le
    });
    Some(Target {
        op,
        value: n.value,
        unit: n.unit,
    })
}

fn meets(value: f64, target: &Target) -> bool {
    match target.op {
        Op::Lt => value < target.value,
        Op::Le => value <= target.value,
        Op::Gt => value > target.value,
        Op::Ge => value >= target.value,
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "≤",
        Op::Gt => ">",
        Op::Ge => "≥",
    }
}

fn fmt(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let s = format!("{value:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn pct(share: f64) -> String {
    format!("{} %", fmt((share * 1000.0).round() / 10.0))
}

fn unit_text(unit: NumUnit) -> &'static str {
    match unit {
        NumUnit::Percent => " %",
        NumUnit::Millis => " ms",
        NumUnit::Seconds => " s",
        NumUnit::Minutes => " min",
        NumUnit::Hours => " h",
        NumUnit::PerSecond => "/s",
        _ => "",
    }
}

/// Whether `stated` (written with `decimals` places) is `computed` up to rounding.
fn close(stated: f64, decimals: u32, computed: f64) -> bool {
    (stated - computed).abs() <= 0.5 * 10f64.powi(-(decimals as i32)) + 0.1
}

struct Ctx<'a> {
    blocks: &'a [Block],
    infos: Vec<Info>,
    findings: Vec<Finding>,
    /// Blocks whose arithmetic or target was checked and found consistent.
    consistent: HashSet<usize>,
    /// (rule, line) of every finding made, for rules that defer to another's.
    made: HashSet<(&'static str, usize)>,
    /// Per section (the heading index, `None` before the first): whether it names a method
    /// and whether it names evidence.
    sections: HashMap<Option<usize>, (bool, bool)>,
    dropped: usize,
}

impl Ctx<'_> {
    fn find(
        &mut self,
        rule: &'static str,
        class: Class,
        block: usize,
        message: String,
        related: Vec<usize>,
    ) {
        if self.findings.len() >= MAX_ITEMS {
            self.dropped += 1;
            return;
        }
        self.made.insert((rule, self.blocks[block].line));
        self.findings.push(Finding {
            rule,
            class,
            line: self.blocks[block].line,
            quote: self.blocks[block].text.trim().to_string(),
            message,
            related,
        });
    }

    fn has(&self, rule: &str, block: usize) -> bool {
        self.made.contains(&(rule, self.blocks[block].line))
    }
}

/// Runs every rule over the blocks.
pub fn run(blocks: &[Block]) -> Audit {
    let mut ctx = Ctx {
        blocks,
        infos: infos(blocks),
        findings: Vec::new(),
        consistent: HashSet::new(),
        made: HashSet::new(),
        sections: HashMap::new(),
        dropped: 0,
    };
    for (i, block) in blocks.iter().enumerate() {
        let lower = &ctx.infos[i].lower;
        let method = lexicon::any(lower, lexicon::METHOD_WORDS);
        let evidence = names_evidence(&block.text);
        // A heading belongs to its own section (its children read it).
        let key = match block.kind {
            BlockKind::Heading(_) => Some(i),
            _ => block.heading,
        };
        let entry = ctx.sections.entry(key).or_insert((false, false));
        entry.0 |= method;
        entry.1 |= evidence;
    }
    marks(&mut ctx);
    thin(&mut ctx);
    arithmetic(&mut ctx);
    counts(&mut ctx);
    breakdowns(&mut ctx);
    scores(&mut ctx);
    score_ranges(&mut ctx);
    failed_elsewhere(&mut ctx);
    advice(&mut ctx);
    evidence_named(&mut ctx);
    ticks(&mut ctx);
    readiness(&mut ctx);
    ctx.findings.sort_by_key(|f| (f.line, f.class, f.rule));
    claims(ctx)
}

// ---------------------------------------------------------------------------------------------
// Marks against targets.

fn marks(ctx: &mut Ctx) {
    // Targets stated anywhere, by metric, for figures that do not repeat theirs.
    let mut doc_targets: HashMap<&'static str, Target> = HashMap::new();
    for info in &ctx.infos {
        if let (Some(metric), Some(target)) = (info.metric, target_of(info)) {
            doc_targets.entry(metric.name()).or_insert(target);
        }
    }
    for i in 0..ctx.infos.len() {
        let info = &ctx.infos[i];
        if !info.claims || !info.success || info.future {
            continue;
        }
        let Some(metric) = info.metric else { continue };
        let Some(fig) = figure(info) else { continue };
        let value = fig.value;
        let unit = fig.unit;
        let own = target_of(info);
        if let Some(target) = &own {
            let converted = if unit.is_time() && target.unit.is_time() {
                unit.base(value) / target.unit.base(1.0)
            } else {
                value
            };
            if meets(converted, target) {
                ctx.consistent.insert(i);
            } else {
                let message = format!(
                    "marked as a success, but {} {}{} misses its own target {} {}{}",
                    metric.name(),
                    fmt(value),
                    unit_text(unit),
                    op_text(target.op),
                    fmt(target.value),
                    unit_text(target.unit)
                );
                ctx.find(
                    "mark.misses-target",
                    Class::Contradicted,
                    i,
                    message,
                    vec![],
                );
                continue;
            }
        }
        if metric.is_rate() {
            let failing = if metric == MetricKind::ErrorRate {
                value > lexicon::FAILING_ERROR_ABOVE
            } else {
                value < lexicon::FAILING_SUCCESS_BELOW
            };
            if failing {
                let message = format!(
                    "marked as a success, but {} {} % is a failure by itself (one request in {} {})",
                    metric.name(),
                    fmt(value),
                    fmt((100.0
                        / if metric == MetricKind::ErrorRate {
                            value
                        } else {
                            100.0 - value
                        })
                    .round()),
                    if metric == MetricKind::ErrorRate {
                        "fails"
                    } else {
                        "is lost"
                    }
                );
                ctx.find(
                    "mark.failure-figure",
                    Class::Contradicted,
                    i,
                    message,
                    vec![],
                );
                continue;
            }
        }
        let says_meets = lexicon::any(&info.lower, lexicon::MEETS_TARGET);
        let needs_target = says_meets
            || matches!(
                metric,
                MetricKind::Coverage | MetricKind::Throughput | MetricKind::Latency
            );
        if own.is_none() && needs_target && !doc_targets.contains_key(metric.name()) {
            let message = format!(
                "{} {}{} is marked as {} but the report states no target for it",
                metric.name(),
                fmt(value),
                unit_text(unit),
                if says_meets {
                    "meeting its target"
                } else {
                    "a success"
                }
            );
            ctx.find("mark.no-target", Class::Unsupported, i, message, vec![]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics too thin.

const SAMPLE_WORDS: &[&str] = &[
    "样本",
    "条数据",
    "个样本",
    "次运行",
    "次请求",
    "samples",
    "sample",
    "data points",
    "runs",
    "requests",
    "probes",
    "checks",
    "n=",
    "n =",
];

/// A sample size stated in the block: a number next to a sample word.
fn sample_size(info: &Info, text: &str) -> Option<u64> {
    for n in &info.nums {
        if n.unit == NumUnit::Percent || n.denominator.is_some() {
            continue;
        }
        // After the figure: skip its digits, range and unit-less spacing ("~3-4 条数据").
        let tail_text = text[n.start..]
            .trim_start_matches(|c: char| c.is_ascii_digit() || ".,-~ ".contains(c))
            .to_ascii_lowercase();
        let before: String = text[..n.start]
            .chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
            .to_ascii_lowercase();
        let after: String = text[n.end..]
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let near = SAMPLE_WORDS.iter().any(|w| {
            before.trim_end().ends_with(w)
                || after.trim_start().starts_with(w)
                || tail_text.starts_with(w)
        });
        if near {
            let top = n.range_to.unwrap_or(n.value);
            if (1.0..1e12).contains(&top) {
                return Some(top as u64);
            }
        }
    }
    None
}

const RUN_OK: &[&str] = &["success", "passed", "pass", "成功", "通过", "ok"];
const RUN_FAIL: &[&str] = &["failure", "failed", "fail", "失败", "error"];

/// The largest table of runs: a head row with a status column whose cells are run outcomes.
/// (successes, runs, first line, last line).
fn run_table(ctx: &Ctx) -> Option<(u64, u64, usize, usize)> {
    let mut tables: BTreeMap<usize, (u64, u64, usize, usize)> = BTreeMap::new();
    for block in ctx.blocks {
        let (BlockKind::Row { header: false }, Some(head)) = (&block.kind, block.table_head) else {
            continue;
        };
        let Some(column) = ctx.blocks[head].cells.iter().position(|c| {
            let c = c.to_ascii_lowercase();
            c.contains("状态") || c.contains("status") || c.contains("result") || c.contains("结果")
        }) else {
            continue;
        };
        let Some(cell) = block.cells.get(column) else {
            continue;
        };
        let cell = strip_marks(cell).trim().to_ascii_lowercase();
        let ok = RUN_OK.iter().any(|w| cell == *w);
        let fail = RUN_FAIL.iter().any(|w| cell == *w);
        if ok || fail {
            let entry = tables.entry(head).or_insert((0, 0, block.line, block.line));
            entry.0 += u64::from(ok);
            entry.1 += 1;
            entry.3 = block.line;
        }
    }
    tables.into_values().max_by_key(|t| t.1)
}

fn thin(ctx: &mut Ctx) {
    let runs = run_table(ctx);
    let mut found = Vec::new();
    // The same k of n recurs (every "100%" of one run table): compute each interval once.
    let mut intervals: HashMap<(u64, u64), stats::Interval> = HashMap::new();
    let mut needed_for: HashMap<u64, u64> = HashMap::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims || info.future {
            continue;
        }
        let text = &ctx.blocks[i].text;
        // A percentile from too few samples.
        if let (Some(q), Some(n)) = (info.percentile, sample_size(info, text)) {
            let needed = *needed_for
                .entry(q.to_bits())
                .or_insert_with(|| stats::min_samples_for_upper(q / 100.0, CONFIDENCE));
            if n < needed {
                found.push((
                    i,
                    format!(
                        "a P{} from {n} samples has no upper confidence bound at {} %: it cannot be shown under any threshold (that takes at least {needed} samples)",
                        fmt(q),
                        fmt(CONFIDENCE * 100.0)
                    ),
                    vec![],
                ));
                continue;
            }
        }
        // A rate from too few trials.
        let Some(metric) = info.metric else { continue };
        if !metric.is_rate() || matches!(info.mark, Some(Mark::Failure | Mark::Warning)) {
            continue;
        }
        let Some(fig) = figure(info) else { continue };
        let share = fig.value / 100.0;
        let explicit = info
            .nums
            .iter()
            .find_map(|n| {
                n.denominator
                    .filter(|d| *d >= n.value && *d > 0.0)
                    .map(|d| (n.value as u64, d as u64))
            })
            .or_else(|| sample_size(info, text).map(|n| (((share * n as f64).round()) as u64, n)));
        let (k, n, whence, related) = if let Some((k, n)) = explicit {
            (k, n, format!("{k} of {n}"), vec![])
        } else if fig.decimals >= 1
            && let Some((k, n)) = numbers::smallest_fraction(fig.value, fig.decimals, 1000)
            && n <= if fig.decimals >= 2 { 200 } else { 20 }
        {
            (
                k,
                n,
                format!(
                    "{} % is most simply {k} of {n} (no smaller sample gives it)",
                    fmt(fig.value)
                ),
                vec![],
            )
        } else if let Some((ok, total, first, last)) = runs
            && (fig.value == 100.0 || fig.value == 0.0)
            && matches!(metric, MetricKind::SuccessRate | MetricKind::PassRate)
        {
            let k = if fig.value == 100.0 { total } else { 0 };
            let _ = ok;
            (
                k,
                total,
                format!(
                    "{} % is {k} of the {total} runs listed (lines {first}–{last})",
                    fmt(fig.value)
                ),
                vec![first],
            )
        } else {
            continue;
        };
        if n == 0 || k > n {
            continue;
        }
        let interval = *intervals
            .entry((k, n))
            .or_insert_with(|| stats::clopper_pearson(k as f64, n as f64, CONFIDENCE));
        let target = target_of(info);
        let thin = match &target {
            Some(t) => {
                let t = t.value / 100.0;
                interval.lower <= t && t <= interval.upper
            }
            None => interval.upper - interval.lower > 0.10,
        };
        if thin {
            let claim = match &target {
                Some(t) => format!(
                    "cannot show the target {} {} %",
                    op_text(t.op),
                    fmt(t.value)
                ),
                None => {
                    let floor = if metric == MetricKind::ErrorRate {
                        format!("an error rate as high as {}", pct(interval.upper))
                    } else {
                        format!("a rate as low as {}", pct(interval.lower))
                    };
                    format!("is consistent with {floor}")
                }
            };
            found.push((
                i,
                format!(
                    "{whence}: at {} % confidence the {} is between {} and {}, so the figure {claim}",
                    fmt(CONFIDENCE * 100.0),
                    metric.name(),
                    pct(interval.lower),
                    pct(interval.upper)
                ),
                related,
            ));
        }
    }
    for (i, message, related) in found {
        ctx.find("stats.thin", Class::Unsupported, i, message, related);
    }
}

// ---------------------------------------------------------------------------------------------
// Arithmetic.

/// The label of a breakdown line, without tree glyphs ("├─ Zero-Trust:   20/30" → "zero-trust").
fn key(label: &str) -> String {
    label
        .trim_matches(|c: char| c.is_whitespace() || "├└─│*-".contains(c))
        .to_ascii_lowercase()
}

const CHANGE_WORDS: &[&str] = &[
    "提前",
    "节省",
    "减少",
    "降低",
    "提升",
    "缩短",
    "saved",
    "saving",
    "faster",
    "reduction",
    "less",
    "ahead",
    "improvement",
    "lower",
];

/// A check of arithmetic: right, or the rule and why not.
type Checked = Result<(), (&'static str, String)>;

/// Before, after, and the percentages beside them.
type Change = (f64, f64, Option<(f64, f64)>);

fn arithmetic(ctx: &mut Ctx) {
    let mut results: Vec<(usize, Checked)> = Vec::new();
    let mut last_by_label: HashMap<String, usize> = HashMap::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims {
            continue;
        }
        let text = &ctx.blocks[i].text;
        let nums = &info.nums;
        // A fraction and the percentage beside it: 20/30 (67%).
        for w in nums.windows(2) {
            if let (Some(d), NumUnit::Percent, None) = (w[0].denominator, w[1].unit, w[1].sign)
                && d > 0.0
                && text[w[0].end..w[1].start]
                    .trim_matches([' ', '(', '（'])
                    .is_empty()
            {
                let computed = 100.0 * w[0].value / d;
                if close(w[1].value, w[1].decimals, computed) {
                    results.push((i, Ok(())));
                } else {
                    results.push((
                        i,
                        Err((
                            "arith.percent",
                            format!(
                                "{}/{} is {} %, not the {} % written beside it",
                                fmt(w[0].value),
                                fmt(d),
                                fmt((computed * 10.0).round() / 10.0),
                                fmt(w[1].value)
                            ),
                        )),
                    ));
                }
            }
        }
        // A percentage and the fraction after it: 100% (4/4阶段完成).
        for w in nums.windows(2) {
            if let (NumUnit::Percent, None, Some(d)) = (w[0].unit, w[0].sign, w[1].denominator)
                && d > 0.0
                && text[w[0].end..w[1].start]
                    .trim_matches([' ', '(', '（'])
                    .is_empty()
            {
                let computed = 100.0 * w[1].value / d;
                if close(w[0].value, w[0].decimals, computed) {
                    results.push((i, Ok(())));
                } else {
                    results.push((
                        i,
                        Err((
                            "arith.percent",
                            format!(
                                "{}/{} is {} %, not the {} % written before it",
                                fmt(w[1].value),
                                fmt(d),
                                fmt((computed * 10.0).round() / 10.0),
                                fmt(w[0].value)
                            ),
                        )),
                    ));
                }
            }
        }
        // A change: before → after (+p %), or a labelled line whose earlier value is above.
        let signed = nums.iter().find(|n| {
            n.unit == NumUnit::Percent
                && (n.sign.is_some() || {
                    let before: String = text[..n.start].chars().rev().take(3).collect();
                    before.contains('↑') || before.contains('↓')
                })
        });
        let values: Vec<&Num> = nums
            .iter()
            .filter(|n| n.sign.is_none() && !n.target && n.unit != NumUnit::Percent)
            .collect();
        let percents: Vec<&Num> = nums
            .iter()
            .filter(|n| n.sign.is_none() && n.unit == NumUnit::Percent && Some(*n) != signed)
            .collect();
        let label = key(&info.label);
        if let Some(change) = signed {
            let pairs: Option<Change> =
                if values.len() >= 2 && (text.contains('→') || text.contains("->")) {
                    Some((values[0].value, values[1].value, None))
                } else if let (Some(after), Some(&b)) = (values.first(), last_by_label.get(&label))
                    && !label.is_empty()
                {
                    let before_info = &ctx.infos[b];
                    let bv = before_info
                        .nums
                        .iter()
                        .find(|n| n.sign.is_none() && n.unit != NumUnit::Percent);
                    let bp = before_info.nums.iter().find(|n| n.unit == NumUnit::Percent);
                    bv.map(|bv| {
                        (
                            bv.value,
                            after.value,
                            bp.zip(percents.first()).map(|(x, y)| (x.value, y.value)),
                        )
                    })
                } else {
                    None
                };
            if let Some((before, after, shares)) = pairs
                && before != 0.0
            {
                let p = change.value * if change.sign == Some('-') { -1.0 } else { 1.0 };
                let mut candidates = vec![100.0 * (after - before) / before, after - before];
                if let Some((x, y)) = shares {
                    candidates.push(y - x);
                    if x != 0.0 {
                        candidates.push(100.0 * (y - x) / x);
                    }
                }
                if candidates.iter().any(|c| {
                    close(p.abs(), change.decimals, c.abs())
                        && (p == 0.0 || c.signum() == p.signum() || change.sign.is_none())
                }) {
                    results.push((i, Ok(())));
                } else {
                    results.push((
                        i,
                        Err((
                            "arith.change",
                            format!(
                                "from {} to {} is a change of {} %, not the {} % written",
                                fmt(before),
                                fmt(after),
                                fmt((candidates[0] * 10.0).round() / 10.0),
                                fmt(p)
                            ),
                        )),
                    ));
                }
            }
        } else if let [a, b] = values.as_slice()
            && a.unit.same_kind(b.unit)
            && a.unit != NumUnit::None
            && a.unit != NumUnit::Count
            && let [p] = percents.as_slice()
            && lexicon::any(&info.lower, CHANGE_WORDS)
        {
            // Saved or ahead: 145 s against a 180 s target is 19 % ahead; 42.5 h of 54 h, 21 % saved.
            let (x, y) = (a.unit.base(a.value), b.unit.base(b.value));
            if x > 0.0 && y > 0.0 {
                let candidates = [
                    100.0 * (y - x).abs() / y,
                    100.0 * (y - x).abs() / x,
                    100.0 * x / y,
                    100.0 * y / x,
                ];
                if candidates.iter().any(|c| close(p.value, p.decimals, *c)) {
                    results.push((i, Ok(())));
                } else {
                    results.push((
                        i,
                        Err((
                            "arith.percent",
                            format!(
                                "{} % does not follow from {}{} and {}{}: the difference is {} % of the larger",
                                fmt(p.value),
                                fmt(a.value),
                                unit_text(a.unit),
                                fmt(b.value),
                                unit_text(b.unit),
                                fmt((candidates[0] * 10.0).round() / 10.0)
                            ),
                        )),
                    ));
                }
            }
        }
        // Sums: "15项 (7个文档 + 8个代码)".
        for (at, total) in nums.iter().enumerate() {
            let rest = text[total.end..].trim_start();
            if !(rest.starts_with('(') || rest.starts_with('（')) || total.denominator.is_some() {
                continue;
            }
            let close_at = rest.find([')', '）']).unwrap_or(rest.len());
            let inner = &rest[..close_at];
            if !inner.contains('+') {
                continue;
            }
            let parts: Vec<&Num> = nums[at + 1..]
                .iter()
                .filter(|n| n.start < total.end + (text[total.end..].len() - rest.len()) + close_at)
                .collect();
            if parts.len() >= 2
                && parts
                    .iter()
                    .all(|n| n.sign.is_none() || n.sign == Some('+'))
            {
                let sum: f64 = parts.iter().map(|n| n.value).sum();
                if (sum - total.value).abs() < 1e-9 {
                    results.push((i, Ok(())));
                } else {
                    results.push((
                        i,
                        Err((
                            "arith.sum",
                            format!(
                                "the parts add up to {}, not the {} stated",
                                fmt(sum),
                                fmt(total.value)
                            ),
                        )),
                    ));
                }
            }
        }
        if !label.is_empty() && !nums.is_empty() {
            last_by_label.insert(label, i);
        }
    }
    // Breakdowns: "改进前: 72/100" followed by "├─ a: 20/30" lines.
    let n = ctx.infos.len();
    let mut i = 0;
    while i < n {
        let head = &ctx.infos[i];
        let Some(total) = head.nums.first().filter(|t| t.denominator.is_some()) else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        let (mut num, mut den, mut parts) = (0.0, 0.0, 0);
        while j < n {
            let t = ctx.blocks[j].text.trim_start();
            if !(t.starts_with('├') || t.starts_with('└')) {
                break;
            }
            if let Some(part) = ctx.infos[j]
                .nums
                .first()
                .filter(|p| p.denominator.is_some())
            {
                num += part.value;
                den += part.denominator.unwrap_or(0.0);
                parts += 1;
            }
            j += 1;
        }
        if parts >= 2 {
            let (tn, td) = (total.value, total.denominator.unwrap_or(0.0));
            if (num - tn).abs() < 1e-9 && (den - td).abs() < 1e-9 {
                results.push((i, Ok(())));
            } else {
                results.push((
                    i,
                    Err((
                        "arith.sum",
                        format!(
                            "the {parts} lines below add up to {}/{}, not {}/{}",
                            fmt(num),
                            fmt(den),
                            fmt(tn),
                            fmt(td)
                        ),
                    )),
                ));
            }
        }
        i = j.max(i + 1);
    }
    // Rows of signed differences against a baseline: "+9秒 | -3秒 | +10秒 | 0秒" under
    // "154秒 | 142秒 | 155秒 | 145秒" must imply one baseline.
    for i in 1..n {
        let (BlockKind::Row { header: false }, BlockKind::Row { header: false }) =
            (&ctx.blocks[i].kind, &ctx.blocks[i - 1].kind)
        else {
            continue;
        };
        let deltas: Vec<&Num> = ctx.infos[i]
            .nums
            .iter()
            .filter(|n| n.unit.is_time())
            .collect();
        let values: Vec<&Num> = ctx.infos[i - 1]
            .nums
            .iter()
            .filter(|n| n.unit.is_time())
            .collect();
        if deltas.len() < 2
            || deltas.len() != values.len()
            || !deltas.iter().any(|d| d.sign.is_some())
            || values.iter().any(|v| v.sign.is_some())
        {
            continue;
        }
        let baselines: Vec<f64> = values
            .iter()
            .zip(&deltas)
            .map(|(v, d)| {
                v.unit.base(v.value)
                    - d.unit.base(d.value) * if d.sign == Some('-') { -1.0 } else { 1.0 }
            })
            .collect();
        if baselines.iter().all(|b| (b - baselines[0]).abs() < 1e-6) {
            results.push((i, Ok(())));
        } else {
            let list: Vec<String> = baselines.iter().map(|b| fmt(*b)).collect();
            results.push((
                i,
                Err((
                    "arith.sum",
                    format!(
                        "these differences from the row above imply different baselines ({} s)",
                        list.join(", ")
                    ),
                )),
            ));
        }
    }
    for (i, result) in results {
        match result {
            Ok(()) => {
                ctx.consistent.insert(i);
            }
            Err((rule, message)) => {
                if !ctx.has(rule, i) {
                    ctx.find(rule, Class::Contradicted, i, message, vec![]);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Counts: a heading's count against its list, and one thing counted differently.

/// What a count counts: "3 个关键提交已推送" → "关键提交"; "4 key commits were pushed" →
/// "key commits".
fn counted_noun(text: &str, num: &Num) -> Option<String> {
    let rest = text[num.end..].trim_start();
    let first = rest.chars().next()?;
    if is_cjk(first) {
        let noun: String = rest
            .chars()
            .take_while(|c| is_cjk(*c) && !"已全部都均的和与及在为是".contains(*c))
            .take(4)
            .collect();
        (noun.chars().count() >= 2).then_some(noun)
    } else if num.unit == NumUnit::None && first.is_ascii_alphabetic() {
        let mut words = rest
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty());
        let a = words.next()?.to_ascii_lowercase();
        if lexicon::COUNT_STOPWORDS.contains(&a.as_str()) || a.len() < 3 {
            return None;
        }
        let noun = match words.next().map(str::to_lowercase) {
            Some(b)
                if !lexicon::COUNT_STOPWORDS.contains(&b.as_str())
                    && !rest[a.len()..].starts_with(['.', ',', ';', ')']) =>
            {
                format!("{a} {b}")
            }
            _ => a,
        };
        Some(noun)
    } else {
        None
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn counts(ctx: &mut Ctx) {
    let mut found = Vec::new();
    // One noun, two counts.
    let mut seen: HashMap<String, (usize, f64)> = HashMap::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims || info.future {
            continue;
        }
        let text = &ctx.blocks[i].text;
        for num in &info.nums {
            if num.sign.is_some()
                || num.denominator.is_some()
                || num.target
                || num.range_to.is_some()
                || num.at_least
                || !matches!(num.unit, NumUnit::Count | NumUnit::None)
                || num.value.fract() != 0.0
            {
                continue;
            }
            let Some(noun) = counted_noun(text, num) else {
                continue;
            };
            match seen.get(&noun) {
                Some(&(j, value)) if value != num.value => {
                    found.push((
                        i,
                        format!(
                            "{} {noun} here, {} {noun} on line {}",
                            fmt(num.value),
                            fmt(value),
                            ctx.blocks[j].line
                        ),
                        vec![ctx.blocks[j].line],
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(noun, (i, num.value));
                }
            }
        }
    }
    for (i, message, related) in found {
        ctx.find("count.disagree", Class::Contradicted, i, message, related);
    }
    // A heading that counts its list: "M5文档 (7个)".
    let mut items: HashMap<usize, usize> = HashMap::new();
    for block in ctx.blocks {
        if let (BlockKind::Item { .. }, Some(h)) = (&block.kind, block.heading) {
            *items.entry(h).or_default() += 1;
        }
    }
    let mut results = Vec::new();
    for (i, block) in ctx.blocks.iter().enumerate() {
        if !matches!(block.kind, BlockKind::Heading(_)) {
            continue;
        }
        let Some(num) = ctx.infos[i].nums.iter().find(|n| {
            let before = block.text[..n.start].trim_end();
            let after = block.text[n.end..].trim_start();
            (before.ends_with('(') || before.ends_with('（'))
                && (after.starts_with(')') || after.starts_with('）'))
                && matches!(n.unit, NumUnit::Count | NumUnit::None)
                && n.denominator.is_none()
        }) else {
            continue;
        };
        let listed = items.get(&i).copied().unwrap_or(0);
        if listed == 0 {
            continue;
        }
        if listed as f64 == num.value {
            results.push((i, None));
        } else {
            results.push((
                i,
                Some(format!(
                    "the heading counts {} but {listed} items are listed under it",
                    fmt(num.value)
                )),
            ));
        }
    }
    for (i, result) in results {
        match result {
            None => {
                ctx.consistent.insert(i);
            }
            Some(message) => ctx.find("arith.count", Class::Contradicted, i, message, vec![]),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One thing broken down twice with other counts: "15项 (7个文档 + 8个代码)" and
// "10个代码问题和7个文档问题全部修复".

/// The category a count names, short enough that two wordings meet: "7个文档问题" → "文档"
/// (two CJK characters: one word), "7 doc issues" and "7 docs" → "doc".
fn category(text: &str, num: &Num) -> Option<String> {
    let rest = text[num.end..].trim_start();
    let first = rest.chars().next()?;
    if is_cjk(first) {
        let noun: String = rest
            .chars()
            .take_while(|c| is_cjk(*c) && !"已全部都均的和与及在为是".contains(*c))
            .take(2)
            .collect();
        (noun.chars().count() == 2).then_some(noun)
    } else if num.unit == NumUnit::None && first.is_ascii_alphabetic() {
        let word: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if word.len() < 3 || lexicon::COUNT_STOPWORDS.contains(&word.as_str()) {
            return None;
        }
        Some(word.strip_suffix('s').unwrap_or(&word).to_string())
    } else {
        None
    }
}

fn breakdown_text(parts: &[(String, f64)]) -> String {
    let sum: f64 = parts.iter().map(|(_, v)| v).sum();
    let terms: Vec<String> = parts
        .iter()
        .map(|(c, v)| format!("{} {c}", fmt(*v)))
        .collect();
    format!("{} = {}", terms.join(" + "), fmt(sum))
}

fn breakdowns(ctx: &mut Ctx) {
    // Sorted categories → the first block that broke them down, and its counts.
    let mut first: Breakdowns = HashMap::new();
    let mut found = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims || info.future || info.nums.len() < 2 {
            continue;
        }
        let text = &ctx.blocks[i].text;
        // Runs of counts joined by "+", "和", "and", a comma: "7个文档 + 8个代码".
        let mut runs: Vec<Vec<(String, f64)>> = Vec::new();
        let mut last_end: Option<usize> = None;
        for num in &info.nums {
            if num.denominator.is_some()
                || num.target
                || num.range_to.is_some()
                || num.at_least
                || num.sign == Some('-')
                || !matches!(num.unit, NumUnit::Count | NumUnit::None)
                || num.value.fract() != 0.0
            {
                last_end = None;
                continue;
            }
            let Some(category) = category(text, num) else {
                last_end = None;
                continue;
            };
            let joined = last_end.is_some_and(|end| {
                let gap = text[end..num.start].trim_end();
                BREAKDOWN_JOINS.iter().any(|join| {
                    gap.strip_suffix(join)
                        .is_some_and(|words| words.trim().len() <= 16)
                })
            });
            if !joined {
                runs.push(Vec::new());
            }
            runs.last_mut()
                .expect("a run was pushed")
                .push((category, num.value));
            last_end = Some(num.end);
        }
        for parts in runs {
            breakdown(ctx, i, parts, &mut first, &mut found);
        }
    }
    for (i, message, related) in found {
        ctx.find("count.breakdown", Class::Contradicted, i, message, related);
    }
}

/// What joins the counts of a breakdown.
const BREAKDOWN_JOINS: &[&str] = &["+", "和", "与", "及", "、", ",", "，", "and", "plus"];

type Breakdowns = HashMap<String, (usize, Vec<(String, f64)>)>;

/// One breakdown of block `i`, against the first over the same categories.
fn breakdown(
    ctx: &Ctx,
    i: usize,
    mut parts: Vec<(String, f64)>,
    first: &mut Breakdowns,
    found: &mut Vec<(usize, String, Vec<usize>)>,
) {
    {
        if parts.len() < 2 {
            return;
        }
        let mut names: Vec<&str> = parts.iter().map(|(c, _)| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() != parts.len() {
            return;
        }
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        let key = parts
            .iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join("|");
        match first.get(&key) {
            None => {
                first.insert(key, (i, parts));
            }
            Some((j, earlier)) if *earlier != parts => {
                found.push((
                    i,
                    format!(
                        "{} here, but line {} counts the same things as {}",
                        breakdown_text(&parts),
                        ctx.blocks[*j].line,
                        breakdown_text(earlier)
                    ),
                    vec![ctx.blocks[*j].line],
                ));
            }
            Some(_) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A range of scores ("92-100/100") that a score of the same subject elsewhere falls outside.

/// Scores out of 10 or 100 in `text`: (low, high, out of, the first side of a change). A single
/// score has low = high; "92-100/100" is a range.
fn scores_out_of(text: &str) -> Vec<(f64, f64, f64, bool)> {
    let bytes = text.as_bytes();
    let number_before = |end: usize| -> Option<(usize, f64)> {
        let mut start = end;
        while start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] == b'.') {
            start -= 1;
        }
        if start == end || (start > 0 && bytes[start - 1].is_ascii_alphabetic()) {
            return None;
        }
        text[start..end].parse().ok().map(|v| (start, v))
    };
    let mut out = Vec::new();
    for (at, _) in text.match_indices('/') {
        let Some((start, value)) = number_before(at) else {
            continue;
        };
        let mut end = at + 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        let Ok(out_of) = text[at + 1..end].parse::<f64>() else {
            continue;
        };
        if !(out_of == 10.0 || out_of == 100.0)
            || value > out_of
            || bytes
                .get(end)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'/')
        {
            continue;
        }
        // "92-100/100", "90–100/100", "90~100/100".
        let before = text[..start].trim_end();
        let low = ['-', '–', '—', '~', '～']
            .iter()
            .find_map(|dash| before.strip_suffix(*dash))
            .map(str::trim_end)
            .and_then(|b| number_before(b.len()).map(|(_, v)| v))
            .filter(|low| *low < value);
        let after = text[end..].trim_start();
        let changed = after.starts_with('→') || after.starts_with("->");
        out.push((low.unwrap_or(value), value, out_of, changed));
    }
    out
}

fn subjects(lower: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = lexicon::all(lower, lexicon::SCORE_SUBJECT_WORDS)
        .into_iter()
        .map(|i| lexicon::SCORE_SUBJECTS[i].1)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn score_ranges(ctx: &mut Ctx) {
    // (block, low, high, out of, subject) of every stated range.
    let mut ranges = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims || info.future || !ctx.blocks[i].text.contains('/') {
            continue;
        }
        for (low, high, out_of, _) in scores_out_of(&ctx.blocks[i].text) {
            if low < high
                && let Some((_, at)) = lexicon::first(&info.lower, lexicon::SCORE_SUBJECT_WORDS)
            {
                ranges.push((i, low, high, out_of, lexicon::SCORE_SUBJECTS[at].1));
            }
        }
    }
    if ranges.is_empty() {
        return;
    }
    // Single scores by (subject, out of): the subject from the block, its heading or the
    // heading above that; a table cell under a "before" head and the first side of a change
    // are the old score, not this one.
    let mut by_subject: HashMap<(&'static str, u32), Vec<(f64, usize)>> = HashMap::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        let block = &ctx.blocks[i];
        if !info.claims || info.future || !block.text.contains('/') {
            continue;
        }
        let mut found: Vec<(f64, f64)> = Vec::new();
        if let BlockKind::Row { header: false } = block.kind {
            let head = block.table_head.map(|h| &ctx.blocks[h].cells);
            for (c, cell) in block.cells.iter().enumerate() {
                let before = head
                    .and_then(|h| h.get(c))
                    .is_some_and(|h| lexicon::any(&h.to_lowercase(), lexicon::BEFORE_HEAD));
                if before {
                    continue;
                }
                for (low, high, out_of, changed) in scores_out_of(cell) {
                    if low == high && !changed {
                        found.push((high, out_of));
                    }
                }
            }
        } else {
            for (low, high, out_of, changed) in scores_out_of(&block.text) {
                if low == high && !changed {
                    found.push((high, out_of));
                }
            }
        }
        if found.is_empty() {
            continue;
        }
        let mut about = subjects(&info.lower);
        let heading = match block.kind {
            BlockKind::Heading(_) => block.parent,
            _ => block.heading,
        };
        if let Some(h) = heading {
            about.extend(subjects(&ctx.infos[h].lower));
            if let Some(p) = ctx.blocks[h].parent {
                about.extend(subjects(&ctx.infos[p].lower));
            }
        }
        about.sort_unstable();
        about.dedup();
        for subject in about {
            for &(value, out_of) in &found {
                by_subject
                    .entry((subject, out_of as u32))
                    .or_default()
                    .push((value, i));
            }
        }
    }
    for list in by_subject.values_mut() {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    let mut found = Vec::new();
    for (i, low, high, out_of, subject) in ranges {
        let Some(list) = by_subject.get(&(subject, out_of as u32)) else {
            continue;
        };
        let below = list.iter().take_while(|(v, _)| *v < low).take(3);
        let above = list.iter().rev().take_while(|(v, _)| *v > high).take(3);
        let outside: Vec<(f64, usize)> = below
            .chain(above)
            .filter(|(_, j)| *j != i)
            .copied()
            .collect();
        if outside.is_empty() {
            continue;
        }
        let cited: Vec<String> = outside
            .iter()
            .map(|(v, j)| {
                format!(
                    "{}/{} on line {}",
                    fmt(*v),
                    fmt(out_of),
                    ctx.blocks[*j].line
                )
            })
            .collect();
        let mut related: Vec<usize> = outside.iter().map(|(_, j)| ctx.blocks[*j].line).collect();
        related.sort_unstable();
        related.dedup();
        found.push((
            i,
            format!(
                "states {subject} at {}–{}/{}, but the report scores it {}",
                fmt(low),
                fmt(high),
                fmt(out_of),
                cited.join(", ")
            ),
            related,
        ));
    }
    for (i, message, related) in found {
        ctx.find("score.range", Class::Contradicted, i, message, related);
    }
}

// ---------------------------------------------------------------------------------------------
// A success mark on a thing whose failure the report states elsewhere, in other words.

/// Whether block `i` reports a failure: a ❌, a pass or success rate of 0 %, or a failure word
/// in a blocker heading or under one.
fn reports_failure(ctx: &Ctx, i: usize) -> bool {
    let info = &ctx.infos[i];
    if !info.claims || info.future || info.mark == Some(Mark::Success) {
        return false;
    }
    if info.mark == Some(Mark::Failure) || zero_rate(info) {
        return true;
    }
    let blocker = lexicon::any(&info.lower, lexicon::BLOCKER_WORDS)
        || ctx.blocks[i]
            .heading
            .is_some_and(|h| lexicon::any(&ctx.infos[h].lower, lexicon::BLOCKER_WORDS));
    blocker && lexicon::any(&info.lower, lexicon::FAILURE_WORDS)
}

/// "通过率0%", "pass rate 0%".
fn zero_rate(info: &Info) -> bool {
    info.nums
        .iter()
        .any(|n| n.unit == NumUnit::Percent && n.value == 0.0 && n.sign.is_none())
        && lexicon::any(&info.lower, lexicon::RATE_WORDS)
}

fn topics(lower: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = lexicon::all(lower, lexicon::TOPIC_WORDS)
        .into_iter()
        .map(|i| lexicon::TOPICS[i].1)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn failed_elsewhere(ctx: &mut Ctx) {
    // Topic → the first few blocks that report it failing.
    let mut failing: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for i in 0..ctx.infos.len() {
        if !reports_failure(ctx, i) {
            continue;
        }
        for topic in topics(&ctx.infos[i].lower) {
            let lines = failing.entry(topic).or_default();
            if lines.len() < 3 {
                lines.push(i);
            }
        }
    }
    if failing.is_empty() {
        return;
    }
    let mut found = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims
            || info.future
            || info.mark != Some(Mark::Success)
            || zero_rate(info)
            || lexicon::any(&info.lower, lexicon::FAILURE_WORDS)
        {
            continue;
        }
        let mut related = Vec::new();
        let mut said = Vec::new();
        for topic in topics(&info.lower) {
            if let Some(lines) = failing.get(topic) {
                let j = lines[0];
                said.push(format!(
                    "line {} reports the {topic} failing: \"{}\"",
                    ctx.blocks[j].line,
                    crate::short(&ctx.blocks[j].text)
                ));
                related.extend(lines.iter().map(|&j| ctx.blocks[j].line));
            }
        }
        if said.is_empty() {
            continue;
        }
        related.sort_unstable();
        related.dedup();
        found.push((
            i,
            format!("marked as a success, but {}", said.join("; ")),
            related,
        ));
    }
    for (i, message, related) in found {
        ctx.find(
            "mark.failed-elsewhere",
            Class::Contradicted,
            i,
            message,
            related,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A risk marked mitigated whose mitigation is a recommendation.

fn advice(ctx: &mut Ctx) {
    let mut found = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims
            || info.future
            || !(info.success || info.mark == Some(Mark::Success))
            || !lexicon::any(&info.lower, lexicon::MITIGATED)
        {
            continue;
        }
        let block = &ctx.blocks[i];
        // In a table with a mitigation column, that cell; else the whole block.
        let cell = block.table_head.and_then(|h| {
            let at = ctx.blocks[h]
                .cells
                .iter()
                .position(|c| lexicon::any(&c.to_lowercase(), lexicon::MITIGATION_HEAD))?;
            block.cells.get(at)
        });
        let mitigation = match cell {
            Some(cell) => cell.to_lowercase(),
            None => info.lower.clone(),
        };
        if lexicon::any(&mitigation, lexicon::ADVICE_WORDS) {
            found.push((
                i,
                format!(
                    "marked as mitigated, but the mitigation is advice, not a thing done: \"{}\"",
                    crate::short(cell.map_or(&block.text, |c| c))
                ),
            ));
        }
    }
    for (i, message) in found {
        ctx.find("risk.advice", Class::Contradicted, i, message, vec![]);
    }
}

// ---------------------------------------------------------------------------------------------
// Scores and grades.

fn letter_grade(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !('A'..='F').contains(&c) {
            continue;
        }
        if i > 0 && chars[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut j = i + 1;
        if chars.get(j).is_some_and(|c| *c == '+' || *c == '-') {
            j += 1;
        }
        if chars.get(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        return true;
    }
    false
}

fn is_score(info: &Info, text: &str) -> bool {
    let fraction = info
        .nums
        .iter()
        .any(|n| matches!(n.denominator, Some(d) if (d == 10.0 || d == 100.0) && n.value <= d));
    let stars = text.contains('⭐') || text.contains('★');
    let labelled = lexicon::any(&info.lower, lexicon::SCORE_LABELS);
    let grade = labelled && letter_grade(text);
    let rated = labelled && info.nums.iter().any(|n| n.unit == NumUnit::Percent);
    fraction || stars || grade || rated
}

/// (names a method, names evidence) for the section block `i` is in.
fn section_of(ctx: &Ctx, i: usize) -> (bool, bool) {
    let key = match ctx.blocks[i].kind {
        BlockKind::Heading(_) => Some(i),
        _ => ctx.blocks[i].heading,
    };
    ctx.sections.get(&key).copied().unwrap_or((false, false))
}

fn scores(ctx: &mut Ctx) {
    let mut found = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims || info.future || !is_score(info, &ctx.blocks[i].text) {
            continue;
        }
        if !section_of(ctx, i).0 {
            found.push(i);
        }
    }
    for i in found {
        ctx.find(
            "score.unsupported",
            Class::Unsupported,
            i,
            "a score or grade with no method and no evidence named: who scored it, against what?"
                .to_string(),
            vec![],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Claims that need evidence and name none.

fn names_evidence(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lexicon::any(&lower, lexicon::EVIDENCE_NAMES)
        || (lower.contains('/')
            && lower.split_whitespace().any(|w| {
                let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/');
                w.len() > 3
                    && w.contains('/')
                    && w.split('/').all(|p| {
                        p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                    })
                    && w.split('/').filter(|p| !p.is_empty()).count() >= 2
                    && w.chars().any(|c| c.is_ascii_alphabetic())
            }))
}

fn evidence_named(ctx: &mut Ctx) {
    let mut found = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims || !info.success || info.future || info.readiness {
            continue;
        }
        let Some((word, what)) = lexicon::first(&info.lower, lexicon::NEEDS_EVIDENCE_WORDS)
            .map(|(_, i)| lexicon::NEEDS_EVIDENCE[i])
        else {
            continue;
        };
        // Coverage and tests need a figure to be a claim ("coverage 84%", "173 tests").
        let needs_figure = ["覆盖率", "coverage", "测试", "tests"].contains(&word);
        if needs_figure
            && !info.nums.iter().any(|n| {
                n.unit == NumUnit::Percent || matches!(n.unit, NumUnit::Count | NumUnit::None)
            })
        {
            continue;
        }
        if section_of(ctx, i).1 {
            continue;
        }
        found.push((i, format!("this needs {what} and the report names none")));
    }
    for (i, message) in found {
        if !ctx.has("mark.no-target", i) || !message.is_empty() {
            ctx.find("evidence.none", Class::Unsupported, i, message, vec![]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ticks with nothing behind them.

fn ascii_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && w.starts_with(|c: char| c.is_ascii_alphabetic()))
        .map(str::to_lowercase)
        .filter(|w| !lexicon::TICK_STOPWORDS.contains(&w.as_str()))
        .collect()
}

fn ticks(ctx: &mut Ctx) {
    // What the report says without a mark: its body.
    let mut words: HashSet<String> = HashSet::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        if info.mark.is_none() && !info.success {
            words.extend(ascii_tokens(&ctx.blocks[i].text));
        }
    }
    let mut found = Vec::new();
    for (i, info) in ctx.infos.iter().enumerate() {
        // A checklist tick: a ticked item that is not a figure (figures have their own rules).
        let tick = matches!(ctx.blocks[i].kind, BlockKind::Item { .. })
            && info.mark == Some(Mark::Success)
            && figure(info).is_none();
        if !tick || info.readiness || !info.claims {
            continue;
        }
        let text = &ctx.blocks[i].text;
        let tokens = ascii_tokens(text);
        if tokens.is_empty() {
            continue;
        }
        // The ASCII names (products, standards, tools) are what a tick is about; a shared
        // Chinese phrase ("所有功能") is too common to back it.
        let backed = tokens.iter().any(|t| words.contains(t));
        if !backed {
            found.push((
                i,
                format!(
                    "ticked, but nothing else in the report mentions {}",
                    tokens
                        .iter()
                        .take(3)
                        .map(|t| format!("\"{t}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    for (i, message) in found {
        if !ctx.has("evidence.none", i) && !ctx.has("score.unsupported", i) {
            ctx.find("checklist.unbacked", Class::Unsupported, i, message, vec![]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Readiness verdicts beside open items.

fn readiness(ctx: &mut Ctx) {
    let open: Vec<usize> = (0..ctx.infos.len())
        .filter(|&i| ctx.infos[i].open)
        .collect();
    if open.is_empty() {
        return;
    }
    let related: Vec<usize> = open.iter().take(8).map(|&i| ctx.blocks[i].line).collect();
    let examples: Vec<String> = open
        .iter()
        .take(3)
        .map(|&i| {
            format!(
                "line {} \"{}\"",
                ctx.blocks[i].line,
                crate::short(&ctx.blocks[i].text)
            )
        })
        .collect();
    let verdicts: Vec<usize> = (0..ctx.infos.len())
        .filter(|&i| ctx.infos[i].readiness)
        .collect();
    for i in verdicts {
        let message = format!(
            "a readiness verdict while {} item{} in the report {} open (failed, pending, blocking or a validation still to do): {}",
            open.len(),
            if open.len() == 1 { "" } else { "s" },
            if open.len() == 1 { "is" } else { "are" },
            examples.join("; ")
        );
        ctx.find(
            "readiness.open-items",
            Class::Contradicted,
            i,
            message,
            related.clone(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Claims.

fn claims(ctx: Ctx) -> Audit {
    let mut worst: HashMap<usize, Class> = HashMap::new();
    for f in &ctx.findings {
        let e = worst.entry(f.line).or_insert(f.class);
        *e = (*e).min(f.class);
    }
    let mut claims = Vec::new();
    let mut readiness_lines = Vec::new();
    let mut dropped = ctx.dropped;
    for (i, info) in ctx.infos.iter().enumerate() {
        if !info.claims {
            continue;
        }
        let block = &ctx.blocks[i];
        let text = &block.text;
        let fig = figure(info);
        let kind = if info.readiness {
            ClaimKind::Readiness
        } else if is_score(info, text) {
            ClaimKind::Score
        } else if text.contains('→') && info.nums.len() >= 2 {
            ClaimKind::Change
        } else if fig.is_some() {
            ClaimKind::Figure
        } else if info.future && !matches!(block.kind, BlockKind::Heading(_)) {
            ClaimKind::FutureWork
        } else if info.mark.is_some()
            || info.success && !matches!(block.kind, BlockKind::Code { .. })
        {
            ClaimKind::Status
        } else if info
            .nums
            .iter()
            .any(|n| n.unit == NumUnit::Count || n.denominator.is_some())
        {
            ClaimKind::Count
        } else if lexicon::any(&info.lower, &["todo", "待修复", "下一步", "next step"]) {
            ClaimKind::FutureWork
        } else if ctx.consistent.contains(&i) {
            ClaimKind::Count
        } else {
            continue;
        };
        if kind == ClaimKind::Readiness {
            readiness_lines.push(block.line);
        }
        let status = match worst.get(&block.line) {
            Some(Class::Contradicted) => ClaimStatus::Contradicted,
            Some(Class::Unsupported) => ClaimStatus::Unsupported,
            _ if ctx.consistent.contains(&i) => ClaimStatus::Consistent,
            _ => ClaimStatus::Unchecked,
        };
        if claims.len() >= MAX_ITEMS {
            dropped += 1;
            continue;
        }
        claims.push(Claim {
            line: block.line,
            kind,
            quote: text.trim().to_string(),
            mark: info.mark,
            metric: info.metric,
            value: fig.map(|n| n.value),
            unit: fig.map(|n| n.unit),
            percentile: info.percentile,
            target: target_of(info),
            status,
            evidence: None,
        });
    }
    // A finding on a line that made no claim still counts: give it a claim.
    let claimed: HashSet<usize> = claims.iter().map(|c| c.line).collect();
    let mut added: HashSet<usize> = HashSet::new();
    for f in &ctx.findings {
        if !claimed.contains(&f.line) && added.insert(f.line) {
            claims.push(Claim {
                line: f.line,
                kind: ClaimKind::Status,
                quote: f.quote.clone(),
                mark: None,
                metric: None,
                value: None,
                unit: None,
                percentile: None,
                target: None,
                status: match worst.get(&f.line) {
                    Some(Class::Contradicted) => ClaimStatus::Contradicted,
                    _ => ClaimStatus::Unsupported,
                },
                evidence: None,
            });
        }
    }
    claims.sort_by_key(|c| c.line);
    Audit {
        version: 1,
        claims,
        findings: ctx.findings,
        summary: Summary {
            dropped,
            ..Summary::default()
        },
        readiness: readiness_lines,
        conclusion: String::new(),
    }
}
