//! The schema layout of one resource type, decided in Python (the schema registry) and handed over as
//! [`AttrSpec`]s:
//! which attributes exist (top-level "slots", each with its type, `caseExact`, `multiValued` and
//! sub-attributes), where they live (the resource object or an extension object keyed by its URN), which
//! slots have equality indexes and which are unique. Keys are matched exactly: resources use the schema's
//! canonical attribute names (docs/semantics.md §Evaluation).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use super::fold::folded;

use super::error::DirError;

/// A map from attribute names ([`NameHash`]: looked up for every key of every parsed document).
pub type Names<T> = HashMap<String, T, BuildHasherDefault<NameHash>>;

/// Hashes attribute names eight bytes at a time (a key of a document costs a few multiplications, not one a
/// byte). Unkeyed: the tables hold the layout's names only, so chosen keys can only miss them.
#[derive(Default)]
pub struct NameHash(u64);

impl NameHash {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for NameHash {
    fn finish(&self) -> u64 {
        // the table reads both the low bits (bucket) and the top ones (tag): spread the last word over both
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(Self::K) ^ (h >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            self.mix(u64::from_le_bytes(eight));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // the length tells "ab" from "ab\0"
            self.mix(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.mix(u64::from(byte) | 1 << 63);
    }
}

/// An attribute type (RFC 7643 §2.3), as far as scanning needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// string, reference and binary: compared as text.
    Text,
    DateTime,
    /// boolean, integer, decimal, complex: JSON types kept as they are.
    Other,
    /// Not an attribute: the pseudo-slot of a whole extension object.
    Extension,
}

#[derive(Clone, Debug)]
pub struct AttrLayout {
    pub name: String,
    pub kind: Kind,
    pub case_exact: bool,
    pub complex: bool,
    pub multi: bool,
    /// sub-attributes, in the order their indexes (`u16`) refer to.
    pub subs: Vec<AttrLayout>,
    pub sub_index: Names<u16>,
}

/// The attribute slots of one resource type.
#[derive(Clone, Debug)]
pub struct Layout {
    pub attrs: Vec<AttrLayout>,
    /// canonical name -> slot, for attributes held by the resource object itself.
    pub core: Names<u16>,
    /// extension URN -> (canonical name -> slot).
    pub extensions: Names<Names<u16>>,
    /// extension URN -> the pseudo-slot recording whether the extension object is present (`urn pr`).
    pub extension_objects: Names<u16>,
    /// slots with a case-insensitive equality index.
    pub indexed: Vec<u16>,
    /// slots whose values must be unique (compared as stored: folded unless caseExact).
    pub unique: Vec<u16>,
    /// every top-level key a resource may hold for the layout: what it is (one lookup per key of a document).
    pub top: Names<Top>,
    /// `true` for every slot: a mask for [`crate::value::parse`] (the whole tree).
    pub all_slots: Vec<bool>,
    /// `true` for the indexed (and unique) slots: what a write needs parsed.
    pub index_slots: Vec<bool>,
    /// Whether every indexed slot is an attribute of the resource object other than `meta`: then a write reads
    /// its index keys without building trees ([`crate::value::read_keys`]).
    pub direct_keys: bool,
    /// The key of the index hashes ([`Layout::hash`]): random per layout, so that values cannot be chosen to
    /// collide; clones share it, so that documents parsed for a store (before its lock is taken, on several
    /// threads) carry index keys the store can use.
    pub keys: RandomState,
}

/// What a top-level key of a resource object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Top {
    /// An attribute of the resource object itself.
    Core(u16),
    /// An extension object: its pseudo-slot (if any) and whether the layout lists attributes of it.
    Extension { object: Option<u16>, attributes: bool },
}

/// One attribute as the binding describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrSpec {
    /// The URN of the extension object holding it; `None` for the resource object itself.
    pub ext: Option<String>,
    pub name: String,
    /// The RFC 7643 §2.3 type name; `extension` (with an empty name) is the pseudo-slot of a whole
    /// extension object.
    pub type_name: String,
    pub case_exact: bool,
    pub multi: bool,
    pub subs: Vec<AttrSpec>,
}

impl Layout {
    /// The layout of `attrs` (slot `i` is `attrs[i]`), with the slots having an equality index and those whose
    /// values are unique (which are indexed too).
    ///
    /// # Errors
    /// A malformed layout (a bug in the binding, never user input): too many attributes, slots out of range.
    pub fn new(attrs: &[AttrSpec], indexed: &[u16], unique: &[u16]) -> Result<Self, DirError> {
        let mut layout = Layout {
            attrs: Vec::new(),
            core: Names::default(),
            extensions: Names::default(),
            extension_objects: Names::default(),
            indexed: Vec::new(),
            unique: Vec::new(),
            top: Names::default(),
            all_slots: Vec::new(),
            index_slots: Vec::new(),
            direct_keys: false,
            keys: RandomState::new(),
        };
        for (slot, spec) in attrs.iter().enumerate() {
            let slot = u16::try_from(slot).map_err(|_| bad("too many attributes"))?;
            let attr = attr_layout(spec)?;
            match &spec.ext {
                Some(urn) if attr.kind == Kind::Extension => {
                    layout.extension_objects.insert(urn.clone(), slot);
                }
                Some(urn) => {
                    layout
                        .extensions
                        .entry(urn.clone())
                        .or_default()
                        .insert(attr.name.clone(), slot);
                }
                None => {
                    layout.core.insert(attr.name.clone(), slot);
                }
            }
            layout.attrs.push(attr);
        }
        let count = layout.attrs.len();
        let check = |slots: &[u16]| {
            if slots.iter().all(|&s| (s as usize) < count) {
                Ok(slots.to_vec())
            } else {
                Err(bad("slot out of range"))
            }
        };
        layout.indexed = check(indexed)?;
        layout.unique = check(unique)?;
        for slot in &layout.unique {
            if !layout.indexed.contains(slot) {
                layout.indexed.push(*slot);
            }
        }
        let urns = layout.extensions.keys().chain(layout.extension_objects.keys());
        let extensions: Vec<(String, Top)> = urns
            .map(|urn| {
                let top = Top::Extension {
                    object: layout.extension_objects.get(urn).copied(),
                    attributes: layout.extensions.contains_key(urn),
                };
                (urn.clone(), top)
            })
            .collect();
        layout.top.extend(extensions);
        // an attribute of the resource object wins over an extension of the same name
        let core: Vec<(String, Top)> = layout.core.iter().map(|(k, &s)| (k.clone(), Top::Core(s))).collect();
        layout.top.extend(core);
        layout.all_slots = vec![true; count];
        layout.index_slots = layout.mask(layout.indexed.iter().copied());
        layout.direct_keys = layout.indexed.iter().all(|&slot| {
            let name = &layout.attrs[slot as usize].name;
            name != "meta" && layout.top.get(name) == Some(&Top::Core(slot))
        });
        Ok(layout)
    }
}

impl Layout {
    /// The 32-bit keyed hash of `text` (the key of the equality indexes and of the id map).
    #[must_use]
    pub fn hash(&self, text: &str) -> u32 {
        #[allow(clippy::cast_possible_truncation)] // the top half of the 64-bit hash
        let top = (self.keys.hash_one(text) >> 32) as u32;
        top
    }

    /// The equality-index key of a value in comparison form: the hash of its case folding.
    #[must_use]
    pub fn index_key(&self, value: &str) -> u32 {
        self.hash(&folded(value))
    }

    /// A slot mask for [`crate::value::parse`]: `true` for `slots`.
    #[must_use]
    pub fn mask(&self, slots: impl IntoIterator<Item = u16>) -> Vec<bool> {
        let mut mask = vec![false; self.attrs.len()];
        for slot in slots {
            if let Some(m) = mask.get_mut(slot as usize) {
                *m = true;
            }
        }
        mask
    }
}

fn bad(what: &str) -> DirError {
    DirError::Layout(format!("malformed layout: {what}"))
}

fn attr_layout(spec: &AttrSpec) -> Result<AttrLayout, DirError> {
    let kind = match spec.type_name.as_str() {
        "string" | "reference" | "binary" => Kind::Text,
        "dateTime" => Kind::DateTime,
        "extension" => Kind::Extension,
        _ => Kind::Other,
    };
    let mut subs = Vec::with_capacity(spec.subs.len());
    let mut sub_index = Names::default();
    for (i, sub) in spec.subs.iter().enumerate() {
        let parsed = attr_layout(sub)?;
        sub_index.insert(
            parsed.name.clone(),
            u16::try_from(i).map_err(|_| bad("too many sub-attributes"))?,
        );
        subs.push(parsed);
    }
    Ok(AttrLayout {
        name: spec.name.clone(),
        kind,
        case_exact: spec.case_exact,
        complex: spec.type_name == "complex",
        multi: spec.multi,
        subs,
        sub_index,
    })
}
