"""Positional constructors of the filter AST (RFC 7644 §3.4.2.2), called by the native parser.

The nodes of :mod:`.ast` are keyword-only Structs. A keyword call made from Rust goes through a ``kwargs``
dict (PyO3 has no safe call with keyword names), which costs more than building the Struct; the native
parser (``scimcore._native.AstParser(construct)``) calls these functions positionally instead, and they
make the keyword call in Python. Each takes the node's character span last (see :mod:`.ast`, "Spans"). The
Lark parser shares :func:`and_also`.
"""

from __future__ import annotations

from decimal import Decimal

from .ast import And, AttrPath, Compare, Not, Or, PatchPath, Present, ValuePath

decimal = Decimal


def attr_path(name, uri, sub):
    return AttrPath(name=name, uri=uri, sub=sub)


def compare(path, op, value, span=None):
    return Compare(path=path, op=op, value=value, span=span)


def present(path, span=None):
    return Present(path=path, span=span)


def and_(terms, span=None):
    return And(terms=terms, span=span)


def or_(terms, span=None):
    return Or(terms=terms, span=span)


def not_(filter, span=None):
    return Not(filter=filter, span=span)


def value_path(path, filter, span=None):
    return ValuePath(path=path, filter=filter, span=span)


def and_also(filter, trailing, span=None):
    """The Entra form ``attr[filter].sub op value`` means ``attr[filter and sub op value]``, one flat chain."""
    if isinstance(filter, And):
        return And(terms=(*filter.terms, trailing), span=span)
    return And(terms=(filter, trailing), span=span)


def patch_path(path, filter, sub):
    return PatchPath(path=path, filter=filter, sub=sub)
