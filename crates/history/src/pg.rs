//! The history on PostgreSQL, for a team: several CI jobs and people write and read one
//! history. The same migrations as SQLite (the runs' key is a BIGSERIAL); every write is one
//! transaction, and migrating takes an advisory lock so two first uses do not race.

use std::cell::RefCell;

use postgres::{Client, NoTls, Row};

use crate::migrations::{self, Dialect};
use crate::{
    Filter, GateRow, HistoryError, RunMeta, RunSummary, Selector, SeriesKey, SeriesPoint, Store,
    StoredRun,
};

pub struct PgStore {
    client: RefCell<Client>,
    /// The URL without its password, for messages.
    shown: String,
}

const RUN_COLUMNS: &str = "r.seq, r.id, r.service, r.env, r.commit_sha, r.branch, r.tags, r.ci_run, \
     r.evaluated_at, r.recorded_at, r.judged_in_past, r.decision, r.policy_sha256";

const GATE_COLUMNS: &str = "g.name, g.metric, g.aggregate, g.expect, g.status, g.reason, g.unit, \
     g.point, g.lower, g.upper, g.has_pair, g.pair_lower, g.pair_upper, g.n, g.k, g.threshold";

/// The advisory lock key that serialises migrations.
const MIGRATION_LOCK: i64 = 0x676f_6e6f_676f;

impl PgStore {
    /// Connects (no TLS: loopback or a trusted network; put TLS in front otherwise) and
    /// migrates.
    pub fn open(url: &str) -> Result<PgStore, HistoryError> {
        let shown = crate::Location::Postgres(url.to_owned()).display();
        let client = Client::connect(url, NoTls).map_err(|e| HistoryError::Open {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let store = PgStore {
            client: RefCell::new(client),
            shown,
        };
        store.migrate()?;
        Ok(store)
    }

    fn db(&self, error: postgres::Error) -> HistoryError {
        HistoryError::Postgres {
            path: self.shown.clone(),
            message: error.to_string(),
        }
    }

    fn migrate(&self) -> Result<(), HistoryError> {
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(|e| self.db(e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(|e| self.db(e))?;
        tx.batch_execute(migrations::VERSION_TABLE)
            .map_err(|e| self.db(e))?;
        let found: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM gonogo_schema", &[])
            .map_err(|e| self.db(e))?
            .get(0);
        if found > migrations::LATEST {
            return Err(HistoryError::Newer {
                path: self.shown.clone(),
                found,
                supported: migrations::LATEST,
            });
        }
        for (version, text) in migrations::MIGRATIONS {
            if *version <= found {
                continue;
            }
            tx.batch_execute(&migrations::sql(text, Dialect::Postgres))
                .map_err(|e| self.db(e))?;
            tx.execute(
                "INSERT INTO gonogo_schema (version) VALUES ($1)",
                &[version],
            )
            .map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))
    }

    fn resolve(&self, id: &str) -> Result<(i64, String), HistoryError> {
        let mut client = self.client.borrow_mut();
        if let Some(row) = client
            .query_opt("SELECT seq, id FROM runs WHERE id = $1", &[&id])
            .map_err(|e| self.db(e))?
        {
            return Ok((row.get(0), row.get(1)));
        }
        if id.len() < 4 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(HistoryError::UnknownRun(id.to_owned()));
        }
        let rows = client
            .query(
                "SELECT seq, id FROM runs WHERE id LIKE $1 || '%' LIMIT 2",
                &[&id.to_ascii_lowercase()],
            )
            .map_err(|e| self.db(e))?;
        match rows.len() {
            0 => Err(HistoryError::UnknownRun(id.to_owned())),
            1 => Ok((rows[0].get(0), rows[0].get(1))),
            count => Err(HistoryError::AmbiguousRun {
                prefix: id.to_owned(),
                count,
            }),
        }
    }

    fn load(&self, seq: i64) -> Result<StoredRun, HistoryError> {
        let mut client = self.client.borrow_mut();
        let row = client
            .query_one(
                &format!("SELECT {RUN_COLUMNS}, r.verdict FROM runs r WHERE r.seq = $1"),
                &[&seq],
            )
            .map_err(|e| self.db(e))?;
        let (_, id, meta) = run_row(&row)?;
        let verdict: String = row.get(13);
        let gates = client
            .query(
                &format!("SELECT {GATE_COLUMNS} FROM gates g WHERE g.run_seq = $1 ORDER BY g.ord"),
                &[&seq],
            )
            .map_err(|e| self.db(e))?
            .iter()
            .map(|row| gate_row(row, 0))
            .collect();
        let evidence = client
            .query(
                "SELECT identity FROM run_evidence WHERE run_seq = $1 ORDER BY identity",
                &[&seq],
            )
            .map_err(|e| self.db(e))?
            .iter()
            .map(|row| row.get(0))
            .collect();
        Ok(StoredRun {
            id,
            meta,
            verdict,
            gates,
            evidence,
        })
    }

    fn names(
        &self,
        sql: &str,
        key: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Vec<String>, HistoryError> {
        Ok(self
            .client
            .borrow_mut()
            .query(sql, &[key])
            .map_err(|e| self.db(e))?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }
}

fn run_row(row: &Row) -> Result<(i64, String, RunMeta), HistoryError> {
    let timestamp = |i: usize| -> Result<jiff::Timestamp, HistoryError> {
        let text: String = row.get(i);
        text.parse()
            .map_err(|e| HistoryError::Invalid(format!("a stored time `{text}`: {e}")))
    };
    let env: String = row.get(3);
    let tags: Option<String> = row.get(6);
    Ok((
        row.get(0),
        row.get(1),
        RunMeta {
            service: row.get(2),
            env: (!env.is_empty()).then_some(env),
            commit: row.get(4),
            branch: row.get(5),
            tags: tags
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            ci_run: row.get(7),
            evaluated_at: timestamp(8)?,
            recorded_at: timestamp(9)?,
            judged_in_past: row.get::<_, i32>(10) != 0,
            decision: row.get(11),
            policy_sha256: row.get(12),
        },
    ))
}

fn gate_row(row: &Row, at: usize) -> GateRow {
    let count = |i: usize| row.get::<_, Option<i64>>(at + i).map(|v| v as u64);
    GateRow {
        name: row.get(at),
        metric: row.get(at + 1),
        aggregate: row.get(at + 2),
        expect: row.get(at + 3),
        status: row.get(at + 4),
        reason: row.get(at + 5),
        unit: row.get(at + 6),
        point: row.get(at + 7),
        lower: row.get(at + 8),
        upper: row.get(at + 9),
        pair: (row.get::<_, i32>(at + 10) != 0).then(|| (row.get(at + 11), row.get(at + 12))),
        n: count(13),
        k: count(14),
        threshold: row.get(at + 15),
    }
}

fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

fn count(value: Option<u64>) -> Option<i64> {
    value.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

impl Store for PgStore {
    fn insert(
        &mut self,
        run: &StoredRun,
        records: &[(String, String)],
    ) -> Result<bool, HistoryError> {
        let shown = self.shown.clone();
        let db = |e: postgres::Error| HistoryError::Postgres {
            path: shown.clone(),
            message: e.to_string(),
        };
        let client = self.client.get_mut();
        let mut tx = client.transaction().map_err(db)?;
        let meta = &run.meta;
        let inserted = tx
            .query_opt(
                "INSERT INTO runs (id, service, env, commit_sha, branch, tags, ci_run, \
                 evaluated_at, evaluated_us, recorded_at, judged_in_past, decision, verdict, \
                 policy_sha256) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (id) DO NOTHING RETURNING seq",
                &[
                    &run.id,
                    &meta.service,
                    &meta.env_key(),
                    &meta.commit,
                    &meta.branch,
                    &serde_json::to_string(&meta.tags).unwrap_or_else(|_| "[]".into()),
                    &meta.ci_run,
                    &meta.evaluated_at.to_string(),
                    &meta.evaluated_at.as_microsecond(),
                    &meta.recorded_at.to_string(),
                    &i32::from(meta.judged_in_past),
                    &meta.decision,
                    &run.verdict,
                    &meta.policy_sha256,
                ],
            )
            .map_err(db)?;
        let Some(row) = inserted else {
            return Ok(false);
        };
        let seq: i64 = row.get(0);
        let evidence = tx
            .prepare(
                "INSERT INTO evidence (identity, record) VALUES ($1, $2) \
                 ON CONFLICT (identity) DO NOTHING",
            )
            .map_err(db)?;
        for (identity, line) in records {
            tx.execute(&evidence, &[identity, line]).map_err(db)?;
        }
        let uses = tx
            .prepare(
                "INSERT INTO run_evidence (run_seq, identity) VALUES ($1, $2) \
                 ON CONFLICT (run_seq, identity) DO NOTHING",
            )
            .map_err(db)?;
        for identity in &run.evidence {
            tx.execute(&uses, &[&seq, identity]).map_err(db)?;
        }
        let gates = tx
            .prepare(
                "INSERT INTO gates (run_seq, ord, name, metric, aggregate, expect, status, \
                 reason, unit, point, lower, upper, has_pair, pair_lower, pair_upper, n, k, \
                 threshold) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                 $14, $15, $16, $17, $18)",
            )
            .map_err(db)?;
        for (ord, gate) in run.gates.iter().enumerate() {
            let (pair_lower, pair_upper) = gate.pair.unwrap_or((None, None));
            tx.execute(
                &gates,
                &[
                    &seq,
                    &(ord as i32),
                    &gate.name,
                    &gate.metric,
                    &gate.aggregate,
                    &gate.expect,
                    &gate.status,
                    &gate.reason,
                    &gate.unit,
                    &finite(gate.point),
                    &finite(gate.lower),
                    &finite(gate.upper),
                    &i32::from(gate.pair.is_some()),
                    &finite(pair_lower),
                    &finite(pair_upper),
                    &count(gate.n),
                    &count(gate.k),
                    &finite(gate.threshold),
                ],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(true)
    }

    fn list(&self, filter: &Filter) -> Result<Vec<RunSummary>, HistoryError> {
        let limit = filter
            .limit
            .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs r WHERE ($1::text IS NULL OR r.service = $1) \
                     AND ($2::text IS NULL OR r.env = $2) \
                     ORDER BY r.evaluated_us DESC, r.seq DESC LIMIT $3"
                ),
                &[&filter.service, &filter.env, &limit],
            )
            .map_err(|e| self.db(e))?;
        rows.iter()
            .map(|row| {
                let (seq, id, meta) = run_row(row)?;
                Ok(RunSummary {
                    failing: self.names(
                        "SELECT name FROM gates WHERE run_seq = $1 \
                         AND status IN ('fail', 'inconclusive', 'missing') ORDER BY ord",
                        &seq,
                    )?,
                    pins: self
                        .names("SELECT name FROM pins WHERE run_id = $1 ORDER BY name", &id)?,
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
        Ok(self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT record FROM evidence WHERE identity = $1",
                &[&identity],
            )
            .map_err(|e| self.db(e))?
            .map(|row| row.get(0)))
    }

    fn series(
        &self,
        service: &str,
        env: &str,
        key: &SeriesKey,
        last: usize,
    ) -> Result<Vec<SeriesPoint>, HistoryError> {
        let (condition, first, second) = match key {
            SeriesKey::Gate(name) => ("g.name = $4 AND $5::text IS NULL", name.clone(), None),
            SeriesKey::Metric { metric, aggregate } => (
                "g.metric = $4 AND ($5::text IS NULL OR g.aggregate = $5)",
                metric.clone(),
                aggregate.clone(),
            ),
        };
        let limit = i64::try_from(last).unwrap_or(i64::MAX);
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "SELECT r.id, r.evaluated_at, r.decision, r.judged_in_past, {GATE_COLUMNS} \
                     FROM (SELECT seq, id, evaluated_at, evaluated_us, decision, judged_in_past \
                           FROM runs WHERE service = $1 AND env = $2 \
                           ORDER BY evaluated_us DESC, seq DESC LIMIT $3) r \
                     JOIN gates g ON g.run_seq = r.seq \
                     WHERE {condition} ORDER BY r.evaluated_us, r.seq, g.ord"
                ),
                &[&service, &env, &limit, &first, &second],
            )
            .map_err(|e| self.db(e))?;
        let mut points = Vec::with_capacity(rows.len());
        for row in &rows {
            let at: String = row.get(1);
            points.push(SeriesPoint {
                run: row.get(0),
                evaluated_at: at
                    .parse()
                    .map_err(|e| HistoryError::Invalid(format!("a stored time `{at}`: {e}")))?,
                decision: row.get(2),
                judged_in_past: row.get::<_, i32>(3) != 0,
                gate: gate_row(row, 4),
            });
        }
        Ok(crate::sqlite::one_per_run_and_aggregate(points))
    }

    fn find(
        &self,
        service: &str,
        env: &str,
        selector: &Selector,
        policy: Option<&str>,
    ) -> Result<Option<StoredRun>, HistoryError> {
        let newest = |decision: Option<&str>| -> Result<Option<i64>, HistoryError> {
            Ok(self
                .client
                .borrow_mut()
                .query_opt(
                    "SELECT seq FROM runs WHERE service = $1 AND env = $2 \
                     AND ($3::text IS NULL OR decision = $3) \
                     AND ($4::text IS NULL OR (policy_sha256 = $4 AND judged_in_past = 0)) \
                     ORDER BY evaluated_us DESC, seq DESC LIMIT 1",
                    &[&service, &env, &decision, &policy],
                )
                .map_err(|e| self.db(e))?
                .map(|row| row.get(0)))
        };
        let seq = match selector {
            Selector::Last => newest(None)?,
            Selector::LastGo => newest(Some("GO"))?,
            Selector::Named(name) => match self.resolve(name) {
                Ok((seq, _)) => Some(seq),
                Err(HistoryError::UnknownRun(_)) => {
                    let pinned: Option<String> = self
                        .client
                        .borrow_mut()
                        .query_opt("SELECT run_id FROM pins WHERE name = $1", &[name])
                        .map_err(|e| self.db(e))?
                        .map(|row| row.get(0));
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
        crate::sqlite::check_pin_name(name)?;
        let (_, id) = self.resolve(id)?;
        self.client
            .get_mut()
            .execute(
                "INSERT INTO pins (name, run_id) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id",
                &[&name, &id],
            )
            .map_err(|e| HistoryError::Postgres {
                path: self.shown.clone(),
                message: e.to_string(),
            })?;
        Ok(id)
    }

    fn prune(&mut self, keep: usize) -> Result<usize, HistoryError> {
        let shown = self.shown.clone();
        let db = |e: postgres::Error| HistoryError::Postgres {
            path: shown.clone(),
            message: e.to_string(),
        };
        let mut tx = self.client.get_mut().transaction().map_err(db)?;
        let removed = tx
            .execute(
                "DELETE FROM runs WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER \
                 (PARTITION BY service, env ORDER BY evaluated_us DESC, seq DESC) AS newest \
                 FROM runs) ranked WHERE newest > $1) \
                 AND NOT EXISTS (SELECT 1 FROM pins p WHERE p.run_id = runs.id)",
                &[&i64::try_from(keep).unwrap_or(i64::MAX)],
            )
            .map_err(db)?;
        tx.execute(
            "DELETE FROM evidence WHERE NOT EXISTS \
             (SELECT 1 FROM run_evidence u WHERE u.identity = evidence.identity)",
            &[],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(removed as usize)
    }

    fn all_ids(&self) -> Result<Vec<String>, HistoryError> {
        Ok(self
            .client
            .borrow_mut()
            .query("SELECT id FROM runs ORDER BY evaluated_us, seq", &[])
            .map_err(|e| self.db(e))?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }

    fn pins(&self) -> Result<Vec<(String, String)>, HistoryError> {
        Ok(self
            .client
            .borrow_mut()
            .query("SELECT name, run_id FROM pins ORDER BY name", &[])
            .map_err(|e| self.db(e))?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }
}
