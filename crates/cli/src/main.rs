//! The `gonogo` binary: parses flags, wires engines to the core, picks renderers.
fn main() {}
