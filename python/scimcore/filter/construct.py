"""The constructors of the filter AST (RFC 7644 §3.4.2.2) that the native parser calls, all positionally.

``scimcore._native.AstParser(construct)`` looks these names up once. The node classes themselves are called
with their fields in the order :mod:`.ast` lists them, spans included (``Compare(path, op, value, start, end,
path_start, path_end)``): no Python frame per node, and no ``kwargs`` dict (PyO3 has no safe call with keyword
names). The Entra form's flat ``And`` (``attr[f].sub op v``) is built in Rust from :data:`and_`.
"""

from __future__ import annotations

from decimal import Decimal

from .ast import And, AttrPath, Compare, Not, Or, PatchPath, Present, ValuePath

decimal = Decimal
attr_path = AttrPath  # (name, uri, sub)
compare = Compare  # (path, op, value, start, end, path_start, path_end)
present = Present  # (path, start, end, path_start, path_end)
and_ = And  # (terms, start, end)
or_ = Or  # (terms, start, end)
not_ = Not  # (filter, start, end)
value_path = ValuePath  # (path, filter, start, end, path_start, path_end)
patch_path = PatchPath  # (path, filter, sub)
