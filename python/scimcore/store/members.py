"""Group membership as a relation (RFC 7643 §4.2; docs/semantics.md §Stores): group → members, member → groups.

A store of a resource type with ``members`` keeps each group's document without its members, and the members in
a relation indexed both ways (:class:`MemoryRelation` for the native and pure-Python directories, a members table
for SQL). :class:`MembersBackend` puts the two together behind the ordinary backend interface, so every path of
the store front stays correct (a read gives the whole group, a write of a whole group replaces its members), and
adds what makes cost follow the change:

- :func:`patch_head` applies a PATCH whose operations are adds to ``members``, removes by value (Entra),
  removes by ``members[value eq "..."]`` or operations on other attributes as a delta: it reads the document and
  only the members the operations name, applies the PATCH to that with :func:`scimcore.apply_patch` (same rules,
  same errors), and writes the document and the member changes in one compare-and-set (the same If-Match and
  ETag rules as any write). Other PATCHes (``replace members``, other filters) go through the whole group.
- Reads that exclude ``members`` never read them; a search whose filter is ``members[value eq "x"]`` or
  ``members.value eq "x"`` is a lookup in the member → groups index. Other filters on ``members`` are evaluated
  in Python on whole groups.

Members are keyed by their folded ``value`` (``members.value`` is not caseExact, RFC 7643 §8.7.1), as PATCH
identifies them; a member without a string ``value`` is not kept (RFC 7643 §4.2 requires it).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import msgspec

from ..patch import apply_patch
from ..patch.message import read_operations
from ..policy import Policy
from ..query import QueryParameters, page

__all__ = [
    "MEMBERS_PLACEHOLDER",
    "MembersBackend",
    "MemoryRelation",
    "Relation",
    "delta_keys",
    "json_array",
    "key_of",
    "patch_group",
    "patch_head",
    "read_encoded",
    "relation_of",
    "wants_members",
    "whole_members",
]

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder(decimal_format="number")
_CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:group:"
_VALUE_EQ = re.compile(r'\s*members\s*\[\s*value\s+eq\s+("(?:[^"\\]|\\.)*")\s*\]\s*', re.IGNORECASE)
_DOTTED_EQ = re.compile(r'\s*members\.value\s+eq\s+("(?:[^"\\]|\\.)*")\s*', re.IGNORECASE)


def key_of(value: str) -> str:
    """The relation's key of a member ``value`` (folded: ``members.value`` is not caseExact)."""
    return value.casefold()


class Relation(Protocol):
    """The members of every group of one store, indexed both ways; keys are :func:`key_of` member values."""

    def members(self, gid: str) -> list[dict]:
        """The members of group ``gid`` in the order they were added (copies)."""
        ...

    def members_json(self, gid: str) -> bytes:
        """:meth:`members` as one JSON array, built without a Python object per member."""
        ...

    def pick(self, gid: str, keys: Iterable[str]) -> list[dict]:
        """The members of ``gid`` among ``keys`` (copies)."""
        ...

    def groups_of(self, key: str) -> list[str]:
        """The ids of the groups with a member of key ``key``."""
        ...

    def put(self, gid: str, members: list[dict]) -> None:
        """Make ``members`` the members of ``gid`` (``[]``: none)."""
        ...

    def change(self, gid: str, upserts: list[dict], removals: list[str]) -> None:
        """Add or update the members ``upserts`` (in place when present, else at the end); remove keys
        ``removals``."""
        ...


class MemoryRelation:
    """:class:`Relation` in dicts: group id → {key: member's compact JSON}, key → {group id}. Members are kept
    encoded (smaller than dicts, and :meth:`members_json` joins them without decoding). The caller holds the
    lock."""

    def __init__(self) -> None:
        self._members: dict[str, dict[str, bytes]] = {}
        self._groups: dict[str, dict[str, None]] = {}

    def members(self, gid: str) -> list[dict]:
        return _decoder.decode(self.members_json(gid))

    def members_json(self, gid: str) -> bytes:
        return json_array(list(self._members.get(gid, {}).values()))

    def pick(self, gid: str, keys: Iterable[str]) -> list[dict]:
        held = self._members.get(gid, {})
        return [_decoder.decode(held[key]) for key in dict.fromkeys(keys) if key in held]

    def groups_of(self, key: str) -> list[str]:
        return list(self._groups.get(key, ()))

    def put(self, gid: str, members: list[dict]) -> None:
        for key in self._members.pop(gid, {}):
            self._unlink(key, gid)
        if members:
            self.change(gid, members, [])

    def change(self, gid: str, upserts: list[dict], removals: list[str]) -> None:
        held = self._members.setdefault(gid, {})
        for key in removals:
            if held.pop(key, None) is not None:
                self._unlink(key, gid)
        for member in upserts:
            key = key_of(member["value"])
            held[key] = _encoder.encode(member)
            self._groups.setdefault(key, {})[gid] = None
        if not held:
            del self._members[gid]

    def _unlink(self, key: str, gid: str) -> None:
        holders = self._groups.get(key)
        if holders is not None:
            holders.pop(gid, None)
            if not holders:
                del self._groups[key]


def json_array(items: list) -> bytes:
    """The JSON array of encoded ``items`` (bytes or str), copied once: the brackets go on the first and last
    item rather than around the joined whole."""
    if not items:
        return b"[]"
    parts = [item if type(item) is bytes else item.encode() for item in items]
    parts[0] = b"[" + parts[0]
    parts[-1] = parts[-1] + b"]"
    return b",".join(parts)


class MembersBackend:
    """A backend (:class:`scimcore.store.front.Backend`) of a group type: ``inner`` keeps the documents without
    ``members``, ``relation`` the members; ``transaction`` makes a change of both atomic (and a read of both
    consistent)."""

    def __init__(
        self,
        inner: Any,
        relation: Relation,
        *,
        registry: Any,
        resource_type: str,
        policy: Policy,
        transaction: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.inner = inner
        self.relation = relation
        self.registry = registry
        self.resource_type = resource_type
        self.policy = policy
        self._lock = threading.RLock()
        self._transaction = transaction or self._locked

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            yield

    # -- the Backend interface --------------------------------------------------------------------------

    def insert(self, resources: list[dict]) -> None:
        heads, lists = zip(*map(_split, resources), strict=True) if resources else ((), ())
        with self._transaction():
            self.inner.insert(list(heads))
            for head, members in zip(heads, lists, strict=True):
                self.relation.put(head["id"], members)

    def insert_json(self, documents: list[bytes]) -> None:
        self.insert([_decoder.decode(document) for document in documents])

    def adopt(self) -> int:
        """Move the members still inside stored documents into the relation (the documents keep their
        ``meta``): how a table made when documents held their members is taken over. Returns the number of
        groups moved."""
        moved = 0
        with self._transaction():
            _, stored = self.inner.query(QueryParameters(None, None, False, 1, None, None, None))
            for document in stored:
                if not isinstance(document.get("members"), list) or not document["members"]:
                    continue
                head, members = _split(document)
                if self.inner.swap(document["id"], head, document["meta"]["version"]):
                    self.relation.change(document["id"], members, [])
                    moved += 1
        return moved

    def read(self, resource_id: str) -> dict | None:
        with self._transaction():
            head = self.inner.read(resource_id)
            return None if head is None else self.with_members(head)

    def read_head(self, resource_id: str) -> dict | None:
        """The stored group without its members."""
        return self.inner.read(resource_id)

    def swap(self, resource_id: str, resource: dict, expected: str) -> bool:
        head, members = _split(resource)
        with self._transaction():
            if not self.inner.swap(resource_id, head, expected):
                return False
            self.relation.put(resource_id, members)
            return True

    def swap_delta(self, resource_id: str, head: dict, expected: str, upserts: list[dict], removals: list[str]) -> bool:
        """:meth:`swap` of the document ``head`` with a change of the members instead of all of them."""
        with self._transaction():
            if not self.inner.swap(resource_id, head, expected):
                return False
            self.relation.change(resource_id, upserts, removals)
            return True

    def remove(self, resource_id: str, expected: str) -> bool:
        with self._transaction():
            if not self.inner.remove(resource_id, expected):
                return False
            self.relation.put(resource_id, [])
            return True

    def query(self, params: QueryParameters) -> tuple[int, list[dict]]:
        wanted = wants_members(params.attributes, params.excluded_attributes)
        text = params.filter
        sort = params.sort_by or ""
        with self._transaction():
            if "members" in sort.lower() or (text is not None and not isinstance(text, str)):
                return self._evaluated(params)
            if text is not None and "members" in text.lower():
                key = _lookup_key(text)
                if key is None:
                    return self._evaluated(params)
                gids = self.relation.groups_of(key)
                if not gids:
                    return 0, []
                text = " or ".join(f"id eq {json.dumps(gid)}" for gid in gids)
            total, found = self.inner.query(_with_filter(params, text))
            return total, [self.with_members(head) for head in found] if wanted else found

    def _evaluated(self, params: QueryParameters) -> tuple[int, list[dict]]:
        """Every group with its members, filtered, sorted and paged in Python (filters on ``members`` other
        than the indexed lookups)."""
        everything = QueryParameters(None, None, False, 1, None, None, None)
        _, heads = self.inner.query(everything)
        groups = [self.with_members(head) for head in heads]
        return page(groups, params, resource_type=self.resource_type, registry=self.registry, policy=self.policy)

    def with_members(self, head: dict, members: list | None = None) -> dict:
        """``head`` with its members (``members``, else those of the relation), where the group had them (else
        before ``meta``)."""
        members = self.relation.members(head["id"]) if members is None else members
        out: dict = {}
        for key, value in head.items():
            if key == "members":  # the place kept by _split
                if members or value is not None:
                    out[key] = members or value
                continue
            if key == "meta" and members and "members" not in head:
                out["members"] = members
            out[key] = value
        if members and "members" not in out:
            out["members"] = members
        return out

    def read_encoded(self, resource_id: str) -> tuple[dict, bytes] | None:
        """The stored group without its members and the JSON array of its members (:meth:`Relation.members_json`),
        read consistently; ``None`` for an unknown id."""
        with self._transaction():
            head = self.inner.read(resource_id)
            return None if head is None else (head, self.relation.members_json(resource_id))

    # -- the relation, read consistently -------------------------------------------------------------------

    def members(self, gid: str) -> list[dict]:
        """:meth:`Relation.members`."""
        with self._transaction():
            return self.relation.members(gid)

    def pick(self, gid: str, keys: Iterable[str]) -> list[dict]:
        """:meth:`Relation.pick`."""
        with self._transaction():
            return self.relation.pick(gid, keys)

    def groups_of(self, key: str) -> list[str]:
        """:meth:`Relation.groups_of`."""
        with self._transaction():
            return self.relation.groups_of(key)

    def heap_bytes(self) -> int | None:
        return self.inner.heap_bytes() if hasattr(self.inner, "heap_bytes") else None

    def prepare_all(self, filters: list[Any], sorts: list[str]) -> None:
        """Build the group documents' scan columns up front (:meth:`scimcore.Directory.prepare`); ``members``
        is an indexed relation and has none."""
        self.inner.prepare_all(filters, sorts)

    def prepare(self, filter: Any, sort_by: str | None) -> int | None:
        return self.inner.prepare(filter, sort_by)

    def __len__(self) -> int:
        return len(self.inner)


def _split(resource: dict) -> tuple[dict, list[dict]]:
    """A group as its document and its members (those with a string ``value``). The document keeps the place of
    ``members`` as ``"members": null`` (so that a read gives the attributes in their order; a value that is not a
    list of members stays as it is); the relation holds them."""
    head: dict = {}
    members: Any = []
    for key, value in resource.items():
        if isinstance(key, str) and key.lower() == "members":
            head["members"] = None if isinstance(value, list) and value else value
            members = value
        else:
            head[key] = value
    members = members if isinstance(members, list) else []
    kept: dict[str, dict] = {}
    for member in members:
        if isinstance(member, dict) and isinstance(member.get("value"), str):
            kept[key_of(member["value"])] = member
    return head, list(kept.values())


def _placed(head: dict, new: dict) -> dict:
    """``new`` with the place of ``members`` that ``head`` kept (a PATCH or validation may drop the null)."""
    if "members" not in head or "members" in new:
        return new
    keys = list(head)
    previous = keys[keys.index("members") - 1] if keys.index("members") else None
    out: dict = {} if previous is not None else {"members": head["members"]}
    for key, value in new.items():
        if key == "meta" and "members" not in out:
            out["members"] = head["members"]
        out[key] = value
        if key == previous:
            out["members"] = head["members"]
    if "members" not in out:
        out["members"] = head["members"]
    return out


def _lookup_key(text: str) -> str | None:
    """The member key of a filter that is exactly ``members[value eq "x"]`` or ``members.value eq "x"``."""
    match = _VALUE_EQ.fullmatch(text) or _DOTTED_EQ.fullmatch(text)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return key_of(value) if isinstance(value, str) else None


def _with_filter(params: QueryParameters, text: Any) -> QueryParameters:
    return QueryParameters(
        text,
        params.sort_by,
        params.descending,
        params.start,
        params.size,
        params.attributes,
        params.excluded_attributes,
    )


def _names(selection: Any) -> list[str] | None:
    if selection is None:
        return None
    items = selection.split(",") if isinstance(selection, str) else list(selection)
    return [item.strip().lower() for item in items if isinstance(item, str)]


def wants_members(attributes: Any, excluded_attributes: Any) -> bool:
    """Whether a projection (RFC 7644 §3.9) can return ``members``: not when ``attributes`` names neither
    ``members`` nor one of its sub-attributes, nor when ``excludedAttributes`` names ``members``. When in doubt,
    yes."""

    def bare(name: str) -> str:
        return name[len(_CORE_GROUP) :] if name.startswith(_CORE_GROUP) else name

    chosen = _names(attributes)
    if chosen:
        return any(bare(name).split(".")[0] == "members" for name in chosen)
    excluded = _names(excluded_attributes) or []
    return not any(bare(name) == "members" for name in excluded)


# -- PATCH as a delta -----------------------------------------------------------------------------------------


def delta_keys(patch: Any, policy: Policy) -> set[str] | None:
    """The member keys a PATCH can change when each of its operations is a delta on ``members`` (``add`` with a
    value list, ``remove`` of ``members[value eq "x"]``, ``remove`` by value under the ``remove_by_value``
    policy) or does not touch ``members`` (a core attribute's path, a value object without ``members``);
    ``None`` otherwise (the PATCH then goes through the whole group)."""
    try:
        operations = read_operations(patch, policy)
    except Exception:  # the whole-group path reports the message's error
        return None
    keys: set[str] = set()
    for operation in operations:
        path = operation.path
        if path is None:  # a value object: a delta unless it carries members
            if not isinstance(operation.value, dict) or any(
                isinstance(k, str) and k.lower().rsplit(":", 1)[-1] == "members" for k in operation.value
            ):
                return None
            continue
        bare = path.strip().lower()
        bare = bare[len(_CORE_GROUP) :] if bare.startswith(_CORE_GROUP) else bare
        if not bare.startswith("members") and ":" not in bare:  # another attribute of the group
            continue
        selected = _VALUE_EQ.fullmatch(path)
        if selected is not None and operation.op == "remove" and not operation.has_value:
            key = _lookup_key(path)
            if key is None:
                return None
            keys.add(key)
            continue
        if path.strip().lower() not in ("members", _CORE_GROUP + "members"):
            return None
        if operation.op not in ("add", "remove") or not isinstance(operation.value, list):
            return None
        for item in operation.value:
            value = item.get("value") if isinstance(item, dict) else item if isinstance(item, str) else None
            if isinstance(item, dict) and value is None:
                value = next((v for k, v in item.items() if isinstance(k, str) and k.lower() == "value"), None)
            if not isinstance(value, str):
                return None
            keys.add(key_of(value))
    return keys


def patch_head(
    front: Any,
    resource_id: str,
    patch: Any,
    *,
    version: Any = None,
    check: Callable[[dict[str, Any]], None] | None = None,
    policy: Policy | None = None,
) -> dict | None:
    """PATCH a group of a :class:`MembersBackend` store as a delta (see the module docstring): the group after
    the write *without* its members; ``None`` when the PATCH is not a delta (the caller patches the whole
    group). ``check`` sees the document with the members the PATCH named, as they end up."""
    from . import front as rules

    backend: MembersBackend = front._backend
    policy = policy or front.policy
    keys = delta_keys(patch, policy)
    if keys is None:
        return None
    for _ in range(rules._WRITE_ATTEMPTS):
        head = backend.read_head(resource_id) if isinstance(resource_id, str) else None
        if head is None:
            raise rules.not_found(resource_id)
        etag = rules.version_of(head)
        rules._check_version(resource_id, version, etag)
        before = backend.pick(resource_id, keys)
        partial = dict(head)
        if before:
            partial["members"] = before
        patched, _ = apply_patch(
            partial, patch, resource_type=front.resource_type, registry=front.registry, policy=policy, report=True
        )
        patched = front._checked(front._keep_read_only(partial, patched))
        new_head, after = _split(patched)
        new_head = _placed(head, new_head)
        touched = {key_of(member["value"]) for member in after}
        if not touched <= keys:  # the PATCH named a member in a way delta_keys did not see: whole group
            return None
        old = {key_of(member["value"]): member for member in before}
        upserts = [member for member in after if old.get(key_of(member["value"])) != member]
        removals = [key for key in old if key not in touched]
        if not upserts and not removals and rules._content(new_head) == rules._content(head):
            return head
        meta = dict(head["meta"]) if isinstance(head.get("meta"), dict) else {}
        meta.setdefault("resourceType", front.resource_type)
        meta["version"] = rules.new_version()
        meta["lastModified"] = rules._now()
        if front.base_url is not None:
            meta["location"] = front._location(resource_id)
        new_head = rules._ordered(resource_id, new_head, meta)
        if check is not None:
            check({**new_head, "members": after} if after else new_head)
        if backend.swap_delta(resource_id, new_head, etag, upserts, removals):
            return new_head
    raise rules._busy(resource_id)


def patch_group(front: Any, resource_id: str, patch: Any, **options: Any) -> dict | None:
    """:func:`patch_head`, and the group with its members (what ``Store.patch`` returns); ``None`` when the
    PATCH is not a delta."""
    head = patch_head(front, resource_id, patch, **options)
    if head is None:
        return None
    backend: MembersBackend = front._backend
    with backend._transaction():  # the members read in a transaction, as every relation read
        return backend.with_members(head)


MEMBERS_PLACEHOLDER = {"value": ""}
"""What :func:`read_encoded` puts in ``members`` in place of the encoded members."""


def read_encoded(front: Any, resource_id: str) -> tuple[dict[str, Any], bytes | None] | None:
    """A group of a :class:`MembersBackend` store as ``front.get(resource_id)`` gives it, but with
    ``[MEMBERS_PLACEHOLDER]`` for its members, and their JSON array as stored (``None`` when it has none): the
    caller projects the group, then puts ``msgspec.Raw`` of the array in place of the placeholder, so a read of a
    big group builds no Python object per member. ``None`` when ``front`` is no such store (RFC 7644 §3.4.1)."""
    from .front import not_found

    backend = relation_of(front)
    if backend is None:
        return None
    found = backend.read_encoded(resource_id) if isinstance(resource_id, str) else None
    if found is None:
        raise not_found(resource_id)
    head, encoded = found
    members = [dict(MEMBERS_PLACEHOLDER)] if encoded != b"[]" else []
    return front._outgoing(backend.with_members(head, members)), encoded if members else None


def whole_members(attributes: Any, excluded_attributes: Any) -> bool:
    """Whether a read with this projection (RFC 7644 §3.9) returns every member as stored: no ``attributes``, and
    no sub-attribute of ``members`` in ``excludedAttributes`` (the sub-attributes of ``members`` are all returned
    by default, RFC 7643 §8.7.1)."""
    if attributes is not None:
        return False
    excluded = _names(excluded_attributes) or []
    return not any(
        (name[len(_CORE_GROUP) :] if name.startswith(_CORE_GROUP) else name).startswith("members.") for name in excluded
    )


def relation_of(store: Any) -> MembersBackend | None:
    """The members backend of a scimcore store of a group type, whose ``members``, ``pick`` and ``groups_of``
    read its relation (``None`` for any other store)."""
    backend = getattr(store, "_backend", None)
    return backend if isinstance(backend, MembersBackend) else None
