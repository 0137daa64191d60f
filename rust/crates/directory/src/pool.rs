//! The threads of parallel scans: one pool for the process, started by the first parallel scan, whose
//! threads wait for work between searches (a search wakes them instead of starting threads; starting two
//! threads cost a short scan more than the second thread gained). After a scan they keep polling for the
//! next one for [`LINGER`] before they sleep: waking a sleeping thread took a scan of 300,000 resources
//! (0.1–0.3 ms) a good part of its time, and searches come in bursts (a client paging, a provisioning sweep).
//! For the same reason the calling thread, its part of a scan done, polls for the helpers to finish theirs
//! (at most [`AWAIT_HELPERS`]) before it sleeps.

use std::cmp::Ordering;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// How long the pool's threads poll for the next scan after one ends (at most this much CPU time each).
const LINGER: Duration = Duration::from_micros(200);

/// How long the calling thread polls for the helpers to finish their part of a scan before it sleeps until
/// they do (a helper that has not started by then is late: its core is busy with another process).
const AWAIT_HELPERS: Duration = Duration::from_millis(1);

/// Counts the parallel scans started: a polling thread stops as soon as it changes.
static SCANS: AtomicU64 = AtomicU64::new(0);

/// The pool: one thread fewer than the machine's cores (the calling thread is the other); `None` when no
/// thread could be started (scans then run on the calling thread alone). A process forked after the pool
/// started has none of its threads: it starts its own (the parent's is left unused, never waited for).
fn pool() -> Option<&'static ThreadPool> {
    static POOL: Mutex<Option<(u32, &'static ThreadPool)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, threads)) = *pool {
        if owner == pid {
            return Some(threads);
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let built = ThreadPoolBuilder::new()
        .num_threads(cores.saturating_sub(1).max(1))
        .thread_name(|i| format!("scimcore-scan-{i}"))
        .build()
        .ok()?;
    let threads: &'static ThreadPool = Box::leak(Box::new(built));
    *pool = Some((pid, threads));
    Some(threads)
}

/// Run `work` on `threads` threads at once, the calling thread one of them, and return what each returned
/// (in no particular order). `work` shares its input (e.g. an atomic chunk counter) between the calls.
pub fn run_on<T: Send>(threads: usize, work: impl Fn() -> T + Sync) -> Vec<T> {
    let Some(pool) = pool().filter(|_| threads > 1) else {
        return vec![work()];
    };
    let scan = SCANS.fetch_add(1, AtomicOrdering::Relaxed) + 1;
    let results = Mutex::new(Vec::with_capacity(threads));
    let keep = |result: T| results.lock().unwrap_or_else(PoisonError::into_inner).push(result);
    let helped = AtomicUsize::new(0);
    pool.in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| {
                keep(work());
                helped.fetch_add(1, AtomicOrdering::Release);
            });
        }
        keep(work());
        // the helpers' ends polled for, not slept on as the scope's own wait does: a thread woken from sleep
        // runs late on a virtual machine (1,000,000 users, two alternating runs each: the five scans' two-thread
        // speedups 1.68-1.92x polling, 0.93-2.03x sleeping)
        let until = Instant::now() + AWAIT_HELPERS;
        while helped.load(AtomicOrdering::Acquire) + 1 < threads && Instant::now() < until {
            std::hint::spin_loop();
        }
    });
    for _ in 1..threads {
        pool.spawn(move || linger(scan));
    }
    results.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// Poll until `ready` holds (the scan's other threads are each a short chunk from it), yielding the core
/// after a while (a thread that holds the last chunk may have lost its core to another process).
pub fn wait_until(ready: impl Fn() -> bool) {
    let mut polls = 0u32;
    while !ready() {
        if polls < 4096 {
            polls += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// Poll until another scan starts or [`LINGER`] has passed since scan number `scan` ended.
fn linger(scan: u64) {
    let until = Instant::now() + LINGER;
    while SCANS.load(AtomicOrdering::Relaxed) == scan && Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Sort `items` by `cmp` on up to `threads` threads (the calling thread one of them): each sorts a part of
/// at least [`SORT_PART`] items, then the parts are merged, two by two.
pub fn sort_on<T: Send + Copy>(threads: usize, items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    let len = items.len();
    let threads = threads.min(len / SORT_PART).max(1);
    if threads == 1 {
        items.sort_unstable_by(cmp);
        return;
    }
    let width = len.div_ceil(threads);
    let parts = Mutex::new(items.chunks_mut(width).collect::<Vec<_>>());
    let next = || parts.lock().unwrap_or_else(PoisonError::into_inner).pop();
    run_on(threads, || {
        while let Some(part) = next() {
            part.sort_unstable_by(&cmp);
        }
    });
    let mut sorted = std::mem::take(items);
    let mut merged = Vec::with_capacity(len);
    let mut width = width;
    while width < len {
        merged.clear();
        for start in (0..len).step_by(2 * width) {
            let (mid, end) = ((start + width).min(len), (start + 2 * width).min(len));
            merge(&sorted[start..mid], &sorted[mid..end], &mut merged, &cmp);
        }
        std::mem::swap(&mut sorted, &mut merged);
        width *= 2;
    }
    *items = sorted;
}

/// Parts smaller than this are not sorted on a thread of their own.
const SORT_PART: usize = 1 << 16;

/// Append to `out` the sorted `left` and `right` merged (`left`'s first among equals).
fn merge<T: Copy>(left: &[T], right: &[T], out: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if cmp(&right[j], &left[i]) == Ordering::Less {
            out.push(right[j]);
            j += 1;
        } else {
            out.push(left[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
}

#[cfg(test)]
mod tests {
    use super::{run_on, sort_on};
    use std::panic;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::thread;
    use std::time::{Duration, Instant};

    /// Is the current thread one of the pool's?
    fn on_helper() -> bool {
        thread::current()
            .name()
            .is_some_and(|n| n.starts_with("scimcore-scan-"))
    }

    #[test]
    fn a_helper_runs_the_work_beside_the_calling_thread() {
        let arrived = AtomicUsize::new(0);
        let results = run_on(2, || {
            arrived.fetch_add(1, Ordering::SeqCst);
            // both threads inside `work` at once (a pool that ran the parts one after the other fails)
            let until = Instant::now() + Duration::from_secs(5);
            while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < until {
                std::hint::spin_loop();
            }
            (arrived.load(Ordering::SeqCst), on_helper())
        });
        let mut on_helpers: Vec<bool> = results.iter().map(|r| r.1).collect();
        on_helpers.sort_unstable();
        assert_eq!(results.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 2]);
        assert_eq!(on_helpers, [false, true]);
    }

    #[test]
    fn every_chunk_is_taken_once_by_concurrent_scans() {
        let scans: Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(|| {
                    for _ in 0..200 {
                        let next = AtomicUsize::new(0);
                        let sums = run_on(2, || {
                            let mut sum = 0;
                            loop {
                                let chunk = next.fetch_add(1, Ordering::Relaxed);
                                if chunk >= 100 {
                                    return sum;
                                }
                                sum += chunk;
                            }
                        });
                        assert_eq!(sums.len(), 2);
                        assert_eq!(sums.iter().sum::<usize>(), 99 * 100 / 2);
                    }
                })
            })
            .collect();
        for scan in scans {
            scan.join().expect("a scan failed");
        }
    }

    #[test]
    fn a_panic_on_a_helper_is_raised_on_the_calling_thread() {
        let outcome = panic::catch_unwind(|| {
            run_on(2, || {
                assert!(!on_helper(), "a helper's work failed");
            })
        });
        assert!(outcome.is_err());
        // the pool serves the next scan
        assert_eq!(run_on(2, || 1), [1, 1]);
    }

    #[test]
    fn a_panic_on_the_calling_thread_waits_for_the_helper() {
        let helper_done = AtomicBool::new(false);
        let outcome = panic::catch_unwind(|| {
            run_on(2, || {
                if on_helper() {
                    thread::sleep(Duration::from_millis(20));
                    helper_done.store(true, Ordering::SeqCst);
                } else {
                    panic!("the calling thread's work failed");
                }
            })
        });
        assert!(outcome.is_err());
        // the scan's borrowed state outlived the helper's use of it
        assert!(helper_done.load(Ordering::SeqCst));
    }

    #[test]
    fn sort_on_threads_agrees_with_one_sort() {
        // a xorshift sequence with many repeats: parts sorted on three threads, then merged
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let items: Vec<(u64, u32)> = (0..200_003)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 1000, i)
            })
            .collect();
        let mut expected = items.clone();
        expected.sort_by_key(|item| item.0);
        for threads in [1, 2, 3] {
            let mut sorted = items.clone();
            sort_on(threads, &mut sorted, |a, b| a.0.cmp(&b.0));
            assert_eq!(
                sorted.iter().map(|x| x.0).collect::<Vec<_>>(),
                expected.iter().map(|x| x.0).collect::<Vec<_>>()
            );
            let mut positions: Vec<u32> = sorted.iter().map(|x| x.1).collect();
            positions.sort_unstable();
            assert!(
                positions.iter().enumerate().all(|(i, &p)| p as usize == i),
                "a permutation"
            );
        }
    }
}
