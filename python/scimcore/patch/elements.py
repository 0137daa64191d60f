"""Values of multi-valued attributes as PATCH sees them (RFC 7643 §2.4, RFC 7644 §3.5.2).

- :func:`canonical_keys`: a complex value with its sub-attribute names in the schema's spelling (foreign
  resources may write ``"Value"``), the same object when it already is canonical.
- :func:`identity`: the hashable key under which two values of an attribute count as "the same value", used to
  skip duplicates on ``add``. Strings compare case-insensitively (``casefold``) unless ``caseExact``.
  Elements whose ``value`` sub-attribute is an identifier (``immutable`` or ``readOnly``, like ``members.value``)
  are the same when their ``value`` is; other complex values are the same when every sub-attribute is.
"""

from __future__ import annotations

from ..schema.model import AttributeDef

__all__ = ["canonical_keys", "identity", "is_present", "value_identity"]


def canonical_keys(attr: AttributeDef, value):
    """``value`` (a complex value of ``attr``) with sub-attribute keys spelled as the schema spells them."""
    if type(value) is not dict:
        return value
    subs = attr.sub_attributes
    for key in value:
        sub = subs.get(key.lower()) if isinstance(key, str) else None
        if sub is not None and sub.name != key:
            break
    else:
        return value
    out = {}
    for key, item in value.items():
        sub = subs.get(key.lower()) if isinstance(key, str) else None
        out[sub.name if sub is not None else key] = item
    return out


def _scalar_key(attr: AttributeDef | None, value):
    if isinstance(value, str):
        return value if attr is not None and attr.case_exact else value.casefold()
    if isinstance(value, bool):
        return ("bool", value)  # keep True apart from 1
    if isinstance(value, (list, dict)):
        return None
    return value


def identity(attr: AttributeDef, value):
    """The duplicate-detection key of one value of ``attr``, or ``None`` when it has none (not hashable)."""
    if not attr.is_complex:
        return _scalar_key(attr, value)
    if type(value) is not dict:
        return None
    value_def = attr.sub("value")
    if value_def is not None and value_def.mutability in ("immutable", "readOnly"):
        return value_identity(attr, value)
    parts = []
    for key, item in value.items():
        if item is None:
            continue
        sub = attr.sub(key) if isinstance(key, str) else None
        scalar = _scalar_key(sub, item)
        if scalar is None:
            return None
        parts.append(((sub.name if sub is not None else key), scalar))
    return ("complex", frozenset(parts))


def value_identity(attr: AttributeDef, value):
    """The key of a complex value by its ``value`` sub-attribute alone, or ``None`` without one."""
    if type(value) is not dict:
        return None
    item = value.get("value")
    if item is None:
        return None
    return ("value", _scalar_key(attr.sub("value"), item))


def is_present(value) -> bool:
    """Assigned (RFC 7643 §2.5): not ``None``, ``""``, ``[]`` nor ``{}``."""
    return value is not None and value != "" and value != [] and value != {}
