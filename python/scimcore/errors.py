"""The error hierarchy (RFC 7644 §3.12).

Every failure the library reports is a :class:`ScimError` subclass carrying ``status`` (the HTTP status),
``scim_type`` (the RFC 7644 Table 9 keyword, or ``None``) and ``detail``. ``to_error()`` renders the RFC
``Error`` message. Subclasses are constructed as ``Cls(detail, ...)`` with the detail first.
"""

from __future__ import annotations

__all__ = [
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

    def to_error(self):
        """The RFC 7644 §3.12 ``Error`` message for this error."""
        from .schema.messages import Error

        return Error(status=str(self.status), scim_type=self.scim_type, detail=self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class _PositionedError(ScimError):
    """A syntax error: ``code`` names the kind (stable, snake_case), ``position`` is a character offset."""

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
