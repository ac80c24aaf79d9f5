//! Commands the policy asks gonogo to run (`[[command]]`): exit code, duration and the full
//! output on disk, with only a short, throttled tail on the console.
//!
//! The command runs under `sh -c` in its own process group. Its stdout and stderr are read in
//! fixed-size chunks, cut into lines, redacted line by line and appended to a log file as they
//! arrive, hashed on the way (the record's SHA-256 and byte count are of the log as written);
//! only the last few lines are kept for the tail, so memory stays flat whatever the command
//! prints (a line longer than [`MAX_LOG_LINE`] is written in pieces, cut after a blank where
//! there is one). At most every `throttle` the newest lines
//! go to a [`TailSink`]. A command that outlives its timeout gets SIGTERM, then SIGKILL after a
//! grace period, to its whole process group. A failing command is evidence, not an error.
//!
//! Secrets: the child does not inherit gonogo's own credential variables ([`is_credential_var`]:
//! `GONOGO_*`, `GITHUB_TOKEN`, `GH_TOKEN`, the Actions runtime tokens, and every variable the
//! policy names as holding a secret, [`CommandSpec::secret_env`]) unless the policy passes one
//! on by name ([`CommandSpec::pass_env`]). The values of those variables, and the secrets of
//! [`CommandSpec::redactor`], are redacted from the tail lines (console and evidence) and from
//! the full log on disk, by the one redactor ([`Redactor`]: those values and credential
//! shapes such as bearer tokens and `user:pass@` URLs). A line that is not UTF-8 is written as
//! it came unless redacting its lossy decoding changes it. Console lines are also made inert
//! ([`gonogo_core::text::inert`]): a command's output cannot run workflow commands or terminal
//! escapes through gonogo's tail.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Sha256Stream, Source, Tool};
use gonogo_core::redact::{LineState, Redactor};
use gonogo_core::text::inert;
use gonogo_core::units::Unit;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The longest line kept for the tail; longer lines are cut (the log keeps them whole).
const MAX_LINE: usize = 400;
/// The longest line redacted as one piece for the log; a longer line is written in pieces
/// (cut after the last blank of its second half when it has one, so a token is not split).
pub const MAX_LOG_LINE: usize = 64 * 1024;
/// Exit code recorded for a command killed at its timeout (as `timeout(1)` does).
pub const TIMEOUT_EXIT_CODE: i32 = 124;
/// How often a running command's loop looks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What to run.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub name: String,
    pub run: String,
    pub timeout: Duration,
    /// Working directory (default: the current one).
    pub dir: Option<PathBuf>,
    /// Credential variables the policy passes on to the command (`pass_env = ["GITHUB_TOKEN"]`).
    pub pass_env: Vec<String>,
    /// Further variables that hold secrets (those the policy names, e.g. `[harden.auth]
    /// token_env`): withheld like [`is_credential_var`]'s unless passed on.
    pub secret_env: Vec<String>,
    /// Secrets to redact from the tail besides the credential variables' values.
    pub redactor: Redactor,
}

/// Variables that hold gonogo's own credentials, withheld from commands unless passed on:
/// every `GONOGO_*` variable (tokens, cookies, passwords of the engines), `GITHUB_TOKEN`,
/// `GH_TOKEN`, `GH_ENTERPRISE_TOKEN`, `GITHUB_ENTERPRISE_TOKEN`, and the Actions runtime
/// tokens `ACTIONS_RUNTIME_TOKEN`, `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub fn is_credential_var(name: &str) -> bool {
    name.starts_with("GONOGO_")
        || matches!(
            name,
            "GITHUB_TOKEN"
                | "GH_TOKEN"
                | "GH_ENTERPRISE_TOKEN"
                | "GITHUB_ENTERPRISE_TOKEN"
                | "ACTIONS_RUNTIME_TOKEN"
                | "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
        )
}

impl CommandSpec {
    /// What to run, with no variable passed on and nothing extra to redact.
    pub fn new(name: impl Into<String>, run: impl Into<String>, timeout: Duration) -> CommandSpec {
        CommandSpec {
            name: name.into(),
            run: run.into(),
            timeout,
            dir: None,
            pass_env: Vec::new(),
            secret_env: Vec::new(),
            redactor: Redactor::new(),
        }
    }

    fn withholds(&self, name: &str) -> bool {
        (is_credential_var(name) || self.secret_env.iter().any(|s| s == name))
            && !self.pass_env.iter().any(|p| p == name)
    }
}

/// Where the console tail goes.
pub trait TailSink: Send {
    fn lines(&mut self, command: &str, lines: &[String]);
}

/// Writes tail lines to stderr, prefixed with the command's name.
pub struct StderrTail;

impl TailSink for StderrTail {
    fn lines(&mut self, command: &str, lines: &[String]) {
        let mut stderr = std::io::stderr().lock();
        for line in lines {
            let _ = writeln!(stderr, "  {} │ {}", inert(command), inert(line));
        }
    }
}

/// How the console tail is throttled.
#[derive(Debug, Clone, Copy)]
pub struct TailPolicy {
    /// At most one batch of lines per this interval.
    pub throttle: Duration,
    /// Lines per batch.
    pub lines: usize,
}

impl Default for TailPolicy {
    fn default() -> TailPolicy {
        TailPolicy {
            throttle: Duration::from_secs(5),
            lines: 3,
        }
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    pub spec_name: String,
    pub run: String,
    /// `None` when killed by a signal other than at the timeout.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// The signal (SIGINT, SIGTERM) that stopped gonogo while the command ran; its process
    /// group was ended.
    pub interrupted: Option<i32>,
    pub duration: Duration,
    pub log_path: PathBuf,
    pub output_bytes: u64,
    pub output_sha256: String,
    /// The last lines of output.
    pub tail: Vec<String>,
}

impl CommandOutcome {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// The outcome as a `command` evidence record: `command.<name>.exit_code` and
    /// `command.<name>.duration`, with the log's path and tail in details.
    pub fn to_evidence(&self, finished_at: jiff::Timestamp) -> Evidence {
        let key = metric_key(&self.spec_name);
        let mut evidence = Evidence::new(
            "command",
            Source::Command(gonogo_core::redact::redact(&self.run).into_owned()),
            self.output_sha256.clone(),
            finished_at,
            Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
        );
        let exit_code = match (self.exit_code, self.timed_out) {
            (_, true) => f64::from(TIMEOUT_EXIT_CODE),
            (Some(code), false) => f64::from(code),
            (None, false) => -1.0,
        };
        evidence
            .insert(
                format!("command.{key}.exit_code"),
                // The gate a failing command makes names what happened and where to look.
                Metric::value(exit_code, Unit::count("1")).with_coded_note(
                    format!(
                        "{}; its output is in {}",
                        match (self.exit_code, self.timed_out) {
                            (_, true) =>
                                format!("killed at its timeout (exit {TIMEOUT_EXIT_CODE})"),
                            (Some(127), false) => "exit 127: the command was not found".to_owned(),
                            (Some(code), false) => format!("exit {code}"),
                            (None, false) => "killed by a signal".to_owned(),
                        },
                        self.log_path.display()
                    ),
                    match (self.exit_code, self.timed_out) {
                        (_, true) => {
                            NoteCode::new("command.timed_out").arg("exit", TIMEOUT_EXIT_CODE)
                        }
                        (Some(127), false) => NoteCode::new("command.not_found"),
                        (Some(code), false) => NoteCode::new("command.exit").arg("code", code),
                        (None, false) => NoteCode::new("command.signal"),
                    }
                    .arg("log", self.log_path.display()),
                ),
            )
            .insert(
                format!("command.{key}.duration"),
                Metric::value(self.duration.as_secs_f64(), Unit::parse("s")),
            );
        evidence.details = serde_json::json!({
            "name": self.spec_name,
            "timed_out": self.timed_out,
            "interrupted": self.interrupted.is_some(),
            "log": self.log_path.display().to_string(),
            "output_bytes": self.output_bytes,
            "tail": self.tail,
        });
        evidence
    }
}

/// A command name as a metric segment: lower case, `_` for anything not alphanumeric (the
/// core's rule, so the gate a `[[command]]` makes names the same metric).
pub fn metric_key(name: &str) -> String {
    gonogo_core::catalog::segment(name)
}

/// Why a command could not be run at all (a failing command is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot create the log file {path}: {source}")]
    Log {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot start `{run}`: {source}")]
    Spawn { run: String, source: std::io::Error },
}

struct Shared {
    log: BufWriter<File>,
    hash: Sha256Stream,
    bytes: u64,
    tail: VecDeque<String>,
    /// Lines not yet shown on the console.
    unshown: VecDeque<String>,
}

/// Runs `spec`, writing its output to `log_path`.
pub fn run_command(
    spec: &CommandSpec,
    log_path: &Path,
    tail_policy: TailPolicy,
    sink: &mut dyn TailSink,
) -> Result<CommandOutcome, CommandError> {
    if let Some(parent) = log_path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| CommandError::Log {
            path: log_path.display().to_string(),
            source,
        })?;
    }
    let log = File::create(log_path).map_err(|source| CommandError::Log {
        path: log_path.display().to_string(),
        source,
    })?;
    let started = Instant::now();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(&spec.run)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(dir) = &spec.dir {
        command.current_dir(dir);
    }
    let mut redactor = spec.redactor.clone();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if is_credential_var(name) || spec.secret_env.iter().any(|s| s == name) {
            if let Some(value) = value.to_str() {
                redactor.add_secret(value);
            }
            if spec.withholds(name) {
                command.env_remove(name);
            }
        }
    }
    let mut child = command.spawn().map_err(|source| CommandError::Spawn {
        run: spec.run.clone(),
        source,
    })?;
    let pid = Pid::from_raw(child.id() as i32);

    let shared = Arc::new(Mutex::new(Shared {
        log: BufWriter::with_capacity(1 << 16, log),
        hash: Sha256Stream::new(),
        bytes: 0,
        tail: VecDeque::new(),
        unshown: VecDeque::new(),
    }));
    let keep = tail_policy.lines.max(10);
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let shared = Arc::clone(&shared);
        let redactor = redactor.clone();
        std::thread::spawn(move || pump(stream, &shared, keep, &redactor))
    })
    .collect();

    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });

    let mut deadline = started + spec.timeout;
    let mut timed_out = false;
    let mut interrupted = None;
    let mut last_shown = Instant::now();
    let status = loop {
        let now = Instant::now();
        // gonogo itself was asked to stop (SIGINT/SIGTERM): end the command's whole group
        // the same way as at its timeout, at once.
        if interrupted.is_none() && !timed_out {
            if let Some(signal) = gonogo_io::signals::stop_requested() {
                interrupted = Some(signal);
                deadline = now;
            }
        }
        if now >= deadline && !timed_out {
            timed_out = true;
            let _ = killpg(pid, Signal::SIGTERM);
        }
        if timed_out && now >= deadline + Duration::from_secs(2) {
            let _ = killpg(pid, Signal::SIGKILL);
        }
        let wake = if timed_out {
            deadline + Duration::from_secs(2)
        } else {
            deadline.min(last_shown + tail_policy.throttle)
        };
        // A stop request is noticed within STOP_POLL.
        match done_rx.recv_timeout(
            wake.saturating_duration_since(now)
                .clamp(Duration::from_millis(10), STOP_POLL),
        ) {
            Ok(status) => break status.ok(),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if last_shown.elapsed() >= tail_policy.throttle {
                    show(&shared, &spec.name, tail_policy.lines, sink);
                    last_shown = Instant::now();
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
        }
    };
    // The process group may hold the pipes open after the leader exits: end it too.
    if timed_out {
        let _ = killpg(pid, Signal::SIGKILL);
    }
    for reader in readers {
        let _ = reader.join();
    }
    show(&shared, &spec.name, tail_policy.lines, sink);
    let duration = started.elapsed();

    let shared = Arc::try_unwrap(shared)
        .ok()
        .expect("readers have finished")
        .into_inner()
        .expect("no reader panicked");
    let Shared {
        mut log,
        hash,
        bytes,
        tail,
        ..
    } = shared;
    let _ = log.flush();
    let timed_out = timed_out && interrupted.is_none();
    let exit_code = if timed_out || interrupted.is_some() {
        None
    } else {
        status.and_then(|s| s.code())
    };
    Ok(CommandOutcome {
        spec_name: spec.name.clone(),
        run: spec.run.clone(),
        exit_code,
        timed_out,
        interrupted,
        duration,
        log_path: log_path.to_path_buf(),
        output_bytes: bytes,
        output_sha256: hash.finish(),
        tail: tail.into_iter().collect(),
    })
}

/// Copies a stream into the log chunk by chunk, keeping only the last `keep` lines (redacted).
fn pump(
    mut stream: Box<dyn Read + Send>,
    shared: &Mutex<Shared>,
    keep: usize,
    redactor: &Redactor,
) {
    let mut buffer = vec![0u8; 1 << 16];
    let mut partial: Vec<u8> = Vec::new();
    // The line being written to the log: at most MAX_LOG_LINE plus one chunk.
    let mut log_line: Vec<u8> = Vec::new();
    let mut written: Vec<u8> = Vec::new();
    let mut line_state = LineState::default();
    loop {
        let read = match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buffer[..read];
        let mut finished_lines = Vec::new();
        written.clear();
        for piece in chunk.split_inclusive(|&b| b == b'\n') {
            if partial.len() < MAX_LINE {
                let room = MAX_LINE - partial.len();
                partial.extend_from_slice(&piece[..piece.len().min(room)]);
            }
            log_line.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                finished_lines.push(partial.clone());
                partial.clear();
                redact_into(&log_line, redactor, &mut line_state, &mut written);
                log_line.clear();
            } else if log_line.len() >= MAX_LOG_LINE {
                let cut = log_cut(&log_line);
                redact_into(&log_line[..cut], redactor, &mut line_state, &mut written);
                log_line.drain(..cut);
            }
        }
        let mut shared = shared.lock().expect("no reader panicked");
        let _ = shared.log.write_all(&written);
        shared.hash.update(&written);
        shared.bytes += written.len() as u64;
        // Only the newest lines of a chunk can survive in the tail.
        let skip = finished_lines.len().saturating_sub(keep);
        for line in finished_lines.into_iter().skip(skip) {
            let line = line_text(&line, redactor);
            push_bounded(&mut shared.tail, line.clone(), keep);
            push_bounded(&mut shared.unshown, line, keep);
        }
    }
    if !log_line.is_empty() {
        written.clear();
        redact_into(&log_line, redactor, &mut line_state, &mut written);
        let mut shared = shared.lock().expect("no reader panicked");
        let _ = shared.log.write_all(&written);
        shared.hash.update(&written);
        shared.bytes += written.len() as u64;
    }
    if !partial.is_empty() {
        let line = line_text(&partial, redactor);
        let mut shared = shared.lock().expect("no reader panicked");
        push_bounded(&mut shared.tail, line.clone(), keep);
        push_bounded(&mut shared.unshown, line, keep);
    }
}

/// Appends `line` (a line of output with its `\n`, or a piece of a long one) to `out`,
/// redacted ([`Redactor::redact_line`]: the lines of a private key block are withheld). Bytes
/// that are not UTF-8 are kept as they came unless redacting their lossy decoding changes it.
fn redact_into(line: &[u8], redactor: &Redactor, state: &mut LineState, out: &mut Vec<u8>) {
    let (body, newline) = match line.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (line, false),
    };
    let was_open = state.is_open();
    let text = String::from_utf8_lossy(body);
    let redacted = redactor.redact_line(&text, state);
    if was_open && (state.is_open() || redacted.is_empty()) {
        // Inside a private key block, or its END line with nothing after the footer.
        return;
    }
    let unchanged = !was_open && matches!(&redacted, Cow::Borrowed(r) if r.len() == text.len());
    if unchanged {
        out.extend_from_slice(body);
    } else {
        out.extend_from_slice(redacted.as_bytes());
    }
    if newline {
        out.push(b'\n');
    }
}

/// Where to cut a line of at least [`MAX_LOG_LINE`] bytes: after the last blank of its second
/// half, else at a UTF-8 character boundary near its end.
fn log_cut(line: &[u8]) -> usize {
    let half = line.len() / 2;
    if let Some(blank) = line[half..].iter().rposition(|&b| b == b' ' || b == b'\t') {
        return half + blank + 1;
    }
    let mut cut = line.len();
    // Back off over continuation bytes (at most 3) to start of a character.
    while cut > line.len() - 4 && cut > 0 && line[cut - 1] & 0xC0 == 0x80 {
        cut -= 1;
    }
    if cut > 0 && line[cut - 1] >= 0xC0 {
        cut -= 1;
    }
    cut
}

fn line_text(bytes: &[u8], redactor: &Redactor) -> String {
    let text = String::from_utf8_lossy(bytes);
    redactor
        .redact(text.trim_end_matches(['\n', '\r']))
        .into_owned()
}

fn push_bounded(queue: &mut VecDeque<String>, line: String, keep: usize) {
    if queue.len() == keep {
        queue.pop_front();
    }
    queue.push_back(line);
}

fn show(shared: &Mutex<Shared>, name: &str, lines: usize, sink: &mut dyn TailSink) {
    let batch: Vec<String> = {
        let mut shared = shared.lock().expect("no reader panicked");
        let skip = shared.unshown.len().saturating_sub(lines);
        let batch = shared.unshown.iter().skip(skip).cloned().collect();
        shared.unshown.clear();
        batch
    };
    if !batch.is_empty() {
        sink.lines(name, &batch);
    }
}
