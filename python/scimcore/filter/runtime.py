"""Helpers that compiled filter predicates call while evaluating resources (RFC 7644 §3.4.2.2).

Everything here takes a value straight out of a JSON-shaped resource, whatever its type, and never raises:
a value of the wrong type is simply "no match" (docs/semantics.md §Evaluation).

- :func:`is_present` — the ``pr`` rule (docs/semantics.md §Evaluation), judged on the JSON value's shape.
- :func:`instant` — an xsd:dateTime string (or a ``datetime``) as an aware instant, or ``None``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from ..datetimes import parse_datetime

__all__ = [
    "ABSENT",
    "NUMBER_TYPES",
    "instant",
    "is_present",
]

NUMBER_TYPES = frozenset((int, float, Decimal))
"""The JSON number types of a resource value (``bool`` is deliberately not one)."""

ABSENT: tuple = (None, "", [])
"""The scalar values that are "not present" (RFC 7643 §2.5), and ``[]``; compared with ``in``."""

_UTC = UTC
MAX_NESTING = 256
"""How deep :func:`is_present` looks into nested objects and arrays."""
_XSD_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?\Z", re.ASCII)
_fromisoformat = datetime.fromisoformat
_SIGNS = ("+", "-")


def is_present(value) -> bool:
    """The ``pr`` rule (RFC 7644 §3.4.2.2 Table 3, docs/semantics.md §Evaluation), whatever the declared type: a
    value is absent when it is ``None`` or ``""``, or an object or array all of whose members are absent by the
    same rule (so ``[]``, ``{}``, ``[{}]`` and ``{"value": ""}`` are absent).

    Iterative; below :data:`MAX_NESTING` levels (no JSON document nests so deep; a self-referencing dict
    would) a non-empty container counts as present."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if depth >= MAX_NESTING:
                if item:
                    return True
                continue
            members = item.values() if kind is dict else item
            stack.extend((member, depth + 1) for member in members)
        elif item is not None and item != "":
            return True
    return False


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
            ((length == 20 and value[19] == "Z") or (length == 25 and value[22] == ":" and value[19] in _SIGNS))
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
