//! Builds the Python AST (`scimcore.filter.ast` msgspec Structs) straight from the Rust AST, so that the
//! native parser returns the objects without a JSON round trip.
//!
//! The values are those `filter_from_json` (msgspec, `float_hook=Decimal`) gives for the AST's JSON: a
//! number with a fraction or an exponent is `Decimal(text)` (`1.50`, `Decimal('1E+5')` for `1e5`,
//! `Decimal('-0.0')`), any other number is an `int` (`-0` is `0`, big ones exact). Absent optional fields are
//! left to their default (`None`). Recursion is bounded (deeper subtrees are built with an explicit stack),
//! so nesting is limited only by `max_depth`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString, PyTuple};

use crate::ast::{AttrPath, Compare, CompareOp, Filter, PatchPath, Value};

/// The field names the positional constructors below rely on, checked when the builder is made.
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
/// The filter nodes (`Compare`, `Present`, `And`, `Or`, `Not`, `ValuePath`) are called with positional
/// arguments, the cheapest call: msgspec's `kw_only=True` on their base `_Node` covers only the fields `_Node`
/// itself defines (none), so theirs are positional-or-keyword. Their field order is checked here.
/// `AttrPath` and `PatchPath` are keyword-only and are called with keyword arguments (interned names).
pub struct AstTypes {
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
    /// Keeps the classes, after checking that the filter nodes' fields are in the order used here.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        attr_path: &Bound<'_, PyAny>,
        compare: &Bound<'_, PyAny>,
        present: &Bound<'_, PyAny>,
        and: &Bound<'_, PyAny>,
        or: &Bound<'_, PyAny>,
        not: &Bound<'_, PyAny>,
        value_path: &Bound<'_, PyAny>,
        patch_path: &Bound<'_, PyAny>,
        decimal: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
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
            compare: compare.clone().unbind(),
            present: present.clone().unbind(),
            and: and.clone().unbind(),
            or: or.clone().unbind(),
            not: not.clone().unbind(),
            value_path: value_path.clone().unbind(),
            patch_path: patch_path.clone().unbind(),
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

    /// `AttrPath(name=..., uri=..., sub=...)`, the absent parts left out.
    fn attr_path<'py>(&self, py: Python<'py>, path: &AttrPath) -> PyResult<Bound<'py, PyAny>> {
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
        self.compare.bind(py).call1((self.attr_path(py, &c.path)?, op, self.value(py, &c.value)?))
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
            Filter::Present(path) => self.present.bind(py).call1((self.attr_path(py, path)?,)),
            _ if depth >= RECURSION => self.deep(py, node),
            Filter::And(terms) | Filter::Or(terms) => {
                let class = if matches!(node, Filter::And(_)) { &self.and } else { &self.or };
                let at = scratch.len();
                for term in terms {
                    let term = self.node(py, term, depth + 1, scratch)?;
                    scratch.push(term);
                }
                let terms = PyTuple::new(py, scratch.drain(at..))?;
                class.bind(py).call1((terms,))
            }
            Filter::Not(inner) => self.not.bind(py).call1((self.node(py, inner, depth + 1, scratch)?,)),
            Filter::ValuePath(vp) => {
                let path = self.attr_path(py, &vp.path)?;
                self.value_path.bind(py).call1((path, self.node(py, &vp.filter, depth + 1, scratch)?))
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
                    Filter::Present(path) => built.push(self.present.bind(py).call1((self.attr_path(py, path)?,))?),
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
                            class.bind(py).call1((terms,))?
                        }
                        Filter::Not(_) => self.not.bind(py).call1((pop(&mut built)?,))?,
                        Filter::ValuePath(vp) => {
                            let inner = pop(&mut built)?;
                            self.value_path.bind(py).call1((self.attr_path(py, &vp.path)?, inner))?
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

fn pop<'py>(built: &mut Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    built.pop().ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("native AST builder: empty stack"))
}
