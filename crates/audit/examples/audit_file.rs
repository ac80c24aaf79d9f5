//! Prints the audit of a report: `cargo run -p gonogo-audit --example audit_file -- REPORT.md`
//! (the binary's `gonogo audit` does the same with evidence, formats and exit codes).

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: audit_file REPORT.md");
    let text = std::fs::read_to_string(&path).expect("readable report");
    let audit = gonogo_audit::audit(&text);
    if std::env::args().any(|a| a == "--claims") {
        for c in &audit.claims {
            println!(
                "{:>4} {:?} {:?} {}",
                c.line,
                c.kind,
                c.status,
                gonogo_audit::short(&c.quote)
            );
        }
    }
    print!("{}", gonogo_audit::render::terminal(&audit, &path));
}
