"""Request framing at the HTTP edge, shared by ``wsgi_app`` and ``asgi_app`` (RFC 9112 §6; docs/semantics.md §Limits).

Before a byte of a body is read: a ``Content-Length`` that is not a number is 400, one over the limit is 413;
``Transfer-Encoding`` together with ``Content-Length`` is 400 (RFC 9112 §6.1: a request smuggling sign), and a
transfer coding other than ``chunked`` is 501. A body of unknown length (chunked) is counted while it is read and
refused with 413 as soon as it passes the limit; a body that ends before its ``Content-Length`` (the client went
away) is never handed to the service, so it cannot cause a partial write. Response header values never carry
CR, LF or NUL (no header injection through an id or a version): such characters are percent-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import ScimError
from .discovery import Limits
from .http import Headers, Response

__all__ = ["ClientGone", "Handler", "body_limit", "declared_length", "header_value", "read_limited", "too_large"]

CHUNK = 64 * 1024
_DIGITS = re.compile(r"[0-9]{1,19}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class Handler(Protocol):
    """What the adapters serve: ``scimcore.Service``, or a ``TenantService`` in front of several."""

    @property
    def limits(self) -> Limits: ...

    def handle(self, method: str, target: str, headers: Headers | None = None, body: bytes = b"") -> Response: ...


def body_limit(handler: Any) -> int:
    """The largest body any endpoint of ``handler`` takes (``/Bulk`` may take more than the others)."""
    return max(handler.limits.max_body_bytes, handler.limits.bulk_max_payload_size)


class ClientGone(Exception):
    """The client closed the connection before its body was complete: nothing is handled."""


def too_large(limit: int) -> ScimError:
    """The 413 of a body over ``limit`` bytes."""
    return ScimError(f"the request body is over the limit ({limit} bytes)", status=413)


def declared_length(content_length: str | None, transfer_encoding: str | None, limit: int) -> int | None:
    """The body length the headers declare (``None``: unknown, to be counted), or the ``ScimError`` to answer."""
    if transfer_encoding is not None and transfer_encoding.strip():
        if content_length is not None:
            raise ScimError("Transfer-Encoding and Content-Length together are refused (RFC 9112 §6.1)")
        codings = [coding.strip().lower() for coding in transfer_encoding.split(",")]
        if codings != ["chunked"]:
            raise ScimError(f"unsupported Transfer-Encoding {transfer_encoding[:64]!r}", status=501)
        return None
    if content_length is None or not content_length.strip():
        return 0
    text = content_length.strip()
    if not _DIGITS.fullmatch(text):
        raise ScimError(f"Content-Length {text[:32]!r} is not a number")
    length = int(text)
    if length > limit:
        raise ScimError(f"the request body is {length} bytes, over the limit ({limit} bytes)", status=413)
    return length


def read_limited(read: Callable[[int], bytes], length: int | None, limit: int) -> bytes:
    """Read a body of ``length`` bytes (``None``: until the end, counting) through ``read(n)``; 413 past
    ``limit``; :class:`ClientGone` when it ends early."""
    chunks: list[bytes] = []
    size = 0
    wanted = limit + 1 if length is None else length
    while size < wanted:
        chunk = read(min(CHUNK, wanted - size))
        if not chunk:
            break
        size += len(chunk)
        chunks.append(chunk)
    if length is None:
        if size > limit:
            raise too_large(limit)
    elif size < length:
        raise ClientGone(f"the body ended after {size} of {length} bytes")
    return b"".join(chunks)


def header_value(value: str) -> str:
    """``value`` without control characters (percent-encoded), so that no header can be split."""
    if _UNSAFE.search(value) is None:
        return value
    return _UNSAFE.sub(lambda match: f"%{ord(match.group()):02X}", value)
