"""Groups at a company's size (issue 16): what a change to a big group costs against the same change to a small one.

Through ``scimcore.Service`` (the whole request: routing, decoding, the store, ``User.groups``), on each store
(the native and pure-Python ``Directory``, ``SqlDirectory`` on SQLite in memory and on PostgreSQL when
``SCIMCORE_PG_DSN`` is set), a group of 10 members and a big one. The operations, each timed best-of-rounds
interleaved with the same operation on the small group (``timing.best_interleaved``; the times are printed):

- ``add``: PATCH ``add members`` of one user; ``remove``: PATCH ``remove members[value eq "x"]`` of one;
- ``read member``: GET a member ``User`` (with its derived ``groups``);
- ``find``: GET ``/Groups?filter=displayName eq "..."&excludedAttributes=members``;
- ``etag``: a PATCH with a stale ``If-Match`` (412), and a GET with a matching ``If-None-Match`` (304);
- GET ``/Groups/{id}?excludedAttributes=members``.

Each must cost at most 3x in the big group what it costs in the small one. The batch curve: a group filled by
PATCHes of 500 members each; the median of the last three batches must cost at most 2x the median of the first
three.

Sizes (``timing.size``): the big group has 2,000 members in the short mode (CI, a plain ``pytest``); with
``SCIMCORE_BENCH=full`` 10,000 and 1,000,000 (memory stores) or 100,000 (SQL), and 40 batches (20,000 members)
instead of 8 (``SCIMCORE_BENCH_GROUP_SIZES=10000,100000`` sets other big sizes). The full mode also writes
``bench-results/groups.png`` (cost against group size) when matplotlib
is installed (``pip install -e .[bench]``); the short mode never needs it. Last, the same add, remove and find
through scim2-server (500 members in the short mode, 10,000 in the full one), printed for comparison only.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

import scimcore
from timing import FULL, best_interleaved, require, size

SMALL = 10
_SIZES = os.environ.get("SCIMCORE_BENCH_GROUP_SIZES")  # "10000,100000": other big sizes, for every store
BIG_MEMORY = tuple(map(int, _SIZES.split(","))) if _SIZES else (10_000, 1_000_000) if FULL else (2_000,)
BIG_SQL = tuple(map(int, _SIZES.split(","))) if _SIZES else (10_000, 100_000) if FULL else (2_000,)
BATCH = 500
BATCHES = size(8, 40)
ROUNDS = 15
AT_MOST = 3.0
BATCH_AT_MOST = 2.0
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
KINDS = ("native", "python", "sqlite", "postgresql")
RESULTS = Path(__file__).resolve().parent.parent / "bench-results"
_figures: dict[tuple[str, str], dict[int, float]] = {}  # (store, operation) -> group size -> best seconds


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "postgresql" and not os.environ.get("SCIMCORE_PG_DSN"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("SCIMCORE_PG_DSN is not set (source .ci/postgres.sh)")
    if request.param == "native" and scimcore.Directory("User").backend != "native":
        pytest.skip("scimcore._native is not built")
    yield request.param


class World:
    """A service over fresh User and Group stores of one kind, with users loaded by import (ids known)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.closing: list[Callable[[], Any]] = []
        self.users = self.store("User")
        self.groups = self.store("Group")
        self.service = scimcore.Service({"User": self.users, "Group": self.groups}, base_url="https://x/scim/v2")
        self.count = 0

    def store(self, resource_type: str) -> Any:
        if self.kind in ("native", "python"):
            return scimcore.Directory(resource_type, backend=self.kind, max_results=None)
        if self.kind == "sqlite":
            connection = sqlite3.connect(":memory:", check_same_thread=False)
            self.closing.append(connection.close)
            return scimcore.SqlDirectory(connection, resource_type, max_results=None)
        import psycopg

        connection = psycopg.connect(os.environ["SCIMCORE_PG_DSN"], autocommit=True)
        table = f"bench_{resource_type.lower()}_{uuid.uuid4().hex[:10]}"
        self.closing.append(connection.close)
        self.closing.append(lambda: connection.execute(f"DROP TABLE IF EXISTS {table}, {table}_members"))
        return scimcore.SqlDirectory(connection, resource_type, table=table, max_results=None)

    def close(self) -> None:
        while self.closing:
            self.closing.pop()()

    def new_users(self, n: int) -> list[str]:
        ids = [f"u{self.count + i:08d}" for i in range(n)]
        self.count += n
        self.users.load([{"id": uid, "userName": uid} for uid in ids])
        return ids

    def group(self, name: str, members: list[str]) -> str:
        """A group imported with its members; the members' ``groups`` are derived for the first few only (the
        ones the benchmark reads)."""
        gid = f"g-{name}"
        self.groups.load([{"id": gid, "displayName": name, "members": [{"value": m} for m in members]}])
        memberships = self.service.memberships
        memberships.refresh(memberships.links(), members[:3])
        return gid

    def call(self, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
        raw = b"" if body is None else msgspec.json.encode(body)
        sent = {"Content-Type": "application/scim+json", **(headers or {})}
        return self.service.handle(method, target, sent, raw).status


class Operations:
    """The timed operations on one group; ``removable`` holds members the remove operation may take out."""

    def __init__(self, world: World, gid: str, name: str, member: str) -> None:
        self.world, self.gid = world, gid
        self.target = f"/Groups/{gid}"
        self.removable: list[str] = []
        nop = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": name}]}
        found = f'/Groups?filter=displayName eq "{name}"&excludedAttributes=members'
        self.runs: dict[str, Callable[[], None]] = {
            "add one member": self.add_one,
            "remove one by filter": self.remove_one,
            "read a member User": lambda: self.expect(200, "GET", f"/Users/{member}"),
            "find with excludedAttributes=members": lambda: self.expect(200, "GET", found),
            "ETag check (stale If-Match)": lambda: self.expect(
                412, "PATCH", self.target, nop, {"If-Match": 'W/"0000000000000000"'}
            ),
            "GET /Groups/{id}?excludedAttributes=members": lambda: self.expect(
                200, "GET", f"{self.target}?excludedAttributes=members"
            ),
            "GET /Groups/{id} with a matching If-None-Match (304)": self.not_modified,
        }
        self.etag: str | None = None

    def expect(self, status: int, *call: Any) -> None:
        got = self.world.call(*call)
        assert got == status, (call, got)

    def not_modified(self) -> None:
        if self.etag is None:  # read once per measurement: the group does not change while this one runs
            self.etag = self.world.groups.get(self.gid, excluded_attributes="members")["meta"]["version"]
        self.expect(304, "GET", self.target, None, {"If-None-Match": self.etag})

    def add_one(self) -> None:
        uid = self.world.new_users(1)[0]
        op = {"op": "add", "path": "members", "value": [{"value": uid}]}
        self.expect(204, "PATCH", self.target, {"schemas": [PATCH], "Operations": [op]})
        self.removable.append(uid)

    def remove_one(self) -> None:
        op = {"op": "remove", "path": f'members[value eq "{self.removable.pop()}"]'}
        self.expect(204, "PATCH", self.target, {"schemas": [PATCH], "Operations": [op]})

    def refill(self, n: int) -> None:
        """Add ``n`` members (untimed) for the removes to take out."""
        uids = self.world.new_users(n)
        op = {"op": "add", "path": "members", "value": [{"value": uid} for uid in uids]}
        self.expect(204, "PATCH", self.target, {"schemas": [PATCH], "Operations": [op]})
        self.removable.extend(uids)


def test_cost_follows_the_change(kind: str) -> None:
    world = World(kind)
    try:
        small_members = world.new_users(SMALL)
        small = Operations(world, world.group("Small", small_members), "Small", small_members[0])
        for big_size in BIG_SQL if kind in ("sqlite", "postgresql") else BIG_MEMORY:
            members = world.new_users(big_size)
            name = f"Big{big_size}"
            big = Operations(world, world.group(name, members), name, members[0])
            for operation in big.runs:

                def measure(operation: str = operation, big: Operations = big, big_size: int = big_size) -> float:
                    for side in (small, big):
                        side.etag = None  # the adds and removes of every size before changed the group
                        if operation == "remove one by filter":
                            side.refill(ROUNDS)
                    small_time, big_time = best_interleaved(ROUNDS, small.runs[operation], big.runs[operation])
                    _figures.setdefault((kind, operation), {}).update({SMALL: small_time, big_size: big_time})
                    times = f"{SMALL} members {small_time * 1e6:.0f} us, {big_size} {big_time * 1e6:.0f} us"
                    print(f"\n  {kind} {operation}: {times}")
                    return big_time / small_time

                require(f"groups[{kind}] {operation}: {big_size} vs {SMALL} members", measure, at_most=AT_MOST)
    finally:
        world.close()
    if FULL:
        _plot()


def test_batches_cost_the_same_first_to_last(kind: str) -> None:
    world = World(kind)
    curves: list[list[float]] = []

    def measure() -> float:
        gid = world.group(f"Batches{len(curves)}", [])
        times = []
        for _ in range(BATCHES):
            batch = world.new_users(BATCH)
            op = {"op": "add", "path": "members", "value": [{"value": uid} for uid in batch]}
            gc.collect()
            gc.disable()  # as timing.best_interleaved: a collection of the growing heap is not the PATCH's cost
            try:
                start = time.perf_counter()
                assert world.call("PATCH", f"/Groups/{gid}", {"schemas": [PATCH], "Operations": [op]}) == 204
                times.append(time.perf_counter() - start)
            finally:
                gc.enable()
        assert len(world.groups.get(gid)["members"]) == BATCH * BATCHES
        curves.append(times)
        return statistics.median(times[-3:]) / statistics.median(times[:3])

    try:
        require(f"groups[{kind}] batches of {BATCH}: last 3 vs first 3 of {BATCHES}", measure, at_most=BATCH_AT_MOST)
        _record_curve(kind, curves[-1])
    finally:
        world.close()


def _record_curve(kind: str, times: list[float]) -> None:
    if FULL:
        RESULTS.mkdir(exist_ok=True)
        with open(RESULTS / f"groups-batches-{kind}.json", "w", encoding="utf-8") as out:
            json.dump({"batch": BATCH, "seconds": times}, out)


def _plot() -> None:
    """``bench-results/groups.png``: the best time of each operation against the group size (full mode)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    RESULTS.mkdir(exist_ok=True)
    figure, axes = plt.subplots(figsize=(9, 5.5))
    for (kind, operation), points in sorted(_figures.items()):
        sizes = sorted(points)
        axes.plot(sizes, [points[s] * 1e6 for s in sizes], marker="o", label=f"{kind}: {operation}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("members in the group")
    axes.set_ylabel("best time per request (us)")
    axes.set_title("scimcore groups through Service.handle: cost against group size (issue 16)")
    axes.legend(fontsize=5, ncol=2)
    figure.tight_layout()
    figure.savefig(RESULTS / "groups.png", dpi=120)
    plt.close(figure)


def test_scim2_server_for_comparison() -> None:
    """The same changes through scim2-server (its in-memory storage, over WSGI), printed for comparison with the
    figures above: nothing is required of it, only that it answers."""
    pytest.importorskip("scim2_server")
    from scim2_server.applications.wsgi import WSGIApplication
    from scim2_server.memory import InMemoryStorage
    from scim2_server.utils import load_default_provider
    from werkzeug.test import Client

    client = Client(WSGIApplication(InMemoryStorage(), load_default_provider()))
    headers = {"Content-Type": "application/scim+json"}
    user_schema = "urn:ietf:params:scim:schemas:core:2.0:User"
    group_schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    count = 0

    def users(n: int) -> list[str]:
        nonlocal count
        ids = []
        for _ in range(n):
            body = json.dumps({"schemas": [user_schema], "userName": f"s{count}"})
            count += 1
            ids.append(client.post("/Users", data=body, headers=headers).get_json()["id"])
        return ids

    def group(name: str, members: list[str]) -> str:
        body = {"schemas": [group_schema], "displayName": name, "members": [{"value": m} for m in members]}
        response = client.post("/Groups", data=json.dumps(body), headers=headers)
        assert response.status_code == 201
        return response.get_json()["id"]

    def patch(gid: str, operation: dict[str, Any]) -> None:
        body = json.dumps({"schemas": [PATCH], "Operations": [operation]})
        assert client.patch(f"/Groups/{gid}", data=body, headers=headers).status_code in (200, 204)

    big_size, rounds = size(500, 10_000), size(5, ROUNDS)
    sides = {"small": group("Small", users(SMALL)), "big": group("Big", users(big_size))}
    pools = {side: users(rounds) for side in sides}
    added: dict[str, list[str]] = {side: [] for side in sides}

    def add(side: str) -> Callable[[], None]:
        def run() -> None:
            uid = pools[side].pop()
            patch(sides[side], {"op": "add", "path": "members", "value": [{"value": uid}]})
            added[side].append(uid)

        return run

    def remove(side: str) -> Callable[[], None]:
        return lambda: patch(sides[side], {"op": "remove", "path": f'members[value eq "{added[side].pop()}"]'})

    def find(side: str) -> Callable[[], None]:
        name = "Small" if side == "small" else "Big"
        target = f'/Groups?filter=displayName eq "{name}"&excludedAttributes=members'
        return lambda: None if client.get(target).status_code == 200 else pytest.fail("find")

    for operation, make in (("add one member", add), ("remove one by filter", remove), ("find", find)):
        small_time, big_time = best_interleaved(rounds, make("small"), make("big"))
        print(
            f"\nscim2-server {operation}: {SMALL} members {small_time * 1e6:.0f} us, {big_size} "
            f"{big_time * 1e6:.0f} us: {big_time / small_time:.2f}x"
        )
