"""The native memory of ``scimcore.Directory`` (``scimcore._native.DirectoryStore``, ``rust/crates/directory``).

Each resource is kept as its JSON only (decoded only when it is returned); value trees (strings pre-folded
unless ``caseExact``, dateTimes as instants) are parsed from it when needed, and full scans build columns per
attribute path from it on first use or at :meth:`scimcore.Directory.prepare` (kept current by writes; see
docs/directory.md). Filters are compiled here, once, into plans
(:mod:`scimcore._directory_plan`); the store evaluates, sorts and pages with the GIL released, on every core for
large scans, and returns only the JSON of the page — or, for :meth:`NativeBackend.query_json`
(``Directory.search_json``), the whole ``ListResponse`` projected and encoded in the store.

Writes go through this backend's lock, so that a compare-and-set (read the stored ``meta.version``, compare,
replace) is atomic; reads do not take it (the native store has its own reader-writer lock).
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from .._directory_plan import build_layout, match_all, plan_node, sort_plan
from ..errors import ScimError, Uniqueness
from ..filter.ast import Compare, filter_to_json
from ..filter.bind import Comparison, bind
from ..filter.compile import compile_filter
from ..filter.lru import LruCache
from ..filter.parse import parse_filter
from ..policy import Policy
from ..query import QueryParameters, resolve_sort
from .front import id_taken, taken, version_of
from .groups_index import GroupsIndex, narrow

__all__ = ["NativeBackend", "native_module", "page_projection"]

_PLAN_CACHE_SIZE = 256
_NARROWED_AT_MOST = 10_000
"""Above this many candidates from the groups index a scan is cheaper than a plan naming each id."""
_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


def native_module() -> Any:
    """``scimcore._native`` when it is built with the directory store and not switched off
    (``SCIMCORE_BACKEND=python``), else ``None``."""
    if os.environ.get("SCIMCORE_BACKEND", "").strip().lower() == "python":
        return None
    try:
        from .. import _native
    except ImportError:
        return None
    return _native if hasattr(_native, "DirectoryStore") else None


class NativeBackend:
    """The :class:`scimcore.store.front.Backend` of ``Directory(backend="native")``."""

    def __init__(self, registry: Any, resource_type: str, policy: Policy, *, threads: int | None = None) -> None:
        self._native = native_module()
        if self._native is None:
            raise ScimError("the native directory is not available (scimcore._native is not built)", status=500)
        self.registry = registry
        self.resource_type = resource_type
        self.policy = policy
        self._threads = threads
        self._lock = threading.RLock()
        self._plans = LruCache(_PLAN_CACHE_SIZE)
        self._layout = build_layout(registry, resource_type)
        self._generation = registry.generation
        self._store = self._new_store()
        # groups.value / groups.display (derived User.groups): kept here, the native indexes are top-level only
        self._groups = GroupsIndex() if "groups" in registry.base_attributes(resource_type) else None

    def _new_store(self) -> Any:
        store = self._native.DirectoryStore(*self._layout.native)
        if self._threads is not None:
            store.set_threads(self._threads)
        return store

    # -- writes -------------------------------------------------------------------------------------------

    def insert(self, resources: list[dict]) -> None:
        self._insert([_encoder.encode(resource) for resource in resources], resources)

    def insert_json(self, documents: list[bytes]) -> None:
        self._insert(documents, None)

    def insert_ndjson(self, data: bytes, complete_meta: bool, complete: Callable[[int, bytes], bytes]) -> int:
        """Import an NDJSON document, all or none (:meth:`scimcore.store.front.StoreFront.load_ndjson`): the store
        cuts and parses the lines (on every core); a line that needs ``id`` or ``meta`` filled in goes to
        ``complete(line number, line)``. Only documents with ``groups`` are decoded here (the groups index)."""
        with self._lock:
            self._refresh_layout()
            flag = None if self._groups is None else "groups"
            try:
                count, grouped = self._store.load_ndjson(data, complete_meta, complete, flag)
            except Uniqueness as error:
                documents = [line for line in data.splitlines() if line.strip()]
                raise self._worded(error, documents, None) from None
            if self._groups is not None:
                for document in grouped:
                    resource = _grouped.decode(document)
                    self._groups.put(resource.id, {"groups": resource.groups})
            return count

    def _insert(self, documents: list[bytes], resources: list[dict] | None) -> None:
        with self._lock:
            self._refresh_layout()
            try:
                self._store.add_many(documents)
            except Uniqueness as error:
                raise self._worded(error, documents, resources) from None
            if self._groups is not None:
                if resources is not None:
                    for resource in resources:
                        self._groups.put(resource["id"], resource)
                else:
                    for grouped in map(_grouped.decode, documents):
                        self._groups.put(grouped.id, {"groups": grouped.groups})

    def swap(self, resource_id: str, resource: dict, expected: str) -> bool:
        document = _encoder.encode(resource)
        with self._lock:
            found = self._store.get(resource_id)
            if found is None or _stored_version(found) != expected:
                return False
            try:
                self._store.replace(resource_id, document)
            except Uniqueness as error:
                raise self._worded(error, [document], [resource]) from None
            if self._groups is not None:
                self._groups.put(resource_id, resource)
            return True

    def remove(self, resource_id: str, expected: str) -> bool:
        with self._lock:
            found = self._store.get(resource_id)
            if found is None or _stored_version(found) != expected:
                return False
            self._store.delete(resource_id)
            if self._groups is not None:
                self._groups.put(resource_id, None)
            return True

    def _worded(self, error: Uniqueness, documents: list[bytes], resources: list[dict] | None) -> Uniqueness:
        """The native store's uniqueness error in the words every store uses (:func:`taken`, :func:`id_taken`):
        it names the attribute and the value in comparison form; the message gives the value as written."""
        text = error.detail
        if text.startswith("a resource with id "):
            return Uniqueness(id_taken(_unquoted(text[len("a resource with id ") : -len(" already exists")])))
        name, _, rest = text.partition(" ")
        folded = _unquoted(rest[: -len(" is already taken by another resource")])
        definition = self.registry.base_attributes(self.resource_type).get(name.lower())
        for resource in resources if resources is not None else map(_decoder.decode, documents):
            value = resource.get(name) if isinstance(resource, dict) else None
            if isinstance(value, str) and definition is not None and _compared(value, definition) == folded:
                return Uniqueness(taken(name, value))
        return Uniqueness(taken(name, folded))

    # -- reads --------------------------------------------------------------------------------------------

    def read(self, resource_id: str) -> dict | None:
        found = self._store.get(resource_id)
        return None if found is None else _decoder.decode(found)

    def __len__(self) -> int:
        return len(self._store)

    def heap_bytes(self) -> int | None:
        """Heap bytes held by the native store (its own accounting)."""
        return self._store.heap_bytes()

    def query(self, params: QueryParameters) -> tuple[int, list[dict]]:
        self._refresh_layout()
        sort = None if params.sort_by is None else self._sort(params.sort_by, params.descending)
        with self._narrowed(params.filter) as plan:
            total, documents = self._store.search(plan, sort, params.start - 1, params.size)
        return total, [_decoder.decode(document) for document in documents]

    def query_json(self, params: QueryParameters, projection: Any, location: str | None = None) -> bytes:
        """The JSON bytes of the ``ListResponse`` (RFC 7644 §3.4.2) of :meth:`query`, its resources projected by
        ``projection`` (a ``scimcore.query`` projection) in the store: no Python object per resource. With
        ``location``, each output ``meta`` gets ``location`` = that prefix followed by the ``id``."""
        self._refresh_layout()
        sort = None if params.sort_by is None else self._sort(params.sort_by, params.descending)
        native = page_projection(self._native, projection)
        with self._narrowed(params.filter) as plan:
            return self._store.search_json(plan, sort, params.start - 1, params.size, native, location)

    @contextmanager
    def _narrowed(self, filter: Any) -> Iterator[Any]:
        """The plan of ``filter``; when the groups index narrows it (:func:`scimcore.store.groups_index.narrow`,
        at most :data:`_NARROWED_AT_MOST` ids), the plan restricted to those ids (an ``id`` index lookup in the
        store), used under the write lock so that index and store agree."""
        plan = self._plan(filter)
        if self._groups is None or filter is None or (isinstance(filter, str) and "groups" not in filter.lower()):
            yield plan
            return
        bound = compile_filter(filter, self.resource_type, self.registry).bound
        with self._lock:
            ids = narrow(bound, self._groups.lookup)
            if ids is None or len(ids) > _NARROWED_AT_MOST:
                yield plan
                return
            from .._native import PlanNode

            slot = self._layout.slots[(None, "id")]
            among = PlanNode.any([PlanNode.text(slot, None, "eq", rid) for rid in sorted(ids)])
            yield self._store.plan(PlanNode.all([among, plan_node(bound, self._layout)]))

    def prepare_all(self, filters: list[Any], sorts: list[str]) -> None:
        """Build now, in one pass over the stored JSON, the scan columns every filter of ``filters`` and every
        ``sortBy`` of ``sorts`` read (:meth:`scimcore.Directory.prepare`)."""
        self._refresh_layout()
        plans = [self._plan(f) for f in filters]
        found = (self._sort(key, False) for key in sorts)
        self._store.prepare(plans, [sort for sort in found if sort is not None])

    def prepare(self, filter: Any, sort_by: str | None) -> int | None:
        """Build now the scan columns that ``filter`` and ``sort_by`` read (a first search would build them);
        the heap bytes of those columns, ``None`` if the filter does not run on columns."""
        self._refresh_layout()
        plan = self._plan(filter)
        sort = None if sort_by is None else self._sort(sort_by, False)
        return self._store.scan_bytes(plan, sort)

    def scan_runner(self, filter: Any, sort_by: str | None, count: int, threads: int) -> tuple[Any, int | None]:
        """For the benchmark: a call running the store's search on ``threads`` threads (the page chosen, left
        in the store: ``search_counts``) and the bytes that search must read from its columns
        (``scan_read_bytes``: a lower bound; ``None`` off columns)."""
        plan = self._plan(filter)
        sort = None if sort_by is None else self._sort(sort_by, False)
        store, restore = self._store, self._threads or os.cpu_count() or 1

        def run() -> Any:
            store.set_threads(threads)
            try:
                return store.search_counts(plan, sort, 0, count)
            finally:
                store.set_threads(restore)

        return run, store.scan_read_bytes(plan, sort)

    def _plan(self, filter: Any) -> Any:
        """The native plan of a filter, cached by filter text / AST JSON: the bound filter
        (:func:`scimcore.filter.bind.bind`) lowered to plan nodes; no Python predicate is generated for it."""
        if filter is None:
            key: Any = ("filter", None)
        elif isinstance(filter, str):
            key = ("filter", filter)
        else:
            key = ("filter", filter_to_json(compile_filter(filter, self.resource_type, self.registry).ast))
        plan = self._plans.get(key)
        if plan is None:
            if filter is None:
                node = match_all()
            else:
                ast = parse_filter(filter) if isinstance(filter, str) else filter
                node = plan_node(self._bound(ast), self._layout)
            plan = self._store.plan(node)
            self._plans.put(key, plan)
        return plan

    def _bound(self, ast: Any) -> Any:
        """``bind(ast)``; a lone comparison with a string literal whose path and operator were bound before (an
        identity provider looks a new ``userName`` up on every request) is that bound comparison with the new
        literal, case-folded when the comparison folds: nothing in binding it depends on the literal's text."""
        shape = ("string comparison", ast.path, ast.op) if type(ast) is Compare and type(ast.value) is str else None
        if shape is not None:
            template = self._plans.get(shape)
            if template is not None:
                value = ast.value.casefold() if template.fold else ast.value
                return Comparison(template.target, template.op, "string", value, template.fold)
        bound = bind(ast, self.resource_type, self.registry)
        if shape is not None and type(bound) is Comparison and bound.kind == "string":
            self._plans.put(shape, bound)
        return bound

    def _sort(self, sort_by: str, descending: bool) -> Any:
        """The native sort plan, or ``None`` to keep insertion order (an unusable ``sortBy``, docs/semantics.md
        §Query)."""
        key = ("sortBy", sort_by, descending)
        cached = self._plans.get(key)
        if cached is None:
            found = resolve_sort(self.registry, self.resource_type, sort_by, self.policy)
            cached = (None if found is None else sort_plan(found[0], found[1], self._layout, descending),)
            self._plans.put(key, cached)
        return cached[0]

    def _refresh_layout(self) -> None:
        """The registry changed (a new extension, say): rebuild the native store for the new layout."""
        if self.registry.generation == self._generation:
            return
        with self._lock:
            if self.registry.generation == self._generation:
                return
            _, documents = self._store.search(self._store.plan(match_all()), None, 0, None)
            self._layout = build_layout(self.registry, self.resource_type)
            store = self._new_store()
            store.add_many(list(documents))
            self._store = store
            self._plans = LruCache(_PLAN_CACHE_SIZE)
            self._generation = self.registry.generation


class _Grouped(msgspec.Struct):
    """The ``id`` and ``groups`` of a stored document (for the groups index; the rest is skipped)."""

    id: str
    groups: Any = None


_grouped = msgspec.json.Decoder(_Grouped)


class _VersionMeta(msgspec.Struct):
    version: Any = None


class _Versioned(msgspec.Struct):
    """Just the ``meta.version`` of a stored document (msgspec skips the rest without building it)."""

    meta: _VersionMeta | None = None


_versioned = msgspec.json.Decoder(_Versioned)


def _stored_version(document: bytes) -> str:
    """:func:`version_of` of a stored JSON document, read without decoding the whole resource."""
    try:
        meta = _versioned.decode(document).meta
    except msgspec.ValidationError:  # an imported document whose meta is not an object
        return version_of(_decoder.decode(document))
    version = None if meta is None else meta.version
    return version if isinstance(version, str) else ""


_PAGE_PROJECTIONS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def page_projection(native: Any, projection: Any) -> Any:
    """The ``scimcore._native.PageProjection`` of a ``scimcore.query`` projection (cached with it): for every
    attribute the schema defines, whether this request keeps it and which sub-attributes, decided by the rules
    of the projection's ``_attribute``/``_element`` (docs/semantics.md §Query); the store applies them."""
    found = _PAGE_PROJECTIONS.get(projection)
    if found is None:
        base = (
            [_rule(projection, None, lower, d, False) for lower, d in projection.base.items()],
            _unknown(projection, False),
        )
        extensions = []
        for urn, attributes in projection.extensions.values():
            named = urn in projection.selection.extensions
            rules = [_rule(projection, urn, lower, d, named) for lower, d in attributes.items()]
            extensions.append((urn, (rules, _unknown(projection, named))))
        found = native.PageProjection(projection.base_schema, base, extensions)
        _PAGE_PROJECTIONS[projection] = found
    return found


def _unknown(projection: Any, named: bool) -> bool:
    """Whether an attribute the schema does not define is output (its ``returned`` is ``default``)."""
    if projection.mode == "attributes":
        return named
    return not (projection.mode == "excluded" and named)


def _rule(projection: Any, extension: str | None, lower: str, definition: Any, named: bool) -> tuple:
    """``(lower name, keep, complex, [(lower sub name, kept)], keep unknown subs)`` for one attribute."""
    returned = definition.returned
    dropped: tuple = (lower, False, False, [], False)
    only: Any = None
    excluded: frozenset = frozenset()
    if returned == "never":
        return dropped
    if returned != "always":
        selector = (extension, definition.name)
        selection = projection.selection
        if projection.mode == "attributes":
            if not (selector in selection.whole or (named and returned != "request")):
                only = selection.subs.get(selector)
                if only is None:
                    return dropped
        elif returned == "request":
            return dropped
        elif projection.mode == "excluded":
            if named or selector in selection.whole:
                return dropped
            excluded = frozenset(selection.subs.get(selector, ()))
    subs = [(name, _sub_kept(sub, only, excluded)) for name, sub in definition.sub_attributes.items()]
    return (lower, True, definition.is_complex, subs, only is None)


def _sub_kept(sub: Any, only: Any, excluded: frozenset) -> bool:
    if sub.returned == "never":
        return False
    if sub.returned == "always":
        return True
    if only is not None and sub.name not in only:
        return False
    return not (sub.name in excluded or (sub.returned == "request" and (only is None or sub.name not in only)))


def _compared(value: str, definition: Any) -> str:
    """A text value in the native store's comparison form (folded unless ``caseExact``)."""
    return value if definition.case_exact else value.casefold()


def _unquoted(text: str) -> str:
    """A value quoted by the native store (Rust's debug format, JSON's for ordinary text)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str) else text
