//! Integration test of https targets against a real rustls server (self-signed certificate from
//! rcgen) serving an axum router over hyper, started by the test on 127.0.0.1:0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use gonogo_load::cli::LoadArgs;
use gonogo_load::error_class::ErrorClass;

#[derive(Parser)]
struct LoadCommand {
    #[command(flatten)]
    args: LoadArgs,
}

fn load_args(argv: &[&str]) -> LoadArgs {
    let mut full = vec!["load"];
    full.extend_from_slice(argv);
    LoadCommand::try_parse_from(full)
        .expect("test flags parse")
        .args
}

struct TlsServer {
    address: SocketAddr,
    certificate_pem: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TlsServer {
    fn start() -> TlsServer {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        let certificate_pem = certified.cert.pem();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "secure ok" }));
        let (shutdown, mut shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let (stream, _) = tokio::select! {
                        accepted = listener.accept() => accepted.unwrap(),
                        _ = &mut shutdown_receiver => break,
                    };
                    let acceptor = acceptor.clone();
                    let router = router.clone();
                    tokio::spawn(async move {
                        // A client that rejects our certificate fails the handshake: not an error here.
                        let Ok(tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let service = hyper_util::service::TowerToHyperService::new(router);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                            .await;
                    });
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        let server = TlsServer {
            address,
            certificate_pem,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        // Ready when the port accepts a TCP connection (bounded to 5 s).
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(server.address).is_err() {
            assert!(Instant::now() < deadline, "TLS server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(argv: &[&str]) -> gonogo_load::engine::RunResult {
    let config = gonogo_load::cli::build_config(&load_args(argv)).expect("config builds");
    gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).expect("run completes")
}

#[test]
fn https_with_a_trusted_ca_a_wrong_ca_and_insecure() {
    let server = TlsServer::start();
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, &server.certificate_pem).unwrap();
    let url = format!("https://localhost:{}/", server.address.port());

    let trusted = run(&[
        &url,
        "-c",
        "2",
        "-n",
        "30",
        "--ca-file",
        ca.to_str().unwrap(),
        "--expect-body-contains",
        "secure ok",
    ]);
    assert_eq!(
        trusted.totals.status_counts.get(&200),
        Some(&30),
        "{:?}",
        trusted.totals.error_counts
    );
    assert_eq!(trusted.totals.n_errors(), 0);

    let untrusted = run(&[&url, "-c", "2", "-n", "6"]);
    assert_eq!(
        untrusted.totals.errors_of(ErrorClass::Tls),
        6,
        "{:?}",
        untrusted.totals.error_counts
    );

    let insecure = run(&[&url, "-c", "1", "-n", "5", "--insecure"]);
    assert_eq!(insecure.totals.status_counts.get(&200), Some(&5));

    // `--cacert`, curl's name, lives on as an alias of `--ca-file`.
    let error = gonogo_load::cli::build_config(&load_args(&[&url, "--cacert", "/nonexistent.pem"]))
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("--ca-file /nonexistent.pem"),
        "{error:#}"
    );
    assert_eq!(
        gonogo_load::cli::exit_code_for(&error),
        std::process::ExitCode::from(3)
    );
}
