"""SQL search vs in-memory evaluation (issue 8), measured in the same run.

Users: ``scimcore.demo.generate_users``: 5,000 in the short mode, 100,000 in the full one (``timing.py``;
``SCIMCORE_BENCH_USERS`` sets another size).
Backends: ``SqlDirectory`` on SQLite (in memory) and on PostgreSQL (``SCIMCORE_PG_DSN``; skipped without it, and a
failure when ``CI`` is set), against ``compile_filter(...).filter(list_of_dicts)`` and ``scimcore.Directory``
when it exists. The queries: an indexed lookup (``userName eq``) and two full scans. The ratios printed are
times relative to the in-memory evaluation of the same query, for information. The assertion: in each SQL
backend the indexed lookup is at least 5x faster than the faster full scan (measured 13x-29x on PostgreSQL over
loopback and 85x-120x on SQLite at 5,000 users, five runs), which fails when the expression index is lost (the
lookup becomes a scan: about 1x).
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import uuid

import pytest

import scimcore
from scimcore.demo import generate_users
from timing import best_interleaved, require, size

N_USERS = int(os.environ.get("SCIMCORE_BENCH_USERS", size(5_000, 100_000)))
MIN_INDEX_SPEEDUP = 5.0
USERS = generate_users(N_USERS, seed=42)
LOOKUP = f'userName eq "{USERS[N_USERS // 2]["userName"]}"'
QUERIES = {
    "indexed userName eq": LOOKUP,
    "scan emails[type eq work and value ew]": 'emails[type eq "work" and value ew "@example.com"]',
    "scan name.familyName sw": 'name.familyName sw "S"',
}


def _best(function, repeat: int) -> float:
    return best_interleaved(repeat, function)[0]


def _sql_directory(backend: str):
    if backend == "sqlite":
        return scimcore.SqlDirectory(sqlite3.connect(":memory:")), None
    dsn = os.environ.get("SCIMCORE_PG_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh`")
        pytest.skip("no PostgreSQL server (SCIMCORE_PG_DSN)")
    import psycopg

    connection = psycopg.connect(dsn)
    table = f"bench_{uuid.uuid4().hex[:12]}"
    directory = scimcore.SqlDirectory(connection, table=table)
    return directory, table


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sql_search_against_memory(backend, benchmark):
    directory, table = _sql_directory(backend)
    try:
        directory.load(USERS)
        if backend == "postgresql":
            with directory.connection.transaction():
                directory.connection.execute(f"ANALYZE {table}")
        memory_directory = None
        if importlib.util.find_spec("scimcore.directory") is not None:  # the in-memory Directory, when built
            memory_directory = scimcore.Directory(resource_type="User")
            memory_directory.load(USERS)
        rows = []
        sql_times = {}
        for label, text in QUERIES.items():
            predicate = scimcore.compile_filter(text)
            expected = len(predicate.filter(USERS))
            assert directory.search(filter=text, count=0).total_results == expected
            repeat = 20 if label.startswith("indexed") else 3
            memory = _best(lambda predicate=predicate: predicate.filter(USERS), repeat)
            sql = _best(lambda text=text: directory.search(filter=text), repeat)
            sql_times[label] = sql
            row = [label, expected, memory * 1e3, sql * 1e3, sql / memory]
            if memory_directory is not None:
                row.append(_best(lambda text=text: memory_directory.search(filter=text), repeat) / memory)
            rows.append(row)
        print(f"\n{backend}: {N_USERS} users; ratio = time / in-memory compile_filter().filter() time")
        header = f"{'query':42} {'hits':>6} {'memory ms':>10} {'sql ms':>9} {'sql/mem':>8}"
        print(header + (f" {'Directory/mem':>14}" if memory_directory is not None else ""))
        for row in rows:
            line = f"{row[0]:42} {row[1]:>6} {row[2]:>10.2f} {row[3]:>9.2f} {row[4]:>8.3f}"
            print(line + (f" {row[5]:>14.3f}" if len(row) > 5 else ""))
        fastest_scan = min((label for label in QUERIES if not label.startswith("indexed")), key=sql_times.__getitem__)

        def index_speedup() -> float:
            lookup, scan = best_interleaved(
                3, lambda: directory.search(filter=LOOKUP), lambda: directory.search(filter=QUERIES[fastest_scan])
            )
            return scan / lookup

        require(
            f"{backend}: indexed userName eq vs {fastest_scan}, {N_USERS:,} users (speed-up)",
            index_speedup,
            at_least=MIN_INDEX_SPEEDUP,
        )
        benchmark.pedantic(directory.search, kwargs={"filter": LOOKUP}, rounds=5, iterations=1)
    finally:
        if table is not None:
            directory.connection.rollback()
            directory.connection.execute(f"DROP TABLE IF EXISTS {table}")
            directory.connection.commit()
        directory.connection.close()
