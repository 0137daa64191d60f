//! Sort orders (RFC 7644 §3.4.2.3; docs/semantics.md §Query): the rows' positions in the full order
//! of a sort spec, built the first time a scan with many matches sorts by it. Such a scan then only records
//! its matches ([`Matches`]), at the speed of its filter's kernels, and walks the order until it has its
//! page, instead of reading the sort key of every match (a scattered read each: most of a sorted scan's
//! time). Writes do not reorder it: the rows replaced or added since it was built are ranked apart and
//! merged in, until they are more than 1,024 and one in 64 of the rows, and it is dropped (the next sorted scan
//! with many matches builds it again).

use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::columns::Sorter;
use super::matches::Matches;
use super::pool::sort_on;

/// An order keeps at least this many changed rows aside before it is dropped (more on large stores:
/// [`Order::keeps_up`]).
const CHANGED_ROWS: usize = 1024;

/// The entries of an order a thread walks at a time ([`Walk`]): about 2 µs of walking.
const SEGMENT: usize = 2048;

#[derive(Debug)]
pub struct Order {
    /// The positions `0..ranked.len()` (the rows when it was built), in the sort's full order.
    ranked: Vec<u32>,
    /// Bit per position of `ranked`: replaced since the build (also in `changed_rows`).
    changed: Vec<u64>,
    changed_rows: Vec<u32>,
}

impl Order {
    /// The order of the rows `0..rows` by `sorter` (deleted rows included: they never match), sorted on up
    /// to `threads` threads.
    #[must_use]
    pub fn build(sorter: &Sorter<'_>, rows: usize, threads: usize) -> Order {
        #[allow(clippy::cast_possible_truncation)] // positions fit u32 (checked on insert)
        let mut ranked: Vec<_> = (0..rows as u32).map(|pos| (sorter.full_rank(pos), pos)).collect();
        sort_on(threads, &mut ranked, |a, b| sorter.order(a, b));
        Order {
            ranked: ranked.into_iter().map(|(_, pos)| pos).collect(),
            changed: vec![0; rows.div_ceil(64)],
            changed_rows: Vec::new(),
        }
    }

    /// Note that the rows `positions` were written (appended, replaced or deleted) and say whether the
    /// order is still worth keeping for `rows` rows: the rows ranked apart at every scan, at most
    /// 1,024 or one in 64 (the larger).
    pub fn note_written(&mut self, positions: Range<usize>, rows: usize) -> bool {
        for pos in positions.start..positions.end.min(self.ranked.len()) {
            let (word, bit) = (pos / 64, 1 << (pos % 64));
            if self.changed[word] & bit == 0 {
                self.changed[word] |= bit;
                #[allow(clippy::cast_possible_truncation)] // positions fit u32 (checked on insert)
                self.changed_rows.push(pos as u32);
            }
        }
        self.keeps_up(rows)
    }

    fn keeps_up(&self, rows: usize) -> bool {
        let apart = self.changed_rows.len() + rows.saturating_sub(self.ranked.len());
        apart <= CHANGED_ROWS.max(rows / 64)
    }

    /// The first `limit` of the `rows` rows that `matches` holds, in `sorter`'s order, walked on the calling
    /// thread alone ([`Walk`]).
    #[must_use]
    pub fn first(&self, sorter: &Sorter<'_>, matches: &Matches, rows: usize, limit: usize) -> Vec<u32> {
        let walk = Walk::new(self, matches, 1, limit);
        walk.help(limit);
        walk.finish(sorter, rows, limit)
    }

    /// Append to `taken` the unchanged rows among the entries `entries` of the order that `matches` holds,
    /// in order, at most `limit`.
    fn matching(&self, entries: Range<usize>, matches: &Matches, limit: usize, taken: &mut Vec<u32>) {
        let unchanged = |pos: u32| {
            let pos = pos as usize;
            self.changed[pos / 64] >> (pos % 64) & 1 == 0
        };
        let mut found = 0;
        for &pos in &self.ranked[entries] {
            if matches.has(pos) && (self.changed_rows.is_empty() || unchanged(pos)) {
                taken.push(pos);
                found += 1;
                if found == limit {
                    break;
                }
            }
        }
    }

    /// Heap bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.ranked.capacity() * 4 + self.changed.capacity() * 8 + self.changed_rows.capacity() * 4
    }
}

/// A walk of an order for the first matches of a scan, which the scan's threads share once its bitmap is
/// whole (a long walk, of a filter whose matches come late in the order, was most of the part of a sorted
/// scan that ran on one thread): the order is handed out in segments of `SEGMENT` entries, in order, as the
/// threads ask for them, until the segments walked without a gap before them hold the page. Neither a lock
/// nor an allocation is shared while it runs: each thread writes its matches into a buffer of its own,
/// allocated beforehand by the calling thread (threads blocked on the allocator's lock were woken tens of
/// microseconds late on a virtual machine).
pub struct Walk<'a> {
    order: &'a Order,
    matches: &'a Matches,
    next: AtomicUsize,
    /// where each segment walked left its matches: (buffer, start in it, number)
    segments: Vec<OnceLock<(usize, usize, usize)>>,
    /// how far the segments are walked without a gap (high 32 bits) and the matches in those (low 32 bits)
    progress: AtomicU64,
    /// one buffer of matches per thread, handed out as they join
    buffers: Vec<Mutex<Vec<u32>>>,
    joined: AtomicUsize,
}

impl<'a> Walk<'a> {
    /// A walk of `order` for the rows that `matches` holds, not started, for up to `threads` threads after
    /// (about) `limit` matches each.
    #[must_use]
    pub fn new(order: &'a Order, matches: &'a Matches, threads: usize, limit: usize) -> Walk<'a> {
        let capacity = limit.saturating_mul(2).min(order.ranked.len());
        Walk {
            order,
            matches,
            next: AtomicUsize::new(0),
            segments: (0..order.ranked.len().div_ceil(SEGMENT))
                .map(|_| OnceLock::new())
                .collect(),
            progress: AtomicU64::new(0),
            buffers: (0..threads).map(|_| Mutex::new(Vec::with_capacity(capacity))).collect(),
            joined: AtomicUsize::new(0),
        }
    }

    /// Walk segments until the first `limit` matches are found or the order ends (up to `threads` threads
    /// at once, each walking the next segment not taken).
    pub fn help(&self, limit: usize) {
        let slot = self.joined.fetch_add(1, Ordering::Relaxed);
        let Some(buffer) = self.buffers.get(slot) else {
            return;
        };
        let mut buffer = buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = self.order.ranked.len();
        while limit > 0 && split(self.progress.load(Ordering::Acquire)).1 < limit {
            let segment = self.next.fetch_add(1, Ordering::Relaxed);
            let start = segment * SEGMENT;
            if start >= entries {
                break;
            }
            let before = buffer.len();
            self.order
                .matching(start..(start + SEGMENT).min(entries), self.matches, limit, &mut buffer);
            let _ = self.segments[segment].set((slot, before, buffer.len() - before));
            self.advance();
        }
    }

    /// Move the progress past the segments walked since.
    fn advance(&self) {
        let mut seen = self.progress.load(Ordering::Acquire);
        loop {
            let (mut complete, mut taken) = split(seen);
            while let Some((_, _, found)) = self.segments.get(complete).and_then(OnceLock::get) {
                complete += 1;
                taken += found;
            }
            #[allow(clippy::cast_possible_truncation)] // segments and rows fit u32 (positions do)
            let now = (complete as u64) << 32 | taken as u64;
            match self
                .progress
                .compare_exchange_weak(seen, now, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(current) => seen = current,
            }
        }
    }

    /// The first `limit` of the `rows` rows that the matches hold, in `sorter`'s order, once the walk is done
    /// ([`Walk::help`] returned on every thread that joined): the unchanged rows from the walk, merged with
    /// the changed and added rows that match, ranked now.
    #[must_use]
    pub fn finish(self, sorter: &Sorter<'_>, rows: usize, limit: usize) -> Vec<u32> {
        let (order, matches) = (self.order, self.matches);
        let buffers: Vec<Vec<u32>> = self
            .buffers
            .into_iter()
            .map(|b| b.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let mut taken = Vec::with_capacity(limit);
        for &(slot, start, found) in self.segments.iter().map_while(OnceLock::get) {
            if taken.len() >= limit {
                break;
            }
            taken.extend_from_slice(&buffers[slot][start..start + found]);
        }
        taken.truncate(limit);
        #[allow(clippy::cast_possible_truncation)] // positions fit u32 (checked on insert)
        let added = order.ranked.len() as u32..rows as u32;
        let apart: Vec<u32> = order
            .changed_rows
            .iter()
            .copied()
            .chain(added)
            .filter(|&pos| matches.has(pos))
            .collect();
        if apart.is_empty() {
            return taken;
        }
        let ranked = taken
            .into_iter()
            .chain(apart)
            .map(|pos| (sorter.full_rank(pos), pos))
            .collect();
        sorter.finish(ranked, Some(limit))
    }
}

/// (segments walked without a gap, their matches) of a [`Walk`]'s progress.
#[allow(clippy::cast_possible_truncation)] // two u32 halves
fn split(progress: u64) -> (usize, usize) {
    ((progress >> 32) as usize, (progress & u64::from(u32::MAX)) as usize)
}
