"""The derived ``groups.value`` / ``groups.display`` of a SQL store's users as a table (RFC 7643 §4.1.2;
docs/semantics.md §Stores).

:class:`SqlGroupsIndex` keeps ``<table>_groups``, one row per (sub-attribute, folded value, resource id), with
its primary key on ``(sub, key, resource_id)`` and an index on ``resource_id``. A search whose filter is
``groups.value eq "x"`` or ``groups.display eq "x"`` (alone, in a conjunction, or a disjunction of them) gets
the condition ``id IN (SELECT resource_id FROM <table>_groups WHERE sub = ? AND key = ?)`` in front of the
translated filter: an index lookup that only narrows (the whole filter still applies), so the results are those
of a scan. It runs inside the store's transactions (the caller opens them).
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..filter.bind import AllOf, AnyOf
from ..filter.compile import compile_filter
from ..store.groups_index import groups_term, keys_of

__all__ = ["SqlGroupsIndex"]


class SqlGroupsIndex:
    """``groups`` of the resources of the SQL backend ``backend`` (its connection, dialect and table)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.table = f"{backend.table}_groups"
        self._p = backend.dialect.placeholder
        t = self.table
        statements = [
            f"CREATE TABLE IF NOT EXISTS {t} (sub TEXT NOT NULL, key TEXT NOT NULL, resource_id TEXT NOT NULL, "
            "PRIMARY KEY (sub, key, resource_id))",
            f"CREATE INDEX IF NOT EXISTS {t}_resource ON {t} (resource_id)",
        ]
        with backend._transaction(write=True):
            created = not self._exists()
            for statement in statements:
                self._execute(statement)
            if created:  # a table written before this index: take in its users' groups
                for rid, data in self._execute(f"SELECT id, {backend._data} FROM {backend.table}").fetchall():
                    self.put(rid, msgspec.json.decode(data))

    def _exists(self) -> bool:
        if self.backend.dialect.name == "postgresql":
            return self._execute("SELECT to_regclass(%s)", (self.table,)).fetchone()[0] is not None
        found = self._execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (self.table,))
        return found.fetchone() is not None

    def _execute(self, sql: str, params: Any = ()) -> Any:
        return self.backend.in_use().execute(sql, params)

    def put(self, rid: str, resource: dict | None) -> None:
        """Index resource ``rid`` as ``resource`` now is (``None``: gone)."""
        p = self._p
        self._execute(f"DELETE FROM {self.table} WHERE resource_id = {p}", (rid,))
        rows = [(sub, key, rid) for sub, key in sorted(keys_of(resource or {}))]
        if rows:
            self.backend.in_use().cursor().executemany(
                f"INSERT INTO {self.table} (sub, key, resource_id) VALUES ({p}, {p}, {p})", rows
            )

    def condition(self, filter: Any) -> tuple[str, list] | None:
        """The narrowing SQL condition (and its parameters) of a search filter, ``None`` when there is none."""
        if filter is None or (isinstance(filter, str) and "groups" not in filter.lower()):
            return None
        bound = compile_filter(filter, self.backend.resource_type, self.backend.registry).bound
        return self._condition(bound)

    def _condition(self, bound: Any) -> tuple[str, list] | None:
        if isinstance(bound, (AllOf, AnyOf)):
            found = [self._condition(term) for term in bound.terms]
            if isinstance(bound, AnyOf) and any(part is None for part in found):
                return None
            parts = [part for part in found if part is not None]
            if not parts:
                return None
            joiner = " AND " if isinstance(bound, AllOf) else " OR "
            return "(" + joiner.join(sql for sql, _ in parts) + ")", [value for _, values in parts for value in values]
        term = groups_term(bound)
        if term is None:
            return None
        p = self._p
        return f"id IN (SELECT resource_id FROM {self.table} WHERE sub = {p} AND key = {p})", list(term)
