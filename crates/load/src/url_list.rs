//! The `--urls FILE` list: several requests with weights, and the order they are sent in.
//!
//! `gonogo load --urls FILE` (HTTP/1.1) reads it with [`UrlList::read`]; the engine sends
//! request `k` to [`WeightedOrder::entry_of`]`(k)` with that entry's pre-serialised request
//! (open model: `k` is the arrival index; closed model: thread `i` of `T` sends
//! `k = i, i + T, ...`), and the summary, the `--json` document and the evidence carry figures
//! per entry (see [`crate::engine`] and [`crate::evidence`]).
//!
//! The file is small and line-based: `WEIGHT METHOD URL` per line, blank lines and lines
//! starting with `#` ignored, for example
//!
//! ```text
//! # 3 reads for every write
//! 3 GET  http://127.0.0.1:8080/items
//! 1 POST http://127.0.0.1:8080/items
//! ```
//!
//! Every URL must share the first one's scheme, host and port (the requests share one pool of
//! keep-alive connections). [`parse_url_list`] reads line by line with a cap on the line
//! length, so a huge or binary file is refused without being held in memory.
//! [`WeightedOrder`] turns the weights into a fixed, evenly interleaved cycle (nginx's smooth
//! weighted round robin), so request `k` of a run always goes to the same entry, whichever
//! thread sends it, and every cycle sends each entry exactly `weight` times.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::target::{Target, TargetError};

/// Longest accepted line, in bytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024;
/// Most entries in one file.
pub const MAX_ENTRIES: usize = 1_000;
/// Largest sum of the weights (the length of one [`WeightedOrder`] cycle).
pub const MAX_TOTAL_WEIGHT: u64 = 100_000;

/// One line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlEntry {
    pub weight: u32,
    /// Upper-case HTTP method (`GET`, `POST`, ...).
    pub method: String,
    pub target: Target,
    /// 1-based line number in the file.
    pub line: usize,
}

/// Why a `--urls` file was refused.
#[derive(Debug, thiserror::Error)]
pub enum UrlListError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: {reason}: `{text}` (expected `WEIGHT METHOD URL`, e.g. `3 GET http://127.0.0.1:8080/`)"
    )]
    Line {
        path: PathBuf,
        line: usize,
        text: String,
        reason: String,
    },
    #[error("{path}:{line}: {url}: {source}")]
    Url {
        path: PathBuf,
        line: usize,
        url: String,
        #[source]
        source: TargetError,
    },
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// Reads a `--urls` file from `reader`; `path` names it in errors.
pub fn parse_url_list(
    mut reader: impl BufRead,
    path: &Path,
) -> Result<Vec<UrlEntry>, UrlListError> {
    let mut entries: Vec<UrlEntry> = Vec::new();
    let mut total_weight = 0u64;
    let mut buffer = Vec::new();
    let mut line_number = 0usize;
    loop {
        buffer.clear();
        line_number += 1;
        let read = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|source| UrlListError::Io {
                path: path.to_owned(),
                source,
            })?;
        if read == 0 {
            break;
        }
        let line_error = |text: &str, reason: String| UrlListError::Line {
            path: path.to_owned(),
            line: line_number,
            text: shorten(text),
            reason,
        };
        if buffer.len() > MAX_LINE_BYTES {
            let text = String::from_utf8_lossy(&buffer[..80.min(buffer.len())]).into_owned();
            return Err(line_error(
                &text,
                format!("line longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        let text = std::str::from_utf8(&buffer).map_err(|_| {
            line_error(
                &String::from_utf8_lossy(&buffer),
                "not UTF-8 text".to_owned(),
            )
        })?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [weight, method, url] = fields[..] else {
            return Err(line_error(
                text,
                format!("{} fields instead of 3", fields.len()),
            ));
        };
        let weight: u32 = weight.parse().ok().filter(|w| *w >= 1).ok_or_else(|| {
            line_error(
                text,
                format!("weight `{weight}` is not a whole number >= 1"),
            )
        })?;
        if http::Method::from_bytes(method.as_bytes()).is_err()
            || !method.bytes().all(|b| b.is_ascii_uppercase())
        {
            return Err(line_error(
                text,
                format!("method `{method}` is not an upper-case HTTP method"),
            ));
        }
        let target = Target::parse(url).map_err(|source| UrlListError::Url {
            path: path.to_owned(),
            line: line_number,
            url: url.to_owned(),
            source,
        })?;
        if let Some(first) = entries.first() {
            let same_origin = first.target.scheme == target.scheme
                && first.target.host == target.host
                && first.target.port == target.port;
            if !same_origin {
                return Err(line_error(
                    text,
                    format!(
                        "not on the same scheme, host and port as line {} (`{}`); one run loads one origin",
                        first.line, first.target.url
                    ),
                ));
            }
        }
        total_weight += u64::from(weight);
        if total_weight > MAX_TOTAL_WEIGHT {
            return Err(line_error(
                text,
                format!("the weights add up to more than {MAX_TOTAL_WEIGHT}"),
            ));
        }
        if entries.len() == MAX_ENTRIES {
            return Err(UrlListError::File {
                path: path.to_owned(),
                reason: format!("more than {MAX_ENTRIES} entries"),
            });
        }
        entries.push(UrlEntry {
            weight,
            method: method.to_owned(),
            target,
            line: line_number,
        });
    }
    if entries.is_empty() {
        return Err(UrlListError::File {
            path: path.to_owned(),
            reason: "no `WEIGHT METHOD URL` line (only blank lines or comments)".to_owned(),
        });
    }
    Ok(entries)
}

/// Reads and parses the `--urls` file at `path`.
pub fn read_url_list(path: &Path) -> Result<Vec<UrlEntry>, UrlListError> {
    let file = std::fs::File::open(path).map_err(|source| UrlListError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_url_list(std::io::BufReader::new(file), path)
}

/// A `--urls` run's list: the file, its entries and the order requests go to them in.
#[derive(Debug, Clone)]
pub struct UrlList {
    /// The file as named on the command line.
    pub path: PathBuf,
    pub entries: Vec<UrlEntry>,
    pub order: WeightedOrder,
}

impl UrlList {
    /// Reads and parses the file at `path` (see [`parse_url_list`]) and orders its entries.
    pub fn read(path: &Path) -> Result<UrlList, UrlListError> {
        UrlList::from_entries(path, read_url_list(path)?)
    }

    /// Orders parsed entries; `path` names the file in errors.
    pub fn from_entries(path: &Path, entries: Vec<UrlEntry>) -> Result<UrlList, UrlListError> {
        let weights: Vec<u32> = entries.iter().map(|entry| entry.weight).collect();
        // The parser already refuses what `WeightedOrder::new` would.
        let order = WeightedOrder::new(&weights).ok_or_else(|| UrlListError::File {
            path: path.to_owned(),
            reason: format!(
                "needs 1 to {MAX_ENTRIES} entries, each of weight >= 1, adding up to at most {MAX_TOTAL_WEIGHT}"
            ),
        })?;
        Ok(UrlList {
            path: path.to_owned(),
            entries,
            order,
        })
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim_end();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The entry of every request of a run: one cycle of length `sum(weights)`, evenly interleaved.
#[derive(Debug, Clone)]
pub struct WeightedOrder {
    cycle: Vec<u32>,
}

impl WeightedOrder {
    /// `weights` must be non-empty, each at least 1, adding up to at most
    /// [`MAX_TOTAL_WEIGHT`] (as [`parse_url_list`] ensures); otherwise `None`.
    pub fn new(weights: &[u32]) -> Option<WeightedOrder> {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if weights.is_empty() || weights.contains(&0) || total > MAX_TOTAL_WEIGHT {
            return None;
        }
        // Smooth weighted round robin: every step, each entry gains its weight; the entry
        // with the most credit (the first on ties) is picked and pays the total back.
        let total = total as i64;
        let mut credit = vec![0i64; weights.len()];
        let mut cycle = Vec::with_capacity(total as usize);
        for _ in 0..total {
            let mut best = 0;
            for (index, weight) in weights.iter().enumerate() {
                credit[index] += i64::from(*weight);
                if credit[index] > credit[best] {
                    best = index;
                }
            }
            credit[best] -= total;
            cycle.push(best as u32);
        }
        Some(WeightedOrder { cycle })
    }

    /// The entry index of request `k` (0-based, in schedule order).
    pub fn entry_of(&self, k: u64) -> usize {
        self.cycle[(k % self.cycle.len() as u64) as usize] as usize
    }

    /// The length of one cycle (the sum of the weights).
    pub fn cycle_len(&self) -> usize {
        self.cycle.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<UrlEntry>, UrlListError> {
        parse_url_list(text.as_bytes(), Path::new("urls.txt"))
    }

    #[test]
    fn reads_weights_methods_and_urls_skipping_comments() {
        let entries = parse(
            "# reads and writes\n\n3 GET  http://127.0.0.1:8080/items\n\t1 POST http://127.0.0.1:8080/items?x=1  \n",
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (
                entries[0].weight,
                entries[0].method.as_str(),
                entries[0].line
            ),
            (3, "GET", 3)
        );
        assert_eq!(entries[0].target.path_and_query, "/items");
        assert_eq!(
            (
                entries[1].weight,
                entries[1].method.as_str(),
                entries[1].line
            ),
            (1, "POST", 4)
        );
        assert_eq!(entries[1].target.path_and_query, "/items?x=1");
    }

    #[test]
    fn bad_lines_name_the_file_line_and_input() {
        let cases = [
            ("GET http://127.0.0.1/\n", ":1:", "2 fields instead of 3"),
            ("0 GET http://127.0.0.1/\n", ":1:", "weight `0`"),
            ("x GET http://127.0.0.1/\n", ":1:", "weight `x`"),
            ("1 get http://127.0.0.1/\n", ":1:", "method `get`"),
            ("# c\n1 GET ftp://127.0.0.1/\n", ":2:", "ftp://127.0.0.1/"),
            (
                "1 GET http://127.0.0.1:1/\n1 GET http://127.0.0.1:2/\n",
                ":2:",
                "same scheme, host and port as line 1",
            ),
            (
                "# only a comment\n",
                "urls.txt",
                "no `WEIGHT METHOD URL` line",
            ),
            ("1 GET http://127.0.0.1/ extra\n", ":1:", "4 fields"),
        ];
        for (text, place, reason) in cases {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.starts_with("urls.txt"), "{message}");
            assert!(message.contains(place), "{text:?}: {message}");
            assert!(message.contains(reason), "{text:?}: {message}");
        }
    }

    #[test]
    fn long_lines_binary_input_and_heavy_weights_are_refused() {
        let long = format!("1 GET http://127.0.0.1/{}\n", "a".repeat(MAX_LINE_BYTES));
        assert!(
            parse(&long)
                .unwrap_err()
                .to_string()
                .contains("line longer")
        );
        let binary = parse_url_list(&b"1 GET \xff\xfe\n"[..], Path::new("urls.txt"));
        assert!(binary.unwrap_err().to_string().contains("not UTF-8"));
        let heavy = format!(
            "{} GET http://127.0.0.1/a\n1 GET http://127.0.0.1/b\n",
            MAX_TOTAL_WEIGHT
        );
        let message = parse(&heavy).unwrap_err().to_string();
        assert!(
            message.contains(":2:") && message.contains("add up"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let error = read_url_list(Path::new("/nonexistent/urls.txt")).unwrap_err();
        assert!(matches!(error, UrlListError::Io { .. }));
        assert!(error.to_string().contains("/nonexistent/urls.txt"));
    }

    #[test]
    fn every_cycle_sends_each_entry_its_weight_evenly_interleaved() {
        let order = WeightedOrder::new(&[3, 1]).unwrap();
        let first: Vec<usize> = (0..8).map(|k| order.entry_of(k)).collect();
        assert_eq!(first, [0, 0, 1, 0, 0, 0, 1, 0]);
        let weights = [5u32, 2, 7, 1];
        let order = WeightedOrder::new(&weights).unwrap();
        assert_eq!(order.cycle_len(), 15);
        let mut counts = [0u32; 4];
        for k in 0..order.cycle_len() as u64 * 3 {
            counts[order.entry_of(k)] += 1;
        }
        assert_eq!(counts, weights.map(|w| w * 3));
        // Evenly interleaved: the heaviest entry never runs more than twice in a row.
        let cycle: Vec<usize> = (0..15).map(|k| order.entry_of(k)).collect();
        assert!(
            !cycle.windows(3).any(|w| w.iter().all(|&e| e == 2)),
            "{cycle:?}"
        );
        assert!(WeightedOrder::new(&[]).is_none());
        assert!(WeightedOrder::new(&[1, 0]).is_none());
    }
}
