//! A real PostgreSQL server (feature `postgres`): Debian's `postgresql`, started on a free
//! loopback port in a temporary data directory and stopped on drop. The history crate's own
//! tests, the fault proxy's and the binary's end-to-end tests share it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A PostgreSQL server of its own, stopped on drop.
pub struct PgServer {
    child: Child,
    /// The server's `postgres` database, as the `gonogo` superuser (trust auth on loopback).
    pub url: String,
    /// The loopback port it listens on.
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl PgServer {
    /// Starts a server, or `None` (after `missing_tool`, which fails the test under
    /// `GONOGO_REQUIRE_TOOLS=1`) when PostgreSQL is not installed.
    #[track_caller]
    pub fn start(test: &str) -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            crate::missing_tool("postgresql (initdb, postgres)", test);
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if is_root() {
            let chowned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chowned.success());
        }
        let init = as_server_user(&bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-U", "gonogo", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let port = crate::free_port();
        let child = as_server_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("postgres://gonogo@127.0.0.1:{port}/postgres");
        let server = PgServer {
            child,
            url,
            port,
            bin,
            data,
            _dir: dir,
        };
        // Ready when it accepts a connection; bounded.
        crate::net::wait_for(
            "PostgreSQL to accept a connection",
            Duration::from_secs(30),
            || {
                postgres::Client::connect(&server.url, postgres::NoTls)
                    .ok()
                    .map(drop)
            },
        );
        Some(server)
    }

    /// 127.0.0.1:`port`, for a client that connects by address (a proxy in front of it).
    pub fn address(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// A fresh database on the server.
    pub fn database(&self, name: &str) -> String {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        self.url.replace("/postgres", &format!("/{name}"))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // A fast shutdown, waited for (the child may be `runuser`, which passes no signal on).
        let stopped = as_server_user(&self.bin.join("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "-t", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_database_accepts_queries() {
        let Some(server) = PgServer::start("postgres unit test") else {
            return;
        };
        let url = server.database("kit");
        assert!(url.ends_with("/kit"), "{url}");
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let row = client.query_one("SELECT current_database()", &[]).unwrap();
        assert_eq!(row.get::<_, String>(0), "kit");
    }
}
