"""``SqlDirectory``: the Directory interface on SQLite (standard library) or PostgreSQL (psycopg 3).

One table per directory::

    seq      insertion order (the order of an unsorted search)
    id       the resource id (unique)
    version  incremented on every write; PATCH and replace check it (optimistic concurrency)
    data     the resource as JSON (SQLite text, PostgreSQL jsonb)
    search   its search document (scimcore.sql.document): case folded, canonical instants

Filters run in SQL through :func:`scimcore.sql.to_sql` on ``search`` (exact: the folding is done in Python at
write time); sorting and paging run in SQL (RFC 7644 §3.4.2.3-§3.4.2.4, SEMANTICS "Query"); projection runs in
Python on the returned page. Attributes with ``uniqueness`` server/global (``userName``) get a unique expression
index on their folded value (409 ``uniqueness``), and ``externalId`` an index, so that ``eq`` lookups on them
are index lookups.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from ..errors import InvalidFilter, InvalidSyntax, InvalidValue, InvalidVersion, NotFound, ScimError, Uniqueness
from ..schema.wire import is_unicode_text, load_json
from ..policy import Policy
from .dialects import DIALECTS, Node, check_identifier
from .document import register_sqlite_functions, search_document
from .translate import order_by_sql, to_sql

__all__ = ["SqlDirectory"]

_PATCH_ATTEMPTS = 20
_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


class SqlDirectory:
    """A store of resources of one type in a SQL table, with SCIM search (RFC 7644 §3.4.2) in SQL.

    ``connection``: a ``sqlite3.Connection``, a path to a SQLite file (opened here), or a psycopg 3
    connection. The table (default ``scim_<resource type>``) and its indexes are created if missing.
    """

    def __init__(
        self,
        connection,
        resource_type: str = "User",
        registry=None,
        policy: Policy | None = None,
        table: str | None = None,
        *,
        max_results: int | None = None,
    ) -> None:
        if registry is None:
            from ..schema.default import registry
        self.registry = registry
        self.resource_type = registry.resource_type(resource_type).name
        self.policy = policy or Policy()
        self.max_results = max_results
        if isinstance(connection, (str, Path)):
            connection = sqlite3.connect(connection, timeout=30)
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
        self.table = check_identifier(table or f"scim_{self.resource_type.lower()}", "table")
        self._p = self.dialect.placeholder
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
            columns = (
                "seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, "
                "data TEXT NOT NULL, search TEXT NOT NULL"
            )
        else:
            columns = (
                "seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, version BIGINT NOT NULL, "
                "data JSONB NOT NULL, search JSONB NOT NULL"
            )
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

    @contextmanager
    def _transaction(self, write: bool = False):
        """One transaction (SQLite writes: ``BEGIN IMMEDIATE``, so that writers queue instead of failing)."""
        conn = self.connection
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

    def _execute(self, sql: str, params=()):
        return self.connection.execute(sql, params)

    # -- resources ------------------------------------------------------------------------------------------

    def _canonical(self, resource) -> dict:
        """A validated JSON-shaped copy of ``resource`` (dict, JSON bytes/str, or resource Struct)."""
        from ..schema.codec import normalize

        if isinstance(resource, (bytes, bytearray, str)):
            resource = load_json(resource, what="resource")
        elif isinstance(resource, msgspec.Struct):
            resource = _decoder.decode(_encoder.encode(resource))
        if not isinstance(resource, dict):
            raise InvalidSyntax("a resource must be a JSON object")
        return normalize(resource, resource_type=self.resource_type, registry=self.registry, policy=self.policy)

    def _documents(self, resource: dict) -> tuple[str, str]:
        search = search_document(resource, self.registry, self.resource_type)
        return _encoder.encode(resource).decode(), _encoder.encode(search).decode()

    def _write_error(self, exc: Exception, resource: dict) -> ScimError:
        """Map a database integrity / data error of a write onto the SCIM error."""
        text = str(exc).lower()
        if "unique" in text or "duplicate" in text:
            if ".id" in text or "_id_key" in text or "(id)" in text:
                return Uniqueness(f"a resource with id {resource.get('id')!r} already exists")
            names = ", ".join(self._unique_attributes())
            return Uniqueness(f"another resource has the same {names}")
        return InvalidValue(f"the database refused the resource: {exc}")

    def _integrity_errors(self) -> tuple[type[Exception], ...]:
        if self.dialect.name == "sqlite":
            return (sqlite3.IntegrityError,)
        import psycopg

        return (psycopg.IntegrityError, psycopg.DataError)

    def add(self, resource) -> dict:
        """Store a new resource (RFC 7644 §3.3); an ``id`` is assigned if it has none. Returns the stored copy."""
        return self._insert([resource])[0]

    def extend(self, resources) -> list[dict]:
        """Store many resources in one transaction: all of them, or none if one fails."""
        return self._insert(list(resources))

    def _insert(self, resources: list) -> list[dict]:
        stored = []
        rows = []
        now = _now()
        for resource in resources:
            resource = self._canonical(resource)
            if not isinstance(resource.get("id"), str) or not resource["id"]:
                resource = {"id": str(uuid.uuid4()), **resource}
            meta = dict(resource.get("meta") or {})
            meta.setdefault("resourceType", self.resource_type)
            meta.setdefault("created", now)
            meta.setdefault("lastModified", meta["created"])
            meta["version"] = _etag(1)
            resource = {**resource, "meta": meta}
            stored.append(resource)
            rows.append((resource["id"], *self._documents(resource)))
        cast = "::jsonb" if self.dialect.name == "postgresql" else ""
        p = self._p
        sql = f"INSERT INTO {self.table} (id, version, data, search) VALUES ({p}, 1, {p}{cast}, {p}{cast})"
        index = 0
        try:
            with self._transaction(write=True):
                for index, row in enumerate(rows):
                    self._execute(sql, row)
        except self._integrity_errors() as exc:
            raise self._write_error(exc, stored[index]) from None
        return stored

    def _row(self, resource_id) -> tuple[dict, int]:
        if not isinstance(resource_id, str) or not is_unicode_text(resource_id):
            raise NotFound(f"resource {resource_id!r} not found")
        data = "data::text" if self.dialect.name == "postgresql" else "data"
        found = self._execute(
            f"SELECT {data}, version FROM {self.table} WHERE id = {self._p}", (resource_id,)
        ).fetchone()
        if found is None:
            raise NotFound(f"resource {resource_id!r} not found")
        return _decoder.decode(found[0]), found[1]

    def get(self, resource_id: str, attributes=None, excluded_attributes=None) -> dict:
        """The resource (RFC 7644 §3.4.1), projected when ``attributes``/``excluded_attributes`` are given."""
        with self._transaction():
            resource, _ = self._row(resource_id)
        if attributes is None and excluded_attributes is None:
            return resource
        return self._project(resource, attributes, excluded_attributes)

    def version(self, resource_id: str) -> int:
        """The resource's version counter: 1 when added, +1 on every write (``meta.version`` is ``W/"<n>"``)."""
        with self._transaction():
            return self._row(resource_id)[1]

    def _update(self, resource_id: str, resource: dict, version: int, current: dict) -> dict | None:
        """Write ``resource`` if the row is still at ``version``; its ``meta`` is maintained (RFC 7643 §3.1)."""
        old = current.get("meta") if isinstance(current.get("meta"), dict) else {}
        meta = dict(resource.get("meta") or {})
        meta["resourceType"] = old.get("resourceType", self.resource_type)
        if "created" in old:
            meta["created"] = old["created"]
        meta["lastModified"] = _now()
        meta["version"] = _etag(version + 1)
        resource = {**resource, "meta": meta}
        cast = "::jsonb" if self.dialect.name == "postgresql" else ""
        p = self._p
        sql = (
            f"UPDATE {self.table} SET data = {p}{cast}, search = {p}{cast}, version = version + 1 "
            f"WHERE id = {p} AND version = {p}"
        )
        try:
            cursor = self._execute(sql, (*self._documents(resource), resource_id, version))
        except self._integrity_errors() as exc:
            raise self._write_error(exc, resource) from None
        return resource if cursor.rowcount == 1 else None

    def replace(self, resource_id: str, resource, version: int | None = None) -> dict:
        """Replace the whole resource (RFC 7644 §3.5.1); ``version``: fail with 412 unless it is current."""
        resource = self._canonical(resource)
        if resource.get("id", resource_id) != resource_id:
            raise InvalidValue(f"the resource's id {resource.get('id')!r} is not {resource_id!r}")
        resource = {**resource, "id": resource_id}
        with self._transaction(write=True):
            old, current = self._row(resource_id)
            if version is not None and version != current:
                raise InvalidVersion(f"resource {resource_id!r} is at version {current}, not {version}")
            written = self._update(resource_id, resource, current, old)
            if written is None:
                raise InvalidVersion(f"resource {resource_id!r} was modified concurrently")
        return written

    def patch(self, resource_id: str, patch, version: int | None = None) -> dict:
        """Apply a PATCH (RFC 7644 §3.5.2) atomically: read, ``apply_patch``, write if the version is unchanged.

        A concurrent write in between makes the conditional ``UPDATE`` miss; the whole read-apply-write is then
        retried, so no update is lost. ``version``: fail with 412 unless it is the current version.
        """
        from ..patch import apply_patch

        for _ in range(_PATCH_ATTEMPTS):
            with self._transaction(write=True):
                resource, current = self._row(resource_id)
                if version is not None and version != current:
                    raise InvalidVersion(f"resource {resource_id!r} is at version {current}, not {version}")
                patched, changed = apply_patch(
                    resource,
                    patch,
                    resource_type=self.resource_type,
                    policy=self.policy,
                    registry=self.registry,
                    report=True,
                )
                if not changed:
                    return patched
                written = self._update(resource_id, patched, current, resource)
                if written is not None:
                    return written
        raise InvalidVersion(f"resource {resource_id!r} kept changing: the patch was not applied")

    def delete(self, resource_id: str, version: int | None = None) -> None:
        """Delete the resource (RFC 7644 §3.6); ``version``: fail with 412 unless it is current."""
        with self._transaction(write=True):
            _, current = self._row(resource_id)
            if version is not None and version != current:
                raise InvalidVersion(f"resource {resource_id!r} is at version {current}, not {version}")
            self._execute(f"DELETE FROM {self.table} WHERE id = {self._p}", (resource_id,))

    def __len__(self) -> int:
        with self._transaction():
            return self._execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]

    # -- search ---------------------------------------------------------------------------------------------

    def search(
        self,
        filter=None,
        sort_by: str | None = None,
        sort_order: str | None = "ascending",
        start_index: int | None = 1,
        count: int | None = None,
        attributes=None,
        excluded_attributes=None,
        request=None,
    ):
        """Query the directory (RFC 7644 §3.4.2): filter, sort and page in SQL, project in Python.

        Returns a ``ListResponse``; ``totalResults`` counts every match, ``Resources`` holds the page.
        ``request`` may be a ``SearchRequest`` (Struct or dict) instead of the keywords. A ``sortBy`` that names
        no sortable attribute is ignored (J42), as by :func:`scimcore.search`.
        """
        from ..query import query_parameters
        from ..schema.messages import ListResponse

        query = query_parameters(
            request=request,
            filter=filter,
            sort_by=sort_by,
            sort_order=sort_order,
            start_index=start_index,
            count=count,
            attributes=attributes,
            excluded_attributes=excluded_attributes,
            policy=self.policy,
            max_count=self.max_results,
        )
        attributes, excluded_attributes = query.attributes, query.excluded_attributes
        where, params = (
            ("TRUE", [])
            if query.filter is None
            else to_sql(query.filter, self.resource_type, self.dialect.name, "search", self.registry, folded=True)
        )
        order = "seq ASC" if query.sort_by is None else self._order(query.sort_by, query.descending)
        start, limit = query.start, query.size
        data = "data::text" if self.dialect.name == "postgresql" else "data"
        page_sql = f"SELECT {data} FROM {self.table} WHERE {where} ORDER BY {order}"
        page_params = list(params)
        if limit is not None:
            page_sql += f" LIMIT {self._p} OFFSET {self._p}"
            page_params += [limit, start - 1]
        elif start > 1:
            page_sql += f" LIMIT -1 OFFSET {self._p}" if self.dialect.name == "sqlite" else f" OFFSET {self._p}"
            page_params.append(start - 1)
        with self._transaction():
            total = self._execute(f"SELECT count(*) FROM {self.table} WHERE {where}", params).fetchone()[0]
            rows = self._execute(page_sql, page_params).fetchall() if limit != 0 else []
        resources = [_decoder.decode(row[0]) for row in rows]
        if attributes is not None or excluded_attributes is not None:
            resources = [self._project(r, attributes, excluded_attributes) for r in resources]
        return ListResponse(total_results=total, start_index=start, items_per_page=len(resources), resources=resources)

    def _order(self, sort_by, descending: bool) -> str:
        """The SQL ``ORDER BY`` of ``sortBy``; one that names no sortable attribute is ignored (J41/J42), as by
        :func:`scimcore.search`, except under ``Policy.STRICT`` (``invalidValue``)."""
        try:
            return order_by_sql(
                sort_by, descending, self.resource_type, self.dialect.name, "search", self.registry, folded=True
            )
        except InvalidFilter as error:
            if self.policy == Policy.STRICT:
                raise InvalidValue(f"sortBy {sort_by!r}: {error.detail}") from None
            return "seq ASC"

    def _project(self, resource: dict, attributes, excluded_attributes) -> dict:
        from ..query import project

        return project(
            resource,
            resource_type=self.resource_type,
            attributes=attributes,
            excluded_attributes=excluded_attributes,
            registry=self.registry,
            policy=self.policy,
        )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _etag(version: int) -> str:
    return f'W/"{version}"'
