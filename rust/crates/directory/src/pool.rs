//! The threads of parallel scans: one pool for the process, started by the first parallel scan, whose
//! threads wait for work between searches (a search wakes them instead of starting threads; starting two
//! threads cost a short scan more than the second thread gained). After a scan they keep polling for the
//! next one for [`LINGER`] before they sleep: waking a sleeping thread took a scan of 300,000 resources
//! (0.1–0.3 ms) a good part of its time, and searches come in bursts (a client paging, a provisioning sweep).

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// How long the pool's threads poll for the next scan after one ends (at most this much CPU time each).
const LINGER: Duration = Duration::from_micros(200);

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
    let scan = SCANS.fetch_add(1, Ordering::Relaxed) + 1;
    let results = Mutex::new(Vec::with_capacity(threads));
    let keep = |result: T| results.lock().unwrap_or_else(PoisonError::into_inner).push(result);
    pool.in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| keep(work()));
        }
        keep(work());
    });
    for _ in 1..threads {
        pool.spawn(move || linger(scan));
    }
    results.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// Poll until another scan starts or [`LINGER`] has passed since scan number `scan` ended.
fn linger(scan: u64) {
    let until = Instant::now() + LINGER;
    while SCANS.load(Ordering::Relaxed) == scan && Instant::now() < until {
        std::hint::spin_loop();
    }
}
