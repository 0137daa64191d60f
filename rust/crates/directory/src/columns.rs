//! The columnar scan representation: for each attribute path a search needs, one [`Column`] holding the
//! values of every resource side by side (strings in one text arena, dateTimes as instants, numbers and
//! booleans inline), so that a full scan walks a few contiguous arrays instead of one tree per resource.
//!
//! Columns are derived from the [`Node`] trees (already folded and converted) the first time a path is
//! searched, kept in a [`Cache`], and updated in place by writes: a new row is appended, a replaced row is
//! overwritten (its old text and cells become garbage; a column with more garbage than content is dropped
//! and rebuilt lazily), a deleted row becomes absent (the scan also checks that the row is live).
//!
//! - [`Source::Value`] (row space): the values a comparison on `slot`/`sub` reaches, flattened with the
//!   evaluator's any-value rules; one cell per row, several in `extra` for multi-valued paths.
//! - [`Elements`] of a complex attribute (row → range of element ids, only object elements) and
//!   [`Source::Element`] columns (element space): value paths evaluate within one element.
//! - [`Source::Sort`] (row space): the sort key of each row (absent when missing).
//!
//! A plan is bound to its columns and evaluated block by block ([`Bound::block`]); a row's rank on a sort key
//! column (a 64-bit order-preserving prefix of its key, then more of the key or the `id`) decides most
//! comparisons of the sort, full keys and ids only the ties ([`Sorter`]).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock, RwLock};

use super::layout::Layout;
use super::order::Order;
use super::pages;
use super::plan::{int_float_cmp, numeric_cmp, ordered, Literal, Op, Plan, Target};
use super::simd::wide;
use super::sort::SortSpec;
use super::store::Row;
use super::value::{slot_node, Node, Slots};

/// One value of a column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// No value (the attribute is missing, or the row is deleted).
    Absent,
    /// A value no literal equals (null, a list, an object); the flag is its `pr`.
    Other(bool),
    /// Text in comparison form: `text[start..start + len]`, its first [`HEAD`] bytes inline (zero-padded),
    /// so that most comparisons and sort ranks are decided without reading the text.
    Str {
        head: [u8; HEAD],
        start: u32,
        len: u32,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A dateTime instant (epoch microseconds).
    Time(i64),
    /// Several values: `extra[start..start + len]`.
    Many {
        start: u32,
        len: u32,
    },
}

/// What a column holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The values a filter reaches at `slot` (and `sub`), one entry per row.
    Value { slot: u16, sub: Option<u16> },
    /// The values of sub-attribute `sub` of each element of the complex attribute `slot` (element space).
    Element { slot: u16, sub: u16 },
    /// The sort key of each row (the spec with its direction cleared).
    Sort(SortSpec),
}

/// The values of one [`Source`], indexed by row (or element id).
#[derive(Debug, Default)]
pub struct Column {
    cells: Vec<Cell>,
    extra: Vec<Cell>,
    text: String,
    /// Bytes no longer referenced (overwritten cells and their text).
    garbage: usize,
    /// One word per cell for the block kernels, when no cell holds several values (see [`Lane`]).
    lane: Lane,
    words: Vec<u64>,
    /// For a `Lane::Text` column of at most [`FEW_WORDS`] distinct words (a `userType`, a `title`): the
    /// text every value with that word holds, `None` once two differ; `None` for other columns. Built by
    /// the first `eq` with a text longer than the word's head, kept by writes.
    word_texts: OnceLock<Option<WordTexts>>,
    /// The last 16 bytes of each value of a `Lane::Text` column ([`Column::tail_word`]), built by the first
    /// `ew` that can use them and kept by writes: an `ew` of up to 16 bytes is one masked comparison a value.
    tails: OnceLock<Tails>,
    /// For a sort key column with a `Lane::Text` lane: each value's [`Column::rest_word`] (the rank's part
    /// after the head), built by the first sorted scan ([`Columns::sort_column`]) and kept by writes, so
    /// that ranking the rows tied on the head reads no cell and no text.
    rests: OnceLock<Vec<u64>>,
}

/// See [`Column::word_texts`]: word → `(start, len)` of its one text in the arena, if it has one.
type WordTexts = HashMap<u64, Option<(u32, u32)>>;

/// The most distinct words a column keeps [`Column::word_texts`] for.
const FEW_WORDS: usize = 1024;

/// What [`Column::words`] holds: a compact copy of the cells that the block kernels read instead of the
/// 16-byte cells (half the bytes, no tag to branch on).
///
/// - `Text`: the inline head as a big-endian word with the length (capped at 255) in its low byte, so that
///   `eq`/`sw` with a literal of 1 to 7 bytes are one masked word comparison and longer literals are
///   filtered before their text is read; 0 for no value (absent, null, `""`), `0xFF` for any other value
///   (present, equal to no literal whose first byte is not 0).
/// - `Time`: the instant with its sign bit flipped (unsigned order = time order), 0 for a cell that is not
///   a dateTime (valid instants never map to 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Lane {
    #[default]
    None,
    Text,
    Time,
}

/// The `Lane::Text` word of a cell.
#[inline]
fn text_word(cell: Cell) -> u64 {
    match cell {
        #[allow(clippy::cast_possible_truncation)] // capped at 255 first
        Cell::Str { head, len, .. } => head_word(head) | u64::from(len.min(255) as u8),
        Cell::Absent | Cell::Other(false) => 0,
        _ => 0xFF,
    }
}

/// The `Lane::Time` word of a cell.
#[inline]
fn time_word(cell: Cell) -> u64 {
    match cell {
        #[allow(clippy::cast_sign_loss)] // the sign bit flipped: an order-preserving image
        Cell::Time(t) => (t as u64) ^ (1 << 63),
        _ => 0,
    }
}

const CELL: usize = std::mem::size_of::<Cell>();
const _: () = assert!(CELL == 16, "a cell stays 16 bytes");

/// Bytes of a text cell kept inline (what fits in a 16-byte cell beside the offset and the length).
pub const HEAD: usize = 7;

/// The inline head of a text as a word (zero-padded).
#[inline]
fn head_word(head: [u8; HEAD]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[..HEAD].copy_from_slice(&head);
    u64::from_be_bytes(bytes)
}

/// A text literal for `eq`/`sw`/`ew`: its bytes, and its first (up to [`HEAD`]) bytes as a masked word to
/// test a cell's inline head (or a `Lane::Text` word) with.
#[derive(Debug)]
pub struct Needle {
    text: Box<[u8]>,
    head: u64,
    mask: u64,
    /// Can a `Lane::Text` word judge it (1 to 254 bytes, the first not 0: absent and other values never
    /// match), and alone (at most [`HEAD`] bytes; longer ones are checked on the text when the word matches)?
    lane: bool,
    lane_alone: bool,
    /// Its bytes right-aligned in 128 bits and the mask of those bytes, when it has 1 to 16 bytes and no
    /// zero byte (so that neither an absent value's zero tail nor a shorter text's padding can match).
    tail: Option<(u128, u128)>,
}

impl Needle {
    fn new(text: &[u8]) -> Needle {
        let n = text.len().min(HEAD);
        let mut head = [0u8; HEAD];
        head[..n].copy_from_slice(&text[..n]);
        // the first n bytes of the big-endian word
        let mask = if n == 0 { 0 } else { u64::MAX << (64 - 8 * n) };
        let lane = (1..255).contains(&text.len()) && text[0] != 0;
        let tail = ((1..=16).contains(&text.len()) && !text.contains(&0)).then(|| {
            // the last `len` bytes (1 to 16)
            (be_tail(text), u128::MAX >> (128 - 8 * text.len()))
        });
        Needle {
            text: text.into(),
            head: head_word(head),
            mask,
            lane,
            lane_alone: lane && text.len() <= HEAD,
            tail,
        }
    }

    #[inline]
    fn head_matches(&self, head: [u8; HEAD]) -> bool {
        (head_word(head) ^ self.head) & self.mask == 0
    }

    /// Could the text of a `Lane::Text` word equal (`EXACT`) or start with the needle? Decides when
    /// `lane_alone`. Branch-free, on copies of the needle's fields (so that a loop keeps them in registers).
    #[inline]
    fn word_test<const EXACT: bool>(&self) -> impl Fn(u64) -> bool {
        let (head, mask, n) = (self.head, self.mask, self.text.len() as u64);
        move |word| {
            let len = word & 0xFF;
            ((word ^ head) & mask == 0) & if EXACT { len == n } else { len >= n }
        }
    }

    /// Is the cell text equal to the needle (`exact`) or does it start with it?
    #[inline]
    fn prefix_of(&self, column: &Column, cell: Cell, exact: bool) -> bool {
        let Cell::Str { head, start, len } = cell else {
            return false;
        };
        let n = self.text.len();
        let fits = if exact { len as usize == n } else { len as usize >= n };
        fits && self.head_matches(head) && (n <= HEAD || same(&column.bytes(start, len)[HEAD..], &self.text[HEAD..]))
    }

    /// Do the bytes of the cell text after its inline head equal the needle's (the head and the length
    /// already matched, on the word)?
    #[inline]
    fn tail_of(&self, column: &Column, cell: Cell) -> bool {
        let Cell::Str { start, len, .. } = cell else {
            return false;
        };
        column
            .bytes(start, len)
            .get(HEAD..)
            .is_some_and(|rest| same(rest, &self.text[HEAD..]))
    }

    #[inline]
    fn suffix_of(&self, column: &Column, cell: Cell) -> bool {
        matches!(cell, Cell::Str { start, len, .. } if len as usize >= self.text.len()
            && same_from_end(column.bytes(start, len), &self.text))
    }
}

impl Column {
    /// `test` on any value at `i`.
    #[inline]
    fn any(&self, i: usize, test: impl Fn(Cell) -> bool) -> bool {
        match self.cells.get(i) {
            Some(Cell::Many { start, len }) => self
                .extra
                .get(*start as usize..(*start as usize + *len as usize))
                .is_some_and(|cells| cells.iter().any(|c| test(*c))),
            Some(cell) => test(*cell),
            None => false,
        }
    }

    #[inline]
    fn bytes(&self, start: u32, len: u32) -> &[u8] {
        self.text
            .as_bytes()
            .get(start as usize..start as usize + len as usize)
            .unwrap_or_default()
    }

    fn str(&self, start: u32, len: u32) -> &str {
        self.text
            .get(start as usize..start as usize + len as usize)
            .unwrap_or_default()
    }

    /// Store the values `leaves` at `i` (`i` is at most the current length). `None` when the column would
    /// outgrow its 32-bit offsets.
    fn set(&mut self, i: usize, leaves: &[&Node]) -> Option<()> {
        if let Some(old) = self.cells.get(i).copied() {
            self.garbage += self.footprint(old);
        }
        let cell = match leaves {
            [] => Cell::Absent,
            [one] => self.cell(one)?,
            many => {
                let start = u32::try_from(self.extra.len()).ok()?;
                for leaf in many {
                    let cell = self.cell(leaf)?;
                    self.extra.push(cell);
                }
                Cell::Many {
                    start,
                    len: u32::try_from(many.len()).ok()?,
                }
            }
        };
        match self.cells.get_mut(i) {
            Some(slot) => *slot = cell,
            None => self.cells.push(cell),
        }
        self.set_word(i, cell);
        Some(())
    }

    /// Give the column its word lane (see [`Lane`]) once its cells are built: text if it holds text, else
    /// instants if it holds dateTimes; none if a cell holds several values.
    pub(crate) fn seal(&mut self) {
        let many = self.cells.iter().any(|c| matches!(c, Cell::Many { .. }));
        self.lane = if many {
            Lane::None
        } else if self.cells.iter().any(|c| matches!(c, Cell::Str { .. })) {
            Lane::Text
        } else if self.cells.iter().any(|c| matches!(c, Cell::Time(_))) {
            Lane::Time
        } else {
            Lane::None
        };
        let word: fn(Cell) -> u64 = match self.lane {
            Lane::None => {
                self.words = Vec::new();
                return;
            }
            Lane::Text => text_word,
            Lane::Time => time_word,
        };
        self.words = pages::lane(self.cells.len());
        self.words.extend(self.cells.iter().map(|&c| word(c)));
    }

    /// [`Column::word_texts`] from the cells.
    fn build_word_texts(&self) -> Option<WordTexts> {
        let mut texts = WordTexts::new();
        (self.lane == Lane::Text && self.cells.iter().all(|&cell| self.note_word_text(&mut texts, cell)))
            .then_some(texts)
    }

    /// Record a text cell in `texts` ([`Column::word_texts`]); `false` when that makes more than
    /// [`FEW_WORDS`] words.
    fn note_word_text(&self, texts: &mut WordTexts, cell: Cell) -> bool {
        let Cell::Str { start, len, .. } = cell else {
            return true;
        };
        if let Some(known) = texts.get_mut(&text_word(cell)) {
            if known.is_some_and(|(s, l)| self.bytes(s, l) != self.bytes(start, len)) {
                *known = None;
            }
            return true;
        }
        texts.insert(text_word(cell), Some((start, len)));
        texts.len() <= FEW_WORDS
    }

    /// The last 16 bytes of a cell's text, right-aligned, big-endian, zero-padded (0 for other cells).
    fn tail_word(&self, cell: Cell) -> u128 {
        match cell {
            Cell::Str { start, len, .. } => be_tail(self.bytes(start, len)),
            _ => 0,
        }
    }

    /// The part of a text's sort rank after its head: bits 0..63 its 8th to 15th bytes (zero-padded,
    /// big-endian, the top 63 bits), bit 63 set when those bytes hold the whole rest of the text (at most
    /// 13 bytes with no zero byte, which would read as padding); 0 for any other value.
    fn rest_word(&self, cell: Cell) -> u64 {
        let Cell::Str { start, len, .. } = cell else {
            return 0;
        };
        let text = self.bytes(start, len);
        let rest = be_word(text.get(HEAD..).unwrap_or_default()) >> 1;
        let whole = len <= 13 && !text.contains(&0);
        rest | u64::from(whole) << 63
    }

    /// Build [`Column::rests`] if they are not yet (only for a text lane).
    fn build_rests(&self) {
        if self.lane == Lane::Text {
            self.rests.get_or_init(|| {
                let mut rests = pages::lane(self.cells.len());
                rests.extend(self.cells.iter().map(|&c| self.rest_word(c)));
                rests
            });
        }
    }

    /// Can `ew needle` run on [`Column::tails`] (one value a row, a needle of 1 to 16 bytes)?
    fn ew_on_tails(&self, needle: &Needle) -> bool {
        self.lane == Lane::Text && needle.tail.is_some()
    }

    /// [`Column::tails`], built now if they are not yet.
    fn tails(&self) -> &Tails {
        self.tails.get_or_init(|| {
            let mut tails = Tails {
                low: pages::lane(self.cells.len()),
                high: pages::lane(self.cells.len()),
            };
            for &cell in &self.cells {
                tails.push(self.tail_word(cell));
            }
            tails
        })
    }

    /// Does the word of `needle` alone decide `eq needle` on this column: `Some(true)` when every value
    /// with that word is the needle's text, `Some(false)` when none can equal it (no value has the word, or
    /// the one text they share is another), `None` when only their texts can tell.
    fn word_decides(&self, needle: &Needle) -> Option<bool> {
        let texts = self.word_texts.get_or_init(|| self.build_word_texts()).as_ref()?;
        #[allow(clippy::cast_possible_truncation)] // capped at 255 first
        let word = needle.head | u64::from(needle.text.len().min(255) as u8);
        match texts.get(&word) {
            None => Some(false),
            Some(known) => known.map(|(start, len)| *self.bytes(start, len) == *needle.text),
        }
    }

    /// Keep the word lane in step with a cell written at `i` (a cell of several values drops it).
    fn set_word(&mut self, i: usize, cell: Cell) {
        let word = match (self.lane, cell) {
            (Lane::None, _) => return,
            (_, Cell::Many { .. }) => {
                self.lane = Lane::None;
                self.words = Vec::new();
                self.tails = OnceLock::new();
                self.rests = OnceLock::new();
                self.word_texts = OnceLock::new();
                return;
            }
            (Lane::Text, cell) => {
                if self.tails.get().is_some() {
                    let tail = self.tail_word(cell);
                    if let Some(tails) = self.tails.get_mut() {
                        tails.put(i, tail);
                    }
                }
                if self.rests.get().is_some() {
                    let rest = self.rest_word(cell);
                    if let Some(rests) = self.rests.get_mut() {
                        put(rests, i, rest);
                    }
                }
                if let Some(known) = self.word_texts.take() {
                    let kept = known.and_then(|mut texts| self.note_word_text(&mut texts, cell).then_some(texts));
                    self.word_texts = OnceLock::from(kept);
                }
                text_word(cell)
            }
            (Lane::Time, cell) => time_word(cell),
        };
        put(&mut self.words, i, word);
    }

    /// Append the values `leaves` as the next entry.
    fn push(&mut self, leaves: &[&Node]) -> Option<()> {
        self.set(self.cells.len(), leaves)
    }

    /// `parts` (built over consecutive ranges) as one column, its offsets shifted, with its word lane;
    /// `None` past 32 bits.
    fn concat(parts: Vec<Column>) -> Option<Column> {
        let mut all = Column {
            cells: pages::lane(parts.iter().map(|p| p.cells.len()).sum()),
            extra: pages::lane(parts.iter().map(|p| p.extra.len()).sum()),
            // read at the matches' offsets (long `eq`, `sw`, `co`; the sort's ties)
            text: pages::text(parts.iter().map(|p| p.text.len()).sum()),
            ..Column::default()
        };
        u32::try_from(all.text.capacity()).ok()?;
        u32::try_from(all.extra.capacity()).ok()?;
        for part in parts {
            #[allow(clippy::cast_possible_truncation)] // checked above
            let (text, extra) = (all.text.len() as u32, all.extra.len() as u32);
            let shift = |cell: Cell| match cell {
                Cell::Str { head, start, len } => Cell::Str {
                    head,
                    start: start + text,
                    len,
                },
                Cell::Many { start, len } => Cell::Many {
                    start: start + extra,
                    len,
                },
                other => other,
            };
            all.cells.extend(part.cells.into_iter().map(shift));
            all.extra.extend(part.extra.into_iter().map(shift));
            all.text.push_str(&part.text);
            all.garbage += part.garbage;
        }
        all.seal();
        Some(all)
    }

    fn cell(&mut self, node: &Node) -> Option<Cell> {
        Some(match node {
            Node::Str(s) => {
                let start = u32::try_from(self.text.len()).ok()?;
                let len = u32::try_from(s.len()).ok()?;
                u32::try_from(self.text.len() + s.len()).ok()?;
                self.text.push_str(s);
                let mut head = [0u8; HEAD];
                let n = s.len().min(HEAD);
                head[..n].copy_from_slice(&s.as_bytes()[..n]);
                Cell::Str { head, start, len }
            }
            Node::Int(i) => Cell::Int(*i),
            Node::Float(f) => Cell::Float(*f),
            Node::Bool(b) => Cell::Bool(*b),
            Node::DateTime(t) => Cell::Time(*t),
            other => Cell::Other(other.is_present()),
        })
    }

    fn footprint(&self, cell: Cell) -> usize {
        match cell {
            Cell::Str { len, .. } => len as usize,
            Cell::Many { start, len } => {
                let items = self
                    .extra
                    .get(start as usize..start as usize + len as usize)
                    .unwrap_or_default();
                items.iter().map(|c| CELL + self.footprint(*c)).sum()
            }
            _ => 0,
        }
    }

    /// Approximate heap bytes (cells, text and the word lane).
    pub(crate) fn heap_bytes(&self) -> usize {
        let word_texts = self
            .word_texts
            .get()
            .and_then(Option::as_ref)
            .map_or(0, |t| t.capacity() * 24);
        let tails = self
            .tails
            .get()
            .map_or(0, |t| (t.low.capacity() + t.high.capacity()) * 8);
        let rests = self.rests.get().map_or(0, |r| r.capacity() * 8);
        (self.cells.capacity() + self.extra.capacity()) * CELL
            + self.text.capacity()
            + self.words.capacity() * 8
            + word_texts
            + tails
            + rests
    }

    fn stale(&self) -> bool {
        self.garbage > 4096 && self.garbage > self.heap_bytes() / 2
    }

    /// Does the cell satisfy `op literal`? Values of another type never do.
    fn compare(&self, cell: Cell, op: Op, literal: &Literal) -> bool {
        match (cell, literal) {
            (Cell::Str { start, len, .. }, Literal::Str(lit)) => {
                let s = self.str(start, len);
                match op {
                    Op::Eq => s == &**lit,
                    Op::Co => s.contains(&**lit),
                    Op::Sw => s.starts_with(&**lit),
                    Op::Ew => s.ends_with(&**lit),
                    _ => ordered(s.cmp(lit), op),
                }
            }
            (Cell::Time(t), Literal::DateTime(lit)) => ordered(t.cmp(lit), op),
            (Cell::Bool(b), Literal::Bool(lit)) => op == Op::Eq && b == *lit,
            (Cell::Int(i), Literal::Int(_) | Literal::Float(..)) => {
                numeric_cmp(&Node::Int(i), literal).is_some_and(|ord| ordered(ord, op))
            }
            (Cell::Float(f), Literal::Int(_) | Literal::Float(..)) => {
                numeric_cmp(&Node::Float(f), literal).is_some_and(|ord| ordered(ord, op))
            }
            _ => false,
        }
    }
}

fn present(cell: Cell) -> bool {
    match cell {
        Cell::Absent => false,
        Cell::Other(p) => p,
        Cell::Str { len, .. } => len > 0,
        _ => true,
    }
}

/// The elements (JSON objects) of one complex attribute: row → range of element ids, element → owner.
#[derive(Debug, Default)]
pub struct Elements {
    ranges: Vec<(u32, u32)>,
    /// `(row, position in the attribute's list)`; the position is 0 for a single-valued attribute.
    owners: Vec<(u32, u32)>,
    garbage: usize,
}

impl Elements {
    /// Record the elements of `row` as new element ids; returns them as `(start, len)`.
    fn record(&mut self, row: u32, node: Option<&Node>, multi: bool) -> Option<(u32, u32)> {
        let start = self.owners.len();
        for (i, _) in element_items(node, multi) {
            self.owners.push((row, u32::try_from(i).ok()?));
        }
        Some((
            u32::try_from(start).ok()?,
            u32::try_from(self.owners.len() - start).ok()?,
        ))
    }

    /// Record the elements of row `pos` (at most the current length) as new element ids; returns them.
    fn set(&mut self, pos: usize, node: Option<&Node>, multi: bool) -> Option<Range<usize>> {
        let range = self.record(u32::try_from(pos).ok()?, node, multi)?;
        match self.ranges.get_mut(pos) {
            Some(old) => {
                self.garbage += old.1 as usize;
                *old = range;
            }
            None => self.ranges.push(range),
        }
        Some(range.0 as usize..range.0 as usize + range.1 as usize)
    }

    /// `parts` (built over consecutive row ranges) as one index.
    fn concat(parts: Vec<Elements>) -> Option<Elements> {
        let mut all = Elements {
            ranges: pages::lane(parts.iter().map(|p| p.ranges.len()).sum()),
            owners: pages::lane(parts.iter().map(|p| p.owners.len()).sum()),
            garbage: 0,
        };
        u32::try_from(all.owners.capacity()).ok()?;
        for part in parts {
            #[allow(clippy::cast_possible_truncation)] // checked above
            let shift = all.owners.len() as u32;
            all.ranges.extend(part.ranges.into_iter().map(|(s, l)| (s + shift, l)));
            all.owners.extend(part.owners);
        }
        Some(all)
    }

    fn range(&self, row: usize) -> Range<usize> {
        self.ranges
            .get(row)
            .map_or(0..0, |&(s, l)| s as usize..s as usize + l as usize)
    }

    fn heap_bytes(&self) -> usize {
        (self.ranges.capacity() + self.owners.capacity()) * 8
    }

    fn stale(&self) -> bool {
        self.garbage > 4096 && self.garbage > self.owners.len() / 2
    }
}

/// The elements of a complex attribute's value, with their positions in its list: the objects of a list
/// (multi-valued), or the value itself when it is an object (single-valued; position 0).
fn element_items(node: Option<&Node>, multi: bool) -> impl Iterator<Item = (usize, &Node)> {
    let items: &[Node] = match node {
        Some(Node::List(items)) if multi => items,
        Some(node @ Node::Object(_)) if !multi => std::slice::from_ref(node),
        _ => &[],
    };
    items.iter().enumerate().filter(|(_, n)| matches!(n, Node::Object(_)))
}

/// The element at list position `item` of a complex attribute's value (see [`element_items`]).
fn element_at(node: Option<&Node>, multi: bool, item: u32) -> Option<&Node> {
    match node {
        Some(Node::List(items)) if multi => items.get(item as usize),
        Some(node) if !multi => Some(node),
        _ => None,
    }
}

/// The columns and element indexes built so far.
#[derive(Debug, Default)]
pub struct Cache {
    columns: HashMap<Source, Arc<Column>>,
    elements: HashMap<u16, Arc<Elements>>,
    orders: HashMap<SortSpec, Arc<Order>>,
}

/// Rows whose trees a write parses at once to update the columns (bounds the transient trees of a batch).
const UPDATE_PART: usize = 4096;

impl Cache {
    /// Approximate heap bytes of every column and element index.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.columns.values().map(|c| c.heap_bytes()).sum::<usize>()
            + self.elements.values().map(|e| e.heap_bytes()).sum::<usize>()
            + self.orders.values().map(|o| o.heap_bytes()).sum::<usize>()
    }

    /// Bring every column up to date with rows `positions` (appended, replaced or deleted), parsing their
    /// JSON for the slots the columns read. Columns that cannot be updated or hold too much garbage are
    /// dropped (rebuilt on their next use), so are sort orders with too many rows ranked apart.
    pub fn update(&mut self, layout: &Layout, rows: &[Option<Row>], positions: Range<usize>) {
        self.orders.retain(|_, order| {
            Arc::get_mut(order).is_some_and(|order| order.note_written(positions.clone(), rows.len()))
        });
        if self.columns.is_empty() && self.elements.is_empty() {
            return;
        }
        let wanted = layout.mask(
            self.columns
                .keys()
                .map(Source::slot)
                .chain(self.elements.keys().copied()),
        );
        for first in positions.clone().step_by(UPDATE_PART) {
            let part = first..(first + UPDATE_PART).min(positions.end);
            let slots: Vec<Slots> = rows[part]
                .iter()
                .map(|row| row.as_ref().map(|r| r.slots(layout, &wanted)).unwrap_or_default())
                .collect();
            self.update_part(layout, first, &slots);
        }
    }

    /// [`Cache::update`] for the rows `first..first + slots.len()`, whose trees are `slots`.
    fn update_part(&mut self, layout: &Layout, first: usize, slots: &[Slots]) {
        let mut new_elements: HashMap<u16, Vec<Range<usize>>> = HashMap::new();
        self.elements.retain(|&slot, elements| {
            let Some(elements) = Arc::get_mut(elements) else {
                return false;
            };
            let multi = layout.attrs[slot as usize].multi;
            let mut added = Vec::new();
            for (k, row) in slots.iter().enumerate() {
                match elements.set(first + k, slot_node(row, slot), multi) {
                    Some(range) => added.push(range),
                    None => return false,
                }
            }
            new_elements.insert(slot, added);
            !elements.stale()
        });
        let elements = &self.elements;
        self.columns.retain(|source, column| {
            let Some(column) = Arc::get_mut(column) else {
                return false;
            };
            let kept = match source {
                Source::Element { slot, sub } => {
                    let (Some(ranges), Some(owners)) = (new_elements.get(slot), elements.get(slot)) else {
                        return false;
                    };
                    let multi = layout.attrs[*slot as usize].multi;
                    ranges.iter().flat_map(Clone::clone).all(|e| {
                        let Some(&(row, item)) = owners.owners.get(e) else {
                            return false;
                        };
                        let node = slots
                            .get((row as usize).wrapping_sub(first))
                            .and_then(|s| slot_node(s, *slot));
                        let mut leaves = Vec::new();
                        if let Some(element) = element_at(node, multi, item) {
                            element_leaves(layout, *slot, *sub, element, &mut leaves);
                        }
                        column.set(e, &leaves).is_some()
                    })
                }
                _ => slots.iter().enumerate().all(|(k, row)| {
                    let mut leaves = Vec::new();
                    row_leaves(layout, source, row, &mut leaves);
                    column.set(first + k, &leaves).is_some()
                }),
            };
            kept && !column.stale()
        });
    }
}

impl Source {
    /// The top-level slot the column reads.
    #[must_use]
    pub fn slot(&self) -> u16 {
        match self {
            Source::Value { slot, .. } | Source::Element { slot, .. } => *slot,
            Source::Sort(spec) => spec.slot,
        }
    }
}

/// The leaves of `source` for one row, whose trees are `slots` (cleared first).
fn row_leaves<'a>(layout: &Layout, source: &Source, slots: &'a [(u16, Node)], out: &mut Vec<&'a Node>) {
    out.clear();
    match source {
        Source::Value { slot, sub } => {
            let attr = &layout.attrs[*slot as usize];
            let definition = sub.and_then(|k| attr.subs.get(k as usize)).unwrap_or(attr);
            let Some(node) = slot_node(slots, *slot) else {
                return;
            };
            for element in each(node, attr.multi) {
                match sub {
                    None => out.push(element),
                    Some(k) => {
                        if let Some(value) = sub_value(element, *k) {
                            out.extend(each(value, definition.multi));
                        }
                    }
                }
            }
        }
        Source::Sort(spec) => out.extend(spec.key(slots)),
        Source::Element { .. } => {}
    }
}

/// The leaves of sub-attribute `sub` of one element of the complex attribute `slot` (appended).
fn element_leaves<'a>(layout: &Layout, slot: u16, sub: u16, element: &'a Node, out: &mut Vec<&'a Node>) {
    let Some(definition) = layout.attrs[slot as usize].subs.get(sub as usize) else {
        return;
    };
    if let Some(value) = sub_value(element, sub) {
        out.extend(each(value, definition.multi));
    }
}

/// The values of a node: a multi-valued attribute's list elements (none for a non-list), else the node.
fn each(node: &Node, multi: bool) -> &[Node] {
    match node {
        Node::List(items) if multi => items,
        _ if multi => &[],
        _ => std::slice::from_ref(node),
    }
}

fn sub_value(element: &Node, sub: u16) -> Option<&Node> {
    match element {
        Node::Object(entries) => entries
            .binary_search_by_key(&sub, |(i, _)| *i)
            .ok()
            .map(|i| &entries[i].1),
        _ => None,
    }
}

/// Stores at least this large build columns on several threads.
const PARALLEL_BUILD: usize = 8192;

/// `work` over `0..n` split into consecutive ranges, one per thread (up to `threads`), results in order.
fn chunked<T: Send>(n: usize, threads: usize, work: impl Fn(Range<usize>) -> Option<T> + Sync) -> Option<Vec<T>> {
    let threads = if n >= PARALLEL_BUILD {
        threads.min(n / (PARALLEL_BUILD / 2)).max(1)
    } else {
        1
    };
    if threads == 1 {
        return Some(vec![work(0..n)?]);
    }
    let chunk = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || work(t * chunk..((t + 1) * chunk).min(n))))
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    })
}

/// A complex attribute whose element index is built in this pass, with the element columns of `subs`.
struct Group {
    slot: u16,
    subs: Vec<u16>,
}

/// Read access to the rows and the cache, for binding plans and sort specs to columns, and the columns'
/// build: from the stored JSON, every missing column of a request in one pass, on up to `threads` threads.
pub struct Columns<'a> {
    pub layout: &'a Layout,
    pub rows: &'a [Option<Row>],
    pub cache: &'a RwLock<Cache>,
    pub threads: usize,
}

impl Columns<'_> {
    /// The key column of `spec`, with what ranking on it reads built (the rests of a text key), before the scan
    /// threads share it.
    #[must_use]
    pub fn sort_column(&self, spec: &SortSpec) -> Option<Arc<Column>> {
        let column = self.column(&Source::Sort(spec.key_spec()))?;
        column.build_rests();
        Some(column)
    }

    /// The sort order of `sorter`'s spec ([`Order`]), built now if needed.
    #[must_use]
    pub fn order(&self, sorter: &Sorter<'_>) -> Option<Arc<Order>> {
        if let Some(found) = self.built_order(sorter.spec) {
            return Some(found);
        }
        let built = Arc::new(Order::build(sorter, self.rows.len(), self.threads));
        let mut cache = self.cache.write().ok()?;
        Some(Arc::clone(cache.orders.entry(sorter.spec.clone()).or_insert(built)))
    }

    /// The sort order of `spec` if it is built.
    #[must_use]
    pub fn built_order(&self, spec: &SortSpec) -> Option<Arc<Order>> {
        self.cache.read().ok()?.orders.get(spec).cloned()
    }

    /// The column of `source`, built now if needed; `None` if it cannot be built (offsets overflow).
    #[must_use]
    pub fn column(&self, source: &Source) -> Option<Arc<Column>> {
        if let Some(found) = self.cache.read().ok()?.columns.get(source) {
            return Some(Arc::clone(found));
        }
        self.build(std::slice::from_ref(source), &[])?;
        self.cache.read().ok()?.columns.get(source).cloned()
    }

    fn elements(&self, slot: u16) -> Option<Arc<Elements>> {
        if let Some(found) = self.cache.read().ok()?.elements.get(&slot) {
            return Some(Arc::clone(found));
        }
        self.build(&[], &[slot])?;
        self.cache.read().ok()?.elements.get(&slot).cloned()
    }

    /// Build now, in one pass, the missing columns a scan of `plan` sorted by `sort` reads.
    pub fn prepare(&self, plan: &Plan, sort: Option<&SortSpec>) {
        self.prepare_all(&[plan], sort.as_slice());
    }

    /// Build now, in one pass, the missing columns scans of `plans` sorted by `sorts` read. A column that
    /// cannot be built (offsets overflow) is left out: binding the plan reports it.
    pub fn prepare_all(&self, plans: &[&Plan], sorts: &[&SortSpec]) {
        let mut sources = Vec::new();
        let mut groups = Vec::new();
        for plan in plans {
            needs(plan, None, &mut sources, &mut groups);
        }
        sources.extend(sorts.iter().map(|spec| Source::Sort(spec.key_spec())));
        let _ = self.build(&sources, &groups);
    }

    /// Build the columns of `sources` and the element indexes of `groups` that are not cached yet: the row
    /// columns and new element indexes (with their element columns) in one pass over the rows, the missing
    /// element columns of existing element indexes in one pass over their elements. `None` if a column
    /// would outgrow its 32-bit offsets.
    fn build(&self, sources: &[Source], groups: &[u16]) -> Option<()> {
        let mut row_sources: Vec<Source> = Vec::new();
        let mut fresh: Vec<Group> = Vec::new();
        let mut aligned: Vec<(Arc<Elements>, Group)> = Vec::new();
        {
            let cache = self.cache.read().ok()?;
            let element_slots = sources.iter().filter_map(|s| match s {
                Source::Element { slot, .. } => Some(*slot),
                _ => None,
            });
            for slot in groups.iter().copied().chain(element_slots) {
                if fresh.iter().any(|g| g.slot == slot) || aligned.iter().any(|(_, g)| g.slot == slot) {
                    continue;
                }
                let group = Group { slot, subs: Vec::new() };
                match cache.elements.get(&slot) {
                    None => fresh.push(group),
                    Some(elements) => aligned.push((Arc::clone(elements), group)),
                }
            }
            for source in sources {
                if cache.columns.contains_key(source) {
                    continue;
                }
                if let Source::Element { slot, sub } = source {
                    let group = fresh
                        .iter_mut()
                        .chain(aligned.iter_mut().map(|(_, g)| g))
                        .find(|g| g.slot == *slot)?;
                    if !group.subs.contains(sub) {
                        group.subs.push(*sub);
                    }
                } else if !row_sources.contains(source) {
                    row_sources.push(source.clone());
                }
            }
        }
        aligned.retain(|(_, g)| !g.subs.is_empty());
        if !row_sources.is_empty() || !fresh.is_empty() {
            let (columns, groups) = self.build_rows(&row_sources, &fresh)?;
            let mut cache = self.cache.write().ok()?;
            for (source, column) in row_sources.into_iter().zip(columns) {
                cache.columns.entry(source).or_insert_with(|| Arc::new(column));
            }
            for (group, (elements, columns)) in fresh.iter().zip(groups) {
                cache.elements.entry(group.slot).or_insert_with(|| Arc::new(elements));
                for (&sub, column) in group.subs.iter().zip(columns) {
                    let source = Source::Element { slot: group.slot, sub };
                    cache.columns.entry(source).or_insert_with(|| Arc::new(column));
                }
            }
        }
        for (elements, group) in aligned {
            let columns = self.build_elements(&elements, &group)?;
            let mut cache = self.cache.write().ok()?;
            for (&sub, column) in group.subs.iter().zip(columns) {
                let source = Source::Element { slot: group.slot, sub };
                cache.columns.entry(source).or_insert_with(|| Arc::new(column));
            }
        }
        Some(())
    }

    /// One pass over every row: the columns of `sources`, and each group's element index and element columns.
    #[allow(clippy::type_complexity)]
    fn build_rows(&self, sources: &[Source], groups: &[Group]) -> Option<(Vec<Column>, Vec<(Elements, Vec<Column>)>)> {
        let layout = self.layout;
        let wanted = layout.mask(sources.iter().map(Source::slot).chain(groups.iter().map(|g| g.slot)));
        let multi: Vec<bool> = groups
            .iter()
            .map(|g| layout.attrs.get(g.slot as usize).map(|a| a.multi))
            .collect::<Option<_>>()?;
        let parts = chunked(self.rows.len(), self.threads, |range| {
            let mut columns: Vec<Column> = sources.iter().map(|_| Column::default()).collect();
            for column in &mut columns {
                column.cells.reserve_exact(range.len());
            }
            let mut elements: Vec<(Elements, Vec<Column>)> = groups
                .iter()
                .map(|g| (Elements::default(), g.subs.iter().map(|_| Column::default()).collect()))
                .collect();
            for pos in range {
                let slots = self.rows[pos]
                    .as_ref()
                    .map(|r| r.slots(layout, &wanted))
                    .unwrap_or_default();
                let mut leaves = Vec::new();
                for (source, column) in sources.iter().zip(&mut columns) {
                    row_leaves(layout, source, &slots, &mut leaves);
                    column.push(&leaves)?;
                }
                for ((group, (index, columns)), &multi) in groups.iter().zip(&mut elements).zip(&multi) {
                    let node = slot_node(&slots, group.slot);
                    let range = index.record(u32::try_from(pos).ok()?, node, multi)?;
                    index.ranges.push(range);
                    for (_, element) in element_items(node, multi) {
                        for (&sub, column) in group.subs.iter().zip(columns.iter_mut()) {
                            leaves.clear();
                            element_leaves(layout, group.slot, sub, element, &mut leaves);
                            column.push(&leaves)?;
                        }
                    }
                }
            }
            Some((columns, elements))
        })?;
        let mut by_source: Vec<Vec<Column>> = sources.iter().map(|_| Vec::new()).collect();
        let mut by_group: Vec<(Vec<Elements>, Vec<Vec<Column>>)> = groups
            .iter()
            .map(|g| (Vec::new(), g.subs.iter().map(|_| Vec::new()).collect()))
            .collect();
        for (columns, elements) in parts {
            for (all, column) in by_source.iter_mut().zip(columns) {
                all.push(column);
            }
            for ((all, all_columns), (index, columns)) in by_group.iter_mut().zip(elements) {
                all.push(index);
                for (all, column) in all_columns.iter_mut().zip(columns) {
                    all.push(column);
                }
            }
        }
        let columns = by_source.into_iter().map(Column::concat).collect::<Option<Vec<_>>>()?;
        let groups = by_group
            .into_iter()
            .map(|(index, columns)| {
                Some((
                    Elements::concat(index)?,
                    columns.into_iter().map(Column::concat).collect::<Option<Vec<_>>>()?,
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        Some((columns, groups))
    }

    /// One pass over the elements of an existing element index: the element columns of `group.subs`.
    fn build_elements(&self, elements: &Elements, group: &Group) -> Option<Vec<Column>> {
        let layout = self.layout;
        let wanted = layout.mask([group.slot]);
        let multi = layout.attrs.get(group.slot as usize)?.multi;
        let parts = chunked(elements.owners.len(), self.threads, |range| {
            let mut columns: Vec<Column> = group.subs.iter().map(|_| Column::default()).collect();
            let mut current: Option<(u32, Slots)> = None;
            for &(row, item) in &elements.owners[range] {
                if current.as_ref().map(|c| c.0) != Some(row) {
                    let slots = self
                        .rows
                        .get(row as usize)
                        .and_then(Option::as_ref)
                        .map(|r| r.slots(layout, &wanted))
                        .unwrap_or_default();
                    current = Some((row, slots));
                }
                let node = current.as_ref().and_then(|(_, slots)| slot_node(slots, group.slot));
                let element = element_at(node, multi, item);
                let mut leaves = Vec::new();
                for (&sub, column) in group.subs.iter().zip(&mut columns) {
                    leaves.clear();
                    if let Some(element) = element {
                        element_leaves(layout, group.slot, sub, element, &mut leaves);
                    }
                    column.push(&leaves)?;
                }
            }
            Some(columns)
        })?;
        let mut by_sub: Vec<Vec<Column>> = group.subs.iter().map(|_| Vec::new()).collect();
        for columns in parts {
            for (all, column) in by_sub.iter_mut().zip(columns) {
                all.push(column);
            }
        }
        by_sub.into_iter().map(Column::concat).collect()
    }

    /// The plan with its paths bound to columns (`None` if a column cannot be built).
    #[must_use]
    pub fn bind(&self, plan: &Plan) -> Option<Bound> {
        self.bind_in(plan, None)
    }

    fn bind_in(&self, plan: &Plan, element: Option<u16>) -> Option<Bound> {
        let source = |target: &Target| match (target.slot, target.sub, element) {
            (Some(slot), sub, _) => Some(Source::Value { slot, sub }),
            (None, Some(sub), Some(slot)) => Some(Source::Element { slot, sub }),
            _ => None,
        };
        Some(match plan {
            Plan::Const(b) => Bound::Const(*b),
            Plan::And(terms) => Bound::And(cheap_first(fuse_ranges(
                terms.iter().map(|t| self.bind_in(t, element)).collect::<Option<_>>()?,
            ))),
            Plan::Or(terms) => Bound::Or(cheap_first(
                terms.iter().map(|t| self.bind_in(t, element)).collect::<Option<_>>()?,
            )),
            Plan::Not(inner) => Bound::Not(Box::new(self.bind_in(inner, element)?)),
            Plan::Compare {
                target,
                op: op @ (Op::Eq | Op::Sw | Op::Ew),
                literal: Literal::Str(text),
            } => {
                let mut text = Needle::new(text.as_bytes());
                let column = self.column(&source(target)?)?;
                match op {
                    Op::Eq if text.lane && !text.lane_alone && column.lane == Lane::Text => {
                        match column.word_decides(&text) {
                            Some(false) => Bound::Const(false),
                            decided => {
                                // the word decides: no text read per row
                                text.lane_alone |= decided.is_some();
                                Bound::TextEq(column, text)
                            }
                        }
                    }
                    Op::Eq => Bound::TextEq(column, text),
                    Op::Sw => Bound::TextSw(column, text),
                    _ => {
                        if column.ew_on_tails(&text) {
                            // built here, before the scan threads read them
                            column.tails();
                        }
                        Bound::TextEw(column, text)
                    }
                }
            }
            Plan::Compare {
                target,
                op,
                literal: Literal::DateTime(micros),
            } => Bound::Time(self.column(&source(target)?)?, *op, *micros),
            Plan::Compare {
                target,
                op: Op::Eq,
                literal: Literal::Bool(value),
            } => Bound::BoolEq(self.column(&source(target)?)?, *value),
            Plan::Compare { target, op, literal } => Bound::Compare {
                column: self.column(&source(target)?)?,
                op: *op,
                literal: literal.clone(),
            },
            Plan::Present { target, .. } => Bound::Present(self.column(&source(target)?)?),
            Plan::ValuePath { slot, filter, .. } => Bound::ValuePath {
                elements: self.elements(*slot)?,
                filter: Box::new(self.bind_in(filter, Some(*slot))?),
            },
        })
    }
}

/// The columns (`sources`) and element indexes (`groups`) binding `plan` reads (see `Columns::bind_in`).
fn needs(plan: &Plan, element: Option<u16>, sources: &mut Vec<Source>, groups: &mut Vec<u16>) {
    let source = |target: &Target| match (target.slot, target.sub, element) {
        (Some(slot), sub, _) => Some(Source::Value { slot, sub }),
        (None, Some(sub), Some(slot)) => Some(Source::Element { slot, sub }),
        _ => None,
    };
    match plan {
        Plan::Const(_) => {}
        Plan::And(terms) | Plan::Or(terms) => terms.iter().for_each(|t| needs(t, element, sources, groups)),
        Plan::Not(inner) => needs(inner, element, sources, groups),
        Plan::Compare { target, .. } | Plan::Present { target } => sources.extend(source(target)),
        Plan::ValuePath { slot, filter, .. } => {
            groups.push(*slot);
            needs(filter, Some(*slot), sources, groups);
        }
    }
}

/// A plan bound to columns: evaluated on a row (or, inside a value path, an element id).
#[derive(Debug)]
pub enum Bound {
    Const(bool),
    And(Vec<Bound>),
    Or(Vec<Bound>),
    Not(Box<Bound>),
    Compare {
        column: Arc<Column>,
        op: Op,
        literal: Literal,
    },
    /// A dateTime comparison (instants, any operator but `co`/`sw`/`ew`, which no instant satisfies).
    Time(Arc<Column>, Op, i64),
    /// Both bounds of a dateTime range on a column of single values (`ge`/`gt` and `lt`/`le` of one
    /// `and`), as `Lane::Time` words: `low <= word < high`.
    TimeRange(Arc<Column>, u64, u64),
    /// `eq` with a boolean.
    BoolEq(Arc<Column>, bool),
    /// Text `eq`, `sw`, `ew` (the most common comparisons), on bytes.
    TextEq(Arc<Column>, Needle),
    TextSw(Arc<Column>, Needle),
    TextEw(Arc<Column>, Needle),
    Present(Arc<Column>),
    ValuePath {
        elements: Arc<Elements>,
        filter: Box<Bound>,
    },
}

impl Bound {
    /// Does row (or element) `i` satisfy the plan? Deleted rows are not excluded here.
    #[must_use]
    pub fn test(&self, i: usize) -> bool {
        match self {
            Bound::Const(b) => *b,
            Bound::And(terms) => terms.iter().all(|t| t.test(i)),
            Bound::Or(terms) => terms.iter().any(|t| t.test(i)),
            Bound::Not(inner) => !inner.test(i),
            Bound::Compare { column, op, literal } => column.any(i, |c| column.compare(c, *op, literal)),
            Bound::Time(column, op, micros) => {
                column.any(i, |c| matches!(c, Cell::Time(t) if ordered(t.cmp(micros), *op)))
            }
            Bound::TimeRange(column, low, high) => column
                .words
                .get(i)
                .is_some_and(|w| w.wrapping_sub(*low) < high.wrapping_sub(*low)),
            Bound::BoolEq(column, value) => column.any(i, |c| c == Cell::Bool(*value)),
            Bound::TextEq(column, text) => column.any(i, |c| text.prefix_of(column, c, true)),
            Bound::TextSw(column, text) => column.any(i, |c| text.prefix_of(column, c, false)),
            Bound::TextEw(column, text) => column.any(i, |c| text.suffix_of(column, c)),
            Bound::Present(column) => column.any(i, present),
            Bound::ValuePath { elements, filter } => elements.range(i).any(|e| filter.test(e)),
        }
    }
}

impl Bound {
    /// Heap bytes of the columns (and element indexes) this plan reads, each counted once.
    #[must_use]
    pub fn column_bytes(&self) -> usize {
        let mut columns: Vec<&Arc<Column>> = Vec::new();
        let mut elements: Vec<&Arc<Elements>> = Vec::new();
        self.collect(&mut columns, &mut elements);
        columns.iter().map(|c| c.heap_bytes()).sum::<usize>() + elements.iter().map(|e| e.heap_bytes()).sum::<usize>()
    }

    fn collect<'a>(&'a self, columns: &mut Vec<&'a Arc<Column>>, elements: &mut Vec<&'a Arc<Elements>>) {
        let mut add = |column: &'a Arc<Column>| {
            if !columns.iter().any(|c| Arc::ptr_eq(c, column)) {
                columns.push(column);
            }
        };
        match self {
            Bound::Const(_) => {}
            Bound::And(terms) | Bound::Or(terms) => terms.iter().for_each(|t| t.collect(columns, elements)),
            Bound::Not(inner) => inner.collect(columns, elements),
            Bound::Compare { column, .. }
            | Bound::Time(column, ..)
            | Bound::TimeRange(column, ..)
            | Bound::BoolEq(column, _)
            | Bound::TextEq(column, _)
            | Bound::TextSw(column, _)
            | Bound::TextEw(column, _)
            | Bound::Present(column) => add(column),
            Bound::ValuePath { elements: e, filter } => {
                if !elements.iter().any(|x| Arc::ptr_eq(x, e)) {
                    elements.push(e);
                }
                filter.collect(columns, elements);
            }
        }
    }

    /// The bytes a full scan of this plan streams, each array counted once: the word lane words of the
    /// columns its kernels judge on words, the cells of the others, the element ranges of value paths. Text
    /// read from a column's arena (`ew`, literals longer than the inline head) is left out, as it depends on
    /// the data: a lower bound.
    #[must_use]
    pub fn streamed_bytes(&self) -> usize {
        let mut arrays: Vec<(usize, usize)> = Vec::new();
        self.streamed(&mut arrays);
        arrays.iter().map(|(_, bytes)| bytes).sum()
    }

    fn streamed(&self, arrays: &mut Vec<(usize, usize)>) {
        let mut add = |address: usize, bytes: usize| {
            if !arrays.iter().any(|(a, _)| *a == address) {
                arrays.push((address, bytes));
            }
        };
        let words = |c: &Column| (c.words.as_ptr() as usize, c.words.len() * 8);
        let cells = |c: &Column| (c.cells.as_ptr() as usize, (c.cells.len() + c.extra.len()) * CELL);
        let (address, bytes) = match self {
            Bound::Const(_) => return,
            Bound::And(terms) | Bound::Or(terms) => {
                for term in terms {
                    term.streamed(arrays);
                }
                return;
            }
            Bound::Not(inner) => return inner.streamed(arrays),
            Bound::ValuePath { elements, filter } => {
                add(elements.ranges.as_ptr() as usize, elements.ranges.len() * 8);
                return filter.streamed(arrays);
            }
            Bound::TimeRange(c, ..) => words(c),
            Bound::Time(c, ..) if c.lane == Lane::Time => words(c),
            Bound::Present(c) if c.lane == Lane::Text => words(c),
            Bound::TextEq(c, text) | Bound::TextSw(c, text) if c.lane == Lane::Text && text.lane => words(c),
            Bound::TextEw(c, text) if c.ew_on_tails(text) => {
                let tails = c.tails();
                add(tails.high.as_ptr() as usize, tails.high.len() * 8);
                (tails.low.as_ptr() as usize, tails.low.len() * 8)
            }
            Bound::Time(c, ..)
            | Bound::Present(c)
            | Bound::TextEq(c, _)
            | Bound::TextSw(c, _)
            | Bound::TextEw(c, _)
            | Bound::BoolEq(c, _)
            | Bound::Compare { column: c, .. } => cells(c),
        };
        add(address, bytes);
    }
}

impl Column {
    /// The bytes a sort reads from this key column per ranked row (its word, else its cell).
    #[must_use]
    pub fn key_bytes(&self) -> usize {
        if self.lane == Lane::None {
            CELL
        } else {
            8
        }
    }
}

/// Rows evaluated together by [`Bound::block`].
pub const BLOCK: usize = 512;

/// The most elements a value path evaluates as one run for a block of rows (more: row by row).
const RUN: usize = 8 * BLOCK;

impl Bound {
    /// Is this test costly per row (text read from the arena, a generic comparison), so that inside an
    /// `and`/`or` it is better judged only on the rows still open than on the whole block?
    fn sparse(&self) -> bool {
        match self {
            Bound::TextEw(column, text) => !column.ew_on_tails(text),
            Bound::Compare { .. } => true,
            _ => false,
        }
    }

    /// `out[j]` = does row `start + j` satisfy this (sparse) test, for the rows `j` of `open` only.
    fn judge(&self, start: usize, open: &[u16], out: &mut [bool]) {
        match self {
            Bound::TextEw(column, text) if column.lane != Lane::None => {
                // one value a row: the cell itself
                let cells = column.cells.get(start..).unwrap_or_default();
                for &j in open {
                    let j = usize::from(j);
                    out[j] = cells.get(j).is_some_and(|&c| text.suffix_of(column, c));
                }
            }
            _ => {
                for &j in open {
                    let j = usize::from(j);
                    out[j] = self.test(start + j);
                }
            }
        }
    }

    /// A rough cost per row, to evaluate the cheap terms of an `and`/`or` first.
    fn cost(&self) -> u8 {
        match self {
            Bound::Const(_) => 0,
            Bound::TimeRange(..) => 1,
            Bound::Time(c, ..) | Bound::Present(c) | Bound::TextEq(c, _) | Bound::TextSw(c, _)
                if c.lane != Lane::None =>
            {
                1
            }
            Bound::Time(..) | Bound::BoolEq(..) | Bound::Present(_) | Bound::TextEq(..) | Bound::TextSw(..) => 2,
            Bound::Not(inner) => inner.cost(),
            Bound::And(terms) | Bound::Or(terms) => terms.iter().map(Bound::cost).max().unwrap_or(0),
            Bound::TextEw(c, text) if c.ew_on_tails(text) => 1,
            Bound::TextEw(..) | Bound::Compare { .. } => 3,
            Bound::ValuePath { .. } => 4,
        }
    }
}

/// The positions `j` (of a block) where `out[j] == value`, compacted without branches, and their number.
#[inline]
fn open_rows(out: &[bool], value: bool) -> ([u16; BLOCK], usize) {
    let mut open = [0u16; BLOCK];
    let mut n = 0;
    for (j, &o) in out.iter().enumerate() {
        #[allow(clippy::cast_possible_truncation)] // j < BLOCK
        let j = j as u16;
        open[n] = j;
        n += usize::from(o == value);
    }
    (open, n)
}

/// The terms of an `and`/`or` with the cheap ones first (the others are then judged on fewer rows; the
/// terms are pure, so the order does not change the result).
fn cheap_first(mut terms: Vec<Bound>) -> Vec<Bound> {
    terms.sort_by_key(Bound::cost);
    terms
}

/// Within an `and`: a lower (`ge`/`gt`) and an upper (`lt`/`le`) dateTime bound on the same column of single
/// values become one [`Bound::TimeRange`] (one pass over the words; with one value per row, "some value in
/// range" and "some value above and some below" are the same).
fn fuse_ranges(terms: Vec<Bound>) -> Vec<Bound> {
    let mut out: Vec<Bound> = Vec::with_capacity(terms.len());
    for term in terms {
        let Bound::Time(column, op, micros) = &term else {
            out.push(term);
            continue;
        };
        let word = time_word(Cell::Time(*micros));
        // as a half-open range of words: `gt m` is `ge m+1`, `le m` is `lt m+1`
        let bound = match op {
            Op::Ge => Some((true, word)),
            Op::Gt => word.checked_add(1).map(|w| (true, w)),
            Op::Lt => Some((false, word)),
            Op::Le => word.checked_add(1).map(|w| (false, w)),
            _ => None,
        };
        let partner = bound.filter(|_| column.lane == Lane::Time).and_then(|(lower, word)| {
            out.iter().enumerate().find_map(|(at, other)| match other {
                Bound::Time(c, o, m) if Arc::ptr_eq(c, column) => {
                    let other = time_word(Cell::Time(*m));
                    match (lower, o) {
                        (true, Op::Lt) | (false, Op::Ge) => Some((at, lower, word, other)),
                        (true, Op::Le) | (false, Op::Gt) => other.checked_add(1).map(|o| (at, lower, word, o)),
                        _ => None,
                    }
                }
                _ => None,
            })
        });
        let Some((at, lower, word, other)) = partner else {
            out.push(term);
            continue;
        };
        let (low, high) = if lower { (word, other) } else { (other, word) };
        out[at] = if high > low {
            Bound::TimeRange(Arc::clone(column), low, high)
        } else {
            Bound::Const(false)
        };
    }
    out
}

impl Bound {
    /// `out[j]` = does row (or element) `start + j` satisfy the plan, for a block of rows: each leaf runs one
    /// tight loop over its column (the operator chosen once per block, not per row), and `and`/`or`/`not`
    /// combine whole blocks, so that the per-row cost is a few instructions without unpredictable branches.
    /// Rows past the end of a column have no value. Deleted rows are not excluded here.
    pub fn block(&self, start: usize, out: &mut [bool]) {
        match self {
            Bound::Const(b) => out.fill(*b),
            Bound::And(terms) | Bound::Or(terms) => {
                let and = matches!(self, Bound::And(_));
                let Some((first, rest)) = terms.split_first() else {
                    out.fill(and);
                    return;
                };
                first.block(start, out);
                let mut scratch = [false; BLOCK];
                for term in rest {
                    if term.sparse() {
                        // costly per row: judged only on the rows still open, compacted without branches
                        let (open, n) = open_rows(out, and);
                        term.judge(start, &open[..n], out);
                        continue;
                    }
                    let scratch = &mut scratch[..out.len()];
                    term.block(start, scratch);
                    if and {
                        wide(|| out.iter_mut().zip(scratch.iter()).for_each(|(o, s)| *o &= *s));
                    } else {
                        wide(|| out.iter_mut().zip(scratch.iter()).for_each(|(o, s)| *o |= *s));
                    }
                }
            }
            Bound::Not(inner) => {
                inner.block(start, out);
                wide(|| out.iter_mut().for_each(|o| *o = !*o));
            }
            Bound::Time(column, op, micros) if column.lane == Lane::Time => {
                let m = time_word(Cell::Time(*micros));
                match op {
                    Op::Eq => column.each_word(start, out, move |w| w == m),
                    Op::Gt => column.each_word(start, out, move |w| w > m),
                    Op::Ge => column.each_word(start, out, move |w| w >= m),
                    // word 0 (no instant) wraps to the largest word: never below `m` (`m` is not 0)
                    Op::Lt => column.each_word(start, out, move |w| w.wrapping_sub(1) < m - 1),
                    Op::Le => column.each_word(start, out, move |w| w.wrapping_sub(1) < m),
                    Op::Ne => column.each_word(start, out, move |w| u8::from(w != 0) & u8::from(w != m) == 1),
                    Op::Co | Op::Sw | Op::Ew => out.fill(false),
                }
            }
            Bound::TimeRange(column, low, high) => {
                let (low, width) = (*low, high.wrapping_sub(*low));
                column.each_word(start, out, move |w| w.wrapping_sub(low) < width);
            }
            Bound::Time(column, op, micros) => {
                let m = *micros;
                match op {
                    Op::Eq => column.each(start, out, move |c| matches!(c, Cell::Time(t) if t == m)),
                    Op::Gt => column.each(start, out, move |c| matches!(c, Cell::Time(t) if t > m)),
                    Op::Ge => column.each(start, out, move |c| matches!(c, Cell::Time(t) if t >= m)),
                    Op::Lt => column.each(start, out, move |c| matches!(c, Cell::Time(t) if t < m)),
                    Op::Le => column.each(start, out, move |c| matches!(c, Cell::Time(t) if t <= m)),
                    Op::Ne => column.each(start, out, move |c| matches!(c, Cell::Time(t) if t != m)),
                    Op::Co | Op::Sw | Op::Ew => out.fill(false),
                }
            }
            Bound::BoolEq(column, value) => {
                let v = *value;
                column.each(start, out, move |c| c == Cell::Bool(v));
            }
            Bound::Present(column) if column.lane == Lane::Text => column.each_word(start, out, move |w| w != 0),
            Bound::Present(column) => column.each(start, out, present),
            Bound::TextEq(column, text) | Bound::TextSw(column, text) if column.lane == Lane::Text && text.lane => {
                let exact = matches!(self, Bound::TextEq(..));
                // one loop per operator (the choice made once, not per word)
                if exact {
                    column.each_word(start, out, text.word_test::<true>());
                } else {
                    column.each_word(start, out, text.word_test::<false>());
                }
                if !text.lane_alone {
                    // the word matched the head and the length: the rest of the text decides, read for the
                    // rows whose word matched only (compacted without branches)
                    let (open, n) = open_rows(out, true);
                    let cells = column.cells.get(start..).unwrap_or_default();
                    for &j in &open[..n] {
                        let j = usize::from(j);
                        out[j] = cells.get(j).is_some_and(|&c| text.tail_of(column, c));
                    }
                }
            }
            Bound::TextEq(column, text) => column.each(start, out, move |c| text.prefix_of(column, c, true)),
            Bound::TextSw(column, text) => column.each(start, out, move |c| text.prefix_of(column, c, false)),
            Bound::TextEw(column, text) if column.ew_on_tails(text) => {
                column.tails().block(start, text.tail.unwrap_or_default(), out);
            }
            Bound::TextEw(column, text) => column.each(start, out, move |c| text.suffix_of(column, c)),
            Bound::ValuePath { elements, filter } => self.value_path_block(elements, filter, start, out),
            Bound::Compare { .. } => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = self.test(start + j);
                }
            }
        }
    }

    /// [`Bound::block`] of a value path (docs/directory.md, "Design"): the block's elements are usually one
    /// contiguous run, in row order (rows append theirs in order): the filter runs over that run in element
    /// blocks, then each row's "any element" is its window read as one masked word ([`short_windows`]), or a
    /// difference of running match counts when a row has more than [`WINDOW`] elements; row by row otherwise.
    fn value_path_block(&self, elements: &Elements, filter: &Bound, start: usize, out: &mut [bool]) {
        let rows = elements.ranges.get(start..).unwrap_or_default();
        let rows = &rows[..rows.len().min(out.len())];
        out.fill(false);
        let (Some(&(first, _)), Some(&(last, len))) = (rows.first(), rows.last()) else {
            return;
        };
        let (first, end) = (first as usize, last as usize + len as usize);
        if (first..=first + RUN).contains(&end) {
            // the run the elements would span if they are contiguous (checked while the windows are read)
            let mut matched = [false; RUN + WINDOW];
            for (k, part) in matched[..end - first].chunks_mut(BLOCK).enumerate() {
                filter.block(first + k * BLOCK, part);
            }
            match short_windows(&matched, rows, first, out) {
                Windows::Read => return,
                Windows::Long => {
                    any_in_windows(&matched, rows, first, out);
                    return;
                }
                Windows::Apart => {}
            }
        }
        // the elements are not one run in row order (rows changed since they were built): row by row
        for (j, o) in out.iter_mut().enumerate().take(rows.len()) {
            *o = self.test(start + j);
        }
    }
}

/// The most elements [`short_windows`] reads for a row at once.
const WINDOW: usize = 8;

/// What [`short_windows`] found.
#[derive(Debug, PartialEq)]
enum Windows {
    /// Every window read.
    Read,
    /// The windows are contiguous, but one holds more than [`WINDOW`] elements: `out` is not written.
    Long,
    /// The windows are not contiguous (rows changed since the elements were built): `out` is not written.
    Apart,
}

/// `out[j]` = does the window of elements of row `j` (`rows[j]`: its first element and how many, the
/// elements numbered from `first`) hold a match in `matched` (padded with [`WINDOW`] `false`s), if the
/// windows follow each other from `first` and none is longer than [`WINDOW`]: each window read as one
/// masked 64-bit word, and contiguity checked in the same pass (no branch per element or row).
#[inline]
fn short_windows(matched: &[bool; RUN + WINDOW], rows: &[(u32, u32)], first: usize, out: &mut [bool]) -> Windows {
    const MASKS: [u64; WINDOW + 1] = {
        let mut masks = [0u64; WINDOW + 1];
        let mut l = 1;
        while l <= WINDOW {
            masks[l] = u64::MAX >> (64 - 8 * l);
            l += 1;
        }
        masks
    };
    let (mut next, mut apart, mut long) = (first, false, false);
    for (o, &(s, l)) in out.iter_mut().zip(rows) {
        let (s, l) = (s as usize, l as usize);
        apart |= s != next;
        long |= l > WINDOW;
        next = s + l;
        let at = s.wrapping_sub(first).min(RUN);
        let word = u64::from_le_bytes(std::array::from_fn(|k| u8::from(matched[at + k])));
        *o = word & MASKS[l.min(WINDOW)] != 0;
    }
    if apart {
        Windows::Apart
    } else if long {
        Windows::Long
    } else {
        Windows::Read
    }
}

/// `out[j]` = does the window of elements of row `j` (`rows[j]`: its first element and how many, the
/// elements numbered from `first`, at most [`RUN`] of them) hold a match in `matched`: the running count
/// of the matches at the window's end exceeds the count at its start (no branch per element).
#[inline]
fn any_in_windows(matched: &[bool], rows: &[(u32, u32)], first: usize, out: &mut [bool]) {
    let mut counts = [0u16; RUN + 1];
    let mut count = 0u16;
    for (c, &m) in counts[1..].iter_mut().zip(matched) {
        count += u16::from(m);
        *c = count;
    }
    for (o, &(s, l)) in out.iter_mut().zip(rows) {
        let at = s as usize - first;
        *o = counts[at + l as usize] > counts[at];
    }
}

impl Column {
    /// `out[j]` = `test` on the [`Lane`] word of row `start + j` (a column with a lane has one value a row).
    #[inline]
    fn each_word(&self, start: usize, out: &mut [bool], test: impl Fn(u64) -> bool) {
        let words = self.words.get(start..).unwrap_or_default();
        let (judged, past) = out.split_at_mut(words.len().min(out.len()));
        // `move`: the loop owns its slices and the test's values (kept in registers, not reloaded)
        wide(move || {
            for (o, &w) in judged.iter_mut().zip(words) {
                *o = test(w);
            }
        });
        past.fill(false);
    }

    /// `out[j]` = `test` on any value of row `start + j` (single values in one pass over the cells).
    #[inline]
    fn each(&self, start: usize, out: &mut [bool], test: impl Fn(Cell) -> bool) {
        let cells = self.cells.get(start..).unwrap_or_default();
        let many = wide(|| {
            let test = &test;
            let mut many = false;
            for (o, c) in out.iter_mut().zip(cells) {
                many |= matches!(c, Cell::Many { .. });
                *o = test(*c);
            }
            many
        });
        out.get_mut(cells.len()..).unwrap_or_default().fill(false);
        if many {
            for (j, o) in out.iter_mut().enumerate().take(cells.len()) {
                if let Cell::Many { .. } = cells[j] {
                    *o = self.any(start + j, &test);
                }
            }
        }
    }
}

/// Does `value` start with `text`?
#[inline]
fn same(value: &[u8], text: &[u8]) -> bool {
    value.len() >= text.len() && equal(&value[..text.len()], text)
}

/// Does `value` end with `text`?
#[inline]
fn same_from_end(value: &[u8], text: &[u8]) -> bool {
    value.len() >= text.len() && equal(&value[value.len() - text.len()..], text)
}

/// `a == b` for slices of the same length: two overlapping 64-bit words for 8 to 16 bytes, a byte loop
/// below (short texts usually differ early, where a `memcmp` call costs more than the comparison).
#[inline]
fn equal(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if (8..=16).contains(&n) {
        let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
        word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
    } else if n < 8 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// The last 16 bytes of each value ([`Column::tail_word`]) as two lanes of 64-bit halves (low, high), so
/// that an `ew` compares four values an AVX2 instruction.
#[derive(Debug, Default)]
struct Tails {
    low: Vec<u64>,
    high: Vec<u64>,
}

impl Tails {
    fn push(&mut self, tail: u128) {
        let (low, high) = halves(tail);
        self.low.push(low);
        self.high.push(high);
    }

    fn put(&mut self, i: usize, tail: u128) {
        let (low, high) = halves(tail);
        put(&mut self.low, i, low);
        put(&mut self.high, i, high);
    }

    /// `out[j]` = does the tail of row `start + j` equal `tail` under `mask` (an `ew`, [`Needle::tail`]).
    fn block(&self, start: usize, (tail, mask): (u128, u128), out: &mut [bool]) {
        let lows = self.low.get(start..).unwrap_or_default();
        let highs = self.high.get(start..).unwrap_or_default();
        let (judged, past) = out.split_at_mut(lows.len().min(out.len()));
        let ((low, high), (low_mask, high_mask)) = (halves(tail), halves(mask));
        wide(move || {
            for ((o, &l), &h) in judged.iter_mut().zip(lows).zip(highs) {
                *o = ((l ^ low) & low_mask) | ((h ^ high) & high_mask) == 0;
            }
        });
        past.fill(false);
    }
}

/// The low and high 64 bits.
#[inline]
fn halves(x: u128) -> (u64, u64) {
    #[allow(clippy::cast_possible_truncation)] // the halves
    (x as u64, (x >> 64) as u64)
}

/// Write `value` at `i` of `lane`, `i` at most its length (a new row's value is pushed).
#[inline]
fn put<T>(lane: &mut Vec<T>, i: usize, value: T) {
    match lane.get_mut(i) {
        Some(slot) => *slot = value,
        None => lane.push(value),
    }
}

/// The sort prefix of a present `Lane::Text` word: the head, then the length capped at 8.
#[inline]
fn text_prefix(word: u64) -> u64 {
    (word & !0xFF) | (word & 0xFF).min(8)
}

/// The first 8 bytes of `bytes` as a big-endian word, zero-padded (one load when there are 8).
#[inline]
pub(crate) fn be_word(bytes: &[u8]) -> u64 {
    if let Some(eight) = bytes.first_chunk::<8>() {
        return u64::from_be_bytes(*eight);
    }
    let mut padded = [0u8; 8];
    for (to, from) in padded.iter_mut().zip(bytes) {
        *to = *from;
    }
    u64::from_be_bytes(padded)
}

/// The last 16 bytes of `bytes`, right-aligned in a big-endian word and zero-padded.
#[inline]
fn be_tail(bytes: &[u8]) -> u128 {
    let last = &bytes[bytes.len().saturating_sub(16)..];
    let mut padded = [0u8; 16];
    padded[16 - last.len()..].copy_from_slice(last);
    u128::from_be_bytes(padded)
}

/// A row's [`Sorter::full_rank`]: compared as a pair, weakly monotone with the full order of rows.
pub type Rank = (u128, u64);

/// Orders rows by a sort key column (missing last ascending / first descending, ties by `id`).
pub struct Sorter<'a> {
    pub column: &'a Column,
    pub spec: &'a SortSpec,
    pub rows: &'a [Option<Row>],
    /// the first 8 bytes of each row's `id`, big-endian (the store's)
    pub id_heads: &'a [u64],
}

impl Sorter<'_> {
    /// The rank of a row, compared as a pair, weakly monotone with the full order of rows. First a 128-bit
    /// rank: the missing flag (bit 127), a 64-bit prefix of the key (bits 63..127), and in bits 0..63 either
    /// a 63-bit prefix of the `id` when the key prefix is the whole key (a missing key, a dateTime, a text of
    /// at most 7 bytes), so that rows whose keys are equal (many users share a family name) are ranked apart
    /// instead of all tying with the `k`-th, or the text's 8th to 15th bytes when it is longer (user names
    /// share their first bytes). Then, to rank apart the rows whose whole key that holds (also texts of 8
    /// to 13 bytes: display names), the first 8 bytes of their `id` (reversed when ties go by descending
    /// `id`); rows whose key it holds only in part get the value that ranks them after the whole keys they
    /// tie with (before them when descending): such a key is a longer text, of which the whole one is a
    /// prefix.
    #[must_use]
    pub fn full_rank(&self, pos: u32) -> Rank {
        let (rank, whole) = self.key_rank(pos);
        // read only where it ranks the row: a long text's ties are compared in full
        let id = || {
            let id = self.id_heads.get(pos as usize).copied().unwrap_or(0);
            if self.spec.descending && self.spec.ids_descending {
                !id
            } else {
                id
            }
        };
        if whole {
            return (rank | self.id_rank(pos), id());
        }
        let rest = self.rest(pos);
        // bytes 8 to 13 lie whole in the rank's text part
        let tie = if rest >> 63 == 1 {
            id()
        } else if self.spec.descending {
            0
        } else {
            u64::MAX
        };
        let prefix = rest & (u64::MAX >> 1);
        // after the head and a length of at least 8, the next part of the text's order
        let text_rank = if self.spec.descending {
            !prefix & (u64::MAX >> 1)
        } else {
            prefix
        };
        (rank | u128::from(text_rank), tie)
    }

    /// The row's [`Column::rest_word`], from [`Column::rests`] when they are built (else from its cell
    /// and text).
    fn rest(&self, pos: u32) -> u64 {
        match self.column.rests.get() {
            Some(rests) => rests.get(pos as usize).copied().unwrap_or(0),
            None => self
                .column
                .rest_word(self.column.cells.get(pos as usize).copied().unwrap_or(Cell::Absent)),
        }
    }

    /// The rank without its `id` part (a lower bound of [`Sorter::full_rank`]: read no `id`) and whether the key
    /// prefix is the whole key.
    fn key_rank(&self, pos: u32) -> (u128, bool) {
        let (prefix, whole) = match self.column.lane {
            Lane::Time | Lane::Text => {
                let word = self.column.words.get(pos as usize).copied().unwrap_or(0);
                // the whole text up to 7 bytes (a dateTime word is the whole instant)
                let whole = self.column.lane == Lane::Time || word & 0xFF <= 7;
                ((word != 0).then(|| self.word_prefix(word)), whole)
            }
            Lane::None => {
                let prefix = self.cell_prefix(pos);
                (prefix, prefix.is_none())
            }
        };
        let rank = match (prefix, self.spec.descending) {
            (None, false) => 1 << 127,
            (None, true) => 0,
            (Some(p), false) => u128::from(p) << 63,
            (Some(p), true) => (1 << 127) | (u128::from(!p) << 63),
        };
        (rank, whole)
    }

    /// The key prefix of a present (non-zero) lane word: a sort key column holds keys of one kind or nothing
    /// (word 0), so a dateTime word is the prefix; a text word is its head, then its length capped at 8
    /// (weakly monotone with the order of the texts).
    #[inline]
    fn word_prefix(&self, word: u64) -> u64 {
        if self.column.lane == Lane::Text {
            text_prefix(word)
        } else {
            word
        }
    }

    /// The `id` part of the rank: the first 8 bytes of the `id` (big-endian, 63 bits), reversed when ties
    /// are broken by descending `id`.
    fn id_rank(&self, pos: u32) -> u128 {
        let prefix = self.id_heads.get(pos as usize).copied().unwrap_or(0) >> 1;
        let prefix = if self.spec.descending && self.spec.ids_descending {
            !prefix & (u64::MAX >> 1)
        } else {
            prefix
        };
        u128::from(prefix)
    }

    /// The rank prefix of a row from its cell (a column without a word lane).
    fn cell_prefix(&self, pos: u32) -> Option<u64> {
        let cell = self.column.cells.get(pos as usize).copied().unwrap_or(Cell::Absent);
        match cell {
            // the inline head: no read of the text (ties on it are compared in full)
            Cell::Str { head, .. } => Some(head_word(head)),
            #[allow(clippy::cast_precision_loss)] // weakly monotone: exact ties are compared in full
            Cell::Int(i) => Some(float_rank(i as f64)),
            #[allow(clippy::cast_sign_loss)]
            Cell::Time(t) => Some((t as u64) ^ (1 << 63)),
            Cell::Float(f) => Some(float_rank(f)),
            Cell::Bool(b) => Some(u64::from(b)),
            _ => None,
        }
    }

    /// The order of two rows by their keys for this spec (missing last ascending, first descending).
    fn key_order(&self, first: u32, second: u32) -> Ordering {
        let cell = |pos: u32| self.column.cells.get(pos as usize).copied().unwrap_or(Cell::Absent);
        let by_key = match (cell(first), cell(second)) {
            (Cell::Absent, Cell::Absent) => Ordering::Equal,
            (Cell::Absent, _) => Ordering::Greater,
            (_, Cell::Absent) => Ordering::Less,
            (Cell::Str { start: s1, len: l1, .. }, Cell::Str { start: s2, len: l2, .. }) => {
                // UTF-8's byte order is the text's order
                self.column.bytes(s1, l1).cmp(self.column.bytes(s2, l2))
            }
            (Cell::Int(p), Cell::Int(q)) | (Cell::Time(p), Cell::Time(q)) => p.cmp(&q),
            (Cell::Bool(p), Cell::Bool(q)) => p.cmp(&q),
            (Cell::Float(p), Cell::Float(q)) => p.total_cmp(&q),
            (Cell::Int(p), Cell::Float(q)) => int_float_cmp(p, q).unwrap_or(Ordering::Equal),
            (Cell::Float(p), Cell::Int(q)) => int_float_cmp(q, p).map_or(Ordering::Equal, Ordering::reverse),
            _ => Ordering::Equal,
        };
        if self.spec.descending {
            by_key.reverse()
        } else {
            by_key
        }
    }

    /// The order of two rows with equal keys: by `id` (its first 8 bytes, then, when they tie, the whole
    /// `id`, read from the row), reversed when the spec says so.
    fn id_order(&self, first: u32, second: u32) -> Ordering {
        let head = |pos: u32| self.id_heads.get(pos as usize).copied().unwrap_or(0);
        let id = |pos: u32| {
            self.rows
                .get(pos as usize)
                .and_then(Option::as_ref)
                .map_or(&b""[..], Row::id_bytes)
        };
        let by_id = head(first).cmp(&head(second)).then_with(|| id(first).cmp(id(second)));
        if self.spec.descending && self.spec.ids_descending {
            by_id.reverse()
        } else {
            by_id
        }
    }

    /// The full order of two rows with their ranks ([`Sorter::full_rank`]): by rank, then key, then `id`
    /// (read only for rows tied on both).
    #[must_use]
    pub fn order(&self, a: &(Rank, u32), b: &(Rank, u32)) -> Ordering {
        a.0.cmp(&b.0)
            .then_with(|| self.key_order(a.1, b.1))
            .then_with(|| self.id_order(a.1, b.1))
    }

    /// The positions of the best `limit` of `ranked` (with ranks from [`Sorter::full_rank`]; all of them without
    /// a limit), in order: the `k`-th rank bounds the candidates, then they are sorted (ties on the rank
    /// compared in full).
    #[must_use]
    pub fn finish(&self, mut ranked: Vec<(Rank, u32)>, limit: Option<usize>) -> Vec<u32> {
        if let Some(k) = limit.filter(|&k| k < ranked.len()) {
            if k == 0 {
                return Vec::new();
            }
            ranked.select_nth_unstable_by_key(k - 1, |e| e.0);
            let threshold = ranked[k - 1].0;
            ranked.retain(|e| e.0 <= threshold);
        }
        let mut keyed = ranked;
        let cmp = |a: &(Rank, u32), b: &(Rank, u32)| self.order(a, b);
        if let Some(k) = limit.filter(|&k| k > 0 && k < keyed.len()) {
            keyed.select_nth_unstable_by(k - 1, cmp);
            keyed.truncate(k);
        }
        keyed.sort_unstable_by(cmp);
        keyed.into_iter().map(|(_, pos)| pos).collect()
    }
}

/// An order-preserving 64-bit image of a float (`-0.0` as `0.0`, so that it ties with the integer 0).
fn float_rank(f: f64) -> u64 {
    let bits = (if f == 0.0 { 0.0 } else { f }).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::{any_in_windows, short_windows, Windows, RUN, WINDOW};

    /// Every window of a few match patterns, by running counts, against a reading element by element.
    #[test]
    fn windows_hold_a_match_by_running_counts() {
        let patterns: [&[usize]; 4] = [&[], &[0, 130, 191], &[63, 64], &[8, 9, 10, 11, 104]];
        for set in patterns {
            let matched: Vec<bool> = (0..192).map(|i| set.contains(&i)).collect();
            let first = 1000;
            let rows: Vec<(u32, u32)> = (0..192u32)
                .flat_map(|at| (0..=(192 - at).min(130)).map(move |len| (first + at, len)))
                .collect();
            let mut out = vec![false; rows.len()];
            for (chunk, part) in rows.chunks(RUN).zip(out.chunks_mut(RUN)) {
                any_in_windows(&matched, chunk, first as usize, part);
            }
            for (&(at, len), &o) in rows.iter().zip(&out) {
                let at = (at - first) as usize;
                assert_eq!(o, matched[at..at + len as usize].contains(&true), "{set:?} {at} {len}");
            }
        }
    }

    /// Windows of up to [`WINDOW`] elements read as masked words, against a reading element by element;
    /// a longer window or a gap between windows is reported and leaves the reading to the other paths.
    #[test]
    fn short_windows_read_masked_words_or_report_why_not() {
        let first = 1000u32;
        let (run, window) = (u32::try_from(RUN).unwrap(), u32::try_from(WINDOW).unwrap());
        let mut matched = [false; RUN + WINDOW];
        for at in [0, 7, 8, 63, 64, 100, 101, RUN - 1] {
            matched[at] = true;
        }
        for width in 0..=window {
            // the run cut into contiguous windows of `width` elements
            let rows: Vec<(u32, u32)> = (0..run / width.max(1)).map(|k| (first + k * width, width)).collect();
            let mut out = vec![true; rows.len()];
            assert_eq!(
                short_windows(&matched, &rows, first as usize, &mut out),
                Windows::Read,
                "{width}"
            );
            for (&(at, len), &o) in rows.iter().zip(&out) {
                let at = (at - first) as usize;
                assert_eq!(o, matched[at..at + len as usize].contains(&true), "{width} {at}");
            }
        }
        let long = [(first, 3), (first + 3, window + 1)];
        assert_eq!(
            short_windows(&matched, &long, first as usize, &mut [false; 2]),
            Windows::Long
        );
        let apart = [(first, 3), (first + 4, 2)];
        assert_eq!(
            short_windows(&matched, &apart, first as usize, &mut [false; 2]),
            Windows::Apart
        );
        let before = [(first - 5, 2)];
        assert_eq!(
            short_windows(&matched, &before, first as usize, &mut [false; 1]),
            Windows::Apart
        );
    }
}
