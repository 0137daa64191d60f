//! Huge pages for the large scan lanes and text arenas: a scan streams its word lanes, cells and tails from
//! start to end, and with 4 KiB pages it takes a TLB miss every 4 KiB and the hardware prefetcher stops at
//! every page boundary; the text of matches is read far apart. Linux backs memory with 2 MiB pages when
//! asked (`madvise(MADV_HUGEPAGE)`, honoured when `/sys/kernel/mm/transparent_hugepage/enabled` is `always`
//! or `madvise`, the usual default); the request takes effect for pages not yet touched, so a large lane is
//! advised when it is allocated, before it is written. The allocator mostly hands out memory it had
//! before (glibc reuses its heap for allocations up to 32 MiB): those pages are touched already, and were
//! left small (16 MiB of the 1.66 GB a directory of 1,000,000 users holds, read in `/proc/self/smaps`), so
//! the range is also collapsed into huge pages at once (`MADV_COLLAPSE`, Linux 6.1 and later: 440 MiB;
//! the value path's two-thread scan 3.18-3.19 ms against 3.42-3.92 ms without, alternating runs).
//! Elsewhere, or when the kernel declines, the lane stays as it is. The workspace's second exception to its `unsafe_code` rule (after `simd.rs`).
#![allow(unsafe_code)]

/// Lanes of at least this many bytes are advised (smaller ones are read from the caches or soon done).
const HUGE_FROM: usize = 4 << 20;

/// The huge page size on x86-64 and most aarch64 kernels; an interior aligned to it is what is advised.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// An empty lane with room for `capacity` values, its 2 MiB-aligned interior advised for huge pages when
/// it is large and the platform is Linux (before any of it is written, so that the kernel backs it with
/// huge pages as it is filled).
#[must_use]
pub fn lane<T>(capacity: usize) -> Vec<T> {
    let mut lane: Vec<T> = Vec::with_capacity(capacity);
    let bytes = capacity.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_FROM {
        advise(lane.as_mut_ptr().cast(), bytes);
    }
    lane
}

/// An empty text arena with room for `capacity` bytes, advised as [`lane`] is.
#[must_use]
pub fn text(capacity: usize) -> String {
    // an empty buffer is valid UTF-8: the default (without the room) is never taken
    String::from_utf8(lane(capacity)).unwrap_or_default()
}

/// Ask for huge pages over the 2 MiB-aligned part of `bytes` bytes at `start` (a fresh allocation).
#[cfg(target_os = "linux")]
fn advise(start: *mut u8, bytes: usize) {
    let offset = start.align_offset(HUGE_PAGE);
    let Some(len) = bytes.checked_sub(offset).map(|rest| rest / HUGE_PAGE * HUGE_PAGE) else {
        return;
    };
    if len == 0 {
        return;
    }
    // SAFETY: `start + offset .. + len` lies within one allocation of at least `bytes` bytes, page aligned
    // (2 MiB); MADV_HUGEPAGE changes neither the mapping nor its contents, only how the kernel backs it,
    // and a refusal (an error return) leaves the memory as it was.
    unsafe {
        libc::madvise(start.add(offset).cast(), len, libc::MADV_HUGEPAGE);
        // memory the allocator hands out again was touched before, and the advice only applies to pages
        // not yet backed: collapse the range into huge pages now (Linux 6.1 and later; an older kernel
        // refuses, leaving the pages as they are)
        #[cfg(target_env = "gnu")]
        libc::madvise(start.add(offset).cast(), len, libc::MADV_COLLAPSE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_start: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::lane;

    /// Lanes below, at and past the advised size (one of them not a whole number of huge pages) hold what
    /// is written to them.
    #[test]
    fn an_advised_lane_holds_its_values() {
        for len in [0, 5, (4 << 20) / 8 - 1, (4 << 20) / 8, (9 << 20) / 8 + 3] {
            let values = (0..len as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut advised: Vec<u64> = lane(len);
            assert!(advised.capacity() >= len);
            advised.extend(values.clone());
            assert!(advised.iter().copied().eq(values), "{len}");
        }
    }

    /// Where the kernel backs advised memory with huge pages (`always` or `madvise`), a filled 16 MiB lane
    /// holds some: the mappings it spans in `/proc/self/smaps` (madvise splits off the advised part) count
    /// `AnonHugePages`.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_advised_lane_gets_huge_pages_where_the_kernel_gives_them() {
        let setting = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
        let mut advised: Vec<u64> = lane(2 << 20);
        advised.extend(0..2 << 20);
        let start = advised.as_ptr() as usize;
        let spanned = start..start + std::mem::size_of_val(advised.as_slice());
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut inside = false;
        let mut huge_kb = 0;
        for line in smaps.lines() {
            let head = line.split(' ').next().unwrap_or_default();
            if let Some((from, to)) = head.split_once('-').filter(|_| !head.ends_with(':')) {
                let parse = |hex| usize::from_str_radix(hex, 16).expect("hex");
                inside = parse(from) < spanned.end && spanned.start < parse(to);
            } else if let Some(kb) = line.strip_prefix("AnonHugePages:").filter(|_| inside) {
                huge_kb += kb.trim().trim_end_matches(" kB").parse::<usize>().expect("kB");
            }
        }
        if setting.contains("[always]") || setting.contains("[madvise]") {
            assert!(huge_kb >= 2048, "{huge_kb} kB of huge pages ({setting})");
        } else {
            assert_eq!(huge_kb, 0, "{setting}");
        }
    }
}
