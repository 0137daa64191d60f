"""PATCH operations of a canonically written PatchOp are read by a fast path (patch/message.py): it must read
exactly what ``read_patch`` reads, under every policy, and leave everything else to it."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec import UNSET

from scimcore.errors import ScimError
from scimcore.patch.message import Operation, _canonical_operations, read_operations
from scimcore.policy import Policy
from scimcore.schema.messages import PATCH_OP, read_patch

POLICIES = [Policy(), Policy.STRICT]


def _op(**members: Any) -> dict[str, Any]:
    return {"op": "replace", "path": "title", "value": "x", **members}


MESSAGES: list[Any] = [
    {"schemas": [PATCH_OP], "Operations": [_op()]},
    {"schemas": [PATCH_OP], "Operations": [_op(), {"op": "remove", "path": "nickName"}, {"op": "add", "value": {}}]},
    {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": None, "value": None}]},
    {"schemas": ["other", PATCH_OP], "Operations": [_op(value=[1, {"a": None}])], "extra": 1},
    {"schemas": [PATCH_OP.upper()], "Operations": [_op()]},  # the URN in another case
    {"schemas": ["other"], "Operations": [_op()]},
    {"schemas": PATCH_OP, "Operations": [_op()]},
    {"Operations": [_op()]},  # no schemas
    {"schemas": [PATCH_OP], "operations": [_op()]},  # the member in another case
    {"schemas": [PATCH_OP], "Operations": []},
    {"schemas": [PATCH_OP], "Operations": _op()},
    {"schemas": [PATCH_OP], "Operations": [_op(op="Replace")]},
    {"schemas": [PATCH_OP], "Operations": [_op(op="move")]},
    {"schemas": [PATCH_OP], "Operations": [_op(op=["replace"])]},
    {"schemas": [PATCH_OP], "Operations": [{"OP": "replace", "path": "title", "value": "x"}]},
    {"schemas": [PATCH_OP], "Operations": [_op(extra=True)]},
    {"schemas": [PATCH_OP], "Operations": [_op(path=7)]},
    {"schemas": [PATCH_OP], "Operations": [_op(), "not an object"]},
    [_op()],
    b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "a"}]}',
]


def _read_patch_operations(patch: Any, policy: Policy) -> list[Operation] | str:
    """What read_patch makes of ``patch``, as Operations, or the error it raises."""
    try:
        operations = read_patch(patch, policy)
    except ScimError as exc:
        return f"{type(exc).__name__}: {exc.detail}"
    return [
        Operation(i, o.op, o.path, None if o.value is UNSET else o.value, o.value is not UNSET)
        for i, o in enumerate(operations)
    ]


@pytest.mark.parametrize("policy", POLICIES, ids=["default", "strict"])
@pytest.mark.parametrize("patch", MESSAGES)
def test_read_operations_reads_what_read_patch_reads(patch: Any, policy: Policy) -> None:
    expected = _read_patch_operations(patch, policy)
    try:
        got: list[Operation] | str = read_operations(patch, policy)
    except ScimError as exc:
        got = f"{type(exc).__name__}: {exc.detail}"
    assert got == expected


def test_the_fast_path_takes_canonical_messages_only() -> None:
    taken = [patch for patch in MESSAGES if _canonical_operations(patch) is not None]
    assert taken == MESSAGES[:4]
