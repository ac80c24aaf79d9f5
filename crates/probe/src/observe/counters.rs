//! Counter semantics across two scrapes (spec O-06): counters, histogram buckets and
//! `_count`s of the second scrape must not be below the first, unless the process restarted
//! (`process_start_time_seconds` changed). `_sum`s are not checked (negative observations
//! may lower them).
//!
//! [`CounterTracker`] is a [`Visitor`] run beside the linter: on the first scrape it keeps
//! one 128-bit series hash and value per counter-like series (the only state here that grows
//! with the exposition, and only with this check on); on the second it compares.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_128;

use crate::exposition::{FamilyMeta, MetricType, Sample, Visitor};
use crate::lint::LintProblem;

/// Compares counter-like series between two scrapes.
#[derive(Debug, Default)]
pub struct CounterTracker {
    previous: Option<HashMap<u128, f64>>,
    current: HashMap<u128, f64>,
    previous_start_time: Option<f64>,
    start_time: Option<f64>,
    decreases: Vec<LintProblem>,
    /// Counter-like series seen in both scrapes.
    pub n_compared: u64,
}

impl CounterTracker {
    /// Call between the scrapes.
    pub fn next_scrape(&mut self) {
        self.previous = Some(std::mem::take(&mut self.current));
        self.previous_start_time = self.start_time.take();
        self.decreases.clear();
        self.n_compared = 0;
    }

    /// Whether `process_start_time_seconds` changed between the scrapes.
    pub fn restarted(&self) -> bool {
        matches!((self.previous_start_time, self.start_time), (Some(a), Some(b)) if a != b)
    }

    /// Decreases found in the second scrape; none when the process restarted.
    pub fn problems(&self) -> Vec<LintProblem> {
        if self.restarted() {
            Vec::new()
        } else {
            self.decreases.clone()
        }
    }
}

fn counter_like(family: &FamilyMeta, sample_name: &str) -> bool {
    let suffix = &sample_name[family.name.len().min(sample_name.len())..];
    match family.metric_type {
        MetricType::Counter => suffix != "_created",
        MetricType::Histogram => suffix == "_bucket" || suffix == "_count",
        MetricType::Summary => suffix == "_count",
        _ => false,
    }
}

impl Visitor for CounterTracker {
    fn sample(&mut self, family: &FamilyMeta, sample: &Sample<'_>) {
        if sample.name == "process_start_time_seconds" {
            self.start_time = Some(sample.value);
        }
        if !counter_like(family, sample.name) {
            return;
        }
        let mut key = xxh3_128(sample.name.as_bytes());
        for (name, value) in sample.labels.iter() {
            key = key.wrapping_add(xxh3_128(format!("{name}={value}").as_bytes()));
        }
        self.current.insert(key, sample.value);
        if let Some(previous) = self.previous.as_ref().and_then(|p| p.get(&key)) {
            self.n_compared += 1;
            if sample.value < *previous {
                let labels: Vec<String> = sample
                    .labels
                    .iter()
                    .map(|(n, v)| format!("{n}={v:?}"))
                    .collect();
                self.decreases.push(LintProblem {
                    line: sample.line,
                    code: "counter-decreased",
                    metric: family.name.clone(),
                    message: format!(
                        "{}{{{}}} went from {previous} to {} between scrapes without a restart",
                        sample.name,
                        labels.join(","),
                        sample.value
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::{Format, parse};

    fn scrape(tracker: &mut CounterTracker, body: &str) {
        parse(body.as_bytes(), Format::PrometheusText, tracker).unwrap();
    }

    #[test]
    fn decreasing_counters_are_found_unless_the_process_restarted() {
        let first = "# TYPE a_total counter\na_total{x=\"1\"} 5\n# TYPE g gauge\ng 9\nprocess_start_time_seconds 100\n";
        let second = "# TYPE a_total counter\na_total{x=\"1\"} 3\n# TYPE g gauge\ng 1\nprocess_start_time_seconds 100\n";
        let mut tracker = CounterTracker::default();
        scrape(&mut tracker, first);
        tracker.next_scrape();
        scrape(&mut tracker, second);
        assert_eq!(tracker.n_compared, 1);
        let problems = tracker.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].line, problems[0].code),
            (2, "counter-decreased")
        );

        let restarted = second.replace(
            "process_start_time_seconds 100",
            "process_start_time_seconds 200",
        );
        let mut tracker = CounterTracker::default();
        scrape(&mut tracker, first);
        tracker.next_scrape();
        scrape(&mut tracker, &restarted);
        assert!(tracker.restarted());
        assert!(tracker.problems().is_empty());
    }
}
