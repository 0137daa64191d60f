"""The timing helper itself (``timing.py``): how ``require`` judges, and that a slowed implementation fails."""

from __future__ import annotations

import pytest

import scimcore
from bench_patch import MAX_RATIO, patch_ratio
from timing import RESULTS_ENV, ratio, require


@pytest.fixture(autouse=True)
def _not_recorded(monkeypatch):
    """These figures demonstrate the helper: ``run_all.py`` does not list them with the suites' ratios."""
    monkeypatch.delenv(RESULTS_ENV, raising=False)


def _measurements(*values: float):
    """A ``measure`` callable that returns ``values`` one after the other, and the list of calls made."""
    calls: list[float] = []

    def measure() -> float:
        calls.append(values[len(calls)])
        return calls[-1]

    return measure, calls


def test_require_measures_again_on_a_miss_and_keeps_the_best():
    measure, calls = _measurements(6.0, 4.0, 1.0)
    assert require("upper bound", measure, at_most=5.0) == 4.0
    assert calls == [6.0, 4.0]
    measure, calls = _measurements(20.0, 60.0)
    assert require("lower bound", measure, at_least=50.0) == 60.0


def test_require_fails_when_every_attempt_misses():
    measure, calls = _measurements(7.0, 6.0, 8.0)
    with pytest.raises(
        AssertionError, match=r"upper bound: 6\.00x, required <= 5\.0x \(measured 7\.00x, 6\.00x, 8\.00x\)"
    ):
        require("upper bound", measure, at_most=5.0)
    assert len(calls) == 3
    with pytest.raises(ValueError):
        require("no bound", lambda: 1.0)


def test_ratio_of_the_same_work_is_near_one_and_of_four_times_the_work_near_four():
    data = list(range(20_000, 0, -1))
    once = ratio(lambda: sorted(data), lambda: sorted(data), rounds=7)
    four = ratio(lambda: [sorted(data) for _ in range(4)], lambda: sorted(data), rounds=7)
    assert 0.5 < once < 2.0
    assert 2.0 < four < 8.0


def test_a_slowed_apply_patch_fails_the_patch_benchmark():
    """bench_patch's own measurement, with ``apply_patch`` made 16 times slower (it does its work 16 times):
    the ratio (measured 0.9x-1.1x) goes above the bound of 5x, so the suite fails. (16x rather than just over
    5x, so that a busy machine slowing the baseline cannot hide the slowdown.)"""

    def slowed(resource, patch, **options):
        for _ in range(15):
            scimcore.apply_patch(resource, patch, **options)
        return scimcore.apply_patch(resource, patch, **options)

    with pytest.raises(AssertionError, match=r"required <= 5\.0x"):
        require("apply_patch slowed 16x vs deepcopy-and-assign", lambda: patch_ratio(slowed), at_most=MAX_RATIO)
