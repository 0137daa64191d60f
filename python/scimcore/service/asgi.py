"""``scimcore.asgi_app(service)``: the service as an ASGI 3 application (``http`` scope).

Mountable in Starlette and FastAPI (``app.mount("/scim/v2", asgi_app(service))``): it routes on the scope's
``path`` below its ``root_path``. The body is framed by :mod:`.body`: a ``Content-Length`` over the service's
limit is 413 before anything is read, a body without one is counted and refused at the limit, and a client that
disconnects before its body is complete gets nothing handled. ``Service.handle`` runs in a worker thread
(``asyncio.to_thread``), so stores that block (SQLite, PostgreSQL, a server's own database) never block the event
loop. ``lifespan`` events are acknowledged. The scope's ``client`` host is the caller for the
failed-authentication limit (:mod:`.auth`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from ..errors import ScimError
from .auth import PEER
from .body import ClientGone, Handler, body_limit, declared_length, header_value, too_large
from .http import Response, error_response

__all__ = ["asgi_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def asgi_app(service: Handler) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI 3 application serving ``service``."""
    limit = body_limit(service)

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
        response: Response | None
        try:
            body = await _read_body(receive, _declared(headers, limit), limit)
        except ScimError as error:
            response = error_response(error)
        except ClientGone:
            return  # nobody to answer, and nothing was handled
        else:
            path = _target_path(scope)
            query = scope.get("query_string", b"").decode("latin-1")
            target = f"{path}?{query}" if query else path
            client = scope.get("client")
            token = PEER.set(str(client[0]) if client else None)
            try:
                response = await asyncio.to_thread(service.handle, scope.get("method", "GET"), target, headers, body)
            finally:
                PEER.reset(token)
        out = [(name.lower().encode("latin-1"), header_value(value).encode()) for name, value in response.headers]
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


def _declared(headers: list[tuple[str, str]], limit: int) -> int | None:
    """The length the request headers declare (:func:`.body.declared_length`); ``None`` (counted) without
    either header, as HTTP/2 allows."""
    found: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in ("content-length", "transfer-encoding"):
            found[key] = f"{found[key]},{value}" if key in found else value
    if not found:
        return None
    return declared_length(found.get("content-length"), found.get("transfer-encoding"), limit)


async def _read_body(receive: Receive, length: int | None, limit: int) -> bytes:
    """The body from ``http.request`` messages: counted against ``limit`` (413 past it, without reading on);
    :class:`ClientGone` on ``http.disconnect`` or a body shorter than its ``Content-Length``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone("the client disconnected before its body was complete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        if length is not None and size > length:
            raise ScimError(f"the body is longer than its Content-Length ({length} bytes)")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if length is not None and size < length:
        raise ClientGone(f"the body ended after {size} of {length} bytes")
    return b"".join(chunks)
