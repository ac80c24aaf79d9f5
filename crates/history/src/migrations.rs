//! The schema, as embedded, versioned migrations: the same files for SQLite and PostgreSQL.
//! A database records the versions applied in `gonogo_schema`; opening one applies the
//! missing ones in one transaction, and refuses a database whose version is newer than the
//! newest here.

/// The migrations, in order: (version, SQL).
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_history.sql")),
    (2, include_str!("../migrations/0002_policy.sql")),
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The SQL dialects the schema is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A migration's SQL for a dialect: `{seq}` is the runs' surrogate key.
pub fn sql(migration: &str, dialect: Dialect) -> String {
    migration.replace(
        "{seq}",
        match dialect {
            Dialect::Sqlite => "INTEGER PRIMARY KEY",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        },
    )
}

/// The table that records the versions applied.
pub const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS gonogo_schema (version BIGINT NOT NULL PRIMARY KEY)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_from_one_and_every_placeholder_is_filled() {
        for (i, (version, text)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let sql = sql(text, dialect);
                assert!(!sql.contains('{'), "{sql}");
            }
        }
    }
}
