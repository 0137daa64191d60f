"""The large-directory benchmark (issues 6 and 18), shared by ``scimcore bench`` and ``benches/bench_directory.py``.

Over ``users`` generated users (``scimcore.demo.generate_users``), measured in one run:

- ``Directory.search`` with typical filters (indexed ``eq``, ``sw``, ``pr``, value path, dateTime range,
  and/or/not mixes), each with ``sortBy`` and ``count``;
- the same query through ``scimcore.search`` (``compile_filter().filter()`` over Python dicts, then sorting);
- a hand-written Python lambda scan (correct semantics: casefold, any-element, instants) with a
  ``heapq.nsmallest`` top-k sort: the baseline of the ratios;
- Polars and DuckDB over typed, pre-folded tables (:mod:`scimcore._bench_engines`, the optional ``bench``
  extra), their answers checked against the lambda scan's;
- the bytes each native scan must read from its columns and write (a lower bound: the words or cells its
  filter streams, the bitmap of its matches) against the machine's DRAM read bandwidth, one thread against two (and the
  memory's own one-thread bandwidth, whose ratio to the two-thread one bounds a memory-bound scan's speedup);
- the page as JSON from the store (``Directory.search_json``) against Python objects (``Directory.search``);
  these two before the other engines' tables are built (on 2 cores, an engine's threads still busy after
  its query would take a core from the scan);
- load time (``Directory.load_ndjson``) against decoding the same NDJSON into dicts with msgspec (and
  DuckDB's ``read_json``), and the first search on a fresh load, with ``Directory.prepare``;
- memory per resource: the native store's own heap accounting, taken on the directory the queries ran on
  (so the scan columns they built lazily are counted), and the RSS growth of a fresh process loading the
  NDJSON and running the queries, against the Python dicts (``tracemalloc``); the ratio takes the larger.

Ratios only: absolute times depend on the machine and its load. ``progress(message, fraction)`` is called
while data is generated and loaded and as each query is measured.
"""

from __future__ import annotations

import gc
import heapq
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

from . import _bench_engines
from .demo import generate_users
from .directory import Directory
from .query import search
from .store.native import native_module as _native_module

__all__ = [
    "COUNT",
    "World",
    "build_world",
    "cases",
    "lambda_search",
    "load_directory",
    "markdown",
    "measure",
    "run_directory_benchmark",
]

COUNT = 100
LOCATION = "https://scim.example.com/v2/Users/"
"""The URL prefix of the page measured with ``location`` (``Directory.search_json``, as the service calls it)."""
_BANDWIDTH_BYTES = 256 << 20  # far beyond the caches
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
Progress = Callable[[str, "float | None"], None]


def _quiet(message: str, fraction: float | None = None) -> None:
    """The default progress callback: says nothing."""


@dataclass
class World:
    """The generated users, as dicts and as NDJSON, and a sample user for the indexed lookup."""

    users: list[dict]
    ndjson: bytes

    @property
    def sample(self) -> dict:
        return self.users[len(self.users) // 2]


def build_world(users: int, progress: Progress = _quiet) -> World:
    """Generate ``users`` users (deterministic) and their NDJSON."""
    if users < 1:
        raise ValueError("the benchmark needs at least one user")
    progress(f"generating {users:,} users", None)
    generated = generate_users(users, seed=0)
    lines: list[bytes] = []
    encode = msgspec.json.encode
    step = max(1, users // 100)
    for start in range(0, users, step):
        lines.extend(encode(u) for u in generated[start : start + step])
        progress("encoding NDJSON", min(1.0, (start + step) / users))
    return World(generated, b"\n".join(lines))


def load_directory(world: World, progress: Progress = _quiet) -> Directory:
    """A ``Directory`` holding the world's users, loaded in slices so that progress can be shown."""
    directory = Directory(max_results=None)
    lines = world.ndjson.split(b"\n")
    step = max(1, len(lines) // 20)
    for start in range(0, len(lines), step):
        directory.load_ndjson(b"\n".join(lines[start : start + step]))
        progress("loading the directory", min(1.0, (start + step) / len(lines)))
    return directory


def _instant(text):
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _folded(value):
    return value.casefold() if type(value) is str and value else None


def _key_user_name(u):
    return _folded(u.get("userName"))


def _key_family(u):
    name = u.get("name")
    return _folded(name.get("familyName")) if type(name) is dict else None


def _key_created(u):
    meta = u.get("meta")
    return _instant(meta.get("created")) if type(meta) is dict else None


def _key_display(u):
    return _folded(u.get("displayName"))


def _work_example(u):
    for e in u.get("emails") or ():
        if (
            type(e) is dict
            and type(e.get("type")) is str
            and e["type"].casefold() == "work"
            and type(e.get("value")) is str
            and e["value"].casefold().endswith("@example.com")
        ):
            return True
    return False


_LOW, _HIGH = _instant("2015-01-01T00:00:00Z"), _instant("2016-01-01T00:00:00Z")


def _created_2015(u):
    moment = _key_created(u)
    return moment is not None and _LOW <= moment < _HIGH


def _mix(u):
    employee = u.get("active") is True and not (
        type(u.get("userType")) is str and u["userType"].casefold() == "contractor"
    )
    title = u.get("title")
    return employee or (type(title) is str and title.casefold().startswith("senior"))


def cases(sample: dict) -> list[dict]:
    """(name, filter, sortBy, lambda predicate, lambda sort key, indexed?)"""
    wanted = sample["userName"].casefold()
    return [
        dict(
            name="indexed userName eq",
            filter=f'userName eq "{sample["userName"].upper()}"',
            sort=None,
            pred=lambda u: type(u.get("userName")) is str and u["userName"].casefold() == wanted,
            key=None,
            indexed=True,
        ),
        dict(
            name="sw + sortBy userName",
            filter='name.familyName sw "s"',
            sort="userName",
            pred=lambda u: (_key_family(u) or "").startswith("s"),
            key=_key_user_name,
            indexed=False,
        ),
        dict(
            name="pr + sortBy meta.created",
            filter="title pr",
            sort="meta.created",
            pred=lambda u: type(u.get("title")) is str and u["title"] != "",
            key=_key_created,
            indexed=False,
        ),
        dict(
            name="value path + sortBy userName",
            filter='emails[type eq "work" and value ew "@example.com"]',
            sort="userName",
            pred=_work_example,
            key=_key_user_name,
            indexed=False,
        ),
        dict(
            name="dateTime range + sortBy familyName",
            filter='meta.created ge "2015-01-01T00:00:00Z" and meta.created lt "2016-01-01T00:00:00Z"',
            sort="name.familyName",
            pred=_created_2015,
            key=_key_family,
            indexed=False,
        ),
        dict(
            name="and/or/not mix + sortBy displayName",
            filter='(active eq true and not (userType eq "Contractor")) or title sw "Senior"',
            sort="displayName",
            pred=_mix,
            key=_key_display,
            indexed=False,
        ),
    ]


def lambda_search(users, case):
    """The hand-written scan: filter with the lambda, top-`COUNT` by (missing last, key, id)."""
    matched = [u for u in users if case["pred"](u)]
    key = case["key"]
    if key is None:
        return len(matched), matched[:COUNT]
    page = heapq.nsmallest(
        COUNT,
        matched,
        key=lambda u: (
            (k is None, k or "", u["id"]) if not isinstance(k := key(u), datetime) else (False, k.timestamp(), u["id"])
        ),
    )
    return len(matched), page


def _best(function, repeats: int, min_time: float = 0.05) -> float:
    """Best per-call seconds over `repeats` rounds, each long enough to time reliably."""
    function()
    start = time.perf_counter()
    function()
    once = time.perf_counter() - start
    loops = max(1, int(min_time / max(once, 1e-9)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            function()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def _machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(), "platform": platform.platform()}


def _interleaved(runs: dict[str, Callable[[], object]], rounds: int, min_time: float = 0.02) -> dict[str, float]:
    """Median per-call seconds of each run over ``rounds`` rounds, the runs alternating within each round
    (a busy spell on the shared machine slows all alike); a round repeats a fast call to time it reliably."""
    return {name: statistics.median(values) for name, values in _rounds(runs, rounds, min_time).items()}


def _rounds(runs: dict[str, Callable[[], object]], rounds: int, min_time: float = 0.02) -> dict[str, list[float]]:
    """Per-call seconds of each run in each of ``rounds`` rounds (see :func:`_interleaved`)."""
    loops = {}
    for name, run in runs.items():
        run()
        start = time.perf_counter()
        run()
        loops[name] = max(1, int(min_time / max(time.perf_counter() - start, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in runs}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, run in runs.items():
                start = time.perf_counter()
                for _ in range(loops[name]):
                    run()
                times[name].append((time.perf_counter() - start) / loops[name])
    finally:
        if enabled:
            gc.enable()
    return times


def _bandwidths(rounds: int = 3) -> tuple[float, float]:
    """The DRAM read bandwidth on 2 threads and on 1 (bytes per second, the best of ``rounds`` alternating
    measurements of each): what a scan's bytes are set against, and their ratio, the most a second thread
    can add to a scan that the memory bounds."""
    measure = _native_module().memory_bandwidth
    two, one = 0.0, 0.0
    for _ in range(rounds):
        two = max(two, measure(_BANDWIDTH_BYTES, 2))
        one = max(one, measure(_BANDWIDTH_BYTES, 1))
    return two, one


def _page(result: Any) -> tuple[int, list[str]]:
    """(total, page ids) of a search result, whichever engine returned it."""
    if isinstance(result, tuple):
        total, page = result
        return total, [r["id"] for r in page]
    return result.total_results, [r["id"] for r in result.resources]


def measure(
    world: World, directory: Directory, *, repeats: int = 5, engines: bool = True, progress: Progress = _quiet
) -> dict:
    """Time every query (``Directory.search``, Polars and DuckDB when installed, the lambda scan: interleaved
    medians; ``scimcore.search``: best of a few), the load and the memory; return the summary. Every engine's
    totals and page ids are checked against the lambda scan's first (``ValueError`` if they differ)."""
    users, ndjson = world.users, world.ndjson
    load_at_start = os.getloadavg()[0]
    backend: Any = directory._backend  # the native backend's benchmark hooks (scan_runner)
    rows = []
    all_cases = cases(world.sample)
    progress("measuring the memory bandwidth", None)
    bandwidth, bandwidth_one = _bandwidths()
    # the store's own scans and page first, before the other engines exist: on a 2-core machine their
    # threads, still busy after a query of theirs, would take a core from the two-thread scan
    native_scans: dict[str, dict] = {}
    for number, case in enumerate(all_cases):
        if not case["indexed"]:
            progress(f"measuring the native scan of {case['name']}", number / len(all_cases))
            native_scans[case["name"]] = _scan_times(backend, case, bandwidth, bandwidth_one, max(repeats, 21))
    progress("measuring the page: JSON from the store against Python objects", None)
    page = _page_times(backend, directory, all_cases[2], max(repeats, 7))  # every resource matches: a full page
    others: dict[str, list] = {}
    if engines and _bench_engines.available():
        progress("building the Polars and DuckDB tables", None)
        others = _bench_engines.build_engines(users, ndjson, all_cases)
    for number, case in enumerate(all_cases):
        progress(f"measuring {case['name']}", number / len(all_cases))
        runs: dict[str, Callable[[], object]] = {
            "native": partial(directory.search, filter=case["filter"], sort_by=case["sort"], count=COUNT),
            "lambda": partial(lambda_search, users, case),
        }
        runs.update((name, searches[number]) for name, searches in others.items())
        expected = _page(runs["lambda"]())
        for name, run in runs.items():
            if _page(run()) != expected:
                raise ValueError(f"{name} disagrees with the lambda scan on {case['name']!r}")
        medians = _interleaved(runs, repeats)
        compiled = _best(
            lambda case=case: search(users, filter=case["filter"], sort_by=case["sort"], count=COUNT, max_results=None),
            max(2, repeats // 2),
        )
        native, scan = medians["native"], medians["lambda"]
        row = {
            "query": case["name"],
            "filter": case["filter"],
            "sortBy": case["sort"],
            "indexed": case["indexed"],
            "total": expected[0],
            "native_s": native,
            "compile_filter_s": compiled,
            "lambda_s": scan,
            "vs_lambda": scan / native,
            "vs_compile_filter": compiled / native,
            "engines": {name: {"s": medians[name], "ratio": native / medians[name]} for name in others},
        }
        if case["name"] in native_scans:
            row["scan"] = native_scans[case["name"]]
        rows.append(row)

    progress("measuring load time and memory", None)

    def load():
        fresh = Directory(max_results=None)
        fresh.load_ndjson(ndjson)
        return fresh

    lines = ndjson.split(b"\n")
    decoder = msgspec.json.Decoder()
    load_rounds = _load_rounds(load, ndjson if others else None, max(3, repeats))
    decode_s = _best(lambda: [decoder.decode(line) for line in lines], 2, min_time=0)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    dicts = [decoder.decode(line) for line in lines]
    dict_bytes = (tracemalloc.get_traced_memory()[0] - before) / len(users)
    tracemalloc.stop()
    del dicts
    gc.collect()
    first = _first_searches(load(), all_cases)
    rss_bytes = _rss_per_resource(ndjson, all_cases)
    # the directory the queries ran on: its lazily built scan columns are counted
    held = directory.memory_bytes()
    if held is None:
        raise ValueError("the memory figure needs the native Directory")
    native_bytes = held / len(users)

    scans = [r for r in rows if not r["indexed"]]
    indexed = [r for r in rows if r["indexed"]]
    return {
        "users": len(users),
        "machine": {**_machine(), "load_average": [load_at_start, os.getloadavg()[0]]},
        "versions": _bench_engines.versions() if others else {},
        "bandwidth_bytes_per_s": bandwidth,
        "bandwidth_one_thread_bytes_per_s": bandwidth_one,
        "count": COUNT,
        "queries": rows,
        "load": {
            **load_rounds,
            "msgspec_dicts_s": decode_s,
            "ratio": load_rounds["native_s"] / decode_s,
        },
        "first_search": first,
        "page": page,
        "memory": {
            "native_bytes_per_resource": native_bytes,
            "native_rss_per_resource": rss_bytes,
            "python_dict_bytes_per_resource": dict_bytes,
            # the larger of the store's accounting and the process's RSS growth
            "ratio": max(native_bytes, rss_bytes or 0.0) / dict_bytes,
        },
        "min_scan_ratio": min(r["vs_lambda"] for r in scans),
        "indexed_ratio": indexed[0]["vs_lambda"],
    }


def _scan_times(backend: Any, case: dict, bandwidth: float, bandwidth_one: float, rounds: int) -> dict:
    """The store's search of ``case`` (its page chosen, left in the store) on 2 threads and on 1, interleaved
    (more rounds than the engines get: the speedup is a ratio of two noisy figures), and its bytes against
    the bandwidths. The speedup is given from the medians and from each leg's best round: on a shared
    machine a round is slowed when another process holds a core, which costs the two-thread leg its second
    thread and the one-thread leg little, so the medians understate what a second core adds (the best
    rounds are what ``timing.best_interleaved`` keeps in the other benchmarks)."""
    run_two, touched = backend.scan_runner(case["filter"], case["sort"], COUNT, 2)
    run_one, _ = backend.scan_runner(case["filter"], case["sort"], COUNT, 1)
    rounds_s = _rounds({"two": run_two, "one": run_one}, rounds)
    times = {name: statistics.median(values) for name, values in rounds_s.items()}
    touched = touched or 0
    return {
        "two_threads_s": times["two"],
        "one_thread_s": times["one"],
        "speedup": times["one"] / times["two"],
        "best_round_speedup": min(rounds_s["one"]) / min(rounds_s["two"]),
        "bytes": touched,
        "percent_of_bandwidth": 100 * touched / times["two"] / bandwidth,
        "one_thread_percent_of_bandwidth": 100 * touched / times["one"] / bandwidth_one,
    }


def _page_times(backend: Any, directory: Directory, paged: dict, rounds: int) -> dict:
    """The page of ``paged`` as JSON from the store (with and without ``location=``) and as Python objects,
    each against the store's search both share (interleaved medians)."""
    bare, _ = backend.scan_runner(paged["filter"], paged["sort"], COUNT, os.cpu_count() or 1)
    query = dict(filter=paged["filter"], sort_by=paged["sort"], count=COUNT)
    times = _interleaved(
        {
            "bare": bare,
            "json": partial(directory.search_json, **query),
            # as the service sends it: each meta.location made from the service's URL and the id
            "located": partial(directory.search_json, **query, location=LOCATION),
            "objects": partial(directory.search, **query),
        },
        rounds,
    )
    page = {
        "query": paged["name"],
        "store_search_s": times["bare"],
        "search_json_s": times["json"],
        "search_s": times["objects"],
        "json_page_s": max(0.0, times["json"] - times["bare"]),
        "located_page_s": max(0.0, times["located"] - times["bare"]),
        "objects_page_s": max(0.0, times["objects"] - times["bare"]),
        "ratio": times["json"] / times["objects"],
    }
    # what the page itself costs, JSON against objects (the store's search, common to both, left out)
    page["page_ratio"] = page["json_page_s"] / max(page["objects_page_s"], 1e-9)
    return page


def _load_rounds(load: Callable[[], object], ndjson: bytes | None, rounds: int) -> dict:
    """``load_ndjson`` into a fresh Directory and (when ``ndjson`` is given) DuckDB's ``read_json`` of the same
    NDJSON (best of 2 per round), interleaved: the medians, their spreads (min, max) and the ratio of medians."""
    native: list[float] = []
    duck: list[float] = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        fresh = load()
        native.append(time.perf_counter() - start)
        del fresh  # freeing it is not part of the load (DuckDB's connection is closed untimed too)
        if ndjson is not None:
            duck.append(_bench_engines.duckdb_read_json_seconds(ndjson))
    result: dict = {"native_s": statistics.median(native), "native_spread_s": [min(native), max(native)]}
    result["duckdb_read_json_s"] = statistics.median(duck) if duck else None
    if duck:
        result["duckdb_spread_s"] = [min(duck), max(duck)]
        result["vs_duckdb"] = result["native_s"] / result["duckdb_read_json_s"]
    return result


_RSS_SCRIPT = """
import ctypes, gc, json, os, sys
from scimcore import Directory

def rss():
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

with open(sys.argv[1], "rb") as f:
    data = f.read()
queries = json.loads(sys.argv[2])
directory = Directory(max_results=None)
for text, sort in queries:  # imports and caches warmed up, outside the measure
    directory.search(filter=text, sort_by=sort, count=1)
before = rss()
directory.load_ndjson(data)
for text, sort in queries:
    directory.search(filter=text, sort_by=sort, count=100)
print((rss() - before) / len(directory))
"""


def _rss_per_resource(ndjson: bytes, all_cases: list[dict]) -> float | None:
    """The process RSS growth per resource of a fresh interpreter that loads the NDJSON into a ``Directory`` and
    runs the benchmark's queries (building their scan columns), freed memory handed back to the system (glibc's
    ``malloc_trim``) before both readings: everything the store holds, the allocator's overhead and
    fragmentation included. ``None`` where ``/proc/self/statm`` does not exist."""
    if not Path("/proc/self/statm").exists():
        return None
    queries = json.dumps([[c["filter"], c["sort"]] for c in all_cases])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.ndjson"
        path.write_bytes(ndjson)
        done = subprocess.run(
            [sys.executable, "-c", _RSS_SCRIPT, str(path), queries], capture_output=True, text=True, check=True
        )
    return float(done.stdout.strip())


def _first_searches(fresh: Directory, all_cases: list[dict]) -> dict:
    """On a freshly loaded directory: the first search (building its columns), the same search again, the time
    :meth:`Directory.prepare` takes for every other query's columns, and the first of those searches after it."""

    def timed(function: Callable[[], object]) -> float:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    stalled, other = all_cases[4], all_cases[5]
    once = timed(lambda: fresh.search(filter=stalled["filter"], sort_by=stalled["sort"], count=COUNT))
    again = timed(lambda: fresh.search(filter=stalled["filter"], sort_by=stalled["sort"], count=COUNT))
    filters = [c["filter"] for c in all_cases if c is not stalled]
    sorts = sorted({c["sort"] for c in all_cases if c["sort"] and c is not stalled})
    report: dict = {}
    prepare = timed(lambda: report.update(fresh.prepare(filters, sort_by=sorts)))
    after = timed(lambda: fresh.search(filter=other["filter"], sort_by=other["sort"], count=COUNT))
    return {
        "query": stalled["name"],
        "first_s": once,
        "second_s": again,
        "prepare_s": prepare,
        "prepared_bytes": sum(report.values()),
        "after_prepare_query": other["name"],
        "after_prepare_s": after,
    }


def run_directory_benchmark(users: int = 100_000, progress: Progress = _quiet) -> str:
    """Generate, load and measure; the Markdown table (what ``scimcore bench`` prints)."""
    world = build_world(users, progress)
    directory = load_directory(world, progress)
    return markdown(measure(world, directory, progress=progress))


def _one_thread_bandwidth(summary: dict) -> str:
    """The one-thread bandwidth clause of the scan table's heading (empty in summaries from before it)."""
    one = summary.get("bandwidth_one_thread_bytes_per_s")
    if not one:
        return ""
    two = summary["bandwidth_bytes_per_s"]
    return (
        f" and {one / 1e9:.1f} GB/s on 1: {two / one:.2f}x, the most a second thread can add to a scan the memory "
        "bounds"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}" if seconds < 0.01 else f"{seconds * 1000:.1f}"


def markdown(summary: dict) -> str:
    m = summary["machine"]
    out = [
        f"### Directory benchmark: {summary['users']:,} generated users"
        + (f" ({summary['mode']} mode)" if "mode" in summary else ""),
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']} ({m['platform']})"
        + (
            f", load average {m['load_average'][0]:.1f} at the start and {m['load_average'][1]:.1f} at the end. "
            if "load_average" in m
            else ". "
        )
        + f"Each query returns the first {summary['count']} by `sortBy` (Directory.search and the lambda scan: "
        "medians of interleaved rounds; compile_filter: best of a few runs).",
        "",
        "| query | Directory.search (ms) | compile_filter + sort (ms) | lambda scan (ms) | vs lambda "
        "| vs compile_filter |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in summary["queries"]:
        out.append(
            f"| {r['query']} | {_ms(r['native_s'])} | {_ms(r['compile_filter_s'])} | {_ms(r['lambda_s'])} "
            f"| {r['vs_lambda']:.0f}x | {r['vs_compile_filter']:.0f}x |"
        )
    engines = list(summary["queries"][0].get("engines", {}))
    if engines:
        versions = ", ".join(f"{name} {version}" for name, version in summary.get("versions", {}).items())
        out += [
            "",
            f"Against columnar engines ({versions}; typed, pre-folded columns, exploded emails, DuckDB with an "
            "index on userName; the same totals and page ids checked on every engine; medians of interleaved "
            "rounds). Ratio = Directory.search time / the engine's: below 1, scimcore is faster.",
            "",
            "| query | Directory.search (ms) | " + " | ".join(f"{e} (ms) | vs {e}" for e in engines) + " |",
            "|---|---:|" + "---:|---:|" * len(engines),
        ]
        for r in summary["queries"]:
            cells = " | ".join(f"{_ms(r['engines'][e]['s'])} | {r['engines'][e]['ratio']:.2f}" for e in engines)
            out.append(f"| {r['query']} | {_ms(r['native_s'])} | {cells} |")
    scanned = [r for r in summary["queries"] if "scan" in r]
    if scanned:
        out += [
            "",
            "The native scans (the store's search, its page chosen but not copied out; measured, as the page "
            "below, before "
            "the other engines' tables are built, whose threads stay busy a while after their queries): bytes = "
            "what each must read from its "
            "columns (the 8-byte words, 16-byte cells or 16-byte tails its filter streams) and write (the bitmap "
            "of its matches, a bit a resource); text read from an arena and the few entries of the sort order "
            "walked for the page are not counted: a lower bound; the "
            f"machine reads {summary['bandwidth_bytes_per_s'] / 1e9:.1f} GB/s from DRAM on 2 threads (measured "
            "here, summing a 256 MiB buffer)" + _one_thread_bandwidth(summary) + ".",
            "",
            "| query | 2 threads (ms) | 1 thread (ms) | speedup (medians) | speedup (best rounds) "
            "| bytes read (MB) | % of DRAM bandwidth | 1 thread, % of its bandwidth |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in scanned:
            sc = r["scan"]
            one = sc.get("one_thread_percent_of_bandwidth")
            out.append(
                f"| {r['query']} | {_ms(sc['two_threads_s'])} | {_ms(sc['one_thread_s'])} | {sc['speedup']:.2f}x "
                f"| {sc['best_round_speedup']:.2f}x | {sc['bytes'] / 1e6:.1f} | {sc['percent_of_bandwidth']:.0f}% | "
                + ("—" if one is None else f"{one:.0f}%")
                + " |"
            )
    load, mem = summary["load"], summary["memory"]
    duck = load.get("duckdb_read_json_s")
    spread = load.get("native_spread_s")
    rss = mem.get("native_rss_per_resource")
    out += [
        "",
        f"Load (`load_ndjson`): {load['native_s']:.2f} s"
        + (f" (median; {spread[0]:.2f}-{spread[1]:.2f} s)" if spread else "")
        + f", against {load['msgspec_dicts_s']:.2f} s to decode the same NDJSON into dicts with msgspec "
        f"({load['ratio']:.2f}x)"
        + (
            f" and {duck:.2f} s ({load['duckdb_spread_s'][0]:.2f}-{load['duckdb_spread_s'][1]:.2f} s) for "
            f"DuckDB's `read_json` of it, interleaved: {load['vs_duckdb']:.2f}x."
            if duck
            else "."
        ),
        "",
        f"Memory per resource: native {mem['native_bytes_per_resource']:.0f} B (the store's accounting after the "
        "queries, scan columns included)"
        + (
            f", {rss:.0f} B of process RSS growth (a fresh process loading the NDJSON and running the queries, "
            "freed memory returned to the system first)"
            if rss is not None
            else ""
        )
        + f", against {mem['python_dict_bytes_per_resource']:.0f} B for the Python dicts (tracemalloc): "
        f"{mem['ratio']:.2f}x, the larger of the two.",
    ]
    if "page" in summary:
        p = summary["page"]
        out += [
            "",
            f"The page of {summary['count']} ({p['query']}): `Directory.search_json` (projected and encoded in the "
            f"store) {_ms(p['search_json_s'])} ms against `Directory.search` (Python objects) {_ms(p['search_s'])} "
            f"ms ({p['ratio']:.2f}x); beyond the store's search ({_ms(p['store_search_s'])} ms, the page chosen, "
            f"left in the store) the JSON page costs {_ms(p['json_page_s'])} ms and the objects "
            f"{_ms(p['objects_page_s'])} ms ({p['page_ratio']:.2f}x)"
            + (
                f"; {_ms(p['located_page_s'])} ms with each `meta.location` set from a URL prefix, as the service "
                "sends it."
                if "located_page_s" in p
                else "."
            ),
        ]
    if "first_search" in summary:
        f = summary["first_search"]
        out += [
            "",
            f"First search on a fresh load ({f['query']}): {_ms(f['first_s'])} ms (its columns built), "
            f"{_ms(f['second_s'])} ms the second time; `Directory.prepare` built the other queries' columns "
            f"({f['prepared_bytes'] / 1e6:.1f} MB) in {_ms(f['prepare_s'])} ms, after which the first "
            f"{f['after_prepare_query']} took {_ms(f['after_prepare_s'])} ms.",
        ]
    if "thresholds" in summary:
        t = summary["thresholds"]
        out += [
            "",
            f"Required here: full scans >= {t['scan']:g}x the lambda scan (measured minimum "
            f"{summary['min_scan_ratio']:.1f}x), indexed lookup >= {t['indexed']:g}x (measured "
            f"{summary['indexed_ratio']:.0f}x), memory <= {t['memory']:g}x the dicts (measured {mem['ratio']:.2f}x)"
            + (
                f", the JSON page <= {t['page']:g}x the objects' (measured {summary['page']['page_ratio']:.2f}x)"
                if "page" in t
                else ""
            )
            + (
                f", Directory.search <= {t['engines']:g}x each columnar engine (measured at most "
                f"{max(e['ratio'] for r in summary['queries'] for e in r['engines'].values()):.2f}x)"
                if "engines" in t and engines
                else ""
            )
            + (
                f", the load <= {t['load']:g}x DuckDB's read_json (measured {summary['load']['vs_duckdb']:.2f}x)"
                if "load" in t and summary["load"].get("vs_duckdb") is not None
                else ""
            )
            + ".",
        ]
    return "\n".join(out)
