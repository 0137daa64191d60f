"""How every suite under ``benches/`` measures: ratios against a baseline timed in the same run.

A benchmark is a pytest test (``bench_*.py`` files are collected by a plain ``pytest``). To write one:

1. Time the implementation and a baseline doing the same work (a hand-written Python version, a bare
   ``msgspec`` decoder, ...) in the same process with :func:`ratio`: the runs alternate (baseline, subject,
   baseline, ...) so that a busy spell on the shared machine slows both, the garbage collector is paused, and
   each side keeps its best round.
2. Assert the ratio with :func:`require`: ``require("patch vs deepcopy", lambda: ratio(...), at_most=5.0)``.
   It measures again when the bound is missed (at most ``attempts`` times, the best measurement counts), so
   that noise must strike three times in a row to fail a run, while a real regression fails every attempt.
   The figure is printed, and recorded when ``python benches/run_all.py`` runs the suites.
3. Pick sizes with :func:`size`: the short size runs in CI and in a plain ``pytest``; ``SCIMCORE_BENCH=full``
   (``python benches/run_all.py --full``) selects the full size the README's figures come from.

A bound is the project's requirement, and it sits below the lowest ratio measured on the 2-core development
machine; the README lists the measured spread next to each asserted figure. ``bench_timing.py`` shows that a
deliberately slowed implementation fails.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable

FULL = os.environ.get("SCIMCORE_BENCH", "short") == "full"
"""``True`` when ``SCIMCORE_BENCH=full``: the full sizes instead of the short ones CI runs."""

RESULTS_ENV = "SCIMCORE_BENCH_RESULTS"
"""When set (by ``run_all.py``), the path of a JSON-lines file that :func:`require` appends each figure to."""


def size(short: int, full: int) -> int:
    """``short`` in CI and a plain ``pytest``, ``full`` under ``SCIMCORE_BENCH=full``."""
    return full if FULL else short


def best_interleaved(rounds: int, *runs: Callable[[], object]) -> list[float]:
    """Best time of each run over ``rounds`` rounds, alternating the runs so that load changes hit all alike.

    The garbage collector is paused while timing, as ``timeit`` does, so that a collection triggered by one
    run's garbage is not charged to another."""
    best = [float("inf")] * len(runs)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for i, run in enumerate(runs):
                start = time.perf_counter()
                run()
                best[i] = min(best[i], time.perf_counter() - start)
    finally:
        if enabled:
            gc.enable()
    return best


def ratio(subject: Callable[[], object], baseline: Callable[[], object], *, rounds: int) -> float:
    """``subject`` time / ``baseline`` time, each the best of ``rounds`` interleaved rounds."""
    baseline_time, subject_time = best_interleaved(rounds, baseline, subject)
    return subject_time / baseline_time


def require(
    name: str,
    measure: Callable[[], float],
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    attempts: int = 3,
) -> float:
    """Assert that the ratio ``measure()`` returns is within the bound; measure again (up to ``attempts``
    times) while it is not, and judge the best measurement. Returns it."""
    if at_most is None and at_least is None:
        raise ValueError("give at_most or at_least")

    def within(value: float) -> bool:
        return (at_most is None or value <= at_most) and (at_least is None or value >= at_least)

    measured: list[float] = []
    for _ in range(attempts):
        measured.append(measure())
        if within(measured[-1]):
            break
    best = min(measured) if at_most is not None else max(measured)
    bounds = [f"<= {at_most}x"] if at_most is not None else []
    bounds += [f">= {at_least}x"] if at_least is not None else []
    bound = " and ".join(bounds)
    tries = ", ".join(f"{value:.2f}x" for value in measured)
    print(f"\n{name}: {best:.2f}x (required {bound}; measured {tries})")
    _record({"name": name, "ratio": best, "bound": bound, "measured": measured, "full": FULL})
    assert within(best), f"{name}: {best:.2f}x, required {bound} (measured {tries})"
    return best


def _record(entry: dict) -> None:
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
