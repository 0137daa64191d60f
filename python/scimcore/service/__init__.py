"""The protocol layer (RFC 7644 §3-§4): ``Service`` (sans-IO), its WSGI and ASGI adapters, authentication hooks.

Names are imported on first use, so that ``scimcore serve --help`` (whose parser lives in :mod:`.serve`) stays
cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Service": ".service",
    "Request": ".http",
    "Response": ".http",
    "Unauthorized": ".http",
    "current_request": ".http",
    "BearerToken": ".auth",
    "bearer_token": ".auth",
    "wsgi_app": ".wsgi",
    "asgi_app": ".asgi",
}

__all__ = [
    "BearerToken",
    "Request",
    "Response",
    "Service",
    "Unauthorized",
    "asgi_app",
    "bearer_token",
    "current_request",
    "wsgi_app",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scimcore.service' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .asgi import asgi_app
    from .auth import BearerToken, bearer_token
    from .http import Request, Response, Unauthorized, current_request
    from .service import Service
    from .wsgi import wsgi_app
