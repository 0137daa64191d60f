"""The filter AST (RFC 7644 §3.4.2.2), shared by both parser backends.

Nodes are frozen msgspec Structs: plain data, no behaviour. Build them with keywords
(``Compare(path=AttrPath(name="title"), op="eq", value="x")``); the parsers pass the fields positionally, in
the order the classes list them (:mod:`.construct`). Evaluators, compilers and the
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
(``node.span``, from the fields ``start`` and ``end``; :func:`span_of`), and a node that holds an attribute
path (``Compare``, ``Present``, ``ValuePath``) the span of the path's text as well (``node.path_span``, from
``path_start`` and ``path_end``; :func:`path_span_of`): the span lives on the node, as ``AttrPath`` objects may
be shared between trees. Spans take no part in equality, hashing, ``str()``, ``repr()`` or the JSON encoding
(:func:`filter_to_json` leaves them out, so parsed and hand-built trees encode alike), and a node built by
hand has ``span`` and ``path_span`` ``None``. A comparison spans from its path to the end of ``pr`` or of its
value, a value path from its path to ``]`` (or to the end of the Entra form's trailing comparison), ``not
(...)`` from ``not`` to ``)``, an ``and``/``or`` chain from its first term's start to its last term's end (a
parenthesised term's span excludes the parentheses). A path spans its text, ``urn:...:name.sub`` as written;
the trailing comparison of the Entra form ``emails[type eq "work"].value eq "x"`` spans from the ``.``, its
path ``value`` after it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Union

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
    "path_span_of",
    "span_of",
]

COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le")


class AttrPath(msgspec.Struct, frozen=True, omit_defaults=True):
    """``[URI ":"] ATTRNAME ["." subAttr]``; names keep the case they were written in."""

    name: str
    uri: str | None = None
    sub: str | None = None

    def __str__(self) -> str:
        from .printer import render_attr_path

        return render_attr_path(self)


SPAN_FIELDS = ("start", "end", "path_start", "path_end")
"""The fields that hold spans: no part of a node's value (equality, hashing, ``repr``, JSON)."""


# Every node lists its own fields, then ``start`` and ``end`` (its span), then, if it holds an attribute path,
# ``path_start`` and ``path_end``: the parsers pass them positionally in that order (see :mod:`.construct`).
# Equality and hashing compare the other fields (``eq=False`` turns msgspec's own off).
class _Node(msgspec.Struct, frozen=True, omit_defaults=True, tag_field="node", eq=False):
    _compared: ClassVar[tuple[str, ...]] = ()  # the fields but the spans, set below for each class

    @property
    def span(self) -> tuple[int, int] | None:
        """``(start, end)``: the character range of the node's text in its input, ``None`` if built by hand."""
        start, end = self.start, self.end  # type: ignore[attr-defined]  # every node class defines them
        if start is None or end is None:
            return None
        return (start, end)

    def __str__(self) -> str:
        from .printer import render_filter

        return render_filter(self)

    def _value(self) -> tuple:
        return tuple(getattr(self, name) for name in self._compared)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._value() == other._value()

    def __hash__(self) -> int:
        return hash((type(self), self._value()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._compared)
        return f"{type(self).__name__}({fields})"


class _PathNode(_Node, frozen=True, eq=False):
    """A node holding an attribute path: ``path_span`` is where the path was written."""

    @property
    def path_span(self) -> tuple[int, int] | None:
        """``(path_start, path_end)``: the character range of the path's text, ``None`` if built by hand."""
        start, end = self.path_start, self.path_end  # type: ignore[attr-defined]  # every subclass defines them
        if start is None or end is None:
            return None
        return (start, end)


class Compare(_PathNode, frozen=True, tag="compare", eq=False):
    """``attrPath compareOp compValue``; ``op`` is lower case, one of :data:`COMPARE_OPS`."""

    path: AttrPath
    op: str
    value: Any
    start: int | None = None
    end: int | None = None
    path_start: int | None = None
    path_end: int | None = None


class Present(_PathNode, frozen=True, tag="present", eq=False):
    """``attrPath "pr"``."""

    path: AttrPath
    start: int | None = None
    end: int | None = None
    path_start: int | None = None
    path_end: int | None = None


class And(_Node, frozen=True, tag="and", eq=False):
    """``FILTER "and" FILTER ...`` (n-ary, at least two terms)."""

    terms: tuple[Filter, ...]
    start: int | None = None
    end: int | None = None


class Or(_Node, frozen=True, tag="or", eq=False):
    """``FILTER "or" FILTER ...`` (n-ary, at least two terms)."""

    terms: tuple[Filter, ...]
    start: int | None = None
    end: int | None = None


class Not(_Node, frozen=True, tag="not", eq=False):
    """``"not" "(" FILTER ")"``."""

    filter: Filter
    start: int | None = None
    end: int | None = None


class ValuePath(_PathNode, frozen=True, tag="valuePath", eq=False):
    """``attrPath "[" valFilter "]"``: ``filter`` names sub-attributes of ``path`` and must hold for one element."""

    path: AttrPath
    filter: Filter
    start: int | None = None
    end: int | None = None
    path_start: int | None = None
    path_end: int | None = None


Filter = Union[And, Or, Not, Compare, Present, ValuePath]  # noqa: UP007 - a runtime alias msgspec decodes

for _cls in (Compare, Present, And, Or, Not, ValuePath):
    _cls._compared = tuple(name for name in _cls.__struct_fields__ if name not in SPAN_FIELDS)


class PatchPath(msgspec.Struct, frozen=True, omit_defaults=True):
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


def path_span_of(node) -> tuple[int, int] | None:
    """The character span of the attribute path of a parsed ``Compare``, ``Present`` or ``ValuePath``; for other
    nodes their own span (:func:`span_of`). ``None`` when built by hand."""
    return node.path_span if isinstance(node, _PathNode) else span_of(node)


def filter_to_json(ast: Filter | PatchPath) -> bytes:
    """The stable JSON encoding of an AST: tagged objects, decimals as JSON numbers, ``None`` fields and spans
    omitted."""
    plain = msgspec.to_builtins(ast, builtin_types=(Decimal,))
    stack = [plain]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if "node" in item:
                for name in SPAN_FIELDS:
                    item.pop(name, None)
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
