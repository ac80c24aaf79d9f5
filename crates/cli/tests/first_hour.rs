//! Issue 17, the first hour: a small healthy service (a real Python app with prometheus_client
//! behind a real nginx, a 62-test pytest suite writing JUnit and coverage) goes from `gonogo
//! init --target` to `gonogo run` and ends GO; the same project with one failing test ends
//! NO-GO naming it. Nothing in the policy is edited by hand.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use gonogo_testkit::nginx::{Nginx, NginxConfig};
use gonogo_testkit::text;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

/// A process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const APP: &str = r#"
import json, sys, time, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from prometheus_client import Counter, Histogram, generate_latest, CONTENT_TYPE_LATEST

REQUESTS = Counter("http_requests_total", "Requests served", ["path"])
LATENCY = Histogram("http_request_duration_seconds", "Request latency")


from shop import price


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        started = time.perf_counter()
        if self.path == "/metrics":
            body, kind = generate_latest(), CONTENT_TYPE_LATEST
        else:
            body, kind = json.dumps({"price": price(12)}).encode(), "application/json"
        REQUESTS.labels(path=self.path.split("?")[0]).inc()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        LATENCY.observe(time.perf_counter() - started)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()
"#;

const SHOP: &str = r#"
def price(quantity):
    """The shop's one rule: 3 EUR each, the tenth free."""
    if quantity < 0:
        raise ValueError("negative quantity")
    return 3 * (quantity - quantity // 10)
"#;

fn tests_py(failing: bool) -> String {
    format!(
        r#"
import pytest
from shop import price

@pytest.mark.parametrize("quantity", range(60))
def test_price_is_never_negative(quantity):
    assert price(quantity) >= 0

def test_the_tenth_is_free():
    assert price(10) == {}

def test_negative_quantities_are_refused():
    with pytest.raises(ValueError):
        price(-1)
"#,
        if failing { 30 } else { 27 }
    )
}

/// Waits (bounded) until `path` exists, then reads it.
fn wait_for_file(path: &Path, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tools_present() -> bool {
    let python = Command::new("python3")
        .args(["-c", "import pytest, pytest_cov, prometheus_client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !python {
        gonogo_testkit::missing_tool(
            "python3 with pytest, pytest-cov and prometheus_client (scripts/deps/python.txt)",
            "first hour",
        );
        return false;
    }
    gonogo_testkit::require_tool("nginx", "first hour").is_some()
}

/// The service: the Python app, and nginx in front of it on a free port.
fn start_service(dir: &Path) -> (Running, Nginx, u16) {
    let port_file = dir.join("app.port");
    let app = Running(
        Command::new("python3")
            .arg(dir.join("app.py"))
            .arg(&port_file)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let app_port: u16 = wait_for_file(&port_file, "the Python app")
        .trim()
        .parse()
        .unwrap();
    let config = NginxConfig {
        http: format!("  upstream app {{ server 127.0.0.1:{app_port}; keepalive 16; }}"),
        server: "    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\"; }".into(),
        ..NginxConfig::default()
    };
    let nginx = Nginx::start("first hour", &config).expect("nginx is installed");
    let port = nginx.port;
    (app, nginx, port)
}

fn project(failing: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"shop\"\nversion = \"0.1.0\"\n\n[tool.pytest.ini_options]\naddopts = \"-p no:cacheprovider\"\n\n[tool.coverage.run]\nsource = [\"shop\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.py"), APP).unwrap();
    std::fs::write(dir.path().join("shop.py"), SHOP).unwrap();
    std::fs::write(dir.path().join("test_app.py"), tests_py(failing)).unwrap();
    dir
}

fn verdict(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("gonogo-report/verdict.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn init_then_run_is_go_on_a_healthy_service_and_no_go_with_a_failing_test() {
    if !tools_present() {
        return;
    }
    for failing in [false, true] {
        let dir = project(failing);
        let (_app, _nginx, port) = start_service(dir.path());
        let target = format!("http://127.0.0.1:{port}");
        let init = gonogo(&["init", "--target", &target], dir.path());
        assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
        assert!(
            text(&init.stderr).contains("found pyproject.toml (pytest)"),
            "{}",
            text(&init.stderr)
        );
        let run = gonogo(&["run"], dir.path());
        let stderr = text(&run.stderr);
        let stdout = text(&run.stdout);
        let verdict = verdict(dir.path());
        let status = |name: &str| {
            verdict["gates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["name"] == name)
                .unwrap_or_else(|| panic!("no gate {name}: {stdout}"))["status"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        if failing {
            assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
            assert_eq!(verdict["verdict"], "NO-GO");
            assert_eq!(status("tests pass"), "fail", "{stdout}");
            assert_eq!(status("command tests"), "fail", "{stdout}");
            assert!(stdout.contains("tests pass"), "{stdout}");
            // The service itself is healthy: only the test flaw stops the release.
            assert_eq!(status("ready"), "pass", "{stdout}");
        } else {
            assert_eq!(
                run.status.code(),
                Some(0),
                "a healthy small service must be GO on day one:\n{stdout}\n{stderr}"
            );
            assert_eq!(verdict["verdict"], "GO");
            for gate in [
                "tests pass",
                "command tests",
                "ready",
                "p95 latency",
                "error rate",
            ] {
                assert_eq!(status(gate), "pass", "{gate}: {stdout}");
            }
            assert_eq!(status("line coverage"), "pass", "{stdout}");
        }
    }
}
