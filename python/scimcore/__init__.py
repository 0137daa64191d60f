"""scimcore: the SCIM 2.0 core (RFC 7643 schema, RFC 7644 protocol) for Python identity servers.

The public names are listed in ``__all__`` and documented in the README. They are imported lazily, so that
``import scimcore`` stays cheap: grammars, schemas and decoders are built on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import (
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    InvalidVersion,
    Mutability,
    NotFound,
    NoTarget,
    ScimError,
    TooMany,
    Uniqueness,
)

__version__ = "0.2.0"

# public name -> module that defines it (relative to this package)
_LAZY = {
    "parse_filter": ".filter.parse",
    "parse_path": ".filter.parse",
    "BACKEND": ".filter.parse",
    "FilterLimits": ".filter.limits",
    "filter_to_json": ".filter.ast",
    "compile_filter": ".filter.compile",
    "apply_patch": ".patch",
    "PatchResult": ".patch",
    "Policy": ".policy",
    "SchemaRegistry": ".schema.registry",
    "registry": ".schema.default",
    "decode": ".schema.codec",
    "encode": ".schema.codec",
    "normalize": ".schema.codec",
    "User": ".schema.resources",
    "Group": ".schema.resources",
    "EnterpriseUser": ".schema.resources",
    "ListResponse": ".schema.messages",
    "PatchOp": ".schema.messages",
    "SearchRequest": ".schema.messages",
    "Error": ".schema.messages",
    "ServiceProviderConfig": ".schema.resources",
    "ResourceType": ".schema.resources",
    "Schema": ".schema.resources",
    "BulkRequest": ".schema.messages",
    "BulkResponse": ".schema.messages",
    "search": ".query",
    "project": ".query",
    "Directory": ".directory",
    "to_sql": ".sql",
    "SqlDirectory": ".sql",
    "Service": ".service",
    "wsgi_app": ".service",
    "asgi_app": ".service",
    "bearer_token": ".service",
    "Store": ".store",
}

__all__ = sorted(
    [
        *_LAZY,
        "ScimError",
        "InvalidFilter",
        "InvalidPath",
        "NoTarget",
        "InvalidValue",
        "Mutability",
        "InvalidSyntax",
        "Uniqueness",
        "TooMany",
        "InvalidVersion",
        "NotFound",
        "__version__",
    ]
)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scimcore' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .directory import Directory
    from .filter.ast import filter_to_json
    from .filter.compile import compile_filter
    from .filter.limits import FilterLimits
    from .filter.parse import BACKEND, parse_filter, parse_path
    from .patch import PatchResult, apply_patch
    from .policy import Policy
    from .query import project, search
    from .schema.codec import decode, encode, normalize
    from .schema.default import registry
    from .schema.messages import BulkRequest, BulkResponse, Error, ListResponse, PatchOp, SearchRequest
    from .schema.registry import SchemaRegistry
    from .schema.resources import EnterpriseUser, Group, ResourceType, Schema, ServiceProviderConfig, User
    from .service import Service, asgi_app, bearer_token, wsgi_app
    from .sql import SqlDirectory, to_sql
    from .store import Store
