"""The sans-IO request and response of the protocol layer (RFC 7644 §3.1, §3.8, §3.12).

A :class:`Request` is what :meth:`scimcore.Service.handle` was given, parsed once: method, path segments, query
parameters (names lower-cased: RFC 7644 §3.4.2 names are case-insensitive) and headers (names lower-cased).
A :class:`Response` is status, headers and body bytes; every body is ``application/scim+json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..errors import ScimError

__all__ = [
    "MEDIA_TYPE",
    "Request",
    "Response",
    "Unauthorized",
    "current_request",
    "error_document",
    "error_response",
    "json_response",
]

MEDIA_TYPE = "application/scim+json"
_JSON_MEDIA = ("application/scim+json", "application/json")

_encode = msgspec.json.Encoder(decimal_format="number").encode
_CONTENT_TYPE = ("Content-Type", MEDIA_TYPE)

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""Request headers: a mapping, or ``(name, value)`` pairs (repeated names are joined with ``", "``)."""


@dataclass(slots=True)
class Response:
    """An HTTP response: ``status``, ``headers`` (``(name, value)`` pairs) and ``body`` bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The value of the header ``name`` (any case), or ``None``."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass(slots=True)
class Request:
    """One request as the service sees it. ``principal`` is what the ``authenticate`` hook returned."""

    method: str
    path: str
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    principal: Any = None

    def header(self, name: str) -> str | None:
        """The value of the header ``name`` (lower-case), or ``None``."""
        return self.headers.get(name)


CURRENT: ContextVar[Request | None] = ContextVar("scimcore_service_request", default=None)


def current_request() -> Request | None:
    """The request ``Service.handle`` is answering in this context (``None`` outside one): how a server's own
    store learns the caller (``current_request().principal``, a tenant, say) without the store contract
    carrying it."""
    return CURRENT.get()


class Unauthorized(ScimError):
    """No credentials, or wrong ones (401, RFC 7644 §3.12 Table 8); carries the ``WWW-Authenticate`` challenge."""

    status = 401

    def __init__(self, detail: str = "authentication required", *, challenge: str = 'Bearer realm="SCIM"') -> None:
        super().__init__(detail)
        self.challenge = challenge


class LowerHeaders(dict[str, str]):
    """Headers already in the form :func:`lower_headers` gives (names lower-cased, repeats joined): what an
    adapter builds straight from its server's request, so that ``Service.handle`` takes them as they are."""

    __slots__ = ()


def lower_headers(headers: Headers | None) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with ``", "`` (RFC 9110 §5.3)."""
    if type(headers) is LowerHeaders:
        return headers
    if not headers:
        return {}
    items = headers if type(headers) is list else headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower() if type(name) is str else str(name).lower()
        text = value if type(value) is str else str(value)
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def is_json_media(content_type: str) -> bool:
    """``application/scim+json`` or ``application/json``, parameters allowed (RFC 7644 §3.1, §3.8)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_MEDIA


def json_response(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    """A response carrying ``document`` encoded as JSON."""
    out = [_CONTENT_TYPE]
    if headers:
        out.extend(headers)
    return Response(status, out, _encode(document))


def error_document(error: ScimError) -> dict[str, Any]:
    """The RFC 7644 §3.12 Error message of ``error`` (``status`` as a string; a failed precondition is a bare
    412, §3.14)."""
    body: dict[str, Any] = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": str(error.status)}
    if error.scim_type is not None and error.status != 412:
        body["scimType"] = error.scim_type
    if error.detail:
        # a detail may quote client input that is not valid Unicode (a lone surrogate): escaped, never a crash
        body["detail"] = error.detail.encode("utf-8", "backslashreplace").decode("utf-8")
    return body


def error_response(error: ScimError, extra: list[tuple[str, str]] | None = None) -> Response:
    """The Error message of ``error`` with its status, ``WWW-Authenticate`` for a 401, and ``Retry-After`` when
    the error says when to retry (``retry_after`` seconds: a 429 or a 503, RFC 9110 §10.2.3)."""
    headers = list(extra or ())
    if isinstance(error, Unauthorized):
        headers.append(("WWW-Authenticate", error.challenge))
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int):
        headers.append(("Retry-After", str(retry_after)))
    return json_response(error.status, error_document(error), headers)
