"""The pure-Python memory of ``scimcore.Directory``: used when ``scimcore._native`` is absent or
``SCIMCORE_BACKEND=python``.

Resources are kept as JSON-shaped dicts in insertion order, with case-insensitive equality indexes (folded
value -> ids) for the attributes of :data:`scimcore._directory_plan.INDEXED_ATTRIBUTES` and, on a type with
``groups``, for ``groups.value`` and ``groups.display``. A search narrows
to index candidates when the filter is an indexed ``eq``, a conjunction containing one, or a disjunction of
them, then hands the candidates to :func:`scimcore.query.page`, so the semantics are those of the in-memory
evaluator by construction. Every method holds the memory's lock, so a compare-and-set is atomic.
"""

from __future__ import annotations

import threading
from typing import Any

import msgspec

from .._directory_plan import build_layout
from ..errors import Uniqueness
from ..filter.bind import AllOf, AnyOf, Comparison, Target
from ..filter.compile import compile_filter
from ..policy import Policy
from ..query import QueryParameters, page
from .front import id_taken, taken, version_of

__all__ = ["MemoryBackend"]

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


class MemoryBackend:
    """Dicts in insertion order: the :class:`scimcore.store.front.Backend` of ``Directory(backend="python")``."""

    def __init__(self, registry: Any, resource_type: str, policy: Policy) -> None:
        layout = build_layout(registry, resource_type)
        self.registry = registry
        self.resource_type = resource_type
        self.policy = policy
        self._resources: dict[str, dict] = {}
        self._position: dict[str, int] = {}  # id -> insertion counter (kept by replace)
        self._counter = 0
        self._lock = threading.RLock()
        self._indexed: dict[str, dict[str, set[str]]] = {name: {} for name in layout.indexed}
        self._names = {name: self._canonical(name) for name in layout.indexed}
        self._unique = tuple(definition.name for definition in layout.unique)
        # groups.value / groups.display (derived User.groups, RFC 7643 §4.1.2): folded value -> ids
        self._groups: dict[str, dict[str, set[str]]] | None = (
            {"value": {}, "display": {}} if "groups" in registry.base_attributes(resource_type) else None
        )

    def _canonical(self, lower: str) -> str:
        return self.registry.base_attributes(self.resource_type)[lower].name

    # -- writes -------------------------------------------------------------------------------------------

    def insert(self, resources: list[dict]) -> None:
        resources = [_copy(resource) for resource in resources]
        with self._lock:
            seen: set[str] = set()
            batch: dict[str, set[str]] = {name: set() for name in self._unique}
            for resource in resources:
                rid = resource["id"]
                if rid in self._resources or rid in seen:
                    raise Uniqueness(id_taken(rid))
                seen.add(rid)
                for name in self._unique:
                    for value in _strings(resource.get(name)):
                        key = self._unique_key(name, value)
                        if self._conflict(name, value, None) or key in batch[name]:
                            raise Uniqueness(taken(name, value))
                        batch[name].add(key)
            for resource in resources:
                self._resources[resource["id"]] = resource
                self._position[resource["id"]] = self._counter
                self._counter += 1
                self._index(resource, add=True)

    def insert_json(self, documents: list[bytes]) -> None:
        self.insert([_decoder.decode(document) for document in documents])

    def swap(self, resource_id: str, resource: dict, expected: str) -> bool:
        resource = _copy(resource)
        with self._lock:
            old = self._resources.get(resource_id)
            if old is None or version_of(old) != expected:
                return False
            for name in self._unique:
                for value in _strings(resource.get(name)):
                    if self._conflict(name, value, resource_id):
                        raise Uniqueness(taken(name, value))
            self._index(old, add=False)
            self._resources[resource_id] = resource
            self._index(resource, add=True)
            return True

    def remove(self, resource_id: str, expected: str) -> bool:
        with self._lock:
            old = self._resources.get(resource_id)
            if old is None or version_of(old) != expected:
                return False
            del self._resources[resource_id]
            del self._position[resource_id]
            self._index(old, add=False)
            return True

    def _unique_key(self, name: str, value: str) -> str:
        definition = self.registry.base_attributes(self.resource_type)[name.lower()]
        return value if definition.case_exact else value.casefold()

    def _conflict(self, name: str, value: str, except_id: str | None) -> bool:
        key = self._unique_key(name, value)
        for rid in self._indexed.get(name.lower(), {}).get(value.casefold(), ()):
            if rid != except_id and any(
                self._unique_key(name, v) == key for v in _strings(self._resources[rid].get(name))
            ):
                return True
        return False

    def _index(self, resource: dict, *, add: bool) -> None:
        rid = resource["id"]
        for lower, index in self._indexed.items():
            for value in _strings(resource.get(self._names[lower])):
                _file(index, value.casefold(), rid, add)
        if self._groups is not None:
            groups = resource.get("groups")
            for group in groups if type(groups) is list else ():
                if type(group) is dict:
                    for sub, index in self._groups.items():
                        if type(group.get(sub)) is str:
                            _file(index, group[sub].casefold(), rid, add)

    # -- reads --------------------------------------------------------------------------------------------

    def read(self, resource_id: str) -> dict | None:
        with self._lock:
            found = self._resources.get(resource_id)
            return None if found is None else _copy(found)

    def __len__(self) -> int:
        return len(self._resources)

    def query(self, params: QueryParameters) -> tuple[int, list[dict]]:
        bound = (
            None if params.filter is None else compile_filter(params.filter, self.resource_type, self.registry).bound
        )
        with self._lock:
            candidates = self._candidates(bound)
        total, selected = page(
            candidates, params, resource_type=self.resource_type, registry=self.registry, policy=self.policy
        )
        return total, [_copy(resource) for resource in selected]

    def heap_bytes(self) -> int | None:
        """Heap bytes held (only the native memory counts them)."""
        return None

    def _candidates(self, bound: Any) -> list[dict]:
        """The resources a search needs to look at (a superset of the matches), in insertion order."""
        ids = None if bound is None else self._candidate_ids(bound)
        if ids is None:
            return list(self._resources.values())
        return [self._resources[rid] for rid in sorted(ids, key=self._position.__getitem__)]

    def _candidate_ids(self, bound: Any) -> set | None:
        if isinstance(bound, Comparison) and bound.op == "eq" and bound.kind == "string":
            target = bound.target
            if (
                isinstance(target, Target)
                and target.attribute is not None
                and target.extension is None
                and target.sub is None
            ):
                index = self._indexed.get(target.attribute.name.lower())
                if index is not None:
                    return set(index.get(bound.value.casefold(), ()))
            if (
                isinstance(target, Target)
                and self._groups is not None
                and target.extension is None
                and target.attribute is not None
                and target.attribute.name == "groups"
                and target.sub is not None
                and target.sub.name in self._groups
            ):
                return set(self._groups[target.sub.name].get(bound.value.casefold(), ()))
            return None
        if isinstance(bound, AllOf):
            sets = [s for s in map(self._candidate_ids, bound.terms) if s is not None]
            return min(sets, key=len) if sets else None
        if isinstance(bound, AnyOf):
            union: set = set()
            for term in bound.terms:
                found = self._candidate_ids(term)
                if found is None:
                    return None
                union |= found
            return union
        return None


def _file(index: dict[str, set[str]], key: str, rid: str, add: bool) -> None:
    """Add ``rid`` under ``key`` of an equality index, or take it out."""
    if add:
        index.setdefault(key, set()).add(rid)
        return
    ids = index.get(key)
    if ids is not None:
        ids.discard(rid)
        if not ids:
            del index[key]


def _copy(resource: dict) -> dict:
    return _decoder.decode(_encoder.encode(resource))


def _strings(value: Any) -> tuple:
    if type(value) is str:
        return (value,)
    if type(value) is list:
        return tuple(v for v in value if type(v) is str)
    return ()
