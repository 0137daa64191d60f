"""Generated Python functions: source written line by line, constants bound by name, compiled once.

Two parts of scimcore turn a plan into one specialised Python function: the filter's predicates
(:mod:`scimcore.filter.codegen`, RFC 7644 §3.4.2.2) and the decoder's checks after msgspec's typed decoding
(:mod:`scimcore.schema.codec`, RFC 7643 §2). This module is what they share; each keeps only what the function
says. A :class:`Source` is the body of a factory function ``_factory(<constants>)``: the consumer adds lines
(helper functions, the function itself), names locals with :meth:`Source.fresh` and values with
:meth:`Source.constant`, and :meth:`Source.compile` compiles the factory once and calls it with the values, so
that the function it returns reads them as closure variables.

The source is safe by construction: it holds only identifiers the consumers make up and Python literals that
``repr()`` writes for ``str``/``int``/``bool``/``None`` values (:meth:`Source.literal`); every other value is
a constant, never written into the source. The generated code sees no builtins: only the ``names`` its
consumer gives it. Callers cache what they compile (``scimcore.filter.lru.LruCache``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Source"]


class Source:
    """The source of one generated function, with the constants it reads; ``names``: the globals it may use."""

    def __init__(self, names: Mapping[str, object] | None = None) -> None:
        self.lines: list[str] = []  # the factory's body, indented relative to it
        self._names = {"__builtins__": {}, **(names or {})}
        self._constants: dict[str, object] = {}
        self._count = 0

    def fresh(self, prefix: str) -> str:
        """A name not used before in this source: ``prefix`` and a number."""
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: object, prefix: str = "c") -> str:
        """A fresh name the generated code reads ``value`` through (a closure variable of the factory)."""
        name = self.fresh(prefix)
        self._constants[name] = value
        return name

    def literal(self, value: object) -> str:
        """A source expression for ``value``: ``repr()`` for ``None``/``str``/``int``/``bool``, else a constant."""
        if value is None or type(value) in (str, int, bool):
            return repr(value)
        return self.constant(value)

    def text(self, result: str) -> str:
        """The factory's source; it returns the expression ``result`` (the function the lines define)."""
        body = [f"    {line}" if line else "" for line in self.lines]
        return "\n".join([f"def _factory({', '.join(self._constants)}):", *body, f"    return {result}", ""])

    def compile(self, result: str, filename: str) -> tuple[str, Callable[..., Any]]:
        """``(source, function)``: the factory compiled once and called with the constants. Errors of Python's
        compiler (``SyntaxError``, ``RecursionError``, ``MemoryError`` for a too-deep source) propagate."""
        source = self.text(result)
        namespace: dict[str, Any] = {}
        exec(compile(source, filename, "exec"), self._names, namespace)
        return source, namespace["_factory"](*self._constants.values())
