"""PATCH paths resolved against the schema (RFC 7644 §3.5.2, Figure 7; docs/semantics.md §PATCH).

A path text becomes a :class:`Target`: where the value lives (core or extension object), the attribute and
sub-attribute definitions, and, for ``attr[filter]``, the compiled element matcher; a bare extension URN
becomes an :class:`ExtensionTarget` (the whole extension object). Targets depend only on the
text, the resource type and the registry, so they are cached (the registry's ``generation`` is part of the key),
in a least-recently-used cache of at most :data:`CACHE_SIZE` targets, so that memory stays flat under load
(docs/operations.md, Load): a path with a filter (whose matcher is generated code, about 60 us and 1.8 KB) is
cached the second time its text is seen, so the paths that name one id each (``members[value eq "<id>"]``, which
every delete of a member sends) never fill the cache, while an identity provider's repeated
``emails[type eq "work"].value`` is built twice, then reused; a text longer than :data:`CACHED_LENGTH` is never cached.

Errors: a path that does not parse, or names no attribute, is ``invalidPath``; a syntax error *inside* the
brackets, or a filter that does not fit the schema, is ``invalidFilter`` (a bad filter inside a path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidFilter, InvalidPath
from ..filter.ast import And, Compare, Filter, PatchPath
from ..filter.lru import LruCache
from ..filter.parse import parse_path
from ..schema.model import AttributeDef
from ..schema.registry import ResolvedAttribute, SchemaRegistry

__all__ = ["ExtensionTarget", "Target", "target_for", "upsert_terms"]

CACHE_SIZE = 512
"""At most this many targets are cached (and this many hashes of filtered paths seen once are remembered)."""
CACHED_LENGTH = 256
"""Paths longer than this many characters are resolved on every use, never cached."""
_cache = LruCache(CACHE_SIZE)
_seen_once = LruCache(CACHE_SIZE)  # hashes of the cache keys of filtered paths seen once (ints: a few bytes each)


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved PATCH path that names an attribute.

    ``extension`` is the URN of the extension object holding the attribute (``None``: the resource itself).
    ``sub`` is the sub-attribute of ``attr.sub`` or ``attr[filter].sub``; ``matcher`` tests one element against
    ``filter``.
    """

    text: str
    extension: str | None
    attribute: AttributeDef
    sub: AttributeDef | None = None
    filter: Filter | None = None
    matcher: Callable[[Any], bool] | None = None
    dotted: bool = False  # written with a sub-attribute or a filter (not a plain attribute name)


@dataclass(frozen=True, slots=True)
class ExtensionTarget:
    """A PATCH path that is a bare extension URN: the whole extension object."""

    text: str
    extension: str


def target_for(
    text: str, resource_type: str, registry: SchemaRegistry, *, within: str | None = None
) -> Target | ExtensionTarget:
    """The :class:`Target` of ``text``; ``within`` is an extension URN that unqualified names belong to."""
    key = (registry, registry.generation, resource_type, within, text)
    found = _cache.get(key)
    if found is None:
        found = _build(text, resource_type, registry, within)
        if _admitted(key, text, found):
            _cache.put(key, found)
    return found


def _admitted(key: tuple[object, ...], text: str, found: Target | ExtensionTarget) -> bool:
    """Whether ``found`` (the target of ``text``) is cached: a short text, and for a filtered path one seen
    before."""
    if len(text) > CACHED_LENGTH:
        return False
    if not isinstance(found, Target) or found.filter is None:
        return True
    digest = hash(key)
    if _seen_once.get(digest) is None:
        _seen_once.put(digest, True)
        return False
    return True


def _build(text: str, resource_type: str, registry: SchemaRegistry, within: str | None) -> Target | ExtensionTarget:
    parsed = _parse(text)
    path = parsed.path
    uri = path.uri if path.uri is not None else within
    if parsed.filter is not None and path.sub is not None:
        raise InvalidPath("a sub-attribute goes after the filter, as attr[filter].sub")
    sub_name = parsed.sub if parsed.filter is not None else path.sub
    resolved = registry.resolve(resource_type, path.name, uri, sub_name, error=InvalidPath)
    dotted = sub_name is not None or parsed.filter is not None
    if resolved.attribute is None:
        if parsed.filter is not None or parsed.sub is not None:
            raise InvalidPath("an extension URN names a whole object: it takes no filter")
        assert resolved.extension is not None  # registry.resolve: no attribute means a bare extension URN
        return ExtensionTarget(text=text, extension=resolved.extension)
    attr = resolved.attribute
    if parsed.filter is None:
        if resolved.sub is not None and attr.multi_valued:
            raise InvalidPath(
                f"{attr.name!r} is multi-valued: select elements with a filter, as {attr.name}[...].{resolved.sub.name}"
            )
        return Target(text=text, extension=resolved.extension, attribute=attr, sub=resolved.sub, dotted=dotted)
    if not attr.multi_valued:
        raise InvalidPath(f"a value filter applies to a multi-valued attribute; {attr.name!r} is not one")
    return Target(
        text=text,
        extension=resolved.extension,
        attribute=attr,
        sub=resolved.sub,
        filter=parsed.filter,
        matcher=_matcher(parsed.filter, resource_type, resolved.extension, attr, registry),
        dotted=True,
    )


def _matcher(filter_ast: Filter, resource_type: str, extension, attr: AttributeDef, registry) -> Callable:
    """The element predicate of ``attr[filter]``. For a simple multi-valued attribute (``schemas``), ``value``
    in the filter is the element itself (RFC 7644 §3.5.2, erratum 7122 discussion)."""
    from ..filter.compile import element_matcher

    if attr.is_complex:
        return element_matcher(filter_ast, resource_type, ResolvedAttribute(extension, attr), registry)
    element = AttributeDef(name=attr.name, type="complex", multi_valued=True, schema=attr.schema)
    element.sub_attributes["value"] = AttributeDef(
        name="value",
        type=attr.type,
        case_exact=attr.case_exact,
        mutability=attr.mutability,
        returned=attr.returned,
        schema=attr.schema,
        parent=element,
    )
    match = element_matcher(filter_ast, resource_type, ResolvedAttribute(extension, element), registry)
    return lambda value: match({"value": value})


def _parse(text: str) -> PatchPath:
    try:
        return parse_path(text)
    except InvalidPath as exc:
        if _inside_brackets(text, exc.position):
            raise InvalidFilter(exc.detail, position=exc.position, code=exc.code) from None
        raise


def _inside_brackets(text: str, position: int | None) -> bool:
    """Whether a syntax error at ``position`` lies inside the ``[...]`` of a value path (strings skipped)."""
    start = text.find("[") if isinstance(text, str) else -1
    if start < 0 or position is None or position <= start:
        return False
    in_string = escaped = False
    for char in text[start + 1 : position]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "]":
            return False
    return True


def upsert_terms(target: Target) -> dict[str, Any] | None:
    """``{canonical sub-attribute name: value}`` when the filter is ``eq`` terms joined by ``and``, else ``None``.

    Only such a filter says exactly what a new element must hold; contradictory terms give ``None``.
    """
    terms = target.filter.terms if isinstance(target.filter, And) else (target.filter,)
    out: dict[str, Any] = {}
    for term in terms:
        if not (isinstance(term, Compare) and term.op == "eq" and term.value is not None):
            return None
        sub = target.attribute.sub(term.path.name)
        if term.path.uri is not None or term.path.sub is not None or sub is None:
            return None
        if sub.name in out and out[sub.name] != term.value:
            return None
        out[sub.name] = term.value
    return out
