//! Test servers on loopback: each runs on its own thread and runtime (so tests can call the
//! CLI's blocking `run`), binds port 0 (or a given port to come back on), and stops on drop.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub struct TestServer {
    pub address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Serves `router` on 127.0.0.1:`port` (0 for any free port).
    pub fn start(router: axum::Router, port: u16) -> TestServer {
        let (address_sender, address_receiver) = std::sync::mpsc::channel();
        let (shutdown_sender, shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = bind_retrying(port).await;
                address_sender.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_receiver.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let address = address_receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("server started");
        wait_for_port(address);
        TestServer {
            address,
            shutdown: Some(shutdown_sender),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Stops the server and waits until its port refuses connections.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Binding a port that was just released can briefly fail; retry for up to 5 s.
async fn bind_retrying(port: u16) -> tokio::net::TcpListener {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("cannot bind 127.0.0.1:{port}: {error}"),
        }
    }
}

/// Polls until `address` (on loopback) accepts a connection (bounded: 10 s).
pub fn wait_for_port(address: SocketAddr) {
    gonogo_testkit::wait_listening(
        address.port(),
        None,
        "the test server",
        Duration::from_secs(10),
    );
}

pub fn read_evidence(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let mut records = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        records.push(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap());
    }
    records
}

/// `gonogo probe` arguments as the command line would give them, writing evidence to `dir`.
pub fn probe_args(
    extra: &[&str],
    evidence_dir: &std::path::Path,
) -> gonogo_probe::cli::probe::ProbeArgs {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: gonogo_probe::cli::probe::ProbeArgs,
    }
    let mut argv = vec!["probe", "--evidence-dir", evidence_dir.to_str().unwrap()];
    argv.extend_from_slice(extra);
    <Cli as clap::Parser>::try_parse_from(argv).unwrap().args
}
