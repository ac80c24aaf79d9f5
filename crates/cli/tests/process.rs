//! The binary as a process among others (issue 15): one run per output folder, signals that
//! end a command's whole process group, atomic outputs, exit codes and messages for write
//! errors and special files. Each test is named after the defect it covers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use gonogo_testkit::text;

fn gonogo_command(args: &[&str], dir: &Path) -> Command {
    gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_command(args, dir).output().expect("the binary runs")
}

/// Polls `condition` until it holds or `limit` passes (a bounded wait, never a fixed sleep).
fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let mut status = None;
    wait_until(limit, "gonogo to exit", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap()
}

/// Whether a process exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

fn policy(dir: &Path, commands: &str) {
    std::fs::write(
        dir.join("gonogo.toml"),
        format!(
            "{commands}\n[[gate]]\nname = \"the command passed\"\narea = \"delivery\"\nmetric = \"command.work.exit_code\"\nexpect = \"value == 0\"\n"
        ),
    )
    .unwrap();
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn interrupted_run_ends_the_process_group(signal_name: &str, expected_code: i32) {
    let dir = tempfile::tempdir().unwrap();
    // The command's shell starts a grandchild in the background and waits for it.
    policy(
        dir.path(),
        "[[command]]\nname = \"work\"\nrun = \"sleep 300 & echo $! > grandchild.pid; wait\"\n",
    );
    let mut child = gonogo_command(&["run"], dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let mut grandchild = None;
    wait_until(Duration::from_secs(60), "the grandchild to start", || {
        grandchild = read_pid(&pid_file);
        grandchild.is_some_and(alive)
    });
    let grandchild = grandchild.unwrap();
    signal(child.id(), signal_name);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let mut stderr = String::new();
    use std::io::Read as _;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(expected_code), "{stderr}");
    wait_until(Duration::from_secs(10), "the grandchild to be gone", || {
        !alive(grandchild)
    });
    // What was measured so far is written: the command's record and the verdict.
    let out = dir.path().join("gonogo-report");
    let verdict = std::fs::read_to_string(out.join("verdict.json")).expect("a verdict");
    assert!(verdict.contains("the command passed"), "{verdict}");
    let records: Vec<String> = std::fs::read_dir(out.join("evidence"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|text| text.contains("command.work.exit_code"))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(
        records[0].contains("\"interrupted\": true"),
        "{}",
        records[0]
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
}

#[test]
fn defect_10_sigterm_on_run_ends_the_commands_whole_process_group_and_exits_143() {
    interrupted_run_ends_the_process_group("TERM", 143);
}

#[test]
fn defect_10_sigint_on_run_ends_the_commands_whole_process_group_and_exits_130() {
    interrupted_run_ends_the_process_group("INT", 130);
}

#[test]
fn defect_9_a_second_run_on_the_same_folder_refuses_at_once_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    // The first run's command holds the folder until the test creates `release`.
    policy(
        dir.path(),
        "[[command]]\nname = \"work\"\nrun = \"touch started; while [ ! -f release ]; do sleep 0.05; done\"\n",
    );
    let mut first = gonogo_command(&["run"], dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(60), "the first run's command", || {
        dir.path().join("started").exists()
    });
    let started = Instant::now();
    let second = gonogo(&["run"], dir.path());
    let stderr = text(&second.stderr);
    assert_eq!(second.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("(pid {})", first.id())),
        "names the holder: {stderr}"
    );
    assert!(stderr.contains("--wait"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once"
    );

    // With --wait, a second run waits for the first and then runs on its own.
    let mut waiting = gonogo_command(&["run", "--wait"], dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::write(dir.path().join("release"), "").unwrap();
    assert_eq!(
        wait_exit(&mut first, Duration::from_secs(60)).code(),
        Some(0)
    );
    let status = wait_exit(&mut waiting, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0));
    let evidence = dir.path().join("gonogo-report/evidence");
    let commands = std::fs::read_dir(&evidence)
        .unwrap()
        .filter(|e| {
            std::fs::read_to_string(e.as_ref().unwrap().path())
                .unwrap()
                .contains("command.work.exit_code")
        })
        .count();
    assert_eq!(commands, 1, "one run's records, never two mixed");
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn defect_16_a_fifo_is_named_as_such_and_write_errors_exit_4_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // Reading: a FIFO is not "no such file or folder".
    let fifo = dir.path().join("junit.xml");
    mkfifo(&fifo);
    let output = gonogo(
        &["collect", "junit", fifo.to_str().unwrap(), "--no-write"],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("FIFO"), "{stderr}");
    assert!(!stderr.contains("no such file"), "{stderr}");

    // Writing: the verdict's place is a FIFO: exit 4, the path named, nothing blocks.
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\nname = \"tests pass\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("evidence")).unwrap();
    let out = dir.path().join("verdict.json");
    mkfifo(&out);
    let output = gonogo(
        &[
            "gate",
            "--evidence-dir",
            "evidence",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("verdict.json"), "{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");
}

fn junit(dir: &Path) -> PathBuf {
    let path = dir.join("junit.xml");
    std::fs::write(
        &path,
        "<testsuite name=\"s\" tests=\"1\"><testcase name=\"a\"/></testsuite>\n",
    )
    .unwrap();
    path
}

#[test]
fn defect_19_temporary_files_of_a_killed_writer_are_removed_by_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    // A writer killed with -9 leaves its temporary file; pid 99999999 cannot be alive.
    let stale = evidence.join(".gonogo-tmp-99999999-0-junit-abc.json");
    std::fs::write(&stale, vec![b'{'; 1 << 20]).unwrap();
    let input = junit(dir.path());
    let output = gonogo(
        &[
            "collect",
            "junit",
            input.to_str().unwrap(),
            "--evidence-dir",
            evidence.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!stale.exists(), "the stale temporary file is removed");
    let names: Vec<String> = std::fs::read_dir(&evidence)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(!names[0].starts_with('.'), "{names:?}");
}

/// A 64 KiB tmpfs: the disk really fills up. Root is needed to mount it; without root the
/// test is a missing tool (it fails under GONOGO_REQUIRE_TOOLS=1).
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { path, _dir: dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn defect_7_a_full_disk_leaves_no_truncated_evidence_and_exits_4() {
    let Some(disk) = SmallDisk::mount() else {
        gonogo_testkit::missing_tool(
            "mount -t tmpfs (root)",
            "defect_7_a_full_disk_leaves_no_truncated_evidence_and_exits_4",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = junit(dir.path());
    // Fill the disk to the last byte: the evidence file cannot be written whole.
    let filler = disk.path.join("filler.bin");
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 1024];
        loop {
            if file.write_all(&block).is_err() {
                break;
            }
        }
        let _ = file.sync_all();
    }
    let output = gonogo(
        &[
            "collect",
            "junit",
            input.to_str().unwrap(),
            "--evidence-dir",
            disk.path.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(disk.path.to_str().unwrap()), "{stderr}");
    let left: Vec<String> = std::fs::read_dir(&disk.path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["filler.bin"], "nothing half-written is left");
    // And a later gate on that folder is not broken by it.
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\nname = \"tests pass\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n",
    )
    .unwrap();
    let gate = gonogo(
        &[
            "gate",
            "--evidence-dir",
            disk.path.to_str().unwrap(),
            "--out",
            dir.path().join("verdict.json").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_ne!(gate.status.code(), Some(3), "{}", text(&gate.stderr));
}

#[test]
fn defect_10_sigterm_during_a_load_stops_it_early_and_keeps_what_it_measured() {
    let service = gonogo_testkit::demo_target();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!(
            "[target]\nbase_url = \"{}\"\n\n[load.api]\npath = \"/\"\nconcurrency = 2\nduration = \"10m\"\n\n[[gate]]\nname = \"fast\"\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 5s\"\n",
            service.base_url()
        ),
    )
    .unwrap();
    let mut child = gonogo_command(&["run"], dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead as _;
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the load starts");
        if line.contains("▶") && line.contains("api") {
            break;
        }
    }
    // Stop the run as soon as its 10-minute load has started: it ends within seconds and
    // what the load measured until then is written.
    signal(child.id(), "TERM");
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let stderr = reader.join().unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    let out = dir.path().join("gonogo-report");
    assert!(out.join("verdict.json").exists(), "{stderr}");
    let load_records = std::fs::read_dir(out.join("evidence"))
        .unwrap()
        .filter(|e| {
            std::fs::read_to_string(e.as_ref().unwrap().path())
                .unwrap()
                .contains("load.api.latency")
        })
        .count();
    assert_eq!(
        load_records, 1,
        "the stopped load's evidence is kept: {stderr}"
    );
}
