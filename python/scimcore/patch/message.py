"""The operations of a PATCH request as the engine applies them (RFC 7644 §3.5.2).

Reading and shape checks are :func:`scimcore.schema.messages.read_patch`, the one PatchOp reader (also behind
``scimcore.PatchOp.from_json``); this module numbers the operations for error details.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from ..policy import Policy
from ..schema.messages import PATCH_OP, read_patch

__all__ = ["PATCH_OP_URN", "Operation", "read_operations"]

PATCH_OP_URN = PATCH_OP


class Operation(msgspec.Struct, frozen=True):
    """One PATCH operation: ``op`` in lower case, ``path`` or ``None``, and ``value`` when ``has_value``."""

    index: int
    op: str
    path: str | None
    value: Any = None
    has_value: bool = False

    def describe(self) -> str:
        """``Operations[i] (op 'path')``: how error details name the operation."""
        where = f" {self.path!r}" if self.path is not None else " (no path)"
        return f"Operations[{self.index}] ({self.op}{where})"


def read_operations(patch: Any, policy: Policy) -> list[Operation]:
    """The operations of ``patch`` (see :func:`scimcore.schema.messages.read_patch`), numbered."""
    canonical = _canonical_operations(patch)
    if canonical is not None:
        return canonical
    return [
        Operation(
            index=index,
            op=operation.op,
            path=operation.path,
            value=None if operation.value is UNSET else operation.value,
            has_value=operation.value is not UNSET,
        )
        for index, operation in enumerate(read_patch(patch, policy))
    ]


_OPS = ("add", "remove", "replace")
_MEMBERS = frozenset(("op", "path", "value"))


def _canonical_operations(patch: Any) -> list[Operation] | None:
    """The operations of a PatchOp dict written canonically (``schemas`` lists the PatchOp URN, ``Operations``
    is a non-empty list of objects with only lower-case ``op``/``path``/``value``, ``op`` in lower case and
    ``path`` a string or absent): what ``read_patch`` reads from it under every policy, without its per-member
    checks. ``None`` for anything else, which ``read_patch`` reads (and refuses)."""
    if type(patch) is not dict:
        return None
    schemas, operations = patch.get("schemas"), patch.get("Operations")
    if type(schemas) is not list or PATCH_OP not in schemas or type(operations) is not list or not operations:
        return None
    out = []
    for index, raw in enumerate(operations):
        if type(raw) is not dict or not _MEMBERS.issuperset(raw):
            return None
        op, path = raw.get("op"), raw.get("path")
        if op not in _OPS or (path is not None and type(path) is not str):
            return None
        has_value = "value" in raw
        out.append(Operation(index, op, path, raw["value"] if has_value else None, has_value))
    return out
