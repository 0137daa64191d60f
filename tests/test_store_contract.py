"""The store contract suite (``scimcore.testing.StoreContract``) against every store scimcore ships: the native
and pure-Python ``Directory``, ``SqlDirectory`` on SQLite and on PostgreSQL. The same cases, the same statuses,
``scimType``s and messages (``exact_messages``), in every store.

The PostgreSQL half needs a server (``source .ci/postgres.sh`` exports ``SCIMCORE_PG_DSN``): skipped without
one on a developer machine, a failure when ``CI`` is set.
"""

from __future__ import annotations

import os
import sqlite3
import uuid

import pytest

import scimcore
from scimcore.store.native import native_module
from scimcore.testing import StoreContract


class TestNativeDirectory(StoreContract):
    def make_store(self, resource_type):
        if native_module() is None:
            if os.environ.get("CI"):
                pytest.fail("CI is set but scimcore._native is not built")
            pytest.skip("scimcore._native is not built here")
        return scimcore.Directory(resource_type, backend="native")


class TestPythonDirectory(StoreContract):
    def make_store(self, resource_type):
        return scimcore.Directory(resource_type, backend="python")


class TestSqliteDirectory(StoreContract):
    """A SQLite file: the threads of the concurrency case each open their own connection to it."""

    @pytest.fixture(autouse=True)
    def _path(self, tmp_path):
        self.path = str(tmp_path / "store.db")
        self.opened: list[sqlite3.Connection] = []
        yield
        for connection in self.opened:
            connection.close()

    def make_store(self, resource_type):
        return self._open(resource_type)

    def _open(self, resource_type):
        connection = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self.opened.append(connection)
        return scimcore.SqlDirectory(connection, resource_type, table=f"scim_{resource_type.lower()}")

    def store_for_thread(self, store):
        return self._open(store.resource_type)


class TestPostgresqlDirectory(StoreContract):
    """A fresh table per case; the threads of the concurrency case each open their own connection."""

    @pytest.fixture(autouse=True)
    def _server(self):
        dsn = os.environ.get("SCIMCORE_PG_DSN")
        if not dsn:
            if os.environ.get("CI"):
                pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
            pytest.skip("no PostgreSQL server (set SCIMCORE_PG_DSN, e.g. `source .ci/postgres.sh`)")
        import psycopg

        self.connect = lambda: psycopg.connect(dsn)
        self.opened: list = []
        self.tables: list[str] = []
        yield
        for connection in self.opened:
            connection.close()
        with self.connect() as connection:
            for table in self.tables:
                connection.execute(f"DROP TABLE IF EXISTS {table}")

    def make_store(self, resource_type):
        table = f"t_{uuid.uuid4().hex[:16]}"
        self.tables.append(table)
        return self._open(resource_type, table)

    def _open(self, resource_type, table):
        connection = self.connect()
        self.opened.append(connection)
        return scimcore.SqlDirectory(connection, resource_type, table=table)

    def store_for_thread(self, store):
        return self._open(store.resource_type, store.table)


# -- the suite can fail: stores that break the contract are caught ----------------------------------------------


class _LeakyDirectory(scimcore.Directory):
    """Returns the password on every get: the secrets case must fail."""

    def get(self, resource_id, **kwargs):
        return super().get(resource_id, reveal=["password"], **kwargs)


class _CarelessDirectory(scimcore.Directory):
    """Ignores If-Match: the conditional-writes and the threads cases must fail."""

    def replace(self, resource_id, resource, *, version=None):
        return super().replace(resource_id, resource)

    def patch(self, resource_id, patch, *, version=None, check=None, policy=None):
        return super().patch(resource_id, patch, check=check, policy=policy)

    def delete(self, resource_id, *, version=None):
        return super().delete(resource_id)


class _Suite(StoreContract):
    def __init__(self, kind):
        self.kind = kind

    def make_store(self, resource_type):
        return self.kind(resource_type, backend="python")


@pytest.mark.parametrize(
    ("kind", "case"),
    [
        (_LeakyDirectory, "test_never_returned_attributes_never_leave_the_store"),
        (_CarelessDirectory, "test_conditional_writes"),
    ],
)
def test_the_suite_catches_a_broken_store(kind, case):
    getattr(_Suite(scimcore.Directory), case)()  # the real store passes
    with pytest.raises(AssertionError):
        getattr(_Suite(kind), case)()


# -- the same words in every store ---------------------------------------------------------------------------


def _stores(tmp_path):
    stores = {
        "python": scimcore.Directory("User", backend="python"),
        "sqlite": scimcore.SqlDirectory(str(tmp_path / "words.db")),
    }
    if native_module() is not None:
        stores["native"] = scimcore.Directory("User", backend="native")
    dsn = os.environ.get("SCIMCORE_PG_DSN")
    if dsn:
        import psycopg

        stores["postgresql"] = scimcore.SqlDirectory(psycopg.connect(dsn), table=f"t_{uuid.uuid4().hex[:16]}")
    return stores


def _outcome(call):
    try:
        call()
    except scimcore.ScimError as error:
        return (error.status, error.scim_type, error.detail)
    return None


def _bad_requests(store):
    """Requests every store refuses (after the two users of the test below are loaded)."""
    return [
        lambda: store.add({"userName": "BJENSEN"}),
        lambda: store.load([{"id": "u1", "userName": "x"}]),
        lambda: store.replace("u2", {"userName": "Bjensen"}),
        lambda: store.patch("u2", [{"op": "replace", "path": "userName", "value": "bJensen"}]),
        lambda: store.get("nope"),
        lambda: store.delete("nope"),
        lambda: store.replace("u1", {"userName": "bjensen"}, version='W/"zz"'),
        lambda: store.delete("u1", version=['W/"x"', 'W/"y"']),
        lambda: store.patch("u1", [{"op": "replace", "path": "id", "value": "x"}]),
        lambda: store.patch("u1", [{"op": "bogus", "path": "title", "value": "x"}]),
        lambda: store.search(filter="userName eq"),
        lambda: store.search(filter='nosuch eq "x"'),
        lambda: store.search(sort_order="sideways"),
        lambda: store.search(count="many"),
        lambda: store.set_derived("u1", {"userName": "x"}),
    ]


def test_every_store_answers_bad_requests_alike(tmp_path):
    """Each bad request gives the same (status, scimType, detail) in every store; ids are fixed (imported)."""
    stores = _stores(tmp_path)
    outcomes = {}
    try:
        for name, store in stores.items():
            store.load(
                [
                    {"id": "u1", "userName": "bjensen", "meta": {"version": 'W/"a1"'}},
                    {"id": "u2", "userName": "other", "meta": {"version": 'W/"a2"'}},
                ]
            )
            outcomes[name] = [_outcome(call) for call in _bad_requests(store)]
    finally:
        if "postgresql" in stores:
            connection = stores["postgresql"].connection
            connection.rollback()
            connection.execute(f"DROP TABLE IF EXISTS {stores['postgresql'].table}")
            connection.commit()
            connection.close()
    reference = outcomes["python"]
    assert all(outcome is not None for outcome in reference), reference
    assert reference[0] == (409, "uniqueness", 'userName "BJENSEN" is already taken by another resource')
    assert reference[4] == (404, None, 'resource "nope" not found')
    assert reference[6] == (412, None, 'resource "u1" is at version W/"a1", not W/"zz"')
    for name, outcome in outcomes.items():
        assert outcome == reference, name
