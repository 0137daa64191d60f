"""Filter and path errors: stable codes, one message template per code (RFC 7644 §3.4.2.2, §3.12).

Syntax errors: both parser backends report ``(code, position)``; :func:`syntax_error` turns that into the
exception, so that the two backends' errors are identical to the letter. Semantic errors (the filter does not
fit the schema): :func:`filter_error` builds them in the bind step (:mod:`.bind`), with the code and the span of
the AST node at fault. See ``docs/filter-language.md`` for when each code applies.
"""

from __future__ import annotations

from ..errors import InvalidFilter, InvalidPath
from .ast import path_span_of, span_of

MESSAGES: dict[str, str] = {
    "too_long": "the input is longer than the limit of {max_length} bytes",
    "invalid_character": "the input holds a character that is not valid Unicode text",
    "unexpected_character": "unexpected character",
    "invalid_string": "malformed string literal (strings are JSON strings in double quotes)",
    "invalid_number": "malformed number literal (numbers are JSON numbers of at most 256 characters)",
    "invalid_attribute_path": "malformed attribute path",
    "too_deep": "the filter is nested deeper than the limit of {max_depth} levels",
    "nested_value_path": "a value path cannot be nested inside another value path",
    "expected_filter": "expected an attribute path, '(' or 'not ('",
    "expected_operator": "expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or 'pr'",
    "expected_value": "expected a value: a string, a number, true, false or null",
    "unexpected_token": "expected 'and', 'or', a closing bracket or the end of the input",
    "too_many_comparisons": "the filter has more comparisons than the limit of {max_comparisons}",
    "internal_error": "internal parser error",
}

PATH_START = "expected an attribute path"
"""``expected_filter`` where a PATCH path begins: a path is never a parenthesis or ``not``."""

SEMANTIC_MESSAGES: dict[str, str] = {
    "unknown_attribute": "{reason}",
    "unknown_sub_attribute": "{path!r} is not a sub-attribute of {parent!r}",
    "never_returned": "attribute {path!r} is never returned and cannot be used in a filter",
    "not_complex": "{path!r} is not a complex attribute: brackets need sub-attributes to filter",
    "whole_extension": "{path!r} names a whole extension: only pr, eq null and ne null apply",
    "complex_without_value": "{path!r} is complex and has no 'value' sub-attribute to compare",
    "operator_not_supported": "{path!r} is {kind}: the operator {op!r} does not apply to it",
    "wrong_literal_type": "{path!r} is {kind}: compare it with {want}, not {got}",
    "null_comparison": "null can only be compared with eq or ne, not {op!r}",
    "uncomparable_type": "{path!r} has type {kind!r}, which filters cannot compare",
    "unknown_operator": "the operator {op!r} is not supported",
    "invalid_ast": "not a well-formed filter AST: {what}",
}
"""The semantic error codes (docs/filter-language.md, "Errors") and their message templates."""


def syntax_error(code: str, position: int, text: str, *, path: bool = False, limits=None):
    """Build the ``InvalidFilter`` (or, for PATCH paths, ``InvalidPath``) for a syntax error."""
    from .limits import FilterLimits

    limits = limits or FilterLimits()
    message = MESSAGES.get(code, MESSAGES["internal_error"]).format(
        max_length=limits.max_length, max_depth=limits.max_depth, max_comparisons=limits.max_comparisons
    )
    if path and code == "expected_filter" and "[" not in text[:position]:
        message = PATH_START
    detail = f"{message} at position {position}"
    if position >= len(text) and code not in ("too_long", "invalid_character"):
        detail += " (end of input)"
    cls = InvalidPath if path else InvalidFilter
    error = cls(detail, position=position, code=code)
    error.span = (position, position)
    return error


def filter_error(code: str, node, **fields) -> InvalidFilter:
    """The ``InvalidFilter`` of a semantic error ``code`` at ``node`` (its span, if it was parsed).

    ``detail`` is the code's template filled with ``fields`` (``got`` is a literal, described in words); it
    holds no position: ``position`` and ``span`` carry it.
    """
    return _semantic_error(code, span_of(node), fields)


def path_error(code: str, node, **fields) -> InvalidFilter:
    """As :func:`filter_error`, at the attribute path of ``node`` (its path span, if it was parsed): for the
    errors about what a path names (``unknown_attribute``, ``unknown_sub_attribute``, ``never_returned``)."""
    return _semantic_error(code, path_span_of(node), fields)


def _semantic_error(code: str, span: tuple[int, int] | None, fields: dict) -> InvalidFilter:
    if "got" in fields:
        fields["got"] = describe(fields["got"])
    template = SEMANTIC_MESSAGES.get(code) or MESSAGES[code]
    error = InvalidFilter(template.format(**fields), position=None if span is None else span[0], code=code)
    error.span = span
    return error


def describe(value) -> str:
    """A literal in words, for messages: ``null``, ``true``, ``the string 'x'``, ``the number 5``."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is str:
        return f"the string {value!r}"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return f"the number {value}"
    return f"a {type(value).__name__}"
