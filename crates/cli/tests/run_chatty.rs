//! `gonogo run` with a command that prints 1 GiB: gonogo's memory stays flat, its console
//! output short, and the full log is on disk. Its own test binary, so the children's peak RSS
//! is this run's alone.

#[test]
fn a_command_printing_a_gibibyte_keeps_gonogo_small() {
    const BYTES: u64 = 1 << 30;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!(
            "[[command]]\nname = \"chatty\"\nrun = \"yes 'a chatty test suite prints this line again and again' | head -c {BYTES}\"\ntimeout = \"5m\"\n\n[[gate]]\narea = \"delivery\"\nmetric = \"command.chatty.exit_code\"\nexpect = \"value == 0\"\n"
        ),
    )
    .unwrap();
    let output = gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), &["run"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = dir.path().join("gonogo-report/logs/chatty.log");
    assert_eq!(
        std::fs::metadata(&log).unwrap().len(),
        BYTES,
        "the full log is on disk"
    );
    // The largest child (gonogo itself, or sh, yes, head) peaked under 64 MiB.
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    let peak_kib = usage.max_rss();
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
    let console = output.stdout.len() + output.stderr.len();
    assert!(
        console < 16 * 1024,
        "{console} bytes on the console for 1 GiB of output"
    );
    eprintln!("peak RSS {peak_kib} KiB, {console} console bytes");
}
