"""Canonical filter text (RFC 7644 §3.4.2.2): ``parse_filter(render_filter(ast)) == ast``.

Keywords and operators in lower case, single spaces, strings as JSON, parentheses only where the AST
needs them (a parenthesised ``and``/``or`` inside another logical node, and every ``not``).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from .ast import And, AttrPath, Compare, Not, Or, PatchPath, Present, ValuePath

_encode_str = msgspec.json.encode


def render_attr_path(path: AttrPath) -> str:
    text = f"{path.uri}:{path.name}" if path.uri is not None else path.name
    return f"{text}.{path.sub}" if path.sub is not None else text


def render_value(value) -> str:
    """A compValue as JSON text."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return _encode_str(value).decode()
    if isinstance(value, (int, Decimal)):
        return str(value)
    raise TypeError(f"not a compValue: {value!r}")


def render_filter(node) -> str:
    """Render a filter AST; iterative over the (depth-limited) tree is unnecessary: depth is bounded by parsing."""
    match node:
        case Compare(path=path, op=op, value=value):
            return f"{render_attr_path(path)} {op} {render_value(value)}"
        case Present(path=path):
            return f"{render_attr_path(path)} pr"
        case And(terms=terms):
            return " and ".join(_grouped(t, (And, Or)) for t in terms)
        case Or(terms=terms):
            return " or ".join(_grouped(t, (Or,)) for t in terms)
        case Not(filter=inner):
            return f"not ({render_filter(inner)})"
        case ValuePath(path=path, filter=inner):
            return f"{render_attr_path(path)}[{render_filter(inner)}]"
    raise TypeError(f"not a filter node: {node!r}")


def _grouped(node, needs_parens) -> str:
    text = render_filter(node)
    return f"({text})" if isinstance(node, needs_parens) else text


def render_patch_path(path: PatchPath) -> str:
    text = render_attr_path(path.path)
    if path.filter is not None:
        text = f"{text}[{render_filter(path.filter)}]"
    return f"{text}.{path.sub}" if path.sub is not None else text
