"""Routing (RFC 7644 §3.2 Table 2, §3.13, §4): from a request target to an endpoint and the methods it takes.

Paths are matched case-insensitively segment by segment after percent-decoding. An optional leading protocol
version segment is accepted when it is ``v2`` and refused with 400 ``invalidVers`` otherwise (RFC 7644 §3.13).
Query parameter names are case-insensitive (RFC 7644 §3.4.2): they are lower-cased here, and a parameter given
twice is 400 ``invalidValue`` (``attributes``/``excludedAttributes`` repeated are joined, as one list).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_to_bytes

import msgspec

from ..errors import InvalidValue, NotFound, ScimError

__all__ = ["Route", "Router", "split_target"]

_VERSION = re.compile(r"v\d+", re.IGNORECASE)
_LISTS = frozenset(("attributes", "excludedattributes"))

READ = ("GET", "HEAD")
ALLOW = {
    "config": READ,
    "schemas": READ,
    "resource_types": READ,
    "bulk": ("POST",),
    "root_search": ("POST",),
    "collection": ("GET", "HEAD", "POST"),
    "search": ("POST",),
    "resource": ("GET", "HEAD", "PUT", "PATCH", "DELETE"),
    "me": ("GET", "HEAD", "PUT", "PATCH", "DELETE"),
}
"""The methods each kind of endpoint takes (RFC 7644 §3.2); others are 405 with ``Allow``."""


class Route(msgspec.Struct, frozen=True):
    """An endpoint: ``kind`` (a key of :data:`ALLOW`), the resource type it serves and the id it names."""

    kind: str
    resource_type: str | None = None
    resource_id: str | None = None

    @property
    def allow(self) -> tuple[str, ...]:
        return ALLOW[self.kind]


def split_target(target: str) -> tuple[str, list[str], dict[str, str]]:
    """``path?query`` → the path, its decoded segments (no empty ones) and the query parameters."""
    path, _, query = target.partition("?")
    segments = [_unquote(part) if "%" in part else part for part in path.split("/") if part]
    return path, segments, parse_query(query) if query else {}


def parse_query(query: str) -> dict[str, str]:
    """Query parameters by lower-cased name (RFC 7644 §3.4.2); ``+`` is a space, as forms encode it."""
    out: dict[str, str] = {}
    for part in query.split("&"):  # what parse_qsl(query, keep_blank_values=True) reads, without its overhead
        if not part:
            continue
        name, _, value = part.partition("=")
        if "+" in name or "%" in name:
            name = _unquote(name.replace("+", " "))
        if "+" in value or "%" in value:
            value = _unquote(value.replace("+", " "))
        key = name.lower()
        if key in out:
            if key not in _LISTS:
                raise InvalidValue(f"the query parameter {name!r} is given more than once")
            value = f"{out[key]},{value}"
        out[key] = value
    return out


def _unquote(text: str) -> str:
    """``urllib.parse.unquote(text)``; for ASCII text (what a URL is) the same decoding in one pass over the bytes:
    the ASCII characters between escapes end any broken UTF-8 sequence alike, so the results are the same."""
    if not text.isascii():
        return unquote(text)
    return unquote_to_bytes(text.encode("ascii")).decode("utf-8", "replace")


class Router:
    """The endpoints of one service: discovery, ``/Bulk``, ``/.search``, ``/Me`` and one per resource type."""

    def __init__(self, endpoints: dict[str, str]) -> None:
        """``endpoints`` maps each served resource type name to its endpoint (``"/Users"``)."""
        self._types = {endpoint.strip("/").lower(): name for name, endpoint in endpoints.items()}
        self._fixed = {
            "serviceproviderconfig": "config",
            "schemas": "schemas",
            "resourcetypes": "resource_types",
            "bulk": "bulk",
            ".search": "root_search",
            "me": "me",
        }

    def route(self, segments: list[str]) -> Route:
        """The endpoint the path segments name; ``NotFound`` (404) for anything else."""
        if segments and segments[0][:1] in ("v", "V") and _VERSION.fullmatch(segments[0]):
            if segments[0].lower() != "v2":
                raise ScimError(f"unsupported SCIM protocol version {segments[0]!r}", scim_type="invalidVers")
            segments = segments[1:]
        if not segments:
            raise NotFound("no endpoint at the service root")
        head = segments[0].lower()
        rest = segments[1:]
        kind = self._fixed.get(head)
        if kind is not None and head not in self._types:
            if kind in ("schemas", "resource_types") and len(rest) <= 1:
                return Route(kind, None, rest[0] if rest else None)
            if not rest:
                return Route(kind)
            raise NotFound(f"no endpoint at {'/'.join(segments)!r}")
        resource_type = self._types.get(head)
        if resource_type is None:
            raise NotFound(f"no endpoint {segments[0]!r}")
        if not rest:
            return Route("collection", resource_type)
        if len(rest) == 1:
            if rest[0].lower() == ".search":
                return Route("search", resource_type)
            return Route("resource", resource_type, rest[0])
        raise NotFound(f"no endpoint at {'/'.join(segments)!r}")
