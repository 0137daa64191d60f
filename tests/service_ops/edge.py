"""Helpers of the operations tests: call ``wsgi_app`` / ``asgi_app`` directly with raw requests (no server)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from typing import Any

import msgspec

import scimcore

BASE = "https://example.com/scim/v2"


def memory_service(**options: Any) -> scimcore.Service:
    options.setdefault("base_url", BASE)
    return scimcore.Service({"User": scimcore.Directory("User"), "Group": scimcore.Directory("Group")}, **options)


class CountingInput(io.BytesIO):
    """A ``wsgi.input`` that records how many bytes were read."""

    def __init__(self, data: bytes, *, stop_after: int | None = None) -> None:
        super().__init__(data if stop_after is None else data[:stop_after])
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def call_wsgi(
    app: Any,
    method: str,
    path: str,
    *,
    query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    stream: CountingInput | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[int | None, dict[str, str], bytes]:
    """One request through a WSGI app: ``(status, headers by lower-cased name, body)`` (the status typed as
    :func:`call_asgi`'s, so that tests compare both with the same variables)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": stream if stream is not None else CountingInput(body),
        "wsgi.url_scheme": "http",
    }
    if body and stream is None:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "application/scim+json"
    for name, value in headers:
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{key}"] = value
    environ.update(extra or {})
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        for _name, value in response_headers:
            assert "\r" not in value and "\n" not in value and "\x00" not in value
        seen["status"] = int(status.split()[0])
        seen["headers"] = {name.lower(): value for name, value in response_headers}

    out = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], out


def call_asgi(
    app: Any,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
    chunks: Iterable[bytes] = (),
    disconnect: bool = False,
    raw_path: bytes | None = None,
) -> tuple[int | None, dict[str, str], bytes, int]:
    """One request through an ASGI app: ``(status or None if nothing was sent, headers, body, chunks read)``."""
    pending = list(chunks)
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": index < len(pending) - 1 or disconnect}
        for index, chunk in enumerate(pending)
    ]
    if not messages:
        messages.append({"type": "http.request", "body": b"", "more_body": disconnect})
    if disconnect:
        messages.append({"type": "http.disconnect"})
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(messages):
            read += 1
            return messages[read - 1]
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "root_path": "",
        "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        "client": ("127.0.0.1", 5000),
    }
    if raw_path is not None:
        scope["raw_path"] = raw_path
    asyncio.run(app(scope, receive, send))
    if not sent:
        return None, {}, b"", read
    start = sent[0]
    found = {name.decode("latin-1"): value.decode("utf-8") for name, value in start["headers"]}
    for value in found.values():
        assert "\r" not in value and "\n" not in value and "\x00" not in value
    return start["status"], found, b"".join(m.get("body", b"") for m in sent[1:]), read


def assert_scim_error(status: int | None, body: bytes, expected: int | None = None) -> dict[str, Any]:
    """A clean SCIM Error: not a 500, an RFC 7644 §3.12 body, no traceback."""
    assert status is not None and 400 <= status < 600 and status != 500, status
    assert b"Traceback" not in body
    document = msgspec.json.decode(body)
    assert document["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert document["status"] == str(status)
    if expected is not None:
        assert status == expected, document
    return document
