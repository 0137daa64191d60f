"""The service under test, over every store (RFC 7644 §3; docs/semantics.md §Protocol, §Stores).

The ``storage`` fixture is parametrised over ``"memory"`` (``Directory``), ``"sqlite"`` and ``"postgresql"``
(``SqlDirectory``). PostgreSQL needs a server: ``source .ci/postgres.sh`` exports ``SCIMCORE_PG_DSN``. Without it
the PostgreSQL cases are skipped on a developer machine and FAIL when the environment variable ``CI`` is set, so
that a missing server cannot pass as a skip.

``Storage`` builds the stores of one test: ``stores()`` gives the ``{"User": ..., "Group": ...}`` mapping a
``scimcore.Service`` takes, and for the SQL stores every call opens a new connection to the same database, the
way several server workers share one database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

import scimcore

STORE_KINDS = ("memory", "sqlite", "postgresql")
BASE_URL = "https://scim.example.com/scim/v2"
"""The URL the service is mounted at in these tests (``meta.location``, ``Location``, ``$ref``)."""
MOUNT = urlsplit(BASE_URL).path
TOKEN = "s3cret-token"
AUTH = [("Authorization", f"Bearer {TOKEN}")]
SCIM_JSON = "application/scim+json"


def pg_dsn() -> str:
    """The PostgreSQL DSN, or skip (developer machine) / fail (CI) without one."""
    dsn = os.environ.get("SCIMCORE_PG_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("no PostgreSQL server (set SCIMCORE_PG_DSN, e.g. `source .ci/postgres.sh`)")
    return dsn


@dataclass
class Storage:
    """The stores of one test, all of one kind, in a database of their own."""

    kind: str
    tmp_path: Path
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _connections: list[Any] = field(default_factory=list)
    _memory: dict[str, Any] | None = None

    def _connect(self) -> Any:
        if self.kind == "sqlite":
            connection: Any = sqlite3.connect(self.tmp_path / "scim.db", timeout=60, check_same_thread=False)
        else:
            import psycopg

            connection = psycopg.connect(pg_dsn())
        self._connections.append(connection)
        return connection

    def stores(self, types: Sequence[str] = ("User", "Group")) -> dict[str, Any]:
        """``{type: store}``; the memory stores are created once, the SQL ones on a new connection each call."""
        if self.kind == "memory":
            if self._memory is None:
                self._memory = {name: scimcore.Directory(name) for name in types}
            return self._memory
        connection = self._connect()
        return {
            name: scimcore.SqlDirectory(connection, name, table=f"scim_{name.lower()}_{self.suffix}") for name in types
        }

    def close(self) -> None:
        for connection in self._connections:
            if self.kind == "postgresql":
                connection.rollback()
        if self.kind == "postgresql" and self._connections:
            connection = self._connections[0]
            for name in ("user", "group"):
                connection.execute(f"DROP TABLE IF EXISTS scim_{name}_{self.suffix}")
            connection.commit()
        for connection in self._connections:
            connection.close()


@pytest.fixture(params=STORE_KINDS)
def storage(request, tmp_path) -> Iterator[Storage]:
    """The stores of the test, of each kind in turn."""
    if request.param == "postgresql":
        pg_dsn()
    built = Storage(request.param, tmp_path)
    yield built
    built.close()


def make_service(storage: Storage, **options: Any) -> Any:
    """A ``scimcore.Service`` over the storage's stores, at ``BASE_URL``, with bearer-token authentication."""
    options.setdefault("authenticate", scimcore.bearer_token(TOKEN))
    return scimcore.Service(storage.stores(), base_url=BASE_URL, **options)


@pytest.fixture
def service(storage) -> Any:
    return make_service(storage)


@dataclass
class Reply:
    """A response as the tests read it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    service: Any,
    method: str,
    target: str,
    body: Any = None,
    headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    *,
    auth: bool = True,
) -> Reply:
    """``service.handle`` with a JSON body (a dict/list is encoded, bytes are sent as they are) and the token."""
    sent = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if auth:
        sent += AUTH
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k, _ in sent):
            sent.append(("Content-Type", SCIM_JSON))
    path, mark, query = target.partition("?")
    target = path + mark + quote(query, safe="=&%")
    response = service.handle(method, target, sent, body if body is not None else b"")
    return Reply(response.status, list(response.headers), bytes(response.body))


def assert_scim_error(reply: Reply, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The reply is an RFC 7644 §3.12 Error with this status (as a string) and ``scimType``."""
    assert reply.status == status, (reply.status, reply.body[:500])
    error = reply.json()
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"], error
    assert error["status"] == str(status), error
    if scim_type is not None:
        assert error.get("scimType") == scim_type, error
    return error


def wsgi_mounted(app: Any, prefix: str = MOUNT) -> Any:
    """``app`` mounted below ``prefix``: the prefix moves from PATH_INFO to SCRIPT_NAME (PEP 3333)."""

    def mounted(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == prefix or path.startswith(prefix + "/"):
            environ = {
                **environ,
                "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + prefix,
                "PATH_INFO": path[len(prefix) :],
            }
            return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not mounted here"]

    return mounted


def wsgi_call(
    app: Any,
    method: str,
    path: str,
    query: str = "",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    script_name: str = MOUNT,
) -> Reply:
    """One request through a WSGI application mounted at ``script_name`` (PEP 3333), without a server."""
    import io

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "scim.example.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [(status, response_headers)]
        return lambda data: None

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert started, "the application did not call start_response"
    status, response_headers = started[0]
    return Reply(int(status.split(" ", 1)[0]), list(response_headers), content)
