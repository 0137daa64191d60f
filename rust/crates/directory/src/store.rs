//! The store: resources in insertion order (their original JSON, from which everything else is derived),
//! `id` lookup, case-insensitive equality indexes, uniqueness checks, the column cache, and the search
//! pipeline (index selection → parallel column scan into a bitmap → sorted page → page). Value trees ([`Slots`]) are
//! built only when needed, from the JSON: the few candidates of an index lookup, the columns on their first
//! use, the indexed slots of a write where the layout indexes more than the resource object's attributes
//! (else a write reads only its id and index keys). Pure Rust; the binding wraps it in a `RwLock`.

use std::borrow::Cow;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::columns::{be_word, Bound, Cache, Column, Columns, Sorter, BLOCK};
use super::error::DirError;
use super::index::{allocation, Postings, MAX_POSITION};
use super::layout::Layout;
use super::matches::Matches;
use super::order::{Order, Walk};
use super::plain::{Plain, ShapeSlot, Shapes};
use super::plan::{Literal, Op, Plan, Target};
use super::pool::{run_on, wait_until};
use super::simd::{to_bits, wide};
use super::sort::SortSpec;
use super::value::{parse, parse_flagged, read_keys, slot_node, Node, Slots};

/// Below this many rows a search scans on the calling thread only.
const PARALLEL_THRESHOLD: usize = 32_768;

/// The shortest chunk of rows a parallel scan hands out ([`chunk_bounds`]): about a microsecond of a light scan.
const MIN_CHUNK: usize = 4 * BLOCK;

/// Batches at least this large fill the id map and the indexes on several threads.
const PARALLEL_FILL: usize = 16_384;

/// Ids longer than this are kept beside the JSON rather than searched for in it.
const SPAN_ID: usize = 64;

/// One stored resource: its JSON, as given, its `id`, and its shape (`plain.rs`), read the first time the
/// row is on a page written natively.
#[derive(Debug)]
pub struct Row {
    json: Arc<[u8]>,
    id: Id,
    shape: ShapeSlot,
}

/// Where a row's `id` is: a span of its JSON holding exactly the id's text (the usual case: an id written
/// without escapes), or its own copy.
#[derive(Debug)]
enum Id {
    Span(u32, u32),
    Own(Box<str>),
}

impl Id {
    /// Where the `id` read from `json` is: `id` borrowed from `json` is a span of it; an id read with escapes
    /// is searched for in `json` (the same text may be written without them elsewhere, e.g. in
    /// `meta.location`), when it is short.
    fn of(json: &[u8], id: Cow<'_, str>) -> Id {
        let at = match &id {
            Cow::Borrowed(text) => {
                let start = (text.as_ptr() as usize).wrapping_sub(json.as_ptr() as usize);
                let end = start.checked_add(text.len());
                let span = end.and_then(|end| json.get(start..end));
                (span == Some(text.as_bytes())).then_some(start)
            }
            Cow::Owned(text) => (text.len() <= SPAN_ID).then(|| find(json, text.as_bytes())).flatten(),
        };
        match at.map(|at| (u32::try_from(at), u32::try_from(id.len()))) {
            Some((Ok(at), Ok(len))) => Id::Span(at, len),
            _ => Id::Own(id.into_owned().into_boxed_str()),
        }
    }
}

impl Row {
    /// The resource's `id`.
    #[must_use]
    pub fn id(&self) -> &str {
        match &self.id {
            Id::Span(at, len) => self
                .json
                .get(*at as usize..*at as usize + *len as usize)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Id::Own(id) => id,
        }
    }

    /// The bytes of the resource's `id` (UTF-8, as [`Row::id`], without checking them again: for sorting,
    /// whose byte order is the text order).
    #[must_use]
    pub fn id_bytes(&self) -> &[u8] {
        match &self.id {
            Id::Span(at, len) => self
                .json
                .get(*at as usize..*at as usize + *len as usize)
                .unwrap_or_default(),
            Id::Own(id) => id.as_bytes(),
        }
    }

    /// The resource's JSON, as stored.
    #[must_use]
    pub fn json(&self) -> &Arc<[u8]> {
        &self.json
    }

    /// What a page needs of the row besides its JSON (its shape read now, and added to `shapes`, if it was
    /// not yet).
    fn plain(&self, shapes: &mut Shapes) -> Plain {
        let id = match self.id {
            Id::Span(at, len) => Some(at as usize..at as usize + len as usize),
            Id::Own(_) => None,
        };
        Plain {
            shape: self.shape.get(&self.json, shapes),
            id,
        }
    }

    /// The trees of the `wanted` slots, parsed from the JSON now (a stored document always parses).
    #[must_use]
    pub fn slots(&self, layout: &Layout, wanted: &[bool]) -> Slots {
        parse(layout, &self.json, wanted).map(|p| p.slots).unwrap_or_default()
    }

    fn heap_bytes(&self) -> usize {
        let id = match &self.id {
            Id::Span(..) => 0,
            Id::Own(id) => allocation(id.len()),
        };
        allocation(self.json.len() + 2 * std::mem::size_of::<usize>()) + id
    }
}

/// A parsed resource, ready to be stored: its row and the trees of its indexed slots.
#[derive(Debug)]
pub struct Prepared {
    row: Row,
    /// `(index, key)` of each indexed value (unique values included), and the id's key: hashed with the
    /// layout's key before the lock
    keys: Keys,
    id_key: u32,
    meta_complete: bool,
    flagged: bool,
}

impl Prepared {
    /// Parse resource JSON into its stored form. Work that needs no lock (run it before taking one).
    ///
    /// # Errors
    /// `Syntax` when the bytes are not a JSON object with a non-empty string `id`.
    pub fn parse(layout: &Layout, json: &[u8]) -> Result<Prepared, DirError> {
        Prepared::parse_flagged(layout, json, None)
    }

    /// [`Prepared::parse`], noting whether the top-level key `flag` is present ([`Prepared::flagged`]).
    ///
    /// # Errors
    /// `Syntax` when the bytes are not a JSON object with a non-empty string `id`.
    pub fn parse_flagged(layout: &Layout, json: &[u8], flag: Option<&str>) -> Result<Prepared, DirError> {
        Ok(Prepared::stored(read(layout, json, flag)?, json))
    }

    /// [`Prepared::parse_flagged`] of each of `docs`: every document is parsed first, then the stored copies
    /// of the JSON are made in one run, so that they lie together in memory and the parse's temporaries leave
    /// no holes between them (the allocator can return those pages).
    #[must_use]
    pub fn parse_batch(layout: &Layout, docs: &[&[u8]], flag: Option<&str>) -> Vec<Result<Prepared, DirError>> {
        let parsed: Vec<Result<Read, DirError>> = docs.iter().map(|json| read(layout, json, flag)).collect();
        parsed
            .into_iter()
            .zip(docs)
            .map(|(read, json)| Ok(Prepared::stored(read?, json)))
            .collect()
    }

    fn stored(read: Read, json: &[u8]) -> Prepared {
        Prepared {
            row: Row {
                json: Arc::from(json),
                id: read.id,
                shape: ShapeSlot::default(),
            },
            keys: read.keys,
            id_key: read.id_key,
            meta_complete: read.meta_complete,
            flagged: read.flagged,
        }
    }

    /// Whether the resource has the top-level key given to [`Prepared::parse_flagged`].
    #[must_use]
    pub fn flagged(&self) -> bool {
        self.flagged
    }

    /// The resource's JSON.
    #[must_use]
    pub fn json(&self) -> &Arc<[u8]> {
        &self.row.json
    }

    /// Whether the resource's `meta` holds `resourceType`, `created`, `lastModified` and `version` as strings.
    #[must_use]
    pub fn meta_complete(&self) -> bool {
        self.meta_complete
    }
}

/// A parsed resource before its JSON is copied: where its id is in the JSON (or the id), the keys.
struct Read {
    id: Id,
    id_key: u32,
    keys: Keys,
    meta_complete: bool,
    flagged: bool,
}

/// How many index keys [`Keys`] holds without an allocation.
const INLINE_KEYS: usize = 4;

/// The `(index, key)` pairs of a parsed resource: a few inline (no allocation to free, on whichever thread
/// stores the resource), more on the heap.
#[derive(Debug)]
enum Keys {
    Inline(u8, [(u16, u32); INLINE_KEYS]),
    Heap(Box<[(u16, u32)]>),
}

impl Keys {
    fn new(keys: &[(u16, u32)]) -> Keys {
        match u8::try_from(keys.len()) {
            Ok(len) if keys.len() <= INLINE_KEYS => {
                let mut inline = [(0, 0); INLINE_KEYS];
                inline[..keys.len()].copy_from_slice(keys);
                Keys::Inline(len, inline)
            }
            _ => Keys::Heap(keys.into()),
        }
    }
}

impl std::ops::Deref for Keys {
    type Target = [(u16, u32)];
    fn deref(&self) -> &[(u16, u32)] {
        match self {
            Keys::Inline(len, inline) => &inline[..*len as usize],
            Keys::Heap(keys) => keys,
        }
    }
}

/// Parse a resource document for storing: its `id` and the keys of its indexed values, read straight from
/// the text ([`read_keys`]) or, for a layout that indexes other slots, from the trees of its indexed slots.
fn read(layout: &Layout, json: &[u8], flag: Option<&str>) -> Result<Read, DirError> {
    let syntax = |e: serde_json::Error| DirError::Syntax(format!("the resource is not a JSON object: {e}"));
    let no_id = || DirError::Syntax("the resource has no string 'id'".into());
    let (id, keys, meta_complete, flagged) = if layout.direct_keys {
        let keyed = read_keys(layout, json, flag).map_err(syntax)?;
        (
            keyed.id.ok_or_else(no_id)?,
            keyed.keys,
            keyed.meta_complete,
            keyed.flagged,
        )
    } else {
        let parsed = parse_flagged(layout, json, &layout.index_slots, flag).map_err(syntax)?;
        let keys: Vec<(u16, u32)> = index_keys(layout, &parsed.slots).collect();
        let id = parsed.id.ok_or_else(no_id)?;
        (Cow::Owned(id), keys, parsed.meta_complete, parsed.flagged)
    };
    Ok(Read {
        id_key: layout.hash(&id),
        id: Id::of(json, id),
        keys: Keys::new(&keys),
        meta_complete,
        flagged,
    })
}

/// The result of a search: the total number of matches and the JSON of the requested page, with what the
/// page writer needs of each resource besides its JSON (same order; empty from [`Store::search`]).
#[derive(Debug, Default)]
pub struct Page {
    pub total: usize,
    pub resources: Vec<Arc<[u8]>>,
    pub plain: Vec<Plain>,
}

/// An in-memory directory of resources of one type.
#[derive(Debug)]
pub struct Store {
    layout: Layout,
    pub(super) rows: Vec<Option<Row>>,
    /// the first 8 bytes of each row's `id` (big-endian, zero-padded): a sort ranks rows with equal keys
    /// by them without reading their JSON
    id_heads: Vec<u64>,
    live: usize,
    /// hash of the id → position (re-checked against the row's id); hashes from [`Store::hash`].
    by_id: Postings,
    /// one index per `layout.indexed` slot, same order: hash of the folded value → positions.
    indexes: Vec<Postings>,
    threads: usize,
    /// Columns for full scans, built on first use (under the read lock of the binding) and kept up to date.
    cache: RwLock<Cache>,
    /// The shapes of the rows (`plain.rs`).
    shapes: Mutex<Shapes>,
    /// The bitmap of the last full scan's matches, kept for the next one ([`Matches::reuse`]).
    spare: Mutex<Option<Matches>>,
}

impl Store {
    #[must_use]
    pub fn new(layout: Layout) -> Store {
        let indexes = layout.indexed.iter().map(|_| Postings::default()).collect();
        let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Store {
            layout,
            rows: Vec::new(),
            id_heads: Vec::new(),
            live: 0,
            by_id: Postings::default(),
            indexes,
            threads,
            cache: RwLock::default(),
            shapes: Mutex::default(),
            spare: Mutex::default(),
        }
    }

    #[must_use]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Use at most `threads` threads for a scan (at least 1).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.live
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The JSON of the resource `id`.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<Arc<[u8]>> {
        let pos = self.position(id)?;
        self.rows[pos as usize].as_ref().map(|r| Arc::clone(&r.json))
    }

    /// The position of the live row `id`.
    fn position(&self, id: &str) -> Option<u32> {
        self.position_keyed(id, self.layout.hash(id))
    }

    /// The position of the live row `id`, whose hash is `key`.
    fn position_keyed(&self, id: &str, key: u32) -> Option<u32> {
        self.by_id
            .get(key)
            .iter()
            .copied()
            .find(|&p| self.rows[p as usize].as_ref().is_some_and(|r| r.id() == id))
    }

    /// Add resources, all or none: a duplicate `id` or unique value (against the store or within the batch)
    /// rejects the whole batch.
    ///
    /// # Errors
    /// `Uniqueness` naming the first conflict (in batch order).
    pub fn add_many(&mut self, batch: Vec<Prepared>) -> Result<(), DirError> {
        if self.rows.len() + batch.len() > MAX_POSITION as usize {
            return Err(DirError::Uniqueness("directory full".into()));
        }
        let first = self.rows.len();
        self.fill_tables(&batch, first)?;
        self.rows.reserve(batch.len());
        self.live += batch.len();
        self.id_heads
            .extend(batch.iter().map(|prepared| be_word(prepared.row.id_bytes())));
        self.rows.extend(batch.into_iter().map(|prepared| Some(prepared.row)));
        self.refresh(first..self.rows.len());
        Ok(())
    }

    /// Record `batch` (the rows from position `first` on, not stored yet) in the id map and the equality
    /// indexes, checking uniqueness as it goes: an id or unique value whose hash is already recorded is
    /// compared by its text with the rows recorded under it (stored, or earlier in the batch). All or nothing:
    /// on a conflict every table is put back as it was. A large batch fills the tables on several threads
    /// (one table on one thread), from the keys hashed when the documents were parsed.
    ///
    /// # Errors
    /// `Uniqueness` naming the first conflict in batch order (a row's id before its unique values).
    fn fill_tables(&mut self, batch: &[Prepared], first: usize) -> Result<(), DirError> {
        let Store {
            layout,
            rows,
            by_id,
            indexes,
            threads,
            ..
        } = self;
        let view = BatchView {
            layout,
            stored: rows,
            batch,
            first,
        };
        let mut tables: Vec<(Table, &mut Postings)> = vec![(Table::Ids, by_id)];
        for (i, postings) in indexes.iter_mut().enumerate() {
            let slot = layout.indexed[i];
            #[allow(clippy::cast_possible_truncation)] // fewer indexes than slots (u16)
            let i = i as u16;
            let unique = layout.unique.iter().position(|&s| s == slot);
            tables.push((Table::Index { i, slot, unique }, postings));
        }
        let threads = if batch.len() >= PARALLEL_FILL {
            (*threads).clamp(1, tables.len())
        } else {
            1
        };
        let per_thread = tables.len().div_ceil(threads);
        let fill_some = |some: &mut [(Table, &mut Postings)]| -> Vec<Filled> {
            some.iter_mut()
                .map(|(table, postings)| view.fill(*table, postings))
                .collect()
        };
        let filled: Vec<Filled> = if threads == 1 {
            fill_some(&mut tables)
        } else {
            std::thread::scope(|s| {
                let mut parts = tables.chunks_mut(per_thread);
                let mine = parts.next().unwrap_or_default();
                let helpers: Vec<_> = parts.map(|part| s.spawn(move || fill_some(part))).collect();
                let mut filled = fill_some(mine);
                for helper in helpers {
                    // a panic in a helper is a bug: re-raised here, on the calling thread
                    filled.extend(helper.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                }
                filled
            })
        };
        let Some(clash) = filled
            .iter()
            .filter_map(|f| f.clash.as_ref())
            .min_by_key(|c| (c.row, c.rank))
        else {
            return Ok(());
        };
        let error = clash.error.clone();
        for ((table, postings), filled) in tables.iter_mut().zip(&filled) {
            view.unfill(*table, postings, filled.rows);
        }
        Err(error)
    }

    /// Replace the resource `id` in place (its position in insertion order is kept).
    ///
    /// # Errors
    /// `NotFound`, `Syntax` if the new resource has another id, `Uniqueness`.
    pub fn replace(&mut self, id: &str, prepared: Prepared) -> Result<(), DirError> {
        let pos = self.position(id).ok_or_else(|| not_found(id))?;
        let Prepared { row, keys, .. } = prepared;
        if row.id() != id {
            return Err(DirError::Syntax(format!(
                "the replacement has id {:?}, not {id:?}",
                row.id()
            )));
        }
        let unique_slots = row.slots(&self.layout, &self.layout.mask(self.layout.unique.iter().copied()));
        for &slot in &self.layout.unique {
            for value in strings(&unique_slots, slot) {
                if self.unique_conflict(slot, value, Some(pos)) {
                    return Err(uniqueness_error(&self.layout, slot, value));
                }
            }
        }
        if let Some(old) = self.rows[pos as usize].take() {
            let old_slots = old.slots(&self.layout, &self.layout.index_slots);
            self.index_slots(&old_slots, pos);
        }
        for &(i, key) in &*keys {
            self.indexes[i as usize].insert(key, pos);
        }
        self.rows[pos as usize] = Some(row);
        self.refresh(pos as usize..pos as usize + 1);
        Ok(())
    }

    /// Remove the resource `id`.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn delete(&mut self, id: &str) -> Result<(), DirError> {
        let pos = self.position(id).ok_or_else(|| not_found(id))?;
        self.by_id.remove(self.layout.hash(id), pos);
        if let Some(old) = self.rows[pos as usize].take() {
            let old_slots = old.slots(&self.layout, &self.layout.index_slots);
            self.index_slots(&old_slots, pos);
        }
        self.live -= 1;
        if self.rows.len() > 1024 && self.live < self.rows.len() / 2 {
            self.compact();
        } else {
            self.refresh(pos as usize..pos as usize + 1);
        }
        Ok(())
    }

    /// Evaluate `plan`, sort, and return the page `[start, start + count)` (0-based) with the total.
    #[must_use]
    pub fn search(&self, plan: &Plan, sort: Option<&SortSpec>, start: usize, count: Option<usize>) -> Page {
        self.search_page(plan, sort, start, count, false)
    }

    /// [`Store::search`], with [`Page::plain`] for the page writer (`page.rs`).
    #[must_use]
    pub fn search_plain(&self, plan: &Plan, sort: Option<&SortSpec>, start: usize, count: Option<usize>) -> Page {
        self.search_page(plan, sort, start, count, true)
    }

    /// The total of `plan`'s matches and the positions of the page `[start, start + count)` (0-based) by
    /// `sort`: the search without the page's resources (the benchmark's scan, `search_counts`).
    #[must_use]
    pub fn search_positions(
        &self,
        plan: &Plan,
        sort: Option<&SortSpec>,
        start: usize,
        count: Option<usize>,
    ) -> (usize, Vec<u32>) {
        let limit = count.map(|c| start.saturating_add(c));
        // Only the total is wanted: no sorting, no matches kept.
        let total_only = count == Some(0);
        let sort = sort.filter(|_| !total_only);
        let (total, mut hits) = match self.candidates(plan) {
            Some(candidates) => {
                let mut hits: Vec<u32> = candidates
                    .into_iter()
                    .filter(|&pos| {
                        self.rows[pos as usize]
                            .as_ref()
                            .is_some_and(|r| plan.matches(&r.slots(&self.layout, &self.layout.all_slots)))
                    })
                    .collect();
                let total = hits.len();
                if let Some(spec) = sort {
                    self.sort_hits(spec, &mut hits, limit);
                }
                (total, hits)
            }
            None => self.scan(plan, sort, if total_only { Some(0) } else { limit }),
        };
        let end = limit.map_or(hits.len(), |k| k.min(hits.len()));
        hits.truncate(end);
        hits.drain(..start.min(end));
        (total, hits)
    }

    fn search_page(
        &self,
        plan: &Plan,
        sort: Option<&SortSpec>,
        start: usize,
        count: Option<usize>,
        with_plain: bool,
    ) -> Page {
        let (total, hits) = self.search_positions(plan, sort, start, count);
        let rows: Vec<&Row> = hits
            .iter()
            .filter_map(|&pos| self.rows[pos as usize].as_ref())
            .collect();
        Page {
            total,
            resources: rows.iter().map(|r| Arc::clone(&r.json)).collect(),
            plain: if with_plain {
                let mut shapes = self.shapes.lock().unwrap_or_else(PoisonError::into_inner);
                rows.iter().map(|r| r.plain(&mut shapes)).collect()
            } else {
                Vec::new()
            },
        }
    }

    fn columns(&self) -> Columns<'_> {
        Columns {
            layout: &self.layout,
            rows: &self.rows,
            cache: &self.cache,
            threads: self.threads,
        }
    }

    /// `plan` bound to its columns (`None` if it cannot run on them) and the key column of `sort`, both
    /// built now if needed.
    fn bound(&self, plan: &Plan, sort: Option<&SortSpec>) -> (Option<Bound>, Option<Arc<Column>>) {
        let columns = self.columns();
        columns.prepare(plan, sort);
        let key = sort.and_then(|spec| columns.sort_column(spec));
        (columns.bind(plan), key)
    }

    /// Heap bytes of the columns a full scan of `plan` sorted by `sort` reads and of the sort order it walks
    /// (built now if needed). `None` if the plan cannot run on columns.
    #[must_use]
    pub fn scan_bytes(&self, plan: &Plan, sort: Option<&SortSpec>) -> Option<usize> {
        let (bound, key) = self.bound(plan, sort);
        let bound = bound?;
        let order = sort.zip(key.as_deref()).and_then(|(spec, key)| self.order(spec, key));
        Some(bound.column_bytes() + key.map_or(0, |k| k.heap_bytes()) + order.map_or(0, |o| o.heap_bytes()))
    }

    /// The bytes a full scan of `plan` must read and write (its columns built now if needed): what the
    /// filter streams ([`Bound::streamed_bytes`], a lower bound) and the bitmap of its matches, one bit a
    /// row. The benchmark's measure of the bytes a scan touches; a sorted scan's walk of its order (about
    /// `rows × count / matches` entries) or ranking of few matches is not counted. `None` if the plan
    /// cannot run on columns.
    #[must_use]
    pub fn scan_read_bytes(&self, plan: &Plan, sort: Option<&SortSpec>) -> Option<usize> {
        let (bound, _) = self.bound(plan, sort);
        Some(bound?.streamed_bytes() + self.rows.len().div_ceil(8))
    }

    /// Build now, in one pass over the stored JSON, the columns every full scan of `plans` sorted by any of
    /// `sorts` reads (what their first searches would build), what binding them builds (the tails an `ew`
    /// compares, the rests of text sort keys) and the sort orders of `sorts`.
    pub fn prepare(&self, plans: &[&Plan], sorts: &[&SortSpec]) {
        let columns = self.columns();
        columns.prepare_all(plans, sorts);
        for plan in plans {
            let _bound = columns.bind(plan);
        }
        for spec in sorts {
            if let Some(key) = columns.sort_column(spec) {
                let _order = self.order(spec, &key);
            }
        }
    }

    /// Approximate heap bytes held by the store (rows and their JSON, id map, indexes and columns), the
    /// allocator's per-allocation overhead included.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let rows: usize = self.rows.iter().flatten().map(Row::heap_bytes).sum();
        let row_table = self.rows.capacity() * std::mem::size_of::<Option<Row>>() + self.id_heads.capacity() * 8;
        let indexes: usize = self.indexes.iter().map(Postings::heap_bytes).sum();
        let columns = self.cache.read().map_or(0, |c| c.heap_bytes());
        let shapes = self.shapes.lock().map_or(0, |s| s.heap_bytes());
        let spare = self
            .spare
            .lock()
            .map_or(0, |s| s.as_ref().map_or(0, Matches::heap_bytes));
        rows + row_table + self.by_id.heap_bytes() + indexes + columns + shapes + spare
    }

    // -- evaluation --------------------------------------------------------------------------------------

    /// A full scan: the total number of matches and the matching positions, sorted and cut to `limit` when
    /// `sort` is given (else in insertion order, also cut). Evaluates on the columns (on the trees if one
    /// cannot be built), for large stores in shrinking chunks handed out to the threads as they ask for them
    /// ([`chunk_bounds`]; the calling thread is one of them), into a bitmap of the matches ([`Matches`]; only
    /// counted when `limit` is 0), from which the sorted page is taken: when the sort's order is built and
    /// worth walking ([`walks`]), by the same threads once the bitmap is whole ([`Walk`]), else by
    /// [`Store::ranked`].
    fn scan(&self, plan: &Plan, sort: Option<&SortSpec>, limit: Option<usize>) -> (usize, Vec<u32>) {
        let (bound, key_column) = self.bound(plan, sort);
        let all_live = self.live == self.rows.len();
        let n = self.rows.len();
        let spare = || self.spare.lock().unwrap_or_else(PoisonError::into_inner).take();
        // a scan on columns stores every word of the bitmap (`scan_blocks`); row by row sets bits
        let found = (limit != Some(0)).then(|| match bound {
            Some(_) => Matches::overwritten(spare(), n),
            None => Matches::reuse(spare(), n),
        });
        let threads = if n >= PARALLEL_THRESHOLD {
            self.threads.min(n / (PARALLEL_THRESHOLD / 2)).max(1)
        } else {
            1
        };
        let bounds = if threads == 1 {
            vec![0, n]
        } else {
            chunk_bounds(n, threads)
        };
        let order = sort.filter(|_| key_column.is_some() && found.is_some());
        let order = order.and_then(|spec| self.columns().built_order(spec));
        let walk = order
            .as_deref()
            .zip(found.as_ref())
            .map(|(order, found)| Walk::new(order, found, threads, limit.unwrap_or(0)));
        let next = AtomicUsize::new(0);
        // rows scanned and matches found, by all threads (the walk waits for the whole bitmap)
        let (scanned, found_all) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let work = || -> usize {
            let (mut total, mut rows) = (0, 0);
            loop {
                let chunk = next.fetch_add(1, AtomicOrdering::Relaxed);
                let Some(&[start, end]) = bounds.get(chunk..chunk + 2) else {
                    break;
                };
                rows += end - start;
                let range = start..end;
                if let Some(bound) = &bound {
                    total += wide(
                        // inlined into the AVX2 form with `scan_blocks`
                        #[inline(always)]
                        || scan_blocks(bound, &self.rows, all_live, range, found.as_ref()),
                    );
                } else {
                    for pos in range {
                        let hit = self.rows[pos]
                            .as_ref()
                            .is_some_and(|r| plan.matches(&r.slots(&self.layout, &self.layout.all_slots)));
                        if hit {
                            total += 1;
                            if let Some(found) = &found {
                                found.set(pos);
                            }
                        }
                    }
                }
            }
            if let Some(walk) = &walk {
                found_all.fetch_add(total, AtomicOrdering::Relaxed);
                scanned.fetch_add(rows, AtomicOrdering::Release);
                wait_until(|| scanned.load(AtomicOrdering::Acquire) == n);
                let all = found_all.load(AtomicOrdering::Relaxed);
                let page = page_len(limit, all);
                if walks(n, page, all) {
                    walk.help(page);
                }
            }
            total
        };
        let total = run_on(threads, work).into_iter().sum();
        let Some(matches) = &found else {
            return (total, Vec::new());
        };
        let page = page_len(limit, total);
        let hits = match (sort, key_column, walk) {
            (None, ..) => matches.positions().take(page).collect(),
            (Some(spec), Some(column), Some(walk)) if walks(n, page, total) => {
                walk.finish(&self.sorter(spec, &column), n, page)
            }
            (Some(spec), Some(column), _) => self.ranked(spec, &column, matches, total, page),
            (Some(spec), None, _) => {
                let mut hits = matches.positions().collect();
                self.sort_hits(spec, &mut hits, limit);
                hits
            }
        };
        *self.spare.lock().unwrap_or_else(PoisonError::into_inner) = found;
        (total, hits)
    }

    /// The first `page` of the `total` rows in `matches` by `spec`, whose key column is `column`: few
    /// matches are ranked one by one (a read of each one's key), many by walking the spec's sort order
    /// ([`Order`], built now if needed; [`walks`]).
    fn ranked(&self, spec: &SortSpec, column: &Column, matches: &Matches, total: usize, page: usize) -> Vec<u32> {
        let sorter = self.sorter(spec, column);
        if page == 0 {
            return Vec::new();
        }
        if walks(self.rows.len(), page, total) {
            if let Some(order) = self.columns().order(&sorter) {
                return order.first(&sorter, matches, self.rows.len(), page);
            }
        }
        let ranked = matches.positions().map(|pos| (sorter.full_rank(pos), pos)).collect();
        sorter.finish(ranked, Some(page))
    }

    /// The sort order of `spec`, whose key column is `column` ([`Order`]), built now if needed.
    fn order(&self, spec: &SortSpec, column: &Column) -> Option<Arc<Order>> {
        self.columns().order(&self.sorter(spec, column))
    }

    /// What orders the rows by `spec`, whose key column is `column`.
    fn sorter<'a>(&'a self, spec: &'a SortSpec, column: &'a Column) -> Sorter<'a> {
        Sorter {
            column,
            spec,
            rows: &self.rows,
            id_heads: &self.id_heads,
        }
    }

    /// Sort `hits` by `spec` and keep the first `limit` (top-k selection first when that is fewer), on trees
    /// parsed once per hit (the few candidates of an index lookup).
    pub(super) fn sort_hits(&self, spec: &SortSpec, hits: &mut Vec<u32>, limit: Option<usize>) {
        let wanted = self.layout.mask([spec.slot]);
        let parsed: Vec<(Slots, u32)> = hits
            .iter()
            .map(|&pos| {
                let slots = self.rows[pos as usize]
                    .as_ref()
                    .map(|r| r.slots(&self.layout, &wanted))
                    .unwrap_or_default();
                (slots, pos)
            })
            .collect();
        let mut keyed: Vec<(Option<&Node>, &str, u32)> = parsed
            .iter()
            .map(|(slots, pos)| {
                let id = self.rows[*pos as usize].as_ref().map_or("", Row::id);
                (spec.key(slots), id, *pos)
            })
            .collect();
        let cmp = |a: &(Option<&Node>, &str, u32), b: &(Option<&Node>, &str, u32)| spec.compare((a.0, a.1), (b.0, b.1));
        if let Some(k) = limit.filter(|&k| k < keyed.len()) {
            if k == 0 {
                keyed.clear();
            } else {
                keyed.select_nth_unstable_by(k - 1, cmp);
                keyed.truncate(k);
            }
        }
        keyed.sort_unstable_by(cmp);
        hits.clear();
        hits.extend(keyed.into_iter().map(|(_, _, pos)| pos));
    }

    /// Rows that may match, from the equality indexes, or `None` when the plan needs a full scan.
    /// A superset is fine: every candidate is checked against the whole plan.
    fn candidates(&self, plan: &Plan) -> Option<Vec<u32>> {
        match plan {
            Plan::Compare {
                target:
                    Target {
                        slot: Some(slot),
                        sub: None,
                        ..
                    },
                op: Op::Eq,
                literal: Literal::Str(lit),
            } => {
                let i = self.layout.indexed.iter().position(|s| s == slot)?;
                let mut found = self.indexes[i].get(self.layout.index_key(lit)).to_vec();
                found.sort_unstable();
                Some(found)
            }
            Plan::And(terms) => terms.iter().filter_map(|t| self.candidates(t)).min_by_key(Vec::len),
            Plan::Or(terms) => {
                let mut all = Vec::new();
                for term in terms {
                    all.extend(self.candidates(term)?);
                }
                all.sort_unstable();
                all.dedup();
                Some(all)
            }
            _ => None,
        }
    }

    // -- indexes -----------------------------------------------------------------------------------------

    /// Forget the indexed values of `slots` (a row's old version) for the row at `pos`.
    fn index_slots(&mut self, slots: &[(u16, Node)], pos: u32) {
        for (i, key) in index_keys(&self.layout, slots) {
            self.indexes[i as usize].remove(key, pos);
        }
    }

    /// Does another row (not `except`) hold `value` (comparison form) in the unique `slot`?
    fn unique_conflict(&self, slot: u16, value: &str, except: Option<u32>) -> bool {
        let Some(i) = self.layout.indexed.iter().position(|s| *s == slot) else {
            return false;
        };
        let candidates = self.indexes[i].get(self.layout.index_key(value));
        if candidates.iter().all(|&p| Some(p) == except) {
            return false;
        }
        let wanted = self.layout.mask([slot]);
        candidates.iter().any(|&p| {
            Some(p) != except
                && self.rows[p as usize]
                    .as_ref()
                    .is_some_and(|r| strings(&r.slots(&self.layout, &wanted), slot).any(|v| v == value))
        })
    }

    /// Bring the columns up to date with the rows `positions` (added, replaced or deleted).
    fn refresh(&mut self, positions: Range<usize>) {
        let cache = self.cache.get_mut().unwrap_or_else(PoisonError::into_inner);
        cache.update(&self.layout, &self.rows, positions);
    }

    /// Drop deleted rows and renumber positions (insertion order kept); the columns are rebuilt lazily.
    fn compact(&mut self) {
        self.cache = RwLock::default();
        let mut new = vec![0u32; self.rows.len()];
        let mut next = 0u32;
        for (pos, row) in self.rows.iter().enumerate() {
            if row.is_some() {
                new[pos] = next;
                next += 1;
            }
        }
        let live = self.rows.iter().map(Option::is_some);
        self.id_heads = self
            .id_heads
            .iter()
            .zip(live)
            .filter(|(_, live)| *live)
            .map(|(h, _)| *h)
            .collect();
        self.rows.retain(Option::is_some);
        self.by_id.renumber(&new);
        for index in &mut self.indexes {
            index.renumber(&new);
        }
    }
}

/// The length of the page of a search for `limit` results (`None`: all) of `total` matches.
fn page_len(limit: Option<usize>, total: usize) -> usize {
    limit.unwrap_or(total).min(total)
}

/// Is the first `page` of `total` matches among `rows` rows better found by walking the sort's order than by
/// ranking every match? Ranking a match reads its key and id (scattered); a step of the walk reads one entry
/// and one bit, and the walk takes about `rows × page / total` steps.
fn walks(rows: usize, page: usize, total: usize) -> bool {
    page > 0 && rows as u128 * page as u128 <= 16 * (total as u128).pow(2)
}

/// The bounds of the chunks a parallel scan of `n` rows on `threads` threads hands out, in order, as the
/// threads ask for them: each a `2 × threads`-th of the rows left (a multiple of [`BLOCK`], at least
/// [`MIN_CHUNK`]), so that few chunks are handed out and the last ones are short: the threads finish within
/// about a microsecond of each other, and a thread slowed by another process's load takes fewer.
fn chunk_bounds(n: usize, threads: usize) -> Vec<usize> {
    let mut bounds = vec![0];
    let mut start = 0;
    while start < n {
        let size = ((n - start) / (2 * threads)).max(MIN_CHUNK).next_multiple_of(BLOCK);
        start = (start + size).min(n);
        bounds.push(start);
    }
    bounds
}

/// Evaluate `bound` over `range` block by block and return the number of matches, recorded in `found`
/// when given (else only counted): each block's matches become a bitmap, counted with `popcnt`, and every
/// block's words are stored, matches or not (`found` is not cleared first: [`Matches::overwritten`]). Always
/// inlined into its one caller's [`wide`] closure, so that it is compiled with AVX2 there.
#[allow(clippy::inline_always)]
#[inline(always)]
fn scan_blocks(
    bound: &Bound,
    rows: &[Option<Row>],
    all_live: bool,
    range: Range<usize>,
    found: Option<&Matches>,
) -> usize {
    let mut matched = [false; BLOCK];
    let mut total = 0;
    for start in range.clone().step_by(BLOCK) {
        let len = BLOCK.min(range.end - start);
        let matched = &mut matched[..len];
        bound.block(start, matched);
        if !all_live {
            for (m, row) in matched.iter_mut().zip(&rows[start..start + len]) {
                *m &= row.is_some();
            }
        }
        let mut bits = [0u64; BLOCK / 64];
        to_bits(matched, &mut bits);
        total += bits.iter().map(|b| b.count_ones() as usize).sum::<usize>();
        if let Some(found) = found {
            found.set_block(start, &bits[..len.div_ceil(64)]);
        }
    }
    total
}

/// A table [`Store::fill_tables`] fills: the id map, or the equality index `i` (of `slot`; `unique`: its
/// position in `layout.unique` when its values must be unique).
#[derive(Clone, Copy)]
enum Table {
    Ids,
    Index { i: u16, slot: u16, unique: Option<usize> },
}

/// How far a table was filled: the batch rows recorded (those before the clash, if any) and the clash.
struct Filled {
    rows: usize,
    clash: Option<Clash>,
}

/// A uniqueness conflict: the batch row, its rank among the row's checks (0 the id, `1 + u` the unique
/// attribute `u`) and the error naming it.
struct Clash {
    row: usize,
    rank: usize,
    error: DirError,
}

/// The rows a batch is checked against: the stored ones (positions below `first`) and the batch's own.
struct BatchView<'a> {
    layout: &'a Layout,
    stored: &'a [Option<Row>],
    batch: &'a [Prepared],
    first: usize,
}

impl BatchView<'_> {
    fn row(&self, pos: u32) -> Option<&Row> {
        let pos = pos as usize;
        match pos.checked_sub(self.first) {
            Some(j) => self.batch.get(j).map(|p| &p.row),
            None => self.stored.get(pos).and_then(Option::as_ref),
        }
    }

    /// The values of the row at `pos` in the top-level `slot` (comparison form), parsed from its JSON.
    fn values(&self, pos: u32, slot: u16) -> Vec<Box<str>> {
        self.row(pos).map_or_else(Vec::new, |row| {
            strings(&row.slots(self.layout, &self.layout.mask([slot])), slot)
                .map(Box::from)
                .collect()
        })
    }

    /// Record the batch in `postings` as `table`, checking uniqueness (ids, unique values); stops at the first
    /// clash.
    fn fill(&self, table: Table, postings: &mut Postings) -> Filled {
        postings.reserve(self.batch.len());
        for (j, prepared) in self.batch.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)] // below MAX_POSITION (checked by add_many)
            let pos = (self.first + j) as u32;
            let clash = match table {
                Table::Ids => {
                    let id = prepared.row.id_bytes();
                    let clashes = |p: u32| self.row(p).is_some_and(|r| r.id_bytes() == id);
                    postings.insert_unless(prepared.id_key, pos, clashes).map(|_| Clash {
                        row: j,
                        rank: 0,
                        error: DirError::Uniqueness(format!(
                            "a resource with id {:?} already exists",
                            prepared.row.id()
                        )),
                    })
                }
                Table::Index { i, slot, unique } => {
                    let mut clash = None;
                    for &(_, key) in prepared.keys.iter().filter(|(index, _)| *index == i) {
                        let Some(u) = unique else {
                            postings.insert(key, pos);
                            continue;
                        };
                        let mut taken = None;
                        postings.insert_unless(key, pos, |p| {
                            taken = self.taken(slot, key, pos, p);
                            taken.is_some()
                        });
                        if let Some(value) = taken {
                            clash = Some(Clash {
                                row: j,
                                rank: 1 + u,
                                error: uniqueness_error(self.layout, slot, &value),
                            });
                            break;
                        }
                    }
                    clash
                }
            };
            if clash.is_some() {
                return Filled { rows: j + 1, clash };
            }
        }
        Filled {
            rows: self.batch.len(),
            clash: None,
        }
    }

    /// A value of the row at `pos` in the unique `slot` whose index key is `key` and which the row at `other`
    /// (recorded under `key`) holds too; for `other == pos`, a value the row holds twice. Parsed from the JSON:
    /// only rows whose hashes collide get here.
    fn taken(&self, slot: u16, key: u32, pos: u32, other: u32) -> Option<Box<str>> {
        let mine = self.values(pos, slot);
        let theirs = if other == pos {
            Vec::new()
        } else {
            self.values(other, slot)
        };
        mine.iter()
            .enumerate()
            .find(|(k, value)| {
                self.layout.index_key(value) == key
                    && if other == pos {
                        mine[..*k].contains(value)
                    } else {
                        theirs.contains(value)
                    }
            })
            .map(|(_, value)| value.clone())
    }

    /// Take the first `rows` rows of the batch out of `postings` again (after a clash).
    fn unfill(&self, table: Table, postings: &mut Postings, rows: usize) {
        for (j, prepared) in self.batch.iter().enumerate().take(rows) {
            #[allow(clippy::cast_possible_truncation)] // below MAX_POSITION (checked by add_many)
            let pos = (self.first + j) as u32;
            match table {
                Table::Ids => postings.remove(prepared.id_key, pos),
                Table::Index { i, .. } => {
                    for &(_, key) in prepared.keys.iter().filter(|(index, _)| *index == i) {
                        postings.remove(key, pos);
                    }
                }
            }
        }
    }
}

fn uniqueness_error(layout: &Layout, slot: u16, value: &str) -> DirError {
    let name = &layout.attrs[slot as usize].name;
    DirError::Uniqueness(format!("{name} {value:?} is already taken by another resource"))
}

fn not_found(id: &str) -> DirError {
    DirError::NotFound(format!("no resource with id {id:?}"))
}

/// Where `needle` (not empty) first occurs in `haystack`: candidates found by their first byte.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let start = from + at;
        if haystack.get(start + 1..start + needle.len()) == Some(rest) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// `(index, key)` of every indexed value of `slots` (an index per `layout.indexed` slot, same order).
pub(crate) fn index_keys<'a>(layout: &'a Layout, slots: &'a [(u16, Node)]) -> impl Iterator<Item = (u16, u32)> + 'a {
    layout.indexed.iter().enumerate().flat_map(move |(i, &slot)| {
        #[allow(clippy::cast_possible_truncation)] // fewer indexes than slots (u16)
        let i = i as u16;
        strings(slots, slot).map(move |value| (i, layout.index_key(value)))
    })
}

/// The text values (comparison form) held in a top-level slot: the value itself, or a list's elements.
pub(crate) fn strings<'a>(slots: &'a [(u16, Node)], slot: u16) -> impl Iterator<Item = &'a str> + 'a {
    let node = slot_node(slots, slot);
    let items: &'a [Node] = match node {
        Some(Node::List(items)) => items,
        Some(node) => std::slice::from_ref(node),
        None => &[],
    };
    items.iter().filter_map(|n| match n {
        Node::Str(s) => Some(&**s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::{chunk_bounds, BLOCK, MIN_CHUNK};

    /// The chunks cover the rows once, in order, on block boundaries, shrinking to [`MIN_CHUNK`]; few of them.
    #[test]
    fn chunks_cover_the_rows_and_shrink() {
        for (n, threads) in [
            (0, 2),
            (1, 2),
            (32_768, 2),
            (300_000, 2),
            (1_000_000, 2),
            (1_000_000, 8),
        ] {
            let bounds = chunk_bounds(n, threads);
            assert_eq!((bounds[0], bounds[bounds.len() - 1]), (0, n));
            let sizes: Vec<usize> = bounds.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(sizes.iter().all(|&s| s > 0) || n == 0, "{n}");
            assert!(bounds[..bounds.len() - 1].iter().all(|b| b % BLOCK == 0), "{n}");
            assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{n}: {sizes:?}");
            let full = &sizes[..sizes.len().saturating_sub(1)];
            assert!(full.iter().all(|&s| s >= MIN_CHUNK), "{n}: {sizes:?}");
            assert!(sizes.len() <= 40 * threads, "{n}: {} chunks", sizes.len());
        }
    }
}
