"""Groups and users agree (RFC 7643 §4.1.2, §4.2; docs/semantics.md §Protocol).

``User.groups`` is derived, never stored from input: every group listing the user in ``members``
(``type: "direct"``) and every group reached from those through nested groups (``type: "indirect"``), each with
``value``, ``display`` and ``$ref``. It is written with ``Store.set_derived`` so that stores filter and project it
like any attribute. Member values must name existing resources of the member's ``type`` (any served member type
when it has none). A group that would contain itself, directly or through other groups, is refused with 400
``invalidValue``; walks keep a visited set, so a cycle already stored never loops. Deleting a resource removes it
from every group's ``members``; renaming a group rewrites ``groups.display`` of everyone under it.

Every change to memberships runs under one lock of the service. Over scimcore's own stores, whose groups keep
members as a relation (:mod:`scimcore.store.members`), the memberships are read from the relations as needed:
a PATCH that adds or removes members costs what it changes (the members named, the groups of each, and the
users under a nested group added or removed), not the size of the group. Over other stores, a graph of every
group is read at the start of each change (O(groups + memberships)).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import InvalidValue, NotFound
from ..policy import Policy
from ..schema.messages import PATCH_OP
from ..store import Store
from ..store.members import MembersBackend, delta_keys, key_of, patch_head, relation_of

__all__ = ["Graph", "Links", "Memberships", "RelationLinks"]

_PAGE = 500


class Links(Protocol):
    """What the memberships need to know of the groups: read from a :class:`Graph` or from relations."""

    def group_type(self, value: str) -> str | None:
        """The resource type of group ``value``, ``None`` when it is no group."""
        ...

    def name(self, gid: str) -> Any:
        """The ``displayName`` of group ``gid``."""
        ...

    def member_values(self, gid: str) -> list[str]:
        """The ``value`` of every member of group ``gid``."""
        ...

    def has(self, gid: str, value: str) -> bool:
        """Whether group ``gid`` has the member ``value``."""
        ...

    def parents(self, value: str) -> list[str]:
        """The groups listing ``value`` as a member."""
        ...

    def put(self, group_type: str, group: Mapping[str, Any]) -> None:
        """Take in a group just written."""
        ...

    def drop(self, gid: str) -> None:
        """Forget a group just deleted."""
        ...


@dataclass
class Graph:
    """Every group (read at once from stores without a relation): type, ``displayName``, members, and who
    contains each member."""

    types: dict[str, str] = field(default_factory=dict)  # group id -> resource type
    names: dict[str, Any] = field(default_factory=dict)  # group id -> displayName
    members: dict[str, list[str]] = field(default_factory=dict)  # group id -> member values
    holders: dict[str, list[str]] = field(default_factory=dict)  # member value -> ids of groups listing it

    def put(self, group_type: str, group: Mapping[str, Any]) -> None:
        gid = group["id"]
        self.drop(gid)
        self.types[gid] = group_type
        self.names[gid] = group.get("displayName")
        values = member_values(group)
        self.members[gid] = values
        for value in values:
            self.holders.setdefault(value, []).append(gid)

    def drop(self, gid: str) -> None:
        for value in self.members.pop(gid, ()):
            holders = self.holders.get(value)
            if holders is not None and gid in holders:
                holders.remove(gid)
        self.types.pop(gid, None)
        self.names.pop(gid, None)

    def group_type(self, value: str) -> str | None:
        return self.types.get(value)

    def name(self, gid: str) -> Any:
        return self.names.get(gid)

    def member_values(self, gid: str) -> list[str]:
        return list(self.members.get(gid, ()))

    def has(self, gid: str, value: str) -> bool:
        return value in self.members.get(gid, ())

    def parents(self, value: str) -> list[str]:
        return list(dict.fromkeys(self.holders.get(value, ())))


class RelationLinks:
    """:class:`Links` read from the members relations of the group stores (nothing is read up front)."""

    def __init__(self, stores: Mapping[str, Store], relations: Mapping[str, MembersBackend]) -> None:
        self.stores = stores
        self.relations = relations
        self._types: dict[str, str | None] = {}
        self._names: dict[str, Any] = {}

    def group_type(self, value: str) -> str | None:
        if value not in self._types:
            self._types[value] = None
            for group_type, store in self.stores.items():
                if group_type not in self.relations:
                    continue
                try:
                    found = store.get(value, attributes=["displayName"])
                except NotFound:
                    continue
                self._types[value] = group_type
                self._names[value] = found.get("displayName")
                break
        return self._types[value]

    def name(self, gid: str) -> Any:
        self.group_type(gid)
        return self._names.get(gid)

    def member_values(self, gid: str) -> list[str]:
        group_type = self.group_type(gid)
        if group_type is None:
            return []
        return [member["value"] for member in self.relations[group_type].members(gid)]

    def has(self, gid: str, value: str) -> bool:
        group_type = self.group_type(gid)
        return group_type is not None and bool(self.relations[group_type].pick(gid, [key_of(value)]))

    def parents(self, value: str) -> list[str]:
        found: list[str] = []
        for relation in self.relations.values():
            found.extend(relation.groups_of(key_of(value)))
        return list(dict.fromkeys(found))

    def put(self, group_type: str, group: Mapping[str, Any]) -> None:
        self._types[group["id"]] = group_type
        self._names[group["id"]] = group.get("displayName")

    def drop(self, gid: str) -> None:
        self._types[gid] = None
        self._names.pop(gid, None)


def under(links: Links, gid: str) -> set[str]:
    """The non-group members reached from group ``gid`` through members (direct and nested)."""
    found: set[str] = set()
    seen = {gid}
    todo = [gid]
    while todo:
        for value in links.member_values(todo.pop()):
            if links.group_type(value) is not None:
                if value not in seen:
                    seen.add(value)
                    todo.append(value)
            else:
                found.add(value)
    return found


def ancestors(links: Links, gid: str) -> set[str]:
    """The groups containing group ``gid``, directly or through nesting."""
    seen: set[str] = set()
    todo = [gid]
    while todo:
        for parent in links.parents(todo.pop()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def groups_of(links: Links, member: str) -> list[tuple[str, bool]]:
    """``(group id, direct)`` for every group containing ``member``, directly or through nesting."""
    direct = links.parents(member)
    out = [(gid, True) for gid in direct]
    seen = set(direct)
    todo = list(direct)
    while todo:
        for parent in links.parents(todo.pop()):
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
    """Keeps ``User.groups`` in step with the ``members`` of the served group types: every write to a group, and
    every delete, goes through it."""

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
        relations = {name: relation_of(stores[name]) for name in self.group_types}
        self.relations: dict[str, MembersBackend] | None = (
            {name: relation for name, relation in relations.items() if relation is not None}
            if all(relation is not None for relation in relations.values())
            else None
        )

    @property
    def active(self) -> bool:
        return bool(self.group_types)

    def links(self) -> Links:
        """The groups as they are now: their relations, or (over other stores) a graph read at once."""
        if self.relations is not None:
            return RelationLinks({name: self.stores[name] for name in self.group_types}, self.relations)
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

    # -- the writes --------------------------------------------------------------------------------------

    def create(self, group_type: str, resource: dict[str, Any]) -> dict[str, Any]:
        """POST a group (RFC 7644 §3.3)."""
        with self.lock:
            links = self.links()
            self.check(links, None, resource)
            created = self.stores[group_type].add(resource)
            links.put(group_type, created)
            self.refresh(links, under(links, created["id"]))
        return created

    def replace(self, group_type: str, gid: str, resource: dict[str, Any], version: Any) -> dict[str, Any]:
        """PUT a group (RFC 7644 §3.5.1)."""
        with self.lock:
            links = self.links()
            before = under(links, gid)
            self.check(links, gid, resource)
            replaced = self.stores[group_type].replace(gid, resource, version=version)
            links.put(group_type, replaced)
            self.refresh(links, before | under(links, gid))
        return replaced

    def patch(self, group_type: str, gid: str, data: Any, version: Any, policy: Policy) -> dict[str, Any]:
        """PATCH a group (RFC 7644 §3.5.2): the group written, without its members when it was a delta on a
        store with a members relation (see the module docstring)."""
        store = self.stores[group_type]
        relation = self.relations.get(group_type) if self.relations is not None else None
        with self.lock:
            links = self.links()

            def check(new: dict[str, Any]) -> None:
                self.check(links, gid, new)

            keys = delta_keys(data, policy) if relation is not None else None
            if relation is not None and keys is not None:
                old = relation.pick(gid, keys)
                name = links.name(gid)
                head = patch_head(store, gid, data, version=version, check=check, policy=policy)
                if head is not None:
                    links.put(group_type, head)
                    changed = {m["value"] for m in old} | {m["value"] for m in relation.pick(gid, keys)}
                    reached = self._reached(links, changed)
                    if head.get("displayName") != name:  # a rename: everyone under the group
                        reached |= under(links, gid)
                    self.refresh(links, reached)
                    return head
            before = under(links, gid)
            patched = store.patch(gid, data, version=version, check=check, policy=policy)
            links.put(group_type, patched)
            self.refresh(links, before | under(links, gid))
            return patched

    def delete(self, resource_type: str, rid: str, version: Any) -> None:
        """DELETE a resource (RFC 7644 §3.6): it also leaves every group's ``members``."""
        store = self.stores[resource_type]
        with self.lock:
            if resource_type not in self.group_types:
                store.delete(rid, version=version)
                self.forget(rid)
                return
            links = self.links()
            before = under(links, rid)  # their groups through this one go away
            store.delete(rid, version=version)
            self.forget(rid)
            links.drop(rid)
            self.refresh(links, before)

    def _reached(self, links: Links, values: Iterable[str]) -> set[str]:
        """The non-group members among ``values`` and under the groups among them."""
        out: set[str] = set()
        for value in values:
            if links.group_type(value) is None:
                out.add(value)
            else:
                out |= under(links, value)
        return out

    # -- the rules ---------------------------------------------------------------------------------------

    def check(self, links: Links, gid: str | None, group: Mapping[str, Any]) -> None:
        """Refuse members that do not exist, and nesting that would make a group contain itself (400)."""
        members = group.get("members")
        if not isinstance(members, list):
            return
        above: set[str] | None = None
        for member in members:
            if not isinstance(member, dict):
                continue
            value = member.get("value")
            if not isinstance(value, str) or (gid is not None and links.has(gid, value)):
                continue
            if gid is not None and value == gid:
                raise InvalidValue(f"group {gid!r} cannot be a member of itself")
            if gid is not None and links.group_type(value) is not None:
                above = ancestors(links, gid) if above is None else above
                if value in above:
                    raise InvalidValue(f"adding {value!r} to group {gid!r} would make a nesting cycle")
            if self.check_members:
                self._check_exists(value, member.get("type"))

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

    def refresh(self, links: Links, member_ids: Iterable[str]) -> None:
        """Rewrite ``groups`` of every user among ``member_ids`` from the links (users gone are skipped)."""
        for uid in member_ids:
            derived = []
            for gid, direct in groups_of(links, uid):
                group_type = links.group_type(gid)
                if group_type is None:
                    continue
                name = links.name(gid)
                derived.append(
                    {
                        "value": gid,
                        "$ref": self.refs[group_type] + gid,
                        **({"display": name} if isinstance(name, str) else {}),
                        "type": "direct" if direct else "indirect",
                    }
                )
            for user_type in self.user_types:
                try:
                    self.stores[user_type].set_derived(uid, {"groups": derived})
                    break
                except NotFound:
                    continue

    def forget(self, rid: str) -> None:
        """Remove ``rid`` from the ``members`` of every group listing it."""
        selector = f"members[value eq {json.dumps(rid)}]"
        patch = {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": selector}]}
        for group_type in self.group_types:
            store = self.stores[group_type]
            relation = self.relations.get(group_type) if self.relations is not None else None
            done: set[str] = set()
            while True:
                if relation is not None:
                    pending = [gid for gid in relation.groups_of(key_of(rid)) if gid not in done]
                else:
                    page = store.search(filter=f"members.value eq {json.dumps(rid)}", attributes=["id"], count=_PAGE)
                    pending = [group["id"] for group in page.resources if group["id"] not in done]
                if not pending:
                    break
                for gid in pending:
                    done.add(gid)
                    try:
                        if relation is not None:
                            patch_head(store, gid, patch)
                        else:
                            store.patch(gid, patch)
                    except NotFound:
                        continue
