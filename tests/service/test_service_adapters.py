"""The adapters: ``wsgi_app`` (PEP 3333) and ``asgi_app`` (ASGI 3), mounted below a prefix."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import httpx

import scimcore

from .service_helpers import BASE


def _service(**options: Any) -> scimcore.Service:
    options.setdefault("base_url", BASE)
    return scimcore.Service({"User": scimcore.Directory("User"), "Group": scimcore.Directory("Group")}, **options)


def _call_wsgi(
    app: Any, method: str, path: str, body: bytes = b"", **environ: Any
) -> tuple[str, dict[str, str], bytes]:
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "/scim/v2",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/scim+json" if body else "",
        "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": "example.com",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        **environ,
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, {k.lower(): v for k, v in headers}

    chunks = app(env, start_response)
    return seen["status"], seen["headers"], b"".join(chunks)


def test_wsgi_routes_on_path_info_below_script_name() -> None:
    app = scimcore.wsgi_app(_service())
    status, headers, body = _call_wsgi(app, "POST", "/Users", b'{"userName": "wsgi"}')
    assert status == "201 Created"
    assert headers["content-type"] == "application/scim+json"
    assert headers["content-length"] == str(len(body))
    created = json.loads(body)
    status, headers, body = _call_wsgi(app, "GET", "/Users?filter=userName%20eq%20%22wsgi%22")
    assert status == "200 OK" and json.loads(body)["Resources"][0]["id"] == created["id"]
    status, headers, _ = _call_wsgi(
        app, "GET", f"/Users/{created['id']}", HTTP_IF_NONE_MATCH=created["meta"]["version"]
    )
    assert status == "304 Not Modified"
    status, _, body = _call_wsgi(app, "DELETE", "/Users")
    assert status == "405 Method Not Allowed"


def test_wsgi_passes_headers_and_refuses_oversized_bodies_unread() -> None:
    app = scimcore.wsgi_app(
        _service(authenticate=scimcore.bearer_token("t"), max_body_bytes=50, bulk_max_payload_size=50)
    )
    assert _call_wsgi(app, "GET", "/Users")[0].startswith("401")
    assert _call_wsgi(app, "GET", "/Users", HTTP_AUTHORIZATION="Bearer t")[0] == "200 OK"

    class Exploding(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the body was read")

    status, _, body = _call_wsgi(
        app, "POST", "/Users", HTTP_AUTHORIZATION="Bearer t", CONTENT_LENGTH="1000000", **{"wsgi.input": Exploding()}
    )
    assert status.startswith("413") and json.loads(body)["status"] == "413"
    assert _call_wsgi(app, "POST", "/Users", CONTENT_LENGTH="abc")[0].startswith("400")


def test_wsgi_through_werkzeug_test_client() -> None:
    from werkzeug.test import Client

    client = Client(scimcore.wsgi_app(_service()))
    response = client.post("/Users", data=b'{"userName": "wz"}', content_type="application/scim+json")
    assert response.status_code == 201
    assert response.headers["Location"].startswith(f"{BASE}/Users/")


def test_asgi_in_a_starlette_mount() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    app = Starlette(routes=[Mount("/scim/v2", app=scimcore.asgi_app(_service()))])

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://example.com") as client:
            response = await client.post(
                "/scim/v2/Users", content=b'{"userName": "asgi"}', headers={"content-type": "application/scim+json"}
            )
            assert response.status_code == 201, response.text
            assert response.headers["content-type"] == "application/scim+json"
            created = response.json()
            response = await client.get(f"/scim/v2/Users/{created['id']}?attributes=userName")
            assert response.json() == {"id": created["id"], "schemas": created["schemas"], "userName": "asgi"}
            response = await client.get("/scim/v2/Nope")
            assert response.status_code == 404 and response.json()["status"] == "404"

    asyncio.run(run())


def test_asgi_runs_blocking_stores_off_the_event_loop() -> None:
    service = _service()
    loop_thread: list[int] = []
    store_threads: list[int] = []
    original = service.stores["User"].get

    def spying_get(*args: Any, **kwargs: Any) -> Any:
        store_threads.append(threading.get_ident())
        return original(*args, **kwargs)

    service.stores["User"].get = spying_get  # type: ignore[method-assign]
    app = scimcore.asgi_app(service)

    async def run() -> None:
        loop_thread.append(threading.get_ident())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/Users", content=b'{"userName": "off"}')
            await client.get(f"/Users/{response.json()['id']}")

    asyncio.run(run())
    assert store_threads and loop_thread[0] not in store_threads


def test_asgi_refuses_oversized_bodies() -> None:
    app = scimcore.asgi_app(_service(max_body_bytes=50, bulk_max_payload_size=50))

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/Users", content=b"x" * 1000)

    response = asyncio.run(run())
    assert response.status_code == 413 and response.json()["status"] == "413"


def test_asgi_acknowledges_lifespan() -> None:
    app = scimcore.asgi_app(_service())
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_asgi_decodes_each_path_segment_once() -> None:
    from scimcore.service.asgi import _target_path

    assert _target_path(
        {"raw_path": b"/scim/v2/Users/a%2Fb", "root_path": "/scim/v2", "path": "/scim/v2/Users/a/b"}
    ) == ("/Users/a%2Fb")
    assert _target_path({"raw_path": b"/Users/x?y=1", "path": "/Users/x"}) == "/Users/x"
    assert _target_path({"path": "/scim/v2/Users/100%", "root_path": "/scim/v2"}) == "/Users/100%25"
    assert _target_path({"raw_path": b"/scim/v2", "root_path": "/scim/v2", "path": "/scim/v2"}) == "/"


def test_wsgi_decodes_the_path_once() -> None:
    from scimcore.service.wsgi import _path

    assert _path("/Users/100%") == "/Users/100%25"
    assert _path("/Users/caf\xc3\xa9") == "/Users/caf%C3%A9"  # UTF-8 bytes seen as latin-1 (PEP 3333)
