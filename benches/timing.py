"""Timing for ratio benchmarks on a shared, noisy machine."""

from __future__ import annotations

import gc
import time


def best_interleaved(rounds: int, *runs) -> list[float]:
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
