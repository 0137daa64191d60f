"""The derived ``groups.value`` / ``groups.display`` of users as an equality index (RFC 7643 §4.1.2;
docs/semantics.md §Stores).

``User.groups`` is written by the service through ``Store.set_derived``; a filter ``groups.value eq "x"`` or
``groups.display eq "x"`` (alone, in a conjunction, or a disjunction of such terms) is then a lookup.
:func:`narrow` finds the ids a search needs to look at from per-comparison lookups: a *superset* of the matches,
each candidate is still checked against the whole filter, so the results are those of a full scan by
construction. :class:`GroupsIndex` is the index kept in Python by the native and pure-Python directories.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..filter.bind import AllOf, AnyOf, Comparison, Target

__all__ = ["GROUP_SUBS", "GroupsIndex", "groups_term", "keys_of", "narrow"]

GROUP_SUBS = ("value", "display")
"""The indexed sub-attributes of ``groups``."""


def groups_term(bound: Any) -> tuple[str, str] | None:
    """``(sub-attribute, folded value)`` of a bound ``groups.value eq "x"`` / ``groups.display eq "x"``."""
    if not (isinstance(bound, Comparison) and bound.op == "eq" and bound.kind == "string"):
        return None
    target = bound.target
    if (
        isinstance(target, Target)
        and target.extension is None
        and target.attribute is not None
        and target.attribute.name == "groups"
        and target.sub is not None
        and target.sub.name in GROUP_SUBS
        and isinstance(bound.value, str)
    ):
        return target.sub.name, bound.value.casefold()
    return None


def narrow(bound: Any, lookup: Callable[[Any], set | None]) -> set | None:
    """The candidate ids of a bound filter from ``lookup`` (a comparison's candidates, ``None``: not indexed):
    the smallest set of a conjunction's terms, the union of a disjunction whose terms all have one; ``None``
    when the filter needs a scan."""
    if isinstance(bound, AllOf):
        sets = [found for found in (narrow(term, lookup) for term in bound.terms) if found is not None]
        return min(sets, key=len) if sets else None
    if isinstance(bound, AnyOf):
        union: set = set()
        for term in bound.terms:
            found = narrow(term, lookup)
            if found is None:
                return None
            union |= found
        return union
    return lookup(bound)


def keys_of(resource: dict) -> frozenset[tuple[str, str]]:
    """``(sub-attribute, folded value)`` of every string ``groups.value`` / ``groups.display`` of a resource."""
    groups = resource.get("groups")
    if type(groups) is not list:
        return frozenset()
    return frozenset(
        (sub, group[sub].casefold())
        for group in groups
        if type(group) is dict
        for sub in GROUP_SUBS
        if type(group.get(sub)) is str
    )


class GroupsIndex:
    """(sub-attribute, folded value) → ids, and id → its keys. The caller holds its store's lock."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], set[str]] = {}
        self._held: dict[str, frozenset[tuple[str, str]]] = {}

    def put(self, rid: str, resource: dict | None) -> None:
        """Index resource ``rid`` as ``resource`` now is (``None``: gone)."""
        new = frozenset() if resource is None else keys_of(resource)
        old = self._held.pop(rid, frozenset())
        for key in old - new:
            ids = self._ids[key]
            ids.discard(rid)
            if not ids:
                del self._ids[key]
        for key in new - old:
            self._ids.setdefault(key, set()).add(rid)
        if new:
            self._held[rid] = new

    def lookup(self, bound: Any) -> set | None:
        """The ids holding the value of a ``groups.value`` / ``groups.display`` ``eq`` (copied), else ``None``."""
        term = groups_term(bound)
        return None if term is None else set(self._ids.get(term, ()))
