"""The public filter and PATCH path parsers (RFC 7644 §3.4.2.2, §3.5.2), with a choice of backend.

``BACKEND`` is ``"native"`` when the compiled Rust module ``scimcore._native`` imports, else ``"python"``
(the Lark parser). The environment variable ``SCIMCORE_BACKEND`` overrides the default at import time:
``python`` forces the Lark parser; ``native`` requires the compiled module, and without it every parse that
uses the default backend raises a :class:`~scimcore.errors.ScimError` naming the problem (importing
``scimcore`` still works, so the error surfaces where the parser is used, with a message, not as an
``ImportError`` at start-up). Any other value is refused with a ``RuntimeWarning`` naming it, and the default
applies.

Both backends are given the same input and report errors as ``(code, position)``, turned into the exception
by :func:`scimcore.filter.errors.syntax_error`, so the two agree to the letter. The input checks that come
first (not a ``str``: ``expected_filter`` at 0; ``invalid_character`` for a lone surrogate; ``too_long`` in
UTF-8 bytes) run here for the Lark parser. The native parser (``_native.AstParser``, which builds the AST
Structs while parsing, with the constructors of :mod:`.construct`) makes the same checks with the same
results, so its calls go straight to it: the default call ``parse_filter(text)`` is one Python frame around
one native call. The native parser reuses the
``AttrPath`` objects it built recently (a bounded cache keyed by the path text; see :mod:`.ast`); the
results are otherwise new objects on every call, and parse results are never cached.
"""

from __future__ import annotations

import os
import re
import warnings

from ..errors import ScimError
from . import construct, lark_parser
from .ast import Filter, PatchPath
from .errors import syntax_error
from .limits import DEFAULT_LIMITS, FilterLimits

try:
    from .. import _native
except ImportError:  # the compiled module is not built: the Lark parser is the only backend
    _native = None  # type: ignore[assignment]  # a module, or None: the stub types the module

__all__ = ["BACKEND", "BACKENDS", "parse_filter", "parse_path"]

BACKENDS = ("native", "python")
_requested = os.environ.get("SCIMCORE_BACKEND", "").strip().lower()
BACKEND: str = _requested if _requested in BACKENDS else ("native" if _native is not None else "python")
if _requested and _requested not in BACKENDS:
    warnings.warn(
        f"SCIMCORE_BACKEND={os.environ['SCIMCORE_BACKEND']!r} is neither 'native' nor 'python'; "
        f"using the default, {BACKEND!r}",
        RuntimeWarning,
        stacklevel=2,
    )

_SURROGATE_RE = re.compile("[\ud800-\udfff]")

# The native parser (it builds the AST Structs while parsing) and its error, or None without the compiled module.
_native_parser = None if _native is None else _native.AstParser(construct)
_NativeSyntaxError = None if _native is None else _native.FilterSyntaxError
# The default call goes straight to the native parser (with its own default limits, the same as
# DEFAULT_LIMITS: a test checks) when that is the default backend.
_default_parse_filter = _native_parser.parse_filter if BACKEND == "native" else None
_default_parse_path = _native_parser.parse_path if BACKEND == "native" else None


def parse_filter(text: str, backend: str | None = None, limits: FilterLimits | None = None) -> Filter:
    """Parse a SCIM filter (RFC 7644 §3.4.2.2) into its AST; syntax errors raise ``InvalidFilter``.

    ``backend`` is ``"native"``, ``"python"`` or ``None`` (:data:`BACKEND`); ``limits`` defaults to
    :class:`FilterLimits` ``()``.
    """
    if backend is None and limits is None and _default_parse_filter is not None:
        try:
            return _default_parse_filter(text)
        except _NativeSyntaxError as failure:
            raise _native_error(failure, text, DEFAULT_LIMITS, False) from None
    return _parse(text, backend, limits or DEFAULT_LIMITS, path=False)


def parse_path(text: str, backend: str | None = None, limits: FilterLimits | None = None) -> PatchPath:
    """Parse a PATCH operation's ``path`` (RFC 7644 §3.5.2); syntax errors raise ``InvalidPath``."""
    if backend is None and limits is None and _default_parse_path is not None:
        try:
            return _default_parse_path(text)
        except _NativeSyntaxError as failure:
            raise _native_error(failure, text, DEFAULT_LIMITS, True) from None
    return _parse(text, backend, limits or DEFAULT_LIMITS, path=True)


def _native_error(failure, text, limits: FilterLimits, path: bool):
    """The exception for the native parser's ``FilterSyntaxError(code, position)``."""
    code, position = failure.args
    return syntax_error(code, position, text if isinstance(text, str) else "", path=path, limits=limits)


def _parse(text, backend: str | None, limits: FilterLimits, *, path: bool):
    backend = BACKEND if backend is None else backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown filter parser backend {backend!r}: expected one of {BACKENDS}")
    if backend == "native":
        return _parse_native(text, limits, path)
    if not isinstance(text, str):
        # Not text at all (e.g. a JSON number in a SearchRequest): nothing to parse, so "expected_filter".
        raise syntax_error("expected_filter", 0, "", path=path, limits=limits)
    _precheck(text, limits, path)
    return _parse_python(text, limits, path)


def _precheck(text: str, limits: FilterLimits, path: bool) -> None:
    """``too_long`` (UTF-8 bytes) and ``invalid_character`` (a lone surrogate), before the Lark parser runs."""
    if text.isascii():  # the common case: one byte per character, no surrogates
        size = len(text)
    else:
        surrogate = _SURROGATE_RE.search(text)
        if surrogate is not None:
            raise syntax_error("invalid_character", surrogate.start(), text, path=path, limits=limits)
        size = len(text.encode("utf-8"))
    if size > limits.max_length:
        raise syntax_error("too_long", 0, text, path=path, limits=limits)


def _parse_python(text: str, limits: FilterLimits, path: bool):
    try:
        if path:
            return lark_parser.parse_path(text, limits)
        return lark_parser.parse_filter(text, limits)
    except lark_parser.ParseFailure as failure:
        raise syntax_error(failure.code, failure.position, text, path=path, limits=limits) from None


def _parse_native(text, limits: FilterLimits, path: bool):
    """The native parser; it checks the type, lone surrogates and the length itself, with the same results."""
    if _native_parser is None:
        raise ScimError(
            "the native filter parser (scimcore._native) is not available in this installation; "
            "use backend='python' or unset SCIMCORE_BACKEND=native",
            status=500,
        )
    parse = _native_parser.parse_path if path else _native_parser.parse_filter
    try:
        return parse(text, (limits.max_length, limits.max_depth, limits.max_comparisons))
    except _NativeSyntaxError as failure:
        raise _native_error(failure, text, limits, path) from None
