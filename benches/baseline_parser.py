"""A hand-written pure-Python SCIM filter parser (RFC 7644 §3.4.2.2): the benchmark baseline.

The idiomatic approach: one regex tokeniser, then recursive descent with one function per precedence level,
producing the same AST Structs as scimcore's parsers for valid filters. It does not implement the error
contract (positions, codes, limits) in full; errors are a plain ``ValueError``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from scimcore.filter.ast import And, AttrPath, Compare, Not, Or, Present, ValuePath

_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
        (?P<punct>[()\[\]])
      | (?P<string>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
      | (?P<sub>\.[A-Za-z$][A-Za-z0-9_$-]*)
      | (?P<word>[A-Za-z$][A-Za-z0-9:._$-]*)
    )""",
    re.VERBOSE,
)
_PATH = re.compile(r"(?:(.*):)?(\$ref|[A-Za-z][A-Za-z0-9_-]*)(?:\.(\$ref|[A-Za-z][A-Za-z0-9_-]*))?", re.IGNORECASE)
_OPS = frozenset(("eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"))
_LITERALS = {"true": True, "false": False, "null": None}


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, end = [], 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos == end:
            return tokens
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected character at {pos}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ValueError("unexpected end of input")
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.i += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        if self.take() != ("punct", punct):
            raise ValueError(f"expected {punct!r}")

    def or_expr(self, inside: bool):
        terms = [self.and_expr(inside)]
        while self.keyword("or"):
            terms.append(self.and_expr(inside))
        return terms[0] if len(terms) == 1 else Or(terms=tuple(terms))

    def and_expr(self, inside: bool):
        terms = [self.unary(inside)]
        while self.keyword("and"):
            terms.append(self.unary(inside))
        return terms[0] if len(terms) == 1 else And(terms=tuple(terms))

    def unary(self, inside: bool):
        kind, value = self.take()
        if (kind, value) == ("punct", "("):
            inner = self.or_expr(inside)
            self.expect(")")
            return inner
        if kind != "word":
            raise ValueError("expected a filter")
        if value.lower() == "not" and self.peek() == ("punct", "("):
            self.i += 1
            inner = self.or_expr(inside)
            self.expect(")")
            return Not(filter=inner)
        path = _attr_path(value)
        if not inside and self.peek() == ("punct", "["):
            self.i += 1
            inner = self.or_expr(True)
            self.expect("]")
            token = self.peek()
            if token is None or token[0] != "sub":
                return ValuePath(path=path, filter=inner)
            self.i += 1
            trailing = self.comparison(AttrPath(name=token[1][1:]))
            terms = (*inner.terms, trailing) if isinstance(inner, And) else (inner, trailing)
            return ValuePath(path=path, filter=And(terms=terms))
        return self.comparison(path)

    def comparison(self, path: AttrPath):
        kind, word = self.take()
        op = word.lower()
        if kind == "word" and op == "pr":
            return Present(path=path)
        if kind != "word" or op not in _OPS:
            raise ValueError("expected an operator")
        return Compare(path=path, op=op, value=self.value())

    def value(self):
        kind, text = self.take()
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return Decimal(text) if any(c in text for c in ".eE") else int(text)
        if kind == "word" and text.lower() in _LITERALS:
            return _LITERALS[text.lower()]
        raise ValueError("expected a value")


def _attr_path(word: str) -> AttrPath:
    match = _PATH.fullmatch(word)
    if match is None:
        raise ValueError(f"malformed attribute path {word!r}")
    uri, name, sub = match.groups()
    return AttrPath(name=name, uri=uri, sub=sub)


def parse_filter(text: str):
    """Parse a SCIM filter into scimcore's AST (valid input only)."""
    parser = _Parser(text)
    result = parser.or_expr(False)
    if parser.peek() is not None:
        raise ValueError("unexpected token")
    return result
