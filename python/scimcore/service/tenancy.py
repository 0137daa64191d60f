"""Tenants: one :class:`~scimcore.Service`, with its own stores, per tenant (docs/operations.md, "Tenants").

A :class:`TenantService` sits in front of the tenants' services and answers like one (``handle``, ``limits``), so
``wsgi_app`` and ``asgi_app`` serve it as they serve a ``Service``. It finds the tenant of each request

- from the **principal**: its ``authenticate`` hook runs first (401 when it refuses) and ``tenant_of(principal)``
  names the caller's tenant; or
- from a **path prefix** (``path_prefix=True``): ``/{tenant}/Users/...``; the rest of the path goes to that
  tenant's service. With an ``authenticate`` hook as well, the principal's tenant must be the one in the path.

``build(tenant)`` makes a tenant's service the first time the tenant is seen (``None``: no such tenant, 404); it
is kept for the process's life. Every endpoint (Bulk, root ``/.search``, cursors, ETags) then runs inside that
one service, over its stores only: no request names another tenant's stores. A tenant the caller may not use is
answered 404, exactly as a tenant that does not exist, so tenants cannot be discovered. Give each tenant its own
cursor secret (:func:`tenant_secret`), so that a cursor issued to one tenant is ``invalidCursor`` at another.
A tenant's service sees the principal authenticated here through :func:`routed_principal` as its own
``authenticate`` hook.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from ..errors import NotFound, ScimError
from .discovery import Limits
from .http import Headers, Request, Response, Unauthorized, error_response, lower_headers
from .routes import split_target
from .service import Service

__all__ = ["TenantService", "routed_principal", "tenant_secret"]

TENANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A tenant name, from the path or from ``tenant_of``: letters, digits, ``.``, ``_``, ``-``; at most 64
characters (any other name is answered 404, and ``build`` never sees it)."""

_PRINCIPAL: ContextVar[Any] = ContextVar("scimcore_tenant_principal", default=None)


def routed_principal(request: Request) -> Any:
    """An ``authenticate`` hook for a tenant's service: the principal the :class:`TenantService` found."""
    return _PRINCIPAL.get()


def tenant_secret(master: bytes, tenant: str) -> bytes:
    """A tenant's own cursor secret, derived from one master secret (HMAC-SHA256), the same in every process."""
    return hmac.new(master, b"scimcore tenant cursor secret\x00" + tenant.encode("utf-8"), hashlib.sha256).digest()


class TenantService:
    """The services of several tenants behind one ``handle`` (see the module documentation)."""

    def __init__(
        self,
        build: Callable[[str], Service | None],
        *,
        path_prefix: bool = False,
        authenticate: Callable[[Request], Any] | None = None,
        tenant_of: Callable[[Any], str | None] | None = None,
        limits: Limits | None = None,
    ) -> None:
        if not path_prefix and (authenticate is None or tenant_of is None):
            raise ValueError(
                "without path_prefix, the tenant comes from the principal: give authenticate and tenant_of"
            )
        if (authenticate is None) != (tenant_of is None):
            raise ValueError("authenticate and tenant_of go together")
        self.build = build
        self.path_prefix = path_prefix
        self.authenticate = authenticate
        self.tenant_of = tenant_of
        self.challenge: str = getattr(authenticate, "challenge", 'Bearer realm="SCIM"')
        self._limits = limits
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()

    @property
    def limits(self) -> Limits:
        """The body limits the adapters enforce before any tenant is known: those given, else a default
        ``Service``'s (each tenant's service still enforces its own)."""
        if self._limits is None:
            self._limits = Service({}).limits
        return self._limits

    def service(self, tenant: str) -> Service | None:
        """The service of ``tenant``, built on first use; ``None`` when ``build`` knows no such tenant."""
        found = self._services.get(tenant)
        if found is not None:
            return found
        with self._lock:
            found = self._services.get(tenant)
            if found is None:
                found = self.build(tenant)
                if found is not None:
                    self._services[tenant] = found
        return found

    def handle(self, method: str, target: str, headers: Headers | None = None, body: bytes = b"") -> Response:
        """Answer one request in its tenant's service (sans-IO, as :meth:`scimcore.Service.handle`)."""
        try:
            tenant, inner, principal = self._resolve(method, target, headers)
            service = self.service(tenant) if TENANT_NAME.fullmatch(tenant) else None
            if service is None:
                raise NotFound("no such endpoint")
        except ScimError as error:
            return error_response(error)
        token = _PRINCIPAL.set(principal)
        try:
            return service.handle(method, inner, headers, body)
        finally:
            _PRINCIPAL.reset(token)

    def _resolve(self, method: str, target: str, headers: Headers | None) -> tuple[str, str, Any]:
        """``(tenant, target inside the tenant, principal)``."""
        path, segments, query = split_target(target)
        inner = target
        path_tenant = None
        if self.path_prefix:
            if not segments:
                raise NotFound("no tenant in the path")
            path_tenant = segments[0]
            inner = "/" + path.lstrip("/").partition("/")[2] + target[len(path) :]
        principal = None
        if self.authenticate is not None and self.tenant_of is not None:
            request = Request(str(method).upper(), path, segments, query, lower_headers(headers), b"")
            principal = self.authenticate(request)
            if principal is None:
                detail = "missing credentials" if "authorization" not in request.headers else "invalid credentials"
                raise Unauthorized(detail, challenge=self.challenge)
            tenant = self.tenant_of(principal)
            if tenant is None or (path_tenant is not None and tenant != path_tenant):
                raise NotFound("no such endpoint")  # the same answer as a tenant that does not exist
            return tenant, inner, principal
        assert path_tenant is not None
        return path_tenant, inner, principal
