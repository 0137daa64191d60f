"""Hostile filters fail fast: the time to reject one grows no faster than its length (docs/semantics.md §Limits).

Each hostile input of ``tests/test_filter_limits.py`` is built at two sizes, 10 times apart, and rejected by
both parsers; the time at the larger size over the time at the smaller one is 10 at most when the work is
linear in the length (less when a limit stops the parse early), and 100 when it is quadratic. The bound is 30.
Limits are lifted to 10 MB of input so that the parsers, not the length check, meet the text. Interleaved, best
of 3 (``timing.py``).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from scimcore.errors import InvalidFilter
from scimcore.filter.limits import FilterLimits
from scimcore.filter.parse import parse_filter
from timing import ratio, require

HUGE = FilterLimits(max_length=10_000_000)
SMALL, LARGE = 5_000, 50_000
MAX_GROWTH = 30.0

HOSTILE = {
    "parens": lambda n: "(" * n,
    "not": lambda n: "not (" * n,
    "brackets": lambda n: "a[" * n,
    "string": lambda n: 'a eq "' + "x" * n,
    "escapes": lambda n: 'a eq "' + "\\n" * n + "\\x",
    "number": lambda n: "a eq " + "1" * n,
    "word": lambda n: "a" * n + ".",
    "chain": lambda n: "a pr and " * (n // 10),
}


def _reject(text: str, backend: str):
    def run() -> None:
        try:
            parse_filter(text, backend=backend, limits=HUGE)
        except InvalidFilter:
            return
        raise AssertionError("a hostile filter parsed")

    return run


@pytest.mark.parametrize("backend", ["python", "native"])
@pytest.mark.parametrize("name", HOSTILE)
def test_rejection_time_grows_linearly(backend, name):
    if backend == "native" and importlib.util.find_spec("scimcore._native") is None:
        if os.environ.get("CI"):
            pytest.fail("scimcore._native is not built; in CI the native backend must be built")
        pytest.skip("scimcore._native is not built")
    small, large = HOSTILE[name](SMALL), HOSTILE[name](LARGE)
    require(
        f"rejecting hostile '{name}' ({backend}): {LARGE:,} vs {SMALL:,} characters",
        lambda: ratio(_reject(large, backend), _reject(small, backend), rounds=3),
        at_most=MAX_GROWTH,
    )
