"""Cursor pagination (RFC 9865): opaque, signed, query-bound cursors over a keyset on ``id``.

A cursor names the last ``id`` a page returned; the next page is the query's filter ``and id gt "<last>"``
sorted by ``id`` (a stable order every store offers through its filter and sort), so a full walk returns every
resource that existed throughout it exactly once, whatever is written meanwhile (docs/semantics.md §Protocol).

The cursor is ``base64url(payload) "." base64url(HMAC-SHA256(secret, payload)[:16])`` where the payload is the
JSON ``[query digest, last id, issued at]``. Anything that does not verify, or that was issued for another
query, is 400 ``invalidCursor``; a cursor older than the timeout is 400 ``expiredCursor``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

import msgspec

from ..errors import ScimError

__all__ = ["CursorSigner", "ExpiredCursor", "InvalidCursor"]

_decode = msgspec.json.Decoder(tuple[str, str, int]).decode
_encode = msgspec.json.encode


class InvalidCursor(ScimError):
    """A cursor that is forged, damaged, or issued for another query (RFC 9865: 400 ``invalidCursor``)."""

    scim_type = "invalidCursor"


class ExpiredCursor(ScimError):
    """A cursor older than ``pagination.cursorTimeout`` (RFC 9865: 400 ``expiredCursor``)."""

    scim_type = "expiredCursor"


class CursorSigner:
    """Issues and checks the cursors of one service (``secret``: bytes; ``timeout``: seconds)."""

    def __init__(self, secret: bytes, timeout: int, clock: Callable[[], float] = time.time) -> None:
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ValueError("the cursor secret must be at least 16 bytes")
        self._secret = secret
        self.timeout = timeout
        self._clock = clock

    @staticmethod
    def digest(*parts: object) -> str:
        """A short digest of the query a cursor belongs to (its parts as JSON)."""
        return hashlib.sha256(_encode(parts)).hexdigest()[:24]

    def issue(self, query: str, last_id: str) -> str:
        """The cursor of the page after ``last_id`` for the query with digest ``query``."""
        payload = _encode((query, last_id, int(self._clock())))
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def last_id(self, cursor: str, query: str) -> str:
        """The ``id`` a valid cursor of this query continues after; ``InvalidCursor`` / ``ExpiredCursor``."""
        body, dot, mac = cursor.partition(".")
        try:
            payload = _unb64(body)
            given = _unb64(mac)
        except ValueError:
            raise InvalidCursor("the cursor is not one this service issued") from None
        if not dot or not hmac.compare_digest(given, self._mac(payload)):
            raise InvalidCursor("the cursor is not one this service issued")
        try:
            digest, last, issued = _decode(payload)
        except msgspec.DecodeError:
            raise InvalidCursor("the cursor is not one this service issued") from None
        if digest != query:
            raise InvalidCursor("the cursor was issued for another query")
        if self._clock() - issued > self.timeout:
            raise ExpiredCursor(f"the cursor has expired (cursorTimeout is {self.timeout} seconds)")
        return last

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ValueError("not base64url") from None
