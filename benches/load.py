"""A bounded load test of ``scimcore serve`` under uvicorn (issue 17; docs/operations.md).

It starts ``scimcore serve`` on 127.0.0.1 (a free port; loopback only) over the in-memory (native) store in one
process, or over PostgreSQL in two worker processes (a fresh database on ``SCIMCORE_PG_DSN``, dropped at the
end), then runs concurrent httpx clients for a fixed time at each concurrency level. Each client repeats an
Entra/Okta provisioning cycle: lookup by ``userName`` (absent), create, lookup by ``externalId``, PATCH
(Entra's ``Replace``), PUT (Okta), a group member batch (PATCH ``add members``), one increment of a shared
counter under ``If-Match`` (GET, PUT with the ETag, again on 412), and the delete that deprovisions the user, so
the directory's size stays the same and memory can be compared. It reports throughput and p50/p99 per request
type, the 5xx count, the counter's final value against the increments acknowledged (a lost update shows as a
difference), and the server's resident memory after warm-up and at the end; ``--plot`` draws p50/p99 against
concurrency (matplotlib). The server is stopped at the end whatever happens.

    python benches/load.py --store native --seconds 10 --concurrency 1,4,16 --plot load.png
    python benches/load.py --store postgresql --workers 2 --seconds 10 --concurrency 1,4,16

``--restart-postgres`` stops the throwaway server of ``.ci/postgres.sh`` for ``--outage`` seconds (default 1)
a third into each level: requests in flight get 503 with ``Retry-After`` (counted apart), requests waiting for
a pooled connection are served when it is back (the pool waits 5 s), anything else of 5xx is a failure, and the
counter must still be exact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

TOKEN = "load-test-token"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}


@dataclass
class Level:
    """What one concurrency level measured."""

    concurrency: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    unexpected: list[str] = field(default_factory=list)
    increments: int = 0
    retries: int = 0
    counter_value: int = 0
    counter_start: int = 0
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    cycles: int = 0

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def server_errors(self) -> int:
        return sum(n for by in self.statuses.values() for status, n in by.items() if status >= 500 and status != 503)

    @property
    def unavailable(self) -> int:
        return sum(by.get(503, 0) for by in self.statuses.values())

    @property
    def lost_updates(self) -> int:
        return self.counter_start + self.increments - self.counter_value

    def summary(self) -> dict[str, Any]:
        kinds = {}
        for kind, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            kinds[kind] = {
                "count": len(ordered),
                "per_second": round(len(ordered) / self.seconds, 1),
                "p50_ms": round(_percentile(ordered, 0.50) * 1000, 2),
                "p99_ms": round(_percentile(ordered, 0.99) * 1000, 2),
                "statuses": dict(self.statuses[kind]),
            }
        return {
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "requests_per_second": round(self.requests / self.seconds, 1),
            "server_errors": self.server_errors,
            "unavailable_503": self.unavailable,
            "increments": self.increments,
            "if_match_retries": self.retries,
            "lost_updates": self.lost_updates,
            "unexpected": self.unexpected[:10],
            "cycles": self.cycles,
            "rss_start_kb": self.rss_start_kb,
            "rss_end_kb": self.rss_end_kb,
            "kinds": kinds,
        }


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """A new database on the server of ``dsn`` (dropped afterwards): its DSN."""
    import psycopg

    name = f"scimcore_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlparse(dsn)
    try:
        yield urlunparse(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def serve(store: str, workers: int = 1, timeout: float = 60.0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``scimcore serve`` on a free loopback port: ``(base URL, process)``; always stopped on exit."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "import sys; from scimcore.cli import main; sys.exit(main())",
        "serve",
        "--store",
        store,
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--workers",
        str(workers),
        "--max-failures",
        "1000",
    ]
    # the server's log goes to a file: a pipe nobody reads fills up and blocks the server (after 64 KiB of log)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}/scim/v2"
        try:
            _wait_ready(base, process, timeout, log)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float, log: Any) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            error = log.read().decode(errors="replace")
            raise RuntimeError(f"scimcore serve exited with {process.returncode}: {error[-2000:]}")
        try:
            if httpx.get(f"{base}/ServiceProviderConfig", headers=HEADERS, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("scimcore serve did not answer in time")


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and its children (uvicorn's workers), from /proc (0 where unreadable)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


async def _cycle(client: Any, level: Level, run: str, worker: int, counter: dict[str, Any], group: str) -> None:
    """One provisioning cycle (see the module documentation)."""
    index = counter["next"]
    counter["next"] += 1
    name = f"{run}-{worker}-{index}@example.com"
    external = f"ext-{run}-{worker}-{index}"

    async def call(kind: str, method: str, path: str, expected: tuple[int, ...], **kw: Any) -> Any:
        start = time.perf_counter()
        response = await client.request(method, path, headers={**HEADERS, **kw.pop("headers", {})}, **kw)
        level.latencies[kind].append(time.perf_counter() - start)
        level.statuses[kind][response.status_code] += 1
        if response.status_code not in expected and response.status_code != 503:
            level.unexpected.append(f"{kind} {response.status_code} {response.text[:200]}")
        return response

    found = await call("lookup userName", "GET", "/Users", (200,), params={"filter": f'userName eq "{name}"'})
    if found.status_code != 200:
        return
    body = {"schemas": [USER], "userName": name, "externalId": external, "active": True, "name": {"givenName": "L"}}
    created = await call("create", "POST", "/Users", (201,), json=body)
    if created.status_code != 201:
        return
    uid = created.json()["id"]
    await call("lookup externalId", "GET", "/Users", (200,), params={"filter": f'externalId eq "{external}"'})
    patch = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "displayName", "value": "Load Test"}]}
    await call("patch", "PATCH", f"/Users/{uid}", (200,), json=patch)
    await call("put", "PUT", f"/Users/{uid}", (200,), json={**body, "active": False})
    members = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]}
    await call("group members", "PATCH", f"/Groups/{group}", (200, 204), json=members)
    await _increment(call, level, counter["id"])
    await call("delete", "DELETE", f"/Users/{uid}", (204,))


async def _increment(call: Any, level: Level, counter_id: str) -> None:
    """One increment of the counter's ``nickName`` under ``If-Match``: again on 412, until it is acknowledged."""
    for _ in range(1000):
        got = await call("counter get", "GET", f"/Users/{counter_id}", (200,))
        if got.status_code != 200:
            continue
        document = got.json()
        value = int(document.get("nickName", "0"))
        replacement = {key: document[key] for key in ("schemas", "userName") if key in document}
        replacement["nickName"] = str(value + 1)
        put = await call(
            "counter put",
            "PUT",
            f"/Users/{counter_id}",
            (200, 412),
            json=replacement,
            headers={"If-Match": got.headers["etag"]},
        )
        if put.status_code == 200:
            level.increments += 1
            return
        level.retries += 1  # 412 (another client was first) or 503 (nothing written): read again


async def run_level(
    base: str, pid: int, concurrency: int, seconds: float, restart: Any = None, cycles: int | None = None
) -> Level:
    """Run ``concurrency`` clients for ``seconds`` against the service at ``base`` (``cycles``: until that many
    provisioning cycles have run instead, however long it takes)."""
    import httpx

    level = Level(concurrency, seconds)
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        counter_body = {"schemas": [USER], "userName": f"counter-{run}", "nickName": "0"}
        counter_id = (await client.post("/Users", json=counter_body, headers=HEADERS)).json()["id"]
        groups = []
        for index in range(max(1, min(4, concurrency))):
            response = await client.post(
                "/Groups", json={"schemas": [GROUP], "displayName": f"load-{run}-{index}"}, headers=HEADERS
            )
            groups.append(response.json()["id"])
        state = {"id": counter_id, "next": 0}
        warm = Level(concurrency, 1.0)
        for worker in range(concurrency):  # warm-up: one cycle each, not counted
            await _cycle(client, warm, run, worker, state, groups[worker % len(groups)])
        await _increments_so_far(client, counter_id, level)
        level.rss_start_kb = rss_kb(pid)
        first = state["next"]
        deadline = time.monotonic() + seconds if cycles is None else float("inf")
        last = first + cycles if cycles is not None else None
        stopper = threading.Thread(target=restart, args=(seconds,)) if restart is not None else None
        if stopper is not None:
            stopper.start()

        async def worker_loop(worker: int) -> None:
            while time.monotonic() < deadline and (last is None or state["next"] < last):
                await _cycle(client, level, run, worker, state, groups[worker % len(groups)])

        started = time.monotonic()
        await asyncio.gather(*(worker_loop(worker) for worker in range(concurrency)))
        level.seconds = time.monotonic() - started
        if stopper is not None:
            stopper.join()
        level.rss_end_kb = rss_kb(pid)
        level.cycles = state["next"] - first
        final = await client.get(f"/Users/{counter_id}", headers=HEADERS)
        level.counter_value = int(final.json()["nickName"])
    return level


async def _increments_so_far(client: Any, counter_id: str, level: Level) -> None:
    """The counter after warm-up: what the measured increments add to."""
    response = await client.get(f"/Users/{counter_id}", headers=HEADERS)
    level.counter_start = int(response.json()["nickName"])


def postgres_restarter(outage: float) -> Any:
    """A function stopping the throwaway PostgreSQL for ``outage`` seconds a third into a level."""
    data, bindir, dsn = (os.environ[name] for name in ("SCIMCORE_PG_DATA", "SCIMCORE_PG_BINDIR", "SCIMCORE_PG_DSN"))
    runas = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    base = Path(data).parent
    options = f"-c listen_addresses=127.0.0.1 -p {urlparse(dsn).port} -k {base / 'socket'} -c fsync=off"

    def restart(seconds: float) -> None:
        time.sleep(seconds / 3)
        ctl = [*runas, f"{bindir}/pg_ctl", "-D", data, "-w", "-t", "60"]
        subprocess.run([*ctl, "-m", "fast", "stop"], check=True, capture_output=True, timeout=90)
        time.sleep(outage)
        subprocess.run([*ctl, "-l", str(base / "server.log"), "-o", options, "start"], check=True, timeout=90)

    return restart


def run(
    store: str,
    workers: int,
    levels: list[int],
    seconds: float,
    restart: bool = False,
    outage: float = 1.0,
    cycles: int | None = None,
) -> list[Level]:
    """Serve ``store`` (``native`` or ``postgresql``) and run every level, one after the other on the same server
    (each for ``seconds``, or ``cycles`` provisioning cycles); the server is stopped at the end."""
    stopper = postgres_restarter(outage) if restart and store == "postgresql" else None
    with served(store, workers) as (base, pid):
        return [asyncio.run(run_level(base, pid, n, seconds, stopper, cycles)) for n in levels]


@contextmanager
def served(store: str, workers: int) -> Iterator[tuple[str, int]]:
    """``scimcore serve`` over ``store`` (``native``: in memory; ``postgresql``: a fresh database on
    ``SCIMCORE_PG_DSN``, dropped afterwards): ``(base URL, server pid)``; always stopped on exit."""
    if store == "native":
        with serve("memory", workers) as (base, process):
            yield base, process.pid
        return
    with fresh_database(os.environ["SCIMCORE_PG_DSN"]) as dsn, serve(dsn, workers) as (base, process):
        yield base, process.pid


def plot(results: dict[str, list[Level]], path: str) -> None:
    """p50 and p99 latency of each request type against concurrency, one panel per deployment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(7 * len(results), 5), squeeze=False)
    for axis, (label, levels) in zip(axes[0], results.items(), strict=True):
        concurrency = [level.concurrency for level in levels]
        for kind in sorted(levels[0].latencies):
            p50 = [_percentile(sorted(level.latencies[kind]), 0.5) * 1000 for level in levels]
            p99 = [_percentile(sorted(level.latencies[kind]), 0.99) * 1000 for level in levels]
            (line,) = axis.plot(concurrency, p50, marker="o", label=f"{kind} p50")
            axis.plot(concurrency, p99, marker="x", linestyle="--", color=line.get_color(), label=f"{kind} p99")
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel("concurrent clients")
        axis.set_ylabel("latency (ms)")
        axis.set_title(label)
        axis.legend(fontsize=6, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=("native", "postgresql", "both"), default="native")
    parser.add_argument("--workers", type=int, default=None, help="default: 1 for native, 2 for PostgreSQL")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cycles", type=int, default=None, help="run each level for this many cycles instead")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--restart-postgres", action="store_true")
    parser.add_argument("--outage", type=float, default=1.0, help="seconds PostgreSQL stays stopped")
    parser.add_argument("--plot", help="write a PNG of latency against concurrency")
    parser.add_argument("--json", help="write the figures as JSON")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.concurrency.split(",")]
    results: dict[str, list[Level]] = {}
    for store in ("native", "postgresql") if args.store == "both" else (args.store,):
        workers = args.workers or (1 if store == "native" else 2)
        label = f"{store}, {workers} process{'es' if workers > 1 else ''}"
        results[label] = run(
            store,
            workers,
            levels,
            args.seconds,
            args.restart_postgres and store == "postgresql",
            args.outage,
            args.cycles,
        )
    figures = {label: [level.summary() for level in levels] for label, levels in results.items()}
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    if args.plot:
        plot(results, args.plot)
    failed = any(
        level.server_errors or level.lost_updates or level.unexpected for ls in results.values() for level in ls
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
