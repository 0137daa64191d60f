"""The pure-Python directory store: used when ``scimcore._native`` is absent or ``SCIMCORE_BACKEND=python``.

Resources are kept as JSON-shaped dicts in insertion order, with case-insensitive equality indexes (folded
value -> ids) for the attributes of :data:`scimcore._directory_plan.INDEXED_ATTRIBUTES`. A search narrows
to index candidates when the filter is an indexed ``eq``, a conjunction containing one, or a disjunction of
them, then hands the candidates to :func:`scimcore.search`, so the semantics are those of the in-memory
evaluator by construction.
"""

from __future__ import annotations

import threading

from .errors import NotFound, Uniqueness
from .filter.bind import AllOf, AnyOf, Comparison, Target

__all__ = ["PythonStore"]


class PythonStore:
    """Dict-based store with the interface the :class:`scimcore.Directory` front expects."""

    backend = "python"

    def __init__(self, registry, resource_type: str, indexed: tuple, unique: tuple) -> None:
        self.registry = registry
        self.resource_type = resource_type
        self._resources: dict[str, dict] = {}
        self._position: dict[str, int] = {}  # id -> insertion counter (kept by replace)
        self._counter = 0
        self._lock = threading.Lock()
        self._indexed = {name: {} for name in indexed}  # lower name -> {folded value: set of ids}
        self._names = {name: self._canonical(name) for name in indexed}
        self._unique = tuple(definition.name for definition in unique)

    def _canonical(self, lower: str) -> str:
        return self.registry.base_attributes(self.resource_type)[lower].name

    # -- writes -------------------------------------------------------------------------------------------

    def add_many(self, resources: list[dict]) -> None:
        with self._lock:
            seen: set[str] = set()
            taken: dict[str, set] = {name: set() for name in self._unique}
            for resource in resources:
                rid = resource["id"]
                if rid in self._resources or rid in seen:
                    raise Uniqueness(f"a resource with id {rid!r} already exists")
                seen.add(rid)
                for name in self._unique:
                    for value in _strings(resource.get(name)):
                        key = self._unique_key(name, value)
                        if self._conflict(name, value, None) or key in taken[name]:
                            raise Uniqueness(f"{name} {value!r} is already taken by another resource")
                        taken[name].add(key)
            for resource in resources:
                self._resources[resource["id"]] = resource
                self._position[resource["id"]] = self._counter
                self._counter += 1
                self._index(resource, add=True)

    def replace(self, rid: str, resource: dict) -> None:
        with self._lock:
            old = self._resources.get(rid)
            if old is None:
                raise NotFound(f"no resource with id {rid!r}")
            for name in self._unique:
                for value in _strings(resource.get(name)):
                    if self._conflict(name, value, rid):
                        raise Uniqueness(f"{name} {value!r} is already taken by another resource")
            self._index(old, add=False)
            self._resources[rid] = resource
            self._index(resource, add=True)

    def delete(self, rid: str) -> None:
        with self._lock:
            old = self._resources.pop(rid, None)
            if old is None:
                raise NotFound(f"no resource with id {rid!r}")
            del self._position[rid]
            self._index(old, add=False)

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
                key = value.casefold()
                if add:
                    index.setdefault(key, set()).add(rid)
                else:
                    ids = index.get(key)
                    if ids is not None:
                        ids.discard(rid)
                        if not ids:
                            del index[key]

    # -- reads --------------------------------------------------------------------------------------------

    def get(self, rid: str) -> dict | None:
        return self._resources.get(rid)

    def __len__(self) -> int:
        return len(self._resources)

    def all(self) -> list[dict]:
        with self._lock:
            return list(self._resources.values())

    def candidates(self, bound) -> list[dict]:
        """The resources an indexed search needs to look at (a superset of the matches), in insertion order;
        ``bound`` is the bound filter (:mod:`scimcore.filter.bind`)."""
        with self._lock:
            ids = self._candidate_ids(bound)
            if ids is None:
                return list(self._resources.values())
            return [self._resources[rid] for rid in sorted(ids, key=self._position.__getitem__)]

    def _candidate_ids(self, bound) -> set | None:
        if isinstance(bound, Comparison) and bound.op == "eq" and bound.kind == "string":
            target = bound.target
            if isinstance(target, Target) and target.extension is None and target.sub is None:
                index = self._indexed.get(target.attribute.name.lower())
                if index is not None:
                    return set(index.get(bound.value.casefold(), ()))
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


def _strings(value):
    if type(value) is str:
        return (value,)
    if type(value) is list:
        return tuple(v for v in value if type(v) is str)
    return ()
