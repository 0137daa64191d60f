"""Reading a PatchOp message (RFC 7644 §3.5.2) into a list of checked operations.

Accepted shapes: a ``PatchOp`` dict, its JSON as bytes/str, a ``scimcore.PatchOp`` Struct, or a bare list of
operation dicts. Each operation is ``{"op", "path"?, "value"?}``. A malformed message is ``invalidSyntax``;
a ``path`` that is not a string is ``invalidPath``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import InvalidPath, InvalidSyntax
from ..policy import Policy
from ..schema.wire import load_json

__all__ = ["PATCH_OP_URN", "Operation", "read_operations"]

PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPS = ("add", "remove", "replace")


@dataclass(frozen=True, slots=True)
class Operation:
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


def read_operations(patch, policy: Policy) -> list[Operation]:
    """The operations of ``patch``, checked for shape (RFC 7644 §3.5.2); values are not looked at yet."""
    if isinstance(patch, (bytes, bytearray, memoryview, str)):
        patch = load_json(patch, what="PATCH request")
    elif isinstance(patch, msgspec.Struct):
        patch = msgspec.to_builtins(patch)
        patch = {("Operations" if k.lower() == "operations" else k): v for k, v in patch.items()}
    if isinstance(patch, list):
        operations = patch
    elif isinstance(patch, dict):
        operations = _message_operations(patch, policy)
    else:
        raise InvalidSyntax("a PATCH request must be a PatchOp object or a list of operations")
    if not isinstance(operations, list):
        raise InvalidSyntax("'Operations' must be a JSON array")
    if not operations and not policy.lenient_patch_message:
        raise InvalidSyntax("'Operations' must hold one or more operations")
    return [_operation(index, raw, policy) for index, raw in enumerate(operations)]


def _message_operations(message: dict, policy: Policy):
    schemas = message.get("schemas", _MISSING)
    if schemas is _MISSING and policy.case_insensitive_names:
        schemas = _get_any_case(message, "schemas")
    if schemas is _MISSING:
        if not policy.lenient_patch_message:
            raise InvalidSyntax(f"a PatchOp message must have 'schemas': [{PATCH_OP_URN!r}]")
    elif not (
        isinstance(schemas, list) and any(isinstance(s, str) and s.lower() == PATCH_OP_URN.lower() for s in schemas)
    ):
        raise InvalidSyntax(f"the PatchOp 'schemas' must contain {PATCH_OP_URN!r}")
    operations = message.get("Operations", _MISSING)
    if operations is _MISSING and policy.case_insensitive_names:
        operations = _get_any_case(message, "operations")
    if operations is _MISSING:
        raise InvalidSyntax("a PatchOp message must have an 'Operations' array")
    return operations


def _operation(index: int, raw, policy: Policy) -> Operation:
    if not isinstance(raw, dict):
        raise InvalidSyntax(f"Operations[{index}]: an operation must be a JSON object")
    fields = {k.lower(): v for k, v in raw.items() if isinstance(k, str)} if policy.case_insensitive_names else raw
    op = fields.get("op")
    if isinstance(op, str) and policy.case_insensitive_names:
        op = op.lower()
    if op not in OPS:
        raise InvalidSyntax(f"Operations[{index}]: 'op' must be one of add, remove, replace, not {op!r}")
    path = fields.get("path")
    if path is not None and not isinstance(path, str):
        raise InvalidPath(f"Operations[{index}] ({op}): 'path' must be a string")
    return Operation(index=index, op=op, path=path, value=fields.get("value"), has_value="value" in fields)


_MISSING = object()


def _get_any_case(mapping: dict, lowered: str):
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return _MISSING
