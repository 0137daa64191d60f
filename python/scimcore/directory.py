"""``scimcore.Directory``: an in-memory store of resources of one type with SCIM search (RFC 7644 §3.4.2).

Two implementations behind one front, with the same results:

- **native** (``scimcore._native.DirectoryStore``, ``rust/crates/directory``): each resource is kept as its
  compact JSON (decoded only when it is returned) plus a tree of its values (strings pre-folded unless
  ``caseExact``, dateTimes as instants), from which full scans build columns per attribute path on first use
  (kept current by writes; see docs/directory.md). Filters are compiled here, once, into plans
  (:mod:`scimcore._directory_plan`); the store evaluates, sorts and pages with the GIL released, on every
  core for large scans, and returns only the JSON of the page, which is decoded and projected here.
- **python** (:mod:`scimcore._directory_python`): dicts in insertion order, searched with
  :func:`scimcore.search`. Used when the native module is absent or ``SCIMCORE_BACKEND=python``.

Both keep case-insensitive equality indexes on ``id``, ``externalId``, ``userName`` and ``displayName``
(used for ``attr eq "x"``, conjunctions containing one and disjunctions of them) and enforce uniqueness of
attributes with ``uniqueness`` server/global (``userName``: case-insensitive, 409 ``uniqueness``).

Writes: ``add`` stores a copy, with an ``id`` (uuid4) when it has none and ``meta.resourceType``,
``meta.created``, ``meta.lastModified`` (now) and ``meta.version`` (a weak ETag) filled in when absent.
``replace`` keeps ``id``, ``meta.created`` and ``meta.resourceType`` and renews ``lastModified`` and
``version``; ``patch`` is get → :func:`scimcore.apply_patch` → replace under the directory's write lock
(atomic per resource; a patch that changes nothing keeps ``version``). Resources are stored as given (JSON
objects with the schema's canonical attribute names, like the evaluator expects); ``validate=True`` runs
:func:`scimcore.normalize` on every write. Searches and writes may come from any number of threads.
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from .errors import InvalidSyntax, InvalidValue, NotFound, ScimError
from .filter.lru import LruCache
from .schema.wire import is_unicode_text, load_json

__all__ = ["Directory"]

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()
_PLAN_CACHE_SIZE = 256
_DEFAULT_MAX = 1000  # scimcore.query.DEFAULT_MAX_COUNT (not imported: import time)


class _Meta(msgspec.Struct):
    resourceType: str | None = None  # noqa: N815 - wire names
    created: str | None = None
    lastModified: str | None = None  # noqa: N815
    version: str | None = None


class _Head(msgspec.Struct):
    """The part of an NDJSON line that decides whether it can be stored as it is."""

    id: object = None
    meta: _Meta | None = None


_head_decoder = msgspec.json.Decoder(_Head)


def _native_module():
    if os.environ.get("SCIMCORE_BACKEND", "").strip().lower() == "python":
        return None
    try:
        from . import _native
    except ImportError:
        return None
    return _native if hasattr(_native, "DirectoryStore") else None


class Directory:
    """An in-memory directory of resources of one type (``scimcore.Directory(resource_type="User")``).

    ``backend``: ``"native"``, ``"python"`` or ``None`` (native when built, unless ``SCIMCORE_BACKEND=python``).
    ``max_results`` caps ``count`` (J43; default ``scimcore.query.DEFAULT_MAX_COUNT``, ``None``: no cap). ``validate``: run :func:`scimcore.normalize` on every write.
    ``manage_meta=False`` stores ``meta`` exactly as given (a mirror of another store) instead of maintaining
    it. ``threads`` limits the native scan threads (default: every core).
    """

    def __init__(
        self,
        resource_type: str = "User",
        registry=None,
        policy=None,
        *,
        backend: str | None = None,
        max_results: int | None = _DEFAULT_MAX,
        validate: bool = False,
        manage_meta: bool = True,
        threads: int | None = None,
    ) -> None:
        if registry is None:
            from .schema.default import registry
        from ._directory_plan import build_layout
        from .policy import Policy

        self.registry = registry
        self.resource_type = registry.resource_type(resource_type).name
        self.policy = policy or Policy()
        self.max_results = max_results
        self.validate = validate
        self.manage_meta = manage_meta
        native = _native_module()
        if backend not in (None, "native", "python"):
            raise ValueError(f"unknown directory backend {backend!r}: expected 'native' or 'python'")
        if backend == "native" and native is None:
            raise ScimError("the native directory is not available (scimcore._native is not built)", status=500)
        self.backend = "python" if backend == "python" or native is None else "native"
        self._write_lock = threading.RLock()
        self._layout = build_layout(registry, self.resource_type)
        self._generation = registry.generation
        self._plans = LruCache(_PLAN_CACHE_SIZE)  # filter and sortBy -> native plan
        self._threads = threads
        self._store = self._new_store()

    def _new_store(self):
        if self.backend == "python":
            from ._directory_python import PythonStore

            return PythonStore(self.registry, self.resource_type, self._layout.indexed, self._layout.unique)
        store = _native_module().DirectoryStore(*self._layout.native)
        if self._threads is not None:
            store.set_threads(self._threads)
        return store

    # -- writes -------------------------------------------------------------------------------------------

    def add(self, resource) -> dict:
        """Store a new resource (RFC 7644 §3.3); returns the stored copy (with ``id`` and ``meta``)."""
        return self.extend([resource])[0]

    def extend(self, resources) -> list[dict]:
        """Store many resources: all of them, or none if one fails (duplicate id, uniqueness)."""
        now = _now()
        stored = [self._complete(self._as_dict(r), now) for r in _as_list(resources)]
        self._store_many(stored, [_encoder.encode(r) for r in stored] if self.backend == "native" else None)
        return [_copy(r) for r in stored] if self.backend == "python" else stored

    def load_ndjson(self, source) -> int:
        """Add the resources of an NDJSON document (bytes, or a path to a file), one JSON object per line;
        all or none. Lines that already carry an ``id`` and a complete ``meta`` go to the native store as
        they are (no Python objects built). Returns the number of resources added."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        elif isinstance(source, (str, os.PathLike)):
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise InvalidValue(f"cannot read {source!s}: {exc.strerror}") from None
            except (UnicodeEncodeError, ValueError):  # a lone surrogate or a NUL in the path
                raise InvalidValue(f"cannot read {source!r}: not a valid file name") from None
        else:
            raise InvalidValue("load_ndjson takes bytes or a path")
        lines = [line for line in data.splitlines() if line.strip()]
        if self.backend == "python" or self.validate:
            return len(self.extend(_decode(line) for line in lines))
        now = _now()
        docs = []
        for line in lines:
            try:
                head = _head_decoder.decode(line)
            except msgspec.DecodeError:
                head = None
            if head is not None and _complete_head(head, self.manage_meta):
                docs.append(line)
            else:
                docs.append(_encoder.encode(self._complete(self._as_dict(_decode(line)), now)))
        self._store_many(None, docs)
        return len(docs)

    def replace(self, resource_id: str, resource) -> dict:
        """Replace a resource (RFC 7644 §3.5.1). ``id`` must match (or be absent); ``meta`` is maintained."""
        resource = self._as_dict(resource)
        if resource.get("id", resource_id) != resource_id:
            raise InvalidValue(f"the resource's id {resource.get('id')!r} is not {resource_id!r}")
        with self._write_lock:
            current = self._get_raw(resource_id)
            return self._write(resource_id, {**resource, "id": resource_id}, current)

    def patch(self, resource_id: str, patch) -> dict:
        """Apply a PATCH (RFC 7644 §3.5.2) with :func:`scimcore.apply_patch`, atomically for the resource."""
        from .patch import apply_patch

        with self._write_lock:
            current = self._get_raw(resource_id)
            patched, changed = apply_patch(
                current,
                patch,
                resource_type=self.resource_type,
                policy=self.policy,
                registry=self.registry,
                report=True,
            )
            if not changed:
                return patched
            return self._write(resource_id, patched, current)

    def delete(self, resource_id: str) -> None:
        """Delete a resource (RFC 7644 §3.6); ``NotFound`` (404) when there is none."""
        _check_id(resource_id)
        with self._write_lock:
            self._store.delete(resource_id)

    def _write(self, resource_id: str, resource: dict, current: dict) -> dict:
        resource = self._checked(resource)
        if not self.manage_meta:
            return self._replace_stored(resource_id, resource)
        old_meta = current.get("meta") if isinstance(current.get("meta"), dict) else {}
        meta = dict(resource.get("meta") or {}) if isinstance(resource.get("meta"), dict) else {}
        meta["resourceType"] = old_meta.get("resourceType", self.resource_type)
        if "created" in old_meta:
            meta["created"] = old_meta["created"]
        meta["lastModified"] = _now()
        meta["version"] = _new_version()
        return self._replace_stored(resource_id, {**resource, "meta": meta})

    def _replace_stored(self, resource_id: str, resource: dict) -> dict:
        if self.backend == "native":
            self._store.replace(resource_id, _encoder.encode(resource))
            return resource
        self._store.replace(resource_id, resource)
        return _copy(resource)

    def _store_many(self, stored: list[dict] | None, docs: list[bytes] | None) -> None:
        with self._write_lock:
            self._refresh_layout()
            if self.backend == "native":
                self._store.add_many(docs)
            else:
                self._store.add_many(stored)

    # -- reads --------------------------------------------------------------------------------------------

    def get(self, resource_id: str, attributes=None, excluded_attributes=None) -> dict:
        """The resource (RFC 7644 §3.4.1), projected when ``attributes``/``excluded_attributes`` are given."""
        resource = self._get_raw(resource_id)
        if attributes is None and excluded_attributes is None:
            return resource
        return self._project(resource, attributes, excluded_attributes)

    def _get_raw(self, resource_id: str) -> dict:
        _check_id(resource_id)
        found = self._store.get(resource_id)
        if found is None:
            raise NotFound(f"resource {resource_id!r} not found")
        return _decoder.decode(found) if self.backend == "native" else _copy(found)

    def __len__(self) -> int:
        return len(self._store)

    def memory_bytes(self) -> int | None:
        """Heap bytes held by the native store (its own accounting), ``None`` for the Python store."""
        return self._store.heap_bytes() if self.backend == "native" else None

    def search(
        self,
        filter=None,
        sort_by: str | None = None,
        sort_order: str | None = "ascending",
        start_index: int | None = 1,
        count: int | None = None,
        attributes=None,
        excluded_attributes=None,
        request=None,
    ):
        """Query the directory (RFC 7644 §3.4.2): filter, sort, page, project; returns a ``ListResponse``.

        The same answers as :func:`scimcore.search` over the stored resources. ``request`` may be a
        ``SearchRequest`` (Struct or dict) instead of the keywords.
        """
        from . import query
        from .schema.messages import ListResponse

        params = query.query_parameters(
            request=request,
            filter=filter,
            sort_by=sort_by,
            sort_order=sort_order,
            start_index=start_index,
            count=count,
            attributes=attributes,
            excluded_attributes=excluded_attributes,
            policy=self.policy,
            max_count=self.max_results,
        )
        filter = params.filter
        compiled = None if filter is None else self._compiled(filter)
        if self.backend == "python":
            resources = self._store.all() if compiled is None else self._store.candidates(compiled.bound)
            page = query.search(
                resources,
                resource_type=self.resource_type,
                filter=compiled and compiled.ast,
                sort_by=params.sort_by,
                sort_order="descending" if params.descending else None,
                start_index=params.start,
                count=params.size,
                attributes=params.attributes,
                excluded_attributes=params.excluded_attributes,
                registry=self.registry,
                policy=self.policy,
                max_count=self.max_results,
            )
            page.resources = [_copy(r) for r in page.resources]
            return page
        projection = query._projection(
            self.registry, self.resource_type, params.attributes, params.excluded_attributes, self.policy
        )
        self._refresh_layout()
        plan = self._plan(filter, compiled)
        sort = None if params.sort_by is None else self._sort(params.sort_by, params.descending)
        total, docs = self._store.search(plan, sort, params.start - 1, params.size)
        resources = [projection.apply(_decoder.decode(d)) for d in docs]
        return ListResponse(
            total_results=total, start_index=params.start, items_per_page=len(resources), resources=resources
        )

    # -- helpers ------------------------------------------------------------------------------------------

    def _compiled(self, filter):
        from .filter.compile import compile_filter

        return compile_filter(filter, self.resource_type, self.registry)

    def _plan(self, filter, compiled):
        """The native plan of a filter, cached by filter text / AST JSON."""
        from ._directory_plan import match_all, plan_node
        from .filter.ast import filter_to_json

        key = filter if isinstance(filter, str) else (None if filter is None else filter_to_json(compiled.ast))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._store.plan(match_all() if compiled is None else plan_node(compiled.bound, self._layout))
            self._plans.put(key, plan)
        return plan

    def _sort(self, sort_by, descending: bool):
        """The native sort plan, or ``None`` to keep insertion order (an unusable ``sortBy``, J41)."""
        from ._directory_plan import sort_plan
        from .query import resolve_sort

        key = ("sortBy", sort_by, descending)
        cached = self._plans.get(key)
        if cached is None:
            found = resolve_sort(self.registry, self.resource_type, sort_by, self.policy)
            cached = (None if found is None else sort_plan(found[0], found[1], self._layout, descending),)
            self._plans.put(key, cached)
        return cached[0]

    def _project(self, resource: dict, attributes, excluded_attributes) -> dict:
        from .query import project

        return project(
            resource,
            resource_type=self.resource_type,
            attributes=attributes,
            excluded_attributes=excluded_attributes,
            registry=self.registry,
            policy=self.policy,
        )

    def _as_dict(self, resource) -> dict:
        if isinstance(resource, (bytes, bytearray, str)):
            resource = _decode(resource)
        elif isinstance(resource, msgspec.Struct):
            resource = _decoder.decode(_encoder.encode(resource))
        elif isinstance(resource, dict):
            try:
                resource = _copy(resource)
            except (TypeError, UnicodeEncodeError, RecursionError) as exc:
                raise InvalidValue(f"the resource is not a JSON document: {exc}") from None
        if not isinstance(resource, dict):
            raise InvalidSyntax("a resource must be a JSON object")
        return resource

    def _checked(self, resource: dict) -> dict:
        if not self.validate:
            return resource
        from .schema.codec import normalize

        return normalize(resource, resource_type=self.resource_type, registry=self.registry, policy=self.policy)

    def _complete(self, resource: dict, now: str) -> dict:
        """``resource`` with an ``id`` and the ``meta`` attributes the directory maintains (RFC 7643 §3.1)."""
        resource = self._checked(resource)
        rid = resource.get("id")
        if rid is None or rid == "":
            resource = {"id": str(uuid.uuid4()), **resource}
        elif not isinstance(rid, str):
            raise InvalidValue("the resource's id must be a string")
        if not self.manage_meta:
            return resource
        meta = resource.get("meta")
        meta = dict(meta) if isinstance(meta, dict) else {}
        meta.setdefault("resourceType", self.resource_type)
        meta.setdefault("created", now)
        meta.setdefault("lastModified", meta["created"])
        meta.setdefault("version", _new_version())
        resource["meta"] = meta
        return resource

    def _refresh_layout(self) -> None:
        """The registry changed (a new extension, say): rebuild the native store for the new layout."""
        if self.registry.generation == self._generation:
            return
        from ._directory_plan import build_layout, match_all

        with self._write_lock:
            if self.registry.generation == self._generation:
                return
            docs = None
            if self.backend == "native":
                _, docs = self._store.search(self._store.plan(match_all()), None, 0, None)
            self._layout = build_layout(self.registry, self.resource_type)
            if self.backend == "native":
                store = self._new_store()
                store.add_many(list(docs))
                self._store = store
            self._plans = LruCache(_PLAN_CACHE_SIZE)
            self._generation = self.registry.generation

    def __repr__(self) -> str:
        return f"Directory(resource_type={self.resource_type!r}, backend={self.backend!r}, len={len(self)})"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _new_version() -> str:
    return f'W/"{secrets.token_hex(8)}"'


def _complete_head(head: _Head, manage_meta: bool) -> bool:
    if not isinstance(head.id, str) or head.id == "":
        return False
    if not manage_meta:
        return True
    meta = head.meta
    return (
        meta is not None
        and meta.resourceType is not None
        and meta.created is not None
        and meta.lastModified is not None
        and meta.version is not None
    )


def _decode(data) -> dict:
    value = load_json(data, what="resource")
    if not isinstance(value, dict):
        raise InvalidSyntax("a resource must be a JSON object")
    return value


def _copy(resource: dict) -> dict:
    return _decoder.decode(_encoder.encode(resource))


def _as_list(resources) -> list:
    if isinstance(resources, (dict, bytes, str)):
        raise InvalidValue("extend takes an iterable of resources")
    try:
        return list(resources)
    except TypeError:
        raise InvalidValue("extend takes an iterable of resources") from None


def _check_id(resource_id) -> None:
    if not isinstance(resource_id, str) or not is_unicode_text(resource_id):
        raise NotFound(f"resource {resource_id!r} not found")
