"""Property-based tests of the filter parsers (RFC 7644 §3.4.2.2, §3.5.2), in the spirit of jiter's fuzzing.

Random ASTs are rendered with random keyword case, whitespace, escapes and redundant parentheses; every
backend must parse the text back to the AST it came from. Differentially, the Lark and Rust parsers must
give the same JSON AST or the same error for those texts and for garbled versions of them (insertions,
deletions, random characters, truncation). 300 examples per property under the ``ci`` hypothesis profile, 6,000
under ``stress`` (``tests/conftest.py``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import require_native
from scimcore.errors import InvalidFilter, InvalidPath
from scimcore.filter.ast import (
    COMPARE_OPS,
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    filter_to_json,
)
from scimcore.filter.errors import MESSAGES
from scimcore.filter.parse import parse_filter, parse_path

SETTINGS = settings(
    max_examples=settings.default.max_examples * 3,
    suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture],
)

# --- random ASTs ----------------------------------------------------------------------------------------------

KEYWORDS = ["pr", "and", "or", "not", "eq", "true", "null", "co", "le"]
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
names = st.one_of(
    st.builds(str.__add__, st.sampled_from(_LETTERS), st.text(_LETTERS + "0123456789_-", max_size=8)),
    st.sampled_from([*KEYWORDS, "$ref", "$Ref", "userName", "emails", "value"]),
)
uris = st.sampled_from(
    ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "x:y"]
)
paths = st.builds(AttrPath, name=names, uri=st.none() | uris, sub=st.none() | names)
simple_paths = st.builds(AttrPath, name=names)
decimals = st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(exponent), st.integers(-(10**20), 10**20), st.integers(-30, 30)
)
values = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    decimals,
    st.sampled_from([True, False, None]),
)


def _comparisons(path_strategy):
    return st.one_of(
        st.builds(Present, path=path_strategy),
        st.builds(Compare, path=path_strategy, op=st.sampled_from(COMPARE_OPS), value=values),
    )


def _logic(children):
    terms = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(st.builds(And, terms=terms), st.builds(Or, terms=terms), st.builds(Not, filter=children))


val_filters = st.recursive(_comparisons(paths), _logic, max_leaves=6)
value_paths = st.builds(ValuePath, path=paths, filter=val_filters)
filters = st.recursive(_comparisons(paths) | value_paths, _logic, max_leaves=10)
patch_paths = st.one_of(
    st.builds(PatchPath, path=paths),
    st.builds(PatchPath, path=paths, filter=val_filters, sub=st.none() | names),
)

# --- rendering with variations --------------------------------------------------------------------------------

_WORD = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._$-")


class Renderer:
    """Renders an AST as filter text, drawing case, spacing, escapes and grouping from hypothesis."""

    def __init__(self, draw):
        self.draw = draw

    def ws(self, required: bool = False) -> str:
        space = self.draw(st.sampled_from(["", " ", " ", "  ", "\t", "\n", " \r\n "]))
        return space or (" " if required else "")

    def keyword(self, word: str) -> str:
        flips = self.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
        return "".join(c.upper() if flip else c for c, flip in zip(word, flips, strict=True))

    def join(self, parts: list[str]) -> str:
        text = parts[0]
        for part in parts[1:]:
            text += self.ws(required=text[-1] in _WORD and part[0] in _WORD) + part
        return text

    def string(self, value: str) -> str:
        out = []
        for char in value:
            style = self.draw(st.sampled_from(["raw", "raw", "raw", "u", "U"]))
            code = ord(char)
            if char in '"\\' or code < 0x20 or style != "raw":
                short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
                if style == "raw" and char in short:
                    out.append(short[char])
                    continue
                units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]
                out.extend(f"\\u{unit:04X}" if style == "U" else f"\\u{unit:04x}" for unit in units)
            else:
                out.append(char)
        return '"' + "".join(out) + '"'

    def value(self, value) -> str:
        if value is True or value is False or value is None:
            return self.keyword({True: "true", False: "false", None: "null"}[value])
        if isinstance(value, str):
            return self.string(value)
        return str(value)

    def filter(self, node, inner_of=None) -> str:
        """``inner_of`` is the logical node class this one is a term of (for grouping)."""
        text = self._filter(node)
        group = isinstance(node, (And, Or)) and inner_of is not None and not (inner_of is Or and isinstance(node, And))
        if group or (not isinstance(node, (And, Or)) and self.draw(st.integers(0, 5)) == 0):
            text = self.join(["(", self.ws() + text + self.ws(), ")"])
        return text

    def _filter(self, node) -> str:
        match node:
            case Present(path=path):
                return self.join([str(path), self.keyword("pr")])
            case Compare(path=path, op=op, value=value):
                return self.join([str(path), self.keyword(op), self.value(value)])
            case And(terms=terms) | Or(terms=terms):
                word = self.keyword("and" if isinstance(node, And) else "or")
                parts = []
                for term in terms:
                    parts += [self.filter(term, type(node)), word]
                return self.join(parts[:-1])
            case Not(filter=inner):
                return self.join([self.keyword("not"), "(", self.filter(inner), ")"])
            case ValuePath(path=path, filter=inner):
                entra = self._entra(path, inner)
                if entra is not None:
                    return entra
                return self.join([str(path), "[", self.filter(inner), "]"])
        raise TypeError(node)

    def _entra(self, path, inner):
        """``attr[f].sub op v`` for ``attr[f and sub op v]``, when that text means the same AST."""
        if not (isinstance(inner, And) and self.draw(st.booleans())):
            return None
        *rest, last = inner.terms
        if not isinstance(last, (Compare, Present)) or last.path.uri is not None or last.path.sub is not None:
            return None
        if len(rest) == 1 and isinstance(rest[0], And):
            return None
        head = And(terms=tuple(rest)) if len(rest) > 1 else rest[0]
        tail = [self.keyword("pr")] if isinstance(last, Present) else [self.keyword(last.op), self.value(last.value)]
        return self.join([str(path), "[", self.filter(head), "]", f".{last.path.name}", *tail])

    def patch_path(self, node: PatchPath) -> str:
        parts = [str(node.path)]
        if node.filter is not None:
            parts += ["[", self.filter(node.filter), "]"]
            if node.sub is not None:
                parts.append(f".{node.sub}")
        return self.join(parts)


@st.composite
def rendered_filters(draw):
    ast = draw(filters)
    return ast, Renderer(draw).ws() + Renderer(draw).filter(ast) + Renderer(draw).ws()


@st.composite
def rendered_paths(draw):
    ast = draw(patch_paths)
    if ast.filter is None:
        ast = PatchPath(path=ast.path)
    return ast, Renderer(draw).ws() + Renderer(draw).patch_path(ast) + Renderer(draw).ws()


GARBAGE = st.sampled_from(
    [*'()[]"\\.:-$ \t01e+aZ_é😀\x00\u00a0', "and", "or", "not", "pr", "eq", "not (", "\\u", "\\ud800"]
)


@st.composite
def garbled(draw, rendered):
    _, text = draw(rendered)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]))
        if action == "insert":
            text = text[:where] + draw(GARBAGE) + text[where:]
        elif action == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 4)) :]
        elif action == "replace":
            text = text[:where] + draw(st.characters(blacklist_categories=("Cs",))) + text[where + 1 :]
        elif action == "truncate":
            text = text[:where]
        else:
            end = draw(st.integers(where, len(text)))
            text = text[:end] + text[where:end] + text[end:]
    return text


def _outcome(parse, text, backend):
    try:
        return ("ast", filter_to_json(parse(text, backend=backend)))
    except (InvalidFilter, InvalidPath) as error:
        return ("error", type(error).__name__, error.code, error.position, error.detail)


# --- properties -----------------------------------------------------------------------------------------------


@SETTINGS
@given(case=rendered_filters())
def test_rendered_filters_parse_to_their_ast(backend, case):
    ast, text = case
    parsed = parse_filter(text, backend=backend)
    assert filter_to_json(parsed) == filter_to_json(ast), text
    assert filter_to_json(parse_filter(str(parsed), backend=backend)) == filter_to_json(ast)


@SETTINGS
@given(case=rendered_paths())
def test_rendered_paths_parse_to_their_ast(backend, case):
    ast, text = case
    assert filter_to_json(parse_path(text, backend=backend)) == filter_to_json(ast), text


@SETTINGS
@given(text=st.one_of(garbled(rendered_filters()), st.text(max_size=30)))
def test_garbled_filters_fail_cleanly(text):
    """The Lark parser answers every input with an AST or a contract error, never another exception."""
    outcome = _outcome(parse_filter, text, "python")
    assert outcome[0] == "ast" or (outcome[2] in MESSAGES and 0 <= outcome[3] <= len(text))


@pytest.fixture
def native():
    require_native()


@SETTINGS
@given(text=st.one_of(rendered_filters().map(lambda case: case[1]), garbled(rendered_filters()), st.text(max_size=30)))
def test_filter_parity(native, text):
    assert _outcome(parse_filter, text, "native") == _outcome(parse_filter, text, "python"), text


@SETTINGS
@given(text=st.one_of(rendered_paths().map(lambda case: case[1]), garbled(rendered_paths())))
def test_path_parity(native, text):
    assert _outcome(parse_path, text, "native") == _outcome(parse_path, text, "python"), text
