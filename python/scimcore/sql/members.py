"""The members of a SQL store's groups as a table (RFC 7643 §4.2; docs/semantics.md §Stores).

:class:`SqlRelation` is the :class:`scimcore.store.members.Relation` of a ``SqlDirectory`` of a group type: one
row per membership in ``<table>_members``::

    seq       the order members were added in (an update keeps it)
    group_id  the group's id
    key       the member's folded value (scimcore.store.members.key_of)
    data      the member as JSON

unique on ``(group_id, key)`` (group → members), with an index on ``key`` (member → groups), so that both
directions are index lookups. It runs inside the store's transactions (the caller opens them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from ..store.members import key_of

__all__ = ["SqlRelation"]

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


class SqlRelation:
    """Memberships in ``<table>_members`` of the SQL backend ``backend`` (its connection and dialect)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.table = f"{backend.table}_members"
        self._p = backend.dialect.placeholder
        postgres = backend.dialect.name == "postgresql"
        self._data = "data::text" if postgres else "data"
        self._cast = "::jsonb" if postgres else ""
        seq = "BIGSERIAL" if postgres else "INTEGER"
        data = "JSONB" if postgres else "TEXT"
        t = self.table
        statements = [
            f"CREATE TABLE IF NOT EXISTS {t} (seq {seq} PRIMARY KEY, group_id TEXT NOT NULL, key TEXT NOT NULL, "
            f"data {data} NOT NULL, UNIQUE (group_id, key))",
            f"CREATE INDEX IF NOT EXISTS {t}_key ON {t} (key)",
            f"CREATE INDEX IF NOT EXISTS {t}_order ON {t} (group_id, seq)",
        ]
        with backend._transaction(write=True):
            self.created = not self._exists()
            for statement in statements:
                backend.connection.execute(statement)

    def _exists(self) -> bool:
        if self.backend.dialect.name == "postgresql":
            return self._execute("SELECT to_regclass(%s)", (self.table,)).fetchone()[0] is not None
        found = self._execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (self.table,))
        return found.fetchone() is not None

    def _execute(self, sql: str, params: Any = ()) -> Any:
        return self.backend.connection.execute(sql, params)

    def members(self, gid: str) -> list[dict]:
        rows = self._execute(
            f"SELECT {self._data} FROM {self.table} WHERE group_id = {self._p} ORDER BY seq", (gid,)
        ).fetchall()
        return [_decoder.decode(row[0]) for row in rows]

    def pick(self, gid: str, keys: Iterable[str]) -> list[dict]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        marks = ", ".join([self._p] * len(wanted))
        rows = self._execute(
            f"SELECT {self._data} FROM {self.table} WHERE group_id = {self._p} AND key IN ({marks}) ORDER BY seq",
            (gid, *wanted),
        ).fetchall()
        return [_decoder.decode(row[0]) for row in rows]

    def groups_of(self, key: str) -> list[str]:
        rows = self._execute(f"SELECT group_id FROM {self.table} WHERE key = {self._p}", (key,)).fetchall()
        return [row[0] for row in rows]

    def put(self, gid: str, members: list[dict]) -> None:
        self._execute(f"DELETE FROM {self.table} WHERE group_id = {self._p}", (gid,))
        if members:
            self.change(gid, members, [])

    def change(self, gid: str, upserts: list[dict], removals: list[str]) -> None:
        p = self._p
        for key in removals:
            self._execute(f"DELETE FROM {self.table} WHERE group_id = {p} AND key = {p}", (gid, key))
        if not upserts:
            return
        rows = [(gid, key_of(member["value"]), _encoder.encode(member).decode()) for member in upserts]
        insert = (
            f"INSERT INTO {self.table} (group_id, key, data) VALUES ({p}, {p}, {p}{self._cast}) "
            "ON CONFLICT (group_id, key) DO UPDATE SET data = excluded.data"
        )
        cursor = self.backend.connection.cursor()
        cursor.executemany(insert, rows)
