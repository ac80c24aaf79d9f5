//! Debian's nginx (`nginx-light`), one process (`master_process off`, `daemon off`) with its
//! prefix in a temporary folder, on a free loopback port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::server::Server;
use crate::tools::require_tool;

/// What a test's nginx serves. In every string `{PORT}` stands for the main server's port and
/// `{PREFIX}` for nginx's folder.
#[derive(Clone, Debug)]
pub struct NginxConfig {
    /// Directives inside the main `server` block (after `listen` and `root {PREFIX}/html`).
    pub server: String,
    /// Directives inside `http`, before the access log and the main server (`upstream`,
    /// `log_format`...).
    pub http: String,
    /// More `server` blocks inside `http`, after the main one.
    pub extra_servers: String,
    /// The access log directive; `access_log off;` by default.
    pub access_log: String,
    /// `worker_connections`.
    pub worker_connections: u32,
    /// The main server speaks TLS with (certificate chain, key) PEM files.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Files written under `{PREFIX}/html` (name, bytes); an `index.html` by default.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for NginxConfig {
    fn default() -> NginxConfig {
        NginxConfig {
            server: String::new(),
            http: String::new(),
            extra_servers: String::new(),
            access_log: "access_log off;".into(),
            worker_connections: 1024,
            tls: None,
            files: vec![(
                "index.html".into(),
                b"<!DOCTYPE html>\n<html><head><title>nginx test</title></head><body>hello</body></html>\n"
                    .to_vec(),
            )],
        }
    }
}

impl NginxConfig {
    /// The default configuration with `server` directives in the main server.
    pub fn server(server: &str) -> NginxConfig {
        NginxConfig {
            server: server.into(),
            ..NginxConfig::default()
        }
    }

    /// nginx.conf for `prefix` and `port`.
    pub fn render(&self, prefix: &Path, port: u16) -> String {
        let p = prefix.display().to_string();
        let fill = |text: &str| {
            text.replace("{PORT}", &port.to_string())
                .replace("{PREFIX}", &p)
        };
        let listen = match &self.tls {
            None => format!("listen 127.0.0.1:{port};"),
            Some((chain, key)) => format!(
                "listen 127.0.0.1:{port} ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};",
                chain.display(),
                key.display()
            ),
        };
        format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\n\
             events {{ worker_connections {connections}; }}\n\
             http {{\n  client_body_temp_path {p}/tmp;\n  proxy_temp_path {p}/tmp;\n  fastcgi_temp_path {p}/tmp;\n  uwsgi_temp_path {p}/tmp;\n  scgi_temp_path {p}/tmp;\n\
             \x20 types {{ text/html html; }}\n  default_type application/octet-stream;\n{http}\n  {access_log}\n\
             \x20 server {{\n    {listen}\n    root {p}/html;\n{server}\n  }}\n{extra}\n}}\n",
            connections = self.worker_connections,
            access_log = fill(&self.access_log),
            http = fill(&self.http),
            server = fill(&self.server),
            extra = fill(&self.extra_servers),
        )
    }
}

/// A running nginx; stopped and its prefix removed on drop.
pub struct Nginx {
    server: Server,
    /// The main server's loopback port.
    pub port: u16,
    scheme: &'static str,
}

impl Nginx {
    /// Starts nginx serving `config`. `None` when nginx is not installed (the test `test` is
    /// skipped, or failed under `GONOGO_REQUIRE_TOOLS=1`); panics with nginx's error log when
    /// it does not start.
    #[track_caller]
    pub fn start(test: &str, config: &NginxConfig) -> Option<Nginx> {
        let binary = require_tool("nginx", test)?;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let prefix = dir.path();
        std::fs::create_dir_all(prefix.join("html")).unwrap();
        std::fs::create_dir_all(prefix.join("tmp")).unwrap();
        for (name, bytes) in &config.files {
            std::fs::write(prefix.join("html").join(name), bytes).unwrap();
        }
        let port = crate::free_port();
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config.render(prefix, port)).unwrap();
        let mut command = Command::new(binary);
        command
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(prefix.join("error.log"));
        let server = Server::spawn(command, "nginx", port, dir);
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        Some(Nginx {
            server,
            port,
            scheme,
        })
    }

    /// `http://127.0.0.1:<port>` (`https` with TLS).
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// 127.0.0.1:`port`.
    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// nginx's folder (`{PREFIX}`): its configuration, logs and `html` root.
    pub fn prefix(&self) -> &Path {
        self.server.dir()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    #[test]
    fn serves_its_files_and_the_configured_locations() {
        let mut config = NginxConfig::server("    location = /port { return 200 'port {PORT}'; }");
        config
            .files
            .push(("data.txt".into(), b"some data".to_vec()));
        config.access_log = "access_log {PREFIX}/access.log;".into();
        let Some(nginx) = Nginx::start("nginx unit test", &config) else {
            return;
        };
        let get = |path: &str| {
            let mut stream = std::net::TcpStream::connect(nginx.address()).unwrap();
            write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        };
        assert!(get("/data.txt").ends_with("\r\n\r\nsome data"));
        assert!(get("/port").ends_with(&format!("port {}", nginx.port)));
        assert!(get("/index.html").contains("hello"));
        assert!(get("/missing").starts_with("HTTP/1.1 404"));
        let prefix = nginx.prefix().to_owned();
        assert!(prefix.join("access.log").is_file());
        drop(nginx);
        assert!(!prefix.exists());
    }

    #[test]
    fn a_broken_configuration_fails_with_the_error_log() {
        if crate::tools::find_tool("nginx").is_none() {
            return crate::missing_tool("nginx", "nginx broken configuration test");
        }
        let config = NginxConfig::server("    no_such_directive on;");
        let failed = std::panic::catch_unwind(|| Nginx::start("broken", &config));
        let message = *failed.err().unwrap().downcast::<String>().unwrap();
        assert!(message.contains("no_such_directive"), "{message}");
    }
}
