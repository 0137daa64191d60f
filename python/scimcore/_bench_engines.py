"""Polars and DuckDB over the directory benchmark's users, in the representations a user would pick (issue 18).

Fair to them: the attributes the six queries read are flattened into typed columns, text pre-folded
(``str.casefold``; an empty string is missing, as for the native sort), dateTimes as epoch microseconds,
emails exploded into their own table (one row per element that is an object), DuckDB with an index on the
folded ``userName``; each table also holds the raw JSON of every resource, and a search returns the page as
dicts decoded from it (as ``Directory.search`` does). Building the representations is not timed.

Each engine answers :func:`scimcore.bench.cases` with the same semantics as the lambda scan (missing values
sort last, ties by ``id``); the benchmark checks the totals and page ids against every other engine.
Available only with the optional ``bench`` extra (``pip install scimcore[bench]``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import msgspec

__all__ = ["available", "build_engines", "duckdb_read_json_seconds", "versions"]

_LOW = 1_420_070_400_000_000  # 2015-01-01T00:00:00Z in epoch microseconds (the range query's bounds)
_HIGH = 1_451_606_400_000_000  # 2016-01-01T00:00:00Z
_decode = msgspec.json.Decoder().decode


def available() -> bool:
    """Whether Polars and DuckDB are installed."""
    try:
        import duckdb  # noqa: F401
        import polars  # noqa: F401
    except ImportError:
        return False
    return True


def versions() -> dict[str, str]:
    import duckdb
    import polars

    return {"polars": polars.__version__, "duckdb": duckdb.__version__}


def _folded(value: Any) -> str | None:
    return value.casefold() if type(value) is str and value else None


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _columns(users: list[dict], ndjson_lines: list[bytes]) -> tuple[dict[str, list], dict[str, list]]:
    """The flat users table and the exploded emails table, as column lists."""
    from ._native import datetime_micros

    flat: dict[str, list] = {
        k: []
        for k in ("pos", "id", "user_name", "family", "display", "title", "title_f", "created", "active", "user_type")
    }
    emails: dict[str, list] = {"pos": [], "type": [], "value": []}
    for pos, u in enumerate(users):
        name: dict = u["name"] if type(u.get("name")) is dict else {}
        meta: dict = u["meta"] if type(u.get("meta")) is dict else {}
        created = meta.get("created")
        flat["pos"].append(pos)
        flat["id"].append(u["id"])
        flat["user_name"].append(_folded(u.get("userName")))
        flat["family"].append(_folded(name.get("familyName")))
        flat["display"].append(_folded(u.get("displayName")))
        flat["title"].append(_text(u.get("title")))
        flat["title_f"].append(_folded(u.get("title")))
        flat["created"].append(datetime_micros(created) if type(created) is str else None)
        flat["active"].append(u.get("active") if type(u.get("active")) is bool else None)
        flat["user_type"].append(_folded(u.get("userType")))
        for e in u.get("emails") or ():
            if type(e) is dict:
                emails["pos"].append(pos)
                emails["type"].append(_folded(e.get("type")))
                emails["value"].append(_folded(e.get("value")))
    flat["json"] = [line.decode() for line in ndjson_lines]
    return flat, emails


Search = Callable[[], tuple[int, list[dict]]]


def _polars(flat: dict[str, list], emails: dict[str, list], cases: list[dict]) -> list[Search]:
    import polars as pl

    users = pl.DataFrame(
        flat,
        schema={
            "pos": pl.UInt32,
            "id": pl.String,
            "user_name": pl.String,
            "family": pl.String,
            "display": pl.String,
            "title": pl.String,
            "title_f": pl.String,
            "created": pl.Int64,
            "active": pl.Boolean,
            "user_type": pl.String,
            "json": pl.String,
        },
    )
    mails = pl.DataFrame(emails, schema={"pos": pl.UInt32, "type": pl.String, "value": pl.String})
    c = pl.col
    wanted = cases[0]["filter"].split('"')[1].casefold()
    work = mails.lazy().filter((c("type") == "work") & c("value").str.ends_with("@example.com")).select("pos")
    queries: list[tuple[Any, str | None]] = [
        (users.lazy().filter(c("user_name") == wanted), None),
        (users.lazy().filter(c("family").str.starts_with("s")), "user_name"),
        (users.lazy().filter(c("title").is_not_null() & (c("title") != "")), "created"),
        (users.lazy().join(work.unique(), on="pos", how="semi"), "user_name"),
        (users.lazy().filter((c("created") >= _LOW) & (c("created") < _HIGH)), "family"),
        (
            users.lazy().filter(
                ((c("active") == True) & ~(c("user_type") == "contractor").fill_null(False)).fill_null(False)  # noqa: E712
                | c("title_f").str.starts_with("senior").fill_null(False)
            ),
            "display",
        ),
    ]

    texts = users["json"]

    def search(frame: Any, key: str | None) -> Search:
        # the page's JSON is fetched for its 100 rows only (late materialisation), as a tuned query would
        matched = frame.select("pos", "id", *([key] if key else []))
        page = matched if key is None else matched.sort([key, "id"], nulls_last=True)

        def run() -> tuple[int, list[dict]]:
            total, page_frame = pl.collect_all([matched.select(pl.len()), page.head(100).select("pos")])
            return total.item(), [_decode(j) for j in texts.gather(page_frame["pos"])]

        return run

    return [search(frame, key) for frame, key in queries]


def _duckdb(flat: dict[str, list], emails: dict[str, list], cases: list[dict], threads: int) -> list[Search]:
    import duckdb
    import polars as pl

    con = duckdb.connect(config={"threads": threads})
    con.execute("SET enable_progress_bar = false")
    users_frame = pl.DataFrame(flat, schema_overrides={"pos": pl.UInt32, "created": pl.Int64, "active": pl.Boolean})
    mails_frame = pl.DataFrame(emails, schema_overrides={"pos": pl.UInt32})
    with tempfile.TemporaryDirectory() as folder:  # handed over as Parquet: DuckDB needs pyarrow for frames
        for table, frame in (("users", users_frame), ("emails", mails_frame)):
            path = os.path.join(folder, f"{table}.parquet")
            frame.write_parquet(path)
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?) ORDER BY pos", [path])
    con.execute("CREATE INDEX users_user_name ON users (user_name)")
    wanted = cases[0]["filter"].split('"')[1].casefold()
    where = [
        "user_name = ?",
        "starts_with(family, 's')",
        "title IS NOT NULL AND title <> ''",
        "pos IN (SELECT pos FROM emails WHERE type = 'work' AND ends_with(value, '@example.com'))",
        f"created >= {_LOW} AND created < {_HIGH}",
        "(coalesce(active, false) AND NOT coalesce(user_type = 'contractor', false))"
        " OR coalesce(starts_with(title_f, 'senior'), false)",
    ]
    keys = [None, "user_name", "created", "user_name", "family", "display"]

    def search(condition: str, key: str | None, params: list) -> Search:
        # the count, then the page with its JSON fetched for its 100 rows only (late materialisation): the
        # fastest of the forms tried (a window count(*) OVER () over the page query was 2-3x slower)
        order = "pos" if key is None else f"{key} NULLS LAST, id"
        count = f"SELECT count(*) FROM users WHERE {condition}"
        page = (
            f"SELECT json FROM users WHERE pos IN (SELECT pos FROM users WHERE {condition} ORDER BY {order} "
            f"LIMIT 100) ORDER BY {order}"
        )
        statement = con.cursor()

        def run() -> tuple[int, list[dict]]:
            total = statement.execute(count, params).fetchall()[0][0]
            return total, [_decode(r[0]) for r in statement.execute(page, params).fetchall()]

        return run

    return [search(w, k, [wanted] if i == 0 else []) for i, (w, k) in enumerate(zip(where, keys, strict=True))]


def duckdb_read_json_seconds(ndjson: bytes) -> float:
    """Seconds (best of 2) for DuckDB to load the NDJSON from a file into a table with ``read_json``."""
    import time

    import duckdb

    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "users.ndjson")
        with open(path, "wb") as out:
            out.write(ndjson)
        for _ in range(2):
            con = duckdb.connect(config={"threads": os.cpu_count() or 1})
            con.execute("SET enable_progress_bar = false")
            start = time.perf_counter()
            con.execute("CREATE TABLE users AS SELECT * FROM read_json(?, format = 'newline_delimited')", [path])
            best = min(best, time.perf_counter() - start)
            con.close()
    return best


def build_engines(users: list[dict], ndjson: bytes, cases: list[dict]) -> dict[str, list[Search]]:
    """``{"Polars": [search per case], "DuckDB": [...]}``: each search returns ``(total, page of dicts)``."""
    threads = os.cpu_count() or 1
    flat, emails = _columns(users, ndjson.split(b"\n"))
    return {"Polars": _polars(flat, emails, cases), "DuckDB": _duckdb(flat, emails, cases, threads)}
