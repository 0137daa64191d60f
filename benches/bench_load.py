"""The short version of ``benches/load.py`` (issue 17), run by a plain ``pytest``: ``scimcore serve`` under
uvicorn on loopback, over the native store (one process) and over PostgreSQL (two workers; skipped without
``SCIMCORE_PG_DSN``, a failure under ``CI``), concurrent clients for two seconds (``SCIMCORE_BENCH=full``: ten
seconds at 1, 4 and 16 clients). Asserted: no 5xx, no request answered other than its cycle expects, and no
lost update (the counter incremented under ``If-Match`` by every client ends at exactly the increments
acknowledged). Throughput, latency and memory are printed, not asserted (no test asserts wall-clock time).
"""

from __future__ import annotations

import json
import os

import pytest

import load
from timing import FULL, size

SECONDS = float(size(2, 10))
LEVELS = [1, 4, 16] if FULL else [2]


@pytest.mark.parametrize(("store", "workers"), [("native", 1), ("postgresql", 2)])
def test_load_loses_nothing(store: str, workers: int) -> None:
    if store == "postgresql" and not os.environ.get("SCIMCORE_PG_DSN"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("SCIMCORE_PG_DSN is not set (source .ci/postgres.sh)")
    levels = load.run(store, workers, LEVELS, SECONDS)
    for level in levels:
        summary = level.summary()
        print(json.dumps({key: summary[key] for key in summary if key != "kinds"}))
        assert level.requests > 0 and level.increments > 0
        assert level.server_errors == 0 and level.unavailable == 0
        assert level.unexpected == []
        assert level.lost_updates == 0, (level.counter_start, level.increments, level.counter_value)
