"""Compiled filter predicates (RFC 7644 §3.4.2.2, docs/semantics.md §Evaluation): the front of the evaluator.

``compile_filter`` parses (when given text), binds the filter to the schema once (:mod:`.bind`: paths resolved,
rules applied, literals converted) and lowers the bound filter to one specialised Python function
(:mod:`.codegen`; schemaless comparisons through :mod:`.schemaless`). Compiled predicates are cached.
Evaluation reads the schema's canonical attribute names (``scimcore.normalize`` canonicalises foreign dicts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidFilter, InvalidValue
from .ast import And, Compare, Filter, Not, Or, Present, ValuePath, filter_to_json
from .bind import Bound, bind, bind_element, check_shape
from .codegen import generate
from .lru import LruCache

if TYPE_CHECKING:
    from ..schema.registry import SchemaRegistry

__all__ = ["CompiledFilter", "compile_filter", "element_matcher"]

_CACHE_SIZE = 256


class CompiledFilter:
    """A filter compiled for one resource type: ``pred(resource) -> bool`` and ``pred.filter(resources)``.

    Resources are JSON-shaped dicts with canonical attribute names, or scimcore resource Structs (converted
    to their JSON shape first). A value of an unexpected type never raises: it does not match.
    """

    __slots__ = ("_match", "ast", "bound", "resource_type", "source")

    def __init__(
        self, ast: Filter, bound: Bound, resource_type: str | None, source: str, match: Callable[[dict], bool]
    ):
        self.ast = ast
        self.bound = bound  # the bound filter (scimcore.filter.bind), which the other lowerings take
        self.resource_type = resource_type
        self.source = source  # the generated Python source, for debugging
        self._match = match

    def __call__(self, resource) -> bool:
        if type(resource) is not dict:
            resource = as_json_object(resource)
        return self._match(resource)

    def filter(self, resources) -> list:
        """The resources that match, in input order (RFC 7644 §3.4.2.2)."""
        items = resources if type(resources) is list else as_list(resources)
        try:
            return list(filter(self._match, items))  # fast path: every item is a dict
        except AttributeError:
            match = self._match
            return [item for item in items if match(item if type(item) is dict else as_json_object(item))]

    def __repr__(self) -> str:
        return f"CompiledFilter({str(self.ast)!r}, resource_type={self.resource_type!r})"


def compile_filter(
    text_or_ast: str | Filter, resource_type: str | None = "User", registry: SchemaRegistry | None = None
) -> CompiledFilter:
    """Compile a filter (text or AST) once into a predicate (RFC 7644 §3.4.2.2).

    ``resource_type=None`` evaluates schemaless. Unknown attributes, ``returned: never`` attributes and
    operator/type mismatches raise ``InvalidFilter`` here, not during evaluation. Compiled predicates are
    cached by (filter, resource type, registry and its generation).
    """
    if registry is None:
        from ..schema.default import registry
    if isinstance(text_or_ast, str):
        key_filter: Any = text_or_ast
    elif isinstance(text_or_ast, (And, Or, Not, Compare, Present, ValuePath)):
        check_shape(text_or_ast)  # before encoding: a hand-built AST may be arbitrarily deep
        key_filter = filter_to_json(text_or_ast)  # Struct equality would confuse `eq true` with `eq 1`
    else:
        raise InvalidFilter("a filter must be a string or a filter AST", code="expected_filter", position=0)
    assert registry is not None
    key = (
        key_filter,
        resource_type if resource_type is None else str(resource_type).lower(),
        registry,
        registry.generation,
    )
    compiled = _CACHE.get(key)
    if compiled is not None:
        return compiled
    if isinstance(text_or_ast, str):
        from .parse import parse_filter

        ast = parse_filter(text_or_ast)
    else:
        ast = text_or_ast
    bound = bind(ast, resource_type, registry)
    source, match = generate(bound)
    compiled = CompiledFilter(ast, bound, resource_type, source, match)
    _CACHE.put(key, compiled)
    return compiled


def element_matcher(filter_ast: Filter, resource_type: str | None, resolved, registry=None) -> Callable[[Any], bool]:
    """A predicate over ONE element of the complex attribute ``resolved.attribute`` (RFC 7644 §3.5.2).

    ``filter_ast`` is the filter inside ``attr[...]``: its names are sub-attributes of the attribute.
    ``resolved`` is a :class:`~scimcore.schema.registry.ResolvedAttribute`; with ``resource_type=None`` (or
    no resolved attribute) the element is matched schemaless. Errors raise ``InvalidFilter``; an element that
    is not a dict never matches.
    """
    if not isinstance(filter_ast, (And, Or, Not, Compare, Present, ValuePath)):
        raise InvalidFilter("a value filter must be a filter AST", code="expected_filter", position=0)
    attribute = getattr(resolved, "attribute", None)
    _, match = generate(bind_element(filter_ast, None if resource_type is None else attribute), element=True)
    return match


def as_json_object(resource) -> dict:
    """A resource as a JSON-shaped dict: dicts as they are, resource Structs through ``scimcore``'s
    ``to_dict`` (extension objects under their URN keys, dateTimes as strings)."""
    if isinstance(resource, dict):
        return resource
    import msgspec

    if isinstance(resource, msgspec.Struct):
        from ..schema.codec import to_dict

        return to_dict(resource)
    raise InvalidValue(f"a resource must be a JSON object or a scimcore resource, not {type(resource).__name__}")


def as_list(resources) -> list:
    """An iterable of resources as a list; anything else is an ``InvalidValue``."""
    try:
        return list(resources)
    except TypeError:
        raise InvalidValue("resources must be an iterable of resources") from None


_CACHE = LruCache(_CACHE_SIZE)
