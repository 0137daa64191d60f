"""Helpers that compiled filter predicates call while evaluating resources (RFC 7644 §3.4.2.2).

Everything here takes a value straight out of a JSON-shaped resource, whatever its type, and never raises:
a value of the wrong type is simply "no match" (SEMANTICS "Evaluation").

- :func:`is_present` — the ``pr`` rule (J7): not ``None``, ``""``, ``[]``, nor a complex value whose
  sub-attributes are all absent or empty.
- :func:`instant` — an xsd:dateTime string (or a ``datetime``) as an aware instant, or ``None``.
- the schemaless helpers (``resource_type=None``): case-insensitive key lookup and value flattening.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

from ..datetimes import parse_datetime

__all__ = [
    "ABSENT",
    "NUMBER_TYPES",
    "is_present",
    "instant",
    "lookup",
    "schemaless_values",
    "schemaless_elements",
]

NUMBER_TYPES = frozenset((int, float, Decimal))
"""The JSON number types of a resource value (``bool`` is deliberately not one)."""

ABSENT = (None, "", [])
"""Values that are "not present" for a simple attribute (RFC 7643 §2.5, J7, J49); compared with ``in``."""

_UTC = timezone.utc
_MAX_DEPTH = 4  # resource -> attribute -> element -> sub-attribute: deeper values are not SCIM data
_XSD_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?\Z", re.ASCII)
_fromisoformat = datetime.fromisoformat
_SIGNS = ("+", "-")


def is_present(value, _depth: int = 0) -> bool:
    """The ``pr`` rule (RFC 7644 §3.4.2.2 Table 3, J7): a non-empty value, or a node with a non-empty value."""
    if value is None or value == "":
        return False
    kind = type(value)
    if kind is list or kind is dict:
        if _depth >= _MAX_DEPTH:
            return bool(value)
        items = value.values() if kind is dict else value
        for item in items:
            if is_present(item, _depth + 1):
                return True
        return False
    return True


def instant(value) -> datetime | None:
    """``value`` as an aware instant when it is an xsd:dateTime (RFC 7643 §2.3.5), else ``None``.

    A value without an offset is UTC. ``datetime.fromisoformat`` (C code) does the conversion once the
    strict xsd shape is established: for the two shapes servers write (``...:SSZ`` and ``...:SS+HH:MM``) by
    checking the separators here (``fromisoformat`` checks every digit), for the others with a regular
    expression. The rare forms ``fromisoformat`` rejects (``24:00:00``) go through
    :func:`scimcore.datetimes.parse_datetime`, which gives the same instants.
    """
    if type(value) is str:
        length = len(value)
        if not (
            (length == 20 and value[19] == "Z" or length == 25 and value[22] == ":" and value[19] in _SIGNS)
            and value[10] == "T"
            and value[4] == "-"
            and value[7] == "-"
            and value[13] == ":"
            and value[16] == ":"
        ) and (length > 64 or _XSD_DATETIME.match(value) is None):
            return None
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            return parse_datetime(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=_UTC)
        if value[-1] != "Z" and (value[-2] > "5" or value[-5:-3] > "14"):
            return None  # an offset beyond +-14:59 or with minutes >= 60, which fromisoformat would accept
        return parsed
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
    return None


# -- schemaless evaluation (resource_type=None) -----------------------------------------------------------


def lookup(container, name: str):
    """``container[name]`` with the name matched case-insensitively; ``None`` when absent or not an object."""
    if type(container) is not dict:
        return None
    value = container.get(name)
    if value is not None or name in container:
        return value
    folded = name.casefold()
    for key, item in container.items():
        if type(key) is str and key.casefold() == folded:
            return item
    return None


def _scope(resource, uri: str | None):
    """The object a URN-qualified name lives in: the extension object keyed by the URN, else the resource."""
    if uri is None:
        return resource
    extension = lookup(resource, uri)
    return extension if type(extension) is dict else resource


def schemaless_raw(resource, uri: str | None, name: str, sub: str | None):
    """The raw value at ``[uri:]name[.sub]``: for a sub-attribute of a list of objects, the list of values."""
    value = lookup(_scope(resource, uri), name)
    if sub is None:
        return value
    if type(value) is list:
        return [lookup(item, sub) for item in value if type(item) is dict]
    return lookup(value, sub)


def schemaless_values(resource, uri: str | None, name: str, sub: str | None) -> list:
    """The scalar values a comparison on ``[uri:]name[.sub]`` looks at (lists flattened one level).

    An object compared without a sub-attribute contributes its ``value`` member (J5).
    """
    raw = schemaless_raw(resource, uri, name, sub)
    items = raw if type(raw) is list else (raw,)
    out = []
    for item in items:
        if type(item) is dict:
            item = lookup(item, "value")
        if type(item) is list:
            out.extend(x for x in item if type(x) is not dict and type(x) is not list)
        elif item is not None:
            out.append(item)
    return out


def schemaless_elements(resource, uri: str | None, name: str) -> list:
    """The objects a value path ``[uri:]name[...]`` tests: the elements of a list, or a single object."""
    value = lookup(_scope(resource, uri), name)
    if type(value) is dict:
        return [value]
    if type(value) is list:
        return [item for item in value if type(item) is dict]
    return []
