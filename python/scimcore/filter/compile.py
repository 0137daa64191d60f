"""Compiling a filter against a schema into a fast predicate (RFC 7644 §3.4.2.2, SEMANTICS "Evaluation").

``compile_filter`` resolves every attribute path to its definition once (type, ``caseExact``, multi-valued,
extension URN), checks and pre-converts every literal (case-folded strings, dateTime instants), and then
generates the source of ONE specialised Python function for the whole filter, compiled with ``compile()``.
Evaluating a resource therefore does no parsing, no schema lookup and builds no objects per comparison: it
is a chain of ``dict.get`` calls, type tests and comparisons, with a small helper function per loop over a
multi-valued attribute.

The generated source is safe by construction: it contains only identifiers this module makes up and Python
literals produced by ``repr()`` of ``str``/``int``/``bool``/``None`` values; every other constant (decimals,
instants, the schemaless closures) is passed in as a closure variable, never written into the source.

Semantics (SEMANTICS "Evaluation", J5-J17): any-value matching on multi-valued attributes, ``ne`` as
``not (eq)``; the bracket form matches within one element; a complex attribute compared without a
sub-attribute compares its ``value``; ``pr`` per J7; ``eq null``/``ne null`` as absence/presence; strings
case-folded unless ``caseExact``; dateTime as instants; integers and decimals mix. Evaluation reads the
schema's canonical attribute names (``scimcore.normalize`` canonicalises foreign dicts). Without a resource
type, evaluation is schemaless: names match in any case, absent attributes have no value, and types come
from the JSON values (a string literal that is an xsd:dateTime compares as an instant with the values that
are xsd:dateTimes, and matches no other value).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..datetimes import parse_datetime
from ..errors import InvalidFilter, InvalidValue
from ..schema.model import AttributeDef
from . import runtime
from .ast import COMPARE_OPS, And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath, filter_to_json
from .limits import DEFAULT_LIMITS
from .lru import LruCache

__all__ = ["CompiledFilter", "compile_filter", "element_matcher"]

_ORDERING = frozenset(("gt", "ge", "lt", "le"))
_SUBSTRING = frozenset(("co", "sw", "ew"))
_STRING_TYPES = frozenset(("string", "reference", "binary"))
_CACHE_SIZE = 256

# Names the generated code may use besides its own: nothing else is reachable from it.
_GENERATED_GLOBALS = {
    "__builtins__": {},
    "type": type,
    "str": str,
    "dict": dict,
    "list": list,
    "NUM": runtime.NUMBER_TYPES,
    "ABSENT": runtime.ABSENT,
    "present": runtime.is_present,
    "instant": runtime.instant,
}


class CompiledFilter:
    """A filter compiled for one resource type: ``pred(resource) -> bool`` and ``pred.filter(resources)``.

    Resources are JSON-shaped dicts with canonical attribute names, or scimcore resource Structs (converted
    to their JSON shape first). A value of an unexpected type never raises: it does not match.
    """

    __slots__ = ("ast", "resource_type", "source", "_match")

    def __init__(self, ast: Filter, resource_type: str | None, source: str, match: Callable[[dict], bool]):
        self.ast = ast
        self.resource_type = resource_type
        self.source = source  # the generated Python source, for debugging
        self._match = match

    def __call__(self, resource) -> bool:
        if type(resource) is not dict:
            resource = as_json_object(resource)
        return self._match(resource)

    def filter(self, resources) -> list:
        """The resources that match, in input order (RFC 7644 §3.4.2.2)."""
        items = resources if type(resources) is list else _as_list(resources)
        try:
            return list(filter(self._match, items))  # fast path: every item is a dict
        except AttributeError:
            match = self._match
            return [item for item in items if match(item if type(item) is dict else as_json_object(item))]

    def __repr__(self) -> str:
        return f"CompiledFilter({str(self.ast)!r}, resource_type={self.resource_type!r})"


def compile_filter(text_or_ast: str | Filter, resource_type: str | None = "User", registry=None) -> CompiledFilter:
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
        _check_shape(text_or_ast)  # before encoding: a hand-built AST may be arbitrarily deep
        key_filter = filter_to_json(text_or_ast)  # Struct equality would confuse `eq true` with `eq 1`
    else:
        raise InvalidFilter("a filter must be a string or a filter AST", code="expected_filter", position=0)
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
    if resource_type is None:
        scope: _Scope = _SchemalessScope()
    else:
        registry.resource_type(resource_type)  # unknown resource type: a ScimError now, not later
        scope = _ResourceScope(registry, resource_type)
    source, match = _generate(ast, scope, element_guard=False)
    compiled = CompiledFilter(ast, resource_type, source, match)
    _CACHE.put(key, compiled)
    return compiled


def element_matcher(filter_ast: Filter, resource_type: str | None, resolved, registry=None) -> Callable[[Any], bool]:
    """A predicate over ONE element of the complex attribute ``resolved.attribute`` (RFC 7644 §3.5.2).

    ``filter_ast`` is the filter inside ``attr[...]``: its names are sub-attributes of the attribute.
    ``resolved`` is a :class:`~scimcore.schema.registry.ResolvedAttribute`; with ``resource_type=None`` (or
    no resolved attribute) the element is matched schemaless. Errors raise ``InvalidFilter``; an element that
    is not a dict never matches.
    """
    attribute = getattr(resolved, "attribute", None)
    if resource_type is None or attribute is None:
        scope: _Scope = _SchemalessScope()
    else:
        if not attribute.is_complex:
            raise InvalidFilter(f"attribute {attribute.name!r} is not complex: it has no sub-attributes to filter on")
        scope = _ElementScope(attribute)
    if not isinstance(filter_ast, (And, Or, Not, Compare, Present, ValuePath)):
        raise InvalidFilter("a value filter must be a filter AST", code="expected_filter", position=0)
    _, match = _generate(filter_ast, scope, element_guard=True)
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


def _as_list(resources) -> list:
    try:
        return list(resources)
    except TypeError:
        raise InvalidValue("resources must be an iterable of resources") from None


# -- attribute resolution ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a path lands: ``container[extension][attribute.name][...][sub.name]``; ``attribute`` ``None`` is
    the whole extension object."""

    extension: str | None
    attribute: AttributeDef | None
    sub: AttributeDef | None


class _Scope:
    schemaless = False

    def resolve(self, path: AttrPath) -> _Target:  # pragma: no cover - overridden
        raise NotImplementedError

    def element_scope(self, target: _Target) -> "_Scope":  # pragma: no cover - overridden
        raise NotImplementedError


class _ResourceScope(_Scope):
    """Names resolve against a resource type: core and common attributes, then extensions (J12-J16)."""

    def __init__(self, registry, resource_type: str):
        self.registry = registry
        self.resource_type = resource_type

    def resolve(self, path: AttrPath) -> _Target:
        found = self.registry.resolve(self.resource_type, path.name, path.uri, path.sub, error=InvalidFilter)
        target = _Target(found.extension, found.attribute, found.sub)
        _check_filterable(target, str(path))
        return target

    def element_scope(self, target: _Target) -> _Scope:
        return _ElementScope(target.attribute)


class _ElementScope(_Scope):
    """Inside ``attr[...]``: names are sub-attributes of ``attr`` (a value path cannot nest, J17)."""

    def __init__(self, parent: AttributeDef):
        self.parent = parent

    def resolve(self, path: AttrPath) -> _Target:
        if path.uri is not None or path.sub is not None:
            raise InvalidFilter(
                f"{str(path)!r}: inside {self.parent.name}[...] only sub-attribute names of {self.parent.name!r} "
                "may be used"
            )
        sub = self.parent.sub(path.name)
        if sub is None:
            raise InvalidFilter(f"unknown sub-attribute {path.name!r} of {self.parent.name!r}")
        target = _Target(None, sub, None)
        _check_filterable(target, str(path))
        return target

    def element_scope(self, target: _Target) -> _Scope:
        raise InvalidFilter(f"a value path cannot be nested inside {self.parent.name}[...]")


class _SchemalessScope(_Scope):
    """No schema: names match in any case, unknown names have no value, types come from the values."""

    schemaless = True

    def __init__(self, nested: bool = False):
        self.nested = nested

    def element_scope(self, target) -> _Scope:
        if self.nested:
            raise InvalidFilter("a value path cannot be nested inside another value path")
        return _SchemalessScope(nested=True)


def _check_filterable(target: _Target, written: str) -> None:
    for definition in (target.attribute, target.sub):
        if definition is not None and definition.returned == "never":
            raise InvalidFilter(f"attribute {written!r} is never returned and cannot be used in a filter (J16)")


# -- literal checking (compile time) ----------------------------------------------------------------------


def _prepare_literal(definition: AttributeDef, op: str, value, written: str):
    """Check ``op`` and ``value`` against the attribute type; return the literal as evaluation compares it."""
    kind = definition.type
    if kind in ("boolean", "binary") and op in _ORDERING:
        raise InvalidFilter(f"{written!r} is {kind}: the ordering operator {op!r} is not supported")
    if op in _SUBSTRING and kind not in _STRING_TYPES:
        raise InvalidFilter(f"{written!r} is {kind}: the substring operator {op!r} is not supported")
    if kind in _STRING_TYPES:
        if type(value) is not str:
            raise InvalidFilter(f"{written!r} is {kind}: compare it with a string, not {_describe(value)}")
        return value if definition.case_exact else value.casefold()
    if kind == "boolean":
        if type(value) is not bool:
            raise InvalidFilter(f"{written!r} is boolean: compare it with true or false, not {_describe(value)}")
        return value
    if kind in ("integer", "decimal"):
        if type(value) not in runtime.NUMBER_TYPES or (type(value) is Decimal and not value.is_finite()):
            raise InvalidFilter(f"{written!r} is {kind}: compare it with a number, not {_describe(value)}")
        return value
    if kind == "dateTime":
        moment = parse_datetime(value) if type(value) is str else None
        if moment is None:
            raise InvalidFilter(
                f'{written!r} is dateTime: {_describe(value)} is not an xsd:dateTime such as "2011-05-13T04:42:34Z"'
            )
        return moment
    raise InvalidFilter(f"{written!r} has type {kind!r}, which filters cannot compare")


def _describe(value) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is str:
        return f"the string {value!r}"
    if type(value) in runtime.NUMBER_TYPES:
        return f"the number {value}"
    return f"a {type(value).__name__}"


# -- code generation --------------------------------------------------------------------------------------


def _generate(ast: Filter, scope: _Scope, *, element_guard: bool) -> tuple[str, Callable[[Any], bool]]:
    """Generate, compile and instantiate the predicate function for ``ast``."""
    _check_shape(ast)
    gen = _Generator()
    body = gen.filter(ast, scope, "r")
    if element_guard:
        body = f"type(r) is dict and {body}"
    source = gen.source(body)
    try:
        code = compile(source, "<scimcore filter>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise InvalidFilter("the filter is too complex to compile", code="too_deep") from None
    namespace: dict = {}
    exec(code, dict(_GENERATED_GLOBALS), namespace)  # noqa: S102 - source built from repr() literals only
    return source, namespace["_factory"](*gen.cells.values())


def _check_shape(ast) -> None:
    """Reject hand-built ASTs the parsers never produce: wrong node types, too deep, too many comparisons."""
    limits = DEFAULT_LIMITS
    stack = [(ast, 1)]
    comparisons = 0
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise InvalidFilter(f"the filter is nested deeper than {limits.max_depth} levels", code="too_deep")
        if isinstance(node, (And, Or)):
            if len(node.terms) < 1:
                raise InvalidFilter("an and/or node needs terms")
            stack.extend((term, depth + 1) for term in node.terms)
        elif isinstance(node, Not):
            stack.append((node.filter, depth + 1))
        elif isinstance(node, ValuePath):
            if not isinstance(node.path, AttrPath):
                raise InvalidFilter("a value path needs an attribute path")
            stack.append((node.filter, depth + 1))
        elif isinstance(node, (Compare, Present)):
            if not isinstance(node.path, AttrPath) or not isinstance(node.path.name, str):
                raise InvalidFilter("a comparison needs an attribute path")
            comparisons += 1
            if comparisons > limits.max_comparisons:
                raise InvalidFilter(
                    f"the filter has more than {limits.max_comparisons} comparisons", code="too_many_comparisons"
                )
        else:
            raise InvalidFilter(f"not a filter node: {type(node).__name__}")


class _Generator:
    """Builds the source of one predicate: an expression per node, a helper function per loop."""

    def __init__(self) -> None:
        self.cells: dict[str, Any] = {}  # closure variables of the generated factory: name -> value
        self.helpers: list[str] = []
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def literal(self, value) -> str:
        """A source expression for ``value``: ``repr()`` for plain literals, else a closure variable."""
        if value is None or type(value) in (str, int, bool):
            return repr(value)
        name = self._name("c")
        self.cells[name] = value
        return name

    def bind(self, expr: str) -> tuple[str, str]:
        """``(first_use, later_uses)``: an expression that evaluates ``expr`` once into a local name."""
        if expr.isidentifier():
            return expr, expr
        name = self._name("v")
        return f"({name} := {expr})", name

    def source(self, body: str) -> str:
        lines = [f"def _factory({', '.join(self.cells)}):"]
        for helper in self.helpers:
            lines.extend("    " + line for line in helper.splitlines())
        lines += ["    def _match(r):", f"        return {body}", "    return _match", ""]
        return "\n".join(lines)

    # -- nodes ---------------------------------------------------------------------------------------------

    def filter(self, node, scope: _Scope, var: str) -> str:
        if isinstance(node, And):
            return "(" + " and ".join(self.filter(term, scope, var) for term in node.terms) + ")"
        if isinstance(node, Or):
            return "(" + " or ".join(self.filter(term, scope, var) for term in node.terms) + ")"
        if isinstance(node, Not):
            return f"(not {self.filter(node.filter, scope, var)})"
        if scope.schemaless:
            return self._schemaless(node, scope, var)
        if isinstance(node, Present):
            return self.present(scope.resolve(node.path), var)
        if isinstance(node, Compare):
            return self.compare(node, scope, var)
        return self.value_path(node, scope, var)

    def present(self, target: _Target, var: str) -> str:
        """``pr`` (J7)."""
        if target.attribute is None:
            return f"present({var}.get({target.extension!r}))"
        definition = target.sub or target.attribute
        if definition.is_complex:
            test = lambda value: f"present({value})"  # noqa: E731
        else:
            test = lambda value: f"({value} not in ABSENT)"  # noqa: E731
        return self.over(target, var, test)

    def compare(self, node: Compare, scope: _Scope, var: str) -> str:
        op, value, written = node.op, node.value, str(node.path)
        if op not in COMPARE_OPS:
            raise InvalidFilter(f"the operator {op!r} is not supported")
        target = scope.resolve(node.path)
        if value is None:
            if op not in ("eq", "ne"):
                raise InvalidFilter(f"{written!r}: null can only be compared with eq or ne (J8)")
            present = self.present(target, var)
            return present if op == "ne" else f"(not {present})"
        if target.attribute is None:
            raise InvalidFilter(f"{written!r} names a whole extension: only pr, eq null and ne null apply")
        definition = target.sub or target.attribute
        if definition.is_complex:
            value_sub = definition.sub("value")
            if target.sub is not None or value_sub is None:
                raise InvalidFilter(f"{written!r} is complex and has no 'value' sub-attribute to compare (J5)")
            target = _Target(target.extension, target.attribute, value_sub)
            _check_filterable(target, written)
            definition = value_sub
        prepared = _prepare_literal(definition, "eq" if op == "ne" else op, value, written)
        test = self.scalar_test(definition, "eq" if op == "ne" else op, prepared)
        matched = self.over(target, var, test)
        return f"(not {matched})" if op == "ne" else matched

    def value_path(self, node: ValuePath, scope: _Scope, var: str) -> str:
        target = scope.resolve(node.path)
        written = str(node.path)
        if target.attribute is None or target.sub is not None or not target.attribute.is_complex:
            raise InvalidFilter(f"{written!r} is not a complex attribute: brackets need sub-attributes to filter")
        inner_scope = scope.element_scope(target)

        def element(value: str) -> str:
            first, name = self.bind(value)
            return f"(type({first}) is dict and {self.filter(node.filter, inner_scope, name)})"

        container, guard = self._container(target, var)
        inner = self.each(f"{container}.get({target.attribute.name!r})", target.attribute.multi_valued, element)
        return f"({guard}{inner})"

    # -- value access ----------------------------------------------------------------------------------------

    def _container(self, target: _Target, var: str) -> tuple[str, str]:
        """The variable holding the object the attribute lives in, and the guard that binds it."""
        if target.extension is None:
            return var, ""
        name = self._name("x")
        return name, f"type({name} := {var}.get({target.extension!r})) is dict and "

    def over(self, target: _Target, var: str, test: Callable[[str], str]) -> str:
        """An expression: does ``test`` hold for any value at ``target`` (any-value semantics)?"""
        container, guard = self._container(target, var)
        attribute, sub = target.attribute, target.sub
        value = f"{container}.get({attribute.name!r})"
        if sub is None:
            return f"({guard}{self.each(value, attribute.multi_valued, test)})"

        def element(item: str) -> str:
            first, name = self.bind(item)
            return f"(type({first}) is dict and {self.each(f'{name}.get({sub.name!r})', sub.multi_valued, test)})"

        return f"({guard}{self.each(value, attribute.multi_valued, element)})"

    def each(self, value: str, multi_valued: bool, test: Callable[[str], str]) -> str:
        """``test(value)``, or for a multi-valued attribute a helper looping over the list elements."""
        if not multi_valued:
            return test(value)
        helper = self._name("h")
        item = self._name("i")
        self.helpers.append(
            f"def {helper}(s):\n"
            f"    if type(s) is list:\n"
            f"        for {item} in s:\n"
            f"            if {test(item)}:\n"
            f"                return True\n"
            f"    return False\n"
        )
        return f"{helper}({value})"

    def scalar_test(self, definition: AttributeDef, op: str, literal) -> Callable[[str], str]:
        """A template: the expression testing ONE scalar value against the prepared literal."""
        kind = definition.type
        if kind in _STRING_TYPES:
            fold = "" if definition.case_exact else ".casefold()"
            lit = self.literal(literal)

            def string_test(value: str) -> str:
                first, name = self.bind(value)
                subject = f"{name}{fold}"
                check = {
                    "eq": f"{subject} == {lit}",
                    "co": f"{lit} in {subject}",
                    "sw": f"{subject}.startswith({lit})",
                    "ew": f"{subject}.endswith({lit})",
                    "gt": f"{subject} > {lit}",
                    "ge": f"{subject} >= {lit}",
                    "lt": f"{subject} < {lit}",
                    "le": f"{subject} <= {lit}",
                }[op]
                return f"(type({first}) is str and {check})"

            return string_test
        if kind == "boolean":
            return lambda value: f"({value} is {literal!r})"
        if kind in ("integer", "decimal"):
            lit = self.literal(literal)
            symbol = _SYMBOLS[op]

            def number_test(value: str) -> str:
                first, name = self.bind(value)
                return f"(type({first}) in NUM and {name} {symbol} {lit})"

            return number_test
        # dateTime: compare instants
        lit = self.literal(literal)
        symbol = _SYMBOLS[op]

        def instant_test(value: str) -> str:
            moment = self._name("d")
            return f"(({moment} := instant({value})) is not None and {moment} {symbol} {lit})"

        return instant_test

    # -- schemaless -------------------------------------------------------------------------------------------

    def _schemaless(self, node, scope: _SchemalessScope, var: str) -> str:
        path = node.path
        if isinstance(node, ValuePath):
            if path.sub is not None:
                raise InvalidFilter(f"{str(path)!r}: brackets follow an attribute, not a sub-attribute")
            inner_scope = scope.element_scope(None)
            getter = self.literal(_bound(runtime.schemaless_elements, path.uri, path.name))
            return self.each(f"{getter}({var})", True, lambda item: self.filter(node.filter, inner_scope, item))
        if isinstance(node, Present):
            raw = self.literal(_bound(runtime.schemaless_raw, path.uri, path.name, path.sub))
            return f"present({raw}({var}))"
        if node.op not in COMPARE_OPS:
            raise InvalidFilter(f"the operator {node.op!r} is not supported")
        if node.value is None:
            if node.op not in ("eq", "ne"):
                raise InvalidFilter(f"{str(path)!r}: null can only be compared with eq or ne (J8)")
            raw = self.literal(_bound(runtime.schemaless_raw, path.uri, path.name, path.sub))
            return f"present({raw}({var}))" if node.op == "ne" else f"(not present({raw}({var})))"
        matcher = self.literal(_schemaless_comparison(node))
        return f"{matcher}({var})"


_SYMBOLS = {"eq": "==", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _bound(function, *args):
    """``function(resource, *args)`` as a one-argument callable (a closure, built once at compile time)."""

    def call(resource):
        return function(resource, *args)

    return call


def _schemaless_comparison(node: Compare) -> Callable[[Any], bool]:
    """A closure for one schemaless comparison: types are taken from the literal and the values."""
    path, op, value = node.path, node.op, node.value
    positive = "eq" if op == "ne" else op
    written = str(path)
    if type(value) is bool:
        if positive != "eq":
            raise InvalidFilter(f"{written!r}: true/false can only be compared with eq or ne")
        test = lambda item: item is value  # noqa: E731
    elif type(value) in runtime.NUMBER_TYPES:
        if positive in _SUBSTRING:
            raise InvalidFilter(f"{written!r}: the substring operator {op!r} needs a string")
        test = _ordered_test(positive, value, lambda item: item if type(item) in runtime.NUMBER_TYPES else None)
    elif type(value) is str:
        folded = value.casefold()
        moment = parse_datetime(value) if positive not in _SUBSTRING else None
        if moment is None:
            test = _string_test(positive, folded)
        else:  # a dateTime literal compares with the values that are dateTimes, as instants
            test = _ordered_test(positive, moment, runtime.instant)
    else:
        raise InvalidFilter(f"{written!r}: unsupported comparison value {_describe(value)}")

    uri, name, sub = path.uri, path.name, path.sub
    values = runtime.schemaless_values

    def matches(resource) -> bool:
        for item in values(resource, uri, name, sub):
            if test(item):
                return True
        return False

    if op == "ne":
        return lambda resource: not matches(resource)
    return matches


def _string_test(op: str, folded: str) -> Callable[[Any], bool]:
    checks = {
        "eq": lambda s: s == folded,
        "co": lambda s: folded in s,
        "sw": lambda s: s.startswith(folded),
        "ew": lambda s: s.endswith(folded),
        "gt": lambda s: s > folded,
        "ge": lambda s: s >= folded,
        "lt": lambda s: s < folded,
        "le": lambda s: s <= folded,
    }
    check = checks[op]
    return lambda item: type(item) is str and check(item.casefold())


def _ordered_test(op: str, literal, convert: Callable[[Any], Any]) -> Callable[[Any], bool]:
    compare = {"eq": operator.eq, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}[op]

    def test(item) -> bool:
        converted = convert(item)
        return converted is not None and compare(converted, literal)

    return test


# -- the cache --------------------------------------------------------------------------------------------

_CACHE = LruCache(_CACHE_SIZE)
