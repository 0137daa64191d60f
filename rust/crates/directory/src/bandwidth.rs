//! The machine's memory read bandwidth, for the directory benchmark's "% of the DRAM limit" figure: the best
//! of a few passes summing a buffer far larger than the caches (on huge pages, as the scan lanes are), on
//! `threads` threads.

use std::hint::black_box;
use std::time::Instant;

use super::pages;

/// Bytes per second read by summing `bytes` bytes of 64-bit words on `threads` threads (best of `rounds`).
#[must_use]
pub fn read_bandwidth(bytes: usize, threads: usize, rounds: usize) -> f64 {
    // on huge pages where the scan lanes are (`pages`), so that the limit is what the hardware reaches
    let count = (bytes / 8).max(1);
    let mut words: Vec<u64> = pages::lane(count);
    words.extend(0..count as u64);
    let threads = threads.max(1);
    let chunk = words.len().div_ceil(threads);
    let mut best = f64::INFINITY;
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        std::thread::scope(|s| {
            for part in words.chunks(chunk) {
                s.spawn(move || {
                    // four independent sums, so that the adds are not the limit
                    let mut sums = [0u64; 4];
                    for quad in part.chunks_exact(4) {
                        for (sum, word) in sums.iter_mut().zip(quad) {
                            *sum = sum.wrapping_add(*word);
                        }
                    }
                    black_box(sums);
                });
            }
        });
        best = best.min(started.elapsed().as_secs_f64());
    }
    #[allow(clippy::cast_precision_loss)]
    let read = (words.len() * 8) as f64;
    read / best
}
