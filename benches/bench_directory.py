"""Large directories (issues 6 and 18): ``scimcore.Directory`` (native) against Python, Polars and DuckDB over the
same generated users.

What is measured, and how, is ``scimcore.bench`` (also behind ``scimcore bench``): ``Directory.search``,
``scimcore.search``, a hand-written lambda scan, Polars and DuckDB (the optional ``bench`` extra) on typical
queries, the native scans' bytes against the DRAM bandwidth and one thread against two, the page as JSON, load time
and memory per resource. Sizes (``timing.size``): 20,000 users in the CI-short mode of a plain ``pytest``,
300,000 under ``SCIMCORE_BENCH=full``; ``SCIMCORE_BENCH_USERS`` overrides either (``1000000`` is the slow
opt-in run; 300,000 users and more count as full size). This suite asserts the ratios.

Required ratios (full size): every full-scan search >= 20x the lambda scan, the indexed ``userName eq`` lookup >=
1,000x the scan, native memory per resource <= 0.5x the dicts' (issue 18: the larger of the store's accounting and
the RSS growth of a fresh process, columns included), a page of 100 as JSON (``Directory.search_json``) costing <=
0.25x what the Python objects of ``Directory.search`` cost beyond the store's search both share, and, when Polars and
DuckDB are installed, ``Directory.search`` <= 1.0x each of them on every query (ratio of medians of interleaved
rounds) and ``load_ndjson`` <= 1.5x DuckDB's ``read_json`` of the same NDJSON. In the short CI mode the thresholds
are lower, because the ratios grow with the directory (the scan is O(n), the lookup O(1), and fixed per-call costs
weigh more on small scans) and a 2-core CI machine shared with other jobs is noisy: full scans >= 3x (measured
31-89x at 20,000 users; evaluating in Python is ~1x), indexed >= 40x (measured 585-1,008x; a lost index is ~1x),
memory <= 0.5x the dicts' in both modes (measured 0.44-0.47x at 20,000 users with the columns; memory does not
depend on the machine's load, and stored value trees are ~0.8x), the JSON page <= 0.25x in both modes (measured
0.02x at 20,000 users and 0.05-0.12x at 300,000 and 1,000,000 since the page copies resources by shape; building
the Python objects and encoding them is > 1x), <= 0.75x Polars and DuckDB (measured 0.07-0.43x: the page's 100 JSON
decodes, common to all, weigh most there), and the load <= 1.0x DuckDB's (measured 0.16-0.30x). Well below the measured
ratios, so a busy machine does not fail them, while evaluating in Python, a lost index, a bloated representation, a
page built from Python objects or a scan slower than a columnar engine's still does. The bandwidth share and the
two-thread speedup are measured and printed, not asserted: below 32,768 users a scan runs on one thread, and on a
shared 2-core machine both move with the other processes' load.
Results: bench-results/directory.md and .json (300,000 users), directory-<n>.md/.json for other sizes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import scimcore
from scimcore import _bench_engines
from scimcore.bench import COUNT, build_world, cases, lambda_search, load_directory, markdown, measure
from scimcore.store.native import native_module as _native_module
from timing import size

USERS = int(os.environ.get("SCIMCORE_BENCH_USERS", size(20_000, 300_000)))
FULL_SIZE = USERS >= 300_000
THRESHOLDS = (
    {"scan": 20.0, "indexed": 1000.0, "memory": 0.5, "page": 0.25, "engines": 1.0, "load": 1.5}
    if FULL_SIZE
    else {"scan": 3.0, "indexed": 40.0, "memory": 0.5, "page": 0.25, "engines": 0.75, "load": 1.0}
)
RESULTS = Path(__file__).resolve().parent.parent / "bench-results"


@pytest.fixture(scope="module")
def world():
    if _native_module() is None:
        if os.environ.get("CI"):
            pytest.fail("scimcore._native is not built; the directory benchmark needs it in CI")
        pytest.skip("scimcore._native is not built here")
    return build_world(USERS)


@pytest.fixture(scope="module")
def directory(world):
    return load_directory(world)


def test_answers_agree(world, directory):
    """Like for like: the native search, scimcore.search and the lambda scan give the same pages."""
    users = world.users
    for case in cases(world.sample):
        native = directory.search(filter=case["filter"], sort_by=case["sort"], count=COUNT)
        python = scimcore.search(users, filter=case["filter"], sort_by=case["sort"], count=COUNT, max_results=None)
        total, page = lambda_search(users, case)
        assert native.total_results == python.total_results == total, case["name"]
        assert [r["id"] for r in native.resources] == [r["id"] for r in python.resources] == [u["id"] for u in page], (
            case["name"]
        )
        assert total > 0, case["name"]


def test_columnar_engines_agree(world):
    """Polars and DuckDB (the optional ``bench`` extra) answer the six queries with the same totals and pages."""
    if not _bench_engines.available():
        pytest.skip("Polars and DuckDB are not installed (pip install scimcore[bench])")
    all_cases = cases(world.sample)
    engines = _bench_engines.build_engines(world.users, world.ndjson, all_cases)
    for number, case in enumerate(all_cases):
        total, page = lambda_search(world.users, case)
        for name, searches in engines.items():
            found, resources = searches[number]()
            assert (found, [r["id"] for r in resources]) == (total, [u["id"] for u in page]), (name, case["name"])


def test_directory_ratios(world, directory):
    summary = measure(world, directory)
    summary.update(mode="full" if FULL_SIZE else "short", thresholds=THRESHOLDS)
    _write(summary)
    print("\n" + markdown(summary))
    assert summary["min_scan_ratio"] >= THRESHOLDS["scan"], (
        f"a full-scan Directory.search is only {summary['min_scan_ratio']:.1f}x the lambda scan "
        f"(required >= {THRESHOLDS['scan']}x at {USERS} users)"
    )
    assert summary["indexed_ratio"] >= THRESHOLDS["indexed"], (
        f"the indexed userName eq lookup is only {summary['indexed_ratio']:.0f}x the scan "
        f"(required >= {THRESHOLDS['indexed']}x at {USERS} users)"
    )
    assert summary["page"]["page_ratio"] <= THRESHOLDS["page"], (
        f"a page of {COUNT} as JSON (Directory.search_json) costs {summary['page']['page_ratio']:.2f}x the Python "
        f"objects of Directory.search beyond the store's search (required <= {THRESHOLDS['page']}x: the page must "
        "leave the store as JSON, not as Python objects)"
    )
    assert summary["memory"]["ratio"] <= THRESHOLDS["memory"], (
        f"native memory per resource is {summary['memory']['ratio']:.2f}x the Python dicts' "
        f"(required <= {THRESHOLDS['memory']}: the store's accounting and the RSS growth of a fresh load, the larger)"
    )
    load = summary["load"].get("vs_duckdb")
    if load is not None:
        assert load <= THRESHOLDS["load"], (
            f"load_ndjson takes {load:.2f}x DuckDB's read_json of the same NDJSON "
            f"(required <= {THRESHOLDS['load']}x at {USERS} users)"
        )
    behind = [
        (row["query"], name, round(engine["ratio"], 2))
        for row in summary["queries"]
        for name, engine in row["engines"].items()
        if engine["ratio"] > THRESHOLDS["engines"]
    ]
    assert not behind, (
        f"Directory.search is slower than {THRESHOLDS['engines']}x a columnar engine at {USERS} users: {behind}"
    )


def _write(summary: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    name = "directory" if USERS == 300_000 else f"directory-{USERS}"
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(summary) + "\n")


# -- pytest-benchmark entries (tables with `pytest benches --benchmark-enable`) --------------------------------


@pytest.mark.parametrize("which", range(6))
def test_bench_directory_search(benchmark, world, directory, which):
    case = cases(world.sample)[which]
    benchmark.group = f"directory: {case['name']}"
    page = benchmark(directory.search, filter=case["filter"], sort_by=case["sort"], count=COUNT)
    assert page.total_results > 0


@pytest.mark.parametrize("which", range(6))
def test_bench_lambda_scan(benchmark, world, which):
    case = cases(world.sample)[which]
    benchmark.group = f"directory: {case['name']}"
    total, _ = benchmark(lambda_search, world.users, case)
    assert total > 0
