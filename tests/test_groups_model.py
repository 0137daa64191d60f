"""``User.groups`` and ``Group.members`` are always what a naive model of memberships says, after every kind of
write, on every store (RFC 7643 §4.1.2, §4.2; docs/semantics.md §Protocol and §Stores).

A randomized differential test: hypothesis (the project's deterministic profile) draws a sequence of writes —
create, PATCH add / remove by filter / remove by value (Entra) / replace members, rename, PUT, DELETE of a user or
a group, and PATCH through ``/Bulk`` — applies them to a ``scimcore.Service`` and to a model that is only a dict
of sets, and after each write compares every user's ``groups`` (direct and indirect, with ``display`` and
``$ref``), every group's ``members``, and the ``members[value eq "x"]``, ``groups.value eq "x"`` and
``groups.display eq "x"`` searches with what the model says. The stores: scimcore's (members as a relation)
and a server's own store that only forwards the ``Store`` methods (the service's graph path).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scimcore

BASE = "https://example.com/scim/v2"
KINDS = ("memory", "python", "sqlite", "postgresql", "adapter")
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not os.environ.get("SCIMCORE_PG_DSN"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("SCIMCORE_PG_DSN is not set (source .ci/postgres.sh)")
    return request.param


@pytest.fixture
def fresh_service(kind: str) -> Iterator[Callable[[], scimcore.Service]]:
    """A factory of services over fresh, empty User and Group stores of the kind under test."""
    closing: list[Callable[[], Any]] = []

    def store(resource_type: str) -> Any:
        if kind == "adapter":
            return Forwarding(scimcore.Directory(resource_type, backend="python"))
        if kind == "memory":
            return scimcore.Directory(resource_type)
        if kind == "python":
            return scimcore.Directory(resource_type, backend="python")
        if kind == "sqlite":
            connection = sqlite3.connect(":memory:", check_same_thread=False)
            closing.append(connection.close)
            return scimcore.SqlDirectory(connection, resource_type)
        import psycopg

        connection = psycopg.connect(os.environ["SCIMCORE_PG_DSN"], autocommit=True)
        table = f"model_{resource_type.lower()}_{uuid.uuid4().hex[:12]}"
        closing.append(connection.close)
        closing.append(lambda: connection.execute(f"DROP TABLE IF EXISTS {table}, {table}_members"))
        return scimcore.SqlDirectory(connection, resource_type, table=table)

    def build() -> scimcore.Service:
        while closing:
            closing.pop()()
        stores = {"User": store("User"), "Group": store("Group")}
        return scimcore.Service(stores, base_url=BASE, policy=scimcore.Policy.ENTRA)

    yield build
    while closing:
        closing.pop()()


class Forwarding:
    """A server's own ``scimcore.Store`` (here forwarding to a ``Directory``): the service cannot see a members
    relation in it and reads the groups as a graph."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.resource_type = store.resource_type

    def __getattr__(self, name: str) -> Any:
        if name in ("add", "get", "replace", "patch", "delete", "search", "set_derived"):
            return getattr(self.store, name)
        raise AttributeError(name)

    def __len__(self) -> int:
        return len(self.store)


class Model:
    """Memberships as sets: what every answer is compared with."""

    def __init__(self) -> None:
        self.users: list[str] = []
        self.groups: dict[str, tuple[str, list[str]]] = {}  # id -> (displayName, member ids in order)

    def members(self, gid: str) -> list[str]:
        return self.groups[gid][1]

    def reaches(self, start: str, target: str) -> bool:
        todo, seen = [start], {start}
        while todo:
            current = todo.pop()
            if current == target:
                return True
            for value in self.groups.get(current, ("", []))[1]:
                if value in self.groups and value not in seen:
                    seen.add(value)
                    todo.append(value)
        return False

    def refused(self, gid: str, values: list[str]) -> bool:
        """Whether adding ``values`` to group ``gid`` makes a nesting cycle."""
        return any(v not in self.members(gid) and v in self.groups and self.reaches(v, gid) for v in values)

    def user_groups(self, uid: str) -> list[dict[str, str]]:
        direct = [gid for gid, (_, members) in self.groups.items() if uid in members]
        found = {gid: "direct" for gid in direct}
        todo = list(direct)
        while todo:
            current = todo.pop()
            for gid, (_, members) in self.groups.items():
                if current in members and gid not in found:
                    found[gid] = "indirect"
                    todo.append(gid)
        return sorted(
            (
                {"value": gid, "$ref": f"{BASE}/Groups/{gid}", "display": self.groups[gid][0], "type": how}
                for gid, how in found.items()
            ),
            key=lambda g: g["value"],
        )

    def forget(self, rid: str) -> None:
        for gid, (name, members) in self.groups.items():
            self.groups[gid] = (name, [m for m in members if m != rid])


class Client:
    def __init__(self, service: scimcore.Service) -> None:
        self.service = service

    def call(self, method: str, target: str, body: Any = None) -> tuple[int, Any]:
        raw = b"" if body is None else msgspec.json.encode(body)
        headers = {"Content-Type": "application/scim+json"} if body is not None else {}
        response = self.service.handle(method, target, headers, raw)
        return response.status, (msgspec.json.decode(response.body) if response.body else None)


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


# A write: (kind, group pick, member picks, name pick); picks index the pools at the time of the write.
writes = st.tuples(
    st.sampled_from(
        [
            "user",
            "group",
            "add",
            "remove_filter",
            "remove_value",
            "replace",
            "rename",
            "put",
            "delete_user",
            "delete_group",
            "bulk_add",
        ]
    ),
    st.integers(0, 7),
    st.lists(st.integers(0, 15), max_size=3),
    st.integers(0, 2),
)


def _apply(client: Client, model: Model, write: tuple[str, int, list[int], int]) -> None:
    kind, g, picks, n = write
    pool = model.users + list(model.groups)
    values = list(dict.fromkeys(pool[i % len(pool)] for i in picks)) if pool else []
    gid = list(model.groups)[g % len(model.groups)] if model.groups else None
    name = f"G{n}"
    if kind == "user" or (gid is None and kind not in ("group",)):
        status, body = client.call("POST", "/Users", {"userName": f"u{len(model.users)}-{uuid.uuid4().hex[:6]}"})
        assert status == 201, body
        model.users.append(body["id"])
        return
    if kind == "group":
        status, body = client.call("POST", "/Groups", {"displayName": name, "members": [{"value": v} for v in values]})
        assert status == 201, body
        model.groups[body["id"]] = (name, values)
        return
    assert gid is not None
    target = f"/Groups/{gid}"
    if kind in ("add", "bulk_add", "replace", "put"):
        refused = gid in values or (
            model.refused(gid, values)
            if kind in ("add", "bulk_add")
            else any(v in model.groups and model.reaches(v, gid) for v in values)
        )
        if kind == "add":
            status, body = client.call(
                "PATCH", target, _patch({"op": "add", "path": "members", "value": [{"value": v} for v in values]})
            )
        elif kind == "bulk_add":
            operation = {"op": "add", "path": "members", "value": [{"value": v} for v in values]}
            bulk = {
                "schemas": [BULK],
                "Operations": [{"method": "PATCH", "path": target, "data": _patch(operation)}],
            }
            status, body = client.call("POST", "/Bulk", bulk)
            assert status == 200, body
            status = int(body["Operations"][0]["status"])
        elif kind == "replace":
            status, body = client.call(
                "PATCH", target, _patch({"op": "replace", "path": "members", "value": [{"value": v} for v in values]})
            )
        else:
            status, body = client.call(
                "PUT", target, {"displayName": model.groups[gid][0], "members": [{"value": v} for v in values]}
            )
        if refused:
            assert status == 400, body
            return
        assert status in (200, 204), body
        old = model.members(gid)
        new = values if kind in ("replace", "put") else old + [v for v in values if v not in old]
        model.groups[gid] = (model.groups[gid][0], new)
        return
    if kind in ("remove_filter", "remove_value"):
        if not values:
            return
        value = values[0]
        if kind == "remove_filter":
            operation = {"op": "remove", "path": f"members[value eq {json.dumps(value)}]"}
        else:
            operation = {"op": "remove", "path": "members", "value": [{"value": value}]}
        status, body = client.call("PATCH", target, _patch(operation))
        assert status == 204, body
        model.groups[gid] = (model.groups[gid][0], [m for m in model.members(gid) if m != value])
        return
    if kind == "rename":
        operation = {"op": "replace", "path": "displayName", "value": name}
        status, body = client.call("PATCH", target, _patch(operation))
        assert status == 204, body
        model.groups[gid] = (name, model.members(gid))
        return
    if kind == "delete_group":
        assert client.call("DELETE", target)[0] == 204
        del model.groups[gid]
        model.forget(gid)
        return
    if model.users:  # delete_user
        uid = model.users.pop(g % len(model.users))
        assert client.call("DELETE", f"/Users/{uid}")[0] == 204
        model.forget(uid)


def _compare(client: Client, model: Model) -> None:
    for uid in model.users:
        status, body = client.call("GET", f"/Users/{uid}")
        assert status == 200, body
        assert sorted(body.get("groups", []), key=lambda g: g["value"]) == model.user_groups(uid), uid
    for gid, (name, members) in model.groups.items():
        status, body = client.call("GET", f"/Groups/{gid}")
        assert status == 200, body
        assert body["displayName"] == name
        assert [m["value"] for m in body.get("members", [])] == members
        status, body = client.call("GET", f"/Groups/{gid}?excludedAttributes=members")
        assert status == 200 and "members" not in body
    for value in model.users + list(model.groups):
        holders = sorted(gid for gid, (_, members) in model.groups.items() if value in members)
        found = client.call("GET", f"/Groups?filter=members[value eq {json.dumps(value)}]&attributes=id")[1]
        assert sorted(r["id"] for r in found["Resources"]) == holders
    for gid in model.groups:
        expected = sorted(uid for uid in model.users if any(g["value"] == gid for g in model.user_groups(uid)))
        found = client.call("GET", f'/Users?filter=groups.value eq "{gid}"&attributes=id')[1]
        assert sorted(r["id"] for r in found["Resources"]) == expected
    for name in ("G0", "G1", "G2"):
        expected = sorted(uid for uid in model.users if any(g["display"] == name for g in model.user_groups(uid)))
        found = client.call("GET", f'/Users?filter=groups.display eq "{name}"&attributes=id')[1]
        assert sorted(r["id"] for r in found["Resources"]) == expected


def test_memberships_agree_with_a_naive_model(fresh_service: Callable[[], scimcore.Service], kind: str) -> None:
    examples = settings.default.max_examples // (2 if kind in ("sqlite", "postgresql") else 1)

    @settings(max_examples=examples)
    @given(st.lists(writes, min_size=8, max_size=24))
    def run(sequence: list[tuple[str, int, list[int], int]]) -> None:
        client, model = Client(fresh_service()), Model()
        for write in sequence:
            _apply(client, model, write)
            _compare(client, model)

    run()
