"""``scimcore.Directory``: an in-memory store of resources of one type (the ``scimcore.Store`` contract).

The contract's rules (ids, ``meta``, ETags, secrets, conditional writes, patch-then-write) live once in
:class:`scimcore.store.front.StoreFront`; a ``Directory`` is that front over one of two memories with the same
results:

- **native** (:mod:`scimcore.store.native`, ``rust/crates/directory``): the JSON plus scan columns built from it,
  searched in Rust with the GIL released (docs/directory.md);
- **python** (:mod:`scimcore.store.memory`): dicts in insertion order, searched with the in-memory evaluator.
  Used when the native module is absent or ``SCIMCORE_BACKEND=python``.

Both keep case-insensitive equality indexes on ``id``, ``externalId``, ``userName`` and ``displayName`` and
enforce uniqueness of attributes with ``uniqueness`` server/global (``userName``: case-insensitive, 409
``uniqueness``). Searches and writes may come from any number of threads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from .policy import Policy
from .query import MAX_RESULTS, query_parameters
from .store.front import StoreFront
from .store.members import MembersBackend, MemoryRelation
from .store.memory import MemoryBackend
from .store.native import NativeBackend, native_module

__all__ = ["Directory"]

_encoder = msgspec.json.Encoder(decimal_format="number")


class Directory(StoreFront):
    """An in-memory store of resources of one type: ``scimcore.Directory("User")``.

    ``registry``, ``policy``: as everywhere. ``backend``: ``"native"``, ``"python"`` or ``None`` (native when
    built, unless ``SCIMCORE_BACKEND=python``). ``max_results`` caps a page (default
    :data:`scimcore.query.MAX_RESULTS`, ``None``: no cap). ``base_url`` makes ``meta.location``. ``validate``:
    run :func:`scimcore.normalize` on every write. ``threads`` limits the native scan threads (default: every
    core).
    """

    def __init__(
        self,
        resource_type: str = "User",
        *,
        registry: Any = None,
        policy: Policy | None = None,
        backend: str | None = None,
        max_results: int | None = MAX_RESULTS,
        base_url: str | None = None,
        validate: bool = False,
        threads: int | None = None,
    ) -> None:
        if registry is None:
            from .schema.default import registry
        if backend not in (None, "native", "python"):
            raise ValueError(f"unknown directory backend {backend!r}: expected 'native' or 'python'")
        name = registry.resource_type(resource_type).name
        policy = policy or Policy()
        if backend == "python" or (backend is None and native_module() is None):
            memory: Any = MemoryBackend(registry, name, policy)
            self.backend = "python"
        else:
            memory = NativeBackend(registry, name, policy, threads=threads)
            self.backend = "native"
        if "members" in registry.base_attributes(name):  # a group type: members as a relation
            memory = MembersBackend(memory, MemoryRelation(), registry=registry, resource_type=name, policy=policy)
        super().__init__(
            memory,
            name,
            registry=registry,
            policy=policy,
            max_results=max_results,
            base_url=base_url,
            validate=validate,
        )

    def search_json(
        self,
        *,
        filter: Any = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        start_index: int | None = None,
        count: int | None = None,
        attributes: Any = None,
        excluded_attributes: Any = None,
        request: Any = None,
        location: str | None = None,
    ) -> bytes:
        """:meth:`search` as the JSON bytes of its ``ListResponse`` (RFC 7644 §3.4.2), for a protocol layer that
        sends the page as it is: the native store projects and encodes the page itself, without one Python
        object per resource (the same JSON, once parsed; docs/directory.md). ``location``: a URL prefix; each
        resource's ``meta.location`` (when ``meta`` is output) becomes it followed by the ``id`` (a service's
        own URLs, RFC 7644 §3.1). Without the native store (or for a group type, whose members are a
        relation), :meth:`search`'s result encoded."""
        options: dict[str, Any] = {
            "filter": filter,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "start_index": start_index,
            "count": count,
            "attributes": attributes,
            "excluded_attributes": excluded_attributes,
            "request": request,
        }
        if not self.pages_natively:
            page = self.search(**options)
            if location is not None:
                for resource in page.resources:
                    meta = resource.get("meta")
                    if type(meta) is dict:
                        meta["location"] = location + str(resource.get("id"))
            return _encoder.encode(page)
        params = query_parameters(**options, policy=self.policy, max_results=self.max_results)
        projection = self._projection(params.attributes, params.excluded_attributes)
        return self._backend.query_json(params, projection, location)  # type: ignore[attr-defined]

    @property
    def pages_natively(self) -> bool:
        """Whether :meth:`search_json` builds its page in the native store (no Python object per resource)."""
        return hasattr(self._backend, "query_json")

    def prepare(self, filters: Iterable[Any] = (), sort_by: Iterable[str] = ()) -> dict[str, int]:
        """Build the native scan columns for the attributes a server filters and sorts on, and the sort orders
        of ``sort_by``, now, at start-up, instead of in the first search that needs them (docs/directory.md).
        Returns the heap bytes of the columns each filter reads and of the columns and order each ``sortBy``
        reads, by its text (the Python store builds nothing: ``{}``)."""
        if self.backend != "native":
            return {}
        report: dict[str, int] = {}
        backend: Any = self._backend
        filters, sort_by = list(filters), list(sort_by)
        backend.prepare_all(filters, sort_by)  # every column in one pass over the stored JSON
        for item in filters:
            report[str(item)] = backend.prepare(item, None) or 0
        for key in sort_by:
            report[f"sortBy={key}"] = backend.prepare(None, key) or 0
        return report

    def memory_bytes(self) -> int | None:
        """Heap bytes held by the native store (its own accounting), ``None`` for the Python store."""
        return self._backend.heap_bytes()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Directory(resource_type={self.resource_type!r}, backend={self.backend!r}, len={len(self)})"
