//! The threads of parallel scans: one pool for the process, started by the first parallel scan, whose
//! threads wait for work between searches (a search wakes them instead of starting threads; starting two
//! threads cost a short scan more than the second thread gained).

use std::num::NonZeroUsize;
use std::sync::{Mutex, OnceLock, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The pool: one thread fewer than the machine's cores (the calling thread is the other); `None` when no
/// thread could be started (scans then run on the calling thread alone).
fn pool() -> Option<&'static ThreadPool> {
    static POOL: OnceLock<Option<ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        ThreadPoolBuilder::new()
            .num_threads(cores.saturating_sub(1).max(1))
            .thread_name(|i| format!("scimcore-scan-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Run `work` on `threads` threads at once, the calling thread one of them, and return what each returned
/// (in no particular order). `work` shares its input (e.g. an atomic chunk counter) between the calls.
pub fn run_on<T: Send>(threads: usize, work: impl Fn() -> T + Sync) -> Vec<T> {
    let Some(pool) = pool().filter(|_| threads > 1) else {
        return vec![work()];
    };
    let results = Mutex::new(Vec::with_capacity(threads));
    let keep = |result: T| results.lock().unwrap_or_else(PoisonError::into_inner).push(result);
    pool.in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| keep(work()));
        }
        keep(work());
    });
    results.into_inner().unwrap_or_else(PoisonError::into_inner)
}
