"""Binding a parsed filter to a schema: the one place a filter meets attribute definitions (RFC 7644 §3.4.2.2).

``bind(ast, resource_type="User", registry=None)`` returns a *bound filter*: plain, documented data that every
evaluator lowers without looking at the schema again (``scimcore.compile_filter`` to a Python function, the
native directory to its plan, ``scimcore.to_sql`` to SQL, and any other library to its own backend). Binding
applies every evaluation rule of docs/semantics.md §Evaluation once:

- each attribute path is resolved (docs/semantics.md §Filters): a :class:`Target` names the extension object,
  the attribute and the sub-attribute, with their definitions; ``returned: never`` attributes are refused;
- ``ne`` becomes ``Not(eq)`` (so it also holds when the attribute is absent), ``eq null`` becomes
  ``Not(Present)`` and ``ne null`` becomes ``Present``;
- a comparison on a complex attribute without a sub-attribute compares its ``value`` sub-attribute;
- the operator is checked against the attribute's type (no ordering on booleans and binaries, substrings on
  strings only) and the literal is converted once: strings case-folded unless ``caseExact``, dateTimes parsed
  to aware instants, numbers kept exact (``int`` or ``Decimal``);
- inside ``attr[...]`` the names are sub-attributes of ``attr``, and value paths do not nest.

Without a resource type (``resource_type=None``) binding is *schemaless*: targets stay unresolved
(:class:`Unresolved`, matched case-insensitively at evaluation), and the comparison's type comes from the
literal (a string that is an xsd:dateTime compares as an instant).

Bound nodes::

    Bound = AllOf | AnyOf | Negation | Present | Comparison | ElementMatch

``Present.target`` / ``Comparison.target`` is a :class:`Target`, or an :class:`Unresolved` path when schemaless;
inside ``ElementMatch.filter`` targets are relative to one element of ``ElementMatch.target``.
``Comparison.op`` is one of ``eq co sw ew gt ge lt le``; ``Comparison.kind`` is ``string``, ``boolean``,
``number`` or ``dateTime``; ``Comparison.fold`` says whether stored strings are case-folded before comparing
(the literal already is). Every error is an ``InvalidFilter`` with a stable ``code`` and the ``position`` (and
``span``) of the node at fault; docs/filter-language.md lists the codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..datetimes import parse_datetime
from ..errors import InvalidFilter, ScimError
from ..schema.model import STRING_TYPES, AttributeDef
from .ast import COMPARE_OPS, And, AttrPath, Compare, Filter, Not, Or, ValuePath
from .ast import Present as AstPresent
from .errors import filter_error, path_error
from .limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from ..schema.registry import SchemaRegistry

__all__ = [
    "STRING_TYPES",
    "AllOf",
    "AnyOf",
    "Bound",
    "Comparison",
    "ElementMatch",
    "Negation",
    "Present",
    "Target",
    "Unresolved",
    "bind",
    "bind_element",
    "check_shape",
]

_ORDERING = frozenset(("gt", "ge", "lt", "le"))
_SUBSTRING = frozenset(("co", "sw", "ew"))
_NUMBER_TYPES = (int, Decimal, float)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a resolved path lands: ``resource[extension][attribute.name][...][sub.name]``.

    ``extension`` is the URN key of the extension object (``None`` for core and common attributes);
    ``attribute`` ``None`` means the whole extension object. Inside an :class:`ElementMatch` the target is
    relative to the element: ``attribute`` is then a sub-attribute of the matched attribute.
    """

    extension: str | None
    attribute: AttributeDef | None
    sub: AttributeDef | None = None

    @property
    def definition(self) -> AttributeDef | None:
        """The definition of the values compared: the sub-attribute, else the attribute."""
        return self.sub or self.attribute


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A schemaless path ``[uri:]name[.sub]``: names are matched in any case when evaluating."""

    uri: str | None
    name: str
    sub: str | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every term holds (``and``)."""

    terms: tuple[Bound, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Some term holds (``or``)."""

    terms: tuple[Bound, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    """The filter does not hold (``not``, ``ne``, ``eq null``)."""

    filter: Bound


@dataclass(frozen=True, slots=True)
class Present:
    """Some value at ``target`` is present (``pr``, ``ne null``): docs/semantics.md §Evaluation judges emptiness
    on the JSON value's shape, whatever the declared type (missing, null, ``""``, ``[]`` and objects or arrays
    whose members are all empty are absent)."""

    target: Target | Unresolved


@dataclass(frozen=True, slots=True)
class Comparison:
    """Some value at ``target`` of JSON type ``kind`` satisfies ``op`` against ``value`` (any-value matching).

    ``value`` is converted: a ``str`` (case-folded when ``fold``), ``bool``, ``int``/``Decimal``, or an aware
    ``datetime`` for ``dateTime``.
    """

    target: Target | Unresolved
    op: str
    kind: str
    value: Any
    fold: bool = False


@dataclass(frozen=True, slots=True)
class ElementMatch:
    """One element of the complex attribute at ``target`` satisfies ``filter`` as a whole (``attr[...]``)."""

    target: Target | Unresolved
    filter: Bound


Bound = AllOf | AnyOf | Negation | Present | Comparison | ElementMatch


def bind(ast: Filter, resource_type: str | None = "User", registry: SchemaRegistry | None = None) -> Bound:
    """Bind a filter AST to ``resource_type`` in ``registry`` (the default registry when ``None``).

    ``resource_type=None`` binds schemaless. Raises ``InvalidFilter`` (with ``code`` and ``position``) when
    the filter does not fit the schema.
    """
    check_shape(ast)
    if resource_type is None:
        return _Binder(None).node(ast, _SCHEMALESS)
    if registry is None:
        from ..schema.default import registry as default_registry

        registry = default_registry
    registry.resource_type(resource_type)  # an unknown resource type: its ScimError now
    return _Binder(_TopScope(registry, resource_type)).node(ast, None)


def bind_element(ast: Filter, attribute: AttributeDef | None) -> Bound:
    """Bind the filter inside ``attr[...]`` for one element of the complex ``attribute`` (RFC 7644 §3.5.2);
    ``attribute=None`` binds it schemaless."""
    check_shape(ast)
    if attribute is None:
        return _Binder(None).node(ast, _SCHEMALESS_ELEMENT)
    if not attribute.is_complex:
        raise filter_error("not_complex", ast, path=attribute.name)
    return _Binder(None).node(ast, _ElementScope(attribute))


def check_shape(ast) -> None:
    """Refuse what the parsers never produce: non-nodes, empty chains, deeper or larger than the parser limits
    (the same codes and messages as the parsers')."""
    limits = DEFAULT_LIMITS
    stack = [(ast, 1)]
    comparisons = 0
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise filter_error("too_deep", node, max_depth=limits.max_depth)
        if isinstance(node, (And, Or)):
            if not isinstance(node.terms, tuple) or len(node.terms) < 2:
                raise filter_error("invalid_ast", node, what="an and/or node needs at least two terms")
            stack.extend((term, depth + 1) for term in node.terms)
        elif isinstance(node, Not):
            stack.append((node.filter, depth + 1))
        elif isinstance(node, ValuePath):
            if not isinstance(node.path, AttrPath) or not isinstance(node.path.name, str):
                raise filter_error("invalid_ast", node, what="a value path needs an attribute path")
            stack.append((node.filter, depth + 1))
        elif isinstance(node, (Compare, AstPresent)):
            if not isinstance(node.path, AttrPath) or not isinstance(node.path.name, str):
                raise filter_error("invalid_ast", node, what="a comparison needs an attribute path")
            comparisons += 1
            if comparisons > limits.max_comparisons:
                raise filter_error("too_many_comparisons", node, max_comparisons=limits.max_comparisons)
        else:
            raise filter_error("invalid_ast", None, what=f"not a filter node: {type(node).__name__}")


# -- scopes: where names are looked up -------------------------------------------------------------------------


class _TopScope:
    """Names resolve against a resource type: common and core attributes, then extensions (§Filters)."""

    def __init__(self, registry, resource_type: str) -> None:
        self.registry = registry
        self.resource_type = resource_type

    def resolve(self, path: AttrPath, node) -> Target:
        try:
            found = self.registry.resolve(self.resource_type, path.name, path.uri, path.sub, error=InvalidFilter)
        except ScimError as exc:
            raise path_error("unknown_attribute", node, reason=exc.detail) from None
        return Target(found.extension, found.attribute, found.sub)


class _ElementScope:
    """Inside ``attr[...]``: names are sub-attributes of ``attr``."""

    def __init__(self, parent: AttributeDef) -> None:
        self.parent = parent

    def resolve(self, path: AttrPath, node) -> Target:
        sub = self.parent.sub(path.name) if path.uri is None and path.sub is None else None
        if sub is None:
            raise path_error("unknown_sub_attribute", node, path=str(path), parent=self.parent.name)
        return Target(None, sub, None)


_SCHEMALESS = "schemaless"
_SCHEMALESS_ELEMENT = "schemaless element"


class _Binder:
    def __init__(self, top: _TopScope | None) -> None:
        self.top = top

    def node(self, node: Filter, scope) -> Bound:
        if isinstance(node, And):
            return AllOf(tuple(self.node(term, scope) for term in node.terms))
        if isinstance(node, Or):
            return AnyOf(tuple(self.node(term, scope) for term in node.terms))
        if isinstance(node, Not):
            return Negation(self.node(node.filter, scope))
        if isinstance(node, ValuePath):
            return self.value_path(node, scope)
        if isinstance(node, AstPresent):
            return Present(self.target(node.path, node, scope))
        return self.compare(node, scope)

    def target(self, path: AttrPath, node, scope) -> Target | Unresolved:
        if scope is _SCHEMALESS or scope is _SCHEMALESS_ELEMENT:
            return Unresolved(path.uri, path.name, path.sub)
        return self.resolved(path, node, scope)

    def resolved(self, path: AttrPath, node, scope) -> Target:
        resolver = self.top if scope is None else scope
        assert resolver is not None
        target = resolver.resolve(path, node)
        for definition in (target.attribute, target.sub):
            if definition is not None and definition.returned == "never":
                raise path_error("never_returned", node, path=str(path))
        return target

    def value_path(self, node: ValuePath, scope) -> ElementMatch:
        path = node.path
        if scope is _SCHEMALESS_ELEMENT or isinstance(scope, _ElementScope):
            raise filter_error("nested_value_path", node)
        if scope is _SCHEMALESS:
            if path.sub is not None:
                raise filter_error("not_complex", node, path=str(path))
            return ElementMatch(Unresolved(path.uri, path.name), self.node(node.filter, _SCHEMALESS_ELEMENT))
        target = self.resolved(path, node, scope)
        if target.attribute is None or target.sub is not None or not target.attribute.is_complex:
            raise filter_error("not_complex", node, path=str(path))
        return ElementMatch(target, self.node(node.filter, _ElementScope(target.attribute)))

    def compare(self, node: Compare, scope) -> Bound:
        op, value = node.op, node.value
        if op not in COMPARE_OPS:
            raise filter_error("unknown_operator", node, op=op)
        target = self.target(node.path, node, scope)
        if value is None:
            if op not in ("eq", "ne"):
                raise filter_error("null_comparison", node, op=op)
            present = Present(target)
            return present if op == "ne" else Negation(present)
        positive = "eq" if op == "ne" else op
        if isinstance(target, Unresolved):
            bound: Bound = _schemaless_comparison(node, target, positive)
        else:
            bound = self.typed_comparison(node, target, positive)
        return Negation(bound) if op == "ne" else bound

    def typed_comparison(self, node: Compare, target: Target, op: str) -> Comparison:
        written = str(node.path)
        if target.attribute is None:
            raise filter_error("whole_extension", node, path=written)
        definition = target.sub or target.attribute
        if definition.is_complex:
            value_sub = definition.sub("value")
            if target.sub is not None or value_sub is None:
                raise filter_error("complex_without_value", node, path=written)
            if value_sub.returned == "never":
                raise path_error("never_returned", node, path=written)
            target = Target(target.extension, target.attribute, value_sub)
            definition = value_sub
        kind, value = definition.type, node.value
        if (op in _ORDERING and kind in ("boolean", "binary")) or (op in _SUBSTRING and kind not in STRING_TYPES):
            raise filter_error("operator_not_supported", node, path=written, kind=kind, op=op)

        def wrong(want: str) -> InvalidFilter:
            return filter_error("wrong_literal_type", node, path=written, kind=kind, want=want, got=value)

        if kind in STRING_TYPES:
            if type(value) is not str:
                raise wrong("a string")
            fold = not definition.case_exact
            return Comparison(target, op, "string", value.casefold() if fold else value, fold)
        if kind == "boolean":
            if type(value) is not bool:
                raise wrong("true or false")
            return Comparison(target, op, "boolean", value)
        if kind in ("integer", "decimal"):
            if type(value) not in _NUMBER_TYPES or (type(value) is Decimal and not value.is_finite()):
                raise wrong("a number")
            return Comparison(target, op, "number", value)
        if kind == "dateTime":
            moment = parse_datetime(value) if type(value) is str else None
            if moment is None:
                raise wrong("an xsd:dateTime string")
            return Comparison(target, op, "dateTime", moment)
        raise filter_error("uncomparable_type", node, path=written, kind=kind)


def _schemaless_comparison(node: Compare, target: Unresolved, op: str) -> Comparison:
    """A comparison whose type comes from the literal (a dateTime string compares as an instant)."""
    value = node.value
    if type(value) is bool:
        if op != "eq":
            raise filter_error("operator_not_supported", node, path=str(node.path), kind="boolean", op=node.op)
        return Comparison(target, "eq", "boolean", value)
    if type(value) in _NUMBER_TYPES:
        if op in _SUBSTRING:
            raise filter_error("operator_not_supported", node, path=str(node.path), kind="number", op=node.op)
        return Comparison(target, op, "number", value)
    if type(value) is str:
        moment: datetime | None = parse_datetime(value) if op not in _SUBSTRING else None
        if moment is not None:
            return Comparison(target, op, "dateTime", moment)
        return Comparison(target, op, "string", value.casefold(), True)
    raise filter_error("wrong_literal_type", node, path=str(node.path), kind="value", want="a JSON value", got=value)
