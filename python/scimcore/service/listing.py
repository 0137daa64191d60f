"""Queries over HTTP (RFC 7644 §3.4.2, §3.4.3; RFC 9865; docs/semantics.md §Protocol "Lists", "Root /.search",
"Cursors").

- GET ``/{type}`` reads the query parameters (names in any case); POST ``/{type}/.search`` reads a
  SearchRequest (plus RFC 9865's ``cursor``). ``count`` above ``max_results`` is capped, below 0 is 0, and
  ``count=0`` answers ``totalResults`` only (no ``Resources``); ``startIndex < 1`` is 1; a non-integer
  ``startIndex``/``count`` is 400 ``invalidValue``; an empty ``filter`` is no filter.
- ``cursor`` (empty for the first page) pages in ``id`` order through the store's own filter and sort
  (:mod:`.cursors`); ``nextCursor`` is on every page but the last. ``startIndex`` with ``cursor``, or a
  ``sortBy`` other than ``id`` with ``cursor``, is 400 ``invalidValue``.
- Over a native :class:`~scimcore.Directory` a page (``count`` above 0, no ``cursor``) leaves as the JSON the
  store builds (:meth:`~scimcore.Directory.search_json`, with the service's ``meta.location``): no Python
  object per resource; the same document, once parsed, as the page built from dicts.
- POST ``/.search`` searches every served type. A filter naming an attribute a type does not define makes that
  type match nothing, unless no type can take the filter (then its error). Without ``sortBy`` the types follow
  one another in the order they were given to the service; with it, results are merged by that attribute where
  a type has it (missing values last ascending, first descending; strings folded unless ``caseExact``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from ..directory import Directory
from ..errors import InvalidValue, ScimError
from ..policy import Policy
from ..schema.messages import LIST_RESPONSE, SearchRequest
from ..store import Store
from .http import Request

if TYPE_CHECKING:
    from .service import Service

__all__ = ["Listing", "Query"]


class Query(msgspec.Struct, frozen=True):
    """The parameters of one query, from a URL or a SearchRequest."""

    filter: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None
    start_index: int | None = None
    count: int | None = None
    attributes: Any = None
    excluded_attributes: Any = None
    cursor: str | None = None

    @classmethod
    def from_url(cls, query: Mapping[str, str]) -> Query:
        """From the query string (names already lower-cased, RFC 7644 §3.4.2)."""
        return cls(
            filter=query.get("filter") or None,
            sort_by=query.get("sortby") or None,
            sort_order=query.get("sortorder") or None,
            start_index=_integer(query.get("startindex"), "startIndex"),
            count=_integer(query.get("count"), "count"),
            attributes=query.get("attributes"),
            excluded_attributes=query.get("excludedattributes"),
            cursor=query.get("cursor"),
        )._checked()

    @classmethod
    def from_body(cls, data: dict[str, Any], policy: Policy) -> Query:
        """From a SearchRequest body (RFC 7644 §3.4.3) with RFC 9865's ``cursor`` member."""
        cursor = None
        for key in [k for k in data if isinstance(k, str) and k.lower() == "cursor"]:
            cursor = data.pop(key)
            if not isinstance(cursor, str):
                raise InvalidValue("cursor must be a string")
        message = SearchRequest.from_json(data, policy=policy)
        return cls(
            filter=message.filter or None,
            sort_by=message.sort_by or None,
            sort_order=message.sort_order,
            start_index=message.start_index,
            count=message.count,
            attributes=message.attributes,
            excluded_attributes=message.excluded_attributes,
            cursor=cursor,
        )._checked()

    def _checked(self) -> Query:
        if self.cursor is not None and self.start_index is not None:
            raise InvalidValue("startIndex and cursor cannot be used together (RFC 9865)")
        return self


class Listing:
    """The list endpoints of one service."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def get(self, request: Request, resource_type: str, policy: Policy) -> dict[str, Any] | msgspec.Raw:
        """GET ``/{type}`` (RFC 7644 §3.4.2)."""
        return self.search(resource_type, Query.from_url(request.query))

    def post(
        self, request: Request, resource_type: str, policy: Policy, data: dict[str, Any]
    ) -> dict[str, Any] | msgspec.Raw:
        """POST ``/{type}/.search`` (RFC 7644 §3.4.3)."""
        return self.search(resource_type, Query.from_body(data, policy))

    def _size(self, count: int | None) -> int:
        cap = self.service.limits.max_results
        return cap if count is None else max(0, min(count, cap))

    def search(self, resource_type: str, query: Query) -> dict[str, Any] | msgspec.Raw:
        """One type's ListResponse, by index or by cursor; over a native directory, the JSON it encodes."""
        if query.cursor is not None:
            return self._cursor_page(resource_type, query)
        store = self.service.stores[resource_type]
        start = max(1, query.start_index or 1)
        size = self._size(query.count)
        options: dict[str, Any] = {
            "filter": query.filter,
            "sort_by": query.sort_by,
            "sort_order": query.sort_order,
            "start_index": start,
            "count": size,
            "attributes": query.attributes,
            "excluded_attributes": query.excluded_attributes,
        }
        if size > 0 and isinstance(store, Directory) and store.pages_natively:
            return msgspec.Raw(store.search_json(**options, location=self.service.prefixes[resource_type]))
        page = store.search(**options)
        resources = [self._located(resource_type, r) for r in page.resources]
        return _document(page.total_results, resources, start, size == 0)

    def _cursor_page(self, resource_type: str, query: Query) -> dict[str, Any]:
        """An RFC 9865 page: keyset on ``id`` (``filter and id gt last``, sorted by ``id``)."""
        if query.sort_by is not None and query.sort_by.lower() != "id":
            raise InvalidValue("cursor pages are in id order: sortBy cannot be combined with cursor")
        if query.sort_order is not None and query.sort_order.lower() == "descending":
            raise InvalidValue("cursor pages are in ascending id order: sortOrder descending cannot be used")
        signer = self.service.cursors
        digest = signer.digest(resource_type, query.filter, query.attributes, query.excluded_attributes)
        last = signer.last_id(query.cursor, digest) if query.cursor else None
        store = self.service.stores[resource_type]
        size = self._size(query.count)
        text = query.filter
        if last is not None:
            after = f"id gt {json.dumps(last)}"
            text = after if query.filter is None else f"({query.filter}) and {after}"
        page = store.search(
            filter=text,
            sort_by="id",
            start_index=1,
            count=size,
            attributes=query.attributes,
            excluded_attributes=query.excluded_attributes,
        )
        total = page.total_results if last is None else store.search(filter=query.filter, count=0).total_results
        resources = [self._located(resource_type, r) for r in page.resources]
        out = _document(total, resources, None, size == 0)
        if resources and page.total_results > len(resources):
            out["nextCursor"] = signer.issue(digest, resources[-1]["id"])
        return out

    def root(self, request: Request, policy: Policy, data: dict[str, Any]) -> dict[str, Any]:
        """POST ``/.search``: every served resource type (RFC 7644 §3.4.3)."""
        query = Query.from_body(data, policy)
        if query.cursor is not None:
            raise InvalidValue("cursor pagination is per resource type, not on /.search")
        types = self._types_for(query.filter)
        start = max(1, query.start_index or 1)
        size = self._size(query.count)
        if query.sort_by is None:
            return self._concatenated(types, query, start, size)
        return self._merged(types, query, start, size, policy)

    def _types_for(self, text: str | None) -> list[str]:
        """The served types the filter can be evaluated on; its error when there is none."""
        service = self.service
        if text is None:
            return list(service.stores)
        from ..filter.compile import compile_filter
        from ..filter.parse import parse_filter

        ast = parse_filter(text)
        types, first_error = [], None
        for name in service.stores:
            try:
                compile_filter(ast, resource_type=name, registry=service.registry)
            except ScimError as error:
                first_error = first_error or error
                continue
            types.append(name)
        if not types and first_error is not None:
            raise first_error
        return types

    def _concatenated(self, types: list[str], query: Query, start: int, size: int) -> dict[str, Any]:
        stores = self.service.stores
        totals = [stores[name].search(filter=query.filter, count=0).total_results for name in types]
        resources: list[dict[str, Any]] = []
        offset = 0  # resources of the types before this one
        for name, total in zip(types, totals, strict=True):
            first = max(start - 1 - offset, 0)  # 0-based index of the first wanted in this type
            wanted = min(size - len(resources), total - first)
            if wanted > 0:
                page = _take(
                    stores[name],
                    first + 1,
                    wanted,
                    filter=query.filter,
                    attributes=query.attributes,
                    excluded_attributes=query.excluded_attributes,
                )
                resources.extend(self._located(name, r) for r in page)
            offset += total
        return _document(sum(totals), resources, start, size == 0)

    def _merged(self, types: list[str], query: Query, start: int, size: int, policy: Policy) -> dict[str, Any]:
        from ..query import project

        service = self.service
        descending = (query.sort_order or "").lower() == "descending"
        wanted = start - 1 + size
        keyed: list[tuple[Any, str, dict[str, Any]]] = []
        total = 0
        for name in types:
            store = service.stores[name]
            total += store.search(filter=query.filter, count=0).total_results
            key = _sort_key(service, name, query.sort_by or "", policy)
            taken = _take(
                store,
                1,
                wanted,
                filter=query.filter,
                sort_by=query.sort_by if key is not None else None,
                sort_order=query.sort_order,
            )
            keyed.extend((None if key is None else key(r), name, r) for r in taken)
        present = [item for item in keyed if item[0] is not None]
        missing = [item for item in keyed if item[0] is None]
        present.sort(key=lambda item: item[0], reverse=descending)
        ordered = missing + present if descending else present + missing
        page = ordered[start - 1 : start - 1 + size]
        resources = [
            self._located(
                name,
                project(
                    r,
                    resource_type=name,
                    attributes=query.attributes,
                    excluded_attributes=query.excluded_attributes,
                    registry=service.registry,
                    policy=policy,
                ),
            )
            for _, name, r in page
        ]
        return _document(total, resources, start, size == 0)

    def _located(self, resource_type: str, resource: dict[str, Any]) -> dict[str, Any]:
        meta = resource.get("meta")
        if type(meta) is dict:
            meta["location"] = self.service.prefixes[resource_type] + str(resource.get("id"))
        return resource


def _document(total: int, resources: list[dict[str, Any]], start: int | None, count_only: bool) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2); ``count=0`` leaves out ``Resources``."""
    out: dict[str, Any] = {"schemas": [LIST_RESPONSE], "totalResults": total, "itemsPerPage": len(resources)}
    if start is not None:
        out["startIndex"] = start
    if not count_only:
        out["Resources"] = resources
    return out


def _take(store: Store, start: int, wanted: int, **search: Any) -> list[dict[str, Any]]:
    """Up to ``wanted`` resources from 1-based ``start``, over as many store pages as that needs."""
    out: list[dict[str, Any]] = []
    while len(out) < wanted:
        page = store.search(start_index=start, count=wanted - len(out), **search)
        if not page.resources:
            break
        out.extend(page.resources)
        start += len(page.resources)
    return out


def _sort_key(service: Service, resource_type: str, sort_by: str, policy: Policy) -> Any:
    """The function giving a resource's sort value for root ``/.search`` (``None``: the type lacks it)."""
    from ..query import resolve_sort

    try:
        found = resolve_sort(service.registry, resource_type, sort_by, policy)
    except ScimError:
        return None
    if found is None:
        return None
    resolved, sub = found
    attribute = resolved.attribute
    definition = sub or attribute
    folded = definition.type in ("string", "reference", "binary") and not definition.case_exact

    def key(resource: dict[str, Any]) -> Any:
        holder = resource.get(resolved.extension) if resolved.extension is not None else resource
        value = holder.get(attribute.name) if type(holder) is dict else None
        if attribute.multi_valued:
            value = _primary_or_first(value)
        if sub is not None:
            value = value.get(sub.name) if type(value) is dict else None
        if value is None or value == "" or isinstance(value, (dict, list)):
            return None
        if isinstance(value, str):
            return (1, value.casefold() if folded else value)
        if isinstance(value, bool):
            return (0, int(value))
        return (0, value) if isinstance(value, (int, float)) else None

    return key


def _primary_or_first(values: Any) -> Any:
    if type(values) is not list or not values:
        return None
    for element in values:
        if type(element) is dict and element.get("primary") is True:
            return element
    return values[0]


def _integer(value: str | None, what: str) -> int | None:
    """An integer query parameter (RFC 7644 §3.4.2.4); anything else is 400 ``invalidValue``."""
    if value is None:
        return None
    text = value.strip()
    digits = text.lstrip("+-")
    if digits.isdigit() and digits.isascii() and len(text) - len(digits) <= 1:
        sign = -1 if text.startswith("-") else 1
        return sign * (int(digits) if len(digits) <= 18 else 10**18)
    raise InvalidValue(f"{what} must be an integer, not {value!r}")
