//! Segments: one test run as N pieces (`gonogo load --segment I/N` on N machines), judged as
//! one.
//!
//! A record that is a segment says so ([`Evidence::segment`]): the test it belongs to, its
//! 0-based index `I` and the number of segments `N`, and (optionally) the wall-clock window its
//! schedule ran and its clock-offset estimate. The segments of one test add up exactly, but
//! only when every one of `0..N` is there once:
//!
//! - [`check`] refuses a test with a missing segment (`segment 2/4 of test T is missing`), a
//!   segment given twice with different content, segments that disagree about `N`, the
//!   source, the kind, the tool or the commit.
//! - [`combine`] turns a complete test into one record (for `gonogo merge`): ratios sum,
//!   histograms add, a rate (unit `1/s`) is the sum of its events over the union of the
//!   segments' windows ([`rate_over_union`]), other values combine as the catalogue says.
//! - `eval` (the gate) uses [`group`], [`check`] and [`rate_over_union`] on the records it
//!   selected, so a segmented test counts once, never a segment twice, and never partially.
//!
//! Everything here is pure: no I/O, no clock.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::catalog::{Catalog, Combine};
use crate::evidence::{Evidence, Metric, MetricValue, Ratio, Shape};
use crate::units::Unit;

/// The most segments one test may be split into.
pub const MAX_SEGMENTS: u64 = 1024;

/// When the clock-offset estimates of one test's segments differ by more than this, the
/// judgement warns: their schedules may not have started together. An HTTP `Date` header has
/// one-second resolution, so an estimate from it is only good to about ±0.5 s.
pub const CLOCK_SPREAD_WARNING_MS: f64 = 1_500.0;

/// Which segment of which test a record is.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInfo {
    /// The test the segments share (1 to 64 letters, digits, `.`, `_`, `-`).
    pub test: String,
    /// 0-based, below `count`.
    pub index: u64,
    /// `1..=MAX_SEGMENTS`.
    pub count: u64,
    /// When this segment's schedule started (wall clock of its machine).
    pub started_at: Option<Timestamp>,
    /// How long it ran, in seconds.
    pub elapsed_seconds: Option<f64>,
    /// This machine's clock minus a reference clock (the target's HTTP `Date`), in
    /// milliseconds; `None`: unknown.
    pub clock_offset_ms: Option<f64>,
}

impl SegmentInfo {
    /// Checks the fields a reader must refuse (used by `wire`).
    pub fn validate(&self) -> Result<(), String> {
        if !valid_test_id(&self.test) {
            return Err(format!(
                "`segment.test` must be 1 to 64 letters, digits, `.`, `_` or `-`, found {:?}",
                self.test
            ));
        }
        if !(1..=MAX_SEGMENTS).contains(&self.count) || self.index >= self.count {
            return Err(format!(
                "`segment` {}/{} is out of range: the count is 1 to {MAX_SEGMENTS} and the 0-based index below it",
                self.index, self.count
            ));
        }
        if self
            .elapsed_seconds
            .is_some_and(|e| !e.is_finite() || e < 0.0)
        {
            return Err("`segment.elapsed_s` must be a non-negative number".into());
        }
        if self.clock_offset_ms.is_some_and(|o| !o.is_finite()) {
            return Err("`segment.clock_offset_ms` must be a finite number".into());
        }
        Ok(())
    }

    /// `2/4`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// Whether `id` is a valid test id.
pub fn valid_test_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Why the segments of a test cannot be judged as one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentError {
    #[error("{} of test {test} {} missing (have {have} of {count}): a partial test is not the test", missing_list(missing, *count), if missing.len() == 1 { "is" } else { "are" })]
    Missing {
        test: String,
        missing: Vec<u64>,
        have: usize,
        count: u64,
    },
    #[error(
        "segment {index}/{count} of test {test} appears twice with different results: a segment counts once; remove the extra one"
    )]
    Duplicated {
        test: String,
        index: u64,
        count: u64,
    },
    #[error(
        "test {test} mixes segments of different splits ({counts}): a segment of another test is mixed in"
    )]
    CountMismatch { test: String, counts: String },
    #[error(
        "the segments of test {test} disagree about {what}: a segment of another test is mixed in"
    )]
    Mismatch { test: String, what: String },
}

fn missing_list(missing: &[u64], count: u64) -> String {
    let shown: Vec<String> = missing
        .iter()
        .take(8)
        .map(|i| format!("{i}/{count}"))
        .collect();
    let more = missing.len().saturating_sub(8);
    let word = if missing.len() == 1 {
        "segment"
    } else {
        "segments"
    };
    if more > 0 {
        format!("{word} {} and {more} more", shown.join(", "))
    } else {
        format!("{word} {}", shown.join(", "))
    }
}

/// Splits `indices` into whole runs and the segments of each test (by test id, members in
/// the order given). A segment `0/1` is a whole run: measured again, the newest counts.
pub fn group(
    records: &[Evidence],
    indices: &[usize],
) -> (Vec<usize>, BTreeMap<String, Vec<usize>>) {
    let mut plain = Vec::new();
    let mut tests: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in indices {
        match &records[i].segment {
            Some(segment) if segment.count > 1 || segment.index > 0 => {
                tests.entry(segment.test.clone()).or_default().push(i)
            }
            _ => plain.push(i),
        }
    }
    (plain, tests)
}

/// Checks that `members` (the records of one test, each a segment, each record once) are
/// exactly segments `0..N` of one split of one test about one thing.
pub fn check(members: &[&Evidence]) -> Result<(), SegmentError> {
    let infos: Vec<&SegmentInfo> = members.iter().filter_map(|r| r.segment.as_ref()).collect();
    let Some(first) = infos.first() else {
        return Ok(());
    };
    let test = first.test.clone();
    let mut counts: Vec<u64> = infos.iter().map(|s| s.count).collect();
    counts.sort_unstable();
    counts.dedup();
    if counts.len() > 1 {
        return Err(SegmentError::CountMismatch {
            test,
            counts: counts
                .iter()
                .map(|c| format!("N = {c}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let reference = members[0];
    for record in &members[1..] {
        let what = if record.kind != reference.kind {
            Some("the kind of evidence")
        } else if record.source != reference.source {
            Some("the source")
        } else if record.tool.name != reference.tool.name {
            Some("the tool")
        } else if record.commit != reference.commit {
            Some("the commit")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(SegmentError::Mismatch {
                test,
                what: what.to_owned(),
            });
        }
    }
    let count = first.count;
    let mut seen = vec![false; count as usize];
    for info in &infos {
        let slot = &mut seen[info.index as usize];
        if *slot {
            return Err(SegmentError::Duplicated {
                test,
                index: info.index,
                count,
            });
        }
        *slot = true;
    }
    let missing: Vec<u64> = (0..count).filter(|&i| !seen[i as usize]).collect();
    if !missing.is_empty() {
        return Err(SegmentError::Missing {
            test,
            missing,
            have: infos.len(),
            count,
        });
    }
    Ok(())
}

/// The length in seconds of the union of the segments' windows; `None` when a window is not
/// known.
pub fn union_seconds(members: &[&Evidence]) -> Option<f64> {
    let mut windows: Vec<(f64, f64)> = Vec::with_capacity(members.len());
    for record in members {
        let info = record.segment.as_ref()?;
        let start = info.started_at?.as_nanosecond() as f64 / 1e9;
        windows.push((start, start + info.elapsed_seconds?));
    }
    windows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for (start, end) in windows {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    Some(total)
}

/// A per-second rate measured by every segment (events / its own window), for the test: the
/// events of all segments over the union of their windows. Falls back to the sum of the rates
/// (segments that ran side by side) when a window is not known or the union is empty.
pub fn rate_over_union(members: &[&Evidence], rates: &[f64]) -> f64 {
    let events: Option<f64> = members
        .iter()
        .zip(rates)
        .map(|(r, rate)| r.segment.as_ref()?.elapsed_seconds.map(|e| rate * e))
        .sum();
    match (events, union_seconds(members)) {
        (Some(events), Some(union)) if union > 0.0 => events / union,
        _ => rates.iter().sum(),
    }
}

/// How far apart the segments' known clock-offset estimates are, in ms (`None` with fewer than
/// two known).
pub fn clock_spread_ms(members: &[&Evidence]) -> Option<f64> {
    let offsets: Vec<f64> = members
        .iter()
        .filter_map(|r| r.segment.as_ref()?.clock_offset_ms)
        .collect();
    if offsets.len() < 2 {
        return None;
    }
    let low = offsets.iter().copied().fold(f64::INFINITY, f64::min);
    let high = offsets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(high - low)
}

/// A sentence for the judgement when the segments' clocks disagree by more than
/// [`CLOCK_SPREAD_WARNING_MS`].
pub fn clock_warning(members: &[&Evidence]) -> Option<String> {
    let spread = clock_spread_ms(members)?;
    let test = &members.first()?.segment.as_ref()?.test;
    (spread > CLOCK_SPREAD_WARNING_MS).then(|| {
        format!(
            "the clocks of the machines that ran test {test} disagree by about {:.1} s (more than {:.1} s): their schedules may not have started together",
            spread / 1000.0,
            CLOCK_SPREAD_WARNING_MS / 1000.0
        )
    })
}

/// One complete test's segments as one record (what `gonogo merge` writes): checked with
/// [`check`], then every metric all segments carry combined exactly (ratios and their parts
/// sum, histograms add, a `1/s` rate over the union of the windows, other values as
/// its catalogue row says ([`Catalog::combine_for`]); a value with no meaning across segments
/// is an error). The
/// result is not a segment; its `sha256` is that of the members' digests in segment order.
pub fn combine(members: &[Evidence], catalog: Catalog) -> Result<Evidence, CombineError> {
    let refs: Vec<&Evidence> = members.iter().collect();
    if refs.is_empty() {
        return Err(CombineError::Empty);
    }
    if refs.iter().any(|r| r.segment.is_none()) {
        return Err(CombineError::NotASegment);
    }
    let test = refs[0].segment.as_ref().expect("checked").test.clone();
    if let Some(other) = refs
        .iter()
        .find(|r| r.segment.as_ref().is_some_and(|s| s.test != test))
    {
        return Err(CombineError::Segments(SegmentError::Mismatch {
            test,
            what: format!(
                "the test id (also {})",
                other.segment.as_ref().expect("checked").test
            ),
        }));
    }
    check(&refs)?;
    let mut ordered = refs.clone();
    ordered.sort_by_key(|r| r.segment.as_ref().map(|s| s.index));
    let first = ordered[0];
    let digests: String = ordered.iter().map(|r| r.sha256.as_str()).collect();
    let mut record = Evidence::new(
        first.kind.clone(),
        first.source.clone(),
        crate::evidence::sha256_hex(digests.as_bytes()),
        ordered
            .iter()
            .map(|r| r.collected_at)
            .min()
            .expect("non-empty"),
        first.tool.clone(),
    );
    record.commit = first.commit.clone();
    for r in &ordered {
        let label = r.segment.as_ref().expect("checked").label();
        for what in &r.incomplete {
            let line = format!("segment {label}: {what}");
            // A coded sentence keeps its code, with the segment as one more argument: reports
            // word both in their language.
            match r.incomplete_codes.get(what) {
                Some(code) => {
                    record.mark_incomplete_coded(line, code.clone().arg("segment", &label));
                }
                None => record.incomplete.push(line),
            }
        }
    }
    for (name, metric) in &first.metrics {
        let all: Vec<&Metric> = ordered.iter().filter_map(|r| r.metrics.get(name)).collect();
        if all.len() != ordered.len() {
            return Err(CombineError::Metric {
                metric: name.clone(),
                message: "not every segment has it".into(),
            });
        }
        if all
            .iter()
            .any(|m| m.unit != metric.unit || m.value.shape() != metric.value.shape())
        {
            return Err(CombineError::Metric {
                metric: name.clone(),
                message: "the segments give it in different shapes or units".into(),
            });
        }
        let combined = combine_metric(name, &all, &ordered, catalog)?;
        record.insert(name.clone(), combined);
    }
    record.details = serde_json::json!({
        "test": test,
        "segments": ordered.iter().map(|r| serde_json::json!({
            "segment": r.segment.as_ref().map(SegmentInfo::label),
            "sha256": r.sha256,
            "collected_at": r.collected_at.to_string(),
        })).collect::<Vec<_>>(),
        "clock_warning": clock_warning(&ordered),
    });
    Ok(record)
}

/// Why [`combine`] refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CombineError {
    #[error("no segment to combine")]
    Empty,
    #[error("a record to combine is not a segment (it has no `segment`)")]
    NotASegment,
    #[error(transparent)]
    Segments(#[from] SegmentError),
    #[error("metric `{metric}`: {message}")]
    Metric { metric: String, message: String },
}

fn combine_metric(
    name: &str,
    all: &[&Metric],
    members: &[&Evidence],
    catalog: Catalog,
) -> Result<Metric, CombineError> {
    let overflow = || CombineError::Metric {
        metric: name.to_owned(),
        message: "the counts overflow when added".into(),
    };
    let first = all[0];
    let mut out = first.clone();
    match &first.value {
        MetricValue::Ratio(_) => {
            let mut sum = Ratio { k: 0, n: 0 };
            let mut parts: BTreeMap<String, Ratio> = BTreeMap::new();
            for metric in all {
                let r = metric.value.as_ratio().expect("shape checked");
                sum = sum.checked_add(r).ok_or_else(overflow)?;
                for (part, ratio) in &metric.parts {
                    let entry = parts.entry(part.clone()).or_insert(Ratio { k: 0, n: 0 });
                    *entry = entry.checked_add(*ratio).ok_or_else(overflow)?;
                }
            }
            out.value = MetricValue::Ratio(sum);
            out.parts = parts;
        }
        MetricValue::Distribution(h) => {
            // `add` keeps the form: the sum of read segments stays encoded, as they are.
            let mut merged = h.clone();
            for metric in &all[1..] {
                let MetricValue::Distribution(h) = &metric.value else {
                    unreachable!("shape checked")
                };
                merged.add(h).map_err(|_| CombineError::Metric {
                    metric: name.to_owned(),
                    message: "the histograms cannot be added".into(),
                })?;
            }
            out.value = MetricValue::Distribution(merged);
        }
        MetricValue::Value(_) => {
            let values: Vec<f64> = all
                .iter()
                .map(|m| match m.value {
                    MetricValue::Value(v) => v,
                    _ => 0.0,
                })
                .collect();
            let value = if first.unit == Unit::PerSecond {
                rate_over_union(members, &values)
            } else {
                match catalog.combine_for(name, Shape::Value) {
                    Combine::Sum | Combine::Union => values.iter().sum(),
                    Combine::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                    Combine::Max | Combine::Nonzero => {
                        values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    }
                    Combine::Single => {
                        return Err(CombineError::Metric {
                            metric: name.to_owned(),
                            message: "one segment's figure cannot stand for the test".into(),
                        });
                    }
                }
            };
            if !value.is_finite() {
                return Err(overflow());
            }
            out.value = MetricValue::Value(value);
            out.estimate = all.iter().any(|m| m.estimate);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixture::CATALOG;
    use crate::evidence::{Source, Tool};

    fn segment(test: &str, index: u64, count: u64, start_s: i64, elapsed: f64) -> Evidence {
        let mut record = Evidence::new(
            "load",
            Source::Url("http://127.0.0.1:8080/".into()),
            crate::evidence::sha256_hex(format!("{test}{index}{count}").as_bytes()),
            Timestamp::from_second(1_800_000_000 + start_s).unwrap(),
            Tool::new("gonogo", "0.1.0"),
        );
        record.segment = Some(SegmentInfo {
            test: test.into(),
            index,
            count,
            started_at: Some(Timestamp::from_second(1_800_000_000 + start_s).unwrap()),
            elapsed_seconds: Some(elapsed),
            clock_offset_ms: Some(index as f64 * 10.0),
        });
        let mut h = crate::evidence::latency_histogram();
        h.record(1000 * (index + 1)).unwrap();
        record.insert(
            "load.default.latency",
            Metric::distribution(h, Unit::parse("us")),
        );
        record.insert(
            "load.default.errors",
            Metric::ratio(Ratio::new(index, 10).unwrap(), Unit::count("requests")),
        );
        record.insert(
            "load.default.throughput",
            Metric::value(10.0 / elapsed, Unit::PerSecond),
        );
        record.insert(
            "load.default.requests",
            Metric::value(10.0, Unit::count("requests")),
        );
        record
    }

    #[test]
    fn a_complete_test_combines_exactly() {
        let members: Vec<Evidence> = (0..4).map(|i| segment("t1", i, 4, 0, 10.0)).collect();
        let combined = combine(&members, CATALOG).unwrap();
        assert!(combined.segment.is_none());
        let errors = combined.metrics["load.default.errors"]
            .value
            .as_ratio()
            .unwrap();
        assert_eq!((errors.k, errors.n), (1 + 2 + 3, 40));
        let latency = combined.metrics["load.default.latency"]
            .value
            .as_histogram()
            .unwrap();
        assert_eq!(latency.len(), 4);
        assert_eq!(latency.max(), latency.highest_equivalent(4000));
        // Four segments side by side for the same 10 s: 40 requests in 10 s.
        let value = |name: &str| match combined.metrics[name].value {
            MetricValue::Value(v) => v,
            _ => f64::NAN,
        };
        assert_eq!(value("load.default.throughput"), 4.0);
        assert_eq!(value("load.default.requests"), 40.0);
    }

    /// What a segment could not do stays said in the combined record, each sentence under
    /// its segment; a coded sentence keeps its code with the segment as an argument (reports
    /// word it in their language, issue 17), and the combined record reads back.
    #[test]
    fn a_segment_s_incomplete_sentences_keep_their_code_and_their_segment() {
        use crate::evidence::NoteCode;
        let mut members: Vec<Evidence> = (0..2).map(|i| segment("t", i, 2, 0, 1.0)).collect();
        let code = NoteCode::new("load.no_time_span");
        members[1].mark_incomplete_coded("no time span", code.clone());
        members[1].incomplete.push("an uncoded sentence".into());
        let combined = combine(&members, CATALOG).unwrap();
        assert_eq!(
            combined.incomplete,
            [
                "segment 1/2: no time span",
                "segment 1/2: an uncoded sentence"
            ]
        );
        assert_eq!(
            combined.incomplete_codes.get("segment 1/2: no time span"),
            Some(&code.arg("segment", "1/2"))
        );
        assert!(
            !combined
                .incomplete_codes
                .contains_key("segment 1/2: an uncoded sentence")
        );
        let line = crate::wire::to_json_line(&combined);
        let back = crate::wire::parse_records(&line, CATALOG).expect("reads back");
        assert_eq!(back[0].incomplete_codes, combined.incomplete_codes);
    }

    #[test]
    fn throughput_is_over_the_union_of_the_windows() {
        // Two segments of 10 s each, the second starting 5 s late: 20 requests in 15 s.
        let members = [segment("t", 0, 2, 0, 10.0), segment("t", 1, 2, 5, 10.0)];
        let refs: Vec<&Evidence> = members.iter().collect();
        assert_eq!(union_seconds(&refs), Some(15.0));
        let rate = rate_over_union(&refs, &[1.0, 1.0]);
        assert!((rate - 20.0 / 15.0).abs() < 1e-12, "{rate}");
        // Disjoint windows: the gap does not count.
        let members = [segment("t", 0, 2, 0, 10.0), segment("t", 1, 2, 20, 10.0)];
        let refs: Vec<&Evidence> = members.iter().collect();
        assert_eq!(union_seconds(&refs), Some(20.0));
    }

    #[test]
    fn a_missing_segment_is_named() {
        let members: Vec<Evidence> = [0, 1, 3].map(|i| segment("t9", i, 4, 0, 1.0)).into();
        let refs: Vec<&Evidence> = members.iter().collect();
        let error = check(&refs).unwrap_err();
        assert_eq!(
            error.to_string(),
            "segment 2/4 of test t9 is missing (have 3 of 4): a partial test is not the test"
        );
        assert!(combine(&members, CATALOG).is_err());
        let one = [segment("t9", 1, 7, 0, 1.0)];
        let refs: Vec<&Evidence> = one.iter().collect();
        assert!(
            check(&refs)
                .unwrap_err()
                .to_string()
                .starts_with("segments 0/7, 2/7, 3/7, 4/7, 5/7, 6/7 of test t9 are missing")
        );
    }

    #[test]
    fn a_duplicated_or_foreign_segment_is_refused() {
        let mut members: Vec<Evidence> = (0..2).map(|i| segment("t", i, 2, 0, 1.0)).collect();
        let mut again = segment("t", 1, 2, 0, 1.0);
        again.sha256 = crate::evidence::sha256_hex(b"another run");
        members.push(again);
        let refs: Vec<&Evidence> = members.iter().collect();
        assert!(matches!(
            check(&refs),
            Err(SegmentError::Duplicated { index: 1, .. })
        ));
        let members = [
            segment("t", 0, 2, 0, 1.0),
            segment("t", 1, 2, 0, 1.0),
            segment("t", 1, 3, 0, 1.0),
        ];
        let refs: Vec<&Evidence> = members.iter().collect();
        assert!(
            check(&refs)
                .unwrap_err()
                .to_string()
                .contains("N = 2, N = 3")
        );
        let mut other = segment("t", 1, 2, 0, 1.0);
        other.source = Source::Url("http://127.0.0.1:9090/".into());
        let members = [segment("t", 0, 2, 0, 1.0), other];
        let refs: Vec<&Evidence> = members.iter().collect();
        assert!(matches!(check(&refs), Err(SegmentError::Mismatch { .. })));
    }

    #[test]
    fn the_wire_form_keeps_the_segment_and_refuses_one_out_of_range() {
        let record = segment("t-1", 2, 4, 0, 1.5);
        let line = crate::wire::to_json_line(&record);
        let back = crate::wire::parse_records(&line, CATALOG)
            .unwrap()
            .remove(0);
        assert_eq!(back.segment, record.segment);
        assert!(crate::wire::suggested_file_name(&back).contains("-segment-2-of-4-"));
        for (from, to) in [
            ("\"index\":2", "\"index\":4"),
            ("\"count\":4", "\"count\":0"),
            ("\"test\":\"t-1\"", "\"test\":\"a b\""),
        ] {
            assert!(line.contains(from), "{line}");
            let bad = line.replace(from, to);
            assert!(crate::wire::parse_records(&bad, CATALOG).is_err(), "{bad}");
        }
        // A reader that ignores `segment` still reads the record (version 1 only gains
        // optional fields): without it, the same line parses as a whole run.
        let mut value: serde_json::Value = serde_json::from_str(&line).unwrap();
        value.as_object_mut().unwrap().remove("segment");
        let plain = crate::wire::parse_records(&value.to_string(), CATALOG).unwrap();
        assert!(plain[0].segment.is_none());
    }

    #[test]
    fn clocks_that_disagree_are_warned_about() {
        let mut members: Vec<Evidence> = (0..2).map(|i| segment("t", i, 2, 0, 1.0)).collect();
        let refs: Vec<&Evidence> = members.iter().collect();
        assert_eq!(clock_spread_ms(&refs), Some(10.0));
        assert_eq!(clock_warning(&refs), None);
        members[1].segment.as_mut().unwrap().clock_offset_ms = Some(2_000.0);
        let refs: Vec<&Evidence> = members.iter().collect();
        assert!(
            clock_warning(&refs)
                .unwrap()
                .contains("disagree by about 2.0 s")
        );
    }
}
