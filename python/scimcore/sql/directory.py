"""``SqlDirectory``: the ``scimcore.Store`` contract on SQLite (standard library) or PostgreSQL (psycopg 3).

The contract's rules live once in :class:`scimcore.store.front.StoreFront`; this module is its SQL memory. One
table per store::

    seq      insertion order (the order of an unsorted search)
    id       the resource id (unique)
    etag     the resource's meta.version: what a compare-and-set write compares (UPDATE ... WHERE etag = ?)
    data     the resource as JSON (SQLite text, PostgreSQL jsonb)
    search   its search document (scimcore.sql.document): case folded, canonical instants

Filters run in SQL through :func:`scimcore.sql.to_sql` on ``search`` (exact: the folding is done in Python at
write time); sorting and paging run in SQL (RFC 7644 §3.4.2.3-§3.4.2.4, docs/semantics.md §Query); projection
runs in the front on the returned page. Attributes with ``uniqueness`` server/global (``userName``) get a unique
expression index on their folded value (409 ``uniqueness``), and ``externalId`` an index, so that ``eq``
lookups on them are index lookups. One ``SqlDirectory`` may be shared by threads: it uses its connection under
a lock (a SQLite file opened here is opened for that).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from ..errors import InvalidValue, ScimError, Uniqueness
from ..policy import Policy
from ..query import MAX_RESULTS, QueryParameters, resolve_sort
from ..store.front import StoreFront, id_taken, taken, version_of
from ..store.members import MembersBackend
from .dialects import DIALECTS, Node, check_identifier
from .document import register_sqlite_functions, search_document
from .members import SqlRelation
from .translate import order_by_sql, to_sql

__all__ = ["SqlDirectory"]

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


class SqlDirectory(StoreFront):
    """A store of resources of one type in a SQL table, with SCIM search (RFC 7644 §3.4.2) in SQL.

    ``connection``: a ``sqlite3.Connection``, a path to a SQLite file (opened here), or a psycopg 3
    connection. ``table`` (default ``scim_<resource type>``) and its indexes are created if missing. The other
    options are those of ``scimcore.Directory``; resources are always validated (:func:`scimcore.normalize`),
    since their search documents need the schema's attribute names.
    """

    def __init__(
        self,
        connection: Any,
        resource_type: str = "User",
        *,
        registry: Any = None,
        policy: Policy | None = None,
        table: str | None = None,
        max_results: int | None = MAX_RESULTS,
        base_url: str | None = None,
    ) -> None:
        if registry is None:
            from ..schema.default import registry
        name = registry.resource_type(resource_type).name
        policy = policy or Policy()
        self.table_backend = _SqlBackend(connection, registry, name, policy, table)
        backend: Any = self.table_backend
        if "members" in registry.base_attributes(name):  # a group type: members in their own table
            relation = SqlRelation(backend)
            backend = MembersBackend(
                backend,
                relation,
                registry=registry,
                resource_type=name,
                policy=policy,
                transaction=lambda: self.table_backend._transaction(write=True),
            )
            if relation.created:
                backend.adopt()
        super().__init__(
            backend,
            name,
            registry=registry,
            policy=policy,
            max_results=max_results,
            base_url=base_url,
            validate=True,
        )

    @property
    def connection(self) -> Any:
        return self.table_backend.connection

    @property
    def table(self) -> str:
        return self.table_backend.table


class _SqlBackend:
    """The :class:`scimcore.store.front.Backend` of :class:`SqlDirectory`."""

    def __init__(self, connection: Any, registry: Any, resource_type: str, policy: Policy, table: str | None) -> None:
        self.registry = registry
        self.resource_type = resource_type
        self.policy = policy
        if isinstance(connection, (str, Path)):
            connection = sqlite3.connect(connection, timeout=30, check_same_thread=False)
        self.connection = connection
        if isinstance(connection, sqlite3.Connection):
            self.dialect = DIALECTS["sqlite"]
            register_sqlite_functions(connection)
        elif type(connection).__module__.split(".")[0] == "psycopg":
            self.dialect = DIALECTS["postgresql"]
        else:
            raise ScimError(
                "SqlDirectory needs a sqlite3 connection, a SQLite file path or a psycopg connection", status=500
            )
        self.table = check_identifier(table or f"scim_{resource_type.lower()}", "table")
        self._p = self.dialect.placeholder
        self._cast = "::jsonb" if self.dialect.name == "postgresql" else ""
        self._data = "data::text" if self.dialect.name == "postgresql" else "data"
        self._lock = threading.RLock()
        self._create_table()

    # -- schema ---------------------------------------------------------------------------------------------

    def _unique_attributes(self) -> list[str]:
        return [
            a.name
            for a in self.registry.base_attributes(self.resource_type).values()
            if a.uniqueness != "none" and not a.multi_valued and not a.is_complex and a.name != "id"
        ]

    def _create_table(self) -> None:
        t = self.table
        if self.dialect.name == "sqlite":
            columns = "seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, etag TEXT NOT NULL, data TEXT NOT NULL, "
            columns += "search TEXT NOT NULL"
        else:
            columns = "seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, etag TEXT NOT NULL, data JSONB NOT NULL, "
            columns += "search JSONB NOT NULL"
        statements = [f"CREATE TABLE IF NOT EXISTS {t} ({columns})"]
        indexed = [(name, True) for name in self._unique_attributes()]
        if self.registry.base_attributes(self.resource_type).get("externalid") is not None:
            indexed.append(("externalId", False))
        for name, unique in indexed:
            expression = self.dialect.text(Node("search").child(name))
            kind = "UNIQUE INDEX" if unique else "INDEX"
            statements.append(f"CREATE {kind} IF NOT EXISTS {t}_{name.lower()} ON {t} (({expression}))")
        with self._transaction(write=True):
            for statement in statements:
                self.connection.execute(statement)
            present = self._columns()
        if "etag" not in present:
            raise ScimError(
                f"table {t} has no etag column (made by scimcore 0.1, whose version column counted writes): "
                f"recreate it, or ALTER TABLE {t} ADD COLUMN etag TEXT, fill it with each row's data meta.version "
                "and drop the version column",
                status=500,
            )

    def _columns(self) -> set[str]:
        if self.dialect.name == "sqlite":
            return {row[1] for row in self._execute(f"PRAGMA table_info({self.table})").fetchall()}
        rows = self._execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND table_schema = "
            "current_schema()",
            (self.table,),
        ).fetchall()
        return {row[0] for row in rows}

    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[None]:
        """One transaction under the lock (SQLite writes: ``BEGIN IMMEDIATE``, so that writers queue)."""
        conn = self.connection
        with self._lock:
            if self.dialect.name == "postgresql":
                with conn.transaction():
                    yield
                return
            if conn.in_transaction:
                conn.execute("SAVEPOINT scim_write")
                try:
                    yield
                except BaseException:
                    conn.execute("ROLLBACK TO scim_write")
                    raise
                finally:
                    conn.execute("RELEASE scim_write")
                return
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _execute(self, sql: str, params: Any = ()) -> Any:
        return self.connection.execute(sql, params)

    # -- writes ---------------------------------------------------------------------------------------------

    def _documents(self, resource: dict) -> tuple[str, str]:
        search = search_document(resource, self.registry, self.resource_type)
        return _encoder.encode(resource).decode(), _encoder.encode(search).decode()

    def _integrity_errors(self) -> tuple[type[Exception], ...]:
        if self.dialect.name == "sqlite":
            return (sqlite3.IntegrityError,)
        import psycopg

        return (psycopg.IntegrityError, psycopg.DataError)

    def _write_error(self, exc: Exception, resource: dict) -> ScimError:
        """A database integrity / data error of a write as the SCIM error, in every store's words."""
        text = str(exc).lower()
        if "unique" in text or "duplicate" in text:
            for name in self._unique_attributes():
                if f"{self.table}_{name.lower()}" in text and isinstance(resource.get(name), str):
                    return Uniqueness(taken(name, resource[name]))
            if ".id" in text or "_id_key" in text or "(id)" in text:
                return Uniqueness(id_taken(resource.get("id")))
            names = self._unique_attributes()
            if len(names) == 1:  # SQLite names the expression's columns, not the index
                return Uniqueness(taken(names[0], resource.get(names[0])))
        return InvalidValue(f"the database refused the resource: {exc}")

    def insert(self, resources: list[dict]) -> None:
        sql = (
            f"INSERT INTO {self.table} (id, etag, data, search) "
            f"VALUES ({self._p}, {self._p}, {self._p}{self._cast}, {self._p}{self._cast})"
        )
        rows = [(resource["id"], version_of(resource), *self._documents(resource)) for resource in resources]
        current: dict = {}
        try:
            with self._transaction(write=True):
                for row, resource in zip(rows, resources, strict=True):
                    current = resource
                    self._execute(sql, row)
        except self._integrity_errors() as exc:
            raise self._write_error(exc, current) from None

    def insert_json(self, documents: list[bytes]) -> None:
        self.insert([_decoder.decode(document) for document in documents])

    def swap(self, resource_id: str, resource: dict, expected: str) -> bool:
        p = self._p
        sql = (
            f"UPDATE {self.table} SET data = {p}{self._cast}, search = {p}{self._cast}, etag = {p} "
            f"WHERE id = {p} AND etag = {p}"
        )
        try:
            with self._transaction(write=True):
                cursor = self._execute(sql, (*self._documents(resource), version_of(resource), resource_id, expected))
        except self._integrity_errors() as exc:
            raise self._write_error(exc, resource) from None
        return cursor.rowcount == 1

    def remove(self, resource_id: str, expected: str) -> bool:
        with self._transaction(write=True):
            cursor = self._execute(
                f"DELETE FROM {self.table} WHERE id = {self._p} AND etag = {self._p}", (resource_id, expected)
            )
        return cursor.rowcount == 1

    # -- reads ----------------------------------------------------------------------------------------------

    def read(self, resource_id: str) -> dict | None:
        with self._transaction():
            found = self._execute(
                f"SELECT {self._data} FROM {self.table} WHERE id = {self._p}", (resource_id,)
            ).fetchone()
        return None if found is None else _decoder.decode(found[0])

    def __len__(self) -> int:
        with self._transaction():
            return self._execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]

    def query(self, params: QueryParameters) -> tuple[int, list[dict]]:
        where, values = (
            ("TRUE", [])
            if params.filter is None
            else to_sql(params.filter, self.resource_type, self.dialect.name, "search", self.registry, folded=True)
        )
        order = "seq ASC" if params.sort_by is None else self._order(params.sort_by, params.descending)
        start, limit = params.start, params.size
        page_sql = f"SELECT {self._data} FROM {self.table} WHERE {where} ORDER BY {order}"
        page_params = list(values)
        if limit is not None:
            page_sql += f" LIMIT {self._p} OFFSET {self._p}"
            page_params += [limit, start - 1]
        elif start > 1:
            page_sql += f" LIMIT -1 OFFSET {self._p}" if self.dialect.name == "sqlite" else f" OFFSET {self._p}"
            page_params.append(start - 1)
        with self._transaction():
            total = self._execute(f"SELECT count(*) FROM {self.table} WHERE {where}", values).fetchone()[0]
            rows = self._execute(page_sql, page_params).fetchall() if limit != 0 else []
        return total, [_decoder.decode(row[0]) for row in rows]

    def _order(self, sort_by: str, descending: bool) -> str:
        """The SQL ``ORDER BY`` of ``sortBy``; one that cannot sort is ignored, or refused when the policy's
        ``ignore_unusable_sort`` is off, by the rule every store shares (:func:`scimcore.query.resolve_sort`)."""
        if resolve_sort(self.registry, self.resource_type, sort_by, self.policy) is None:
            return "seq ASC"
        return order_by_sql(
            sort_by, descending, self.resource_type, self.dialect.name, "search", self.registry, folded=True
        )
