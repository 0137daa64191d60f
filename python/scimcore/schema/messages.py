"""msgspec Structs for the SCIM protocol messages (RFC 7644 §3.4.2, §3.4.3, §3.5.2, §3.7, §3.12).

Wire names are camelCase except the RFC's capitalised ``Resources`` and ``Operations``. ``Cls.from_json(data,
policy=...)`` reads a message from bytes/str/dict: member names match case-insensitively under the default
policy (``operations`` for ``Operations``, ``OP`` ...), ``op`` values are lower-cased, a missing ``schemas`` is
filled in, and every problem is ``invalidSyntax`` (RFC 7644 Table 9). ``Error.status`` and the bulk ``status``
accept a number or (bulk) ``{"code": ...}`` and are written as strings (J37, J38).
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
from msgspec import UNSET

from ..errors import ERROR, Error, InvalidPath, InvalidSyntax
from ..policy import Policy
from .resources import ScimStruct
from .wire import MAX_DOCUMENT_BYTES, load_json

__all__ = [
    "BULK_REQUEST",
    "BULK_RESPONSE",
    "ERROR",
    "LIST_RESPONSE",
    "PATCH_OP",
    "SEARCH_REQUEST",
    "BulkOperation",
    "BulkRequest",
    "BulkResponse",
    "Error",
    "ListResponse",
    "Message",
    "PatchOp",
    "PatchOperation",
    "SearchRequest",
    "read_patch",
]

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

_DEFAULT_POLICY = Policy()


class Message(ScimStruct, kw_only=True):
    """Base of the messages: ``from_json`` reading with the policy's tolerances."""

    _urn: ClassVar[str | None] = None
    _nested: ClassVar[dict[str, type]] = {}  # wire name -> Struct type of the member (or of its list items)

    @classmethod
    def from_json(cls, data, *, policy: Policy | None = None, max_bytes: int = MAX_DOCUMENT_BYTES):
        """Read a message from bytes, str, a JSON-shaped dict, or an instance (returned as is)."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            data = load_json(data, max_bytes=max_bytes, what=f"{cls.__name__} message")
        canonical = _canonical_members(cls, data, policy or _DEFAULT_POLICY, cls.__name__)
        if cls._urn is not None:
            schemas = canonical.setdefault("schemas", [cls._urn])
            if not isinstance(schemas, list) or cls._urn.lower() not in {
                s.lower() for s in schemas if isinstance(s, str)
            }:
                raise InvalidSyntax(f"a {cls.__name__} message must list {cls._urn} in 'schemas'")
        try:
            return msgspec.convert(canonical, cls)
        except msgspec.ValidationError as exc:
            raise InvalidSyntax(f"malformed {cls.__name__} message: {exc}") from None

    @classmethod
    def _prepare(cls, members: dict, policy: Policy, where: str) -> dict:
        """Per-message adjustments of the canonically named members (a hook for subclasses)."""
        return members


def _canonical_members(cls, data, policy: Policy, where: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidSyntax(f"{where} must be a JSON object")
    names = {f.encode_name: f.encode_name for f in msgspec.structs.fields(cls)}
    if policy.case_insensitive_names:
        names.update({name.lower(): name for name in list(names)})
    out: dict = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise InvalidSyntax(f"{where}: member names must be strings")
        name = names.get(key) or (names.get(key.lower()) if policy.case_insensitive_names else None)
        if name is None:
            raise InvalidSyntax(f"{where} has no member {key!r}")
        if name in out:
            raise InvalidSyntax(f"{where} has the member {name!r} twice (in different case)")
        nested = cls._nested.get(name)
        if nested is not None and value is not None:
            if isinstance(value, list):
                value = [
                    _canonical_members(nested, item, policy, f"{where}.{name}[{i}]") for i, item in enumerate(value)
                ]
            elif isinstance(value, dict):
                value = _canonical_members(nested, value, policy, f"{where}.{name}")
        out[name] = value
    return cls._prepare(out, policy, where)


class ListResponse(Message, kw_only=True, omit_defaults=False):
    """A query response (RFC 7644 §3.4.2). ``totalResults``, ``startIndex``, ``itemsPerPage`` and
    ``Resources`` are always written (J44). ``resources`` holds JSON-shaped dicts or resource Structs."""

    _urn: ClassVar[str | None] = LIST_RESPONSE

    schemas: list[str] = msgspec.field(default_factory=lambda: [LIST_RESPONSE])
    total_results: int = 0
    start_index: int = 1
    items_per_page: int = 0
    resources: list[Any] = msgspec.field(default_factory=list, name="Resources")


class SearchRequest(Message, kw_only=True):
    """The body of ``POST .search`` (RFC 7644 §3.4.3)."""

    _urn: ClassVar[str | None] = SEARCH_REQUEST

    schemas: list[str] = msgspec.field(default_factory=lambda: [SEARCH_REQUEST])
    attributes: list[str] | None = None
    excluded_attributes: list[str] | None = None
    filter: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None
    start_index: int | None = None
    count: int | None = None

    @classmethod
    def _prepare(cls, members: dict, policy: Policy, where: str) -> dict:
        order = members.get("sortOrder")
        if isinstance(order, str):
            if order.lower() not in ("ascending", "descending") or (
                order not in ("ascending", "descending") and not policy.case_insensitive_names
            ):
                raise InvalidSyntax(f"{where}: sortOrder must be ascending or descending, not {order!r}")
            members["sortOrder"] = order.lower()
        return members


class PatchOperation(Message, kw_only=True):
    """One PATCH operation (RFC 7644 §3.5.2): ``op`` add/remove/replace, optional ``path``, ``value``.

    ``value`` is ``msgspec.UNSET`` when the member is absent (``null`` is kept as ``None``).
    """

    op: str
    path: str | None = None
    value: Any = UNSET

    @classmethod
    def _prepare(cls, members: dict, policy: Policy, where: str) -> dict:
        op = members.get("op")
        if not isinstance(op, str):
            raise InvalidSyntax(f"{where}: every operation needs an 'op' (add, remove or replace)")
        canonical = op.lower() if policy.case_insensitive_names else op
        if canonical not in ("add", "remove", "replace"):
            raise InvalidSyntax(f"{where}: unknown op {op!r}: expected add, remove or replace")
        members["op"] = canonical
        return members


class PatchOp(Message, kw_only=True):
    """A PATCH request (RFC 7644 §3.5.2): one or more ``operations`` (wire ``Operations``).

    ``from_json`` reads with :func:`read_patch`, the one PatchOp reader (``scimcore.apply_patch`` uses it too), so
    both accept and refuse the same messages."""

    _urn: ClassVar[str | None] = PATCH_OP

    schemas: list[str] = msgspec.field(default_factory=lambda: [PATCH_OP])
    operations: list[PatchOperation] = msgspec.field(name="Operations")

    @classmethod
    def from_json(cls, data: Any, *, policy: Policy | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> PatchOp:
        """Read a PatchOp from bytes, str, a JSON-shaped dict, a bare list of operations, or an instance."""
        if isinstance(data, cls):
            return data
        return cls(operations=read_patch(data, policy or _DEFAULT_POLICY, max_bytes=max_bytes))


_OPS = ("add", "remove", "replace")
_MISSING: Any = object()


def read_patch(patch, policy: Policy, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> list[PatchOperation]:
    """The operations of a PATCH request, checked for shape (RFC 7644 §3.5.2); values are not looked at yet.

    ``patch``: a PatchOp dict, its JSON as bytes/str, a ``PatchOp`` Struct, or a bare list of operation dicts.
    A malformed message is ``invalidSyntax``; a ``path`` that is not a string is ``invalidPath``. Under
    ``policy.lenient_patch_message`` (the default) ``schemas`` may be missing, ``Operations`` may be empty (a
    no-op) and unknown members of an operation are ignored; otherwise each is ``invalidSyntax``.
    """
    if isinstance(patch, (bytes, bytearray, memoryview, str)):
        patch = load_json(patch, max_bytes=max_bytes, what="PATCH request")
    elif isinstance(patch, msgspec.Struct):
        patch = msgspec.to_builtins(patch)
    if isinstance(patch, list):
        operations = patch
    elif isinstance(patch, dict):
        operations = _patch_message_operations(patch, policy)
    else:
        raise InvalidSyntax("a PATCH request must be a PatchOp object or a list of operations")
    if not isinstance(operations, list):
        raise InvalidSyntax("'Operations' must be a JSON array")
    if not operations and not policy.lenient_patch_message:
        raise InvalidSyntax("'Operations' must hold one or more operations")
    return [_patch_operation(index, raw, policy) for index, raw in enumerate(operations)]


def _patch_message_operations(message: dict, policy: Policy):
    schemas = _member(message, "schemas", policy)
    if schemas is _MISSING:
        if not policy.lenient_patch_message:
            raise InvalidSyntax(f"a PatchOp message must have 'schemas': [{PATCH_OP!r}]")
    elif not (isinstance(schemas, list) and any(isinstance(s, str) and s.lower() == PATCH_OP.lower() for s in schemas)):
        raise InvalidSyntax(f"the PatchOp 'schemas' must contain {PATCH_OP!r}")
    operations = _member(message, "Operations", policy)
    if operations is _MISSING:
        raise InvalidSyntax("a PatchOp message must have an 'Operations' array")
    return operations


def _member(mapping: dict, name: str, policy: Policy):
    if name in mapping:
        return mapping[name]
    if policy.case_insensitive_names:
        for key, value in mapping.items():
            if isinstance(key, str) and key.lower() == name.lower():
                return value
    return _MISSING


def _patch_operation(index: int, raw, policy: Policy) -> PatchOperation:
    if not isinstance(raw, dict):
        raise InvalidSyntax(f"Operations[{index}]: an operation must be a JSON object")
    fields = {k.lower(): v for k, v in raw.items() if isinstance(k, str)} if policy.case_insensitive_names else raw
    if not policy.lenient_patch_message:
        unknown = [key for key in fields if key not in ("op", "path", "value")]
        if unknown:
            raise InvalidSyntax(f"Operations[{index}]: unknown member {unknown[0]!r} (expected op, path, value)")
    op = fields.get("op")
    if isinstance(op, str) and policy.case_insensitive_names:
        op = op.lower()
    if op not in _OPS:
        raise InvalidSyntax(f"Operations[{index}]: 'op' must be one of add, remove, replace, not {op!r}")
    path = fields.get("path")
    if path is not None and not isinstance(path, str):
        raise InvalidPath(f"Operations[{index}] ({op}): 'path' must be a string")
    return PatchOperation(op=op, path=path, value=fields.get("value", UNSET))


def _bulk_status(value, where: str):
    """``"201"``, ``201`` or ``{"code": "201"}`` → ``"201"`` (RFC 7644 §3.7, J37)."""
    if isinstance(value, dict):
        codes = [v for k, v in value.items() if isinstance(k, str) and k.lower() == "code"]
        if len(value) != 1 or not codes:
            raise InvalidSyntax(f"{where}: a 'status' object must be {{\"code\": ...}}")
        value = codes[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) or value is None:
        return value
    raise InvalidSyntax(f"{where}: 'status' must be an HTTP status code")


class BulkOperation(Message, kw_only=True):
    """One bulk operation (RFC 7644 §3.7): request members and the response-only ``location``,
    ``response`` and ``status`` (a string such as ``"201"``)."""

    method: str
    bulk_id: str | None = None
    version: str | None = None
    path: str | None = None
    data: Any = UNSET
    location: str | None = None
    response: Any = UNSET
    status: str | None = None

    @classmethod
    def _prepare(cls, members: dict, policy: Policy, where: str) -> dict:
        if "status" in members:
            members["status"] = _bulk_status(members["status"], where)
        method = members.get("method")
        if isinstance(method, str):
            if method.upper() not in ("POST", "PUT", "PATCH", "DELETE") or (
                method != method.upper() and not policy.case_insensitive_names
            ):
                raise InvalidSyntax(f"{where}: unknown bulk method {method!r}")
            members["method"] = method.upper()
        return members


class BulkRequest(Message, kw_only=True):
    """A bulk request (RFC 7644 §3.7): ``operations`` and the optional ``fail_on_errors``."""

    _urn: ClassVar[str | None] = BULK_REQUEST
    _nested: ClassVar[dict[str, type]] = {"Operations": BulkOperation}

    schemas: list[str] = msgspec.field(default_factory=lambda: [BULK_REQUEST])
    fail_on_errors: int | None = None
    operations: list[BulkOperation] = msgspec.field(name="Operations")


class BulkResponse(Message, kw_only=True):
    """A bulk response (RFC 7644 §3.7): the ``operations`` with their ``status`` and ``location``."""

    _urn: ClassVar[str | None] = BULK_RESPONSE
    _nested: ClassVar[dict[str, type]] = {"Operations": BulkOperation}

    schemas: list[str] = msgspec.field(default_factory=lambda: [BULK_RESPONSE])
    operations: list[BulkOperation] = msgspec.field(default_factory=list, name="Operations")
