//! A real PostgreSQL server for tests (feature `testing`): the test kit's
//! (`gonogo_testkit::postgres`), re-exported for tests that name it here.

pub use gonogo_testkit::postgres::PgServer;
