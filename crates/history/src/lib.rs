//! gonogo's history: every judged run remembered.
//!
//! A run is its verdict (the `verdict.json` document as written), one row per gate with what
//! the gate measured (point, interval, the `1 − α/2` pair interval a later relative gate
//! compares with, n, k, status, reason) and the evidence records it used, content-addressed by
//! their identity ([`gonogo_core::evidence::Evidence::identity`]) so a record shared by many
//! runs is stored once. Runs are keyed by service (the policy's name), environment, commit,
//! branch and tags, and CI run.
//!
//! - [`Store`] is what every backend does; [`sqlite::SqliteStore`] is the embedded one (WAL
//!   mode, busy timeout, every run written in one transaction: whole or not at all), and
//!   [`pg::PgStore`] the one a team shares (`postgres://…`).
//! - Migrations are embedded and versioned ([`migrations`]), applied on first use; a database
//!   written by a newer gonogo is refused ([`HistoryError::Newer`]).
//! - [`export`] and [`import`] move a history as JSON Lines (the wire records plus the runs).
//!
//! The history never pools runs: a trend is a series of separate measurements, and a baseline
//! is one run's measurements, looked up by metric and aggregate.

pub mod jsonl;
pub mod migrations;
pub mod pg;
pub mod sqlite;

use gonogo_core::evidence::{Evidence, sha256_hex};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use jsonl::{export, import};

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot open the history {path}: {message}")]
    Open { path: String, message: String },
    #[error(
        "the history {path} has schema version {found}, newer than this gonogo understands ({supported}): upgrade gonogo, or point it at another history"
    )]
    Newer {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("the history {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the history {path}: {message}")]
    Postgres { path: String, message: String },
    #[error("no run `{0}` in the history")]
    UnknownRun(String),
    #[error("`{prefix}` names {count} runs: give more of the id")]
    AmbiguousRun { prefix: String, count: usize },
    #[error("line {line}: {message}")]
    Import { line: usize, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Who and what a run judged, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The policy's name.
    pub service: String,
    /// The environment profile, `None` for none.
    pub env: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The CI run (its URL when the CI gives one).
    pub ci_run: Option<String>,
    /// The moment judged.
    pub evaluated_at: Timestamp,
    /// When it was written to the history.
    pub recorded_at: Timestamp,
    /// Judged with `--now` in the past: a re-judgement, not what happened then.
    pub judged_in_past: bool,
    /// `GO` or `NO-GO`.
    pub decision: String,
    /// The SHA-256 of the policy text the run was judged under (`None` in runs recorded
    /// before the history kept it): `last` and `last-go` only pick runs of the same policy.
    #[serde(default)]
    pub policy_sha256: Option<String>,
}

impl RunMeta {
    fn env_key(&self) -> &str {
        self.env.as_deref().unwrap_or("")
    }
}

/// One gate of a run and what it measured, in base units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRow {
    pub name: String,
    pub metric: String,
    /// As printed: `p(95)`, `rate`, `mean`.
    pub aggregate: String,
    pub expect: String,
    pub status: String,
    pub reason: Option<String>,
    pub unit: Option<String>,
    pub point: Option<f64>,
    /// The interval at the gate's confidence; `None` ends are unbounded, both `None` for an
    /// exact figure.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// The interval at `1 − α/2` a later relative gate compares with (its ends may be
    /// unbounded); `None` when the run measured none.
    pub pair: Option<(Option<f64>, Option<f64>)>,
    pub n: Option<u64>,
    pub k: Option<u64>,
    pub threshold: Option<f64>,
}

/// A run to record.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub meta: RunMeta,
    /// The verdict.json document, compact (one line: it is exported as JSON Lines).
    pub verdict: String,
    pub gates: Vec<GateRow>,
    /// The evidence records the run judged.
    pub records: &'a [Evidence],
}

/// A run as stored (or exported): everything but the evidence records' text, which is
/// stored once and named by identity.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: String,
    pub meta: RunMeta,
    pub verdict: String,
    pub gates: Vec<GateRow>,
    /// The identities of the records it used.
    pub evidence: Vec<String>,
}

/// A line of `gonogo history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub id: String,
    #[serde(flatten)]
    pub meta: RunMeta,
    /// Gates that are not a pass (and not waived), in the verdict's order.
    pub failing: Vec<String>,
    /// Names this run is pinned as.
    pub pins: Vec<String>,
}

/// Which runs a listing covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub service: Option<String>,
    /// `Some("")` for runs judged without an environment profile.
    pub env: Option<String>,
    pub limit: Option<usize>,
}

/// What a trend follows: a gate by name, or a metric (and aggregate) whatever gate measured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesKey {
    Gate(String),
    Metric {
        metric: String,
        aggregate: Option<String>,
    },
}

/// One run's measurement in a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub run: String,
    pub evaluated_at: Timestamp,
    pub decision: String,
    pub judged_in_past: bool,
    pub gate: GateRow,
}

/// How `--baseline` names a run: `last`, `last-go`, a run id (or a unique prefix of one), or a
/// pinned name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Last,
    LastGo,
    /// A run id, a unique prefix of one, or a pin name (the id is tried first).
    Named(String),
}

impl Selector {
    pub fn parse(text: &str) -> Selector {
        match text {
            "last" => Selector::Last,
            "last-go" => Selector::LastGo,
            other => Selector::Named(other.to_owned()),
        }
    }
}

/// What every history backend does. Writes take `&mut self`; each is one transaction.
pub trait Store {
    /// Records a run, with its gates and evidence, in one transaction; returns its id.
    fn record(&mut self, run: &NewRun<'_>) -> Result<String, HistoryError> {
        if run.verdict.contains('\n') {
            return Err(HistoryError::Invalid(
                "a verdict is recorded as one line of JSON (compact)".into(),
            ));
        }
        let records: Vec<(String, String)> = run
            .records
            .iter()
            .map(|record| {
                let line = gonogo_core::wire::to_json_line(record);
                (sha256_hex(line.as_bytes()), line)
            })
            .collect();
        let id = new_run_id(&run.meta, &run.verdict);
        let stored = StoredRun {
            id: id.clone(),
            meta: run.meta.clone(),
            verdict: run.verdict.clone(),
            gates: run.gates.clone(),
            evidence: records
                .iter()
                .map(|(identity, _)| identity.clone())
                .collect(),
        };
        self.insert(&stored, &records)?;
        Ok(id)
    }

    /// Writes a run and the records it uses (identity, canonical line) in one transaction;
    /// a record already stored is not stored again. A run id already stored is left as it is
    /// (importing the same export twice adds nothing); returns whether it was added.
    fn insert(
        &mut self,
        run: &StoredRun,
        records: &[(String, String)],
    ) -> Result<bool, HistoryError>;

    /// The newest runs first.
    fn list(&self, filter: &Filter) -> Result<Vec<RunSummary>, HistoryError>;

    /// A run by id or unique id prefix.
    fn show(&self, id: &str) -> Result<StoredRun, HistoryError>;

    /// The canonical line of a stored evidence record.
    fn evidence(&self, identity: &str) -> Result<Option<String>, HistoryError>;

    /// The last `last` runs of a service and env (`""`: none) that measured `key`, oldest
    /// first.
    fn series(
        &self,
        service: &str,
        env: &str,
        key: &SeriesKey,
        last: usize,
    ) -> Result<Vec<SeriesPoint>, HistoryError>;

    /// The run a selector names for a service and env (`""`: none), `None` when there is no
    /// such run (no run yet, no GO yet). With `policy` (a policy's SHA-256), `last` and
    /// `last-go` only consider runs judged under that policy as they happened (never a
    /// re-judgement with `--now` in the past): a baseline must have passed the same gates.
    /// A run named by id or pin is found whatever its policy: naming it is the choice.
    fn find(
        &self,
        service: &str,
        env: &str,
        selector: &Selector,
        policy: Option<&str>,
    ) -> Result<Option<StoredRun>, HistoryError>;

    /// Pins a run under a name (replacing what the name pinned before).
    fn pin(&mut self, id: &str, name: &str) -> Result<String, HistoryError>;

    /// Keeps the newest `keep` runs of each service and env, and every pinned run; removes
    /// the rest and the evidence no remaining run uses. Returns the runs removed.
    fn prune(&mut self, keep: usize) -> Result<usize, HistoryError>;

    /// Every run id, oldest first (for export).
    fn all_ids(&self) -> Result<Vec<String>, HistoryError>;

    /// Every pin, `(name, run id)`.
    fn pins(&self) -> Result<Vec<(String, String)>, HistoryError>;
}

/// A run's id: 16 hex digits of a hash of what it judged and when it was recorded, with the
/// process and a counter so two runs recorded in the same instant differ.
fn new_run_id(meta: &RunMeta, verdict: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let salt = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        meta.service,
        meta.env_key(),
        meta.recorded_at.as_nanosecond(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Timestamp::now().as_nanosecond()
    );
    let mut hash = gonogo_core::evidence::Sha256Stream::new();
    hash.update(salt.as_bytes());
    hash.update(verdict.as_bytes());
    hash.finish()[..16].to_owned()
}

/// Where the history is: `[history] url` / `GONOGO_HISTORY` values are a path, `sqlite://PATH`
/// or `postgres://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    /// Reads a history URL; a relative path is relative to `base` (the policy's folder).
    pub fn parse(url: &str, base: &std::path::Path) -> Location {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Location::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = std::path::Path::new(path);
        Location::Sqlite(if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        })
    }

    /// The location as people read it, without a password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    format!("{}://…@{}", &url[..scheme], &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

/// Opens the store at a location.
pub fn open(location: &Location) -> Result<Box<dyn Store>, HistoryError> {
    match location {
        Location::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path)?)),
        Location::Postgres(url) => Ok(Box::new(pg::PgStore::open(url)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_paths_or_urls_and_never_show_a_password() {
        let base = std::path::Path::new("/srv/app");
        assert_eq!(
            Location::parse(".gonogo/history.db", base),
            Location::Sqlite("/srv/app/.gonogo/history.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///tmp/h.db", base),
            Location::Sqlite("/tmp/h.db".into())
        );
        let pg = Location::parse("postgres://ci:hunter2@127.0.0.1:5432/gonogo", base);
        assert!(matches!(pg, Location::Postgres(_)));
        assert_eq!(pg.display(), "postgres://…@127.0.0.1:5432/gonogo");
        assert!(!pg.display().contains("hunter2"));
    }

    #[test]
    fn selectors() {
        assert_eq!(Selector::parse("last"), Selector::Last);
        assert_eq!(Selector::parse("last-go"), Selector::LastGo);
        assert_eq!(
            Selector::parse("release-1.4"),
            Selector::Named("release-1.4".into())
        );
    }
}
