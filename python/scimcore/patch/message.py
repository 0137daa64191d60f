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
