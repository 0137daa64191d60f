"""Lowering for the native directory store (``rust/crates/directory``): schema layouts, filter plans, sort specs.

Python decides semantics once (the bind step), Rust executes; what crosses is typed (``_native.PlanNode``,
``_native.SortPlan``, layout tuples), never JSON text. A *layout* lists the attribute slots of a resource type (common,
core and extension attributes with type, ``caseExact``, ``multiValued`` and sub-attributes, plus one
pseudo-slot per extension object) and which slots are indexed or unique. A *plan* is a filter whose paths
are slots and whose literals are the native forms: the lowering of the bound filter
(:mod:`scimcore.filter.bind`, docs/semantics.md §Evaluation), so it means exactly what ``compile_filter`` does
and every error is raised by the bind step. Strings arrive folded unless ``caseExact``; dateTimes become epoch
microseconds and numbers that are not 64-bit integers the nearest float plus the side on which the exact
value lies.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .errors import InvalidFilter
from .filter.bind import STRING_TYPES, AllOf, AnyOf, Bound, ElementMatch, Negation, Present, Target
from .schema.model import AttributeDef

__all__ = ["INDEXED_ATTRIBUTES", "Layout", "build_layout", "match_all", "plan_node", "sort_plan"]

# Attributes identity providers look up on every sync (RFC 7643 §4.1, §4.2): equality-indexed when the
# resource type has them as single-valued top-level text attributes.
INDEXED_ATTRIBUTES = ("id", "externalId", "userName", "displayName")

_SORT_KINDS = {"integer": "number", "decimal": "number", "boolean": "bool"}  # the rest: text or datetime
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True, slots=True)
class Layout:
    """The slots of one resource type: ``native`` (the ``DirectoryStore`` arguments), lookups for the lowering."""

    native: tuple  # (attrs, indexed slots, unique slots); attrs as (ext, name, type, caseExact, multi, subs)
    slots: dict  # (extension URN or None, attribute name lower) -> slot
    extension_slots: dict  # extension URN lower -> pseudo-slot of the whole extension object
    subs: dict  # slot -> {sub-attribute name lower: index}
    unique: tuple  # AttributeDefs checked for uniqueness (top-level, single-valued text)
    indexed: tuple  # attribute names lower with an index


def build_layout(registry, resource_type: str) -> Layout:
    """The layout of ``resource_type`` in ``registry`` (common and core attributes, then each extension)."""
    attrs: list[tuple] = []
    slots: dict = {}
    extension_slots: dict = {}
    subs: dict = {}
    indexed: list[int] = []
    unique: list[int] = []
    unique_defs: list[AttributeDef] = []
    indexed_names: list[str] = []

    def add(extension: str | None, definition: AttributeDef) -> None:
        slot = len(attrs)
        attrs.append(_attr(extension, definition))
        slots[(extension, definition.name.lower())] = slot
        subs[slot] = {name: i for i, name in enumerate(definition.sub_attributes)}
        single_text = extension is None and not definition.multi_valued and definition.type in STRING_TYPES
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
        attrs.append((urn, "", "extension", False, False, []))
        for definition in registry.schema(urn).attributes.values():
            add(urn, definition)
    native = (attrs, indexed, unique)
    return Layout(native, slots, extension_slots, subs, tuple(unique_defs), tuple(indexed_names))


def _attr(extension: str | None, definition: AttributeDef) -> tuple:
    subs = [_attr(None, sub) for sub in definition.sub_attributes.values()]
    return (extension, definition.name, definition.type, definition.case_exact, definition.multi_valued, subs)


# -- filter plans -------------------------------------------------------------------------------------------


def match_all():
    """The plan of no filter: every resource."""
    from ._native import PlanNode

    return PlanNode.constant(True)


def plan_node(bound: Bound, layout: Layout):
    """The native plan (``_native.PlanNode``) of a filter bound to the layout's resource type
    (:func:`scimcore.filter.bind.bind`); ``DirectoryStore.plan`` checks it against the layout."""
    from ._native import PlanNode

    return _Planner(layout, PlanNode).node(bound, None)


class _Planner:
    """Lowers a bound filter: targets to slots and sub-attribute indexes, literals to the native forms."""

    def __init__(self, layout: Layout, plan_node) -> None:
        self.layout = layout
        self.plan = plan_node

    def node(self, node: Bound, element: AttributeDef | None):
        plan = self.plan
        if isinstance(node, AllOf):
            return plan.all([self.node(t, element) for t in node.terms])
        if isinstance(node, AnyOf):
            return plan.any([self.node(t, element) for t in node.terms])
        if isinstance(node, Negation):
            return plan.negate(self.node(node.filter, element))
        if isinstance(node, ElementMatch):
            slot, _ = self.target(node.target, None)
            assert isinstance(node.target, Target) and slot is not None
            return plan.element(slot, self.node(node.filter, node.target.attribute))
        if isinstance(node, Present):
            return plan.present(*self.target(node.target, element))
        slot, sub = self.target(node.target, element)
        kind, value, op = node.kind, node.value, node.op
        if kind == "string":
            return plan.text(slot, sub, op, value)
        if kind == "boolean":
            return plan.boolean(slot, sub, op, value)
        if kind == "dateTime":
            return plan.instant(slot, sub, op, _micros(value))
        if type(value) is int and _INT64[0] <= value <= _INT64[1]:
            return plan.integer(slot, sub, op, value)
        return plan.number(slot, sub, op, *_nearest_float(value))

    def target(self, target, element: AttributeDef | None) -> tuple[int | None, int | None]:
        """``(slot, sub)``: slot ``None`` is the value-path element, sub ``None`` none."""
        if not isinstance(target, Target):
            raise InvalidFilter("the native directory evaluates filters bound to its resource type")
        if target.attribute is None:  # a whole extension object
            assert target.extension is not None
            return self.layout.extension_slots[target.extension.lower()], None
        if element is not None:
            return None, list(element.sub_attributes).index(target.attribute.name.lower())
        slot = self.layout.slots[(target.extension, target.attribute.name.lower())]
        if target.sub is None:
            return slot, None
        return slot, self.layout.subs[slot][target.sub.name.lower()]


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _nearest_float(value) -> tuple[float, int]:
    """``(f, sign(f - value))`` with ``f`` the nearest finite float, compared exactly through Decimal."""
    exact = Decimal(value)
    try:
        nearest = float(exact)
    except OverflowError:
        nearest = float("inf") if exact > 0 else float("-inf")
    if nearest in (float("inf"), float("-inf")):
        nearest = sys.float_info.max if nearest > 0 else -sys.float_info.max
    side = Decimal(nearest).compare(exact)
    return nearest, int(side)


# -- sort specs ---------------------------------------------------------------------------------------------


def sort_plan(resolved, sub: AttributeDef | None, layout: Layout, descending: bool):
    """The native sort plan (``_native.SortPlan``) for a ``sortBy`` accepted by :func:`scimcore.query.resolve_sort`."""
    from ._native import SortPlan

    attribute = resolved.attribute
    slot = layout.slots[(resolved.extension, attribute.name.lower())]
    definition = sub or attribute
    kind = "text" if definition.type in STRING_TYPES else _SORT_KINDS.get(definition.type, "datetime")
    primary = layout.subs[slot].get("primary") if attribute.is_complex else None
    sub_index = None if sub is None else layout.subs[slot][sub.name.lower()]
    return SortPlan(slot, sub_index, primary, attribute.multi_valued, kind, descending)
