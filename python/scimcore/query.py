"""Queries over resources in memory: filtering, projection, sorting and paging (RFC 7644 §3.4.2, §3.4.3, §3.9).

``search`` filters with a compiled predicate (``compile_filter``), sorts, pages and projects, and answers a
``ListResponse``. ``project`` applies ``attributes``/``excludedAttributes`` and the ``returned``
characteristics to one resource. The rules are docs/semantics.md §Query:

- ``returned: always`` attributes (``id``, ``schemas``) are always output, ``never`` (``password``) never,
  ``request`` only when named, ``default`` unless excluded or another selection is asked for; ``schemas`` is
  always present. Both parameters given: ``attributes`` wins (``invalidSyntax`` under a policy without
  ``attributes_win``). Names are case-insensitive, may be URN-qualified, name sub-attributes (``name.givenName``)
  or a whole extension (its URN); unknown names are ignored. Containers and elements left empty are dropped.
- ``sortBy``: missing values last ascending, first descending; multi-valued attributes sort by their primary
  value, else the first; a complex attribute without a sub-attribute sorts by ``value``; strings folded unless
  ``caseExact``; dateTimes as instants; ties broken by ``id``. An unknown ``sortBy`` is ignored, or ``invalidValue``
  when ``Policy.ignore_unusable_sort`` is off (as in ``Policy.STRICT``).
- Paging is 1-based: ``startIndex < 1`` is 1, ``count < 0`` is 0, ``count`` above ``max_results`` is capped;
  without ``count`` at most ``max_results`` resources are returned (``None``: no cap); ``totalResults`` always
  counts every match, so a capped page says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .errors import InvalidSyntax, InvalidValue, ScimError
from .filter import runtime
from .filter.compile import as_json_object, as_list, compile_filter
from .filter.lru import LruCache
from .policy import Policy
from .schema.messages import ListResponse
from .schema.model import STRING_TYPES, AttributeDef
from .schema.registry import SchemaRegistry
from .schema.resources import MAX_RESULTS

__all__ = ["MAX_RESULTS", "QueryParameters", "page", "project", "query_parameters", "resolve_sort", "search"]


_DEFAULT_POLICY = Policy()


# -- projection -------------------------------------------------------------------------------------------


def project(
    resource: Any,
    resource_type: str = "User",
    attributes: Any = None,
    excluded_attributes: Any = None,
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
) -> dict:
    """``resource`` (dict or resource Struct) with only the attributes the request returns (RFC 7644 §3.9).

    ``attributes``/``excluded_attributes`` are lists of names or comma-separated strings. The input is never
    modified; the result is a new dict (nested values not touched by the projection are shared).
    """
    registry = _registry(registry)
    projection = _projection(registry, resource_type, attributes, excluded_attributes, policy or _DEFAULT_POLICY)
    return projection.apply(as_json_object(resource))


def _registry(registry):
    if registry is None:
        from .schema.default import registry
    return registry


def _names(value, what: str) -> tuple[str, ...] | None:
    """A list of names or a comma-separated string (RFC 7644 §3.4.2.5) as a tuple; ``None`` when not given."""
    if value is None:
        return None
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise InvalidValue(f"{what} must be a list of attribute names or a comma-separated string")
    names = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidValue(f"{what} must contain attribute names (strings), not {type(item).__name__}")
        if item.strip():
            names.append(item.strip())
    return tuple(names)


@dataclass
class _Selection:
    """The named attributes, resolved: ``(extension, attribute name)`` pairs, sub-attributes per attribute,
    whole extensions."""

    whole: set = field(default_factory=set)  # (extension | None, attribute name)
    subs: dict = field(default_factory=dict)  # (extension | None, attribute name) -> {sub-attribute name}
    extensions: set = field(default_factory=set)  # extension URNs named as a whole

    def add(self, resolved) -> None:
        if resolved.attribute is None:
            self.extensions.add(resolved.extension)
        elif resolved.sub is None:
            self.whole.add((resolved.extension, resolved.attribute.name))
        else:
            self.subs.setdefault((resolved.extension, resolved.attribute.name), set()).add(resolved.sub.name)


def _select(registry, resource_type: str, names: tuple[str, ...], what: str) -> _Selection:
    from .filter.parse import parse_path

    selection = _Selection()
    for name in names:
        try:
            path = parse_path(name)
        except ScimError:
            raise InvalidValue(f"{what}: {name!r} is not an attribute name") from None
        if path.filter is not None or path.sub is not None:
            raise InvalidValue(f"{what}: {name!r} is not an attribute name (filters are not allowed here)")
        try:
            resolved = registry.resolve(resource_type, path.path.name, path.path.uri, path.path.sub)
        except ScimError:
            continue  # unknown names are ignored (docs/semantics.md §Query)
        selection.add(resolved)
    return selection


class _Projection:
    """One (resource type, attributes, excludedAttributes) request, resolved once and applied per resource."""

    def __init__(self, registry, resource_type: str, mode: str | None, selection: _Selection):
        rt = registry.resource_type(resource_type)
        self.base_schema = rt.schema
        self.base = registry.base_attributes(resource_type)  # lower name -> definition
        self.extensions = {urn.lower(): (urn, registry.schema(urn).attributes) for urn, _ in rt.extensions}
        self.mode = mode
        self.selection = selection

    def apply(self, resource: dict) -> dict:
        out: dict = {}
        for key, value in resource.items():
            if not isinstance(key, str):
                continue
            extension = self.extensions.get(key.lower())
            if extension is not None:
                projected = self._extension(extension[0], extension[1], value)
                if projected:
                    out[key] = projected
                continue
            definition = self.base.get(key.lower())
            kept = self._attribute(None, definition, key, value)
            if kept is not _DROP:
                out[key] = kept
        if "schemas" not in out:  # schemas is always output (docs/semantics.md §Query)
            present = [urn for urn, _attributes in self.extensions.values() if urn in out]
            out = {"schemas": [self.base_schema, *present], **out}
        elif type(out["schemas"]) is list:  # schemas names the schemas present (RFC 7643 §3)
            out["schemas"] = [
                urn
                for urn in out["schemas"]
                if not (isinstance(urn, str) and urn.lower() in self.extensions and not self._has(out, urn))
            ]
        return out

    @staticmethod
    def _has(resource: dict, urn: str) -> bool:
        return any(isinstance(key, str) and key.lower() == urn.lower() for key in resource)

    def _extension(self, urn: str, attributes: dict, value) -> dict | None:
        if type(value) is not dict:
            return None
        whole = urn in self.selection.extensions
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                continue
            kept = self._attribute(urn, attributes.get(key.lower()), key, item, extension_named=whole)
            if kept is not _DROP:
                out[key] = kept
        return out

    def _attribute(self, extension, definition: AttributeDef | None, key: str, value, extension_named=False):
        """The value to output for one attribute, or ``_DROP``."""
        returned = definition.returned if definition is not None else "default"
        if returned == "never" or value is None:
            return _DROP
        if returned == "always":
            return self._subs(definition, value, None, excluded=frozenset())
        name = definition.name if definition is not None else key
        selector = (extension, name)
        if self.mode == "attributes":
            if selector in self.selection.whole or (extension_named and returned != "request"):
                return self._subs(definition, value, None, excluded=frozenset())
            subs = self.selection.subs.get(selector)
            if subs is None:
                return _DROP
            return self._subs(definition, value, subs, excluded=frozenset())
        if returned == "request":
            return _DROP
        if self.mode == "excluded":
            if extension_named or selector in self.selection.whole:
                return _DROP
            return self._subs(definition, value, None, excluded=frozenset(self.selection.subs.get(selector, ())))
        return self._subs(definition, value, None, excluded=frozenset())

    def _subs(self, definition: AttributeDef | None, value, only, *, excluded):
        """Apply sub-attribute ``returned`` rules and selections to a complex value (or each element)."""
        if definition is None or not definition.is_complex:
            return value
        if type(value) is list:
            out = []
            for element in value:
                kept = self._element(definition, element, only, excluded)
                if kept is not _DROP:
                    out.append(kept)
            return out if out or not value else _DROP
        return self._element(definition, value, only, excluded)

    def _element(self, definition: AttributeDef, element, only, excluded):
        if type(element) is not dict:
            return element
        out = {}
        for key, item in element.items():
            sub = definition.sub(key) if isinstance(key, str) else None
            name = sub.name if sub is not None else key
            returned = sub.returned if sub is not None else "default"
            if returned == "never" or item is None:  # null is unassigned (RFC 7643 §2.5)
                continue
            if returned != "always":
                if only is not None and name not in only:
                    continue
                if name in excluded or (returned == "request" and (only is None or name not in only)):
                    continue
            out[key] = item
        if not out and element:
            return _DROP
        return out


_DROP = object()


def _projection(registry, resource_type, attributes, excluded_attributes, policy: Policy) -> _Projection:
    wanted = _names(attributes, "attributes")
    unwanted = _names(excluded_attributes, "excludedAttributes")
    if wanted is not None and unwanted is not None and wanted and unwanted and not policy.attributes_win:
        raise InvalidSyntax("attributes and excludedAttributes are mutually exclusive (RFC 7644 §3.9)")
    if wanted:
        mode, names = "attributes", wanted
    elif unwanted:
        mode, names = "excluded", unwanted
    else:
        mode, names = None, ()
    key = (registry, registry.generation, str(resource_type).lower(), mode, names)
    found = _PROJECTIONS.get(key)
    if found is None:
        selection = _select(registry, resource_type, names, mode or "attributes")
        found = _Projection(registry, resource_type, mode, selection)
        _PROJECTIONS.put(key, found)
    return found


_PROJECTIONS = LruCache(128)


# -- sorting ----------------------------------------------------------------------------------------------


def resolve_sort(registry, resource_type: str, sort_by: str, policy: Policy):
    """``(resolved, definition)`` of a ``sortBy`` (the definition of the value it sorts by: a complex attribute
    sorts by ``value``), or ``None`` when it cannot sort: then the order is left alone, or ``invalidValue``
    when ``policy.ignore_unusable_sort`` is off (docs/semantics.md §Query). Shared by every store so that they sort
    alike."""
    from .filter.parse import parse_path

    def unusable(reason: str):
        if not policy.ignore_unusable_sort:
            raise InvalidValue(f"sortBy {sort_by!r}: {reason}")

    if not isinstance(sort_by, str):
        raise InvalidValue("sortBy must be an attribute name")
    try:
        path = parse_path(sort_by)
    except ScimError:
        return unusable("not an attribute name")
    if path.filter is not None or path.sub is not None:
        return unusable("not an attribute name")
    try:
        resolved = registry.resolve(resource_type, path.path.name, path.path.uri, path.path.sub)
    except ScimError as error:
        return unusable(error.detail)
    attribute, sub = resolved.attribute, resolved.sub
    if attribute is None:
        return unusable("names a whole extension")
    if attribute.is_complex and sub is None:
        sub = attribute.sub("value")
        if sub is None:
            return unusable(f"{attribute.name!r} is complex and has no 'value' sub-attribute")
    if (sub or attribute).returned == "never":
        return unusable(f"{attribute.name!r} is never returned")
    return resolved, sub


def _sort_key(registry, resource_type: str, sort_by: str, policy: Policy) -> Callable[[dict], Any] | None:
    """A function giving a resource's sort value (``None``: missing), or ``None`` to leave the order alone."""
    found = resolve_sort(registry, resource_type, sort_by, policy)
    if found is None:
        return None
    resolved, sub = found
    attribute = resolved.attribute
    convert = _converter(sub or attribute)
    extension, name, multi = resolved.extension, attribute.name, attribute.multi_valued
    sub_name = sub.name if sub is not None else None

    def key(resource: dict):
        holder = resource.get(extension) if extension is not None else resource
        if type(holder) is not dict:
            return None
        value = holder.get(name)
        if multi:
            value = _primary_or_first(value)
        if sub_name is not None:
            value = value.get(sub_name) if type(value) is dict else None
        return convert(value)

    return key


def _primary_or_first(values):
    """The element with ``primary: true``, else the first element (RFC 7644 §3.4.2.3)."""
    if type(values) is not list or not values:
        return None
    for element in values:
        if type(element) is dict and element.get("primary") is True:
            return element
    return values[0]


def _converter(definition: AttributeDef) -> Callable[[Any], Any]:
    """Turn a value into something that orders as its schema type; ``None`` for missing or mistyped values."""
    kind = definition.type
    if kind in STRING_TYPES:
        if definition.case_exact:
            return lambda value: value if type(value) is str and value != "" else None
        return lambda value: value.casefold() if type(value) is str and value != "" else None
    if kind in ("integer", "decimal"):
        return lambda value: value if type(value) in runtime.NUMBER_TYPES else None
    if kind == "boolean":
        return lambda value: value if type(value) is bool else None
    return _instant_key


def _instant_key(value) -> float | None:
    """A dateTime as its POSIX timestamp: the same order as the instant, and much cheaper to compare than
    aware datetimes (whose comparisons consult their offsets)."""
    moment = runtime.instant(value)
    return None if moment is None else moment.timestamp()


def _sorted(resources: list[dict], key: Callable[[dict], Any], descending: bool) -> list[dict]:
    by_id = sorted(resources, key=_id_of)
    keyed = [(key(resource), resource) for resource in by_id]
    present = [pair for pair in keyed if pair[0] is not None]
    missing = [resource for value, resource in keyed if value is None]
    present.sort(key=lambda pair: pair[0], reverse=descending)  # stable: ties stay in id order
    ordered = [resource for _, resource in present]
    return missing + ordered if descending else ordered + missing


def _id_of(resource: dict) -> str:
    value = resource.get("id")
    return value if type(value) is str else ""


# -- search -----------------------------------------------------------------------------------------------


def search(
    resources: Iterable[Any],
    resource_type: str = "User",
    filter: Any = None,
    sort_by: str | None = None,
    sort_order: str | None = "ascending",
    start_index: int | None = 1,
    count: int | None = None,
    attributes: Any = None,
    excluded_attributes: Any = None,
    request: Any = None,
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    max_results: int | None = MAX_RESULTS,
) -> ListResponse:
    """Filter, sort, page and project ``resources`` into a ``ListResponse`` (RFC 7644 §3.4.2).

    ``request`` (a ``SearchRequest`` or its JSON dict) supplies the parameters it sets, in place of the
    keywords. ``resources`` are dicts or resource Structs; the page holds projected dicts.
    """
    from .schema.messages import ListResponse

    policy = policy or _DEFAULT_POLICY
    registry = _registry(registry)
    params = query_parameters(
        request=request,
        filter=filter,
        sort_by=sort_by,
        sort_order=sort_order,
        start_index=start_index,
        count=count,
        attributes=attributes,
        excluded_attributes=excluded_attributes,
        policy=policy,
        max_results=max_results,
    )
    projection = _projection(registry, resource_type, params.attributes, params.excluded_attributes, policy)
    total, selected = page(resources, params, resource_type=resource_type, registry=registry, policy=policy)
    return ListResponse(
        total_results=total,
        start_index=params.start,
        items_per_page=len(selected),
        resources=[projection.apply(resource) for resource in selected],
    )


def page(
    resources, params: QueryParameters, *, resource_type: str = "User", registry=None, policy: Policy | None = None
) -> tuple[int, list[dict]]:
    """Filter, sort and page ``resources`` as ``params`` say: ``(number of matches, the page)``, the page's
    resources as given (not projected). The in-memory evaluation every memory store shares."""
    policy = policy or _DEFAULT_POLICY
    registry = _registry(registry)
    filter, sort_by, start, size = params.filter, params.sort_by, params.start, params.size
    if filter is not None:
        matched = compile_filter(filter, resource_type, registry).filter(resources)
    else:
        matched = resources if type(resources) is list else as_list(resources)
    matched = [item if type(item) is dict else as_json_object(item) for item in matched]
    if sort_by is not None:
        key = _sort_key(registry, resource_type, sort_by, policy)
        if key is not None:
            matched = _sorted(matched, key, params.descending)
    selected = matched[start - 1 :] if size is None else matched[start - 1 : start - 1 + size]
    return len(matched), selected


class QueryParameters(msgspec.Struct, frozen=True):
    """The parameters of a query after the RFC's corrections (RFC 7644 §3.4.2.4, docs/semantics.md §Query):
    ``start`` is 1-based and at least 1; ``size`` is the page size (``None``: everything), never negative,
    capped by ``max_results``."""

    filter: Any
    sort_by: str | None
    descending: bool
    start: int
    size: int | None
    attributes: Any
    excluded_attributes: Any


def query_parameters(
    *,
    request=None,
    filter=None,
    sort_by=None,
    sort_order="ascending",
    start_index=1,
    count=None,
    attributes=None,
    excluded_attributes=None,
    policy: Policy | None = None,
    max_results: int | None = MAX_RESULTS,
) -> QueryParameters:
    """The query parameters from keywords, or from a ``SearchRequest`` (Struct or dict, RFC 7644 §3.4.3) whose
    fields take the place of the keywords they set. Shared by every store, so that they read queries alike."""
    if request is not None:
        from .schema.messages import SearchRequest

        message = SearchRequest.from_json(request, policy=policy or _DEFAULT_POLICY)
        filter = message.filter if message.filter is not None else filter
        sort_by = message.sort_by if message.sort_by is not None else sort_by
        sort_order = message.sort_order if message.sort_order is not None else sort_order
        start_index = message.start_index if message.start_index is not None else start_index
        count = message.count if message.count is not None else count
        attributes = message.attributes if message.attributes is not None else attributes
        if message.excluded_attributes is not None:
            excluded_attributes = message.excluded_attributes
    descending = _descending(sort_order)
    start = max(1, _integer(start_index, "startIndex", 1))
    size = _integer(count, "count", None)
    if max_results is not None:
        size = max_results if size is None else min(size, max_results)
    if size is not None:
        size = max(0, size)
    if sort_by is not None and not isinstance(sort_by, str):
        raise InvalidValue("sortBy must be an attribute name")
    return QueryParameters(filter, sort_by, descending, start, size, attributes, excluded_attributes)


def _descending(sort_order) -> bool:
    if sort_order is None:
        return False
    if isinstance(sort_order, str) and sort_order.lower() in ("ascending", "descending"):
        return sort_order.lower() == "descending"
    raise InvalidValue(f"sortOrder must be ascending or descending, not {sort_order!r}")


def _integer(value, what: str, default):
    """An integer query parameter: an int, or a string of digits as it comes from a URL (RFC 7644 §3.4.2.4)."""
    if value is None:
        return default
    if type(value) is int:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and text.isascii():
            return int(text)
    raise InvalidValue(f"{what} must be an integer, not {value!r}")
