//! Compact equality indexes: a 32-bit hash of a key (computed by the store with a per-store random key, so
//! that keys cannot be chosen to collide) → the positions of the rows holding it. Keys themselves are not
//! kept: a lookup yields a superset (two keys may share a hash), which the store re-checks on the rows, so an
//! entry costs a hash-table slot of 9 bytes instead of an owned string and a vector.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a key that already is a keyed hash: spreads its bits over a word (the table reads the top ones).
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Marks a value of the map that is an index into `lists` (several rows share the hash).
const LIST: u32 = 1 << 31;

/// The largest row position an index can hold.
pub const MAX_POSITION: u32 = LIST - 1;

/// Hash → one position inline, or several in a list.
#[derive(Debug, Default)]
pub struct Postings {
    map: HashMap<u32, u32, BuildHasherDefault<Prehashed>>,
    lists: Vec<Vec<u32>>,
    /// Entries of `lists` no longer used (reused first).
    free: Vec<u32>,
}

impl Postings {
    /// The positions recorded under `key` (in no particular order).
    #[must_use]
    pub fn get(&self, key: u32) -> &[u32] {
        match self.map.get(&key) {
            None => &[],
            Some(v) if v & LIST == 0 => std::slice::from_ref(v),
            Some(v) => self.lists.get((v & !LIST) as usize).map_or(&[], Vec::as_slice),
        }
    }

    pub fn reserve(&mut self, additional: usize) {
        self.map.reserve(additional);
    }

    /// Record `pos` under `key` (once). `pos` is at most [`MAX_POSITION`].
    pub fn insert(&mut self, key: u32, pos: u32) {
        self.insert_unless(key, pos, |_| false);
    }

    /// [`Postings::insert`], unless a position already recorded under `key` `clashes` (the caller compares
    /// what the hash stands for): then nothing is recorded and that position is returned. One table lookup.
    pub fn insert_unless(&mut self, key: u32, pos: u32, mut clashes: impl FnMut(u32) -> bool) -> Option<u32> {
        debug_assert!(pos <= MAX_POSITION);
        let value = match self.map.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(pos);
                return None;
            }
            Entry::Occupied(entry) => entry.into_mut(),
        };
        if *value & LIST == 0 {
            if clashes(*value) {
                return Some(*value);
            }
            if *value == pos {
                return None;
            }
            let list = vec![*value, pos];
            let at = if let Some(at) = self.free.pop() {
                self.lists[at as usize] = list;
                at
            } else {
                self.lists.push(list);
                #[allow(clippy::cast_possible_truncation)] // fewer lists than positions
                let at = (self.lists.len() - 1) as u32;
                at
            };
            *value = LIST | at;
        } else if let Some(list) = self.lists.get_mut((*value & !LIST) as usize) {
            if let Some(&clash) = list.iter().find(|&&p| clashes(p)) {
                return Some(clash);
            }
            if !list.contains(&pos) {
                list.push(pos);
            }
        }
        None
    }

    /// Forget `pos` under `key`.
    pub fn remove(&mut self, key: u32, pos: u32) {
        let Some(value) = self.map.get_mut(&key) else {
            return;
        };
        if *value & LIST == 0 {
            if *value == pos {
                self.map.remove(&key);
            }
            return;
        }
        let at = *value & !LIST;
        let Some(list) = self.lists.get_mut(at as usize) else {
            return;
        };
        list.retain(|&p| p != pos);
        if let [only] = list[..] {
            *value = only;
            self.lists[at as usize] = Vec::new();
            self.free.push(at);
        }
    }

    /// Renumber every position: `new[old]` (after the store dropped deleted rows).
    pub fn renumber(&mut self, new: &[u32]) {
        for value in self.map.values_mut() {
            if *value & LIST == 0 {
                *value = new[*value as usize];
            }
        }
        for list in &mut self.lists {
            for pos in list.iter_mut() {
                *pos = new[*pos as usize];
            }
        }
    }

    /// Approximate heap bytes: the hash table (buckets of key, value and a control byte) and the lists.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(u32, u32)>() + 1;
        let buckets = if self.map.capacity() == 0 {
            0
        } else {
            (self.map.capacity() * 8 / 7 + 1).next_power_of_two()
        };
        buckets * entry
            + self.lists.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.lists.iter().map(|l| allocation(l.capacity() * 4)).sum::<usize>()
            + self.free.capacity() * 4
    }
}

/// The bytes the allocator takes for a request of `n` bytes (a 16-byte-aligned chunk with an 8-byte header,
/// at least 32: glibc's malloc), so that many small allocations are not under-counted.
#[must_use]
pub fn allocation(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).next_multiple_of(16).max(32)
    }
}

#[cfg(test)]
mod tests {
    use super::Postings;

    #[test]
    fn insert_remove_renumber() {
        let mut p = Postings::default();
        p.insert(7, 3);
        p.insert(7, 3);
        assert_eq!(p.get(7), &[3]);
        p.insert(7, 9);
        p.insert(7, 11);
        assert_eq!(p.get(7), &[3, 9, 11]);
        p.remove(7, 9);
        p.remove(7, 3);
        assert_eq!(p.get(7), &[11]);
        p.insert(8, 1);
        p.insert(8, 2); // reuses the freed list
        assert_eq!(p.lists.len(), 1);
        let mut new = vec![0; 12];
        new[11] = 4;
        new[1] = 0;
        new[2] = 1;
        p.renumber(&new);
        assert_eq!(p.get(7), &[4]);
        assert_eq!(p.get(8), &[0, 1]);
        p.remove(7, 4);
        assert!(p.get(7).is_empty() && p.get(99).is_empty());
    }

    #[test]
    fn insert_unless_a_clash() {
        let mut p = Postings::default();
        assert_eq!(p.insert_unless(5, 1, |_| true), None); // nothing recorded yet: no clash possible
        assert_eq!(p.insert_unless(5, 2, |q| q == 1), Some(1));
        assert_eq!(p.get(5), &[1]);
        assert_eq!(p.insert_unless(5, 2, |_| false), None);
        assert_eq!(p.insert_unless(5, 3, |q| q == 2), Some(2));
        assert_eq!(p.get(5), &[1, 2]);
        assert_eq!(p.insert_unless(5, 3, |_| false), None);
        assert_eq!(p.get(5), &[1, 2, 3]);
    }
}
