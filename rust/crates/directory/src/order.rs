//! Sort orders (RFC 7644 §3.4.2.3; docs/semantics.md §Query): the rows' positions in the full order
//! of a sort spec, built the first time a scan with many matches sorts by it. Such a scan then only records
//! its matches ([`Matches`]), at the speed of its filter's kernels, and walks the order until it has its
//! page, instead of reading the sort key of every match (a scattered read each: most of a sorted scan's
//! time). Writes do not reorder it: the rows replaced or added since it was built are ranked apart and
//! merged in, until they are more than 1,024 and one in 64 of the rows, and it is dropped (the next sorted scan
//! with many matches builds it again).

use std::ops::Range;

use super::columns::Sorter;
use super::matches::Matches;
use super::pool::sort_on;

/// An order keeps at least this many changed rows aside before it is dropped (more on large stores:
/// [`Order::keeps_up`]).
const CHANGED_ROWS: usize = 1024;

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

    /// The first `limit` of the `rows` rows that `matches` holds, in `sorter`'s order: the unchanged rows
    /// from the walk, merged with the changed and added rows that match, ranked now.
    #[must_use]
    pub fn first(&self, sorter: &Sorter<'_>, matches: &Matches, rows: usize, limit: usize) -> Vec<u32> {
        let mut taken = Vec::with_capacity(limit.min(1 << 16));
        if limit > 0 {
            let unchanged = |pos: u32| {
                let pos = pos as usize;
                self.changed[pos / 64] >> (pos % 64) & 1 == 0
            };
            for &pos in &self.ranked {
                if matches.has(pos) && (self.changed_rows.is_empty() || unchanged(pos)) {
                    taken.push(pos);
                    if taken.len() == limit {
                        break;
                    }
                }
            }
        }
        #[allow(clippy::cast_possible_truncation)] // positions fit u32 (checked on insert)
        let added = self.ranked.len() as u32..rows as u32;
        let apart: Vec<u32> = self
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

    /// Heap bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.ranked.capacity() * 4 + self.changed.capacity() * 8 + self.changed_rows.capacity() * 4
    }
}
