"""``groups.value eq "x"`` / ``groups.display eq "x"`` on users are index lookups in every store, with the results
of a full scan (RFC 7643 §4.1.2, RFC 7644 §3.4.2.2; docs/semantics.md §Stores)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import scimcore
from scimcore.filter.compile import compile_filter
from scimcore.query import QueryParameters, page
from scimcore.store.groups_index import narrow

KINDS = ("native", "python", "sqlite", "postgresql")

FILTERS = (
    'groups.value eq "g1"',
    'groups.value eq "G1"',
    'groups.display eq "team"',
    'groups.display eq "Ünïcode"',
    'groups.value eq "nobody"',
    'groups.value eq "g1" and userName sw "a"',
    'groups.value eq "g1" or groups.display eq "other"',
    'groups.value eq "g1" or userName eq "cy"',
    'not (groups.value eq "g1")',
    'groups[value eq "g2"]',
    'groups.value ne "g1"',
)


@pytest.fixture(params=KINDS)
def users(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh, empty User store of each kind."""
    kind = request.param
    if kind == "native" and scimcore.Directory("User").backend != "native":
        pytest.skip("scimcore._native is not built")
    if kind in ("native", "python"):
        yield scimcore.Directory("User", backend=kind)
        return
    if kind == "sqlite":
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        yield scimcore.SqlDirectory(connection, "User")
        connection.close()
        return
    if not os.environ.get("SCIMCORE_PG_DSN"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("SCIMCORE_PG_DSN is not set (source .ci/postgres.sh)")
    import psycopg

    connection = psycopg.connect(os.environ["SCIMCORE_PG_DSN"], autocommit=True)
    table = f"users_{uuid.uuid4().hex[:12]}"
    yield scimcore.SqlDirectory(connection, "User", table=table)
    connection.execute(f"DROP TABLE IF EXISTS {table}, {table}_groups")
    connection.close()


def _fill(users: Any) -> dict[str, str]:
    """Users with varied derived groups; their ids by userName."""
    groups = {
        "ann": [{"value": "G1", "display": "Team", "type": "direct"}],
        "bob": [{"value": "g2", "display": "Other", "type": "direct"}, {"value": "g1", "type": "indirect"}],
        "cy": [{"value": "g3", "display": "ÜNÏCODE", "type": "direct"}],
        "dee": [],
        "al": [{"value": "g1", "display": "team", "type": "direct"}],
    }
    ids = {}
    for name, derived in groups.items():
        ids[name] = users.add({"userName": name})["id"]
        if derived:
            users.set_derived(ids[name], {"groups": derived})
    return ids


def _scan(users: Any, text: str) -> list[str]:
    """The ids a full scan finds (the in-memory evaluator over every user), in insertion order."""
    everyone = users.search(sort_by=None).resources
    everyone = [users.get(user["id"]) for user in everyone]
    params = QueryParameters(text, None, False, 1, None, None, None)
    _, found = page(everyone, params, resource_type="User", registry=users.registry, policy=users.policy)
    return [user["id"] for user in found]


def test_groups_filters_give_the_results_of_a_scan(users: Any) -> None:
    ids = _fill(users)
    users.set_derived(ids["al"], {"groups": [{"value": "g2", "display": "Moved", "type": "direct"}]})
    users.delete(ids["dee"])
    for text in FILTERS:
        expected = _scan(users, text)
        assert [u["id"] for u in users.search(filter=text).resources] == expected, text
        found = users.search(filter=text, sort_by="userName", sort_order="descending", count=2)
        assert found.total_results == len(expected), text
    assert [u["userName"] for u in users.search(filter='groups.value eq "g1"').resources] == ["ann", "bob"]
    assert [u["userName"] for u in users.search(filter='groups.display eq "moved"').resources] == ["al"]


@pytest.mark.parametrize("users", ["native", "python"], indirect=True)
def test_memory_directories_answer_from_the_groups_index(users: Any) -> None:
    ids = _fill(users)
    index = users._backend._groups
    for text, expected in (
        ('groups.value eq "g1"', {ids["ann"], ids["bob"], ids["al"]}),
        ('groups.display eq "team" and userName eq "al"', {ids["ann"], ids["al"]}),
        ('groups.display eq "other" or groups.value eq "g3"', {ids["bob"], ids["cy"]}),
    ):
        assert narrow(compile_filter(text, "User", users.registry).bound, index.lookup) == expected, text
    assert narrow(compile_filter('userName eq "al"', "User", users.registry).bound, index.lookup) is None
    users.set_derived(ids["ann"], {"groups": []})
    users.delete(ids["bob"])
    assert narrow(compile_filter('groups.value eq "g1"', "User", users.registry).bound, index.lookup) == {ids["al"]}


@pytest.mark.parametrize("users", ["sqlite", "postgresql"], indirect=True)
def test_sql_groups_filters_are_index_lookups(users: Any) -> None:
    _fill(users)
    connection = users.connection
    for text in ('groups.value eq "g1"', 'groups.display eq "team" and userName sw "a"'):
        where, values = users.table_backend.where(text)
        sql = f"SELECT data FROM {users.table} WHERE {where}"
        if isinstance(connection, sqlite3.Connection):
            plan = " ".join(str(row[-1]) for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", values))
            assert f"SEARCH {users.table}_groups USING COVERING INDEX" in plan, plan
            assert f"SEARCH {users.table} USING INDEX" in plan, plan
        else:
            connection.execute("SET enable_seqscan = off")  # a tiny table: make the planner show the index path
            try:
                plan = " ".join(row[0] for row in connection.execute(f"EXPLAIN {sql}", values))
            finally:
                connection.execute("RESET enable_seqscan")
            assert f"Index Only Scan using {users.table}_groups_pkey" in plan, plan
            assert "Seq Scan" not in plan, plan
    assert users.table_backend.where('userName eq "al"')[0].count("_groups") == 0


def test_a_sql_table_written_before_the_index_is_taken_in(tmp_path: Any) -> None:
    path = tmp_path / "users.db"
    users = scimcore.SqlDirectory(str(path), "User")
    ids = _fill(users)
    users.connection.execute("DROP TABLE scim_user_groups")
    users.connection.commit()
    users.connection.close()
    reopened = scimcore.SqlDirectory(str(path), "User")
    assert [u["id"] for u in reopened.search(filter='groups.value eq "g1"').resources] == [
        ids["ann"],
        ids["bob"],
        ids["al"],
    ]
    reopened.connection.close()
