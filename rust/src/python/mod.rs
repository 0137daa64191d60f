//! The Python binding `scimcore._native` (feature `python`): the only module that uses `PyO3`.
//!
//! `parse_filter` / `parse_path` return the AST as JSON bytes (decoded by `scimcore.filter.ast`) or raise
//! `FilterSyntaxError(code, position)`, position being a character offset (RFC 7644 §3.4.2.2, §3.5.2).

mod directory;

use std::panic::{self, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::error::{ErrorKind, ParseError};
use crate::json::ToJson;
use crate::parser::{self, Limits};

create_exception!(
    scimcore._native,
    FilterSyntaxError,
    PyException,
    "A filter or PATCH path syntax error; args are (code: str, position: int), position in characters."
);

fn syntax_error(code: &str, position: usize) -> PyErr {
    FilterSyntaxError::new_err((code.to_owned(), position))
}

/// The character index of the first lone surrogate in a `str` that is not valid Unicode text.
fn surrogate_position(text: &Bound<'_, PyString>) -> PyResult<usize> {
    let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
    let bytes = encoded.cast::<PyBytes>()?.as_bytes();
    // A surrogate encodes as ED A0..BF xx; count the characters (non-continuation bytes) before it.
    let at = bytes.windows(2).position(|w| w[0] == 0xED && w[1] >= 0xA0).unwrap_or(bytes.len());
    Ok(bytes[..at].iter().filter(|&&b| (b & 0xC0) != 0x80).count())
}

/// Runs `parse` on the text as UTF-8, catching any panic, and returns the JSON bytes or the error.
fn run<'py>(
    text: &Bound<'py, PyString>,
    limits: Limits,
    parse: fn(&str, &Limits) -> Result<Vec<u8>, ParseError>,
) -> PyResult<Bound<'py, PyBytes>> {
    let py = text.py();
    let Ok(utf8) = text.to_str() else {
        return Err(syntax_error(ErrorKind::InvalidCharacter.code(), surrogate_position(text)?));
    };
    match panic::catch_unwind(AssertUnwindSafe(|| parse(utf8, &limits))) {
        Ok(Ok(json)) => Ok(PyBytes::new(py, &json)),
        Ok(Err(error)) => Err(syntax_error(error.code(), error.position)),
        Err(_) => Err(syntax_error(ErrorKind::InternalError.code(), 0)),
    }
}

/// `parse_filter(text, max_length, max_depth, max_comparisons) -> bytes`: a filter's AST as JSON.
#[pyfunction]
fn parse_filter<'py>(
    text: &Bound<'py, PyString>,
    max_length: usize,
    max_depth: usize,
    max_comparisons: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    run(text, Limits { max_length, max_depth, max_comparisons }, |text, limits| {
        parser::parse_filter(text, limits).map(|filter| filter.to_json())
    })
}

/// `parse_path(text, max_length, max_depth, max_comparisons) -> bytes`: a PATCH path's AST as JSON.
#[pyfunction]
fn parse_path<'py>(
    text: &Bound<'py, PyString>,
    max_length: usize,
    max_depth: usize,
    max_comparisons: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    run(text, Limits { max_length, max_depth, max_comparisons }, |text, limits| {
        parser::parse_path(text, limits).map(|path| path.to_json())
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("FilterSyntaxError", m.py().get_type::<FilterSyntaxError>())?;
    m.add_function(wrap_pyfunction!(parse_filter, m)?)?;
    m.add_function(wrap_pyfunction!(parse_path, m)?)?;
    directory::register(m)?;
    Ok(())
}
