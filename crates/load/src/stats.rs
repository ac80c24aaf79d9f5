//! Recording results without locks, and merging them at the end.
//!
//! Each worker thread owns a [`ThreadRecorder`] (its tasks share it through an `Rc<RefCell<_>>`,
//! never across threads): two HDR histograms (latency from the intended start, and service time
//! from the actual send), status and error counts, and the current second of the time series.
//! When a second is over, the thread sends that second's small histogram to the collector over a
//! channel ([`SecondSlice`]); that is the only cross-thread traffic besides two relaxed atomic
//! counters for the progress line. At the end the recorders are added into one [`Totals`]
//! (HDR histograms add exactly) and the [`SeriesCollector`] yields the per-second [`SecondPoint`]s.
//!
//! With `--urls`, each recorder also holds one small [`EntryRecorder`] per URL (counts, status
//! and error classes, a latency histogram), added up into [`EntryTotals`] the same way. A
//! single-URL run has none, and recording costs it one bounds check.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::error_class::ErrorClass;

/// A send this much later than its intended start counts as late (see `n_late_sends`).
pub const LATE_SEND: Duration = Duration::from_millis(1);

/// Statuses are counted in an array indexed by code; anything at or above this is clamped.
const STATUS_SLOTS: usize = 1000;

/// The histogram of one second of the time series: 1 µs to 60 s, 2 significant digits (about
/// 20 KiB), enough for a chart's p50/p99 line. The run's latency metric uses the full-precision
/// histogram.
pub fn second_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 2).expect("static bounds are valid")
}

/// Live counters the progress line reads (relaxed; written by one thread each).
#[derive(Debug, Default)]
pub struct Progress {
    pub completed: AtomicU64,
    pub errors: AtomicU64,
    /// Finished requests whose connection was refused (nothing listens on the port).
    pub refused: AtomicU64,
}

/// One second of one thread's results.
#[derive(Debug)]
pub struct SecondSlice {
    pub second: u64,
    pub completed: u64,
    pub errors: u64,
    pub histogram: Histogram<u64>,
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub error: Option<ErrorClass>,
    /// The error body showed what it should not (a stack trace, a database error, a version):
    /// only looked for when the run has a [`crate::engine::LeakScan`].
    pub leak: bool,
}

/// A drill's phase on the run's own clock: requests placed (by their intended start, or their
/// send in the closed model) at `from <= t < until` count in it; `None` is an open end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseSpan {
    /// What follows the metric's name inside `[...]`: `before`, `after`, `during:NAME`.
    pub suffix: String,
    pub from: Option<Instant>,
    pub until: Option<Instant>,
}

impl PhaseSpan {
    pub fn contains(&self, t: Instant) -> bool {
        self.from.is_none_or(|from| from <= t) && self.until.is_none_or(|until| t < until)
    }
}

/// The spans of drill phases given in wall-clock time, on the clock of a run that started at
/// `started_at` (= `start`): `[before]` the first phase began, `[during:NAME]` each phase,
/// `[after]` the last one ended, as the probes split theirs. No phases, no spans.
pub fn phase_spans(
    phases: &[gonogo_core::catalog::PhaseWindow],
    started_at: jiff::Timestamp,
    start: Instant,
) -> Vec<PhaseSpan> {
    let (Some(first), Some(last)) = (
        phases.iter().map(|p| p.start).min(),
        phases.iter().map(|p| p.end).max(),
    ) else {
        return Vec::new();
    };
    let at = |t: jiff::Timestamp| {
        let offset = t.duration_since(started_at);
        let magnitude = offset.unsigned_abs();
        if offset.is_negative() {
            // Before the run began (or before the clock can say): all of the run is after it.
            start.checked_sub(magnitude).unwrap_or(start)
        } else {
            start + magnitude
        }
    };
    let mut spans = vec![
        PhaseSpan {
            suffix: "before".to_owned(),
            from: None,
            until: Some(at(first)),
        },
        PhaseSpan {
            suffix: "after".to_owned(),
            from: Some(at(last)),
            until: None,
        },
    ];
    for phase in phases {
        spans.push(PhaseSpan {
            suffix: format!("during:{}", phase.name),
            from: Some(at(phase.start)),
            until: Some(at(phase.end)),
        });
    }
    spans
}

/// One phase's requests (on one thread, or summed): the whole run's figures over the requests
/// placed in the phase.
#[derive(Debug, Clone)]
pub struct PhaseTotals {
    pub latency: Histogram<u64>,
    /// Sent (or attempted); `n_started - n_completed` were cut off (interrupted).
    pub n_started: u64,
    pub n_completed: u64,
    pub n_dropped: u64,
    /// Completed or dropped requests that failed (any class).
    pub n_failed: u64,
    /// Requests a response came back for (any status).
    pub n_responses: u64,
    /// Responses whose error body leaked (see [`Outcome::leak`]).
    pub n_leaks: u64,
}

impl PhaseTotals {
    pub fn empty() -> PhaseTotals {
        PhaseTotals {
            latency: gonogo_core::evidence::latency_histogram(),
            n_started: 0,
            n_completed: 0,
            n_dropped: 0,
            n_failed: 0,
            n_responses: 0,
            n_leaks: 0,
        }
    }

    fn record(&mut self, outcome: Outcome, latency: Option<Duration>) {
        self.n_completed += 1;
        if outcome.error.is_some() {
            self.n_failed += 1;
        }
        if outcome.status.is_some() {
            self.n_responses += 1;
        }
        if outcome.leak {
            self.n_leaks += 1;
        }
        if let Some(latency) = latency {
            self.latency
                .saturating_record(latency.as_micros().max(1) as u64);
        }
    }

    pub fn add(&mut self, other: &PhaseTotals) {
        self.latency
            .add(&other.latency)
            .expect("histograms share bounds");
        self.n_started += other.n_started;
        self.n_completed += other.n_completed;
        self.n_dropped += other.n_dropped;
        self.n_failed += other.n_failed;
        self.n_responses += other.n_responses;
        self.n_leaks += other.n_leaks;
    }

    /// Requests that were due in the phase: completed, dropped and interrupted.
    pub fn n_issued(&self) -> u64 {
        self.n_completed + self.n_dropped + self.n_interrupted()
    }

    pub fn n_interrupted(&self) -> u64 {
        self.n_started.saturating_sub(self.n_completed)
    }

    /// Failed requests, dropped and interrupted ones included (the `errors` metric's `k`).
    pub fn n_errors(&self) -> u64 {
        self.n_failed + self.n_interrupted()
    }
}

/// A `--urls` entry's latency histogram: 1 µs up, 2 significant digits (values within 1 %),
/// growing only as far as the largest latency recorded (a few KiB for millisecond latencies),
/// because there is one per URL per thread. Values are capped at one hour, like the run's.
pub fn entry_histogram() -> Histogram<u64> {
    Histogram::new(2).expect("2 significant digits are valid")
}

/// The largest latency recorded, in µs (one hour, the run histogram's bound).
const MAX_LATENCY_MICROS: u64 = 3_600_000_000;

/// Status classes counted per URL: `1xx` to `5xx`, then anything else.
pub const STATUS_CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

fn status_class(status: u16) -> usize {
    match status {
        100..=599 => usize::from(status / 100 - 1),
        _ => STATUS_CLASSES.len() - 1,
    }
}

/// One `--urls` entry's results on one thread.
#[derive(Debug, Clone)]
pub struct EntryRecorder {
    /// Latency as the run's (from the intended start in the open model), see [`entry_histogram`].
    pub latency: Histogram<u64>,
    /// Responses by [`STATUS_CLASSES`].
    pub status_classes: [u64; STATUS_CLASSES.len()],
    pub error_counts: [u64; ErrorClass::ALL.len()],
    pub n_completed: u64,
    pub n_dropped: u64,
    pub n_started: u64,
}

impl EntryRecorder {
    pub fn new() -> EntryRecorder {
        EntryRecorder {
            latency: entry_histogram(),
            status_classes: [0; STATUS_CLASSES.len()],
            error_counts: [0; ErrorClass::ALL.len()],
            n_completed: 0,
            n_dropped: 0,
            n_started: 0,
        }
    }

    fn record(&mut self, outcome: Outcome, latency: Option<Duration>) {
        self.n_completed += 1;
        if let Some(status) = outcome.status {
            self.status_classes[status_class(status)] += 1;
        }
        if let Some(class) = outcome.error {
            self.error_counts[class.index()] += 1;
        }
        if let Some(latency) = latency {
            let micros = (latency.as_micros().max(1) as u64).min(MAX_LATENCY_MICROS);
            // An auto-resizing histogram records any value up to the cap.
            let _ = self.latency.record(micros);
        }
    }
}

impl Default for EntryRecorder {
    fn default() -> Self {
        EntryRecorder::new()
    }
}

/// One thread's results.
pub struct ThreadRecorder {
    pub latency: Histogram<u64>,
    pub service_time: Histogram<u64>,
    pub status_counts: Vec<u64>,
    pub error_counts: [u64; ErrorClass::ALL.len()],
    /// Requests that finished (a response or an error), dropped ones excluded.
    pub n_completed: u64,
    /// Requests that were due but never sent (open model, in-flight cap reached).
    pub n_dropped: u64,
    /// Requests sent (or attempted) so far; `n_started - n_completed` are in flight.
    pub n_started: u64,
    /// When the first rate-limited response arrived, since the run started.
    pub first_rate_limited: Option<Duration>,
    /// Open model: requests sent more than [`LATE_SEND`] after their intended start.
    pub n_late_sends: u64,
    /// `--urls`: one recorder per entry, indexed like the file's entries; empty for one URL.
    pub per_entry: Vec<EntryRecorder>,
    /// Drill phases (under `gonogo run`): one figure set per span, indexed like `phases`.
    pub per_phase: Vec<PhaseTotals>,
    /// Responses whose error body leaked, over the whole run.
    pub n_leaks: u64,
    phases: Arc<[PhaseSpan]>,
    run_start: Instant,
    current_second: u64,
    second_completed: u64,
    second_errors: u64,
    second_histogram: Option<Histogram<u64>>,
    series: mpsc::Sender<SecondSlice>,
    progress: Arc<Progress>,
}

impl ThreadRecorder {
    /// `entries`: the number of `--urls` entries to keep figures for (0 for a single URL).
    pub fn new(
        run_start: Instant,
        series: mpsc::Sender<SecondSlice>,
        progress: Arc<Progress>,
        entries: usize,
        phases: Arc<[PhaseSpan]>,
    ) -> Self {
        ThreadRecorder {
            per_phase: vec![PhaseTotals::empty(); phases.len()],
            n_leaks: 0,
            phases,
            latency: gonogo_core::evidence::latency_histogram(),
            service_time: gonogo_core::evidence::latency_histogram(),
            status_counts: vec![0; STATUS_SLOTS],
            error_counts: [0; ErrorClass::ALL.len()],
            n_completed: 0,
            n_dropped: 0,
            n_started: 0,
            first_rate_limited: None,
            n_late_sends: 0,
            per_entry: vec![EntryRecorder::new(); entries],
            run_start,
            current_second: 0,
            second_completed: 0,
            second_errors: 0,
            second_histogram: None,
            series,
            progress,
        }
    }

    /// The drill phases a request placed at `placed` counts in.
    fn phases_of(&self, placed: Instant) -> impl Iterator<Item = usize> + use<'_> {
        self.phases
            .iter()
            .enumerate()
            .filter(move |(_, span)| span.contains(placed))
            .map(|(index, _)| index)
    }

    /// Counts a request of entry `entry` as sent (or attempted); see `n_started`. `placed`:
    /// its intended start (open model) or its send (closed model), which places it in a phase.
    pub fn start(&mut self, entry: usize, placed: Instant) {
        for index in self.phases_of(placed).collect::<Vec<_>>() {
            self.per_phase[index].n_started += 1;
        }
        self.n_started += 1;
        if let Some(figures) = self.per_entry.get_mut(entry) {
            figures.n_started += 1;
        }
    }

    /// Records a finished request of entry `entry` (0 for a single URL). `latency` is from the
    /// intended start (equal to the send time in the closed model), `service_time` from the
    /// actual send; `None` when the request has no meaningful latency (it failed before a
    /// response could arrive, e.g. connection refused).
    pub fn record(
        &mut self,
        now: Instant,
        entry: usize,
        outcome: Outcome,
        latency: Option<Duration>,
        service_time: Option<Duration>,
        placed: Instant,
    ) {
        self.roll_to(now);
        if !self.phases.is_empty() {
            for index in self.phases_of(placed).collect::<Vec<_>>() {
                self.per_phase[index].record(outcome, latency);
            }
        }
        if outcome.leak {
            self.n_leaks += 1;
        }
        if let Some(figures) = self.per_entry.get_mut(entry) {
            figures.record(outcome, latency);
        }
        self.n_completed += 1;
        self.second_completed += 1;
        if let Some(status) = outcome.status {
            self.status_counts[(status as usize).min(STATUS_SLOTS - 1)] += 1;
        }
        if let Some(class) = outcome.error {
            self.error_counts[class.index()] += 1;
            self.second_errors += 1;
            self.progress.errors.fetch_add(1, Ordering::Relaxed);
            if class == ErrorClass::ConnectRefused {
                self.progress.refused.fetch_add(1, Ordering::Relaxed);
            }
            if class == ErrorClass::RateLimited && self.first_rate_limited.is_none() {
                self.first_rate_limited = Some(now.saturating_duration_since(self.run_start));
            }
        }
        if let Some(latency) = latency {
            let micros = latency.as_micros().max(1) as u64;
            self.latency.saturating_record(micros);
            self.second_histogram
                .get_or_insert_with(second_histogram)
                .saturating_record(micros);
        }
        if let Some(service_time) = service_time {
            self.service_time
                .saturating_record(service_time.as_micros().max(1) as u64);
        }
        self.progress.completed.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a request of entry `entry` that was due but could not start.
    pub fn record_dropped(&mut self, now: Instant, entry: usize, placed: Instant) {
        self.roll_to(now);
        if !self.phases.is_empty() {
            for index in self.phases_of(placed).collect::<Vec<_>>() {
                let phase = &mut self.per_phase[index];
                phase.n_dropped += 1;
                phase.n_failed += 1;
            }
        }
        if let Some(figures) = self.per_entry.get_mut(entry) {
            figures.n_dropped += 1;
            figures.error_counts[ErrorClass::Dropped.index()] += 1;
        }
        self.n_dropped += 1;
        self.error_counts[ErrorClass::Dropped.index()] += 1;
        self.second_errors += 1;
        self.progress.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Closes the current second if `now` is past it, sending it to the collector.
    pub fn roll_to(&mut self, now: Instant) {
        let second = now.saturating_duration_since(self.run_start).as_secs();
        if second != self.current_second {
            self.flush();
            self.current_second = second;
        }
    }

    /// Sends the current second (if it holds anything) to the collector.
    pub fn flush(&mut self) {
        if self.second_completed == 0 && self.second_errors == 0 {
            return;
        }
        let slice = SecondSlice {
            second: self.current_second,
            completed: self.second_completed,
            errors: self.second_errors,
            histogram: self
                .second_histogram
                .take()
                .unwrap_or_else(second_histogram),
        };
        // The collector outlives the workers; if it is gone the series is simply incomplete.
        let _ = self.series.send(slice);
        self.second_completed = 0;
        self.second_errors = 0;
    }
}

/// One `--urls` entry's figures, summed over threads (the per-URL line of the summary, JSON
/// and evidence).
#[derive(Debug, Clone)]
pub struct EntryTotals {
    /// See [`entry_histogram`].
    pub latency: Histogram<u64>,
    /// Responses by [`STATUS_CLASSES`].
    pub status_classes: [u64; STATUS_CLASSES.len()],
    pub error_counts: BTreeMap<ErrorClass, u64>,
    pub n_completed: u64,
    pub n_dropped: u64,
    pub n_interrupted: u64,
}

impl EntryTotals {
    pub fn empty() -> EntryTotals {
        EntryTotals {
            latency: entry_histogram(),
            status_classes: [0; STATUS_CLASSES.len()],
            error_counts: BTreeMap::new(),
            n_completed: 0,
            n_dropped: 0,
            n_interrupted: 0,
        }
    }

    fn add(&mut self, recorder: &EntryRecorder) {
        self.latency
            .add(&recorder.latency)
            .expect("an auto-resizing histogram takes any other");
        for (total, count) in self.status_classes.iter_mut().zip(recorder.status_classes) {
            *total += count;
        }
        for class in ErrorClass::ALL {
            let count = recorder.error_counts[class.index()];
            if count > 0 {
                *self.error_counts.entry(class).or_default() += count;
            }
        }
        self.n_completed += recorder.n_completed;
        self.n_dropped += recorder.n_dropped;
        self.n_interrupted += recorder.n_started.saturating_sub(recorder.n_completed);
    }

    /// Requests of this entry that were due: completed, dropped and interrupted.
    pub fn n_issued(&self) -> u64 {
        self.n_completed + self.n_dropped + self.n_interrupted
    }

    /// Requests of this entry that failed for any reason, dropped and interrupted ones included
    /// (as `load.<name>.errors` counts them for the whole run).
    pub fn n_failed(&self) -> u64 {
        self.error_counts.values().sum::<u64>() + self.n_interrupted
    }
}

/// Everything a run measured, summed over threads.
#[derive(Debug, Clone)]
pub struct Totals {
    /// Latency from the intended start, microseconds.
    pub latency: Histogram<u64>,
    /// Service time from the actual send, microseconds.
    pub service_time: Histogram<u64>,
    pub status_counts: BTreeMap<u16, u64>,
    pub error_counts: BTreeMap<ErrorClass, u64>,
    pub n_completed: u64,
    pub n_dropped: u64,
    /// Requests still outstanding when the run was cut off (hard deadline or second Ctrl-C).
    pub n_interrupted: u64,
    pub first_rate_limited: Option<Duration>,
    /// Open model: requests sent more than [`LATE_SEND`] after their intended start (all
    /// connections busy, or the generator short of CPU).
    pub n_late_sends: u64,
    /// `--urls`: each entry's figures, in file order; empty for a single URL.
    pub per_entry: Vec<EntryTotals>,
    /// Drill phases: each span's suffix and figures, in the run's span order; empty outside a
    /// drill.
    pub per_phase: Vec<(String, PhaseTotals)>,
    /// Responses whose error body leaked (only looked for with a leak scan).
    pub n_leaks: u64,
}

impl Totals {
    pub fn empty() -> Totals {
        Totals {
            latency: gonogo_core::evidence::latency_histogram(),
            service_time: gonogo_core::evidence::latency_histogram(),
            status_counts: BTreeMap::new(),
            error_counts: BTreeMap::new(),
            n_completed: 0,
            n_dropped: 0,
            n_interrupted: 0,
            first_rate_limited: None,
            n_late_sends: 0,
            per_entry: Vec::new(),
            per_phase: Vec::new(),
            n_leaks: 0,
        }
    }

    /// Adds one thread's recorder.
    pub fn add(&mut self, recorder: &ThreadRecorder) {
        self.latency
            .add(&recorder.latency)
            .expect("histograms share bounds");
        self.service_time
            .add(&recorder.service_time)
            .expect("histograms share bounds");
        for (status, &count) in recorder.status_counts.iter().enumerate() {
            if count > 0 {
                *self.status_counts.entry(status as u16).or_default() += count;
            }
        }
        for class in ErrorClass::ALL {
            let count = recorder.error_counts[class.index()];
            if count > 0 {
                *self.error_counts.entry(class).or_default() += count;
            }
        }
        self.n_completed += recorder.n_completed;
        self.n_dropped += recorder.n_dropped;
        self.n_late_sends += recorder.n_late_sends;
        self.n_interrupted += recorder.n_started.saturating_sub(recorder.n_completed);
        self.first_rate_limited = match (self.first_rate_limited, recorder.first_rate_limited) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.per_entry.len() < recorder.per_entry.len() {
            self.per_entry
                .resize_with(recorder.per_entry.len(), EntryTotals::empty);
        }
        for (total, entry) in self.per_entry.iter_mut().zip(&recorder.per_entry) {
            total.add(entry);
        }
        if self.per_phase.is_empty() {
            self.per_phase = recorder
                .phases
                .iter()
                .map(|span| (span.suffix.clone(), PhaseTotals::empty()))
                .collect();
        }
        for ((_, total), phase) in self.per_phase.iter_mut().zip(&recorder.per_phase) {
            total.add(phase);
        }
        self.n_leaks += recorder.n_leaks;
    }

    /// Requests that were due: completed, dropped and interrupted.
    pub fn n_issued(&self) -> u64 {
        self.n_completed + self.n_dropped + self.n_interrupted
    }

    /// Finished requests whose connection was refused: no server answered them.
    pub fn n_refused(&self) -> u64 {
        self.errors_of(ErrorClass::ConnectRefused)
    }

    /// Finished requests a server took: completed minus refused. Throughput and the
    /// `requests` figure count these, so a run against a closed port is not "100 completed".
    pub fn n_answered(&self) -> u64 {
        self.n_completed.saturating_sub(self.n_refused())
    }

    /// Requests that failed for any reason, dropped ones included.
    pub fn n_errors(&self) -> u64 {
        self.error_counts.values().sum()
    }

    pub fn errors_of(&self, class: ErrorClass) -> u64 {
        self.error_counts.get(&class).copied().unwrap_or(0)
    }

    /// Responses whose status is in `range`.
    pub fn statuses_in(&self, range: std::ops::Range<u16>) -> u64 {
        self.status_counts
            .range(range)
            .map(|(_, count)| count)
            .sum()
    }
}

/// One second of the run's time series.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondPoint {
    /// Seconds since the start (this point covers [second, second + 1)).
    pub second: u64,
    pub completed: u64,
    pub errors: u64,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
}

struct PendingSecond {
    completed: u64,
    errors: u64,
    histogram: Histogram<u64>,
}

/// Gathers [`SecondSlice`]s from all threads and turns each finished second into a point,
/// keeping at most a few seconds of histograms in memory.
pub struct SeriesCollector {
    receiver: mpsc::Receiver<SecondSlice>,
    pending: BTreeMap<u64, PendingSecond>,
    points: Vec<SecondPoint>,
}

impl SeriesCollector {
    pub fn new(receiver: mpsc::Receiver<SecondSlice>) -> Self {
        SeriesCollector {
            receiver,
            pending: BTreeMap::new(),
            points: Vec::new(),
        }
    }

    /// Takes what has arrived; seconds older than `current_second - 2` are final.
    pub fn poll(&mut self, current_second: u64) {
        while let Ok(slice) = self.receiver.try_recv() {
            self.accept(slice);
        }
        let keep = self.pending.split_off(&current_second.saturating_sub(2));
        let finished = std::mem::replace(&mut self.pending, keep);
        for (second, pending) in finished {
            self.finish(second, pending);
        }
    }

    fn accept(&mut self, slice: SecondSlice) {
        if let Some(point) = self
            .points
            .iter_mut()
            .rev()
            .find(|p| p.second == slice.second)
        {
            // A straggler for a second already closed: counts stay exact, percentiles do not move.
            point.completed += slice.completed;
            point.errors += slice.errors;
            return;
        }
        let pending = self
            .pending
            .entry(slice.second)
            .or_insert_with(|| PendingSecond {
                completed: 0,
                errors: 0,
                histogram: second_histogram(),
            });
        pending.completed += slice.completed;
        pending.errors += slice.errors;
        pending
            .histogram
            .add(&slice.histogram)
            .expect("same bounds");
    }

    fn finish(&mut self, second: u64, pending: PendingSecond) {
        let percentile = |q: f64| {
            (!pending.histogram.is_empty()).then(|| pending.histogram.value_at_quantile(q))
        };
        let point = SecondPoint {
            second,
            completed: pending.completed,
            errors: pending.errors,
            p50_us: percentile(0.50),
            p99_us: percentile(0.99),
        };
        let position = self.points.partition_point(|p| p.second < second);
        self.points.insert(position, point);
    }

    /// Drains everything (call after all workers have flushed) and returns the series.
    pub fn finish_all(mut self) -> Vec<SecondPoint> {
        self.poll(u64::MAX);
        self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_merge_exactly_and_series_splits_by_second() {
        let (sender, receiver) = mpsc::channel();
        let start = Instant::now();
        let mut collector = SeriesCollector::new(receiver);
        let mut totals = Totals::empty();
        for thread in 0..2u64 {
            let mut recorder = ThreadRecorder::new(
                start,
                sender.clone(),
                Arc::new(Progress::default()),
                0,
                Arc::from([]),
            );
            for i in 0..100u64 {
                let now = start + Duration::from_millis(i * 20);
                let status = if i % 10 == 0 { 503 } else { 200 };
                let error = (status == 503).then_some(ErrorClass::Http5xx);
                recorder.start(0, now);
                let latency = Duration::from_micros(100 * (thread + 1));
                recorder.record(
                    now,
                    0,
                    Outcome {
                        status: Some(status),
                        error,
                        leak: false,
                    },
                    Some(latency),
                    Some(latency),
                    now,
                );
            }
            recorder.record_dropped(
                start + Duration::from_millis(2500),
                0,
                start + Duration::from_millis(2500),
            );
            recorder.flush();
            totals.add(&recorder);
        }
        let series = collector_finish(&mut collector);
        assert_eq!(totals.n_completed, 200);
        assert_eq!(totals.n_dropped, 2);
        assert_eq!(totals.n_issued(), 202);
        assert_eq!(totals.errors_of(ErrorClass::Http5xx), 20);
        assert_eq!(totals.n_errors(), 22);
        assert_eq!(totals.statuses_in(500..600), 20);
        assert_eq!(totals.latency.len(), 200);
        assert_eq!(
            series.iter().map(|p| p.completed).collect::<Vec<_>>(),
            vec![100, 100, 0]
        );
        assert_eq!(series[2].errors, 2);
        assert_eq!(series[0].p50_us, Some(100));
        assert_eq!(series[0].p99_us, Some(200));
        assert!(
            totals.per_entry.is_empty(),
            "one URL keeps no per-entry figures"
        );
    }

    #[test]
    fn per_entry_figures_add_up_to_the_run_totals() {
        let (sender, _receiver) = mpsc::channel();
        let start = Instant::now();
        let mut totals = Totals::empty();
        for thread in 0..2u64 {
            let mut recorder = ThreadRecorder::new(
                start,
                sender.clone(),
                Arc::new(Progress::default()),
                2,
                Arc::from([]),
            );
            for i in 0..40u64 {
                // Entry 1 answers 500 every time, entry 0 answers 200.
                let entry = usize::from(i % 4 == 3);
                let (status, error) = if entry == 1 {
                    (500, Some(ErrorClass::Http5xx))
                } else {
                    (200, None)
                };
                recorder.start(entry, start);
                let latency = Duration::from_micros(1_000 * (entry as u64 + 1) + thread);
                recorder.record(
                    start,
                    entry,
                    Outcome {
                        status: Some(status),
                        error,
                        leak: false,
                    },
                    Some(latency),
                    Some(latency),
                    start,
                );
            }
            recorder.record_dropped(start, 0, start);
            // Started but never finished: interrupted.
            recorder.start(1, start);
            totals.add(&recorder);
        }
        let [first, second] = &totals.per_entry[..] else {
            panic!("two entries: {:?}", totals.per_entry.len());
        };
        assert_eq!(
            (first.n_completed, first.n_dropped, first.n_interrupted),
            (60, 2, 0)
        );
        assert_eq!(
            (second.n_completed, second.n_dropped, second.n_interrupted),
            (20, 0, 2)
        );
        assert_eq!(first.status_classes, [0, 60, 0, 0, 0, 0]);
        assert_eq!(second.status_classes, [0, 0, 0, 0, 20, 0]);
        assert_eq!(first.n_failed(), 2, "dropped");
        assert_eq!(second.n_failed(), 22, "20 × 5xx and 2 interrupted");
        assert_eq!(first.n_issued() + second.n_issued(), totals.n_issued());
        assert_eq!(
            first.n_failed() + second.n_failed(),
            totals.n_errors() + totals.n_interrupted
        );
        assert_eq!(
            first.latency.len() + second.latency.len(),
            totals.latency.len()
        );
        // 2 significant digits: within 1 %.
        let p50 = second.latency.value_at_quantile(0.5);
        assert!((1_980..=2_020).contains(&p50), "{p50}");
    }

    #[test]
    fn phase_figures_place_requests_by_their_start_and_add_up() {
        let (sender, _receiver) = mpsc::channel();
        let start = Instant::now();
        let started_at = jiff::Timestamp::now();
        let at = |ms: i64| started_at + jiff::SignedDuration::from_millis(ms);
        // One fault from 1 s to 2 s of the run.
        let window = gonogo_core::catalog::PhaseWindow {
            name: "down".to_owned(),
            start: at(1_000),
            end: at(2_000),
        };
        let spans: Arc<[PhaseSpan]> = phase_spans(&[window], started_at, start).into();
        let suffixes: Vec<&str> = spans.iter().map(|s| s.suffix.as_str()).collect();
        assert_eq!(suffixes, ["before", "after", "during:down"]);
        let mut recorder = ThreadRecorder::new(
            start,
            sender,
            Arc::new(Progress::default()),
            0,
            Arc::clone(&spans),
        );
        // A request every 10 ms for 3 s; those placed during the fault fail with a leak, and
        // finish late (after it): they still count in the phase they started in.
        for i in 0..300u64 {
            let placed = start + Duration::from_millis(i * 10);
            let during = (100..200).contains(&i);
            recorder.start(0, placed);
            if i == 299 {
                break; // started, never finished: interrupted, in `after`
            }
            let outcome = Outcome {
                status: Some(if during { 500 } else { 200 }),
                error: during.then_some(ErrorClass::Http5xx),
                leak: during,
            };
            let latency = Duration::from_millis(if during { 1_500 } else { 2 });
            recorder.record(
                placed + latency,
                0,
                outcome,
                Some(latency),
                Some(latency),
                placed,
            );
        }
        recorder.record_dropped(start, 0, start + Duration::from_millis(1_500));
        let mut totals = Totals::empty();
        totals.add(&recorder);
        let phase = |suffix: &str| {
            &totals
                .per_phase
                .iter()
                .find(|(s, _)| s == suffix)
                .unwrap_or_else(|| panic!("{suffix}"))
                .1
        };
        let (before, during, after) = (phase("before"), phase("during:down"), phase("after"));
        assert_eq!((before.n_issued(), before.n_errors()), (100, 0));
        assert_eq!((during.n_issued(), during.n_errors()), (101, 101));
        assert_eq!(during.n_leaks, 100);
        assert!(
            during.latency.min() >= 1_490_000,
            "{}",
            during.latency.min()
        );
        assert!(before.latency.max() < 3_000, "{}", before.latency.max());
        assert_eq!((after.n_issued(), after.n_errors()), (100, 1));
        // The phases cover the run once: they add up to the whole run's figures.
        assert_eq!(
            before.n_issued() + during.n_issued() + after.n_issued(),
            totals.n_issued()
        );
        assert_eq!(
            before.n_errors() + during.n_errors() + after.n_errors(),
            totals.n_errors() + totals.n_interrupted
        );
        assert_eq!(
            before.latency.len() + during.latency.len() + after.latency.len(),
            totals.latency.len()
        );
        assert_eq!(
            before.n_leaks + during.n_leaks + after.n_leaks,
            totals.n_leaks
        );
        // No phases, no per-phase figures.
        assert!(phase_spans(&[], started_at, start).is_empty());
    }

    fn collector_finish(collector: &mut SeriesCollector) -> Vec<SecondPoint> {
        let (_, receiver) = mpsc::channel();
        std::mem::replace(collector, SeriesCollector::new(receiver)).finish_all()
    }
}
