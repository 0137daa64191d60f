"""Checking and coercing attribute values against their definitions (RFC 7643 §2.3, §2.4).

Used by decoding (``scimcore.decode``/``normalize``) and by PATCH. Returns new, canonical values (attribute
names in the schema's spelling, policy coercions applied) and never modifies its input. Every problem is an
``InvalidValue`` naming the attribute.
"""

from __future__ import annotations

from decimal import Decimal

from ..datetimes import parse_datetime
from ..errors import InvalidValue
from ..policy import Policy
from .model import STRING_TYPES, AttributeDef

__all__ = ["check_single_primary", "coerce_attribute", "coerce_element"]

_DEFAULT_POLICY = Policy()


def coerce_attribute(attr: AttributeDef, value, policy: Policy = _DEFAULT_POLICY, *, where: str | None = None):
    """Check a whole attribute value: a list for multi-valued attributes, else one value.

    ``None`` stays ``None`` (unassigned, RFC 7643 §2.5). For a multi-valued attribute, ``null`` elements are
    dropped and at most one element may carry ``primary: true`` (RFC 7643 §2.4).
    """
    where = where or attr.name
    if value is None:
        return None
    if attr.multi_valued:
        if not isinstance(value, list):
            raise InvalidValue(f"attribute {where!r} is multi-valued: expected a JSON array")
        out = [coerce_element(attr, item, policy, where=where) for item in value if item is not None]
        check_single_primary(attr, out, where=where)
        return out
    return coerce_element(attr, value, policy, where=where)


def coerce_element(attr: AttributeDef, value, policy: Policy = _DEFAULT_POLICY, *, where: str | None = None):
    """Check one value of ``attr`` (one element, for a multi-valued attribute)."""
    where = where or attr.name
    kind = attr.type
    if kind == "complex":
        if isinstance(value, str) and policy.bare_string_complex and attr.sub("value") is not None:
            value = {"value": value}
        if not isinstance(value, dict):
            raise InvalidValue(f"attribute {where!r} is complex: expected a JSON object")
        return _coerce_complex(attr, value, policy, where)
    if kind in STRING_TYPES:
        if not isinstance(value, str):
            raise InvalidValue(f"attribute {where!r} must be a string")
        canonical = attr.canonical_values if policy.check_canonical_values else ()
        if canonical and value.casefold() not in {c.casefold() for c in canonical}:
            raise InvalidValue(f"attribute {where!r} must be one of {', '.join(canonical)}, not {value!r}")
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and policy.string_booleans and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InvalidValue(f"attribute {where!r} must be true or false")
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InvalidValue(f"attribute {where!r} must be an integer")
    if kind == "decimal":
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return value
        raise InvalidValue(f"attribute {where!r} must be a number")
    if kind == "dateTime":
        if isinstance(value, str) and parse_datetime(value) is not None:
            return value
        raise InvalidValue(f"attribute {where!r} must be an xsd:dateTime string such as 2011-05-13T04:42:34Z")
    raise InvalidValue(f"attribute {where!r} has an unsupported type {kind!r}")


def _coerce_complex(attr: AttributeDef, value: dict, policy: Policy, where: str) -> dict:
    out: dict = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidValue(f"attribute {where!r}: keys must be strings")
        sub = attr.sub(key)
        if sub is None or (sub.name != key and not policy.case_insensitive_names):
            raise InvalidValue(f"attribute {where!r} has no sub-attribute {key!r}")
        if sub.name in out:
            raise InvalidValue(f"attribute {where!r} has the sub-attribute {sub.name!r} twice (in different case)")
        coerced = coerce_attribute(sub, item, policy, where=f"{where}.{sub.name}")
        if coerced is not None and coerced != []:  # null and [] are unassigned (RFC 7643 §2.5)
            out[sub.name] = coerced
    return out


def check_single_primary(attr: AttributeDef, values: list, *, where: str | None = None) -> None:
    """At most one element of a multi-valued attribute may have ``primary: true`` (RFC 7643 §2.4,
    docs/semantics.md §PATCH)."""
    if attr.type != "complex":
        return
    if sum(1 for v in values if isinstance(v, dict) and v.get("primary") is True) > 1:
        raise InvalidValue(f"attribute {where or attr.name!r} has more than one value with primary: true")
