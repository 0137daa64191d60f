"""Filter and path syntax errors: stable codes, one message per code (RFC 7644 §3.4.2.2, §3.12).

Both parser backends report ``(code, position)``; this module turns that into the exception, so that the
two backends' errors are identical to the letter. See ``docs/filter-language.md`` for when each code applies.
"""

from __future__ import annotations

from ..errors import InvalidFilter, InvalidPath

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
    return cls(detail, position=position, code=code)
