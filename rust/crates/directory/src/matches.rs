//! The matches of a scan as a bitmap over row positions, filled block by block by the scan's threads (each
//! block's 64-bit words stored whole; blocks start on a multiple of 64) and read by what follows the scan:
//! the page of an unsorted search, the walk of a sort order ([`super::order`]).

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct Matches {
    words: Vec<AtomicU64>,
}

impl Matches {
    /// No matches among `rows` rows, in the words of `spare` (an earlier scan's bitmap) when given: a bitmap
    /// of a large store is a large allocation, slow to get from a fragmented heap, and quick to clear.
    #[must_use]
    pub fn reuse(spare: Option<Matches>, rows: usize) -> Matches {
        let mut words = spare.map(|m| m.words).unwrap_or_default();
        words.clear();
        words.resize_with(rows.div_ceil(64), || AtomicU64::new(0));
        Matches { words }
    }

    /// A bitmap of `rows` rows for a scan that stores every one of its words ([`Matches::set_block`] on
    /// every block): the words of `spare` as they are, not cleared (clearing a large store's bitmap cost a
    /// scan that reads it at the memory's bandwidth a few percent).
    #[must_use]
    pub fn overwritten(spare: Option<Matches>, rows: usize) -> Matches {
        let mut words = spare.map(|m| m.words).unwrap_or_default();
        words.resize_with(rows.div_ceil(64), || AtomicU64::new(0));
        Matches { words }
    }

    /// Record the matches of the block at `start` (a multiple of 64): bit `j % 64` of `bits[j / 64]` is
    /// row `start + j`. Blocks of different threads never share a word.
    pub fn set_block(&self, start: usize, bits: &[u64]) {
        debug_assert_eq!(start % 64, 0);
        for (word, &b) in self.words.iter().skip(start / 64).zip(bits) {
            word.store(b, Ordering::Relaxed);
        }
    }

    /// Heap bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Record one matching row (the scan on trees, row by row).
    pub fn set(&self, pos: usize) {
        if let Some(word) = self.words.get(pos / 64) {
            word.fetch_or(1 << (pos % 64), Ordering::Relaxed);
        }
    }

    /// Does row `pos` match?
    #[inline]
    #[must_use]
    pub fn has(&self, pos: u32) -> bool {
        let pos = pos as usize;
        self.words
            .get(pos / 64)
            .is_some_and(|w| w.load(Ordering::Relaxed) >> (pos % 64) & 1 == 1)
    }

    /// The matching positions, in row order.
    pub fn positions(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, word)| {
            let mut bits = word.load(Ordering::Relaxed);
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    #[allow(clippy::cast_possible_truncation)] // positions fit u32 (checked on insert)
                    let pos = (w * 64 + bits.trailing_zeros() as usize) as u32;
                    bits &= bits - 1;
                    pos
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Matches;

    #[test]
    fn a_reused_bitmap_starts_empty_at_its_new_size() {
        for (before, rows) in [(0, 100), (300, 100), (100, 300)] {
            // an earlier scan's bitmap, every word full
            let earlier = Matches::reuse(None, before);
            earlier.set_block(0, &vec![u64::MAX; before.div_ceil(64)]);
            assert_eq!(earlier.positions().count(), before.div_ceil(64) * 64);
            let reused = Matches::reuse(Some(earlier), rows);
            assert_eq!(reused.positions().count(), 0, "{before} -> {rows} rows");
            assert_eq!(reused.words.len(), rows.div_ceil(64));
            reused.set(rows - 1);
            assert_eq!(
                reused.positions().collect::<Vec<_>>(),
                [u32::try_from(rows - 1).unwrap()]
            );
        }
    }

    #[test]
    fn an_overwritten_bitmap_holds_only_the_blocks_stored() {
        let earlier = Matches::reuse(None, 300);
        earlier.set_block(0, &[u64::MAX; 5]);
        let reused = Matches::overwritten(Some(earlier), 200);
        assert_eq!(reused.words.len(), 4);
        reused.set_block(0, &[0b101, 0, 0, 1 << 7]);
        assert_eq!(reused.positions().collect::<Vec<_>>(), [0, 2, 199]);
    }
}
