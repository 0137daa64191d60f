"""Large directories (issue 6): ``scimcore.Directory`` (native) against Python over the same generated users.

What is measured, and how, is ``scimcore.bench`` (also behind ``scimcore bench``): ``Directory.search``,
``scimcore.search`` and a hand-written lambda scan on typical queries, load time and memory per resource,
over ``SCIMCORE_BENCH_USERS`` users (default 20,000: the CI-short mode of a plain ``pytest``; the full run is
``SCIMCORE_BENCH_USERS=300000``, the slow opt-in run ``1000000``). This suite asserts the ratios.

Required ratios (full size, 300,000 users): every full-scan search >= 20x the lambda scan, the indexed
``userName eq`` lookup >= 1,000x the scan, native memory per resource <= 0.5x the dicts' (issue 18: the
larger of the store's accounting and the RSS growth of a fresh process, columns included), and a page of 100 as JSON
(``Directory.search_json``) costing <= 0.9x what the Python objects of ``Directory.search`` cost, beyond the
store's search both share. In the short CI
mode the thresholds are lower, because the ratios grow with the directory (the scan is O(n), the lookup O(1),
and fixed per-call costs weigh more on small scans) and a 2-core CI machine shared with other jobs is noisy:
full scans >= 3x (measured 28-66x at 20,000 users after the block scans; evaluating in Python is ~1x),
indexed >= 40x (measured 800-1,100x; a lost index is ~1x), memory <= 0.5x the dicts' in both modes (measured
0.44x at 20,000 users with the columns; memory does not depend on the machine's load, and stored value trees
are ~0.8x), the JSON page <= 0.9x (measured 0.50x at 20,000 and 0.64x at 300,000 users; building the Python
objects and encoding them is > 1x).
Well below the lowest measured ratios, so a busy machine does not fail them, while evaluating in Python, a
lost index, a bloated representation or a page built from Python objects still does. Polars and DuckDB (the
optional ``bench`` extra) are measured and checked for identical answers when installed, not asserted (CI
does not install them).
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

USERS = int(os.environ.get("SCIMCORE_BENCH_USERS", "20000"))
FULL_SIZE = USERS >= 300_000
THRESHOLDS = (
    {"scan": 20.0, "indexed": 1000.0, "memory": 0.5, "page": 0.9}
    if FULL_SIZE
    else {"scan": 3.0, "indexed": 40.0, "memory": 0.5, "page": 0.9}
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
