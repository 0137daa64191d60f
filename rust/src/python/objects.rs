//! Builds the Python AST (`scimcore.filter.ast` msgspec Structs) straight from the Rust AST, so that the
//! native parser returns the objects without a JSON round trip.
//!
//! The values are those `filter_from_json` (msgspec, `float_hook=Decimal`) gives for the AST's JSON: a
//! number with a fraction or an exponent is `Decimal(text)` (`1.50`, `Decimal('1E+5')` for `1e5`,
//! `Decimal('-0.0')`), any other number is an `int` (`-0` is `0`, big ones exact). Absent optional fields are
//! left to their default (`None`). Recursion is bounded (deeper subtrees are built with an explicit stack),
//! so nesting is limited only by `max_depth`.

use std::collections::HashMap;
use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString, PyTuple};

use crate::ast::{AttrPath, Compare, CompareOp, Filter, PatchPath, Value};

/// The field names the keyword calls below use, checked when the builder is made.
const NODE_FIELDS: [(&str, &[&str]); 6] = [
    ("Compare", &["path", "op", "value"]),
    ("Present", &["path"]),
    ("And", &["terms"]),
    ("Or", &["terms"]),
    ("Not", &["filter"]),
    ("ValuePath", &["path", "filter"]),
];

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

/// The Python classes of the AST and the constant strings, made once (by `scimcore.filter.parse`).
///
/// Every class is keyword-only (`kw_only=True`), so each is called with keyword arguments whose names are
/// interned strings made here; the filter nodes' field names are checked when the builder is made.
pub struct AstTypes {
    attr_path: Py<PyAny>,
    compare: KwCall<3>,
    present: KwCall<1>,
    and: KwCall<1>,
    or: KwCall<1>,
    not: KwCall<1>,
    value_path: KwCall<2>,
    patch_path: Py<PyAny>,
    /// Recently built `AttrPath`s by their text (see [`PathCache`]).
    paths: PathCache,
    decimal: Py<PyAny>,
    int: Py<PyAny>,
    ops: [Py<PyString>; 9],
    key_name: Py<PyString>,
    key_uri: Py<PyString>,
    key_sub: Py<PyString>,
    key_path: Py<PyString>,
    key_filter: Py<PyString>,
}

/// How many levels are built by recursion before the explicit stack takes over.
const RECURSION: usize = 48;

/// Work still to do while building a filter: a node to visit, or a node whose children are built.
enum Step<'f> {
    Visit(&'f Filter),
    Finish(&'f Filter),
}

impl AstTypes {
    /// Keeps the classes `[AttrPath, Compare, Present, And, Or, Not, ValuePath, PatchPath, Decimal]`, after
    /// checking that the filter nodes' fields are the ones used here.
    pub fn new(classes: &[Bound<'_, PyAny>; 9]) -> PyResult<Self> {
        let [attr_path, compare, present, and, or, not, value_path, patch_path, decimal] = classes;
        let py = attr_path.py();
        for ((name, fields), class) in NODE_FIELDS.iter().zip([compare, present, and, or, not, value_path]) {
            let actual: Vec<String> = class.getattr("__struct_fields__")?.extract()?;
            if actual != *fields {
                return Err(PyTypeError::new_err(format!(
                    "{name}.__struct_fields__ is {actual:?}, the native AST builder expects {fields:?}"
                )));
            }
        }
        let key = |s: &str| PyString::intern(py, s).unbind();
        Ok(Self {
            attr_path: attr_path.clone().unbind(),
            compare: KwCall::new(compare, ["path", "op", "value"]),
            present: KwCall::new(present, ["path"]),
            and: KwCall::new(and, ["terms"]),
            or: KwCall::new(or, ["terms"]),
            not: KwCall::new(not, ["filter"]),
            value_path: KwCall::new(value_path, ["path", "filter"]),
            patch_path: patch_path.clone().unbind(),
            paths: PathCache::default(),
            decimal: decimal.clone().unbind(),
            int: py.get_type::<pyo3::types::PyInt>().into_any().unbind(),
            ops: OPS.map(|op| key(op.as_str())),
            key_name: key("name"),
            key_uri: key("uri"),
            key_sub: key("sub"),
            key_path: key("path"),
            key_filter: key("filter"),
        })
    }

    /// The `AttrPath` for `path`: a cached one with the same text, else a new one (then cached).
    fn attr_path<'py>(&self, py: Python<'py>, path: &AttrPath) -> PyResult<Bound<'py, PyAny>> {
        let mut buffer = [0u8; PATH_KEY_MAX];
        let Some(key) = path_key(path, &mut buffer) else {
            return self.new_attr_path(py, path);
        };
        if let Some(cached) = self.paths.get(py, key) {
            return Ok(cached);
        }
        let built = self.new_attr_path(py, path)?;
        self.paths.insert(key, &built);
        Ok(built)
    }

    /// `AttrPath(name=..., uri=..., sub=...)`, the absent parts left out.
    fn new_attr_path<'py>(&self, py: Python<'py>, path: &AttrPath) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item(self.key_name.bind(py), &path.name)?;
        if let Some(uri) = &path.uri {
            kwargs.set_item(self.key_uri.bind(py), uri)?;
        }
        if let Some(sub) = &path.sub {
            kwargs.set_item(self.key_sub.bind(py), sub)?;
        }
        self.attr_path.bind(py).call((), Some(&kwargs))
    }

    /// A comparison value: `str`, `int`, `Decimal`, `bool` or `None`.
    fn value<'py>(&self, py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
        Ok(match value {
            Value::String(s) => PyString::new(py, s).into_any(),
            Value::Number(text) => {
                if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                    self.decimal.bind(py).call1((text.as_str(),))?
                } else if let Ok(small) = text.parse::<i64>() {
                    small.into_pyobject(py)?.into_any()
                } else {
                    self.int.bind(py).call1((text.as_str(),))?
                }
            }
            Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
            Value::Null => py.None().into_bound(py),
        })
    }

    fn compare<'py>(&self, py: Python<'py>, c: &Compare) -> PyResult<Bound<'py, PyAny>> {
        let op = self.ops[c.op as usize].bind(py);
        let path = self.attr_path(py, &c.path)?;
        let value = self.value(py, &c.value)?;
        self.compare.call([path, op.clone().into_any(), value])
    }

    fn present<'py>(&self, py: Python<'py>, path: &AttrPath) -> PyResult<Bound<'py, PyAny>> {
        self.present.call([self.attr_path(py, path)?])
    }

    fn value_path<'py>(&self, path: Bound<'py, PyAny>, inner: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.value_path.call([path, inner])
    }

    /// The filter's Structs: built recursively down to [`RECURSION`] levels (no allocation beyond the
    /// Python objects and one scratch vector), deeper subtrees bottom-up with an explicit stack.
    pub fn filter<'py>(&self, py: Python<'py>, root: &Filter) -> PyResult<Bound<'py, PyAny>> {
        self.node(py, root, 0, &mut Vec::new())
    }

    /// A node at `depth`; `scratch` collects the terms of `And`/`Or` nodes (each leaves it as it found it).
    fn node<'py>(
        &self,
        py: Python<'py>,
        node: &Filter,
        depth: usize,
        scratch: &mut Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match node {
            Filter::Compare(c) => self.compare(py, c),
            Filter::Present(path) => self.present(py, path),
            _ if depth >= RECURSION => self.deep(py, node),
            Filter::And(terms) | Filter::Or(terms) => {
                let class = if matches!(node, Filter::And(_)) { &self.and } else { &self.or };
                let at = scratch.len();
                for term in terms {
                    let term = self.node(py, term, depth + 1, scratch)?;
                    scratch.push(term);
                }
                let terms = PyTuple::new(py, scratch.drain(at..))?;
                class.call([terms.into_any()])
            }
            Filter::Not(inner) => {
                let inner = self.node(py, inner, depth + 1, scratch)?;
                self.not.call([inner])
            }
            Filter::ValuePath(vp) => {
                let path = self.attr_path(py, &vp.path)?;
                let inner = self.node(py, &vp.filter, depth + 1, scratch)?;
                self.value_path(path, inner)
            }
        }
    }

    /// A subtree built bottom-up with an explicit stack, however deep it is.
    fn deep<'py>(&self, py: Python<'py>, root: &Filter) -> PyResult<Bound<'py, PyAny>> {
        let mut steps = vec![Step::Visit(root)];
        let mut built: Vec<Bound<'py, PyAny>> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Visit(node) => match node {
                    Filter::Compare(c) => built.push(self.compare(py, c)?),
                    Filter::Present(path) => built.push(self.present(py, path)?),
                    Filter::And(terms) | Filter::Or(terms) => {
                        steps.push(Step::Finish(node));
                        steps.extend(terms.iter().rev().map(Step::Visit));
                    }
                    Filter::Not(inner) => {
                        steps.push(Step::Finish(node));
                        steps.push(Step::Visit(inner));
                    }
                    Filter::ValuePath(vp) => {
                        steps.push(Step::Finish(node));
                        steps.push(Step::Visit(&vp.filter));
                    }
                },
                Step::Finish(node) => {
                    let node = match node {
                        Filter::And(terms) | Filter::Or(terms) => {
                            let class = if matches!(node, Filter::And(_)) { &self.and } else { &self.or };
                            let terms = PyTuple::new(py, built.drain(built.len() - terms.len()..))?;
                            class.call([terms.into_any()])?
                        }
                        Filter::Not(_) => self.not.call([pop(&mut built)?])?,
                        Filter::ValuePath(vp) => {
                            let inner = pop(&mut built)?;
                            self.value_path(self.attr_path(py, &vp.path)?, inner)?
                        }
                        Filter::Compare(_) | Filter::Present(_) => {
                            unreachable!("leaves are built when visited")
                        }
                    };
                    built.push(node);
                }
            }
        }
        pop(&mut built)
    }

    /// `PatchPath(path=..., filter=..., sub=...)`, the absent parts left out.
    pub fn patch_path<'py>(&self, py: Python<'py>, path: &PatchPath) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item(self.key_path.bind(py), self.attr_path(py, &path.path)?)?;
        if let Some(filter) = &path.filter {
            kwargs.set_item(self.key_filter.bind(py), self.filter(py, filter)?)?;
        }
        if let Some(sub) = &path.sub {
            kwargs.set_item(self.key_sub.bind(py), sub)?;
        }
        self.patch_path.bind(py).call((), Some(&kwargs))
    }
}

/// A keyword-only class called with a fixed set of keywords, through one reused `kwargs` dict.
///
/// The dict is filled, the class called, and its values reset to `None`. `CPython` copies the dict's items
/// into the call's own keyword arguments before the class runs (msgspec's constructor is a vectorcall: it
/// sees a `kwnames` tuple, never the dict), so no reference to the dict outlives the call. The dict is
/// locked meanwhile: a call that finds it locked (another thread in a free-threaded build, or a finalizer
/// run by the garbage collector during the call that re-enters the parser) uses a fresh dict instead.
struct KwCall<const N: usize> {
    class: Py<PyAny>,
    keys: [Py<PyString>; N],
    kwargs: Mutex<Py<PyDict>>,
}

impl<const N: usize> KwCall<N> {
    fn new(class: &Bound<'_, PyAny>, keys: [&str; N]) -> Self {
        let py = class.py();
        Self {
            class: class.clone().unbind(),
            keys: keys.map(|key| PyString::intern(py, key).unbind()),
            kwargs: Mutex::new(PyDict::new(py).unbind()),
        }
    }

    /// `class(**dict(zip(keys, values)))`.
    fn call<'py>(&self, values: [Bound<'py, PyAny>; N]) -> PyResult<Bound<'py, PyAny>> {
        let py = values[0].py();
        let class = self.class.bind(py);
        if let Ok(shared) = self.kwargs.try_lock() {
            let kwargs = shared.bind(py);
            for (key, value) in self.keys.iter().zip(values) {
                kwargs.set_item(key.bind(py), value)?;
            }
            let built = class.call((), Some(kwargs));
            for key in &self.keys {
                kwargs.set_item(key.bind(py), py.None())?;
            }
            return built;
        }
        let kwargs = PyDict::new(py);
        for (key, value) in self.keys.iter().zip(values) {
            kwargs.set_item(key.bind(py), value)?;
        }
        class.call((), Some(&kwargs))
    }
}

/// Longest attribute path text (`uri:name.sub`, in bytes) that [`PathCache`] keeps.
const PATH_KEY_MAX: usize = 128;
/// Most `AttrPath`s [`PathCache`] keeps; it starts afresh when full.
const PATH_CACHE_SIZE: usize = 256;

/// The text an attribute path was written as (`uri:name.sub`), in `buffer`; `None` if longer than it.
///
/// The path grammar splits a word at its last `:` and then at the first `.` (a name has neither), so
/// different paths have different texts.
fn path_key<'b>(path: &AttrPath, buffer: &'b mut [u8; PATH_KEY_MAX]) -> Option<&'b [u8]> {
    let parts: [(&[u8], Option<&str>); 3] =
        [(b"", path.uri.as_deref()), (b":", Some(&path.name)), (b".", path.sub.as_deref())];
    let mut len = 0;
    for (separator, part) in parts {
        let Some(part) = part else { continue };
        let separator = if len == 0 { &b""[..] } else { separator };
        let end = len + separator.len() + part.len();
        if end > PATH_KEY_MAX {
            return None;
        }
        buffer[len..len + separator.len()].copy_from_slice(separator);
        buffer[end - part.len()..end].copy_from_slice(part.as_bytes());
        len = end;
    }
    Some(&buffer[..len])
}

/// A small bounded cache of `AttrPath` objects by path text, so that a path parsed again is the same
/// object (`AttrPath` is a frozen Struct compared by value: sharing it is invisible but to `is`).
///
/// Locked only for the look-up or the insertion (no Python code runs meanwhile); a call that finds it
/// locked goes without. Entries dropped when it starts afresh are released after the lock.
#[derive(Default)]
struct PathCache(Mutex<HashMap<Box<[u8]>, Py<PyAny>>>);

impl PathCache {
    fn get<'py>(&self, py: Python<'py>, key: &[u8]) -> Option<Bound<'py, PyAny>> {
        let map = self.0.try_lock().ok()?;
        map.get(key).map(|path| path.bind(py).clone())
    }

    fn insert(&self, key: &[u8], path: &Bound<'_, PyAny>) {
        let Ok(mut map) = self.0.try_lock() else { return };
        let old = if map.len() >= PATH_CACHE_SIZE { std::mem::take(&mut *map) } else { HashMap::new() };
        map.insert(key.into(), path.clone().unbind());
        drop(map);
        drop(old);
    }
}

fn pop<'py>(built: &mut Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    built.pop().ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("native AST builder: empty stack"))
}
