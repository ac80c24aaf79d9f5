//! The parser streams: parsing a generated exposition of ~14 MB never holds more than a small,
//! size-independent amount of heap. A counting global allocator (this test binary only)
//! measures the peak of live heap bytes while the input is produced lazily by a reader that
//! never exists in memory as a whole.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use gonogo_probe::exposition::Format;
use gonogo_probe::lint::lint;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(live, Ordering::SeqCst);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Produces `n_families` counter families of `per_family` series, line by line, on demand.
struct Generator {
    n_families: usize,
    per_family: usize,
    family: usize,
    series: usize,
    pending: Vec<u8>,
    offset: usize,
}

impl Read for Generator {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.offset == self.pending.len() {
            self.pending.clear();
            self.offset = 0;
            if self.family == self.n_families {
                return Ok(0);
            }
            let name = format!("app_{}_requests_total", self.family);
            if self.series == 0 {
                self.pending.extend_from_slice(
                    format!("# HELP {name} Requests.\n# TYPE {name} counter\n").as_bytes(),
                );
            }
            self.pending.extend_from_slice(
                format!(
                    "{name}{{method=\"GET\",code=\"200\",handler=\"/items/{}\"}} {}\n",
                    self.series, self.series
                )
                .as_bytes(),
            );
            self.series += 1;
            if self.series == self.per_family {
                self.series = 0;
                self.family += 1;
            }
        }
        let n = buffer.len().min(self.pending.len() - self.offset);
        buffer[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

fn peak_while_parsing(n_families: usize) -> (usize, u64) {
    let generator = Generator {
        n_families,
        per_family: 100,
        family: 0,
        series: 0,
        pending: Vec::new(),
        offset: 0,
    };
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let report = lint(
        std::io::BufReader::new(generator),
        Format::PrometheusText,
        &[],
    )
    .unwrap();
    (PEAK.load(Ordering::SeqCst) - before, report.summary.bytes)
}

#[test]
fn peak_heap_does_not_grow_with_the_input() {
    let (small_peak, small_bytes) = peak_while_parsing(200);
    let (large_peak, large_bytes) = peak_while_parsing(2000);
    eprintln!("peak heap {small_peak} B for {small_bytes} B; {large_peak} B for {large_bytes} B");
    assert!(large_bytes > 14_000_000, "{large_bytes} bytes parsed");
    assert_eq!(large_bytes / small_bytes, 10);
    // Ten times the input: the heap peak may grow with the set of family names (one short
    // string per family) but nowhere near with the input.
    assert!(
        large_peak < small_peak + 512 * 1024,
        "peak heap {small_peak} B for {small_bytes} B, {large_peak} B for {large_bytes} B"
    );
    assert!(large_peak < 2 * 1024 * 1024, "peak heap {large_peak} B");
}
