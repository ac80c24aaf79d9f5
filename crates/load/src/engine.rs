//! The load engine: worker threads, the closed and open models, and the run's bounds.
//!
//! [`run`] starts `threads` OS threads, each with its own current-thread tokio runtime and a
//! [`ThreadRecorder`] shared by that thread's tasks (no locks, no
//! atomics in the hot loop besides two relaxed progress counters). The calling thread supervises:
//! it collects the per-second series, reports progress, handles Ctrl-C, and adds the recorders
//! up when the workers are done.
//!
//! - **Closed model** ([`Model::Closed`]): `concurrency` connections split over the threads, each
//!   a loop "send, wait for the response, send again". Latency is timed from the send, so a
//!   stalled server slows the generator down and the stall is under-counted (coordinated
//!   omission); the summary says so.
//! - **Open model** ([`Model::Open`]): requests are due at times given by a
//!   [`Schedule`]; thread `i` of `T` takes arrivals `i, i + T, i + 2T, ...`. The scheduler only
//!   queues each due request's intended start; up to `connections` worker tasks (each owning a
//!   keep-alive connection, opened on first use; the most recently idle one is woken first, so
//!   few connections stay warm) send them, whatever the state of the others. Latency is timed
//!   from the *intended* start, so a stall (or a wait for a free connection) shows up in full.
//!   When `max_in_flight` requests are already outstanding (queued or being sent), a due
//!   request is not sent: it is counted as `dropped` (an error class of its own) and has no
//!   latency.
//!
//! - **Several URLs** (`--urls`, HTTP/1.1 and HTTP/2): [`LoadConfig::requests`] (and
//!   `http2`) hold one request per entry and [`WeightedOrder`] says which entry request `k` goes
//!   to. Open model: `k` is the arrival index on the schedule. Closed model: request `j` of
//!   thread `i` of `T` is `k = i + j·T` (a per-thread counter, stepping like the open model's
//!   arrivals), so a run that completes `max_requests` = N sends exactly requests `0..N` of the
//!   order, and every whole cycle sends each entry exactly its weight. Each thread's recorder
//!   keeps per-entry figures beside its own. One URL uses entry 0 and keeps no per-entry
//!   figures; the hot loop pays a predictable branch and an index.
//!
//! Bounds: no request starts after `duration` (open model: after the schedule ends) or beyond
//! `max_requests`; requests in flight then get up to `timeout` to finish; a hard deadline of
//! `duration + timeout + 1 s` cuts off whatever is left (counted as interrupted). A stop request
//! (Ctrl-C) stops new requests at once and gives in-flight ones one second.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::tls::Transport;

use crate::error_class::ErrorClass;
use crate::http1::{Http1Connection, RequestTemplate, ResponseSummary, RoundTripError};
use crate::http2::{Http2Failure, Http2Request, Http2Sender};
use crate::schedule::{Schedule, Share};
use crate::stats::{Outcome, Progress, SecondPoint, SeriesCollector, ThreadRecorder, Totals};
use crate::target::Target;
use crate::timer::PreciseTimer;
use crate::url_list::{UrlList, WeightedOrder};
use crate::zmq::{ZmqRequest, ZmqSocket};

/// How load is offered.
#[derive(Debug, Clone)]
pub enum Model {
    /// Fixed concurrency: `concurrency` connections, each sending its next request as soon as
    /// the previous one is answered.
    Closed { concurrency: usize },
    /// Arrivals on a schedule, independent of responses.
    Open {
        schedule: Schedule,
        /// Requests due but unanswered (queued or being sent) beyond which new ones are dropped.
        max_in_flight: usize,
        /// At most this many connections (per run, split over threads), opened as needed.
        connections: usize,
        /// The scheduler wakes at most this often (see [`DEFAULT_TIMER_RESOLUTION`]).
        timer_resolution: Duration,
    },
}

/// Which statuses count as success. Empty: any status below 400.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Accepted statuses as inclusive ranges (`200` is `200..=200`, `2xx` is `200..=299`).
    pub expect_status: Vec<(u16, u16)>,
    pub expect_body_contains: Option<Vec<u8>>,
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub target: Target,
    /// Resolved once, before the run (see [`Target::resolve`]).
    pub addresses: Vec<SocketAddr>,
    /// The request of each entry, serialised once: one for a single URL, one per `--urls`
    /// entry (in file order).
    pub requests: Vec<RequestTemplate>,
    /// `--urls`: the file's entries and the order requests go to them; `None` for one URL.
    /// [`crate::cli::build_config`] refuses it with ZeroMQ.
    pub url_list: Option<UrlList>,
    pub model: Model,
    pub duration: Duration,
    pub max_requests: Option<u64>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub checks: Checks,
    pub threads: usize,
    /// `--http2`: the request of each entry in `http` types (one for a single URL, one per
    /// `--urls` entry, as [`LoadConfig::requests`]); HTTP/1.1 when `None`.
    pub http2: Option<Vec<Http2Request>>,
    /// `zmq+tcp://` targets: the REQ/REP exchange (see [`crate::zmq`]); HTTP when `None`.
    pub zmq: Option<ZmqRequest>,
    /// For `https://` targets: the rustls client configuration (see [`crate::tls`]).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// `--segment I/N`: the share of the test this process runs (open model: arrivals
    /// `k ≡ I mod N` of the whole schedule; closed model: its part of the connections and of
    /// `max_requests`). [`Share::WHOLE`] otherwise.
    pub segment: Share,
    /// Diagnostics (`--dump-intended`): the open model's dispatched arrivals, `(k, intended
    /// offset from the start in ns)`, appended by each thread at its end.
    pub intended_log: Option<IntendedLog>,
    /// Drill phases running meanwhile (set by `gonogo run`): requests are also counted per
    /// phase, placed by their intended start (open model) or send (closed model).
    pub phases: Vec<gonogo_core::catalog::PhaseWindow>,
    /// Looks for leaks in the bodies of error responses (status >= 400; HTTP/1.1 only):
    /// `gonogo run` passes harden's detector during drills.
    pub leak_scan: Option<LeakScan>,
}

/// A detector of what an error body should not show (stack traces, database errors, framework
/// versions): true when the body leaks. The engines never depend on each other: `gonogo run`
/// hands the load engine harden's detector as this.
#[derive(Clone)]
pub struct LeakScan(pub Arc<LeakDetector>);

/// The function a [`LeakScan`] holds: true when the body leaks.
pub type LeakDetector = dyn Fn(&[u8]) -> bool + Send + Sync;

impl std::fmt::Debug for LeakScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeakScan")
    }
}

impl LoadConfig {
    /// `--urls`: the weighted order of the entries; `None` for one URL.
    pub fn order(&self) -> Option<&WeightedOrder> {
        self.url_list.as_ref().map(|list| &list.order)
    }

    /// How many entries keep figures of their own (0 for a single URL).
    pub fn entry_count(&self) -> usize {
        self.url_list.as_ref().map_or(0, |list| list.entries.len())
    }
}

/// `--dump-intended`: `(arrival k, intended offset from the start in ns)` per dispatched
/// arrival, shared by the threads.
pub type IntendedLog = Arc<std::sync::Mutex<Vec<(u64, u64)>>>;

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The duration, the schedule or `max_requests` ran out.
    Completed,
    /// A stop was requested (Ctrl-C).
    Interrupted,
    /// Every connection was refused for [`REFUSED_GRACE`]: nothing listens at the target, and
    /// running the whole duration would measure nothing.
    Refused,
}

/// How long a run goes on while every connection is refused before it stops: long enough
/// for a service that is still binding its port, short enough not to waste a CI minute.
pub const REFUSED_GRACE: Duration = Duration::from_secs(2);

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub started_at: jiff::Timestamp,
    /// From the start to the last request finishing.
    pub elapsed: Duration,
    pub totals: Totals,
    pub series: Vec<SecondPoint>,
    pub stop_reason: StopReason,
}

/// Live figures for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct ProgressSnapshot {
    pub elapsed: Duration,
    pub planned: Duration,
    pub completed: u64,
    pub errors: u64,
    /// Of `completed`, requests whose connection was refused.
    pub refused: u64,
}

/// Lets another thread (a Ctrl-C handler) stop a run.
#[derive(Debug, Clone, Default)]
pub struct StopHandle {
    stop: Arc<AtomicBool>,
}

impl StopHandle {
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// Stop starting requests; in-flight requests get a second to finish.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

struct Shared {
    config: LoadConfig,
    start: Instant,
    /// The drill phases on this run's clock (see [`crate::stats::phase_spans`]).
    phases: Arc<[crate::stats::PhaseSpan]>,
    /// No request starts at or after this.
    end: Instant,
    stop: StopHandle,
    abort: tokio::sync::watch::Receiver<bool>,
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
}

type Connection = Http1Connection<Transport>;

/// Where a request is sent: its own HTTP/1.1 connection (kept between requests when it can be
/// reused) or the thread's shared HTTP/2 connection.
enum SlotConnection {
    Http1(Option<Connection>),
    Http2(Rc<RefCell<Option<Http2Sender>>>),
    Zmq(Option<ZmqSocket>),
}

/// One sender: its connection and the request timeout it reuses for every request.
///
/// The timeout is one tokio `Sleep` per slot, moved to the next request's deadline before each
/// send: moving a pending sleep to a later deadline only updates it in place, where
/// `tokio::time::timeout` would insert and remove a timer-wheel entry (and read the clock) for
/// every request.
struct Slot {
    connection: SlotConnection,
    timeout: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl Slot {
    /// An unconnected slot of the run's protocol. Must be called inside the runtime.
    fn new(shared: &Shared, shared_http2: &Option<Rc<RefCell<Option<Http2Sender>>>>) -> Slot {
        let connection = match shared_http2 {
            Some(sender) => SlotConnection::Http2(Rc::clone(sender)),
            None if shared.config.zmq.is_some() => SlotConnection::Zmq(None),
            None => SlotConnection::Http1(None),
        };
        Slot {
            connection,
            timeout: Box::pin(tokio::time::sleep_until(
                (shared.end + shared.config.timeout).into(),
            )),
        }
    }

    /// Sends one request of entry `entry` (always 0 but with `--urls`); `sent` is now. Returns the outcome and the latency from `sent`.
    async fn send(
        &mut self,
        shared: &Shared,
        sent: Instant,
        entry: usize,
    ) -> (Outcome, Option<Duration>) {
        let deadline = sent + shared.config.timeout;
        let timeout = self.timeout.as_mut();
        match &mut self.connection {
            SlotConnection::Http1(connection) => {
                let request = &shared.config.requests[entry];
                one_request(shared, connection, request, sent, timeout, deadline).await
            }
            SlotConnection::Http2(sender) => {
                one_request_http2(shared, sender, entry, sent, timeout, deadline).await
            }
            SlotConnection::Zmq(socket) => {
                one_request_zmq(shared, socket, sent, timeout, deadline).await
            }
        }
    }
}

/// Runs `attempt` until `deadline` on the slot's reusable sleep; `Err(())` if it timed out.
async fn within<F: std::future::Future>(
    mut timeout: std::pin::Pin<&mut tokio::time::Sleep>,
    deadline: Instant,
    attempt: F,
) -> Result<F::Output, ()> {
    timeout.as_mut().reset(deadline.into());
    tokio::select! {
        biased;
        output = attempt => Ok(output),
        () = timeout => Err(()),
    }
}

/// Runs the load and blocks until it is over. `on_progress` is called about ten times a second
/// from the calling thread. With `handle_ctrl_c`, Ctrl-C stops the run (a second Ctrl-C cuts
/// in-flight requests off at once).
pub fn run(
    config: LoadConfig,
    stop: StopHandle,
    handle_ctrl_c: bool,
    on_progress: &mut dyn FnMut(ProgressSnapshot),
) -> std::io::Result<RunResult> {
    let threads = config.threads.max(1);
    let planned = match &config.model {
        Model::Closed { .. } => config.duration,
        Model::Open { schedule, .. } => schedule.duration().min(config.duration),
    };
    let started_at = jiff::Timestamp::now();
    let start = Instant::now();
    let hard_deadline = start + planned + config.timeout + Duration::from_secs(1);
    let (abort_sender, abort_receiver) = tokio::sync::watch::channel(false);
    let tls = match &config.tls {
        None => None,
        Some(client_config) => {
            let name = crate::tls::server_name(&config.target.host).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("`{}` is not a valid TLS server name", config.target.host),
                )
            })?;
            Some((
                tokio_rustls::TlsConnector::from(Arc::clone(client_config)),
                name,
            ))
        }
    };
    let phases = crate::stats::phase_spans(&config.phases, started_at, start).into();
    let shared = Arc::new(Shared {
        tls,
        config,
        start,
        phases,
        end: start + planned,
        stop: stop.clone(),
        abort: abort_receiver,
    });
    let (series_sender, series_receiver) = mpsc::channel();
    let mut collector = SeriesCollector::new(series_receiver);
    let mut workers = Vec::with_capacity(threads);
    let mut progress_counters = Vec::with_capacity(threads);
    for thread_index in 0..threads {
        let shared = Arc::clone(&shared);
        let series_sender = series_sender.clone();
        let progress = Arc::new(Progress::default());
        progress_counters.push(Arc::clone(&progress));
        let handle = std::thread::Builder::new()
            .name(format!("gonogo-load-{thread_index}"))
            .spawn(move || {
                worker(
                    shared,
                    thread_index,
                    threads,
                    hard_deadline,
                    series_sender,
                    progress,
                )
            })?;
        workers.push(handle);
    }
    drop(series_sender);

    let supervisor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop_reason = supervisor.block_on(async {
        let mut ctrl_c_count = 0u32;
        let mut all_refused = false;
        let mut stop_requested_at: Option<Instant> = None;
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        let mut ctrl_c: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> = if handle_ctrl_c
        {
            Box::pin(async {
                let _ = tokio::signal::ctrl_c().await;
            })
        } else {
            Box::pin(std::future::pending::<()>())
        };
        loop {
            tokio::select! {
                _ = &mut ctrl_c => {
                    ctrl_c_count += 1;
                    stop.stop();
                    if ctrl_c_count >= 2 {
                        let _ = abort_sender.send(true);
                    }
                    // Listen again for a second Ctrl-C.
                    ctrl_c = Box::pin(async {
                        let _ = tokio::signal::ctrl_c().await;
                    });
                }
                _ = ticker.tick() => {}
            }
            let now = Instant::now();
            if stop.is_stopped() {
                let requested = *stop_requested_at.get_or_insert(now);
                if now.duration_since(requested) >= Duration::from_secs(1) {
                    let _ = abort_sender.send(true);
                }
            }
            collector.poll(now.duration_since(start).as_secs());
            let (completed, errors, refused) =
                progress_counters.iter().fold((0, 0, 0), |(c, e, r), p| {
                    (
                        c + p.completed.load(Ordering::Relaxed),
                        e + p.errors.load(Ordering::Relaxed),
                        r + p.refused.load(Ordering::Relaxed),
                    )
                });
            let elapsed = now.duration_since(start);
            // Fail fast: nothing listens at the target. Refused connections come back at once,
            // so the grace period has seen many attempts, every one refused.
            if !stop.is_stopped()
                && elapsed >= REFUSED_GRACE
                && completed > 0
                && refused == completed
            {
                all_refused = true;
                stop.stop();
                let _ = abort_sender.send(true);
            }
            on_progress(ProgressSnapshot {
                elapsed,
                planned,
                completed,
                errors,
                refused,
            });
            if workers.iter().all(|w| w.is_finished()) {
                break;
            }
        }
        if all_refused {
            StopReason::Refused
        } else if stop.is_stopped() {
            StopReason::Interrupted
        } else {
            StopReason::Completed
        }
    });

    let mut totals = Totals::empty();
    let mut last_finish = start;
    for handle in workers {
        let (recorder, finished_at) = handle
            .join()
            .map_err(|_| std::io::Error::other("a load worker thread panicked"))??;
        totals.add(&recorder);
        last_finish = last_finish.max(finished_at);
    }
    Ok(RunResult {
        started_at,
        elapsed: last_finish.duration_since(start),
        totals,
        series: collector.finish_all(),
        stop_reason,
    })
}

fn worker(
    shared: Arc<Shared>,
    thread_index: usize,
    threads: usize,
    hard_deadline: Instant,
    series_sender: mpsc::Sender<crate::stats::SecondSlice>,
    progress: Arc<Progress>,
) -> std::io::Result<(ThreadRecorder, Instant)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let recorder = Rc::new(RefCell::new(ThreadRecorder::new(
        shared.start,
        series_sender,
        progress,
        shared.config.entry_count(),
        Arc::clone(&shared.phases),
    )));
    let last_finish = Rc::new(Cell::new(shared.start));
    local.block_on(&runtime, {
        let recorder = Rc::clone(&recorder);
        let shared = Arc::clone(&shared);
        let last_finish = Rc::clone(&last_finish);
        async move {
            let flusher = tokio::task::spawn_local({
                let recorder = Rc::clone(&recorder);
                async move {
                    let mut ticker = tokio::time::interval(Duration::from_millis(250));
                    loop {
                        ticker.tick().await;
                        recorder.borrow_mut().roll_to(Instant::now());
                    }
                }
            });
            let work = async {
                match &shared.config.model {
                    Model::Closed { concurrency } => {
                        closed_model(
                            &shared,
                            &recorder,
                            &last_finish,
                            thread_index,
                            threads,
                            *concurrency,
                        )
                        .await
                    }
                    Model::Open {
                        schedule,
                        max_in_flight,
                        connections,
                        timer_resolution,
                    } => {
                        open_model(
                            &shared,
                            &recorder,
                            &last_finish,
                            thread_index,
                            threads,
                            schedule,
                            *max_in_flight,
                            *connections,
                            *timer_resolution,
                        )
                        .await
                    }
                }
            };
            let mut abort = shared.abort.clone();
            tokio::select! {
                _ = work => {}
                _ = tokio::time::sleep_until(hard_deadline.into()) => {}
                _ = abort.wait_for(|aborted| *aborted) => {}
            }
            flusher.abort();
        }
    });
    // Dropping the set cancels requests still in flight; they hold clones of the recorder.
    drop(local);
    let recorder = Rc::try_unwrap(recorder)
        .map_err(|_| std::io::Error::other("recorder still shared after the run"))?
        .into_inner();
    let mut recorder = recorder;
    recorder.flush();
    Ok((recorder, last_finish.get()))
}

/// Splits `total` over `parts`, the first ones taking the remainder.
fn share(total: u64, parts: usize, index: usize) -> u64 {
    let parts = parts as u64;
    total / parts + u64::from((index as u64) < total % parts)
}

async fn closed_model(
    shared: &Arc<Shared>,
    recorder: &Rc<RefCell<ThreadRecorder>>,
    last_finish: &Rc<Cell<Instant>>,
    thread_index: usize,
    threads: usize,
    concurrency: usize,
) {
    // `--segment I/N`: this process runs its part of the connections and of the budget, and
    // its threads split that part as usual.
    let segment = shared.config.segment;
    let connections = share(segment.part(concurrency as u64), threads, thread_index) as usize;
    let budget = Rc::new(Cell::new(
        shared.config.max_requests.map_or(u64::MAX, |max| {
            share(segment.part(max), threads, thread_index)
        }),
    ));
    let http2_sender = shared
        .config
        .http2
        .as_ref()
        .map(|_| Rc::new(RefCell::new(None)));
    // `--urls`: this thread's next request index. Request j of thread i is request
    // k = i + j * threads of the run's order, as in the open model, so a run that completes
    // `max_requests` = N sends exactly requests 0..N of the order (see `share`). Segment I of
    // N takes k = I + N * (i + j * threads), so the segments together do too.
    let (first_index, index_step) = segment.arrivals(thread_index, threads);
    let next_index = Rc::new(Cell::new(first_index));
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let http2_sender = http2_sender.clone();
        let shared = Arc::clone(shared);
        let recorder = Rc::clone(recorder);
        let budget = Rc::clone(&budget);
        let last_finish = Rc::clone(last_finish);
        let next_index = Rc::clone(&next_index);
        tasks.push(tokio::task::spawn_local(async move {
            let mut slot = Slot::new(&shared, &http2_sender);
            let order = shared.config.order();
            loop {
                let sent = Instant::now();
                if sent >= shared.end || shared.stop.is_stopped() || budget.get() == 0 {
                    break;
                }
                budget.set(budget.get() - 1);
                let entry = match order {
                    None => 0,
                    Some(order) => {
                        let k = next_index.get();
                        next_index.set(k + index_step);
                        order.entry_of(k)
                    }
                };
                recorder.borrow_mut().start(entry, sent);
                let (outcome, latency) = slot.send(&shared, sent, entry).await;
                let now = match latency {
                    Some(latency) => sent + latency,
                    None => Instant::now(),
                };
                recorder
                    .borrow_mut()
                    .record(now, entry, outcome, latency, latency, sent);
                last_finish.set(now);
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// The default open-model timer resolution: the scheduler wakes at most once per resolution, so
/// requests due closer together leave together, up to one resolution late (and that lateness is
/// in their latency, timed from the intended start). Below 1 / resolution = 2,000 requests/s
/// per thread every request has a wakeup of its own; at 20,000/s it cuts the context switches
/// per request tenfold. `--timer-resolution 0` wakes for every request.
pub const DEFAULT_TIMER_RESOLUTION: Duration = Duration::from_micros(500);

/// The open model's per-thread hand-off from the scheduler to the connection workers.
struct Dispatch {
    /// Intended start times (and `--urls` entries) of requests that are due but not yet sent
    /// (oldest first).
    queue: VecDeque<(Instant, usize)>,
    /// Wakers of workers waiting for work, the most recently idle last (so few connections
    /// stay warm). A worker may appear more than once (woken by something else first); waking
    /// it twice is harmless, it re-checks the queue.
    idle_workers: Vec<std::task::Waker>,
    /// The schedule is over (or the run was stopped): workers exit once the queue is empty.
    scheduling_done: bool,
    /// Queued plus being sent.
    outstanding: usize,
}

#[allow(clippy::too_many_arguments)]
async fn open_model(
    shared: &Arc<Shared>,
    recorder: &Rc<RefCell<ThreadRecorder>>,
    last_finish: &Rc<Cell<Instant>>,
    thread_index: usize,
    threads: usize,
    schedule: &Schedule,
    max_in_flight: usize,
    connections: usize,
    timer_resolution: Duration,
) {
    let cap = share(max_in_flight as u64, threads, thread_index).max(1) as usize;
    let n_workers = share(connections as u64, threads, thread_index).max(1) as usize;
    let max_requests = shared.config.max_requests.unwrap_or(u64::MAX);
    let http2_sender = shared
        .config
        .http2
        .as_ref()
        .map(|_| Rc::new(RefCell::new(None)));
    let dispatch = Rc::new(RefCell::new(Dispatch {
        queue: VecDeque::new(),
        idle_workers: Vec::with_capacity(n_workers),
        scheduling_done: false,
        outstanding: 0,
    }));
    let mut workers = Vec::with_capacity(n_workers);
    for _ in 0..n_workers {
        let shared = Arc::clone(shared);
        let recorder = Rc::clone(recorder);
        let last_finish = Rc::clone(last_finish);
        let dispatch = Rc::clone(&dispatch);
        let mut slot = Slot::new(&shared, &http2_sender);
        workers.push(tokio::task::spawn_local(async move {
            loop {
                // The next due request, or the end of the schedule; an idle worker leaves its
                // waker with the scheduler and is woken for exactly one request.
                let next = std::future::poll_fn(|context| {
                    let mut dispatch = dispatch.borrow_mut();
                    if shared.stop.is_stopped() {
                        // Queued requests stay unsent; they are reported as interrupted.
                        return std::task::Poll::Ready(None);
                    }
                    match dispatch.queue.pop_front() {
                        Some(due) => std::task::Poll::Ready(Some(due)),
                        None if dispatch.scheduling_done => std::task::Poll::Ready(None),
                        None => {
                            dispatch.idle_workers.push(context.waker().clone());
                            std::task::Poll::Pending
                        }
                    }
                })
                .await;
                let Some((intended, entry)) = next else {
                    break;
                };
                let sent = Instant::now();
                if sent.saturating_duration_since(intended) > crate::stats::LATE_SEND {
                    recorder.borrow_mut().n_late_sends += 1;
                }
                let (outcome, latency_from_send) = slot.send(&shared, sent, entry).await;
                // The clock was read when the request ended (for its latency); reuse that.
                let now = match latency_from_send {
                    Some(latency) => sent + latency,
                    None => Instant::now(),
                };
                // Latency from the intended start: the wait for a connection plus the response.
                let latency =
                    latency_from_send.map(|l| l + sent.saturating_duration_since(intended));
                recorder.borrow_mut().record(
                    now,
                    entry,
                    outcome,
                    latency,
                    latency_from_send,
                    intended,
                );
                last_finish.set(now);
                dispatch.borrow_mut().outstanding -= 1;
            }
        }));
    }
    // `--urls`: arrival k goes to the entry the order gives it, whichever thread sends it.
    let order = shared.config.order();
    let mut timer = PreciseTimer::new();
    let mut last_wake = Instant::now();
    // The clock is read again only when the next request seems not yet due.
    let mut now = last_wake;
    // Arrival k of the whole schedule; `--segment I/N` takes k = I + N * (thread + j * threads),
    // so N segments send exactly the one machine's arrivals, each at its own intended time.
    let (mut k, step) = shared.config.segment.arrivals(thread_index, threads);
    let mut intended_log = shared.config.intended_log.as_ref().map(|_| Vec::new());
    while k < max_requests {
        let Some(due_seconds) = schedule.due_seconds(k) else {
            break;
        };
        let intended = shared.start + Duration::from_secs_f64(due_seconds);
        if intended >= shared.end {
            break;
        }
        let entry = match order {
            None => 0,
            Some(order) => order.entry_of(k),
        };
        let arrival = k;
        k += step;
        if intended > now {
            now = Instant::now();
        }
        if intended > now {
            timer
                .sleep_until(intended.max(last_wake + timer_resolution))
                .await;
            now = Instant::now();
            last_wake = now;
        }
        if shared.stop.is_stopped() {
            break;
        }
        let mut state = dispatch.borrow_mut();
        if state.outstanding >= cap {
            drop(state);
            recorder.borrow_mut().record_dropped(now, entry, intended);
            continue;
        }
        state.outstanding += 1;
        state.queue.push_back((intended, entry));
        if let Some(log) = &mut intended_log {
            log.push((arrival, (due_seconds * 1e9).round() as u64));
        }
        if let Some(worker) = state.idle_workers.pop() {
            worker.wake();
        }
        drop(state);
        recorder.borrow_mut().start(entry, intended);
    }
    if let (Some(log), Some(shared_log)) = (intended_log, &shared.config.intended_log) {
        if let Ok(mut shared_log) = shared_log.lock() {
            shared_log.extend(log);
        }
    }
    {
        let mut state = dispatch.borrow_mut();
        state.scheduling_done = true;
        for worker in state.idle_workers.drain(..) {
            worker.wake();
        }
    }
    for worker in workers {
        let _ = worker.await;
    }
}

async fn connect(shared: &Shared) -> Result<Connection, ErrorClass> {
    let keep_bodies = shared.config.leak_scan.is_some();
    connect_transport(shared).await.map(|transport| {
        let connection = Http1Connection::new(transport);
        if keep_bodies {
            connection.keeping_bodies()
        } else {
            connection
        }
    })
}

async fn connect_transport(shared: &Shared) -> Result<Transport, ErrorClass> {
    let mut last_error = ErrorClass::ConnectOther;
    for address in &shared.config.addresses {
        let attempt = async {
            let stream = TcpStream::connect(address)
                .await
                .map_err(|e| ErrorClass::from_connect_io(&e))?;
            let _ = stream.set_nodelay(true);
            match &shared.tls {
                None => Ok(Transport::Plain(stream)),
                Some((connector, name)) => connector
                    .connect(name.clone(), stream)
                    .await
                    .map(|tls| Transport::Tls(Box::new(tls)))
                    .map_err(|_| ErrorClass::Tls),
            }
        };
        match tokio::time::timeout(shared.config.connect_timeout, attempt).await {
            Ok(Ok(transport)) => return Ok(transport),
            // A failed handshake fails on every address alike.
            Ok(Err(ErrorClass::Tls)) => return Err(ErrorClass::Tls),
            Ok(Err(class)) => last_error = class,
            Err(_) => last_error = ErrorClass::ConnectTimeout,
        }
    }
    Err(last_error)
}

enum Failure {
    Connect(ErrorClass),
    RoundTrip(RoundTripError),
}

/// Sends one request on `slot` (connecting if empty; an idempotent request is retried once on a
/// fresh connection if a reused one turns out to have been closed by the server). Returns the outcome and the latency from `sent`, which is
/// `None` for failures that got no response (connection errors). A request timeout counts its
/// full wait as latency. The slot keeps the connection only if it can be reused.
async fn one_request(
    shared: &Shared,
    slot: &mut Option<Connection>,
    request: &RequestTemplate,
    sent: Instant,
    timeout: std::pin::Pin<&mut tokio::time::Sleep>,
    deadline: Instant,
) -> (Outcome, Option<Duration>) {
    let config = &shared.config;
    let needle = config.checks.expect_body_contains.as_deref();
    let attempt = async {
        let reused = slot.is_some();
        if slot.is_none() {
            *slot = Some(connect(shared).await.map_err(Failure::Connect)?);
        }
        let connection = slot.as_mut().expect("connected above");
        match connection.round_trip(request, needle).await {
            Err(RoundTripError::ClosedBeforeResponse) if reused && request.idempotent => {
                *slot = Some(connect(shared).await.map_err(Failure::Connect)?);
                let connection = slot.as_mut().expect("connected above");
                connection
                    .round_trip(request, needle)
                    .await
                    .map_err(Failure::RoundTrip)
            }
            other => other.map_err(Failure::RoundTrip),
        }
    };
    let result = within(timeout, deadline, attempt).await;
    let latency = sent.elapsed();
    match result {
        Ok(Ok(response)) => {
            let leak = match (&config.leak_scan, slot.as_ref()) {
                (Some(scan), Some(connection)) if response.status >= 400 => {
                    (scan.0)(connection.body())
                }
                _ => false,
            };
            if !response.keep_alive {
                *slot = None;
            }
            let error = classify(&response, &config.checks);
            (
                Outcome {
                    status: Some(response.status),
                    error,
                    leak,
                },
                Some(latency),
            )
        }
        Ok(Err(failure)) => {
            *slot = None;
            let error = match failure {
                Failure::Connect(class) => class,
                Failure::RoundTrip(RoundTripError::Protocol(_)) => ErrorClass::Protocol,
                Failure::RoundTrip(RoundTripError::ClosedBeforeResponse) => {
                    ErrorClass::ConnectionReset
                }
                Failure::RoundTrip(RoundTripError::Io(error)) => {
                    ErrorClass::from_request_io(&error)
                }
            };
            (
                Outcome {
                    status: None,
                    error: Some(error),
                    leak: false,
                },
                None,
            )
        }
        Err(_elapsed) => {
            *slot = None;
            (
                Outcome {
                    status: None,
                    error: Some(ErrorClass::RequestTimeout),
                    leak: false,
                },
                Some(latency),
            )
        }
    }
}

/// [`one_request`] for HTTP/2: the thread's connection is opened (or re-opened) on demand.
async fn one_request_http2(
    shared: &Shared,
    sender_slot: &RefCell<Option<Http2Sender>>,
    entry: usize,
    sent: Instant,
    timeout: std::pin::Pin<&mut tokio::time::Sleep>,
    deadline: Instant,
) -> (Outcome, Option<Duration>) {
    let config = &shared.config;
    let request = &config
        .http2
        .as_ref()
        .expect("http2 slots only exist with --http2")[entry];
    let needle = config.checks.expect_body_contains.as_deref();
    let attempt = async {
        let existing = sender_slot
            .borrow()
            .as_ref()
            .filter(|s| !s.is_closed())
            .cloned();
        let mut sender = match existing {
            Some(sender) => sender,
            None => {
                let transport = connect_transport(shared).await.map_err(Some)?;
                let connect_deadline = sent + config.connect_timeout;
                let sender = tokio::time::timeout_at(
                    connect_deadline.into(),
                    crate::http2::handshake(transport),
                )
                .await
                .map_err(|_| Some(ErrorClass::ConnectTimeout))?
                .map_err(|_| Some(ErrorClass::Protocol))?;
                *sender_slot.borrow_mut() = Some(sender.clone());
                sender
            }
        };
        crate::http2::round_trip(&mut sender, request, needle)
            .await
            .map_err(|failure| {
                sender_slot.borrow_mut().take();
                Some(match failure {
                    Http2Failure::Reset => ErrorClass::ConnectionReset,
                    Http2Failure::Protocol => ErrorClass::Protocol,
                })
            })
    };
    let result = within(timeout, deadline, attempt).await;
    let latency = sent.elapsed();
    match result {
        Ok(Ok(response)) => {
            let error = classify(&response, &config.checks);
            (
                Outcome {
                    status: Some(response.status),
                    error,
                    leak: false,
                },
                Some(latency),
            )
        }
        Ok(Err(class)) => (
            Outcome {
                status: None,
                error: class,
                leak: false,
            },
            None,
        ),
        Err(_elapsed) => (
            Outcome {
                status: None,
                error: Some(ErrorClass::RequestTimeout),
                leak: false,
            },
            Some(latency),
        ),
    }
}

/// [`one_request`] for ZeroMQ REQ/REP: no status; a failed `--expect-prefix` is `check_failed`.
async fn one_request_zmq(
    shared: &Shared,
    slot: &mut Option<ZmqSocket>,
    sent: Instant,
    timeout: std::pin::Pin<&mut tokio::time::Sleep>,
    deadline: Instant,
) -> (Outcome, Option<Duration>) {
    let config = &shared.config;
    let request = config
        .zmq
        .as_ref()
        .expect("zmq slots only exist for zmq+tcp targets");
    let attempt = async {
        if slot.is_none() {
            let address = config.addresses[0];
            let socket = tokio::time::timeout(
                config.connect_timeout,
                crate::zmq::connect(request, address),
            )
            .await
            .map_err(|_| ErrorClass::ConnectTimeout)??;
            *slot = Some(socket);
        }
        crate::zmq::round_trip(slot.as_mut().expect("connected above"), request).await
    };
    let result = within(timeout, deadline, attempt).await;
    let latency = sent.elapsed();
    match result {
        Ok(Ok(passed)) => {
            let error = (!passed).then_some(ErrorClass::CheckFailed);
            (
                Outcome {
                    status: None,
                    error,
                    leak: false,
                },
                Some(latency),
            )
        }
        Ok(Err(class)) => {
            *slot = None;
            (
                Outcome {
                    status: None,
                    error: Some(class),
                    leak: false,
                },
                None,
            )
        }
        Err(_elapsed) => {
            *slot = None;
            (
                Outcome {
                    status: None,
                    error: Some(ErrorClass::RequestTimeout),
                    leak: false,
                },
                Some(latency),
            )
        }
    }
}

/// The error class of a response, if any (see [`ErrorClass`] for the precedence).
pub fn classify(response: &ResponseSummary, checks: &Checks) -> Option<ErrorClass> {
    let status = response.status;
    let expected = checks
        .expect_status
        .iter()
        .any(|&(low, high)| (low..=high).contains(&status));
    // A status the user named in --expect-status (testing a rate limiter) is not an error.
    if !expected && (status == 429 || (status == 503 && response.retry_after)) {
        return Some(ErrorClass::RateLimited);
    }
    let status_ok = if checks.expect_status.is_empty() {
        status < 400
    } else {
        expected
    };
    if !status_ok {
        return Some(match status {
            500..=599 => ErrorClass::Http5xx,
            400..=499 => ErrorClass::Http4xx,
            _ => ErrorClass::CheckFailed,
        });
    }
    if response.body_contains == Some(false) {
        return Some(ErrorClass::CheckFailed);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: bool, body_contains: Option<bool>) -> ResponseSummary {
        ResponseSummary {
            status,
            retry_after,
            body_contains,
            keep_alive: true,
        }
    }

    #[test]
    fn classification_precedence() {
        let none = Checks::default();
        assert_eq!(classify(&response(200, false, None), &none), None);
        assert_eq!(classify(&response(302, false, None), &none), None);
        assert_eq!(
            classify(&response(404, false, None), &none),
            Some(ErrorClass::Http4xx)
        );
        assert_eq!(
            classify(&response(429, false, None), &none),
            Some(ErrorClass::RateLimited)
        );
        assert_eq!(
            classify(&response(503, true, None), &none),
            Some(ErrorClass::RateLimited)
        );
        assert_eq!(
            classify(&response(503, false, None), &none),
            Some(ErrorClass::Http5xx)
        );
        assert_eq!(
            classify(&response(200, false, Some(false)), &none),
            Some(ErrorClass::CheckFailed)
        );
        let expect_404 = Checks {
            expect_status: vec![(404, 404)],
            expect_body_contains: None,
        };
        assert_eq!(classify(&response(404, false, None), &expect_404), None);
        assert_eq!(
            classify(&response(200, false, None), &expect_404),
            Some(ErrorClass::CheckFailed)
        );
        assert_eq!(
            classify(&response(500, false, None), &expect_404),
            Some(ErrorClass::Http5xx)
        );
        let expect_429 = Checks {
            expect_status: vec![(429, 429)],
            expect_body_contains: None,
        };
        assert_eq!(classify(&response(429, false, None), &expect_429), None);
        assert_eq!(
            classify(&response(503, true, None), &expect_429),
            Some(ErrorClass::RateLimited)
        );
    }

    #[test]
    fn shares_add_up() {
        for total in [0u64, 1, 7, 1000] {
            for parts in 1..5 {
                assert_eq!(
                    (0..parts).map(|i| share(total, parts, i)).sum::<u64>(),
                    total
                );
            }
        }
    }
}
