//! Reading inputs: hashing while streaming, and turning an error's position into a line,
//! a column and an excerpt.
//!
//! [`HashingReader`] wraps the file so the SHA-256 of its bytes is computed in the same single
//! pass the parser makes; [`HashingReader::finish`] drains what the parser did not read (a
//! parser may stop early) so the hash is always of the whole file. The hashing itself runs on a
//! second thread, fed the reader's own 1 MiB blocks through a bounded channel (at most
//! [`HASH_QUEUE`] in flight, so memory stays bounded): SHA-256 costs about as much CPU as
//! parsing, and on two cores the two halves overlap.
//!
//! [`open_regular`] opens an input only when it is a regular file: a FIFO, a socket or a device
//! (`/dev/zero`, `/dev/urandom`) is refused before it is opened (opening a FIFO would wait for a
//! writer; reading a device may never end), with a message naming what it is.
//!
//! [`locate`] is only called on failure: it re-reads the input from the start up to the
//! error's byte offset, counting lines, and keeps at most [`EXCERPT_CHARS`] characters of the
//! line around the error.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use gonogo_core::evidence::Sha256Stream;

use crate::error::Position;

/// The longest excerpt an error shows.
pub const EXCERPT_CHARS: usize = 80;

/// Bytes read (and handed to the hashing thread) at a time.
const BLOCK: usize = 1 << 20;
/// Blocks queued for the hashing thread at most.
pub const HASH_QUEUE: usize = 4;

/// A buffered reader that hashes every byte it reads, on a second thread.
///
/// It reads the input in 1 MiB blocks and is itself the parser's [`BufRead`]: a block the
/// parser has consumed is *moved* to the hashing thread (no copy) and comes back through a
/// return channel to be refilled, so the steady state allocates nothing and at most
/// `HASH_QUEUE + 2` blocks exist.
pub struct HashingReader<R> {
    inner: R,
    /// Always [`BLOCK`] bytes long once allocated (zeroed once, never again); the first
    /// `filled` are data.
    block: Vec<u8>,
    filled: usize,
    position: usize,
    sender: Option<std::sync::mpsc::SyncSender<(Vec<u8>, usize)>>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
    hasher: Option<std::thread::JoinHandle<String>>,
    bytes_read: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> HashingReader<R> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(HASH_QUEUE);
        let (recycle, recycled) = std::sync::mpsc::sync_channel::<Vec<u8>>(HASH_QUEUE + 2);
        let hasher = std::thread::spawn(move || {
            let mut hash = Sha256Stream::new();
            for (block, filled) in receiver {
                hash.update(&block[..filled]);
                // The reader may be gone or have enough blocks; dropping one is fine.
                let _ = recycle.try_send(block);
            }
            hash.finish()
        });
        HashingReader {
            inner,
            block: Vec::new(),
            filled: 0,
            position: 0,
            sender: Some(sender),
            recycled,
            hasher: Some(hasher),
            bytes_read: 0,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Hands the current block to the hashing thread and reads the next one.
    fn next_block(&mut self) -> io::Result<()> {
        let mut next = self.recycled.try_recv().unwrap_or_else(|_| vec![0; BLOCK]);
        let n = loop {
            match self.inner.read(&mut next) {
                Ok(n) => break n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        };
        self.bytes_read += n as u64;
        let done = std::mem::replace(&mut self.block, next);
        let done_filled = std::mem::replace(&mut self.filled, n);
        self.position = 0;
        if done_filled > 0
            && let Some(sender) = &self.sender
        {
            // The receiver only goes away when the thread panicked; finish() reports that.
            let _ = sender.send((done, done_filled));
        }
        Ok(())
    }

    /// Reads the rest of the input and returns the SHA-256 of all of it and its length.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        loop {
            self.position = self.filled;
            self.next_block()?;
            if self.filled == 0 {
                break;
            }
        }
        self.sender = None;
        let hasher = self.hasher.take().expect("finish runs once");
        let hash = hasher
            .join()
            .map_err(|_| io::Error::other("the hashing thread panicked"))?;
        Ok((hash, self.bytes_read))
    }
}

impl<R: Read> BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.position >= self.filled {
            self.next_block()?;
        }
        Ok(&self.block[self.position..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.filled);
    }
}

/// `Read` for a reader whose own buffer is the source of truth: copy from `fill_buf`, then
/// consume what was copied.
fn read_buffered(reader: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(out.len());
    out[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl<R> Drop for HashingReader<R> {
    fn drop(&mut self) {
        // Closing the channel ends the thread; wait for it so none outlives its reader.
        self.sender = None;
        if let Some(hasher) = self.hasher.take() {
            let _ = hasher.join();
        }
    }
}

/// What a special file is, in words, or `None` for a regular file or a folder.
pub fn special_file_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else {
        None
    }
}

/// The error for a special file: what it is, and why it is not read.
pub fn special_file_error(kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {kind}, not a regular file: gonogo reads only regular files (a special file may never end)"
        ),
    )
}

/// Opens `path` for reading if it is a regular file; a special file is refused without being
/// opened (see the module docs). Checked again on the open file, in case it was swapped.
pub fn open_regular(path: &Path) -> io::Result<File> {
    if let Some(kind) = special_file_kind(std::fs::metadata(path)?.file_type()) {
        return Err(special_file_error(kind));
    }
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    if let Some(kind) = special_file_kind(metadata.file_type()) {
        return Err(special_file_error(kind));
    }
    if metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a folder, not a file",
        ));
    }
    Ok(file)
}

/// The character encoding of an input, from its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEncoding {
    /// UTF-8 (or ASCII): read as is. `bom` when it starts with the UTF-8 byte order mark.
    Utf8 { bom: bool },
    /// Another encoding `encoding_rs` decodes: a UTF-16 byte order mark, or an XML declaration
    /// such as `encoding="ISO-8859-1"`.
    Decode(&'static encoding_rs::Encoding),
    /// An XML declaration naming an encoding no decoder exists for (the label as written).
    Unsupported(String),
}

/// Recognises the encoding of `prefix`: a byte order mark first; then, for XML, UTF-16 without
/// a BOM (`<?` as 16-bit units) or the declaration's `encoding`. A declaration that is itself
/// readable as ASCII but names UTF-16 is wrong (UTF-16 would not be readable so) and is read
/// as UTF-8, as XML parsers do.
pub fn input_encoding(prefix: &[u8]) -> InputEncoding {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return InputEncoding::Utf8 { bom: true };
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(b"<\0?\0") {
        return InputEncoding::Decode(encoding_rs::UTF_16LE);
    }
    if prefix.starts_with(&[0xFE, 0xFF]) || prefix.starts_with(b"\0<\0?") {
        return InputEncoding::Decode(encoding_rs::UTF_16BE);
    }
    let utf8 = InputEncoding::Utf8 { bom: false };
    let start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let text = &prefix[start..];
    if !text.starts_with(b"<?xml") {
        return utf8;
    }
    let declaration = &text[..text.len().min(1024)];
    let Some(end) = declaration.windows(2).position(|w| w == b"?>") else {
        return utf8;
    };
    let declaration = &declaration[..end];
    let Some(at) = declaration.windows(8).position(|w| w == b"encoding") else {
        return utf8;
    };
    let rest = &declaration[at + 8..];
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"=") else {
        return utf8;
    };
    let rest = rest.trim_ascii_start();
    let Some(&quote) = rest.first().filter(|q| **q == b'"' || **q == b'\'') else {
        return utf8;
    };
    let Some(close) = rest[1..].iter().position(|&b| b == quote) else {
        return utf8;
    };
    let label = &rest[1..1 + close];
    match encoding_rs::Encoding::for_label(label) {
        Some(encoding) if encoding == encoding_rs::UTF_8 => utf8,
        Some(encoding)
            if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE =>
        {
            utf8
        }
        Some(encoding) if encoding.is_ascii_compatible() => InputEncoding::Decode(encoding),
        _ => InputEncoding::Unsupported(String::from_utf8_lossy(label).into_owned()),
    }
}

/// Decodes `inner` from `encoding` into UTF-8 as it streams (a byte order mark is dropped);
/// the parsers then read UTF-8 whatever the file was written in.
pub struct Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    out: Vec<u8>,
    filled: usize,
    position: usize,
    finished: bool,
}

impl<R: BufRead> Transcoder<R> {
    pub fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Transcoder<R> {
        Transcoder {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            out: vec![0; 64 * 1024],
            filled: 0,
            position: 0,
            finished: false,
        }
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.position >= self.filled && !self.finished {
            let source = self.inner.fill_buf()?;
            let last = source.is_empty();
            let (_, read, written, _) = self.decoder.decode_to_utf8(source, &mut self.out, last);
            self.inner.consume(read);
            self.filled = written;
            self.position = 0;
            self.finished = last;
        }
        Ok(&self.out[self.position..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.filled);
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

/// A resolved position: 1-based line and column (in characters), the byte offset when it
/// was known, and the text around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: u64,
    pub column: u64,
    pub byte_offset: Option<u64>,
    pub excerpt: String,
}

/// Finds `position` in `input` (read from its start).
pub fn locate(input: impl Read, position: Position) -> io::Result<Located> {
    let mut reader = BufReader::new(input);
    let mut line_number = 1u64;
    let mut offset = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        // Lines can be huge (JaCoCo writes one line); read at most a bounded window per line.
        let n = read_line_bounded(&mut reader, &mut line, 1 << 20)?;
        let line_start = offset;
        offset += n.total as u64;
        let found = match position {
            Position::Offset(target) => target < offset || n.total == 0,
            Position::LineColumn { line: wanted, .. } => wanted <= line_number || n.total == 0,
        };
        if found {
            let (column_byte, byte_offset) = match position {
                Position::Offset(target) => {
                    let column = target.saturating_sub(line_start) as usize;
                    (column, Some(target))
                }
                Position::LineColumn { column, .. } => (column.saturating_sub(1) as usize, None),
            };
            let kept = &line[..line.len().min(n.kept)];
            let column_byte = column_byte.min(kept.len());
            let before = String::from_utf8_lossy(&kept[..column_byte]);
            let column = before.chars().count() as u64 + 1;
            let excerpt = excerpt_around(kept, column_byte);
            let column = match position {
                Position::LineColumn { column, .. } => column,
                Position::Offset(_) => column,
            };
            return Ok(Located {
                line: line_number,
                column,
                byte_offset,
                excerpt,
            });
        }
        line_number += 1;
    }
}

struct LineRead {
    total: usize,
    kept: usize,
}

/// Reads one line (through `\n`), keeping at most `limit` bytes of it in `out`.
fn read_line_bounded(
    reader: &mut impl BufRead,
    out: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        total += used;
        reader.consume(used);
        if done {
            break;
        }
    }
    let kept = out.len();
    Ok(LineRead { total, kept })
}

/// At most [`EXCERPT_CHARS`] characters of `line` around byte `at`, made inert
/// ([`gonogo_core::text::inert`]): control characters, terminal escapes and workflow commands
/// are shown escaped (`\x1b`), visible and harmless, as everywhere else gonogo prints
/// untrusted text; nothing is dropped.
fn excerpt_around(line: &[u8], at: usize) -> String {
    let start = at.saturating_sub(EXCERPT_CHARS / 2);
    let end = (start + EXCERPT_CHARS).min(line.len());
    let text = String::from_utf8_lossy(&line[start.min(end)..end]);
    // The line's own end is not part of the excerpt.
    let text = text.trim_end_matches(['\n', '\r']);
    let mut excerpt = gonogo_core::text::inert(text).into_owned();
    let trimmed = excerpt.trim_end().len();
    excerpt.truncate(trimmed);
    if start > 0 {
        excerpt.insert(0, '…');
    }
    if end < line.len() && line[end..].iter().any(|b| !b.is_ascii_whitespace()) {
        excerpt.push('…');
    }
    excerpt
}

/// Lenient number parsing shared by the parsers: trims, accepts thousands separators and a
/// decimal comma (see [`parse_lenient_f64`]).
pub fn parse_lenient_u64(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Ok(v) = text.parse::<u64>() {
        return Some(v);
    }
    let value = parse_lenient_f64(text)?;
    (value >= 0.0 && value.is_finite()).then_some(value as u64)
}

/// Parses a number written by any of the producers: `0.004`, `2,120.532` (Surefire 3.1's
/// thousands separator), `2.120,532` and `0,5` (a decimal comma), `1e-3`, with surrounding
/// spaces. `None` for anything else (never an error: callers treat it as missing).
pub fn parse_lenient_f64(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(value) = text.parse::<f64>() {
        return value.is_finite().then_some(value);
    }
    let last_comma = text.rfind(',');
    let last_dot = text.rfind('.');
    let normalised: String = match (last_comma, last_dot) {
        // Both: the later one is the decimal separator.
        (Some(c), Some(d)) if d > c => text.chars().filter(|&ch| ch != ',').collect(),
        (Some(_), Some(_)) => text
            .chars()
            .filter(|&ch| ch != '.')
            .map(|ch| if ch == ',' { '.' } else { ch })
            .collect(),
        (Some(c), None) => {
            let integer = &text[..c];
            let fraction = &text[c + 1..];
            let grouped = fraction.len() == 3
                && text.matches(',').count() >= 1
                && integer
                    .trim_start_matches('-')
                    .trim_start_matches('0')
                    .replace(',', "")
                    .chars()
                    .all(|ch| ch.is_ascii_digit())
                && !integer
                    .trim_start_matches('-')
                    .trim_start_matches('0')
                    .is_empty();
            if grouped {
                text.chars().filter(|&ch| ch != ',').collect()
            } else if text.matches(',').count() == 1 {
                text.replace(',', ".")
            } else {
                return None;
            }
        }
        _ => return None,
    };
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_numbers() {
        assert_eq!(parse_lenient_f64("0.004"), Some(0.004));
        assert_eq!(parse_lenient_f64(" 2,120.532 "), Some(2120.532));
        assert_eq!(parse_lenient_f64("1,234,567.5"), Some(1234567.5));
        assert_eq!(parse_lenient_f64("2.120,532"), Some(2120.532));
        assert_eq!(parse_lenient_f64("0,5"), Some(0.5));
        assert_eq!(parse_lenient_f64("0,004"), Some(0.004));
        assert_eq!(parse_lenient_f64("1,234"), Some(1234.0));
        assert_eq!(
            parse_lenient_f64("2.5816619999999997"),
            Some(2.5816619999999997)
        );
        assert_eq!(parse_lenient_f64(""), None);
        assert_eq!(parse_lenient_f64("abc"), None);
        assert_eq!(parse_lenient_f64("NaN"), None);
        assert_eq!(parse_lenient_f64("inf"), None);
    }

    #[test]
    fn locate_offset_and_line_column() {
        let text = b"first line\n<second attr=\"x\" broken\nthird";
        let at = locate(&text[..], Position::Offset(19)).unwrap();
        assert_eq!((at.line, at.column), (2, 9));
        assert!(at.excerpt.contains("<second attr"), "{at:?}");
        let at = locate(&text[..], Position::LineColumn { line: 3, column: 2 }).unwrap();
        assert_eq!((at.line, at.column, at.excerpt.as_str()), (3, 2, "third"));
        // Past the end: the last line.
        let at = locate(&text[..], Position::Offset(10_000)).unwrap();
        assert_eq!(at.line, 4);
    }

    #[test]
    fn hashing_reader_hashes_the_whole_input_even_if_not_all_read() {
        let data = b"hello world".repeat(10_000);
        let mut reader = HashingReader::new(&data[..]);
        let mut first = [0u8; 5];
        reader.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"hello");
        let (hash, length) = reader.finish().unwrap();
        assert_eq!(hash, gonogo_core::evidence::sha256_hex(&data));
        assert_eq!(length, data.len() as u64);
        // Several blocks, read to the end through BufRead.
        let big: Vec<u8> = (0..3 * BLOCK + 17).map(|i| (i % 251) as u8).collect();
        let mut reader = HashingReader::new(&big[..]);
        let mut copy = Vec::new();
        reader.read_to_end(&mut copy).unwrap();
        assert_eq!(copy, big);
        let (hash, length) = reader.finish().unwrap();
        assert_eq!(hash, gonogo_core::evidence::sha256_hex(&big));
        assert_eq!(length, big.len() as u64);
        // Empty input.
        let (hash, length) = HashingReader::new(&b""[..]).finish().unwrap();
        assert_eq!((hash, length), (gonogo_core::evidence::sha256_hex(b""), 0));
    }
}
