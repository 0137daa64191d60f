"""The WSGI and ASGI adapters give the responses ``Service.handle`` gives, wherever they are mounted, and the ASGI
one keeps blocking stores off the event loop (PEP 3333; ASGI 3; docs/serving.md).
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

import scimcore

from .conftest import AUTH, MOUNT, TOKEN, Reply, call, make_service, wsgi_call
from .test_no_500 import asgi_call

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CT = [("Content-Type", "application/scim+json")]


class RecordingStore:
    """A store that records the thread each call runs in (and otherwise is the store it wraps)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.threads: set[int] = set()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.threads.add(threading.get_ident())
            return attribute(*args, **kwargs)

        return recorded

    def __len__(self) -> int:
        return len(self._store)


def test_asgi_runs_the_stores_off_the_event_loop() -> None:
    users = RecordingStore(scimcore.Directory("User"))
    service = scimcore.Service({"User": users, "Group": scimcore.Directory("Group")}, base_url="https://x/scim/v2")
    app = scimcore.asgi_app(service)
    loop_threads: set[int] = set()

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        loop_threads.add(threading.get_ident())
        await app(scope, receive, send)

    body = json.dumps({"schemas": [USER], "userName": "ada"}).encode()
    created = asgi_call(probe, "POST", "/Users", "", CT, body)
    assert created.status == 201
    assert asgi_call(probe, "GET", "/Users", "", [], b"").status == 200
    assert users.threads and loop_threads and not users.threads & loop_threads


def _requests(uid: str) -> list[tuple[str, str, str, list[tuple[str, str]], bytes]]:
    user = json.dumps({"schemas": [USER], "userName": "bob"}).encode()
    return [
        ("GET", f"/Users/{uid}", "", AUTH, b""),
        ("GET", "/Users", "filter=userName%20eq%20%22ada%22&attributes=userName", AUTH, b""),
        ("GET", "/Users/%E2%82%AC", "", AUTH, b""),
        ("POST", "/Users", "", [*AUTH, *CT], user),
        ("DELETE", "/ServiceProviderConfig", "", AUTH, b""),
        ("GET", "/Users", "", [], b""),
        ("POST", "/Users", "", [*AUTH, ("Content-Type", "text/plain")], b"x"),
    ]


def _undo(service: Any, reply: Reply) -> None:
    """Delete what a POST created, so that the next one of the same user does not conflict."""
    if reply.status == 201:
        assert call(service, "DELETE", f"/Users/{json.loads(reply.body)['id']}").status == 204


def _comparable(reply: Reply) -> tuple[int, list[tuple[str, str]], Any]:
    headers = sorted((k.lower(), v) for k, v in reply.headers if k.lower() != "content-length")
    headers = [(k, v) for k, v in headers if k not in ("location", "etag")]
    document = json.loads(reply.body) if reply.body else None
    if isinstance(document, dict):
        document.pop("id", None)
        document.pop("meta", None)
    return reply.status, headers, document


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
def test_adapters_answer_as_handle_does(storage, adapter: str) -> None:
    direct, adapted = make_service(storage), make_service(storage)
    uid = call(direct, "POST", "/Users", {"schemas": [USER], "userName": "ada"}).json()["id"]
    wsgi, asgi = scimcore.wsgi_app(adapted), scimcore.asgi_app(adapted)
    for method, path, query, headers, body in _requests(uid):
        target = f"{path}?{query}" if query else path
        response = direct.handle(method, target, headers, body)
        expected = Reply(response.status, list(response.headers), bytes(response.body))
        _undo(direct, expected)
        if adapter == "wsgi":
            from urllib.parse import unquote_to_bytes

            got = wsgi_call(wsgi, method, unquote_to_bytes(path).decode("latin-1"), query, headers, body)
        else:
            got = asgi_call(asgi, method, path, query, headers, body)
        _undo(direct, got)
        assert _comparable(got) == _comparable(expected), (adapter, method, path)
        assert int(got.header("Content-Length") or len(got.body)) == len(got.body)


def test_asgi_under_a_root_path() -> None:
    """A framework that mounts the app gives ``root_path`` and the full ``path`` (ASGI 3 http scope)."""
    service = scimcore.Service(
        {"User": scimcore.Directory("User"), "Group": scimcore.Directory("Group")},
        base_url=f"https://scim.example.com{MOUNT}",
        authenticate=scimcore.bearer_token(TOKEN),
    )
    app = scimcore.asgi_app(service)

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "root_path": MOUNT, "path": MOUNT + scope["path"], "raw_path": None}, receive, send)

    reply = asgi_call(mounted, "GET", "/ServiceProviderConfig", "", AUTH, b"")
    assert reply.status == 200, reply.body
    assert json.loads(reply.body)["meta"]["location"] == f"https://scim.example.com{MOUNT}/ServiceProviderConfig"


def test_asgi_lifespan_is_acknowledged() -> None:
    app = scimcore.asgi_app(scimcore.Service({"User": scimcore.Directory("User")}, base_url="https://x"))
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_concurrent_asgi_requests_on_one_service(storage) -> None:
    """Requests in flight together run in worker threads over the same stores: none fails, none is lost."""
    service = make_service(storage)
    app = scimcore.asgi_app(service)

    async def one(n: int) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": "/Users",
            "raw_path": b"/Users",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"authorization", f"Bearer {TOKEN}".encode()), (b"content-type", b"application/scim+json")],
        }
        body = json.dumps({"schemas": [USER], "userName": f"user{n:02d}"}).encode()
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        return status[0]

    async def all_of_them() -> list[int]:
        return await asyncio.gather(*(one(n) for n in range(16)))

    assert asyncio.run(all_of_them()) == [201] * 16
    page = call(service, "GET", "/Users?count=100").json()
    assert page["totalResults"] == 16
    assert sorted(r["userName"] for r in page["Resources"]) == [f"user{n:02d}" for n in range(16)]
