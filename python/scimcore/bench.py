"""The large-directory benchmark (issue 6), shared by ``scimcore bench`` and ``benches/bench_directory.py``.

Over ``users`` generated users (``scimcore.demo.generate_users``), measured in one run:

- ``Directory.search`` with typical filters (indexed ``eq``, ``sw``, ``pr``, value path, dateTime range,
  and/or/not mixes), each with ``sortBy`` and ``count``;
- the same query through ``scimcore.search`` (``compile_filter().filter()`` over Python dicts, then sorting);
- a hand-written Python lambda scan (correct semantics: casefold, any-element, instants) with a
  ``heapq.nsmallest`` top-k sort: the baseline of the ratios;
- load time (``Directory.load_ndjson``) against decoding the same NDJSON into dicts with msgspec;
- memory per resource: the native store's own heap accounting, taken on the directory the queries ran on
  (so the scan columns they built lazily are counted), and the process RSS growth of a fresh load, against
  the Python dicts (``tracemalloc``).

Ratios only: absolute times depend on the machine and its load. ``progress(message, fraction)`` is called
while data is generated and loaded and as each query is measured.
"""

from __future__ import annotations

import gc
import heapq
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from .demo import generate_users
from .directory import Directory
from .query import search

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


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


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


def measure(world: World, directory: Directory, *, repeats: int = 5, progress: Progress = _quiet) -> dict:
    """Time every query three ways, the load and the memory; return the summary (ratios and times)."""
    users, ndjson = world.users, world.ndjson
    rows = []
    all_cases = cases(world.sample)
    for number, case in enumerate(all_cases):
        progress(f"measuring {case['name']}", number / len(all_cases))
        native = _best(
            lambda case=case: directory.search(filter=case["filter"], sort_by=case["sort"], count=COUNT), repeats
        )
        compiled = _best(
            lambda case=case: search(users, filter=case["filter"], sort_by=case["sort"], count=COUNT, max_results=None),
            max(2, repeats // 2),
        )
        scan = _best(lambda case=case: lambda_search(users, case), max(2, repeats // 2))
        rows.append(
            {
                "query": case["name"],
                "filter": case["filter"],
                "sortBy": case["sort"],
                "indexed": case["indexed"],
                "native_s": native,
                "compile_filter_s": compiled,
                "lambda_s": scan,
                "vs_lambda": scan / native,
                "vs_compile_filter": compiled / native,
            }
        )

    progress("measuring load time and memory", None)

    def load():
        fresh = Directory(max_results=None)
        fresh.load_ndjson(ndjson)
        return fresh

    lines = ndjson.split(b"\n")
    decoder = msgspec.json.Decoder()
    load_s = _best(load, 2, min_time=0)
    decode_s = _best(lambda: [decoder.decode(line) for line in lines], 2, min_time=0)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    dicts = [decoder.decode(line) for line in lines]
    dict_bytes = (tracemalloc.get_traced_memory()[0] - before) / len(users)
    tracemalloc.stop()
    del dicts
    gc.collect()
    rss_before = _rss_bytes()
    fresh = load()
    gc.collect()
    rss_growth = (_rss_bytes() - rss_before) / len(users)
    del fresh
    # the directory the queries ran on: its lazily built scan columns are counted
    held = directory.memory_bytes()
    if held is None:
        raise ValueError("the memory figure needs the native Directory")
    native_bytes = held / len(users)

    scans = [r for r in rows if not r["indexed"]]
    indexed = [r for r in rows if r["indexed"]]
    return {
        "users": len(users),
        "machine": _machine(),
        "count": COUNT,
        "queries": rows,
        "load": {"native_s": load_s, "msgspec_dicts_s": decode_s, "ratio": load_s / decode_s},
        "memory": {
            "native_bytes_per_resource": native_bytes,
            "native_rss_growth_per_resource": rss_growth,
            "python_dict_bytes_per_resource": dict_bytes,
            "ratio": native_bytes / dict_bytes,
        },
        "min_scan_ratio": min(r["vs_lambda"] for r in scans),
        "indexed_ratio": indexed[0]["vs_lambda"],
    }


def run_directory_benchmark(users: int = 100_000, progress: Progress = _quiet) -> str:
    """Generate, load and measure; the Markdown table (what ``scimcore bench`` prints)."""
    world = build_world(users, progress)
    directory = load_directory(world, progress)
    return markdown(measure(world, directory, progress=progress))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}" if seconds < 0.01 else f"{seconds * 1000:.1f}"


def markdown(summary: dict) -> str:
    m = summary["machine"]
    out = [
        f"### Directory benchmark: {summary['users']:,} generated users"
        + (f" ({summary['mode']} mode)" if "mode" in summary else ""),
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']} ({m['platform']}). "
        f"Each query returns the first {summary['count']} by `sortBy` (best of several runs).",
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
    load, mem = summary["load"], summary["memory"]
    out += [
        "",
        f"Load (`load_ndjson`): {load['native_s']:.2f} s, against {load['msgspec_dicts_s']:.2f} s to decode the "
        f"same NDJSON into dicts with msgspec ({load['ratio']:.2f}x).",
        "",
        f"Memory per resource: native {mem['native_bytes_per_resource']:.0f} B (store accounting after the "
        f"queries, scan columns included; the process RSS grew {mem['native_rss_growth_per_resource']:.0f} B per "
        f"resource on a fresh load without columns, a lower bound since earlier loads left freed memory to "
        f"reuse) against {mem['python_dict_bytes_per_resource']:.0f} B "
        f"for the Python dicts ({mem['ratio']:.2f}x).",
    ]
    if "thresholds" in summary:
        t = summary["thresholds"]
        out += [
            "",
            f"Required here: full scans >= {t['scan']:g}x the lambda scan (measured minimum "
            f"{summary['min_scan_ratio']:.1f}x), indexed lookup >= {t['indexed']:g}x (measured "
            f"{summary['indexed_ratio']:.0f}x), memory <= {t['memory']:g}x the dicts (measured {mem['ratio']:.2f}x).",
        ]
    return "\n".join(out)
