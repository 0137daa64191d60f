"""Generated Python functions: source written line by line, constants bound by name, compiled once.

The one code generator behind the filter's predicates (:mod:`scimcore.filter.codegen`, RFC 7644 §3.4.2.2) and
the decoder's checks after msgspec's typed decoding (:mod:`scimcore.schema.codec`, RFC 7643 §2); each consumer
keeps only what its function says. A :class:`Source` is the body of a factory ``_factory(<constants>)``: the
consumer appends lines (helper functions, then the function itself), takes local names from :meth:`~Source.fresh`
and binds values with :meth:`~Source.constant`; :meth:`~Source.compile` compiles the factory and calls it with
the values, which the function then reads as closure variables. The source is safe by construction: it holds
only names the consumers make up and ``repr()`` literals of ``str``/``int``/``bool``/``None``; the generated code
sees no builtins, only the ``names`` it is given. Consumers cache what they compile (``filter.lru.LruCache``).
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

    def compile(self, result: str, filename: str) -> tuple[str, Callable[..., Any]]:
        """``(source, function)``: the factory, returning the expression ``result`` (the function the lines
        define), compiled once and called with the constants. Errors of Python's compiler (``SyntaxError``,
        ``RecursionError``, ``MemoryError`` for a too-deep source) propagate."""
        body = [f"    {line}" if line else "" for line in self.lines]
        source = "\n".join([f"def _factory({', '.join(self._constants)}):", *body, f"    return {result}", ""])
        namespace: dict[str, Any] = {}
        exec(compile(source, filename, "exec"), self._names, namespace)
        return source, namespace["_factory"](*self._constants.values())
