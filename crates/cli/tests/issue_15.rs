//! Issue 15, defects 3, 8 and 11, end to end: a hostile server on loopback (started by each
//! test), hostile files and a hostile policy. Whatever they hold, gonogo's console output
//! starts no GitHub workflow command and carries no terminal escape, and no secret reaches
//! output or evidence.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;

use gonogo_testkit::console;

/// Workflow commands and terminal escapes, as a hostile body, file or name carries them.
const PAYLOAD: &str = "x\n::error::pwned\n  ::add-mask::secret\r::stop-commands::tok\n\
                       \u{1b}]0;title\u{7}\u{1b}[2J\u{1b}[H\u{8}##[error]azure \u{202e}evil";

/// A tiny HTTP/1.1 server on loopback: `/echo` answers 200 with the request head as its body
/// (a server that echoes tokens), `/metrics` a hostile exposition, anything else a 500 with
/// [`PAYLOAD`]. One thread per connection; the listener lives as long as the test process.
fn hostile_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    port
}

fn answer(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => head.push_str(&line),
        }
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (status, content_type, body) = if path.starts_with("/echo") {
        ("200 OK", "text/plain", head.clone())
    } else if path.starts_with("/metrics") {
        (
            "200 OK",
            "text/plain; version=0.0.4",
            format!(
                "# HELP up {}\n# TYPE up gauge\nup 1\n\u{1b}]0;x\u{7}::error::bad\n{PAYLOAD}\n",
                "\u{1b}]0;help\u{7}"
            ),
        )
    } else {
        (
            "500 Internal Server Error",
            "text/plain",
            PAYLOAD.to_owned(),
        )
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn gonogo(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), args, dir);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// stdout and stderr together, lossily.
/// No line starts a workflow command (the runner trims leading whitespace), no Azure command
/// anywhere, and no control character but `\n` and `\t`, no bidi override.
fn assert_inert(text: &str, what: &str) {
    for line in text.split('\n') {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a workflow command starts a line: {line:?}\n{text}"
        );
        assert!(!line.contains("##["), "{what}: an Azure command: {line:?}");
    }
    for c in text.chars() {
        assert!(
            !(c.is_control() && c != '\n' && c != '\t') && c != '\u{202e}',
            "{what}: raw {c:?} on the console:\n{text}"
        );
    }
}

#[test]
fn issue_15_defect_3_and_11_a_probed_body_is_inert_on_the_console() {
    let port = hostile_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let output = gonogo(
        &[
            "probe",
            &url,
            "--condition",
            "[BODY] == ok",
            "--evidence-dir",
            "ev",
        ],
        dir.path(),
        &[],
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_inert(&text, "probe");
    assert!(
        text.contains("\\x1b]0;title\\x07"),
        "escapes are shown:\n{text}"
    );
}

#[test]
fn issue_15_defect_11_metrics_and_logs_are_inert_on_the_console() {
    let port = hostile_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let output = gonogo(&["observe", &url, "--evidence-dir", "ev"], dir.path(), &[]);
    let text = console(&output);
    assert_inert(&text, "observe /metrics");
    assert!(
        text.contains("\\x1b]0;x\\x07::error::bad"),
        "the bad line is shown:\n{text}"
    );

    std::fs::write(
        dir.path().join("app.log"),
        format!("{{\"level\":\"info\"}}\n\u{1b}]0;t\u{7}{PAYLOAD}\n"),
    )
    .unwrap();
    let output = gonogo(
        &["observe", "--logs", "app.log", "--evidence-dir", "ev"],
        dir.path(),
        &[],
    );
    let text = console(&output);
    assert_inert(&text, "observe --logs");
    assert!(
        text.contains("first unstructured line 2: \\x1b]0;t\\x07"),
        "{text}"
    );
}

#[test]
fn issue_15_defect_3_sarif_tool_name_lcov_and_file_names_are_inert() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": PAYLOAD, "rules": [] } }, "results": [] }]
    });
    let name = "::error::file\u{1b}]0;t\u{7}.sarif";
    std::fs::write(dir.path().join(name), sarif.to_string()).unwrap();
    let output = gonogo(&["collect", "sarif", name, "--no-write"], dir.path(), &[]);
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_inert(&text, "collect sarif");
    assert!(text.contains("::error::file\\x1b]0;t\\x07.sarif"), "{text}");
    assert!(text.contains("\n\\x3a:error::pwned\n"), "{text}");

    std::fs::write(
        dir.path().join("lcov.info"),
        format!("SF:src/a.rs\nDA:1,1\nend_of_record\n{PAYLOAD}\n"),
    )
    .unwrap();
    let output = gonogo(
        &["collect", "lcov", "lcov.info", "--no-write"],
        dir.path(),
        &[],
    );
    let text = console(&output);
    assert_inert(&text, "collect lcov");
}

#[test]
fn issue_15_defect_8_harden_never_keeps_an_echoed_token() {
    const TOKEN: &str = "tok-abcdefghijklmnop-0123456789-secret";
    let port = hostile_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let output = gonogo(
        &[
            "harden",
            &url,
            "--path",
            "/echo",
            "--protected",
            "/echo",
            "--json",
            "--evidence-dir",
            "ev",
        ],
        dir.path(),
        &[("GONOGO_HARDEN_TOKEN", TOKEN)],
    );
    let text = console(&output);
    assert!(output.status.code().is_some(), "{text}");
    // The server echoed the token back: the audit saw it, and must not keep it.
    assert!(text.contains("[REDACTED]"), "{text}");
    let mut evidence = String::new();
    for entry in std::fs::read_dir(dir.path().join("ev")).unwrap() {
        evidence.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(!evidence.is_empty());
    for shown in [&text, &evidence] {
        // Not the token, and not its first 12 characters either.
        assert!(
            !shown.contains(&TOKEN[..12]),
            "a token prefix leaked:\n{shown}"
        );
    }
}

#[test]
fn issue_15_defect_8_user_pass_urls_are_redacted_in_every_engine_error() {
    const PASSWORD: &str = "s3cr3t-pw-0042";
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://alice:{PASSWORD}@10.0.0.1:9/metrics");
    // harden names only the host in its refusal; the others show the URL, redacted.
    let commands: [(&[&str], bool); 5] = [
        (&["probe", &url, "--evidence-dir", "ev"], true),
        (&["observe", &url, "--evidence-dir", "ev"], true),
        (
            &["prometheus", "query", &url, "up", "--evidence-dir", "ev"],
            true,
        ),
        (&["harden", &url, "--evidence-dir", "ev"], false),
        (&["load", &url, "-d", "1s"], true),
    ];
    for (args, shows_url) in commands {
        let output = gonogo(args, dir.path(), &[]);
        let text = console(&output);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {text}");
        assert!(
            !text.contains(PASSWORD),
            "{args:?} printed the password:\n{text}"
        );
        assert!(
            !text.contains("alice"),
            "{args:?} printed the user:\n{text}"
        );
        if shows_url {
            assert!(text.contains("[REDACTED]@10.0.0.1"), "{args:?}: {text}");
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.path().join("ev")) {
        for entry in entries {
            let stored = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(!stored.contains(PASSWORD), "{stored}");
        }
    }
}

#[test]
fn issue_15_defect_3_and_8_run_commands_and_gate_names() {
    const HARDEN_TOKEN: &str = "gonogo-token-value-0001";
    const GITHUB_TOKEN: &str = "ghs_abcdefghijklmnopqrstuvwxyz012345";
    const PASSED: &str = "passed-on-value-0002";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        r#"
[[command]]
name = "env"
run = "env; echo END; echo \"gh=$GH_TOKEN\"; echo https://bob:hunter2-pw@127.0.0.1/x; echo 'Authorization: Bearer abcdef0123456789xyz'; printf 'x\\n::error::from a command\\n\\033]0;t\\007\\n'"
pass_env = ["GH_TOKEN"]

[[gate]]
name = "::add-mask::x \u001b]0;title\u0007 ::error::gate"
area = "delivery"
metric = "command.env.exit_code"
expect = "value == 0"
"#,
    )
    .unwrap();
    let output = gonogo(
        &["run"],
        dir.path(),
        &[
            ("GONOGO_HARDEN_TOKEN", HARDEN_TOKEN),
            ("GITHUB_TOKEN", GITHUB_TOKEN),
            ("GH_TOKEN", PASSED),
        ],
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_inert(&text, "run");
    assert!(
        text.contains("\\x3a:add-mask::x \\x1b]0;title\\x07"),
        "{text}"
    );

    let log = std::fs::read_to_string(dir.path().join("gonogo-report/logs/env.log")).unwrap();
    let environment = log.split("END\n").next().unwrap();
    assert!(
        !environment.contains("GONOGO_HARDEN_TOKEN="),
        "{environment}"
    );
    assert!(!environment.contains("GITHUB_TOKEN="), "{environment}");
    // Passed on: the variable is there, its value redacted in the log like everywhere else.
    assert!(environment.contains("GH_TOKEN=[REDACTED]"), "pass_env");
    // The full log on disk is redacted as it is written: the tokens gonogo was given, a
    // `user:pass@` URL and a bearer token the command printed.
    for secret in [
        HARDEN_TOKEN,
        GITHUB_TOKEN,
        PASSED,
        "hunter2-pw",
        "abcdef0123456789xyz",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    assert!(log.contains("https://[REDACTED]@127.0.0.1/x\n"), "{log}");
    assert!(log.contains("Bearer [REDACTED]\n"), "{log}");

    let mut evidence = String::new();
    for entry in std::fs::read_dir(dir.path().join("gonogo-report/evidence")).unwrap() {
        evidence.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for shown in [&text, &evidence] {
        for secret in [HARDEN_TOKEN, GITHUB_TOKEN, PASSED] {
            assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
        }
    }
    assert!(evidence.contains("gh=[REDACTED]"), "{evidence}");
}

#[test]
fn issue_15_defect_3_an_evidence_file_name_is_inert_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"delivery\"\nmetric = \"command.x.exit_code\"\nexpect = \"value == 0\"\n",
    )
    .unwrap();
    let evidence = dir.path().join(".gonogo/evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(
        evidence.join("x\n::error::pwned\u{1b}]0;t\u{7}.json"),
        "{ not json",
    )
    .unwrap();
    let output = gonogo(&["gate"], dir.path(), &[]);
    let text = console(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert_inert(&text, "gate");
    assert!(
        text.contains("\\x3a:error::pwned\\x1b]0;t\\x07.json"),
        "{text}"
    );
}

#[test]
fn issue_15_defect_8_probe_never_keeps_an_echoed_header_secret() {
    const KEY: &str = "key-abcdef-0123456789-probe";
    let port = hostile_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/echo");
    let header = format!("X-Api-Key: {KEY}");
    let output = gonogo(
        &[
            "probe",
            &url,
            "-H",
            &header,
            "--condition",
            "[BODY] == ok",
            "--evidence-dir",
            "ev",
        ],
        dir.path(),
        &[],
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    // The server echoed the header: the failure message shows where it was, not what.
    assert!(text.contains("[REDACTED]"), "{text}");
    let mut evidence = String::new();
    for entry in std::fs::read_dir(dir.path().join("ev")).unwrap() {
        evidence.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(evidence.contains("[REDACTED]"), "{evidence}");
    for shown in [&text, &evidence] {
        assert!(!shown.contains(KEY), "the key leaked:\n{shown}");
    }
}
