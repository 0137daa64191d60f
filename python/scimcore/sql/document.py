"""Search documents: the form of a resource that SQL compares exactly like the in-memory evaluator.

SQL has no Unicode case folding (SQLite's ``lower()`` folds ASCII only; PostgreSQL's ``lower()`` follows the
database locale and never maps ``ß`` to ``ss``) and compares dateTime strings as text. So ``SqlDirectory``
stores, next to each resource, a *search document* computed here in Python at write time:

- every string of a case-insensitive attribute (``caseExact: false``, RFC 7643 §2.2) is ``str.casefold()``-ed;
- every dateTime (RFC 7643 §2.3.5) becomes the canonical UTC text ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, whose text
  order is its chronological order, so offsets and fractions compare as instants;
- everything else is kept as it is.

:func:`scimcore.sql.to_sql` with ``folded=True`` compares against such a column: the filter's literals get the
same treatment, and the comparison is then plain equality / code-point order in both dialects.

For raw (unfolded) SQLite columns, :func:`register_sqlite_functions` installs ``scim_fold`` and
``scim_instant``, the same two transformations as deterministic SQL functions.
"""

from __future__ import annotations

from datetime import datetime

from ..datetimes import parse_datetime
from ..schema.model import STRING_TYPES, AttributeDef

__all__ = ["fold", "instant_text", "register_sqlite_functions", "search_document"]


def fold(text: str) -> str:
    """Unicode case folding, as the evaluator compares case-insensitive strings (docs/semantics.md §Evaluation)."""
    return text.casefold()


def instant_text(value: datetime) -> str:
    """A UTC instant as fixed-width text whose code-point order is chronological order."""
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
        f"{value.second:02d}.{value.microsecond:06d}Z"
    )


def search_document(resource: dict, registry, resource_type: str) -> dict:
    """The search document of a JSON-shaped resource with canonical attribute names (never modified)."""
    base = registry.base_attributes(resource_type)
    extensions = {urn.lower(): urn for urn in registry.extension_urns(resource_type)}
    out: dict = {}
    for key, value in resource.items():
        urn = extensions.get(key.lower()) if isinstance(key, str) else None
        if urn is not None and isinstance(value, dict):
            attributes = registry.schema(urn).attributes
            out[key] = {k: _value(attributes.get(k.lower()), v) for k, v in value.items()}
        else:
            out[key] = _value(base.get(key.lower()) if isinstance(key, str) else None, value)
    return out


def _value(attr: AttributeDef | None, value):
    if attr is None:
        return value
    if isinstance(value, list) and attr.multi_valued:
        return [_element(attr, item) for item in value]
    return _element(attr, value)


def _element(attr: AttributeDef, value):
    if attr.type == "complex":
        if not isinstance(value, dict):
            return value
        return {k: _value(attr.sub(k), v) if isinstance(k, str) else v for k, v in value.items()}
    if not isinstance(value, str):
        return value
    if attr.type == "dateTime":
        instant = parse_datetime(value)
        return value if instant is None else instant_text(instant)
    if attr.type in STRING_TYPES and not attr.case_exact:
        return fold(value)
    return value


def _sqlite_fold(value):
    return value.casefold() if isinstance(value, str) else value


def _sqlite_instant(value):
    instant = parse_datetime(value) if isinstance(value, str) else None
    return None if instant is None else instant_text(instant)


def register_sqlite_functions(connection) -> None:
    """Install ``scim_fold(text)`` and ``scim_instant(text)`` on a ``sqlite3`` connection.

    :func:`scimcore.sql.to_sql` in the ``sqlite`` dialect on a raw (unfolded) column uses them, so that SQLite
    folds case and compares dateTimes exactly as the evaluator does.
    """
    connection.create_function("scim_fold", 1, _sqlite_fold, deterministic=True)
    connection.create_function("scim_instant", 1, _sqlite_instant, deterministic=True)
