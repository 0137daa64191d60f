"""Fixtures of the protocol layer's unit tests: a service over each store, and a small client for it.

``service_factory(**options)`` builds ``scimcore.Service`` over fresh User and Group stores of the kind under
test: the in-memory ``Directory`` (native when built, and the pure-Python backend), ``SqlDirectory`` on SQLite,
and on PostgreSQL when ``SCIMCORE_PG_DSN`` is set (``.ci/postgres.sh``; skipped without it, failed under ``CI``).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import scimcore

from .service_helpers import BASE, Client

STORES = ("memory", "python", "sqlite", "postgresql")


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not os.environ.get("SCIMCORE_PG_DSN"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("SCIMCORE_PG_DSN is not set (source .ci/postgres.sh)")
    return request.param


@pytest.fixture
def make_store(store_kind: str) -> Iterator[Callable[[str], Any]]:
    """``make_store("User")``: a fresh, empty store of the kind under test."""
    closing: list[Any] = []

    def make(resource_type: str) -> Any:
        if store_kind == "memory":
            return scimcore.Directory(resource_type)
        if store_kind == "python":
            return scimcore.Directory(resource_type, backend="python")
        if store_kind == "sqlite":
            connection = sqlite3.connect(":memory:", check_same_thread=False)
            closing.append(connection.close)
            return scimcore.SqlDirectory(connection, resource_type)
        import psycopg

        connection = psycopg.connect(os.environ["SCIMCORE_PG_DSN"], autocommit=True)
        closing.append(connection.close)
        table = f"svc_{resource_type.lower()}_{uuid.uuid4().hex[:12]}"
        store = scimcore.SqlDirectory(connection, resource_type, table=table)
        closing.append(lambda: connection.execute(f"DROP TABLE IF EXISTS {table}"))
        return store

    yield make
    for item in reversed(closing):
        item()


@pytest.fixture
def service_factory(make_store: Callable[[str], Any]) -> Callable[..., scimcore.Service]:
    def build(**options: Any) -> scimcore.Service:
        options.setdefault("base_url", BASE)
        return scimcore.Service({"User": make_store("User"), "Group": make_store("Group")}, **options)

    return build


@pytest.fixture
def client(service_factory: Callable[..., scimcore.Service]) -> Client:
    return Client(service_factory())


@pytest.fixture
def memory_client() -> Client:
    """A service over in-memory stores only (for tests of the HTTP surface, the same on every store)."""
    return Client(
        scimcore.Service({"User": scimcore.Directory("User"), "Group": scimcore.Directory("Group")}, base_url=BASE)
    )
