"""Reading JSON from the wire safely (RFC 7644 §3.12 ``invalidSyntax``), with the limits scimcore enforces.

Limits on bytes/str input (``max_bytes``, default :data:`MAX_DOCUMENT_BYTES`, 8 MiB): a larger document is
rejected with ``tooMany`` before any parsing, so a 50 MB body costs nothing. Nesting: msgspec's decoder guards
its recursion with the interpreter's recursion limit; a document nested deeper than that (a 100,000-deep array)
is ``invalidSyntax``, as are malformed JSON and bytes that are not UTF-8. Resource documents are then checked
against their schema, which never nests deeper than resource → extension → attribute → value → sub-attribute,
so validation itself never recurses on input depth.
"""

from __future__ import annotations

import msgspec

from ..errors import MAX_DOCUMENT_BYTES, InvalidSyntax, TooMany

__all__ = ["MAX_DOCUMENT_BYTES", "is_unicode_text", "load_json"]

_decode = msgspec.json.Decoder().decode


def load_json(data, *, max_bytes: int = MAX_DOCUMENT_BYTES, what: str = "document"):
    """Parse ``data`` (bytes, bytearray, memoryview or str) to JSON builtins, or raise a ``ScimError``."""
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise InvalidSyntax(f"the {what} must be JSON text, not {type(data).__name__}")
    size = len(data) if not isinstance(data, memoryview) else data.nbytes
    if size > max_bytes:
        raise TooMany(f"the {what} is {size} bytes long, more than the maximum of {max_bytes}")
    try:
        return _decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidSyntax(f"the {what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidSyntax(f"the {what} is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError and friends: not UTF-8
        raise InvalidSyntax(f"the {what} is not valid UTF-8 JSON: {exc}") from None


def is_unicode_text(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate), as everything read from JSON is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
