//! The embedded history: one SQLite file (`.gonogo/history.db` beside the policy by default).
//!
//! WAL mode, so readers never wait for a writer and a killed writer leaves the last committed
//! state; a busy timeout, so two gonogo processes writing at once wait for each other instead
//! of failing (opening too: the switch to WAL, which SQLite does not let wait, is retried up
//! to the same timeout); foreign keys on, so removing a run removes its gates. Every write is
//! one `BEGIN IMMEDIATE` transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior, params};

use crate::migrations::{self, Dialect};
use crate::{
    Filter, GateRow, HistoryError, RunMeta, RunSummary, Selector, SeriesKey, SeriesPoint, Store,
    StoredRun,
};

/// How long a writer waits for another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SqliteStore {
    connection: Connection,
    path: PathBuf,
}

const RUN_COLUMNS: &str = "r.seq, r.id, r.service, r.env, r.commit_sha, r.branch, r.tags, r.ci_run, \
     r.evaluated_at, r.recorded_at, r.judged_in_past, r.decision, r.policy_sha256";

const GATE_COLUMNS: &str = "g.name, g.metric, g.aggregate, g.expect, g.status, g.reason, g.unit, \
     g.point, g.lower, g.upper, g.has_pair, g.pair_lower, g.pair_upper, g.n, g.k, g.threshold";

impl SqliteStore {
    /// Opens (creating it and its folder when missing) and migrates the history at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        let open_error = |message: String| HistoryError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|e| {
                open_error(format!(
                    "cannot create its folder {}: {e}",
                    folder.display()
                ))
            })?;
        }
        let connection = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        let mut store = SqliteStore {
            connection,
            path: path.to_path_buf(),
        };
        store
            .connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store.db(e))?;
        // WAL: a kill -9 mid-write leaves the last committed state. NORMAL synchronous is
        // durable against a crash of the process (only power loss can lose the last commits).
        let mode = switch_to_wal(&store.connection).map_err(|e| open_error(describe(&e)))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_error(format!(
                "it cannot use write-ahead logging (journal mode {mode})"
            )));
        }
        store
            .connection
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| store.db(e))?;
        store.migrate()?;
        Ok(store)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SQLite's own check of the file (`PRAGMA integrity_check`): `ok`, or what is wrong.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        let mut statement = self
            .connection
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.db(e))?;
        let lines: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        Ok(lines.join("\n"))
    }

    /// The file's size in bytes with its write-ahead log checkpointed into it.
    pub fn checkpointed_size(&self) -> Result<u64, HistoryError> {
        self.connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|e| self.db(e))?;
        Ok(std::fs::metadata(&self.path)?.len())
    }

    fn db(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let path = self.path.display().to_string();
        let db = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute_batch(migrations::VERSION_TABLE).map_err(db)?;
        let found: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM gonogo_schema",
                [],
                |row| row.get(0),
            )
            .map_err(db)?;
        if found > migrations::LATEST {
            return Err(HistoryError::Newer {
                path: path.clone(),
                found,
                supported: migrations::LATEST,
            });
        }
        for (version, text) in migrations::MIGRATIONS {
            if *version <= found {
                continue;
            }
            tx.execute_batch(&migrations::sql(text, Dialect::Sqlite))
                .map_err(db)?;
            tx.execute("INSERT INTO gonogo_schema (version) VALUES (?1)", [version])
                .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// The full id of a run named by id or unique prefix.
    fn resolve(&self, id: &str) -> Result<(i64, String), HistoryError> {
        let exact = self
            .connection
            .query_row("SELECT seq, id FROM runs WHERE id = ?1", [id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(|e| self.db(e))?;
        if let Some(found) = exact {
            return Ok(found);
        }
        if id.len() < 4 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(HistoryError::UnknownRun(id.to_owned()));
        }
        let mut statement = self
            .connection
            .prepare_cached("SELECT seq, id FROM runs WHERE id LIKE ?1 || '%' LIMIT 2")
            .map_err(|e| self.db(e))?;
        let found: Vec<(i64, String)> = statement
            .query_map([id.to_ascii_lowercase()], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        match found.len() {
            0 => Err(HistoryError::UnknownRun(id.to_owned())),
            1 => Ok(found.into_iter().next().expect("one")),
            count => Err(HistoryError::AmbiguousRun {
                prefix: id.to_owned(),
                count,
            }),
        }
    }

    fn load(&self, seq: i64) -> Result<StoredRun, HistoryError> {
        let (id, meta, verdict) = self
            .connection
            .query_row(
                &format!("SELECT {RUN_COLUMNS}, r.verdict FROM runs r WHERE r.seq = ?1"),
                [seq],
                |row| {
                    let (_, id, meta) = run_row(row)?;
                    Ok((id, meta, row.get::<_, String>(13)?))
                },
            )
            .map_err(|e| self.db(e))?;
        let mut statement = self
            .connection
            .prepare_cached(&format!(
                "SELECT {GATE_COLUMNS} FROM gates g WHERE g.run_seq = ?1 ORDER BY g.ord"
            ))
            .map_err(|e| self.db(e))?;
        let gates = statement
            .query_map([seq], |row| gate_row(row, 0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT identity FROM run_evidence WHERE run_seq = ?1 ORDER BY identity",
            )
            .map_err(|e| self.db(e))?;
        let evidence = statement
            .query_map([seq], |row| row.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        Ok(StoredRun {
            id,
            meta,
            verdict,
            gates,
            evidence,
        })
    }

    fn names(&self, sql: &str, key: impl rusqlite::ToSql) -> Result<Vec<String>, HistoryError> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(|e| self.db(e))?;
        statement
            .query_map([key], |row| row.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))
    }
}

/// Switches the file to write-ahead logging and returns the journal mode it then has.
///
/// On a new file the switch takes an exclusive lock from a shared one, and while another
/// connection holds the reserved lock (a second gonogo migrating the same new history) SQLite
/// answers "database is locked" at once, without the busy handler, to avoid a deadlock. So the
/// switch is retried, with a pause growing to 50 ms, until `BUSY_TIMEOUT` has passed: bounded,
/// like every other wait on the file.
fn switch_to_wal(connection: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
            Err(error)
                if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() + pause < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

/// SQLite's message, with what it means for a history file.
fn describe(error: &rusqlite::Error) -> String {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            format!("{error}: the file is not a gonogo history (or it is corrupted)")
        }
        _ => error.to_string(),
    }
}

fn run_row(row: &Row<'_>) -> rusqlite::Result<(i64, String, RunMeta)> {
    let timestamp = |i: usize| -> rusqlite::Result<jiff::Timestamp> {
        let text: String = row.get(i)?;
        text.parse().map_err(|e: jiff::Error| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        })
    };
    let env: String = row.get(3)?;
    let tags: Option<String> = row.get(6)?;
    Ok((
        row.get(0)?,
        row.get(1)?,
        RunMeta {
            service: row.get(2)?,
            env: (!env.is_empty()).then_some(env),
            commit: row.get(4)?,
            branch: row.get(5)?,
            tags: tags
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            ci_run: row.get(7)?,
            evaluated_at: timestamp(8)?,
            recorded_at: timestamp(9)?,
            judged_in_past: row.get::<_, i64>(10)? != 0,
            decision: row.get(11)?,
            policy_sha256: row.get(12)?,
        },
    ))
}

fn gate_row(row: &Row<'_>, at: usize) -> rusqlite::Result<GateRow> {
    let count = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(row.get::<_, Option<i64>>(at + i)?.map(|v| v as u64))
    };
    Ok(GateRow {
        name: row.get(at)?,
        metric: row.get(at + 1)?,
        aggregate: row.get(at + 2)?,
        expect: row.get(at + 3)?,
        status: row.get(at + 4)?,
        reason: row.get(at + 5)?,
        unit: row.get(at + 6)?,
        point: row.get(at + 7)?,
        lower: row.get(at + 8)?,
        upper: row.get(at + 9)?,
        pair: (row.get::<_, i64>(at + 10)? != 0)
            .then(|| Ok::<_, rusqlite::Error>((row.get(at + 11)?, row.get(at + 12)?)))
            .transpose()?,
        n: count(13)?,
        k: count(14)?,
        threshold: row.get(at + 15)?,
    })
}

/// Only finite figures are stored; an unbounded end is NULL.
fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

fn count(value: Option<u64>) -> Option<i64> {
    value.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

impl Store for SqliteStore {
    fn insert(
        &mut self,
        run: &StoredRun,
        records: &[(String, String)],
    ) -> Result<bool, HistoryError> {
        let path = self.path.display().to_string();
        let db = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let exists = tx
            .query_row("SELECT 1 FROM runs WHERE id = ?1", [&run.id], |_| Ok(()))
            .optional()
            .map_err(db)?
            .is_some();
        if exists {
            return Ok(false);
        }
        let meta = &run.meta;
        tx.execute(
            "INSERT INTO runs (id, service, env, commit_sha, branch, tags, ci_run, evaluated_at, \
             evaluated_us, recorded_at, judged_in_past, decision, verdict, policy_sha256) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                run.id,
                meta.service,
                meta.env_key(),
                meta.commit,
                meta.branch,
                serde_json::to_string(&meta.tags).unwrap_or_else(|_| "[]".into()),
                meta.ci_run,
                meta.evaluated_at.to_string(),
                meta.evaluated_at.as_microsecond(),
                meta.recorded_at.to_string(),
                i64::from(meta.judged_in_past),
                meta.decision,
                run.verdict,
                meta.policy_sha256,
            ],
        )
        .map_err(db)?;
        let seq = tx.last_insert_rowid();
        {
            let mut evidence = tx
                .prepare_cached(
                    "INSERT INTO evidence (identity, record) VALUES (?1, ?2) \
                     ON CONFLICT (identity) DO NOTHING",
                )
                .map_err(db)?;
            for (identity, line) in records {
                evidence.execute(params![identity, line]).map_err(db)?;
            }
            let mut uses = tx
                .prepare_cached(
                    "INSERT INTO run_evidence (run_seq, identity) VALUES (?1, ?2) \
                     ON CONFLICT (run_seq, identity) DO NOTHING",
                )
                .map_err(db)?;
            for identity in &run.evidence {
                uses.execute(params![seq, identity]).map_err(db)?;
            }
            let mut gates = tx
                .prepare_cached(
                    "INSERT INTO gates (run_seq, ord, name, metric, aggregate, expect, status, \
                     reason, unit, point, lower, upper, has_pair, pair_lower, pair_upper, n, k, \
                     threshold) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                     ?14, ?15, ?16, ?17, ?18)",
                )
                .map_err(db)?;
            for (ord, gate) in run.gates.iter().enumerate() {
                let (pair_lower, pair_upper) = gate.pair.unwrap_or((None, None));
                gates
                    .execute(params![
                        seq,
                        ord as i64,
                        gate.name,
                        gate.metric,
                        gate.aggregate,
                        gate.expect,
                        gate.status,
                        gate.reason,
                        gate.unit,
                        finite(gate.point),
                        finite(gate.lower),
                        finite(gate.upper),
                        i64::from(gate.pair.is_some()),
                        finite(pair_lower),
                        finite(pair_upper),
                        count(gate.n),
                        count(gate.k),
                        finite(gate.threshold),
                    ])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)?;
        Ok(true)
    }

    fn list(&self, filter: &Filter) -> Result<Vec<RunSummary>, HistoryError> {
        let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE 1 = 1");
        let mut values: Vec<String> = Vec::new();
        if let Some(service) = &filter.service {
            values.push(service.clone());
            sql.push_str(&format!(" AND r.service = ?{}", values.len()));
        }
        if let Some(env) = &filter.env {
            values.push(env.clone());
            sql.push_str(&format!(" AND r.env = ?{}", values.len()));
        }
        sql.push_str(" ORDER BY r.evaluated_us DESC, r.seq DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut statement = self.connection.prepare(&sql).map_err(|e| self.db(e))?;
        let rows: Vec<(i64, String, RunMeta)> = statement
            .query_map(rusqlite::params_from_iter(values.iter()), run_row)
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        rows.into_iter()
            .map(|(seq, id, meta)| {
                Ok(RunSummary {
                    failing: self.names(
                        "SELECT name FROM gates WHERE run_seq = ?1 \
                         AND status IN ('fail', 'inconclusive', 'missing') ORDER BY ord",
                        seq,
                    )?,
                    pins: self
                        .names("SELECT name FROM pins WHERE run_id = ?1 ORDER BY name", &id)?,
                    id,
                    meta,
                })
            })
            .collect()
    }

    fn show(&self, id: &str) -> Result<StoredRun, HistoryError> {
        let (seq, _) = self.resolve(id)?;
        self.load(seq)
    }

    fn evidence(&self, identity: &str) -> Result<Option<String>, HistoryError> {
        self.connection
            .query_row(
                "SELECT record FROM evidence WHERE identity = ?1",
                [identity],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.db(e))
    }

    fn series(
        &self,
        service: &str,
        env: &str,
        key: &SeriesKey,
        last: usize,
    ) -> Result<Vec<SeriesPoint>, HistoryError> {
        let (condition, first, second) = match key {
            SeriesKey::Gate(name) => ("g.name = ?4", name.clone(), None),
            SeriesKey::Metric { metric, aggregate } => (
                "g.metric = ?4 AND (?5 IS NULL OR g.aggregate = ?5)",
                metric.clone(),
                aggregate.clone(),
            ),
        };
        let sql = format!(
            "SELECT r.id, r.evaluated_at, r.decision, r.judged_in_past, {GATE_COLUMNS} \
             FROM (SELECT seq, id, evaluated_at, evaluated_us, decision, judged_in_past FROM runs \
                   WHERE service = ?1 AND env = ?2 ORDER BY evaluated_us DESC, seq DESC LIMIT ?3) r \
             JOIN gates g ON g.run_seq = r.seq \
             WHERE {condition} ORDER BY r.evaluated_us, r.seq, g.ord"
        );
        let mut statement = self
            .connection
            .prepare_cached(&sql)
            .map_err(|e| self.db(e))?;
        let limit = i64::try_from(last).unwrap_or(i64::MAX);
        let map = |row: &Row<'_>| -> rusqlite::Result<SeriesPoint> {
            let at: String = row.get(1)?;
            Ok(SeriesPoint {
                run: row.get(0)?,
                evaluated_at: at.parse().map_err(|e: jiff::Error| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })?,
                decision: row.get(2)?,
                judged_in_past: row.get::<_, i64>(3)? != 0,
                gate: gate_row(row, 4)?,
            })
        };
        let points: Vec<SeriesPoint> = match key {
            SeriesKey::Gate(_) => statement.query_map(params![service, env, limit, first], map),
            SeriesKey::Metric { .. } => {
                statement.query_map(params![service, env, limit, first, second], map)
            }
        }
        .map_err(|e| self.db(e))?
        .collect::<Result<_, _>>()
        .map_err(|e| self.db(e))?;
        Ok(one_per_run_and_aggregate(points))
    }

    fn find(
        &self,
        service: &str,
        env: &str,
        selector: &Selector,
        policy: Option<&str>,
    ) -> Result<Option<StoredRun>, HistoryError> {
        let newest = |decision: Option<&str>| -> Result<Option<i64>, HistoryError> {
            self.connection
                .query_row(
                    "SELECT seq FROM runs WHERE service = ?1 AND env = ?2 \
                     AND (?3 IS NULL OR decision = ?3) \
                     AND (?4 IS NULL OR (policy_sha256 = ?4 AND judged_in_past = 0)) \
                     ORDER BY evaluated_us DESC, seq DESC LIMIT 1",
                    params![service, env, decision, policy],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|e| self.db(e))
        };
        let seq = match selector {
            Selector::Last => newest(None)?,
            Selector::LastGo => newest(Some("GO"))?,
            Selector::Named(name) => match self.resolve(name) {
                Ok((seq, _)) => Some(seq),
                Err(HistoryError::UnknownRun(_)) => {
                    let pinned: Option<String> = self
                        .connection
                        .query_row("SELECT run_id FROM pins WHERE name = ?1", [name], |row| {
                            row.get(0)
                        })
                        .optional()
                        .map_err(|e| self.db(e))?;
                    match pinned {
                        Some(id) => Some(self.resolve(&id)?.0),
                        None => return Err(HistoryError::UnknownRun(name.clone())),
                    }
                }
                Err(other) => return Err(other),
            },
        };
        seq.map(|seq| self.load(seq)).transpose()
    }

    fn pin(&mut self, id: &str, name: &str) -> Result<String, HistoryError> {
        check_pin_name(name)?;
        let (_, id) = self.resolve(id)?;
        self.connection
            .execute(
                "INSERT INTO pins (name, run_id) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id",
                params![name, id],
            )
            .map_err(|e| self.db(e))?;
        Ok(id)
    }

    fn prune(&mut self, keep: usize) -> Result<usize, HistoryError> {
        let path = self.path.display().to_string();
        let db = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let removed = tx
            .execute(
                "DELETE FROM runs WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER \
                 (PARTITION BY service, env ORDER BY evaluated_us DESC, seq DESC) AS newest \
                 FROM runs) ranked WHERE newest > ?1) \
                 AND NOT EXISTS (SELECT 1 FROM pins p WHERE p.run_id = runs.id)",
                [i64::try_from(keep).unwrap_or(i64::MAX)],
            )
            .map_err(db)?;
        tx.execute(
            "DELETE FROM evidence WHERE NOT EXISTS \
             (SELECT 1 FROM run_evidence u WHERE u.identity = evidence.identity)",
            [],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(removed)
    }

    fn all_ids(&self) -> Result<Vec<String>, HistoryError> {
        let mut statement = self
            .connection
            .prepare("SELECT id FROM runs ORDER BY evaluated_us, seq")
            .map_err(|e| self.db(e))?;
        statement
            .query_map([], |row| row.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))
    }

    fn pins(&self) -> Result<Vec<(String, String)>, HistoryError> {
        let mut statement = self
            .connection
            .prepare("SELECT name, run_id FROM pins ORDER BY name")
            .map_err(|e| self.db(e))?;
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))
    }
}

/// A run with two gates on the same metric and aggregate measured it once: one point each.
pub(crate) fn one_per_run_and_aggregate(points: Vec<SeriesPoint>) -> Vec<SeriesPoint> {
    let mut seen = std::collections::BTreeSet::new();
    points
        .into_iter()
        .filter(|p| {
            seen.insert((
                p.run.clone(),
                p.gate.metric.clone(),
                p.gate.aggregate.clone(),
            ))
        })
        .collect()
}

/// A pin name must not be taken for a selector or a run id.
pub(crate) fn check_pin_name(name: &str) -> Result<(), HistoryError> {
    if name.is_empty()
        || name == "last"
        || name == "last-go"
        || name.chars().all(|c| c.is_ascii_hexdigit())
        || name.chars().any(char::is_control)
    {
        return Err(HistoryError::Invalid(format!(
            "`{}` cannot name a pin: not empty, not `last` or `last-go`, not only hex digits (it would read as a run id)",
            name.escape_debug()
        )));
    }
    Ok(())
}
