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
from datetime import UTC, datetime
from decimal import Decimal

from .errors import InvalidFilter
from .filter.bind import AllOf, AnyOf, Bound, Comparison, ElementMatch, Negation, Present, Target
from .schema.model import AttributeDef

__all__ = ["INDEXED_ATTRIBUTES", "Layout", "build_layout", "plan_json", "sort_json"]

# Attributes identity providers look up on every sync (RFC 7643 §4.1, §4.2): equality-indexed when the
# resource type has them as single-valued top-level text attributes.
INDEXED_ATTRIBUTES = ("id", "externalId", "userName", "displayName")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


def plan_json(bound: Bound, layout: Layout) -> str:
    """The plan JSON of a filter bound to the layout's resource type (:func:`scimcore.filter.bind.bind`)."""
    return json.dumps(_Planner(layout).node(bound, None), separators=(",", ":"))


class _Planner:
    """Lowers a bound filter: targets to slots and sub-attribute indexes, literals to the native forms."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def node(self, node: Bound, element: AttributeDef | None) -> list:
        if isinstance(node, AllOf):
            return ["and", [self.node(t, element) for t in node.terms]]
        if isinstance(node, AnyOf):
            return ["or", [self.node(t, element) for t in node.terms]]
        if isinstance(node, Negation):
            return ["not", self.node(node.filter, element)]
        if isinstance(node, ElementMatch):
            slot, _ = self.target(node.target, None)
            assert isinstance(node.target, Target)
            return ["vp", slot, self.node(node.filter, node.target.attribute)]
        if isinstance(node, Present):
            return ["pr", *self.target(node.target, element)]
        slot, sub = self.target(node.target, element)
        return ["cmp", slot, sub, node.op, _literal(node)]

    def target(self, target, element: AttributeDef | None) -> tuple[int, int]:
        """``(slot, sub)``: slot -1 is the value-path element, sub -1 none."""
        if not isinstance(target, Target):
            raise InvalidFilter("the native directory evaluates filters bound to its resource type")
        if target.attribute is None:  # a whole extension object
            assert target.extension is not None
            return self.layout.extension_slots[target.extension.lower()], -1
        if element is not None:
            return -1, list(element.sub_attributes).index(target.attribute.name.lower())
        slot = self.layout.slots[(target.extension, target.attribute.name.lower())]
        if target.sub is None:
            return slot, -1
        return slot, self.layout.subs[slot][target.sub.name.lower()]


def _literal(node: Comparison) -> dict:
    kind, value = node.kind, node.value
    if kind == "string":
        return {"s": value}
    if kind == "boolean":
        return {"b": value}
    if kind == "dateTime":
        return {"t": _micros(value)}
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
