"""Positional constructors of the filter AST (RFC 7644 §3.4.2.2), called by the native parser.

The nodes of :mod:`.ast` are keyword-only Structs. A keyword call made from Rust goes through a ``kwargs``
dict (PyO3 has no safe call with keyword names), which costs more than building the Struct; the native
parser (``scimcore._native.AstParser(construct)``) calls these functions positionally instead, and they
make the keyword call in Python. The Lark parser shares :func:`and_also`.
"""

from __future__ import annotations

from decimal import Decimal

from .ast import And, AttrPath, Compare, Not, Or, PatchPath, Present, ValuePath

decimal = Decimal


def attr_path(name, uri, sub):
    return AttrPath(name=name, uri=uri, sub=sub)


def compare(path, op, value):
    return Compare(path=path, op=op, value=value)


def present(path):
    return Present(path=path)


def and_(terms):
    return And(terms=terms)


def or_(terms):
    return Or(terms=terms)


def not_(filter):
    return Not(filter=filter)


def value_path(path, filter):
    return ValuePath(path=path, filter=filter)


def and_also(filter, trailing):
    """The Entra form ``attr[filter].sub op value`` means ``attr[filter and sub op value]``, one flat chain."""
    if isinstance(filter, And):
        return And(terms=(*filter.terms, trailing))
    return And(terms=(filter, trailing))


def patch_path(path, filter, sub):
    return PatchPath(path=path, filter=filter, sub=sub)
