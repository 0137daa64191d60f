"""Positional constructors of the filter AST (RFC 7644 §3.4.2.2), called by the native parser.

The nodes of :mod:`.ast` are keyword-only Structs. A keyword call made from Rust goes through a ``kwargs``
dict (PyO3 has no safe call with keyword names), which costs more than building the Struct; the native
parser (``scimcore._native.AstParser(construct)``) calls these functions positionally instead, and they
make the keyword call in Python. Each filter node's constructor takes the node's character span last, as
``start, end`` (see :mod:`.ast`, "Spans"). The Lark parser shares :func:`and_also`.
"""

from __future__ import annotations

from decimal import Decimal

from .ast import And, AttrPath, Compare, Not, Or, PatchPath, Present, ValuePath

decimal = Decimal


def attr_path(name, uri, sub):
    return AttrPath(name=name, uri=uri, sub=sub)


def compare(path, op, value, start, end):
    return Compare(path=path, op=op, value=value, start=start, end=end)


def present(path, start, end):
    return Present(path=path, start=start, end=end)


def and_(terms, start, end):
    return And(terms=terms, start=start, end=end)


def or_(terms, start, end):
    return Or(terms=terms, start=start, end=end)


def not_(filter, start, end):
    return Not(filter=filter, start=start, end=end)


def value_path(path, filter, start, end):
    return ValuePath(path=path, filter=filter, start=start, end=end)


def and_also(filter, trailing, start=None, end=None):
    """The Entra form ``attr[filter].sub op value`` means ``attr[filter and sub op value]``, one flat chain."""
    if isinstance(filter, And):
        return And(terms=(*filter.terms, trailing), start=start, end=end)
    return And(terms=(filter, trailing), start=start, end=end)


def patch_path(path, filter, sub):
    return PatchPath(path=path, filter=filter, sub=sub)
