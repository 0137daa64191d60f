"""``scimcore.asgi_app(service)``: the service as an ASGI 3 application (``http`` scope).

Mountable in Starlette and FastAPI (``app.mount("/scim/v2", asgi_app(service))``): it routes on the scope's
``path`` below its ``root_path``. The body is read up to the service's limit (beyond it: 413 without reading
further). ``Service.handle`` runs in a worker thread (``asyncio.to_thread``), so stores that block (SQLite,
PostgreSQL, a server's own database) never block the event loop. ``lifespan`` events are acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from ..errors import ScimError
from .http import error_response
from .service import Service

__all__ = ["asgi_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def asgi_app(service: Service) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI 3 application serving ``service``."""
    limit = max(service.limits.max_body_bytes, service.limits.bulk_max_payload_size)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise RuntimeError(f"scimcore.asgi_app serves http, not {scope['type']!r}")
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope.get("headers", ())]
        body, too_long = await _read_body(receive, limit)
        if too_long:
            response = error_response(ScimError(f"the request body is over the limit ({limit} bytes)", status=413))
        else:
            path = _target_path(scope)
            query = scope.get("query_string", b"").decode("latin-1")
            target = f"{path}?{query}" if query else path
            response = await asyncio.to_thread(service.handle, scope.get("method", "GET"), target, headers, body)
        out = [(name.lower().encode("latin-1"), value.encode("utf-8")) for name, value in response.headers]
        out.append((b"content-length", str(len(response.body)).encode("ascii")))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": response.body})

    return app


def _target_path(scope: Scope) -> str:
    """The path below ``root_path``, still percent-encoded (``Service.handle`` decodes each segment once).

    ``raw_path`` (the bytes the client sent) is used when the server gives it, so that an encoded ``/`` or
    ``%`` inside an id survives; otherwise the decoded ``path`` is encoded again."""
    root = scope.get("root_path") or ""
    raw = scope.get("raw_path")
    if raw:
        text = raw.decode("utf-8", "replace").partition("?")[0]
        depth = len([part for part in root.split("/") if part])
        parts = text.split("/")
        kept: list[str] = []
        for part in parts:
            if part and depth > 0:
                depth -= 1
                continue
            kept.append(part)
        joined = "/".join(kept)
        return joined if joined.startswith("/") else "/" + joined
    path = scope.get("path") or "/"
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return quote(path, safe="/:@!$&'()*+,;=-._~")


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False
