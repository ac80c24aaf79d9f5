//! Debian's Prometheus and Alertmanager, each with its configuration and data in a temporary
//! folder, on a free loopback port.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use crate::server::Server;
use crate::tools::require_tool;

/// A running Prometheus; stopped and its folder removed on drop.
pub struct Prometheus {
    server: Server,
    /// Its loopback port.
    pub port: u16,
}

impl Prometheus {
    /// Prometheus with `config` as `prometheus.yml`, `files` (name, text) beside it (rules, a
    /// web configuration; `{DIR}` in `args` stands for that folder) and `args` more flags.
    /// Ready when it listens (the test polls `/-/ready` or its first scrape itself). `None`
    /// when Prometheus is not installed (the test `test` is skipped, or failed under
    /// `GONOGO_REQUIRE_TOOLS=1`).
    #[track_caller]
    pub fn start(
        test: &str,
        config: &str,
        files: &[(&str, &str)],
        args: &[&str],
    ) -> Option<Prometheus> {
        let binary = require_tool("prometheus", test)?;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let d = dir.path().display().to_string();
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let port = crate::free_port();
        let mut command = Command::new(binary);
        command
            .current_dir(dir.path())
            .arg(format!("--config.file={d}/prometheus.yml"))
            .arg(format!("--storage.tsdb.path={d}/data"))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(args.iter().map(|arg| arg.replace("{DIR}", &d)));
        let server = Server::spawn(command, "prometheus", port, dir);
        Some(Prometheus { server, port })
    }

    /// Prometheus scraping `targets` every second as job `job`.
    #[track_caller]
    pub fn scraping(test: &str, job: &str, targets: &[SocketAddr]) -> Option<Prometheus> {
        Prometheus::start(test, &scrape_config(job, targets, ""), &[], &[])
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its folder (configuration, data, `prometheus.log`).
    pub fn dir(&self) -> &Path {
        self.server.dir()
    }
}

/// A `prometheus.yml` scraping and evaluating every second, `targets` as job `job`, `more`
/// appended (rule files, alerting).
pub fn scrape_config(job: &str, targets: &[SocketAddr], more: &str) -> String {
    let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
    format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n{more}",
        targets.join(", ")
    )
}

/// A running Alertmanager (clustering off, every alert discarded); stopped on drop.
pub struct Alertmanager {
    server: Server,
    /// Its loopback port.
    pub port: u16,
}

impl Alertmanager {
    /// `None` when Debian's `prometheus-alertmanager` is not installed (the test `test` is
    /// skipped, or failed under `GONOGO_REQUIRE_TOOLS=1`).
    #[track_caller]
    pub fn start(test: &str) -> Option<Alertmanager> {
        let binary = require_tool("prometheus-alertmanager", test)?;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let d = dir.path().display().to_string();
        std::fs::write(
            dir.path().join("alertmanager.yml"),
            "route:\n  receiver: discard\nreceivers:\n  - name: discard\n",
        )
        .unwrap();
        let port = crate::free_port();
        let mut command = Command::new(binary);
        command
            .current_dir(dir.path())
            .arg(format!("--config.file={d}/alertmanager.yml"))
            .arg(format!("--storage.path={d}/data"))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=");
        let server = Server::spawn(command, "alertmanager", port, dir);
        Some(Alertmanager { server, port })
    }

    /// 127.0.0.1:`port`.
    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scrape_configuration_names_every_target() {
        let a: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:9001".parse().unwrap();
        let config = scrape_config("shop", &[a, b], "rule_files: ['rules.yml']\n");
        assert!(config.contains("job_name: shop"), "{config}");
        assert!(
            config.contains("targets: ['127.0.0.1:9000', '127.0.0.1:9001']"),
            "{config}"
        );
        assert!(config.ends_with("rule_files: ['rules.yml']\n"), "{config}");
    }

    #[test]
    fn prometheus_listens_with_its_configuration() {
        let config = "global:\n  scrape_interval: 1s\n";
        let Some(prometheus) = Prometheus::start("prometheus unit test", config, &[], &[]) else {
            return;
        };
        let written = std::fs::read_to_string(prometheus.dir().join("prometheus.yml")).unwrap();
        assert_eq!(written, config);
        assert!(std::net::TcpStream::connect(("127.0.0.1", prometheus.port)).is_ok());
    }
}
