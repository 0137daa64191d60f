//! Filter and PATCH path syntax errors (RFC 7644 §3.4.2.2, §3.5.2, §3.12 `invalidFilter`/`invalidPath`).
//!
//! Codes and positions are the contract of `docs/filter-language.md`, shared with the Lark parser.

use std::fmt;

use crate::span::{char_offset, Span};

/// Every error the parser (and its Python binding) can report; `code()` is the stable `snake_case` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input is longer than `Limits::max_length` UTF-8 bytes (position 0).
    TooLong,
    /// The input holds a lone surrogate; only the Python binding can see one.
    InvalidCharacter,
    /// No token starts at this character.
    UnexpectedCharacter,
    /// A malformed string literal (position: its opening quote).
    InvalidString,
    /// A malformed or over-long (> 256 characters) number literal.
    InvalidNumber,
    /// A word that is not a valid attribute path.
    InvalidAttributePath,
    /// Nesting deeper than `Limits::max_depth` (position: the opening `(` or `[`).
    TooDeep,
    /// A `[` after an attribute path inside brackets.
    NestedValuePath,
    /// Expected an attribute path, `(` or `not (`.
    ExpectedFilter,
    /// Expected a comparison operator or `pr`.
    ExpectedOperator,
    /// Expected a string, number, `true`, `false` or `null`.
    ExpectedValue,
    /// Expected `and`, `or`, a closing bracket, `.sub` or the end after a complete expression.
    UnexpectedToken,
    /// More comparisons than `Limits::max_comparisons` in an otherwise valid filter.
    TooManyComparisons,
    /// A bug: the parser panicked (reported by the binding only, position 0).
    InternalError,
}

impl ErrorKind {
    /// The stable code, as in `python/scimcore/filter/errors.py`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::InvalidCharacter => "invalid_character",
            Self::UnexpectedCharacter => "unexpected_character",
            Self::InvalidString => "invalid_string",
            Self::InvalidNumber => "invalid_number",
            Self::InvalidAttributePath => "invalid_attribute_path",
            Self::TooDeep => "too_deep",
            Self::NestedValuePath => "nested_value_path",
            Self::ExpectedFilter => "expected_filter",
            Self::ExpectedOperator => "expected_operator",
            Self::ExpectedValue => "expected_value",
            Self::UnexpectedToken => "unexpected_token",
            Self::TooManyComparisons => "too_many_comparisons",
            Self::InternalError => "internal_error",
        }
    }
}

/// A syntax error: its kind, the byte span of the offending token and the character `position`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    /// Byte range of the offending token in the input (empty at the end of the input).
    pub span: Span,
    /// Character offset of `span.start` (a Python `str` index).
    pub position: usize,
}

impl ParseError {
    /// An error at a byte span; `position` is filled in by [`ParseError::located`] at the API boundary.
    #[must_use]
    pub(crate) const fn new(kind: ErrorKind, span: Span) -> Self {
        Self {
            kind,
            span,
            position: 0,
        }
    }

    /// Converts the byte span into the character `position` within `text`.
    #[must_use]
    pub(crate) fn located(mut self, text: &str) -> Self {
        self.position = char_offset(text, self.span.start);
        self
    }

    /// The stable `snake_case` code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.code(), self.position)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_converts_bytes_to_characters() {
        let e = ParseError::new(ErrorKind::ExpectedValue, Span::new(8, 9)).located("ñame eq ");
        assert_eq!(e.position, 7);
        assert_eq!(e.to_string(), "expected_value at position 7");
    }
}
