"""The error hierarchy and its message (RFC 7644 §3.12, docs/semantics.md §Errors).

Every failure the library reports is a :class:`ScimError` subclass carrying ``status`` (the HTTP status),
``scim_type`` (the RFC 7644 Table 9 keyword, or ``None``) and ``detail``. ``to_error()`` renders the RFC
:class:`Error` message (``scimcore.Error``), defined here so that this module is a leaf: it imports nothing of
the package. Subclasses are constructed as ``Cls(detail, ...)`` with the detail first.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "ERROR",
    "MAX_DOCUMENT_BYTES",
    "Error",
    "InvalidFilter",
    "InvalidPath",
    "InvalidSyntax",
    "InvalidValue",
    "InvalidVersion",
    "Mutability",
    "NoTarget",
    "NotFound",
    "ScimError",
    "TooMany",
    "Uniqueness",
]


class ScimError(Exception):
    """Base class of every error scimcore raises on bad input (RFC 7644 §3.12)."""

    status: int = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type

    def to_error(self) -> Error:
        """The RFC 7644 §3.12 ``Error`` message for this error."""
        return Error(status=str(self.status), scim_type=self.scim_type, detail=self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class _PositionedError(ScimError):
    """A filter or path error: ``code`` names the kind (stable, snake_case), ``position`` is a character offset
    and ``span`` the ``(start, end)`` range at fault (docs/filter-language.md, "Errors")."""

    span: tuple[int, int] | None = None

    def __init__(self, detail: str, *, position: int | None = None, code: str | None = None, **kw) -> None:
        super().__init__(detail, **kw)
        self.position = position
        self.code = code


class InvalidFilter(_PositionedError):
    """The filter syntax is invalid, or the filter does not fit the schema (400 ``invalidFilter``)."""

    scim_type = "invalidFilter"


class InvalidPath(_PositionedError):
    """A PATCH path is invalid or names no attribute of the schema (400 ``invalidPath``)."""

    scim_type = "invalidPath"


class NoTarget(ScimError):
    """A PATCH target was not found where the RFC requires one (400 ``noTarget``)."""

    scim_type = "noTarget"


class InvalidValue(ScimError):
    """A value has the wrong type, or a required value is missing (400 ``invalidValue``)."""

    scim_type = "invalidValue"


class Mutability(ScimError):
    """An attempt to change a readOnly or immutable attribute, or to remove a required one (400)."""

    scim_type = "mutability"


class InvalidSyntax(ScimError):
    """A malformed request message: PatchOp, SearchRequest or resource JSON (400 ``invalidSyntax``)."""

    scim_type = "invalidSyntax"


class Uniqueness(ScimError):
    """A uniqueness violation (409 ``uniqueness``)."""

    status = 409
    scim_type = "uniqueness"


class TooMany(ScimError):
    """A result or request larger than the configured maximum (400 ``tooMany``)."""

    scim_type = "tooMany"


class InvalidVersion(ScimError):
    """A version (ETag) mismatch: the client's If-Match names another version (412, no scimType: RFC 7644 §3.14
    and Table 8; ``invalidVers`` of Table 9 is an unsupported protocol version, docs/semantics.md §Errors)."""

    status = 412


class NotFound(ScimError):
    """The resource does not exist (404, no scimType)."""

    status = 404


ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
"""The default maximum size of one JSON document, in bytes (characters for ``str`` input); larger is ``tooMany``
(``scimcore.schema.wire.load_json``, :meth:`Error.from_json`)."""


class Error(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True, forbid_unknown_fields=True):
    """An error response (RFC 7644 §3.12): ``status`` (a string; a number is read as one), ``scimType``,
    ``detail``. The configuration of every scimcore message: camelCase wire names, unset members omitted."""

    schemas: list[str] = msgspec.field(default_factory=lambda: [ERROR])
    status: str
    scim_type: str | None = None
    detail: str | None = None

    @classmethod
    def from_json(cls, data: Any, *, policy: Any = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> Error:
        """Read an Error message from bytes, str, a JSON-shaped dict, or an instance (returned as is). Member
        names in any case unless the policy's ``case_insensitive_names`` is off; ``invalidSyntax`` if malformed."""
        if isinstance(data, cls):
            return data
        if isinstance(data, (bytes, bytearray, memoryview, str)):
            if len(data) > max_bytes:
                raise TooMany(f"the Error message is {len(data)} bytes long, more than the maximum of {max_bytes}")
            try:
                data = msgspec.json.decode(data)
            except (msgspec.DecodeError, ValueError, RecursionError) as exc:
                raise InvalidSyntax(f"the Error message is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidSyntax("an Error message must be a JSON object")
        any_case = getattr(policy, "case_insensitive_names", True)
        names = {"schemas": "schemas", "status": "status", "scimtype": "scimType", "detail": "detail"}
        members: dict = {}
        for key, value in data.items():
            name = names.get(key.lower()) if isinstance(key, str) else None
            if name is None or (name != key and not any_case):
                raise InvalidSyntax(f"Error has no member {key!r}")
            members[name] = value
        status = members.get("status")
        if isinstance(status, int) and not isinstance(status, bool):
            members["status"] = str(status)
        schemas = members.setdefault("schemas", [ERROR])
        if not isinstance(schemas, list) or ERROR.lower() not in {s.lower() for s in schemas if isinstance(s, str)}:
            raise InvalidSyntax(f"an Error message must list {ERROR} in 'schemas'")
        try:
            return msgspec.convert(members, cls)
        except msgspec.ValidationError as exc:
            raise InvalidSyntax(f"malformed Error message: {exc}") from None
