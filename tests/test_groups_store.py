"""Members as a relation in every store (RFC 7643 §4.2, RFC 7644 §3.5.2; docs/semantics.md §Stores, §PATCH).

The same contract as any PATCH (ETag renewed by a change and only then, If-Match checked and written atomically,
``check`` able to refuse), with the members kept beside the group's document: a delta PATCH, a read that
excludes members and a ``members[value eq "x"]`` search never read the whole member list.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import scimcore
from scimcore.store.members import MembersBackend, delta_keys, patch_head, wants_members

KINDS = ("native", "python", "sqlite", "postgresql")
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(params=KINDS)
def groups(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh, empty Group store of each kind."""
    kind = request.param
    if kind == "native" and scimcore.Directory("Group").backend != "native":
        pytest.skip("scimcore._native is not built")
    if kind in ("native", "python"):
        yield scimcore.Directory("Group", backend=kind)
        return
    if kind == "sqlite":
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        yield scimcore.SqlDirectory(connection, "Group")
        connection.close()
        return
    if not os.environ.get("SCIMCORE_PG_DSN"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("SCIMCORE_PG_DSN is not set (source .ci/postgres.sh)")
    import psycopg

    connection = psycopg.connect(os.environ["SCIMCORE_PG_DSN"], autocommit=True)
    table = f"members_{uuid.uuid4().hex[:12]}"
    yield scimcore.SqlDirectory(connection, "Group", table=table)
    connection.execute(f"DROP TABLE IF EXISTS {table}, {table}_members")
    connection.close()


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def _values(group: dict[str, Any]) -> list[str]:
    return [member["value"] for member in group.get("members", [])]


def _forbid_whole_list(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading a group's whole member list fail (what the cheap paths must never do)."""
    relation = store._backend.relation

    def whole(gid: str) -> list[dict]:
        raise AssertionError("the whole member list was read")

    monkeypatch.setattr(relation, "members", whole)


def test_every_group_store_keeps_members_as_a_relation(groups: Any) -> None:
    assert isinstance(groups._backend, MembersBackend)
    group = groups.add({"displayName": "Team", "members": [{"value": "a"}, {"value": "b"}]})
    assert groups._backend.read_head(group["id"])["members"] is None  # the document keeps only its place
    assert groups._backend.groups_of("a") == [group["id"]]
    assert _values(groups.get(group["id"])) == ["a", "b"]


def test_delta_patches_follow_the_patch_rules(groups: Any) -> None:
    group = groups.add({"displayName": "Team", "members": [{"value": "a"}, {"value": "b"}]})
    gid, version = group["id"], group["meta"]["version"]
    added = groups.patch(gid, _patch({"op": "add", "path": "members", "value": [{"value": "c"}]}))
    assert _values(added) == ["a", "b", "c"] and added["meta"]["version"] != version
    version = added["meta"]["version"]
    same = groups.patch(gid, _patch({"op": "add", "path": "members", "value": [{"value": "C"}]}))
    assert same["meta"]["version"] == version  # the same member (value is not caseExact): nothing changed
    same = groups.patch(gid, _patch({"op": "remove", "path": 'members[value eq "zz"]'}))
    assert same["meta"]["version"] == version
    removed = groups.patch(gid, _patch({"op": "remove", "path": 'members[value eq "a"]'}), version=version)
    assert _values(removed) == ["b", "c"]
    entra = groups.patch(
        gid, _patch({"op": "remove", "path": "members", "value": [{"value": "b"}]}), policy=scimcore.Policy.ENTRA
    )
    assert _values(entra) == ["c"]
    replaced = groups.patch(gid, _patch({"op": "replace", "path": "members", "value": [{"value": "d"}]}))
    assert _values(replaced) == ["d"]
    assert groups.search(filter='members[value eq "c"]').total_results == 0
    assert [g["id"] for g in groups.search(filter='members.value eq "D"').resources] == [gid]


def test_a_stale_etag_or_a_refusing_check_changes_nothing(groups: Any) -> None:
    group = groups.add({"displayName": "Team", "members": [{"value": "a"}]})
    gid = group["id"]
    add = _patch({"op": "add", "path": "members", "value": [{"value": "b"}]})
    with pytest.raises(scimcore.InvalidVersion):
        groups.patch(gid, add, version='W/"0000000000000000"')

    def refuse(new: dict[str, Any]) -> None:
        raise scimcore.InvalidValue("no")

    with pytest.raises(scimcore.InvalidValue):
        groups.patch(gid, add, check=refuse)
    assert groups.get(gid) == group
    assert groups._backend.groups_of("b") == []
    with pytest.raises(scimcore.NotFound):
        groups.patch("nobody", add)


def test_cheap_paths_never_read_the_whole_member_list(groups: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    group = groups.add({"displayName": "All staff", "members": [{"value": f"u{i}"} for i in range(50)]})
    gid = group["id"]
    _forbid_whole_list(groups, monkeypatch)
    head = patch_head(groups, gid, _patch({"op": "add", "path": "members", "value": [{"value": "new"}]}))
    assert head is not None and head.get("members") is None
    head = patch_head(groups, gid, _patch({"op": "remove", "path": 'members[value eq "u3"]'}))
    assert head is not None
    renamed = patch_head(groups, gid, _patch({"op": "replace", "value": {"displayName": "Everyone"}}))
    assert renamed is not None and renamed["displayName"] == "Everyone"
    got = groups.get(gid, excluded_attributes="members")
    assert "members" not in got and got["displayName"] == "Everyone"
    assert "members" not in groups.get(gid, attributes=["displayName"])
    found = groups.search(filter='displayName eq "Everyone"', excluded_attributes=["members"])
    assert [g["id"] for g in found.resources] == [gid] and "members" not in found.resources[0]
    found = groups.search(filter='members[value eq "new"]', attributes="id")
    assert [g["id"] for g in found.resources] == [gid]
    with pytest.raises(AssertionError, match="whole member list"):
        groups.get(gid)


def test_other_member_filters_are_evaluated_on_whole_groups(groups: Any) -> None:
    a = groups.add({"displayName": "A", "members": [{"value": "x", "display": "Ann"}]})
    groups.add({"displayName": "B", "members": [{"value": "y", "display": "Bob"}]})
    groups.add({"displayName": "C"})
    assert [g["id"] for g in groups.search(filter='members.display sw "A"').resources] == [a["id"]]
    assert groups.search(filter="members pr").total_results == 2
    assert groups.search(filter='members[value eq "x"] and displayName eq "B"').total_results == 0


@pytest.mark.parametrize("groups", ["sqlite", "postgresql"], indirect=True)
def test_sql_members_table_has_indexes_for_both_directions(groups: Any) -> None:
    table = f"{groups.table}_members"
    if isinstance(groups.connection, sqlite3.Connection):
        plans = [
            " ".join(str(part) for part in row)
            for sql in (
                f"SELECT group_id FROM {table} WHERE key = 'x'",
                f"SELECT data FROM {table} WHERE group_id = 'g' AND key = 'x'",
                f"SELECT data FROM {table} WHERE group_id = 'g' ORDER BY seq",
            )
            for row in groups.connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
        ]
        assert all("USING" in plan and "INDEX" in plan for plan in plans), plans
    else:
        rows = groups.connection.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,)).fetchall()
        definitions = " ".join(row[0] for row in rows)
        assert "(key)" in definitions and "(group_id, key)" in definitions and "(group_id, seq)" in definitions


def test_which_patches_are_deltas() -> None:
    policy = scimcore.Policy()
    assert delta_keys(_patch({"op": "add", "path": "members", "value": [{"value": "A"}]}), policy) == {"a"}
    assert delta_keys(_patch({"op": "remove", "path": 'members[value eq "B"]'}), policy) == {"b"}
    assert delta_keys(_patch({"op": "replace", "path": "displayName", "value": "x"}), policy) == set()
    assert delta_keys(_patch({"op": "replace", "path": "members", "value": []}), policy) is None
    assert delta_keys(_patch({"op": "remove", "path": 'members[display eq "x"]'}), policy) is None
    assert delta_keys(_patch({"op": "add", "value": {"members": [{"value": "a"}]}}), policy) is None
    assert delta_keys({"not": "a patch"}, policy) is None


@pytest.mark.parametrize(
    ("attributes", "excluded", "wanted"),
    [
        (None, None, True),
        (None, "members", False),
        (None, ["displayName"], True),
        (["displayName"], None, False),
        ("members.value", None, True),
        ("urn:ietf:params:scim:schemas:core:2.0:Group:members", None, True),
        (None, "urn:ietf:params:scim:schemas:core:2.0:Group:members", False),
    ],
)
def test_which_projections_need_members(attributes: Any, excluded: Any, wanted: bool) -> None:
    assert wants_members(attributes, excluded) is wanted


def test_groups_value_and_display_are_index_lookups_in_the_python_directory() -> None:
    from scimcore.filter.compile import compile_filter

    users = scimcore.Directory("User", backend="python")
    ann, bob = users.add({"userName": "ann"}), users.add({"userName": "bob"})
    users.set_derived(ann["id"], {"groups": [{"value": "G1", "display": "Team", "type": "direct"}]})
    users.set_derived(bob["id"], {"groups": [{"value": "g2", "display": "Other", "type": "direct"}]})
    for text, expected in (('groups.value eq "g1"', [ann["id"]]), ('groups.display eq "other"', [bob["id"]])):
        bound = compile_filter(text, "User", users.registry).bound
        assert users._backend._candidate_ids(bound) == set(expected)  # the index, not a scan
        assert [u["id"] for u in users.search(filter=text).resources] == expected
    users.set_derived(ann["id"], {"groups": []})
    assert users.search(filter='groups.value eq "g1"').total_results == 0
    users.delete(bob["id"])
    assert users._backend._candidate_ids(compile_filter('groups.value eq "g2"', "User", users.registry).bound) == set()


def test_a_table_whose_documents_hold_members_is_taken_over(tmp_path: Any) -> None:
    """A Group table written when documents held their members: opening it moves them into the members table,
    keeping each group's ETag."""
    path = tmp_path / "old.db"
    store = scimcore.SqlDirectory(str(path), "Group")
    group = store.add({"displayName": "Team", "members": [{"value": "a"}, {"value": "b"}]})
    store.connection.execute("DROP TABLE scim_group_members")  # as it was before the members table
    store.connection.execute("UPDATE scim_group SET data = ? WHERE id = ?", (json.dumps(group), group["id"]))
    store.connection.commit()
    store.connection.close()
    reopened = scimcore.SqlDirectory(str(path), "Group")
    assert reopened.get(group["id"]) == group
    assert reopened._backend.read_head(group["id"])["members"] is None
    assert [g["id"] for g in reopened.search(filter='members[value eq "b"]').resources] == [group["id"]]
    patched = reopened.patch(group["id"], _patch({"op": "add", "path": "members", "value": [{"value": "c"}]}))
    assert _values(patched) == ["a", "b", "c"]
    reopened.connection.close()
