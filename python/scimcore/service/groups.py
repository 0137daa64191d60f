"""Groups and users agree (RFC 7643 §4.1.2, §4.2; docs/semantics.md §Protocol).

``User.groups`` is derived, never stored from input: every group listing the user in ``members``
(``type: "direct"``) and every group reached from those through nested groups (``type: "indirect"``), each with
``value``, ``display`` and ``$ref``. It is written with ``Store.set_derived`` so that stores filter and project it
like any attribute. Member values must name existing resources of the member's ``type`` (any served member type
when it has none). A group that would contain itself, directly or through other groups, is refused with 400
``invalidValue``; walks keep a visited set, so a cycle already stored never loops. Deleting a resource removes it
from every group's ``members``; renaming a group rewrites ``groups.display`` of everyone under it.

Every change to memberships runs under one lock of the service, against a graph of all groups read from the
group stores at the start of the change (O(groups + memberships) per group write; the issue on large groups
makes this incremental).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidValue, NotFound
from ..schema.messages import PATCH_OP
from ..store import Store

__all__ = ["Graph", "Memberships"]

_PAGE = 500


@dataclass
class Graph:
    """Every group: its resource type, ``displayName`` and member values; and who contains each member."""

    types: dict[str, str] = field(default_factory=dict)  # group id -> resource type
    names: dict[str, Any] = field(default_factory=dict)  # group id -> displayName
    members: dict[str, list[str]] = field(default_factory=dict)  # group id -> member values
    parents: dict[str, list[str]] = field(default_factory=dict)  # member value -> ids of groups listing it

    def put(self, group_type: str, group: Mapping[str, Any]) -> None:
        """Add or update one group."""
        gid = group["id"]
        self.drop(gid)
        self.types[gid] = group_type
        self.names[gid] = group.get("displayName")
        values = member_values(group)
        self.members[gid] = values
        for value in values:
            self.parents.setdefault(value, []).append(gid)

    def drop(self, gid: str) -> None:
        """Forget one group (not the memberships others hold in it)."""
        for value in self.members.pop(gid, ()):
            holders = self.parents.get(value)
            if holders is not None and gid in holders:
                holders.remove(gid)
        self.types.pop(gid, None)
        self.names.pop(gid, None)

    def under(self, gid: str) -> set[str]:
        """The non-group members reached from group ``gid`` through members (direct and nested)."""
        found: set[str] = set()
        seen = {gid}
        todo = [gid]
        while todo:
            for value in self.members.get(todo.pop(), ()):
                if value in self.types:
                    if value not in seen:
                        seen.add(value)
                        todo.append(value)
                else:
                    found.add(value)
        return found

    def reaches(self, start: str, target: str) -> bool:
        """Whether group ``target`` is ``start`` or is reached from it through nested groups."""
        seen = {start}
        todo = [start]
        while todo:
            current = todo.pop()
            if current == target:
                return True
            for value in self.members.get(current, ()):
                if value in self.types and value not in seen:
                    seen.add(value)
                    todo.append(value)
        return False

    def groups_of(self, member: str) -> list[tuple[str, bool]]:
        """``(group id, direct)`` for every group containing ``member``, directly or through nesting."""
        direct = list(dict.fromkeys(self.parents.get(member, ())))
        out = [(gid, True) for gid in direct]
        seen = set(direct)
        todo = list(direct)
        while todo:
            for parent in self.parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
                    out.append((parent, False))
        return out


def member_values(group: Mapping[str, Any]) -> list[str]:
    """The ``value`` of every member of a group (RFC 7643 §4.2), in order."""
    members = group.get("members")
    if not isinstance(members, list):
        return []
    return [m["value"] for m in members if isinstance(m, dict) and isinstance(m.get("value"), str)]


class Memberships:
    """Keeps ``User.groups`` in step with the ``members`` of the served group types."""

    def __init__(
        self,
        stores: Mapping[str, Store],
        group_types: Iterable[str],
        user_types: Iterable[str],
        refs: Mapping[str, str],
        *,
        check_members: bool = True,
    ) -> None:
        """``refs`` maps resource type names to the URL prefix of their resources (``.../Groups/``)."""
        self.stores = stores
        self.group_types = tuple(group_types)
        self.user_types = tuple(user_types)
        self.refs = refs
        self.check_members = check_members
        self.lock = threading.RLock()
        self._member_types = {name.lower(): name for name in (*self.user_types, *self.group_types)}

    @property
    def active(self) -> bool:
        return bool(self.group_types)

    def graph(self) -> Graph:
        """Every group of every group type, read now."""
        graph = Graph()
        for group_type in self.group_types:
            store = self.stores[group_type]
            start = 1
            while True:
                page = store.search(attributes=["displayName", "members"], start_index=start, count=_PAGE)
                for group in page.resources:
                    graph.put(group_type, group)
                start += len(page.resources)
                if not page.resources or start > page.total_results:
                    break
        return graph

    def check(self, graph: Graph, gid: str | None, group: Mapping[str, Any]) -> None:
        """Refuse members that do not exist, and nesting that would make a group contain itself (400)."""
        members = group.get("members")
        if not isinstance(members, list):
            return
        old = set(graph.members.get(gid, ())) if gid is not None else set()
        for member in members:
            if not isinstance(member, dict):
                continue
            value = member.get("value")
            if not isinstance(value, str) or value in old:
                continue
            kind = member.get("type")
            if gid is not None and value == gid:
                raise InvalidValue(f"group {gid!r} cannot be a member of itself")
            if gid is not None and value in graph.types and graph.reaches(value, gid):
                raise InvalidValue(f"adding {value!r} to group {gid!r} would make a nesting cycle")
            if self.check_members:
                self._check_exists(value, kind)

    def _check_exists(self, value: str, kind: Any) -> None:
        if isinstance(kind, str):
            name = self._member_types.get(kind.lower())
            if name is None:
                raise InvalidValue(f"member {value!r}: this service has no resource type {kind!r}")
            candidates: tuple[str, ...] = (name,)
        else:
            candidates = (*self.user_types, *self.group_types)
        for name in candidates:
            try:
                self.stores[name].get(value, attributes=["id"])
                return
            except NotFound:
                continue
        raise InvalidValue(f"member {value!r} names no existing {' or '.join(candidates) or 'resource'}")

    def refresh(self, graph: Graph, member_ids: Iterable[str]) -> None:
        """Rewrite ``groups`` of every user among ``member_ids`` from the graph (users gone are skipped)."""
        for uid in member_ids:
            derived = [
                {
                    "value": gid,
                    "$ref": self.refs[graph.types[gid]] + gid,
                    **({"display": graph.names[gid]} if isinstance(graph.names[gid], str) else {}),
                    "type": "direct" if direct else "indirect",
                }
                for gid, direct in graph.groups_of(uid)
            ]
            for user_type in self.user_types:
                try:
                    self.stores[user_type].set_derived(uid, {"groups": derived})
                    break
                except NotFound:
                    continue

    def forget(self, rid: str) -> None:
        """Remove ``rid`` from the ``members`` of every group listing it (found with the stores' filter)."""
        selector = f"members[value eq {json.dumps(rid)}]"
        patch = {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": selector}]}
        for group_type in self.group_types:
            store = self.stores[group_type]
            done: set[str] = set()
            while True:
                page = store.search(filter=f"members.value eq {json.dumps(rid)}", attributes=["id"], count=_PAGE)
                pending = [group["id"] for group in page.resources if group["id"] not in done]
                if not pending:
                    break
                for gid in pending:
                    done.add(gid)
                    try:
                        store.patch(gid, patch)
                    except NotFound:
                        continue
