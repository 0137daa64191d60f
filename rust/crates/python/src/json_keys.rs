//! Repeated member names in JSON text (RFC 8259 §4; docs/semantics.md §Limits), as
//! `scimcore._native.repeated_key`: the service refuses a request body that gives an object the same name twice.
//!
//! [`repeated_key`] is pure Rust and meant for text the JSON decoder has accepted (so the depth and syntax limits
//! come first); on any other bytes it still ends, without panicking, and its answer is unspecified. It walks the
//! bytes once with an explicit stack (no recursion, whatever the nesting) and compares names after unescaping:
//! `"a"` and `"\u0061"` are the same name. Unescaped names are compared as generalized UTF-8 (a lone surrogate
//! escape as its three-byte form), so every spelling of one name gives the same bytes.

use std::borrow::Cow;
use std::collections::HashSet;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

/// Past this many names an object's names go into a hash set (below it a linear search is faster).
const LINEAR: usize = 16;

/// One step from the top of a document to a value: a member name (unescaped) or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A member of an object, by its unescaped name.
    Name(Vec<u8>),
    /// An element of an array, by its index.
    Index(usize),
}

/// The object or array the scan is inside.
enum Frame<'a> {
    Object {
        /// Where this object's names start in the shared list (unused once `set` holds them).
        start: usize,
        set: Option<HashSet<Cow<'a, [u8]>>>,
        /// The name of the member being read (its value may be a nested object).
        current: Cow<'a, [u8]>,
        expect_name: bool,
    },
    Array {
        index: usize,
    },
}

/// The first name given twice in one object of `text`, in text order: the steps to that object and the name.
#[must_use]
pub fn repeated_key(text: &[u8]) -> Option<(Vec<Step>, Vec<u8>)> {
    let mut frames: Vec<Frame<'_>> = Vec::new();
    let mut names: Vec<Cow<'_, [u8]>> = Vec::new();
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        at += 1;
        match byte {
            b'"' => {
                let (end, escaped) = string_end(text, at);
                let raw = text.get(at..end).unwrap_or_default();
                at = end + 1;
                if let Some(Frame::Object {
                    start,
                    set,
                    current,
                    expect_name: expect_name @ true,
                }) = frames.last_mut()
                {
                    let name = if escaped {
                        Cow::Owned(unescape(raw))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    let repeated = match set {
                        Some(set) => !set.insert(name.clone()),
                        None if names[*start..].contains(&name) => true,
                        None => {
                            names.push(name.clone());
                            if names.len() - *start > LINEAR {
                                *set = Some(names.drain(*start..).collect());
                            }
                            false
                        }
                    };
                    if repeated {
                        return Some((steps(&frames), name.into_owned()));
                    }
                    *current = name;
                    *expect_name = false;
                }
            }
            b'{' => frames.push(Frame::Object {
                start: names.len(),
                set: None,
                current: Cow::Borrowed(&[]),
                expect_name: true,
            }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                if let Some(Frame::Object { start, set: None, .. }) = frames.pop() {
                    names.truncate(start);
                }
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { expect_name, .. }) => *expect_name = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
    }
    None
}

/// The steps to the innermost open object (the one holding the name being read).
fn steps(frames: &[Frame<'_>]) -> Vec<Step> {
    let open = frames.len().saturating_sub(1);
    frames[..open]
        .iter()
        .map(|frame| match frame {
            Frame::Object { current, .. } => Step::Name(current.to_vec()),
            Frame::Array { index } => Step::Index(*index),
        })
        .collect()
}

/// The index of the quote that ends the string whose contents start at `from` (`text.len()` if none), and
/// whether the string holds an escape.
fn string_end(text: &[u8], from: usize) -> (usize, bool) {
    let mut escaped = false;
    let mut at = from;
    while let Some(&byte) = text.get(at) {
        match byte {
            b'"' => return (at, escaped),
            b'\\' => {
                escaped = true;
                at += 2;
            }
            _ => at += 1,
        }
    }
    (text.len(), escaped)
}

/// The contents of a JSON string with its escapes replaced (RFC 8259 §7); surrogate pairs are joined, a lone
/// surrogate is kept as its generalized UTF-8 form, and a malformed escape is kept as it is written.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    while let Some(&byte) = raw.get(at) {
        at += 1;
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        let simple = match raw.get(at) {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'/') => Some(b'/'),
            Some(b'b') => Some(0x08),
            Some(b'f') => Some(0x0C),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            _ => None,
        };
        if let Some(simple) = simple {
            out.push(simple);
            at += 1;
            continue;
        }
        let Some(unit) = code_unit(raw, at) else {
            out.push(byte);
            continue;
        };
        at += 5;
        let mut point = u32::from(unit);
        if (0xD800..0xDC00).contains(&unit) {
            let next = if raw.get(at) == Some(&b'\\') {
                code_unit(raw, at + 1)
            } else {
                None
            };
            if let Some(low @ 0xDC00..=0xDFFF) = next {
                point = 0x1_0000 + ((point - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                at += 6;
            }
        }
        push_utf8(&mut out, point);
    }
    out
}

/// The code unit of the escape `\uXXXX` whose `u` is at `at` (after a backslash), if it is one.
fn code_unit(raw: &[u8], at: usize) -> Option<u16> {
    if raw.get(at) != Some(&b'u') {
        return None;
    }
    let hex = raw.get(at + 1..at + 5)?;
    let hex = std::str::from_utf8(hex).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

/// `point` in generalized UTF-8 (surrogates too, as three bytes).
#[allow(clippy::cast_possible_truncation)] // each `as u8` keeps the bits that the mask or the shift selected
fn push_utf8(out: &mut Vec<u8>, point: u32) {
    match point {
        0..=0x7F => out.push(point as u8),
        0x80..=0x7FF => out.extend([0xC0 | (point >> 6) as u8, 0x80 | (point & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend([
            0xE0 | (point >> 12) as u8,
            0x80 | ((point >> 6) & 0x3F) as u8,
            0x80 | (point & 0x3F) as u8,
        ]),
        _ => out.extend([
            0xF0 | (point >> 18) as u8,
            0x80 | ((point >> 12) & 0x3F) as u8,
            0x80 | ((point >> 6) & 0x3F) as u8,
            0x80 | (point & 0x3F) as u8,
        ]),
    }
}

/// `repeated_key(text)`: `None`, or `(steps, name)` for the first name given twice in one object of `text`
/// (bytes, or a `str`, read as UTF-8 with lone surrogates kept): `steps` lead to that object, names as UTF-8
/// bytes (lone surrogates in their three-byte form) and indexes as ints; `name` is such bytes too.
#[pyfunction(name = "repeated_key")]
fn py_repeated_key<'py>(text: &Bound<'py, PyAny>) -> PyResult<Option<(Bound<'py, PyList>, Bound<'py, PyBytes>)>> {
    let py = text.py();
    let found = if let Ok(bytes) = text.cast::<PyBytes>() {
        repeated_key(bytes.as_bytes())
    } else if let Ok(string) = text.cast::<PyString>() {
        if let Ok(utf8) = string.to_str() {
            repeated_key(utf8.as_bytes())
        } else {
            let encoded = string.call_method1("encode", ("utf-8", "surrogatepass"))?;
            repeated_key(encoded.cast::<PyBytes>()?.as_bytes())
        }
    } else {
        return Err(PyTypeError::new_err("repeated_key takes bytes or str"));
    };
    let Some((steps, name)) = found else {
        return Ok(None);
    };
    let list = PyList::empty(py);
    for step in steps {
        match step {
            Step::Name(name) => list.append(PyBytes::new(py, &name))?,
            Step::Index(index) => list.append(index)?,
        }
    }
    Ok(Some((list, PyBytes::new(py, &name))))
}

/// Adds `repeated_key` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(py_repeated_key, m)?)
}
