//! gonogo's own JSON Web Key Set, served on a loopback port for the duration of the auth
//! checks (H-27, the `jku` variant).
//!
//! [`JwksServer::start`] binds `127.0.0.1:0` and answers `GET /jwks.json` with the key set (any
//! other path: 404), one request per connection, each bounded by the request timeout. Every
//! request is recorded before it is answered, so a service that verified a token with this key
//! set has been recorded by the time it answers gonogo. Dropping the server stops it and every
//! connection it still serves.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the key-set server received.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// `GET /jwks.json HTTP/1.1`
    pub request_line: String,
    pub user_agent: Option<String>,
    pub peer: SocketAddr,
}

impl Fetch {
    /// `GET /jwks.json` (user agent `x`).
    pub fn describe(&self) -> String {
        let line = self
            .request_line
            .rsplit_once(' ')
            .map(|(line, _)| line)
            .unwrap_or(&self.request_line);
        match &self.user_agent {
            Some(agent) => format!(
                "`{line}` from {} (user agent `{}`)",
                self.peer,
                crate::http::shorten(agent, 60)
            ),
            None => format!("`{line}` from {}", self.peer),
        }
    }
}

/// A running key-set server; stopped on drop.
pub struct JwksServer {
    url: String,
    fetches: Arc<Mutex<Vec<Fetch>>>,
    task: tokio::task::JoinHandle<()>,
}

/// Requests larger than this are cut off (a JWKS fetch is one short GET).
const REQUEST_LIMIT: usize = 8 * 1024;

impl JwksServer {
    /// Serves `jwks` (a JSON document) at `http://127.0.0.1:<port>/jwks.json`.
    pub async fn start(jwks: String, timeout: Duration) -> std::io::Result<JwksServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}/jwks.json", listener.local_addr()?);
        let fetches = Arc::new(Mutex::new(Vec::new()));
        let recorded = fetches.clone();
        let jwks = Arc::new(jwks);
        let task = tokio::spawn(async move {
            // The connections live in the set: aborting this task drops it, which aborts them.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((socket, peer)) = accepted else { continue };
                        let recorded = recorded.clone();
                        let jwks = jwks.clone();
                        connections.spawn(async move {
                            let _ = tokio::time::timeout(
                                timeout,
                                serve_one(socket, peer, &jwks, &recorded),
                            )
                            .await;
                        });
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(JwksServer { url, fetches, task })
    }

    /// `http://127.0.0.1:<port>/jwks.json`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far, in order.
    pub fn fetches(&self) -> Vec<Fetch> {
        self.fetches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl JwksServer {
    /// Stops the server and waits until its socket is closed.
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_one(
    mut socket: tokio::net::TcpStream,
    peer: SocketAddr,
    jwks: &str,
    recorded: &Mutex<Vec<Fetch>>,
) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < REQUEST_LIMIT {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("").to_owned();
    if request_line.is_empty() {
        return;
    }
    let user_agent = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("user-agent")
            .then(|| value.trim().to_owned())
    });
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
    recorded
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(Fetch {
            request_line: request_line.clone(),
            user_agent,
            peer,
        });
    let (status, body) = if path == "/jwks.json" && (method == "GET" || method == "HEAD") {
        ("200 OK", jwks)
    } else {
        ("404 Not Found", "{}")
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{}",
        body.len(),
        if method == "HEAD" { "" } else { body }
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn it_serves_the_key_set_and_records_each_request() {
        let server = JwksServer::start(r#"{"keys":[]}"#.into(), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(server.url().starts_with("http://127.0.0.1:"));
        let address = server.url()["http://".len()..]
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        socket
            .write_all(b"GET /jwks.json HTTP/1.1\r\nHost: x\r\nUser-Agent: probe/1\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with(r#"{"keys":[]}"#), "{answer}");
        let fetches = server.fetches();
        assert_eq!(fetches.len(), 1);
        assert_eq!(fetches[0].user_agent.as_deref(), Some("probe/1"));
        assert!(
            fetches[0]
                .describe()
                .starts_with("`GET /jwks.json` from 127.0.0.1:")
        );
        server.stop().await;
        assert!(tokio::net::TcpStream::connect(&address).await.is_err());
    }
}
