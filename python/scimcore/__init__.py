"""scimcore: the SCIM 2.0 core (RFC 7643 schema, RFC 7644 protocol) for Python identity servers.

The public names are the ``from .module import Name as Name`` lines of ``__init__.pyi``, the package's type
stub: type checkers read them there, and this module reads the same lines to import each name from its module
on first use, so that ``import scimcore`` stays cheap (grammars, schemas and decoders are built when first
needed). Adding a public name is adding its line to ``__init__.pyi``.
"""

from __future__ import annotations

import os
from importlib import import_module

__version__ = "0.2.0"

<<<<<<< HEAD
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
    "ScimError": ".errors",
    "InvalidFilter": ".errors",
    "InvalidPath": ".errors",
    "NoTarget": ".errors",
    "InvalidValue": ".errors",
    "Mutability": ".errors",
    "InvalidSyntax": ".errors",
    "Uniqueness": ".errors",
    "TooMany": ".errors",
    "InvalidVersion": ".errors",
    "NotFound": ".errors",
}

__all__ = sorted([*_LAZY, "__version__"])
=======
_exports: dict[str, str] = {}  # public name -> the module that defines it, read from __init__.pyi on first use
>>>>>>> 0fe425f916db6b8859de086d0ddb37cb7a2df70e


def _public() -> dict[str, str]:
    if not _exports:
        with open(os.path.join(os.path.dirname(__file__), "__init__.pyi"), encoding="utf-8") as stub:
            for line in stub:
                words = line.split()
                if len(words) == 6 and words[0::2] == ["from", "import", "as"] and words[3] == words[5]:
                    _exports[words[3]] = words[1]
    return _exports


def __getattr__(name: str) -> object:
    if name == "__all__":
        return __dir__()
    module = _public().get(name)
    if module is None:
        raise AttributeError(f"module 'scimcore' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
<<<<<<< HEAD
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .directory import Directory
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
=======
    return sorted([*_public(), "__version__"])
>>>>>>> 0fe425f916db6b8859de086d0ddb37cb7a2df70e
