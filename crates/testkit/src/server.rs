//! One server process on loopback, with its temporary folder: killed, reaped and its folder
//! removed on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::net::wait_listening;
use crate::tools::require_tool;

/// How long a server may take to listen.
pub const READY_WITHIN: Duration = Duration::from_secs(30);

/// A running server: its process, the loopback port it listens on and its folder.
pub struct Server {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    /// Runs `program` (found by [`require_tool`]) with `args`, its output in `<dir>/<program
    /// name>.log`, and waits until it listens on 127.0.0.1:`port`. `None` when the program is
    /// missing (the test is skipped, or failed under `GONOGO_REQUIRE_TOOLS=1`).
    #[track_caller]
    pub fn start(
        test: &str,
        program: &str,
        args: &[String],
        port: u16,
        dir: tempfile::TempDir,
    ) -> Option<Server> {
        let binary = require_tool(program, test)?;
        let mut command = Command::new(binary);
        command.args(args).current_dir(dir.path());
        Some(Server::spawn(command, program, port, dir))
    }

    /// Spawns `command` (stdin closed, output to `<dir>/<what>.log`) and waits until it
    /// listens on 127.0.0.1:`port`; the log is in the panic when it exits first.
    #[track_caller]
    pub fn spawn(mut command: Command, what: &str, port: u16, dir: tempfile::TempDir) -> Server {
        let name = Path::new(what)
            .file_name()
            .map_or_else(|| what.to_owned(), |n| n.to_string_lossy().into_owned());
        let log_path = dir.path().join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).expect("the server's log file");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file, twice"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{what} starts: {e}"));
        let ready = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_listening(port, Some(&mut child), what, READY_WITHIN)
        }));
        let mut server = Server { child, port, dir };
        if let Err(panic) = ready {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            server.stop();
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "did not start".into());
            panic!("{message}\n{what}'s log:\n{log}");
        }
        server
    }

    /// 127.0.0.1:`port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Its temporary folder (configuration, data, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A file in its folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The process, for a test that signals it.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_ready_when_it_listens_and_gone_after_drop() {
        // python3 is what the integration tests use anyway; a plain TCP listener.
        let Some(python) = require_tool("python3", "server unit test") else {
            return;
        };
        let port = crate::free_port();
        let mut command = Command::new(python);
        command.args([
            "-c",
            &format!(
                "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',{port}))\ns.listen()\ntime.sleep(600)"
            ),
        ]);
        let server = Server::spawn(command, "listener", port, tempfile::tempdir().unwrap());
        assert!(std::net::TcpStream::connect(server.address()).is_ok());
        let dir = server.dir().to_owned();
        assert!(dir.join("listener.log").is_file());
        drop(server);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        assert!(!dir.exists());
    }

    #[test]
    fn a_server_that_exits_fails_with_its_log() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo bad configuration >&2; exit 1"]);
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Server::spawn(
                command,
                "sh",
                crate::free_port(),
                tempfile::tempdir().unwrap(),
            )
        }));
        let message = *failed.err().unwrap().downcast::<String>().unwrap();
        assert!(message.contains("sh exited with"), "{message}");
        assert!(message.contains("bad configuration"), "{message}");
    }
}
