//! The Python binding `scimcore._native`: the only crate that uses `PyO3` (the filter and directory crates are pure Rust).
//!
//! `AstParser(scimcore.filter.construct).parse_filter` / `.parse_path` return the AST as the
//! `scimcore.filter.ast` Structs, built while parsing. They raise `FilterSyntaxError(code, position)`, position
//! being a character offset (RFC 7644 §3.4.2.2, §3.5.2), and check `invalid_character` (a lone surrogate)
//! and then `too_long` themselves.

mod directory;
mod json_keys;
mod objects;

use std::panic::{self, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use objects::{AstConstructors, PyBuilder};
use scimcore_filter::error::ErrorKind;
use scimcore_filter::parser::{self, Failure, Limits};

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
    let at = bytes
        .windows(2)
        .position(|w| w[0] == 0xED && w[1] >= 0xA0)
        .unwrap_or(bytes.len());
    Ok(bytes[..at].iter().filter(|&&b| (b & 0xC0) != 0x80).count())
}

/// The parser that returns `scimcore.filter.ast` Structs; made once with their constructors.
#[pyclass(frozen, module = "scimcore._native")]
struct AstParser {
    constructors: AstConstructors,
}

/// The text of a `str` argument, or the error for it: `expected_filter` at 0 when it is not a `str` (like
/// the Python front's check), `invalid_character` at the first lone surrogate.
fn checked_text<'a>(text: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    let Ok(text) = text.cast::<PyString>() else {
        return Err(syntax_error(ErrorKind::ExpectedFilter.code(), 0));
    };
    match text.to_str() {
        Ok(utf8) => Ok(utf8),
        Err(_) => Err(syntax_error(
            ErrorKind::InvalidCharacter.code(),
            surrogate_position(text)?,
        )),
    }
}

/// Runs `work`, reporting a panic as `internal_error` at 0 instead of letting it reach Python.
fn catching<T>(work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    panic::catch_unwind(AssertUnwindSafe(work))
        .unwrap_or_else(|_| Err(syntax_error(ErrorKind::InternalError.code(), 0)))
}

/// What [`AstParser::parse`] runs: `parser::build_filter` or `parser::build_path` with the Python builder.
type Build<'s, 'py> = fn(&str, &Limits, &mut PyBuilder<'s, 'py>) -> Result<Bound<'py, PyAny>, Failure<PyErr>>;

impl AstParser {
    /// Runs `build` on the text of `text` with `limits` (`(max_length, max_depth, max_comparisons)`, by
    /// default `DEFAULT_LIMITS`); syntax errors as `FilterSyntaxError`, builder errors as they are.
    fn parse<'s, 'py>(
        &'s self,
        text: &'s Bound<'py, PyAny>,
        limits: Option<(usize, usize, usize)>,
        build: Build<'s, 'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = limits.map_or_else(Limits::default, |(max_length, max_depth, max_comparisons)| Limits {
            max_length,
            max_depth,
            max_comparisons,
        });
        let py = text.py();
        let text = checked_text(text)?;
        let mut builder = self.constructors.builder(py, text);
        catching(|| {
            build(text, &limits, &mut builder).map_err(|failure| match failure {
                Failure::Syntax(error) => syntax_error(error.code(), error.position),
                Failure::Build(error) => error,
            })
        })
    }
}

#[pymethods]
impl AstParser {
    /// `AstParser(constructors)`, `constructors` being the module `scimcore.filter.construct`.
    #[new]
    fn new(constructors: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            constructors: AstConstructors::new(constructors)?,
        })
    }

    /// `parse_filter(text, limits=None)`: a filter's AST as Structs; `limits` is `(max_length, max_depth,
    /// max_comparisons)`, by default `DEFAULT_LIMITS`.
    #[pyo3(signature = (text, limits=None))]
    fn parse_filter<'py>(
        &self,
        text: &Bound<'py, PyAny>,
        limits: Option<(usize, usize, usize)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.parse(text, limits, parser::build_filter)
    }

    /// `parse_path(text, limits=None)`: a PATCH path's AST as a `PatchPath`; `limits` as for `parse_filter`.
    #[pyo3(signature = (text, limits=None))]
    fn parse_path<'py>(
        &self,
        text: &Bound<'py, PyAny>,
        limits: Option<(usize, usize, usize)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.parse(text, limits, parser::build_path)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("FilterSyntaxError", m.py().get_type::<FilterSyntaxError>())?;
    let Limits {
        max_length,
        max_depth,
        max_comparisons,
    } = Limits::default();
    m.add("DEFAULT_LIMITS", (max_length, max_depth, max_comparisons))?;
    m.add_class::<AstParser>()?;
    directory::register(m)?;
    json_keys::register(m)?;
    Ok(())
}
