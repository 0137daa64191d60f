"""Lowering a bound filter to ONE specialised Python function (RFC 7644 §3.4.2.2, docs/semantics.md §Evaluation).

The bound filter (:mod:`.bind`) has every path resolved and every literal converted; this module writes the
source of a predicate for it, compiled once with ``compile()``. Evaluating a resource does no parsing, no
schema lookup and builds no objects per comparison: it is a chain of ``dict.get`` calls, type tests and
comparisons, with a small helper function per loop over a multi-valued attribute. Schemaless paths
(``resource_type=None``) are looked up by :mod:`.schemaless`'s functions; their values are tested the same way.

Names, constants and compiling are :mod:`scimcore._codegen`'s: the source holds only names this module makes
up and ``repr()`` literals; decimals, instants and schemaless paths are closure variables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._codegen import Source
from ..errors import InvalidFilter
from . import runtime, schemaless
from .bind import AllOf, AnyOf, Bound, Comparison, ElementMatch, Negation, Present, Target, Unresolved

__all__ = ["generate"]

# Names the generated code may use besides its own: nothing else is reachable from it.
_GENERATED_GLOBALS = {
    "type": type,
    "str": str,
    "dict": dict,
    "list": list,
    "NUM": runtime.NUMBER_TYPES,
    "ABSENT": runtime.ABSENT,
    "present": runtime.is_present,
    "instant": runtime.instant,
    "raw": schemaless.raw,
    "values": schemaless.values,
    "elements": schemaless.elements,
}
_SYMBOLS = {"eq": "==", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def generate(bound: Bound, *, element: bool = False) -> tuple[str, Callable[[Any], bool]]:
    """``(source, predicate)`` for a bound filter; ``element``: the predicate tests one element of a value path
    (anything but a dict does not match)."""
    gen = _Generator()
    body = gen.node(bound, "r")
    gen.src.lines += ["def _match(r):", f"    return {'type(r) is dict and ' if element else ''}{body}"]
    try:
        return gen.src.compile("_match", "<scimcore filter>")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise InvalidFilter("the filter is too complex to compile", code="too_deep") from None


class _Generator:
    """Builds the source of one predicate: an expression per node, a helper function per loop (in ``src.lines``,
    before the predicate; a nested loop's helper is written before the helper that calls it)."""

    def __init__(self) -> None:
        self.src = Source(_GENERATED_GLOBALS)

    def bind(self, expr: str) -> tuple[str, str]:
        """``(first_use, later_uses)``: an expression that evaluates ``expr`` once into a local name."""
        if expr.isidentifier():
            return expr, expr
        name = self.src.fresh("v")
        return f"({name} := {expr})", name

    # -- nodes ---------------------------------------------------------------------------------------------

    def node(self, node: Bound, var: str) -> str:
        if isinstance(node, AllOf):
            return "(" + " and ".join(self.node(term, var) for term in node.terms) + ")"
        if isinstance(node, AnyOf):
            return "(" + " or ".join(self.node(term, var) for term in node.terms) + ")"
        if isinstance(node, Negation):
            return f"(not {self.node(node.filter, var)})"
        if isinstance(node.target, Unresolved):
            return self.schemaless(node, var)
        if isinstance(node, Present):
            return self.present(node.target, var)
        if isinstance(node, Comparison):
            return self.over(node.target, var, self.scalar_test(node))
        return self.element_match(node, var)

    def present(self, target: Target, var: str) -> str:
        """``pr``: some value at the target (a list element, for a multi-valued attribute) is non-empty, judged
        on its JSON shape whatever the declared type (docs/semantics.md §Evaluation)."""
        if target.attribute is None:
            return f"present({var}.get({target.extension!r}))"
        return self.over(target, var, self._non_empty)

    def _non_empty(self, value: str) -> str:
        first, name = self.bind(value)
        return f"({first} not in ABSENT and (type({name}) is not dict and type({name}) is not list or present({name})))"

    def element_match(self, node: ElementMatch, var: str) -> str:
        target = node.target
        assert isinstance(target, Target) and target.attribute is not None

        def element(value: str) -> str:
            first, name = self.bind(value)
            return f"(type({first}) is dict and {self.node(node.filter, name)})"

        container, guard = self._container(target, var)
        inner = self.each(f"{container}.get({target.attribute.name!r})", target.attribute.multi_valued, element)
        return f"({guard}{inner})"

    # -- value access ----------------------------------------------------------------------------------------

    def _container(self, target: Target, var: str) -> tuple[str, str]:
        """The variable holding the object the attribute lives in, and the guard that binds it."""
        if target.extension is None:
            return var, ""
        name = self.src.fresh("x")
        return name, f"type({name} := {var}.get({target.extension!r})) is dict and "

    def over(self, target: Target, var: str, test: Callable[[str], str]) -> str:
        """An expression: does ``test`` hold for any value at ``target`` (any-value semantics)?"""
        container, guard = self._container(target, var)
        attribute, sub = target.attribute, target.sub
        assert attribute is not None
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
        helper = self.src.fresh("h")
        item = self.src.fresh("i")
        self.src.lines += [
            f"def {helper}(s):",
            "    if type(s) is list:",
            f"        for {item} in s:",
            f"            if {test(item)}:",
            "                return True",
            "    return False",
        ]
        return f"{helper}({value})"

    def scalar_test(self, node: Comparison) -> Callable[[str], str]:
        """A template: the expression testing ONE scalar value against the converted literal."""
        op, kind = node.op, node.kind
        if kind == "string":
            fold = ".casefold()" if node.fold else ""
            lit = self.src.literal(node.value)

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
            return lambda value: f"({value} is {node.value!r})"
        lit = self.src.literal(node.value)
        symbol = _SYMBOLS[op]
        if kind == "number":

            def number_test(value: str) -> str:
                first, name = self.bind(value)
                return f"(type({first}) in NUM and {name} {symbol} {lit})"

            return number_test

        def instant_test(value: str) -> str:
            moment = self.src.fresh("d")
            return f"(({moment} := instant({value})) is not None and {moment} {symbol} {lit})"

        return instant_test

    # -- schemaless -------------------------------------------------------------------------------------------

    def schemaless(self, node, var: str) -> str:
        """A schemaless node: what :mod:`.schemaless` finds at the unresolved path, tested like any value."""
        path = self.src.constant(node.target, "p")
        if isinstance(node, ElementMatch):
            return self.each(f"elements({var}, {path})", True, lambda item: self.node(node.filter, item))
        if isinstance(node, Present):
            return f"present(raw({var}, {path}))"
        return self.each(f"values({var}, {path})", True, self.scalar_test(node))
