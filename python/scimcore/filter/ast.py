"""The filter AST (RFC 7644 §3.4.2.2), shared by both parser backends.

Nodes are frozen, keyword-only msgspec Structs: plain data, no behaviour. Evaluators, compilers and the
printer are functions that ``match`` on them. Names follow the RFC 7644 grammar.

``Filter = And | Or | Not | Compare | Present | ValuePath``. ``And``/``Or`` are n-ary: a chain
``a and b and c`` is one node; an explicitly parenthesised group stays a child of its own.

Parsers may share ``AttrPath`` objects between the trees they return: the native parser keeps a small bounded
cache of the ``AttrPath`` objects it built, by path text, so ``parse_filter("a eq 1").path is
parse_filter("a pr").path`` may be true. As the nodes are frozen and compared by value, only ``is`` (or
``msgspec.structs.force_setattr``, which must not be used on parsed trees) can tell.

``Compare.value`` (the RFC's compValue) is ``str``, ``int``, ``decimal.Decimal`` (exact, as written),
``True``/``False`` or ``None``.

Spans: every filter node a parser returns carries the ``(start, end)`` character span of its text in the input
(``node.span``, from the fields ``start`` and ``end``; :func:`span_of`). Spans take no part in equality,
hashing, ``str()``, ``repr()`` or the JSON encoding
(:func:`filter_to_json` leaves them out, so parsed and hand-built trees encode alike), and a node built by
hand has ``span`` ``None``. A
comparison spans from its path to the end of ``pr`` or of its value, a value path from its path to ``]`` (or
to the end of the Entra form's trailing comparison), ``not (...)`` from ``not`` to ``)``, an ``and``/``or``
chain from its first term's start to its last term's end (a parenthesised term's span excludes the
parentheses). ``AttrPath`` objects may be shared between trees and have no span.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Union

import msgspec

__all__ = [
    "COMPARE_OPS",
    "And",
    "AttrPath",
    "Compare",
    "Filter",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "ValuePath",
    "filter_from_json",
    "filter_to_json",
    "path_from_json",
    "span_of",
]

COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le")


class AttrPath(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """``[URI ":"] ATTRNAME ["." subAttr]``; names keep the case they were written in."""

    name: str
    uri: str | None = None
    sub: str | None = None

    def __str__(self) -> str:
        from .printer import render_attr_path

        return render_attr_path(self)


# msgspec applies ``kw_only=True`` only to the fields the class itself defines, so each node class repeats
# it (``_Node`` has no fields): every node is built with keywords, e.g. ``Compare(path=..., op=..., value=...)``.
# ``start`` and ``end`` (the span) are the first two fields of every node; equality and hashing compare the
# others (``eq=False`` turns msgspec's own off). Two ints cost a third of what a tuple would when parsing.
class _Node(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="node", eq=False):
    start: int | None = None
    end: int | None = None

    @property
    def span(self) -> tuple[int, int] | None:
        """``(start, end)``: the character range of the node's text in its input, ``None`` if built by hand."""
        if self.start is None or self.end is None:
            return None
        return (self.start, self.end)

    def __str__(self) -> str:
        from .printer import render_filter

        return render_filter(self)

    def _compared(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__struct_fields__[2:])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash((type(self), self._compared()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__struct_fields__[2:])
        return f"{type(self).__name__}({fields})"


class Compare(_Node, frozen=True, kw_only=True, tag="compare", eq=False):
    """``attrPath compareOp compValue``; ``op`` is lower case, one of :data:`COMPARE_OPS`."""

    path: AttrPath
    op: str
    value: Any


class Present(_Node, frozen=True, kw_only=True, tag="present", eq=False):
    """``attrPath "pr"``."""

    path: AttrPath


class And(_Node, frozen=True, kw_only=True, tag="and", eq=False):
    """``FILTER "and" FILTER ...`` (n-ary, at least two terms)."""

    terms: tuple[Filter, ...]


class Or(_Node, frozen=True, kw_only=True, tag="or", eq=False):
    """``FILTER "or" FILTER ...`` (n-ary, at least two terms)."""

    terms: tuple[Filter, ...]


class Not(_Node, frozen=True, kw_only=True, tag="not", eq=False):
    """``"not" "(" FILTER ")"``."""

    filter: Filter


class ValuePath(_Node, frozen=True, kw_only=True, tag="valuePath", eq=False):
    """``attrPath "[" valFilter "]"``: ``filter`` names sub-attributes of ``path`` and must hold for one element."""

    path: AttrPath
    filter: Filter


Filter = Union[And, Or, Not, Compare, Present, ValuePath]  # noqa: UP007 - a runtime alias msgspec decodes


class PatchPath(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A PATCH ``path`` (RFC 7644 §3.5.2): ``attrPath`` or ``valuePath ["." subAttr]``."""

    path: AttrPath
    filter: Filter | None = None
    sub: str | None = None

    def __str__(self) -> str:
        from .printer import render_patch_path

        return render_patch_path(self)


_encoder = msgspec.json.Encoder(decimal_format="number")
_filter_decoder = msgspec.json.Decoder(Filter, float_hook=Decimal)
_path_decoder = msgspec.json.Decoder(PatchPath, float_hook=Decimal)


def span_of(node) -> tuple[int, int] | None:
    """The ``(start, end)`` character span of a parsed filter node in its input; ``None`` when built by hand."""
    return getattr(node, "span", None)


def filter_to_json(ast: Filter | PatchPath) -> bytes:
    """The stable JSON encoding of an AST: tagged objects, decimals as JSON numbers, ``None`` fields and spans
    omitted."""
    plain = msgspec.to_builtins(ast, builtin_types=(Decimal,))
    stack = [plain]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if "node" in item:
                item.pop("start", None)
                item.pop("end", None)
            stack.extend(item.values())
        elif type(item) is tuple or type(item) is list:
            stack.extend(item)
    return _encoder.encode(plain)


def filter_from_json(data: bytes | str) -> Filter:
    """Decode :func:`filter_to_json` output (also the native parser's output) back into an AST."""
    return _filter_decoder.decode(data)


def path_from_json(data: bytes | str) -> PatchPath:
    """Decode the JSON encoding of a :class:`PatchPath`."""
    return _path_decoder.decode(data)
