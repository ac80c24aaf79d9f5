//! A structure-aware mutator for the `policy` target: parse the input as a TOML table, make one
//! to three changes to its tree (delete, replace, insert, rename or copy a key; edit a string, a
//! number or an array; add a whole table made of the policy's own words) and print it back.
//!
//! Why: byte-level mutation rarely keeps a policy valid TOML, so `policy::resolve`, which runs
//! only on a valid document and branches on combinations of tables (a gate here, an
//! environment overlay there), grew by a few edges an hour over five campaigns
//! (fuzz/FINDINGS.md, twelfth session). Words come from the target's dictionary,
//! `fuzz/dicts/policy.dict`, which `fuzz/dicts/generate.py` makes from the policy schema and the
//! metric catalogue. An input that is not a TOML table, and a share of the others, still get
//! libFuzzer's own byte mutation, so the syntax errors and their spans stay covered.

use toml::{Table, Value};

/// The dictionary, read at build time; entries are `"..."` with `\xNN` escapes.
const DICT: &str = include_str!("../dicts/policy.dict");

/// At most this many nodes are walked in one input: inputs are bounded by libFuzzer's
/// `-max_len`, but a mutation must stay cheap beside one execution.
const MAX_NODES: usize = 4096;

/// A small deterministic generator (splitmix64): the same seed gives the same mutation, which
/// libFuzzer needs to replay a mutation sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u32) -> Self {
        Rng(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number below `n` (which must not be 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// The dictionary's words sorted by the place they take in a policy.
struct Words {
    /// Keys (`name = ` entries) and table names (`[load]`, `[[gate]]`, `[env.prod]` as paths).
    keys: Vec<String>,
    /// Table headers as paths, with whether they are arrays of tables.
    tables: Vec<(Vec<String>, bool)>,
    /// Quoted strings: metric names, durations, dates, enumerated values. (The expectation
    /// grammar's bare words are `expectation`'s own lists, put together into whole expectations.)
    strings: Vec<String>,
}

fn unescape(entry: &str) -> String {
    let mut bytes = Vec::with_capacity(entry.len());
    let raw = entry.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let hex = raw.get(i + 2..i + 4).and_then(|hex| std::str::from_utf8(hex).ok());
        if raw[i] == b'\\'
            && raw.get(i + 1) == Some(&b'x')
            && let Some(byte) = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            bytes.push(byte);
            i += 4;
            continue;
        }
        bytes.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn words() -> &'static Words {
    static WORDS: std::sync::OnceLock<Words> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words = Words {
            keys: Vec::new(),
            tables: Vec::new(),
            strings: Vec::new(),
        };
        for line in DICT.lines() {
            let Some(entry) = line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) else {
                continue;
            };
            let entry = unescape(entry);
            if let Some(key) = entry.strip_suffix(" = ") {
                words.keys.push(key.to_owned());
            } else if let Some(path) = entry.strip_prefix("[[").and_then(|e| e.strip_suffix("]]")) {
                words.tables.push((path.split('.').map(str::to_owned).collect(), true));
            } else if let Some(path) = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
                words.tables.push((path.split('.').map(str::to_owned).collect(), false));
            } else if entry.len() >= 2 && entry.starts_with('"') && entry.ends_with('"') {
                words.strings.push(entry[1..entry.len() - 1].to_owned());
            }
        }
        for (path, _) in &words.tables {
            words.keys.extend(path.iter().cloned());
        }
        words.keys.sort();
        words.keys.dedup();
        words
    })
}

/// One step of a path from the root: a key of a table or an index of an array.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node's path, in pre-order, up to `MAX_NODES`.
fn paths(table: &Table) -> Vec<Vec<Step>> {
    fn walk(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        if out.len() >= MAX_NODES {
            return;
        }
        out.push(path.clone());
        match value {
            Value::Table(table) => walk_table(table, path, out),
            Value::Array(array) => {
                for (index, item) in array.iter().enumerate() {
                    path.push(Step::Index(index));
                    walk(item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    fn walk_table(table: &Table, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        for (key, value) in table {
            path.push(Step::Key(key.clone()));
            walk(value, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk_table(table, &mut Vec::new(), &mut out);
    out
}

/// The node at `path` (toml's own `Value::get`, which answers None for a key of an array or an
/// index of a table).
fn node<'a>(root: &'a Table, path: &[Step]) -> Option<&'a Value> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    rest.iter().try_fold(root.get(first)?, |node, step| match step {
        Step::Key(key) => node.get(key.as_str()),
        Step::Index(index) => node.get(*index),
    })
}

fn node_mut<'a>(root: &'a mut Table, path: &[Step]) -> Option<&'a mut Value> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    rest.iter().try_fold(root.get_mut(first)?, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()),
        Step::Index(index) => node.get_mut(*index),
    })
}

/// The table at `path` (the root for an empty path).
fn table_mut<'a>(root: &'a mut Table, path: &[Step]) -> Option<&'a mut Table> {
    if path.is_empty() {
        return Some(root);
    }
    match node_mut(root, path)? {
        Value::Table(table) => Some(table),
        _ => None,
    }
}

/// The paths of every table, the root (empty path) first.
fn table_paths(root: &Table, all: &[Vec<Step>]) -> Vec<Vec<Step>> {
    let mut tables = vec![Vec::new()];
    tables.extend(
        all.iter()
            .filter(|p| matches!(node(root, p), Some(Value::Table(_))))
            .cloned(),
    );
    tables
}

fn remove(root: &mut Table, path: &[Step]) -> Option<Value> {
    match path.split_last()? {
        (Step::Key(key), parent) => table_mut(root, parent)?.remove(key),
        (Step::Index(index), parent) => match node_mut(root, parent)? {
            Value::Array(array) if *index < array.len() => Some(array.remove(*index)),
            _ => None,
        },
    }
}

/// Inserts `value` into a random table of `root` (the root among them) under the key it had
/// (`from`'s last step) when `keep_key`, else under a dictionary key.
fn graft(root: &mut Table, all: &[Vec<Step>], from: &[Step], value: Value, keep_key: bool, rng: &mut Rng) -> bool {
    let tables = table_paths(root, all);
    let into = rng.pick(&tables).clone();
    let key = match from.last() {
        Some(Step::Key(key)) if keep_key => key.clone(),
        _ => rng.pick(&words().keys).clone(),
    };
    table_mut(root, &into).map(|table| table.insert(key, value)).is_some()
}

/// An expectation in the policy's grammar (`p(95) < 500ms`, `rate >= 99.9%`, `value == 0`,
/// `+10%`), or a near miss of one.
fn expectation(rng: &mut Rng) -> String {
    const STATS: &[&str] = &[
        "p(95)", "p(99.9)", "p(50)", "p(100)", "p(0)", "rate", "value", "count", "max", "min", "avg", "mean", "med",
        "total", "p99", "p(", "",
    ];
    const OPS: &[&str] = &["<", "<=", ">", ">=", "==", "!=", "=", ""];
    const NUMBERS: &[&str] = &[
        "0",
        "1",
        "0.5",
        "99.9",
        "500",
        "1e3",
        "-1",
        "100",
        "1.5",
        "18446744073709551616",
        "NaN",
        "inf",
        "",
    ];
    const UNITS: &[&str] = &[
        "", "ms", "s", "%", "m", "h", "d", "us", "ns", "µs", "B", "KB", "KiB", "MB", "MiB", "GB", "GiB", "/s", "1m30s",
    ];
    match rng.below(6) {
        0 => format!("{}{}%", rng.pick(&["+", "-", ""]), rng.pick(NUMBERS)),
        1 => format!(
            "{} {} {}{} for {}",
            rng.pick(STATS),
            rng.pick(OPS),
            rng.pick(NUMBERS),
            rng.pick(UNITS),
            rng.pick(&["5m", "1h", "x"])
        ),
        _ => format!(
            "{} {} {}{}",
            rng.pick(STATS),
            rng.pick(OPS),
            rng.pick(NUMBERS),
            rng.pick(UNITS)
        ),
    }
}

/// A leaf value made of the policy's words, or a boundary number.
fn leaf(rng: &mut Rng) -> Value {
    let words = words();
    match rng.below(12) {
        0..=3 => Value::String(rng.pick(&words.strings).clone()),
        4 | 5 => Value::String(expectation(rng)),
        6 => Value::String(rng.pick(&words.keys).clone()),
        7 => Value::Integer(*rng.pick(&[0, 1, -1, 2, 3, 10, 100, 1000, 65535, 65536, 86_400, i64::MAX, i64::MIN])),
        8 => Value::Float(*rng.pick(&[0.0, 0.5, 1.0, 0.95, 99.9, 100.0, -1.0, 1e300, f64::NAN, f64::INFINITY])),
        9 => Value::Boolean(rng.chance(2)),
        10 => ["2026-12-31", "2026-12-07T12:00:00Z", "1979-05-27T07:32:00", "12:00:00"][rng.below(4)]
            .parse()
            .map(Value::Datetime)
            .unwrap_or(Value::Boolean(false)),
        _ => Value::Array(
            (0..rng.below(3) + 1)
                .map(|_| Value::String(rng.pick(&words.strings).clone()))
                .collect(),
        ),
    }
}

/// A table of one of the policy's sections, with a few of its plausible keys set.
fn section(rng: &mut Rng) -> Value {
    let words = words();
    let mut table = Table::new();
    for _ in 0..rng.below(5) + 1 {
        let key = match rng.below(4) {
            0 => "metric".to_owned(),
            1 => "expect".to_owned(),
            _ => rng.pick(&words.keys).clone(),
        };
        let value = match key.as_str() {
            "metric" => Value::String(rng.pick(&words.strings).clone()),
            "expect" => Value::String(expectation(rng)),
            _ => leaf(rng),
        };
        table.insert(key, value);
    }
    Value::Table(table)
}

/// Inserts `value` at the dictionary table `path` (`[[gate]]` appends to an array of tables),
/// making the tables on the way; gives up where a non-table is in the way.
fn insert_at(root: &mut Table, path: &[String], array: bool, value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut table = root;
    for name in parents {
        let next = table.entry(name.clone()).or_insert_with(|| Value::Table(Table::new()));
        let Value::Table(next) = next else { return };
        table = next;
    }
    if array {
        if let Value::Array(items) = table.entry(last.clone()).or_insert_with(|| Value::Array(Vec::new())) {
            items.push(value);
        }
    } else {
        table.insert(last.clone(), value);
    }
}

/// A random one of `all`'s paths whose step and node `wanted` takes; None when there is none.
fn pick_path(
    root: &Table,
    all: &[Vec<Step>],
    rng: &mut Rng,
    wanted: impl Fn(&[Step], &Value) -> bool,
) -> Option<Vec<Step>> {
    let matching: Vec<&Vec<Step>> = all
        .iter()
        .filter(|path| node(root, path).is_some_and(|value| wanted(path, value)))
        .collect();
    (!matching.is_empty()).then(|| rng.pick(&matching).to_vec())
}

/// One structural change to `root`; false when the chosen change did not apply.
fn mutate_tree(root: &mut Table, rng: &mut Rng) -> bool {
    let words = words();
    let all = paths(root);
    match rng.below(11) {
        // Delete a node.
        0 => {
            let Some(path) = pick_path(root, &all, rng, |_, _| true) else {
                return false;
            };
            remove(root, &path).is_some()
        }
        // Replace a node with a leaf, a section, or an empty table or array.
        1 => {
            let Some(path) = pick_path(root, &all, rng, |_, _| true) else {
                return false;
            };
            let value = match rng.below(6) {
                0 => section(rng),
                1 => Value::Table(Table::new()),
                2 => Value::Array(Vec::new()),
                _ => leaf(rng),
            };
            node_mut(root, &path).map(|node| *node = value).is_some()
        }
        // Set a key of some table to a leaf or a section.
        2 => {
            let tables = table_paths(root, &all);
            let path = rng.pick(&tables).clone();
            let key = rng.pick(&words.keys).clone();
            let value = if rng.chance(3) { section(rng) } else { leaf(rng) };
            table_mut(root, &path).map(|table| table.insert(key, value)).is_some()
        }
        // Add a whole section where the policy has one (`[[gate]]`, `[env.prod]`, `[load.x]`).
        3 | 4 => {
            let (path, array) = rng.pick(&words.tables).clone();
            let value = section(rng);
            insert_at(root, &path, array, value);
            true
        }
        // Rename a key.
        5 => {
            let Some(path) = pick_path(root, &all, rng, |path, _| matches!(path.last(), Some(Step::Key(_)))) else {
                return false;
            };
            let Some(value) = remove(root, &path) else { return false };
            let key = rng.pick(&words.keys).clone();
            let parent = &path[..path.len() - 1];
            table_mut(root, parent).map(|table| table.insert(key, value)).is_some()
        }
        // Copy a subtree into another table (say a gate into an environment's overlay).
        6 => {
            let Some(from) = pick_path(root, &all, rng, |_, _| true) else {
                return false;
            };
            let Some(value) = node(root, &from).cloned() else {
                return false;
            };
            let keep_key = rng.chance(2);
            graft(root, &all, &from, value, keep_key, rng)
        }
        // Edit a string with libFuzzer's byte mutator (the dictionary included).
        7 => {
            let Some(path) = pick_path(root, &all, rng, |_, value| matches!(value, Value::String(_))) else {
                return false;
            };
            let Some(Value::String(text)) = node_mut(root, &path) else {
                return false;
            };
            let mut bytes = std::mem::take(text).into_bytes();
            let len = bytes.len();
            bytes.resize(len + 64, 0);
            let new_len = libfuzzer_sys::fuzzer_mutate(&mut bytes, len, len + 64);
            bytes.truncate(new_len);
            *text = String::from_utf8_lossy(&bytes).into_owned();
            true
        }
        // Grow, shrink or reorder an array.
        8 => {
            let Some(path) = pick_path(root, &all, rng, |_, value| matches!(value, Value::Array(_))) else {
                return false;
            };
            let fresh = leaf(rng);
            let Some(Value::Array(items)) = node_mut(root, &path) else {
                return false;
            };
            match (rng.below(3), items.len()) {
                (0, n) if n > 0 => {
                    let copy = items[rng.below(n)].clone();
                    items.push(copy);
                }
                (1, n) if n > 1 => items.swap(rng.below(n), rng.below(n)),
                _ => items.push(fresh),
            }
            true
        }
        // Nudge a number to its neighbours or a boundary.
        9 => {
            let Some(path) = pick_path(root, &all, rng, |_, value| {
                matches!(value, Value::Integer(_) | Value::Float(_))
            }) else {
                return false;
            };
            let step = rng.below(4);
            match node_mut(root, &path) {
                Some(Value::Integer(n)) => *n = [n.wrapping_add(1), n.wrapping_sub(1), n.wrapping_neg(), 0][step],
                Some(Value::Float(x)) => *x = [*x + 1.0, *x - 1.0, -*x, *x / 10.0][step],
                _ => return false,
            }
            true
        }
        // Replace a string with an expectation.
        _ => {
            let Some(path) = pick_path(root, &all, rng, |_, value| matches!(value, Value::String(_))) else {
                return false;
            };
            let value = Value::String(expectation(rng));
            node_mut(root, &path).map(|node| *node = value).is_some()
        }
    }
}

/// Writes `text` into `data` when it fits; its length, or None.
fn emit(text: &str, data: &mut [u8], max_size: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    (bytes.len() <= max_size && bytes.len() <= data.len()).then(|| {
        data[..bytes.len()].copy_from_slice(bytes);
        bytes.len()
    })
}

/// The custom mutator: one to three structural changes to a TOML input, else (for a text that
/// is not a TOML table, one time in four, or when the result does not fit) libFuzzer's own.
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    let mut rng = Rng::new(seed);
    if !rng.chance(4) {
        let parsed = std::str::from_utf8(&data[..size])
            .ok()
            .and_then(|text| text.parse::<Table>().ok());
        if let Some(mut root) = parsed {
            let mut changed = false;
            for _ in 0..rng.below(3) + 1 {
                changed |= mutate_tree(&mut root, &mut rng);
            }
            if changed && let Some(len) = toml::to_string(&root).ok().and_then(|text| emit(&text, data, max_size)) {
                return len;
            }
        }
    }
    libfuzzer_sys::fuzzer_mutate(data, size, max_size)
}

/// The custom cross-over: graft a node of the second input into the first, at the same path
/// when it can (a gate list into a gate list) or into a random table; a byte splice when either
/// is not a TOML table.
pub fn crossover(data1: &[u8], data2: &[u8], out: &mut [u8], seed: u32) -> usize {
    let mut rng = Rng::new(seed);
    let parse = |data: &[u8]| {
        std::str::from_utf8(data)
            .ok()
            .and_then(|text| text.parse::<Table>().ok())
    };
    if let (Some(mut first), Some(second)) = (parse(data1), parse(data2)) {
        let donors = paths(&second);
        if !donors.is_empty() {
            let from = rng.pick(&donors).clone();
            if let Some(value) = node(&second, &from).cloned() {
                let keys: Option<Vec<String>> = from
                    .iter()
                    .map(|step| match step {
                        Step::Key(key) => Some(key.clone()),
                        Step::Index(_) => None,
                    })
                    .collect();
                match keys {
                    Some(keys) if rng.chance(2) => insert_at(&mut first, &keys, false, value),
                    _ => {
                        let all = paths(&first);
                        graft(&mut first, &all, &from, value, true, &mut rng);
                    }
                }
                let max = out.len();
                if let Some(len) = toml::to_string(&first).ok().and_then(|text| emit(&text, out, max)) {
                    return len;
                }
            }
        }
    }
    // Byte splice: a prefix of the first, then a suffix of the second.
    let cut1 = rng.below(data1.len() + 1);
    let cut2 = rng.below(data2.len() + 1);
    let mut len = 0;
    for &byte in data1[..cut1].iter().chain(&data2[cut2..]) {
        if len == out.len() {
            break;
        }
        out[len] = byte;
        len += 1;
    }
    len
}
