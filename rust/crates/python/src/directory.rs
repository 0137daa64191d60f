//! Binding of the native directory store (the `scimcore-directory` crate) as `scimcore._native.DirectoryStore`.
//!
//! The store lives behind a `RwLock`; every call that touches it releases the GIL first (`py.detach`), so
//! searches run in parallel with each other and with Python code, and a thread waiting for the lock never
//! holds the GIL (no lock-order deadlock). JSON parsing of new resources happens before the write lock is
//! taken, on several threads for large batches. Errors become `scimcore.errors` classes.

use std::num::NonZeroUsize;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyBytesMethods, PyList};

use scimcore_directory::layout::AttrSpec;
use scimcore_directory::page::{Projection, Rule, Scope};
use scimcore_directory::plan::{Literal, PlanSpec};
use scimcore_directory::sort::SortKind;
use scimcore_directory::{fold, parse_datetime, DirError, Layout, Page, Plan, Prepared, SortSpec, Store};
use scimcore_filter::ast::CompareOp;

/// Batches at least this large are parsed on several threads.
const PARALLEL_PARSE: usize = 4096;

/// Page buffers above this capacity are not kept for the thread's next page (1 MiB: about 600 resources).
const KEPT_PAGE_BUFFER: usize = 1 << 20;

thread_local! {
    /// The last page body this thread wrote ([`DirectoryStore::search_json`]), kept for its next page: a page of
    /// 100 resources is about 150 KB, and a fresh allocation that large each search, from a heap other
    /// libraries in the process had fragmented, cost more than writing the page (glibc's `malloc` searching
    /// its bins: 0.1-0.3 ms a page at 1,000,000 users in the benchmark's process).
    static PAGE_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(to_py_err)`
fn to_py_err(error: DirError) -> PyErr {
    let class = match &error {
        DirError::Syntax(_) => "InvalidSyntax",
        DirError::Uniqueness(_) => "Uniqueness",
        DirError::NotFound(_) => "NotFound",
        DirError::Layout(_) | DirError::Plan(_) => "ScimError",
    };
    Python::attach(|py| {
        let made = py
            .import("scimcore.errors")
            .and_then(|m| m.getattr(class))
            .and_then(|cls| cls.call1((error.to_string(),)));
        match made {
            Ok(instance) => PyErr::from_value(instance),
            Err(import_error) => import_error,
        }
    })
}

fn poisoned() -> PyErr {
    PyRuntimeError::new_err("the directory store lock is poisoned (a writer panicked)")
}

/// A filter plan checked against a store's layout (by `DirectoryStore.plan`), reused by every search with
/// the same filter.
#[pyclass(frozen, module = "scimcore._native", name = "FilterPlan")]
pub struct FilterPlan(Plan);

/// A node of a filter plan as `scimcore._directory_plan` lowers a bound filter (`scimcore_directory::plan`):
/// slots and sub-attribute indexes (`None`: the value-path element / no sub-attribute), an operator keyword
/// of the filter grammar, a converted literal.
#[pyclass(frozen, module = "scimcore._native", name = "PlanNode")]
#[derive(Clone)]
pub struct PlanNode(PlanSpec);

fn specs(terms: &[PyRef<'_, PlanNode>]) -> Vec<PlanSpec> {
    terms.iter().map(|t| t.0.clone()).collect()
}

fn operator(op: &str) -> PyResult<CompareOp> {
    CompareOp::from_keyword(op).ok_or_else(|| PyValueError::new_err(format!("not a filter operator: {op:?}")))
}

#[pymethods]
impl PlanNode {
    /// Every resource (`true`) or none.
    #[staticmethod]
    fn constant(value: bool) -> Self {
        Self(PlanSpec::Const(value))
    }

    #[staticmethod]
    #[allow(clippy::needless_pass_by_value)] // extracted from a Python list
    fn all(terms: Vec<PyRef<'_, PlanNode>>) -> Self {
        Self(PlanSpec::And(specs(&terms)))
    }

    #[staticmethod]
    #[allow(clippy::needless_pass_by_value)] // extracted from a Python list
    fn any(terms: Vec<PyRef<'_, PlanNode>>) -> Self {
        Self(PlanSpec::Or(specs(&terms)))
    }

    #[staticmethod]
    fn negate(filter: &PlanNode) -> Self {
        Self(PlanSpec::Not(Box::new(filter.0.clone())))
    }

    #[staticmethod]
    #[pyo3(signature = (slot, sub))]
    fn present(slot: Option<u16>, sub: Option<u16>) -> Self {
        Self(PlanSpec::Present { slot, sub })
    }

    /// One element of the complex attribute in `slot` satisfies `filter` (whose slots are `None`).
    #[staticmethod]
    fn element(slot: u16, filter: &PlanNode) -> Self {
        Self(PlanSpec::ValuePath {
            slot,
            filter: Box::new(filter.0.clone()),
        })
    }

    /// A comparison with text (already folded unless the attribute is `caseExact`).
    #[staticmethod]
    #[pyo3(signature = (slot, sub, op, text))]
    fn text(slot: Option<u16>, sub: Option<u16>, op: &str, text: &str) -> PyResult<Self> {
        compare(slot, sub, op, Literal::Str(text.into()))
    }

    #[staticmethod]
    #[pyo3(signature = (slot, sub, op, value))]
    fn boolean(slot: Option<u16>, sub: Option<u16>, op: &str, value: bool) -> PyResult<Self> {
        compare(slot, sub, op, Literal::Bool(value))
    }

    #[staticmethod]
    #[pyo3(signature = (slot, sub, op, value))]
    fn integer(slot: Option<u16>, sub: Option<u16>, op: &str, value: i64) -> PyResult<Self> {
        compare(slot, sub, op, Literal::Int(value))
    }

    /// A number that is not an `i64`: the nearest float and the sign of `float - exact value`.
    #[staticmethod]
    #[pyo3(signature = (slot, sub, op, nearest, side))]
    fn number(slot: Option<u16>, sub: Option<u16>, op: &str, nearest: f64, side: i8) -> PyResult<Self> {
        compare(slot, sub, op, Literal::Float(nearest, side.signum()))
    }

    /// A dateTime: microseconds since the epoch.
    #[staticmethod]
    #[pyo3(signature = (slot, sub, op, micros))]
    fn instant(slot: Option<u16>, sub: Option<u16>, op: &str, micros: i64) -> PyResult<Self> {
        compare(slot, sub, op, Literal::DateTime(micros))
    }
}

fn compare(slot: Option<u16>, sub: Option<u16>, op: &str, literal: Literal) -> PyResult<PlanNode> {
    Ok(PlanNode(PlanSpec::Compare {
        slot,
        sub,
        op: operator(op)?,
        literal,
    }))
}

/// A sort specification (RFC 7644 §3.4.2.3) for a store's layout.
#[pyclass(frozen, module = "scimcore._native", name = "SortPlan")]
pub struct SortPlan(SortSpec);

#[pymethods]
impl SortPlan {
    /// `SortPlan(slot, sub, primary, multi, kind, descending)`: `kind` is `text`, `number`, `bool` or
    /// `datetime`; `primary` the index of the `primary` sub-attribute of a complex attribute.
    #[new]
    #[pyo3(signature = (slot, sub, primary, multi, kind, descending))]
    fn new(
        slot: u16,
        sub: Option<u16>,
        primary: Option<u16>,
        multi: bool,
        kind: &str,
        descending: bool,
    ) -> PyResult<Self> {
        let kind = match kind {
            "text" => SortKind::Text,
            "number" => SortKind::Number,
            "bool" => SortKind::Bool,
            "datetime" => SortKind::DateTime,
            _ => return Err(PyValueError::new_err(format!("not a sort kind: {kind:?}"))),
        };
        Ok(SortPlan(SortSpec {
            slot,
            sub,
            primary,
            multi,
            kind,
            descending,
            ids_descending: false,
        }))
    }
}

/// One attribute's projection rule: `(lower-case name, keep, complex, [(lower-case sub name, kept)], keep
/// unknown sub-attributes)`.
type PyRule = (String, bool, bool, Vec<(String, bool)>, bool);
/// The attributes of the base schema or one extension: `([rule], keep unknown attributes)`.
type PyScope = (Vec<PyRule>, bool);

fn scope((rules, unknown): PyScope) -> Scope {
    Scope {
        attrs: rules
            .into_iter()
            .map(|(name, keep, complex, subs, unknown_sub)| {
                let subs = subs
                    .into_iter()
                    .map(|(n, k)| (n.into_bytes().into_boxed_slice(), k))
                    .collect();
                (
                    name.into_bytes().into_boxed_slice(),
                    Rule {
                        keep,
                        complex,
                        subs,
                        unknown_sub,
                    },
                )
            })
            .collect(),
        unknown,
    }
}

/// One request's projection (`attributes`, `excludedAttributes`, `returned`), decided by
/// `scimcore.store.native` and applied to the page by `DirectoryStore.search_json`.
#[pyclass(frozen, module = "scimcore._native", name = "PageProjection")]
pub struct PageProjection(Projection);

#[pymethods]
impl PageProjection {
    /// `PageProjection(base_schema, base, extensions)`: `base` is `([rule], keep unknown)` with each rule
    /// `(lower-case name, keep, complex, [(lower-case sub name, kept)], keep unknown subs)`; `extensions`
    /// is `[(URN, scope)]` in the resource type's order.
    #[new]
    fn new(base_schema: String, base: PyScope, extensions: Vec<(String, PyScope)>) -> Self {
        PageProjection(Projection::new(
            base_schema.into_boxed_str(),
            scope(base),
            extensions
                .into_iter()
                .map(|(urn, s)| (urn.into_boxed_str(), scope(s)))
                .collect(),
        ))
    }
}

/// An attribute of a layout: `(extension URN or None, name, type, caseExact, multiValued, sub-attributes)`.
#[derive(FromPyObject)]
struct PyAttr(Option<String>, String, String, bool, bool, Vec<PyAttr>);

impl PyAttr {
    fn spec(self) -> AttrSpec {
        let PyAttr(ext, name, type_name, case_exact, multi, subs) = self;
        AttrSpec {
            ext,
            name,
            type_name,
            case_exact,
            multi,
            subs: subs.into_iter().map(PyAttr::spec).collect(),
        }
    }
}

/// The native store of one resource type.
#[pyclass(frozen, module = "scimcore._native", name = "DirectoryStore")]
pub struct DirectoryStore {
    store: RwLock<Store>,
    layout: Arc<Layout>,
}

impl DirectoryStore {
    fn read(&self) -> PyResult<RwLockReadGuard<'_, Store>> {
        self.store.read().map_err(|_| poisoned())
    }

    fn write(&self) -> PyResult<RwLockWriteGuard<'_, Store>> {
        self.store.write().map_err(|_| poisoned())
    }
}

fn parse_all(layout: &Layout, docs: &[&[u8]]) -> Result<Vec<Prepared>, DirError> {
    // available_parallelism() reads cgroup files on Linux (~30 µs): asked only for a batch worth splitting
    let threads = if docs.len() < PARALLEL_PARSE {
        1
    } else {
        std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
    };
    if threads == 1 {
        return Prepared::parse_batch(layout, docs, None).into_iter().collect();
    }
    let chunk = docs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(chunk)
            .map(|part| s.spawn(move || Prepared::parse_batch(layout, part, None)))
            .collect();
        let mut out = Vec::with_capacity(docs.len());
        for handle in handles {
            let part = handle
                .join()
                .map_err(|_| DirError::Syntax("a parser thread failed".into()))?;
            for prepared in part {
                out.push(prepared?);
            }
        }
        Ok(out)
    })
}

/// The lines of an NDJSON document: each parsed and ready to store, or (`None`) to be completed in Python
/// first, listed in `complete` as `(index in ready, line number, bytes)`.
#[derive(Default)]
struct Lines<'a> {
    ready: Vec<Option<Prepared>>,
    complete: Vec<(usize, usize, &'a [u8])>,
}

/// Whether a byte is ASCII whitespace as Python's `bytes.strip()` sees it.
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The position of the first `\n` or `\r` in `data` at or after `from` (eight bytes at a time).
fn line_end(data: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGH != 0
    };
    let mut i = from;
    while let Some(chunk) = data.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if has(word, b'\n') || has(word, b'\r') {
            break;
        }
        i += 8;
    }
    data.get(i..)?
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map(|p| i + p)
}

/// Where the line after the line end at `end` starts (a `\r\n` is one line end).
fn next_start(data: &[u8], end: usize) -> usize {
    if data[end] == b'\r' && data.get(end + 1) == Some(&b'\n') {
        end + 2
    } else {
        end + 1
    }
}

/// The lines of `data` as Python's `bytes.splitlines()` cuts them (at `\n`, `\r\n` and `\r`), numbered
/// from `first`, without the blank ones.
fn split_lines(data: &[u8], first: usize) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let (mut start, mut number) = (0, first);
    loop {
        let end = line_end(data, start);
        let line = &data[start..end.unwrap_or(data.len())];
        if !line.iter().all(|&b| blank(b)) {
            out.push((number, line));
        }
        let Some(end) = end else {
            return out;
        };
        number += 1;
        start = next_start(data, end);
    }
}

/// The number of line ends in `data` (as [`split_lines`] counts them).
fn line_ends(data: &[u8]) -> usize {
    let (mut count, mut start) = (0, 0);
    while let Some(end) = line_end(data, start) {
        count += 1;
        start = next_start(data, end);
    }
    count
}

/// Documents at least this large are split and parsed on several threads.
const PARALLEL_NDJSON: usize = 1 << 20;

/// Cut `data` into NDJSON lines and parse each: ready when it parses and needs nothing filled in (an `id`,
/// and with `complete_meta` a `meta` with `resourceType`, `created`, `lastModified` and `version`), else to
/// be completed. Several threads each take a part of `data` ending at a line end.
fn read_ndjson<'a>(layout: &Layout, data: &'a [u8], complete_meta: bool, flag: Option<&str>) -> Lines<'a> {
    let read = |part: &'a [u8], first: usize| -> Lines<'a> {
        let lines = split_lines(part, first);
        let docs: Vec<&[u8]> = lines.iter().map(|&(_, line)| line).collect();
        let mut out = Lines {
            ready: Vec::with_capacity(lines.len()),
            complete: Vec::new(),
        };
        for (i, (prepared, (number, line))) in Prepared::parse_batch(layout, &docs, flag)
            .into_iter()
            .zip(lines)
            .enumerate()
        {
            out.ready.push(match prepared {
                Ok(prepared) if !complete_meta || prepared.meta_complete() => Some(prepared),
                _ => {
                    out.complete.push((i, number, line));
                    None
                }
            });
        }
        out
    };
    let threads = if data.len() >= PARALLEL_NDJSON {
        std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
    } else {
        1
    };
    if threads == 1 {
        return read(data, 1);
    }
    // part boundaries just after a line end (a `\r\n` kept whole)
    let mut bounds = vec![0];
    for t in 1..threads {
        let mut at = (data.len() * t / threads).max(*bounds.last().unwrap_or(&0));
        while at < data.len() && !matches!(data[at], b'\n' | b'\r') {
            at += 1;
        }
        if at < data.len() {
            at += if data[at] == b'\r' && data.get(at + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        }
        bounds.push(at);
    }
    bounds.push(data.len());
    let parts: Vec<&[u8]> = bounds.windows(2).map(|w| &data[w[0]..w[1]]).collect();
    // the first line number of each part
    let mut firsts = vec![1];
    for part in &parts[..parts.len() - 1] {
        firsts.push(firsts.last().unwrap_or(&1) + line_ends(part));
    }
    let parts: Vec<Lines<'a>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .zip(&firsts)
            .map(|(&part, &first)| s.spawn(move || read(part, first)))
            .collect();
        // a panic in a parser thread is a bug: re-raised here, on the calling thread
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    // the first part's lines stay where they are; the others' are moved after them
    let rest: usize = parts.iter().skip(1).map(|p| p.ready.len()).sum();
    let mut parts = parts.into_iter();
    let mut all = parts.next().unwrap_or_default();
    all.ready.reserve_exact(rest);
    for part in parts {
        let offset = all.ready.len();
        all.complete.extend(
            part.complete
                .into_iter()
                .map(|(i, number, line)| (offset + i, number, line)),
        );
        all.ready.extend(part.ready);
    }
    all
}

fn bytes_list<'py>(py: Python<'py>, items: &[Arc<[u8]>]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, items.iter().map(|json| PyBytes::new(py, json)))
}

#[pymethods]
impl DirectoryStore {
    /// `DirectoryStore(attrs, indexed, unique)`: an empty store for the layout `scimcore._directory_plan`
    /// computes (`attrs` as `PyAttr` tuples, slot `i` being `attrs[i]`; the slots with an index, the unique ones).
    #[new]
    #[allow(clippy::needless_pass_by_value)] // extracted from Python lists
    fn new(attrs: Vec<PyAttr>, indexed: Vec<u16>, unique: Vec<u16>) -> PyResult<Self> {
        let attrs: Vec<AttrSpec> = attrs.into_iter().map(PyAttr::spec).collect();
        let layout = Layout::new(&attrs, &indexed, &unique).map_err(to_py_err)?;
        Ok(DirectoryStore {
            store: RwLock::new(Store::new(layout.clone())),
            layout: Arc::new(layout),
        })
    }

    /// Check a filter plan against this store's layout.
    fn plan(&self, plan: &PlanNode) -> PyResult<FilterPlan> {
        Plan::bind(&plan.0, &self.layout).map(FilterPlan).map_err(to_py_err)
    }

    /// Add resources (complete JSON objects with an `id`), all or none.
    #[allow(clippy::needless_pass_by_value)] // extracted from a Python list
    fn add_many(&self, py: Python<'_>, docs: Vec<Bound<'_, PyBytes>>) -> PyResult<()> {
        // the bytes objects are immutable and stay alive (held by `docs`) while the GIL is released
        let slices: Vec<&[u8]> = docs.iter().map(PyBytesMethods::as_bytes).collect();
        let layout = Arc::clone(&self.layout);
        py.detach(|| -> PyResult<()> {
            let prepared = parse_all(&layout, &slices).map_err(to_py_err)?;
            self.write()?.add_many(prepared).map_err(to_py_err)
        })
    }

    /// Import the NDJSON document `data` (one resource a line; blank lines skipped), all or none: lines that
    /// parse and need nothing filled in (see `read_ndjson`) are stored as they are; each other line goes to
    /// `complete(line_number, line)` (Python: fill in `id`/`meta`, or raise), whose bytes are stored.
    /// Returns the number stored and the stored documents having the top-level key `flag`.
    #[pyo3(signature = (data, complete_meta, complete, flag=None))]
    fn load_ndjson<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyBytes>,
        complete_meta: bool,
        complete: &Bound<'py, PyAny>,
        flag: Option<&str>,
    ) -> PyResult<(usize, Bound<'py, PyList>)> {
        let layout = Arc::clone(&self.layout);
        let bytes = data.as_bytes();
        let Lines {
            mut ready,
            complete: to_complete,
        } = py.detach(|| read_ndjson(&layout, bytes, complete_meta, flag));
        let mut completed: Vec<(usize, usize, Bound<'py, PyBytes>)> = Vec::with_capacity(to_complete.len());
        for (i, number, raw) in to_complete {
            let document = complete.call1((number, PyBytes::new(py, raw)))?;
            completed.push((i, number, document.cast_into::<PyBytes>()?));
        }
        let completed: Vec<(usize, usize, &[u8])> = completed.iter().map(|(i, n, d)| (*i, *n, d.as_bytes())).collect();
        let (count, flagged) = py.detach(|| -> PyResult<(usize, Vec<Arc<[u8]>>)> {
            for &(i, number, document) in &completed {
                let prepared = Prepared::parse_flagged(&layout, document, flag)
                    .map_err(|e| to_py_err(DirError::Syntax(format!("line {number}: {e}"))))?;
                ready[i] = Some(prepared);
            }
            // every line is ready now; `filter_map` collects in place (`flatten` would copy every line)
            #[allow(clippy::filter_map_identity)]
            let batch: Vec<Prepared> = ready.into_iter().filter_map(|line| line).collect();
            let flagged = batch
                .iter()
                .filter(|p| p.flagged())
                .map(|p| Arc::clone(p.json()))
                .collect();
            let count = batch.len();
            self.write()?.add_many(batch).map_err(to_py_err)?;
            Ok((count, flagged))
        })?;
        Ok((count, bytes_list(py, &flagged)?))
    }

    /// Replace the resource `id` with `doc` (whose `id` must be the same).
    fn replace(&self, py: Python<'_>, id: &str, doc: &Bound<'_, PyBytes>) -> PyResult<()> {
        let bytes = doc.as_bytes();
        py.detach(|| -> PyResult<()> {
            let prepared = Prepared::parse(&self.layout, bytes).map_err(to_py_err)?;
            self.write()?.replace(id, prepared).map_err(to_py_err)
        })
    }

    fn delete(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        py.detach(|| -> PyResult<()> { self.write()?.delete(id).map_err(to_py_err) })
    }

    /// The JSON of the resource `id`, or `None`.
    fn get<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let found = py.detach(|| -> PyResult<Option<Arc<[u8]>>> { Ok(self.read()?.get(id)) })?;
        Ok(found.map(|json| PyBytes::new(py, &json)))
    }

    /// `(total, [json, ...])`: the matches of `plan`, sorted by `sort`, from 0-based `start`, at most `count`.
    #[pyo3(signature = (plan, sort=None, start=0, count=None))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        plan: &FilterPlan,
        sort: Option<&SortPlan>,
        start: usize,
        count: Option<usize>,
    ) -> PyResult<(usize, Bound<'py, PyList>)> {
        let page: Page =
            py.detach(|| -> PyResult<Page> { Ok(self.read()?.search(&plan.0, sort.map(|s| &s.0), start, count)) })?;
        Ok((page.total, bytes_list(py, &page.resources)?))
    }

    /// `(total, resources in the page)` of the same search as `search`, the page's positions chosen but its
    /// resources not taken from the store (the benchmark's scan: the page's own cost is measured apart).
    #[pyo3(signature = (plan, sort=None, start=0, count=None))]
    fn search_counts(
        &self,
        py: Python<'_>,
        plan: &FilterPlan,
        sort: Option<&SortPlan>,
        start: usize,
        count: Option<usize>,
    ) -> PyResult<(usize, usize)> {
        py.detach(|| -> PyResult<(usize, usize)> {
            let (total, page) = self.read()?.search_positions(&plan.0, sort.map(|s| &s.0), start, count);
            Ok((total, page.len()))
        })
    }

    /// The JSON bytes of the `ListResponse` (RFC 7644 §3.4.2) of the same search as `search`, its resources
    /// projected by `projection` (and, with `location`, each `meta.location` = `location` + id); no Python
    /// object per resource.
    #[pyo3(signature = (plan, sort, start, count, projection, location=None))]
    #[allow(clippy::too_many_arguments)] // the search's parameters, as Python passes them
    fn search_json<'py>(
        &self,
        py: Python<'py>,
        plan: &FilterPlan,
        sort: Option<&SortPlan>,
        start: usize,
        count: Option<usize>,
        projection: &PageProjection,
        location: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let body = py.detach(|| -> PyResult<Vec<u8>> {
            let page = self.read()?.search_plain(&plan.0, sort.map(|s| &s.0), start, count);
            let mut body = PAGE_BUFFER.take();
            projection
                .0
                .list_response(page.total, start + 1, &page.resources, &page.plain, location, &mut body);
            Ok(body)
        })?;
        let bytes = PyBytes::new(py, &body);
        if body.capacity() <= KEPT_PAGE_BUFFER {
            PAGE_BUFFER.set(body);
        }
        Ok(bytes)
    }

    /// Heap bytes of the columns a full scan of `plan` (sorted by `sort`) reads and of the sort order it
    /// walks, or `None` when it cannot run on columns.
    #[pyo3(signature = (plan, sort=None))]
    fn scan_bytes(&self, py: Python<'_>, plan: &FilterPlan, sort: Option<&SortPlan>) -> PyResult<Option<usize>> {
        py.detach(|| -> PyResult<Option<usize>> { Ok(self.read()?.scan_bytes(&plan.0, sort.map(|s| &s.0))) })
    }

    /// The bytes a full scan of `plan` (sorted by `sort`) must read from its columns and write (the words or
    /// cells the filter streams, the bitmap of its matches; a lower bound), or `None` when it cannot run on
    /// columns (the benchmark's bytes touched).
    #[pyo3(signature = (plan, sort=None))]
    fn scan_read_bytes(&self, py: Python<'_>, plan: &FilterPlan, sort: Option<&SortPlan>) -> PyResult<Option<usize>> {
        py.detach(|| -> PyResult<Option<usize>> { Ok(self.read()?.scan_read_bytes(&plan.0, sort.map(|s| &s.0))) })
    }

    /// Build now, in one pass over the stored JSON, the columns full scans of `plans` sorted by any of `sorts`
    /// read (what their first searches would build), and the sort orders of `sorts`.
    #[allow(clippy::needless_pass_by_value)] // extracted from Python lists
    fn prepare(
        &self,
        py: Python<'_>,
        plans: Vec<PyRef<'_, FilterPlan>>,
        sorts: Vec<PyRef<'_, SortPlan>>,
    ) -> PyResult<()> {
        let plans: Vec<&Plan> = plans.iter().map(|p| &p.0).collect();
        let sorts: Vec<&SortSpec> = sorts.iter().map(|s| &s.0).collect();
        py.detach(|| -> PyResult<()> {
            self.read()?.prepare(&plans, &sorts);
            Ok(())
        })
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.read()?.len())
    }

    /// Approximate heap bytes held by the store.
    fn heap_bytes(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| -> PyResult<usize> { Ok(self.read()?.heap_bytes()) })
    }

    /// Use at most `threads` threads per scan.
    fn set_threads(&self, py: Python<'_>, threads: usize) -> PyResult<()> {
        py.detach(|| -> PyResult<()> {
            self.write()?.set_threads(threads);
            Ok(())
        })
    }
}

/// `casefold(text)`: the directory's case folding (must equal `str.casefold()`).
#[pyfunction]
fn casefold(text: &str) -> String {
    fold::fold(text)
}

/// `datetime_micros(text)`: the instant of an xsd:dateTime in microseconds since the epoch, or `None`.
#[pyfunction]
fn datetime_micros(text: &str) -> Option<i64> {
    parse_datetime(text)
}

/// `memory_bandwidth(bytes, threads, rounds)`: bytes per second read by summing a `bytes`-byte buffer on
/// `threads` threads, best of `rounds` (the benchmark's DRAM limit; the GIL is released).
#[pyfunction]
#[pyo3(signature = (bytes, threads, rounds=5))]
fn memory_bandwidth(py: Python<'_>, bytes: usize, threads: usize, rounds: usize) -> f64 {
    py.detach(|| scimcore_directory::bandwidth::read_bandwidth(bytes, threads, rounds))
}

/// Register the directory classes and functions in `scimcore._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DirectoryStore>()?;
    m.add_class::<FilterPlan>()?;
    m.add_class::<PlanNode>()?;
    m.add_class::<SortPlan>()?;
    m.add_class::<PageProjection>()?;
    m.add_function(wrap_pyfunction!(casefold, m)?)?;
    m.add_function(wrap_pyfunction!(datetime_micros, m)?)?;
    m.add_function(wrap_pyfunction!(memory_bandwidth, m)?)?;
    Ok(())
}
