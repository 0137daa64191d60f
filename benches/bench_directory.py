"""Large directories (issue 6): ``scimcore.Directory`` (native) against Python over the same generated users.

Measured in one run, over ``SCIMCORE_BENCH_USERS`` users (default 20,000: the CI-short mode of a plain
``pytest``; the full run is ``SCIMCORE_BENCH_USERS=300000``, the slow opt-in run ``1000000``):

- ``Directory.search`` with typical filters (indexed ``eq``, ``sw``, ``pr``, value path, dateTime range,
  and/or/not mixes), each with ``sortBy`` and ``count``;
- the same query through ``scimcore.search`` (``compile_filter().filter()`` over Python dicts, then sorting);
- a hand-written Python lambda scan (correct semantics: casefold, any-element, instants) with a
  ``heapq.nsmallest`` top-k sort: the baseline of the ratios;
- load time (``Directory.load_ndjson``) against decoding the same NDJSON into dicts with msgspec;
- memory per resource: the native store's own heap accounting, taken on the directory the queries ran on
  (so the scan columns they built lazily are counted), and the process RSS growth of a fresh load, against
  the Python dicts (``tracemalloc``).

Required ratios (full size, 300,000 users): every full-scan search >= 20x the lambda scan, the indexed
``userName eq`` lookup >= 1,000x the scan, native memory per resource <= the dicts'. In the short CI mode the
thresholds are lower, because the ratios grow with the directory (the scan is O(n), the lookup O(1), and
fixed per-call costs weigh more on small scans: decoding and projecting the 100 returned resources costs
about 1.8 ms whatever the size, while the column scan of 20,000 users takes 0.3-1 ms) and a 2-core CI
machine shared with other jobs is noisy: full scans >= 4x (measured 8-20x at 20,000 users; a scan that
fell back to the per-resource trees measures 3-10x, evaluating in Python ~1x), indexed >= 40x (measured
100-160x; a lost index is ~1x), memory <= the dicts' (measured 0.9x with the columns). Half or less of
the measured ratios, so a busy machine does not fail them, while a real regression still does.
Results: bench-results/directory.md and .json (300,000 users), directory-<n>.md/.json for other sizes.
"""

from __future__ import annotations

import gc
import heapq
import json
import os
import platform
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import msgspec
import pytest

import scimcore
from scimcore.demo import generate_users
from scimcore.directory import _native_module

USERS = int(os.environ.get("SCIMCORE_BENCH_USERS", "20000"))
FULL_SIZE = USERS >= 300_000
THRESHOLDS = {"scan": 20.0, "indexed": 1000.0, "memory": 1.0} if FULL_SIZE else \
    {"scan": 4.0, "indexed": 40.0, "memory": 1.0}
RESULTS = Path(__file__).resolve().parent.parent / "bench-results"
COUNT = 100
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _instant(text):
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


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
        if type(e) is dict and type(e.get("type")) is str and e["type"].casefold() == "work" \
                and type(e.get("value")) is str and e["value"].casefold().endswith("@example.com"):
            return True
    return False


_LOW, _HIGH = _instant("2015-01-01T00:00:00Z"), _instant("2016-01-01T00:00:00Z")


def _created_2015(u):
    moment = _key_created(u)
    return moment is not None and _LOW <= moment < _HIGH


def _mix(u):
    employee = u.get("active") is True and not (type(u.get("userType")) is str
                                                 and u["userType"].casefold() == "contractor")
    title = u.get("title")
    return employee or (type(title) is str and title.casefold().startswith("senior"))


def _cases(sample: dict) -> list[dict]:
    """(name, filter, sortBy, lambda predicate, lambda sort key, indexed?)"""
    wanted = sample["userName"].casefold()
    return [
        dict(name="indexed userName eq", filter=f'userName eq "{sample["userName"].upper()}"', sort=None,
             pred=lambda u: type(u.get("userName")) is str and u["userName"].casefold() == wanted,
             key=None, indexed=True),
        dict(name="sw + sortBy userName", filter='name.familyName sw "s"', sort="userName",
             pred=lambda u: (_key_family(u) or "").startswith("s"), key=_key_user_name, indexed=False),
        dict(name="pr + sortBy meta.created", filter="title pr", sort="meta.created",
             pred=lambda u: type(u.get("title")) is str and u["title"] != "", key=_key_created, indexed=False),
        dict(name="value path + sortBy userName", filter='emails[type eq "work" and value ew "@example.com"]',
             sort="userName", pred=_work_example, key=_key_user_name, indexed=False),
        dict(name="dateTime range + sortBy familyName",
             filter='meta.created ge "2015-01-01T00:00:00Z" and meta.created lt "2016-01-01T00:00:00Z"',
             sort="name.familyName", pred=_created_2015, key=_key_family, indexed=False),
        dict(name="and/or/not mix + sortBy displayName",
             filter='(active eq true and not (userType eq "Contractor")) or title sw "Senior"',
             sort="displayName", pred=_mix, key=_key_display, indexed=False),
    ]


def _lambda_search(users, case):
    """The hand-written scan: filter with the lambda, top-`COUNT` by (missing last, key, id)."""
    matched = [u for u in users if case["pred"](u)]
    key = case["key"]
    if key is None:
        return len(matched), matched[:COUNT]
    page = heapq.nsmallest(COUNT, matched, key=lambda u: (k is None, k or "", u["id"]) if not isinstance(
        k := key(u), datetime) else (False, k.timestamp(), u["id"]))
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
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform()}


@pytest.fixture(scope="module")
def world():
    if _native_module() is None:
        if os.environ.get("CI"):
            pytest.fail("scimcore._native is not built; the directory benchmark needs it in CI")
        pytest.skip("scimcore._native is not built here")
    users = generate_users(USERS, seed=0)
    ndjson = b"\n".join(msgspec.json.encode(u) for u in users)
    return {"users": users, "ndjson": ndjson, "sample": users[USERS // 2]}


@pytest.fixture(scope="module")
def directory(world):
    d = scimcore.Directory(max_results=None)
    d.load_ndjson(world["ndjson"])
    return d


def test_answers_agree(world, directory):
    """Like for like: the native search, scimcore.search and the lambda scan give the same pages."""
    users = world["users"]
    for case in _cases(world["sample"]):
        native = directory.search(filter=case["filter"], sort_by=case["sort"], count=COUNT)
        python = scimcore.search(users, filter=case["filter"], sort_by=case["sort"], count=COUNT, max_count=None)
        total, page = _lambda_search(users, case)
        assert native.total_results == python.total_results == total, case["name"]
        assert [r["id"] for r in native.resources] == [r["id"] for r in python.resources] == \
            [u["id"] for u in page], case["name"]
        assert total > 0, case["name"]


def test_directory_ratios(world, directory):
    users, ndjson = world["users"], world["ndjson"]
    repeats = 5
    rows = []
    for case in _cases(world["sample"]):
        native = _best(lambda: directory.search(filter=case["filter"], sort_by=case["sort"], count=COUNT), repeats)
        compiled = _best(lambda: scimcore.search(users, filter=case["filter"], sort_by=case["sort"], count=COUNT,
                                                 max_count=None), max(2, repeats // 2))
        scan = _best(lambda: _lambda_search(users, case), max(2, repeats // 2))
        rows.append({"query": case["name"], "filter": case["filter"], "sortBy": case["sort"],
                     "indexed": case["indexed"], "native_s": native, "compile_filter_s": compiled,
                     "lambda_s": scan, "vs_lambda": scan / native, "vs_compile_filter": compiled / native})

    # load time: native NDJSON load against decoding the same bytes into dicts
    def load():
        d = scimcore.Directory(max_results=None)
        d.load_ndjson(ndjson)
        return d

    lines = ndjson.split(b"\n")
    decoder = msgspec.json.Decoder()
    load_s = _best(load, 2, min_time=0)
    decode_s = _best(lambda: [decoder.decode(line) for line in lines], 2, min_time=0)

    # memory per resource
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    dicts = [decoder.decode(line) for line in lines]
    dict_bytes = (tracemalloc.get_traced_memory()[0] - before) / USERS
    tracemalloc.stop()
    del dicts
    gc.collect()
    rss_before = _rss_bytes()
    fresh = load()
    gc.collect()
    rss_growth = (_rss_bytes() - rss_before) / USERS
    del fresh
    # the directory the queries ran on: its lazily built scan columns are counted
    native_bytes = directory.memory_bytes() / USERS

    scans = [r for r in rows if not r["indexed"]]
    indexed = [r for r in rows if r["indexed"]]
    summary = {
        "users": USERS, "mode": "full" if FULL_SIZE else "short", "machine": _machine(), "count": COUNT,
        "thresholds": THRESHOLDS, "queries": rows,
        "load": {"native_s": load_s, "msgspec_dicts_s": decode_s, "ratio": load_s / decode_s},
        "memory": {"native_bytes_per_resource": native_bytes, "native_rss_growth_per_resource": rss_growth,
                   "python_dict_bytes_per_resource": dict_bytes, "ratio": native_bytes / dict_bytes},
        "min_scan_ratio": min(r["vs_lambda"] for r in scans),
        "indexed_ratio": indexed[0]["vs_lambda"],
    }
    _write(summary)
    print("\n" + _markdown(summary))
    assert summary["min_scan_ratio"] >= THRESHOLDS["scan"], (
        f"a full-scan Directory.search is only {summary['min_scan_ratio']:.1f}x the lambda scan "
        f"(required >= {THRESHOLDS['scan']}x at {USERS} users)")
    assert summary["indexed_ratio"] >= THRESHOLDS["indexed"], (
        f"the indexed userName eq lookup is only {summary['indexed_ratio']:.0f}x the scan "
        f"(required >= {THRESHOLDS['indexed']}x at {USERS} users)")
    assert summary["memory"]["ratio"] <= THRESHOLDS["memory"], (
        f"native memory per resource is {summary['memory']['ratio']:.2f}x the Python dicts' (required <= 1)")


def _write(summary: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    name = "directory" if USERS == 300_000 else f"directory-{USERS}"
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(_markdown(summary) + "\n")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}" if seconds < 0.01 else f"{seconds * 1000:.1f}"


def _markdown(summary: dict) -> str:
    m = summary["machine"]
    out = [
        f"### Directory benchmark: {summary['users']:,} generated users ({summary['mode']} mode)",
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']} ({m['platform']}). "
        f"Each query returns the first {summary['count']} by `sortBy` (best of several runs).",
        "",
        "| query | Directory.search (ms) | compile_filter + sort (ms) | lambda scan (ms) | vs lambda | vs compile_filter |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in summary["queries"]:
        out.append(f"| {r['query']} | {_ms(r['native_s'])} | {_ms(r['compile_filter_s'])} | {_ms(r['lambda_s'])} "
                   f"| {r['vs_lambda']:.0f}x | {r['vs_compile_filter']:.0f}x |")
    load, mem, t = summary["load"], summary["memory"], summary["thresholds"]
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
        "",
        f"Required here: full scans >= {t['scan']:g}x the lambda scan (measured minimum "
        f"{summary['min_scan_ratio']:.1f}x), indexed lookup >= {t['indexed']:g}x (measured "
        f"{summary['indexed_ratio']:.0f}x), memory <= {t['memory']:g}x the dicts (measured {mem['ratio']:.2f}x).",
    ]
    return "\n".join(out)


# -- pytest-benchmark entries (tables with `pytest benches --benchmark-enable`) --------------------------------


@pytest.mark.parametrize("which", range(6))
def test_bench_directory_search(benchmark, world, directory, which):
    case = _cases(world["sample"])[which]
    benchmark.group = f"directory: {case['name']}"
    page = benchmark(directory.search, filter=case["filter"], sort_by=case["sort"], count=COUNT)
    assert page.total_results > 0


@pytest.mark.parametrize("which", range(6))
def test_bench_lambda_scan(benchmark, world, which):
    case = _cases(world["sample"])[which]
    benchmark.group = f"directory: {case['name']}"
    total, _ = benchmark(_lambda_search, world["users"], case)
    assert total > 0
