//! Builds the Python AST (`scimcore.filter.ast` msgspec Structs) while parsing: a [`Builder`] whose nodes
//! are Python objects, so the native parser returns them without a Rust AST or JSON in between.
//!
//! The nodes are made by the constructors that `scimcore.filter.construct` names, called positionally: the
//! Struct classes themselves, whose fields are listed in the order they are passed (a keyword call from Rust
//! would go through a `kwargs` dict, as `PyO3` has no safe call with keyword names, and a Python function
//! making the keyword call would add a frame per node). Each filter node gets its span (`start, end`) after
//! its other fields, then, for a node holding an attribute path, the path's span (`path_start, path_end`).
//!
//! The values are those `filter_from_json` (msgspec, `float_hook=Decimal`) gives for the AST's JSON: a
//! number with a fraction or an exponent is `Decimal(text)` (`1.50`, `Decimal('1E+5')` for `1e5`,
//! `Decimal('-0.0')`), any other number is an `int` (`-0` is `0`, big ones exact).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use pyo3::call::PyCallArgs;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString, PyTuple};

use scimcore_filter::ast::CompareOp;
use scimcore_filter::build::{Builder, Literal};
use scimcore_filter::span::{char_offset, Span};
use scimcore_filter::token::RawPath;

const OPS: [CompareOp; 9] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Co,
    CompareOp::Sw,
    CompareOp::Ew,
    CompareOp::Gt,
    CompareOp::Lt,
    CompareOp::Ge,
    CompareOp::Le,
];

// `ops[op as usize]` below relies on OPS listing the variants in declaration order.
const _: () = {
    let mut i = 0;
    while i < OPS.len() {
        assert!(OPS[i] as usize == i);
        i += 1;
    }
};

/// The constructors of `scimcore.filter.construct` and the operator strings, looked up once.
pub struct AstConstructors {
    attr_path: Py<PyAny>,
    compare: Py<PyAny>,
    present: Py<PyAny>,
    and: Py<PyAny>,
    or: Py<PyAny>,
    not: Py<PyAny>,
    value_path: Py<PyAny>,
    patch_path: Py<PyAny>,
    decimal: Py<PyAny>,
    int: Py<PyAny>,
    ops: [Py<PyString>; 9],
    /// Recently built `AttrPath`s by their text (see [`PathCache`]).
    paths: PathCache,
}

impl AstConstructors {
    /// Looks up `attr_path`, `compare`, `present`, `and_`, `or_`, `not_`, `value_path`,
    /// `patch_path` and `decimal` on `module` (`scimcore.filter.construct`).
    pub fn new(module: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = module.py();
        let get = |name: &str| module.getattr(name).map(Bound::unbind);
        Ok(Self {
            attr_path: get("attr_path")?,
            compare: get("compare")?,
            present: get("present")?,
            and: get("and_")?,
            or: get("or_")?,
            not: get("not_")?,
            value_path: get("value_path")?,
            patch_path: get("patch_path")?,
            decimal: get("decimal")?,
            int: py.get_type::<PyInt>().into_any().unbind(),
            ops: OPS.map(|op| PyString::intern(py, op.as_str()).unbind()),
            paths: PathCache::new(),
        })
    }

    /// A builder for one parse of `text`.
    pub fn builder<'a, 'py>(&'a self, py: Python<'py>, text: &'a str) -> PyBuilder<'a, 'py> {
        PyBuilder {
            py,
            constructors: self,
            text,
            ascii: text.is_ascii(),
        }
    }
}

/// Builds a parse's Python objects with [`AstConstructors`]; spans are in characters.
pub struct PyBuilder<'a, 'py> {
    py: Python<'py>,
    constructors: &'a AstConstructors,
    text: &'a str,
    ascii: bool,
}

impl<'py> PyBuilder<'_, 'py> {
    fn call1(&self, constructor: &Py<PyAny>, args: impl PyCallArgs<'py>) -> PyResult<Bound<'py, PyAny>> {
        constructor.bind(self.py).call1(args)
    }

    fn chars(&self, byte: usize) -> usize {
        if self.ascii {
            byte
        } else {
            char_offset(self.text, byte)
        }
    }

    /// A span in characters, as the constructors take it: `start, end`.
    fn span(&self, span: Span) -> (usize, usize) {
        (self.chars(span.start), self.chars(span.end))
    }
}

/// An `AttrPath` (shared between parses: see [`PathCache`]) and the span of its text in this parse, in
/// characters; the node that holds the path gets the span.
pub struct PyPath<'py> {
    object: Bound<'py, PyAny>,
    start: usize,
    end: usize,
}

impl<'py> Builder for PyBuilder<'_, 'py> {
    type Path = PyPath<'py>;
    type Node = Bound<'py, PyAny>;
    type PatchPath = Bound<'py, PyAny>;
    type Error = PyErr;

    /// A cached `AttrPath` with the same text, else a new one (then cached), with its span.
    ///
    /// The cache key is the path's text, `span` of the input: the path grammar splits a word at its last `:`
    /// and then at the first `.` (a name has neither), so different paths have different texts.
    fn attr_path(&mut self, path: RawPath<'_>, span: Span) -> PyResult<Self::Path> {
        let key = self
            .text
            .as_bytes()
            .get(span.start..span.end)
            .filter(|key| key.len() <= PATH_KEY_MAX);
        let (start, end) = self.span(span);
        let paths = &self.constructors.paths;
        if let Some(object) = key.and_then(|key| paths.get(self.py, key)) {
            return Ok(PyPath { object, start, end });
        }
        let object = self.call1(&self.constructors.attr_path, (path.name, path.uri, path.sub))?;
        if let Some(key) = key {
            paths.insert(key, &object);
        }
        Ok(PyPath { object, start, end })
    }

    fn compare(&mut self, path: Self::Path, op: CompareOp, value: Literal<'_>, span: Span) -> PyResult<Self::Node> {
        let op = self.constructors.ops[op as usize].bind(self.py).clone();
        let value = match value {
            Literal::String(s) => PyString::new(self.py, &s).into_any(),
            Literal::Number(text) => {
                if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                    self.call1(&self.constructors.decimal, (text,))?
                } else if let Ok(small) = text.parse::<i64>() {
                    small.into_pyobject(self.py)?.into_any()
                } else {
                    self.call1(&self.constructors.int, (text,))?
                }
            }
            Literal::Bool(b) => PyBool::new(self.py, b).to_owned().into_any(),
            Literal::Null => self.py.None().into_bound(self.py),
        };
        let (start, end) = self.span(span);
        let arguments = (path.object, op, value, start, end, path.start, path.end);
        self.call1(&self.constructors.compare, arguments)
    }

    fn present(&mut self, path: Self::Path, span: Span) -> PyResult<Self::Node> {
        let (start, end) = self.span(span);
        self.call1(
            &self.constructors.present,
            (path.object, start, end, path.start, path.end),
        )
    }

    fn and(&mut self, terms: impl ExactSizeIterator<Item = Self::Node>, span: Span) -> PyResult<Self::Node> {
        self.call1(&self.constructors.and, {
            let (start, end) = self.span(span);
            (PyTuple::new(self.py, terms)?, start, end)
        })
    }

    fn or(&mut self, terms: impl ExactSizeIterator<Item = Self::Node>, span: Span) -> PyResult<Self::Node> {
        self.call1(&self.constructors.or, {
            let (start, end) = self.span(span);
            (PyTuple::new(self.py, terms)?, start, end)
        })
    }

    fn not(&mut self, filter: Self::Node, span: Span) -> PyResult<Self::Node> {
        self.call1(&self.constructors.not, {
            let (start, end) = self.span(span);
            (filter, start, end)
        })
    }

    fn value_path(&mut self, path: Self::Path, filter: Self::Node, span: Span) -> PyResult<Self::Node> {
        let (start, end) = self.span(span);
        let arguments = (path.object, filter, start, end, path.start, path.end);
        self.call1(&self.constructors.value_path, arguments)
    }

    /// `filter and trailing` as one flat `And`: `trailing` appended to the terms of `filter` if it is an `And`.
    fn and_also(&mut self, filter: Self::Node, trailing: Self::Node, span: Span) -> PyResult<Self::Node> {
        let and = self.constructors.and.bind(self.py);
        let terms = if filter.get_type().is(and) {
            let mut terms: Vec<Bound<'py, PyAny>> = filter
                .getattr(intern!(self.py, "terms"))?
                .try_iter()?
                .collect::<PyResult<_>>()?;
            terms.push(trailing);
            terms
        } else {
            vec![filter, trailing]
        };
        self.and(terms.into_iter(), span)
    }

    fn patch_path(
        &mut self,
        path: Self::Path,
        filter: Option<Self::Node>,
        sub: Option<&str>,
    ) -> PyResult<Self::PatchPath> {
        self.call1(&self.constructors.patch_path, (path.object, filter, sub))
    }
}

/// Longest attribute path text (`uri:name.sub`, in bytes) that [`PathCache`] keeps.
const PATH_KEY_MAX: usize = 128;
/// Most `AttrPath`s [`PathCache`] keeps; it starts afresh when full.
const PATH_CACHE_SIZE: usize = 256;

/// A small bounded cache of `AttrPath` objects by path text, so that a path parsed again is the same
/// object (`AttrPath` is a frozen Struct compared by value: sharing it is invisible but to `is`).
///
/// Locked only for the look-up or the insertion (no Python code runs meanwhile); a call that finds it
/// locked goes without. Entries dropped when it starts afresh are released after the lock. Keys are hashed
/// eight bytes at a time ([`WordHash`]), not with a keyed hash: colliding keys chosen by a caller can only
/// slow look-ups in a map of at most [`PATH_CACHE_SIZE`] entries.
struct PathCache(Mutex<PathMap>);

type PathMap = HashMap<Box<[u8]>, Py<PyAny>, BuildHasherDefault<WordHash>>;

/// A multiplicative hash of eight bytes at a time (rotate, xor, multiply by an odd constant, as `FxHash`): a
/// few instructions per word, for short keys.
#[derive(Default)]
struct WordHash(u64);

impl WordHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHash {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(last));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl PathCache {
    fn new() -> Self {
        Self(Mutex::new(Self::empty()))
    }

    /// An empty map with room for every entry the cache keeps.
    fn empty() -> PathMap {
        PathMap::with_capacity_and_hasher(PATH_CACHE_SIZE, BuildHasherDefault::default())
    }

    fn get<'py>(&self, py: Python<'py>, key: &[u8]) -> Option<Bound<'py, PyAny>> {
        let map = self.0.try_lock().ok()?;
        map.get(key).map(|path| path.bind(py).clone())
    }

    fn insert(&self, key: &[u8], path: &Bound<'_, PyAny>) {
        let Ok(mut map) = self.0.try_lock() else {
            return;
        };
        let old = (map.len() >= PATH_CACHE_SIZE).then(|| std::mem::replace(&mut *map, Self::empty()));
        map.insert(key.into(), path.clone().unbind());
        drop(map);
        drop(old);
    }
}
