-- gonogo history, schema version 1. One schema for SQLite and PostgreSQL: `{seq}` is the
-- run's surrogate key type (INTEGER PRIMARY KEY on SQLite, BIGSERIAL PRIMARY KEY on
-- PostgreSQL), the only difference between the two.
CREATE TABLE runs (
    seq {seq},
    -- The public id (`gonogo history show ID`), stable across export and import.
    id TEXT NOT NULL UNIQUE,
    -- The policy's name, and the environment profile ('' for none).
    service TEXT NOT NULL,
    env TEXT NOT NULL,
    commit_sha TEXT,
    branch TEXT,
    tags TEXT,
    ci_run TEXT,
    -- The moment judged (RFC 3339, and microseconds since the epoch to order by).
    evaluated_at TEXT NOT NULL,
    evaluated_us BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    -- 1 when the run was judged with `--now` in the past (re-judging), not as it happened.
    judged_in_past INTEGER NOT NULL,
    decision TEXT NOT NULL,
    -- The verdict.json document, as written.
    verdict TEXT NOT NULL
);
-- `gonogo history`, `trend`, `--baseline last|last-go`: the newest runs of a service and env.
CREATE INDEX runs_by_service ON runs (service, env, evaluated_us, seq);
CREATE INDEX runs_by_decision ON runs (service, env, decision, evaluated_us, seq);

-- One row per gate of a run: its measurement, never pooled with another run's.
CREATE TABLE gates (
    run_seq BIGINT NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    name TEXT NOT NULL,
    metric TEXT NOT NULL,
    aggregate TEXT NOT NULL,
    expect TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    unit TEXT,
    point DOUBLE PRECISION,
    lower DOUBLE PRECISION,
    upper DOUBLE PRECISION,
    pair_lower DOUBLE PRECISION,
    pair_upper DOUBLE PRECISION,
    -- 1 when the run measured a pair interval (its ends may still be unbounded: NULL).
    has_pair INTEGER NOT NULL,
    n BIGINT,
    k BIGINT,
    threshold DOUBLE PRECISION,
    PRIMARY KEY (run_seq, ord)
);
-- A series or a baseline by metric and aggregate, or by gate name, for given runs.
CREATE INDEX gates_by_metric ON gates (run_seq, metric, aggregate);
CREATE INDEX gates_by_name ON gates (run_seq, name);

-- Evidence records, content-addressed by their identity (the SHA-256 of the canonical wire
-- line): a record used by many runs is stored once.
CREATE TABLE evidence (
    identity TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE run_evidence (
    run_seq BIGINT NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
    identity TEXT NOT NULL REFERENCES evidence (identity),
    PRIMARY KEY (run_seq, identity)
);
CREATE INDEX run_evidence_by_identity ON run_evidence (identity);

-- Pinned baselines: `gonogo history pin RUN --as release-1.4`.
CREATE TABLE pins (
    name TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE
);
