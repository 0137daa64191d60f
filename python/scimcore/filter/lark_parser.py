"""The pure-Python filter and PATCH path parser (RFC 7644 §3.4.2.2, §3.5.2), on Lark.

``grammar.lark`` is compiled once, lazily, into an LALR parser with Lark's contextual lexer and this module's
transformer embedded (no parse tree is built). The per-token checks of ``docs/filter-language.md`` are lexer
callbacks; Lark's exceptions are mapped onto the contract's ``(code, position)``.

Thread safety: the Lark object is shared and holds no per-parse data (its lexer and parser states are
created per call). The per-parse state of the callbacks (limits, nesting depth, comparison count) lives in a
``ContextVar`` set for the duration of each call, so parses from several threads (or tasks) do not interfere
and need no lock.
"""

from __future__ import annotations

import json
import re
import threading
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from .ast import And, AttrPath, Compare, Filter, Not, Or, PatchPath, Present, ValuePath
from .limits import FilterLimits

__all__ = ["ParseFailure", "parse_filter", "parse_path"]

_GRAMMAR = Path(__file__).with_name("grammar.lark")
_MAX_NUMBER = 256
_NAME = r"(?:\$[Rr][Ee][Ff]|[A-Za-z][A-Za-z0-9_-]*)"
_PATH_RE = re.compile(rf"(?:([A-Za-z][A-Za-z0-9._-]*(?::[A-Za-z0-9._-]+)*):)?({_NAME})(?:\.({_NAME}))?")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_LITERALS = {"TRUE": True, "FALSE": False, "NULL": None}


class ParseFailure(Exception):
    """A syntax error as the contract states it: ``args == (code, position)``; parse.py builds the ScimError."""

    def __init__(self, code: str, position: int) -> None:
        super().__init__(code, position)
        self.code = code
        self.position = position


class _State:
    """What one parse needs in its callbacks."""

    __slots__ = ("brackets", "comparisons", "depth", "max_comparisons", "max_depth", "over_limit_at")

    def __init__(self, limits: FilterLimits) -> None:
        self.max_depth = limits.max_depth
        self.max_comparisons = limits.max_comparisons
        self.depth = 0
        self.brackets = 0  # open `[`, to tell a nested value path from `].sub[`
        self.comparisons = 0
        self.over_limit_at: int | None = None

    def count_comparison(self, position: int) -> None:
        self.comparisons += 1
        if self.comparisons == self.max_comparisons + 1:
            self.over_limit_at = position


_state: ContextVar[_State] = ContextVar("scimcore_filter_parse_state")


# --- lexer callbacks: the checks made on each token, acceptable or not (contract, "Checks") ----------------


def _start(token: Token) -> int:
    """Where ``token`` starts: the lexer always sets ``start_pos`` (Lark's type allows ``None``)."""
    assert token.start_pos is not None
    return token.start_pos


def _on_string(token: Token) -> Token:
    text = token.value
    if "\\" in text:
        decoded = json.loads(text)
        if _SURROGATE_RE.search(decoded):
            raise ParseFailure("invalid_string", _start(token))
        token.value = decoded
    else:
        token.value = text[1:-1]
    return token


def _on_number(token: Token) -> Token:
    if len(token.value) > _MAX_NUMBER:
        raise ParseFailure("invalid_number", _start(token))
    return token


def _on_attrpath(token: Token) -> Token:
    match = _PATH_RE.fullmatch(token.value)
    if match is None:
        raise ParseFailure("invalid_attribute_path", _start(token))
    uri, name, sub = match.groups()
    token.value = AttrPath(name=name, uri=uri, sub=sub)
    return token


def _on_open(token: Token) -> Token:
    state = _state.get()
    state.depth += 1
    if state.depth > state.max_depth:
        raise ParseFailure("too_deep", _start(token))
    return token


def _on_close(token: Token) -> Token:
    _state.get().depth -= 1
    return token


def _on_open_bracket(token: Token) -> Token:
    _state.get().brackets += 1
    return _on_open(token)


def _on_close_bracket(token: Token) -> Token:
    _state.get().brackets -= 1
    return _on_close(token)


_CALLBACKS = {
    "STRING": _on_string,
    "NUMBER": _on_number,
    "ATTRPATH": _on_attrpath,
    "LPAR": _on_open,
    "LBRACK": _on_open_bracket,
    "RPAR": _on_close,
    "RBRACK": _on_close_bracket,
}


# --- the transformer: reductions build the AST Structs directly ---------------------------------------------


def _value(token: Token):
    """A compValue: JSON string, number (int, or exact Decimal if it has a fraction or exponent) or literal."""
    kind = token.type
    if kind == "STRING":
        return token.value
    if kind == "NUMBER":
        text = token.value
        return Decimal(text) if ("." in text or "e" in text or "E" in text) else int(text)
    return _LITERALS[kind]


def _chain(cls, terms: list):
    """An and/or chain, spanning from its first term's start to its last term's end (see :mod:`.ast`)."""
    return cls(terms=tuple(terms), start=terms[0].start, end=terms[-1].end)


class _Builder(Transformer):
    """RFC 7644 §3.4.2.2 AST from the grammar's reductions (tokens carry decoded values from the callbacks)."""

    def filter(self, children):
        return children[0]

    def or_expr(self, children):
        return _chain(Or, children[::2])

    def and_expr(self, children):
        return _chain(And, children[::2])

    val_or = or_expr
    val_and = and_expr

    def not_group(self, children):
        return Not(filter=children[2], start=children[0].start_pos, end=children[3].end_pos)

    def group(self, children):
        return children[1]

    def present(self, children):
        path, pr = children
        start = path.start_pos
        _state.get().count_comparison(start)
        return Present(path.value, start, pr.end_pos, start, path.end_pos)

    def compare(self, children):
        path, op, value = children
        start = path.start_pos
        _state.get().count_comparison(start)
        return Compare(path.value, op.value.lower(), _value(value), start, value.end_pos, start, path.end_pos)

    def value_path(self, children):
        path, start = children[0], children[0].start_pos
        return ValuePath(path.value, children[2], start, children[3].end_pos, start, path.end_pos)

    # The Entra form's SUBATTR token is ``.name``: the comparison starts at the ``.``, its path after it.
    def value_path_present(self, children):
        sub, pr = children[4:6]
        start = sub.start_pos
        _state.get().count_comparison(start)
        trailing = Present(AttrPath(sub.value[1:]), start, pr.end_pos, start + 1, sub.end_pos)
        return _entra(children[0], children[2], trailing)

    def value_path_compare(self, children):
        sub, op, value = children[4:7]
        start = sub.start_pos
        _state.get().count_comparison(start)
        path = AttrPath(sub.value[1:])
        trailing = Compare(path, op.value.lower(), _value(value), start, value.end_pos, start + 1, sub.end_pos)
        return _entra(children[0], children[2], trailing)

    def path_attr(self, children):
        return PatchPath(path=children[0].value)

    def path_filter(self, children):
        return PatchPath(path=children[0].value, filter=children[2])

    def path_filter_sub(self, children):
        return PatchPath(path=children[0].value, filter=children[2], sub=children[4].value[1:])


def _entra(path: Token, inner: Filter, trailing: Filter) -> ValuePath:
    """The Entra ID form ``attr[f].sub op v`` means ``attr[f and sub op v]``, one flat ``and`` chain."""
    end = trailing.end
    terms = (*inner.terms, trailing) if isinstance(inner, And) else (inner, trailing)
    both = And(terms, inner.start, end)
    start = path.start_pos
    return ValuePath(path.value, both, start, end, start, path.end_pos)


# --- the Lark object, built once ------------------------------------------------------------------------------

_lark: Lark | None = None
_build_lock = threading.Lock()


def build_lark(grammar: str | None = None, *, strict: bool = False) -> Lark:
    """A new Lark parser for ``grammar`` (default: grammar.lark); ``strict=True`` rejects terminal collisions."""
    return Lark(
        grammar if grammar is not None else _GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        transformer=_Builder(),
        start=["filter", "patch_path"],
        lexer_callbacks=_CALLBACKS,
        maybe_placeholders=False,
        propagate_positions=False,
        strict=strict,
    )


def _parser() -> Lark:
    global _lark
    if _lark is None:
        with _build_lock:
            if _lark is None:
                built = build_lark()
                # Lark compiles each state's scanner on first use; do it here, under the lock.
                for lexer in {id(lx): lx for lx in built.parser.lexer.lexers.values()}.values():
                    lexer.scanner  # noqa: B018 - builds and caches the scanner
                built.parser.lexer.root_lexer.scanner  # noqa: B018
                _lark = built
    return _lark


# --- errors ---------------------------------------------------------------------------------------------------


def _token_error(error: UnexpectedToken, text: str, state: _State) -> ParseFailure:
    """An unexpected token (or the end): the code says what the parser state expected (contract, "Errors").

    A ``[`` where an operator was expected is a nested value path when another ``[`` is open (its own callback
    has counted it already); after ``].sub`` it is just not an operator.
    """
    expected = error.expected
    token = error.token
    position = len(text) if token.type == "$END" else _start(token)
    if "ATTRPATH" in expected:
        code = "expected_filter"
    elif "OP" in expected:
        nested = token.type == "LBRACK" and state.brackets > 1
        code = "nested_value_path" if nested else "expected_operator"
    elif "STRING" in expected:
        code = "expected_value"
    else:
        code = "unexpected_token"
    return ParseFailure(code, position)


def _character_error(error: UnexpectedCharacters, text: str) -> ParseFailure:
    """No token starts here: the lexical code is chosen by the character."""
    position = error.pos_in_stream
    assert position is not None  # Lark's type allows None; a character error always has a position
    char = text[position]
    if char == '"':
        code = "invalid_string"
    elif char == "-" or "0" <= char <= "9":
        code = "invalid_number"
    else:
        code = "unexpected_character"
    return ParseFailure(code, position)


def _parse(text: str, start: str, limits: FilterLimits):
    state = _State(limits)
    reset = _state.set(state)
    try:
        result = _parser().parse(text, start=start)
    except UnexpectedToken as error:
        raise _token_error(error, text, state) from None
    except UnexpectedCharacters as error:
        raise _character_error(error, text) from None
    finally:
        _state.reset(reset)
    if state.over_limit_at is not None:
        raise ParseFailure("too_many_comparisons", state.over_limit_at)
    return result


def parse_filter(text: str, limits: FilterLimits) -> Filter:
    """Parse a filter (RFC 7644 §3.4.2.2); raises :class:`ParseFailure`. Length checks are the caller's."""
    return _parse(text, "filter", limits)


def parse_path(text: str, limits: FilterLimits) -> PatchPath:
    """Parse a PATCH path (RFC 7644 §3.5.2); raises :class:`ParseFailure`. Length checks are the caller's."""
    return _parse(text, "patch_path", limits)
