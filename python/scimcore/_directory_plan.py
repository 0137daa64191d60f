"""Compiling for the native directory store (``rust/src/directory``): schema layouts, filter plans, sort specs.

Python decides semantics once, Rust executes. A *layout* lists the attribute slots of a resource type (common,
core and extension attributes with type, ``caseExact``, ``multiValued`` and sub-attributes, plus one
pseudo-slot per extension object) and which slots are indexed or unique. A *plan* is a filter whose paths
are resolved to slots and whose literals are checked and converted, with exactly the meaning
``scimcore.filter.compile`` gives it (SEMANTICS "Evaluation"): ``ne`` becomes ``not(eq)``, ``eq null`` /
``ne null`` become ``not(pr)`` / ``pr``, a comparison on a complex attribute targets its ``value``,
strings are folded unless ``caseExact``, dateTimes become epoch microseconds and numbers that are not
64-bit integers become the nearest float plus the side on which the exact value lies. The filter is first
compiled with :func:`scimcore.compile_filter`, so every error (``invalidFilter``) is the same as there.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from .errors import InvalidFilter
from .filter.ast import And, Compare, Not, Or, Present, ValuePath
from .schema.model import AttributeDef

__all__ = ["Layout", "build_layout", "plan_json", "sort_json", "INDEXED_ATTRIBUTES"]

# Attributes identity providers look up on every sync (RFC 7643 §4.1, §4.2): equality-indexed when the
# resource type has them as single-valued top-level text attributes.
INDEXED_ATTRIBUTES = ("id", "externalId", "userName", "displayName")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_INT64 = (-(2**63), 2**63 - 1)
_TEXT = ("string", "reference", "binary")


@dataclass(frozen=True, slots=True)
class Layout:
    """The slots of one resource type: ``json`` for the native store, lookups for the plan compiler."""

    json: str
    slots: dict  # (extension URN or None, attribute name lower) -> slot
    extension_slots: dict  # extension URN lower -> pseudo-slot of the whole extension object
    subs: dict  # slot -> {sub-attribute name lower: index}
    unique: tuple  # AttributeDefs checked for uniqueness (top-level, single-valued text)
    indexed: tuple  # attribute names lower with an index


def build_layout(registry, resource_type: str) -> Layout:
    """The layout of ``resource_type`` in ``registry`` (common and core attributes, then each extension)."""
    attrs: list[dict] = []
    slots: dict = {}
    extension_slots: dict = {}
    subs: dict = {}
    indexed: list[int] = []
    unique: list[int] = []
    unique_defs: list[AttributeDef] = []
    indexed_names: list[str] = []

    def add(extension: str | None, definition: AttributeDef) -> None:
        slot = len(attrs)
        entry = _attr_json(definition)
        if extension is not None:
            entry["ext"] = extension
        attrs.append(entry)
        slots[(extension, definition.name.lower())] = slot
        subs[slot] = {name: i for i, name in enumerate(definition.sub_attributes)}
        single_text = extension is None and not definition.multi_valued and definition.type in _TEXT
        if single_text and definition.name in INDEXED_ATTRIBUTES:
            indexed.append(slot)
            indexed_names.append(definition.name.lower())
        if single_text and definition.uniqueness != "none" and definition.name != "id":
            unique.append(slot)
            unique_defs.append(definition)

    for definition in registry.base_attributes(resource_type).values():
        add(None, definition)
    for urn in registry.extension_urns(resource_type):
        extension_slots[urn.lower()] = len(attrs)
        attrs.append({"ext": urn, "name": "", "type": "extension"})
        for definition in registry.schema(urn).attributes.values():
            add(urn, definition)
    text = json.dumps({"attrs": attrs, "indexed": indexed, "unique": unique}, separators=(",", ":"))
    return Layout(text, slots, extension_slots, subs, tuple(unique_defs), tuple(indexed_names))


def _attr_json(definition: AttributeDef) -> dict:
    out = {
        "name": definition.name,
        "type": definition.type,
        "caseExact": definition.case_exact,
        "multiValued": definition.multi_valued,
    }
    if definition.sub_attributes:
        out["subs"] = [_attr_json(sub) for sub in definition.sub_attributes.values()]
    return out


# -- filter plans -------------------------------------------------------------------------------------------


def plan_json(ast, layout: Layout, registry, resource_type: str) -> str:
    """The plan JSON of a filter AST already accepted by ``compile_filter`` (so it is valid for the type)."""
    return json.dumps(_Planner(layout, registry, resource_type).node(ast, None), separators=(",", ":"))


class _Planner:
    def __init__(self, layout: Layout, registry, resource_type: str) -> None:
        self.layout = layout
        self.registry = registry
        self.resource_type = resource_type

    def node(self, node, element: AttributeDef | None) -> list:
        if isinstance(node, And):
            return ["and", [self.node(t, element) for t in node.terms]]
        if isinstance(node, Or):
            return ["or", [self.node(t, element) for t in node.terms]]
        if isinstance(node, Not):
            return ["not", self.node(node.filter, element)]
        if isinstance(node, ValuePath):
            slot, _, attribute, _ = self.target(node.path, None)
            return ["vp", slot, self.node(node.filter, attribute)]
        if isinstance(node, Present):
            slot, sub, _, _ = self.target(node.path, element)
            return ["pr", slot, sub]
        if isinstance(node, Compare):
            return self.compare(node, element)
        raise InvalidFilter(f"not a filter node: {type(node).__name__}")

    def target(self, path, element: AttributeDef | None):
        """``(slot, sub, attribute, definition)``: slot -1 is the value-path element, sub -1 none."""
        if element is not None:
            sub_def = element.sub(path.name)
            return -1, list(element.sub_attributes).index(sub_def.name.lower()), element, sub_def
        found = self.registry.resolve(self.resource_type, path.name, path.uri, path.sub, error=InvalidFilter)
        if found.attribute is None:  # a whole extension object
            return self.layout.extension_slots[found.extension.lower()], -1, None, None
        slot = self.layout.slots[(found.extension, found.attribute.name.lower())]
        if found.sub is None:
            return slot, -1, found.attribute, found.attribute
        return slot, self.layout.subs[slot][found.sub.name.lower()], found.attribute, found.sub

    def compare(self, node: Compare, element: AttributeDef | None) -> list:
        slot, sub, attribute, definition = self.target(node.path, element)
        if node.value is None:  # J8: eq null is absence, ne null presence
            present = ["pr", slot, sub]
            return present if node.op == "ne" else ["not", present]
        if definition.is_complex:  # J5: compare the value sub-attribute
            definition = definition.sub("value")
            sub = self.layout.subs[slot][definition.name.lower()]
        op = "eq" if node.op == "ne" else node.op
        plan = ["cmp", slot, sub, op, _literal(definition, node.value)]
        return ["not", plan] if node.op == "ne" else plan


def _literal(definition: AttributeDef, value) -> dict:
    kind = definition.type
    if kind in _TEXT:
        return {"s": value if definition.case_exact else value.casefold()}
    if kind == "boolean":
        return {"b": value}
    if kind == "dateTime":
        from .datetimes import parse_datetime

        return {"t": _micros(parse_datetime(value))}
    if type(value) is int and _INT64[0] <= value <= _INT64[1]:
        return {"i": value}
    return {"f": _nearest_float(value)}


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _nearest_float(value) -> list:
    """``[f, sign(f - value)]`` with ``f`` the nearest finite float, compared exactly through Decimal."""
    exact = Decimal(value)
    try:
        nearest = float(exact)
    except OverflowError:
        nearest = float("inf") if exact > 0 else float("-inf")
    if nearest in (float("inf"), float("-inf")):
        nearest = sys.float_info.max if nearest > 0 else -sys.float_info.max
    side = Decimal(nearest).compare(exact)
    return [nearest, int(side)]


# -- sort specs ---------------------------------------------------------------------------------------------


def sort_json(resolved, sub: AttributeDef | None, layout: Layout, descending: bool) -> str:
    """The native sort spec for a ``sortBy`` accepted by :func:`scimcore.query.resolve_sort`."""
    attribute = resolved.attribute
    slot = layout.slots[(resolved.extension, attribute.name.lower())]
    definition = sub or attribute
    kind = {
        "string": "text",
        "reference": "text",
        "binary": "text",
        "integer": "number",
        "decimal": "number",
        "boolean": "bool",
    }.get(definition.type, "datetime")
    primary = layout.subs[slot].get("primary", -1) if attribute.is_complex else -1
    return json.dumps(
        {
            "slot": slot,
            "sub": -1 if sub is None else layout.subs[slot][sub.name.lower()],
            "primary": primary,
            "multi": attribute.multi_valued,
            "kind": kind,
            "descending": descending,
            "idsDescending": False,
        }
    )
