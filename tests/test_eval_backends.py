"""Every evaluator is a lowering of the one bound filter (docs/semantics.md §Evaluation): the evaluation corpus
through all of them.

- every invalid case of ``tests/corpus/eval_cases.json`` raises the same error — class, ``scim_type``,
  ``code``, ``detail``, ``position`` and ``span`` — from ``compile_filter`` (both parsers),
  ``Directory.search`` (native and Python stores), ``to_sql`` (SQLite and PostgreSQL, raw and folded
  documents) and ``SqlDirectory.search`` (SQLite and PostgreSQL);
- the cases that name their own ``resources`` file (values of the wrong shape for ``pr``) give the same matches
  from ``compile_filter``, both ``Directory`` stores and ``to_sql`` over raw and search documents in both
  dialects (``SqlDirectory`` validates what it stores, so such values never reach it).

The shared-pool cases are replayed through each evaluator by ``test_eval.py``, ``test_directory.py`` and
``test_sql.py``. PostgreSQL runs when ``SCIMCORE_PG_DSN`` is set (``source .ci/postgres.sh``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import UTC
from pathlib import Path

import pytest

import scimcore
from scimcore.filter.parse import parse_filter
from scimcore.sql.document import register_sqlite_functions, search_document
from scimcore.store.native import native_module as _native_module

CORPUS = Path(__file__).parent / "corpus"
EVAL_CASES = json.loads((CORPUS / "eval_cases.json").read_text("utf-8"))
INVALID = [c for c in EVAL_CASES if "error" in c]
OWN_RESOURCES = [c for c in EVAL_CASES if "resources" in c]


def _outcome(call) -> tuple:
    try:
        call()
    except scimcore.ScimError as error:
        return (
            type(error).__name__,
            error.scim_type,
            getattr(error, "code", None),
            error.detail,
            getattr(error, "position", None),
            getattr(error, "span", None),
        )
    return ("no error",)


def _pg_connection():
    dsn = os.environ.get("SCIMCORE_PG_DSN")
    if not dsn:
        return None
    import psycopg

    return psycopg.connect(dsn)


@pytest.fixture(scope="module")
def connections():
    sqlite = sqlite3.connect(":memory:")
    register_sqlite_functions(sqlite)
    found = {"sqlite": sqlite}
    pg = _pg_connection()
    if pg is not None:
        found["postgresql"] = pg
    elif os.environ.get("CI"):
        pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
    yield found
    for connection in found.values():
        connection.close()


def _directories(resource_type: str) -> dict:
    backends = ["python"] + (["native"] if _native_module() is not None else [])
    return {b: scimcore.Directory(resource_type, backend=b) for b in backends}


@pytest.mark.parametrize("case", INVALID, ids=[c["id"] for c in INVALID])
def test_invalid_case_gives_one_error_everywhere(case, connections):
    text, resource_type = case["filter"], case["resource_type"]
    outcomes = {
        f"compile_filter/{backend}": _outcome(
            lambda b=backend: scimcore.compile_filter(parse_filter(text, backend=b), resource_type)
        )
        for backend in ("native", "python")
        if backend == "python" or _native_module() is not None
    }
    outcomes["compile_filter/text"] = _outcome(lambda: scimcore.compile_filter(text, resource_type))
    for name, directory in _directories(resource_type).items():
        outcomes[f"Directory/{name}"] = _outcome(lambda d=directory: d.search(filter=text))
    for dialect, connection in connections.items():
        for folded in (False, True):
            outcomes[f"to_sql/{dialect}/folded={folded}"] = _outcome(
                lambda d=dialect, f=folded: scimcore.to_sql(text, resource_type, d, "doc", folded=f)
            )
        table = f"t_{uuid.uuid4().hex[:12]}"
        store = scimcore.SqlDirectory(connection, resource_type=resource_type, table=table)
        outcomes[f"SqlDirectory/{dialect}"] = _outcome(lambda s=store: s.search(filter=text))
        if dialect == "postgresql":
            connection.rollback()
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.commit()
    first = outcomes["compile_filter/text"]
    assert first[0] == "InvalidFilter" and first[1] == case["error"]
    assert isinstance(first[2], str) and first[2].islower(), "every filter error has a snake_case code"
    assert isinstance(first[4], int) and first[5] is not None, "and the place of the node at fault"
    assert first[5][0] == first[4] and 0 <= first[4] <= first[5][1] <= len(text)
    different = {name: outcome for name, outcome in outcomes.items() if outcome != first}
    assert not different, f"compile_filter: {first}; differing: {different}"


def _sql_table(connection, dialect: str, resources: list[dict], resource_type: str) -> str:
    table = f"t_{uuid.uuid4().hex[:12]}"
    kind = "jsonb" if dialect == "postgresql" else "text"
    p = "%s" if dialect == "postgresql" else "?"
    connection.execute(f"CREATE TABLE {table} (id text, doc {kind}, search {kind})")
    for resource in resources:
        search = search_document(resource, scimcore.registry, resource_type)
        connection.execute(
            f"INSERT INTO {table} VALUES ({p}, {p}, {p})", (resource["id"], json.dumps(resource), json.dumps(search))
        )
    return table


@pytest.mark.parametrize("case", OWN_RESOURCES, ids=[c["id"] for c in OWN_RESOURCES])
def test_case_with_its_own_resources_everywhere(case, connections):
    text, resource_type = case["filter"], case["resource_type"]
    resources = json.loads((CORPUS / case["resources"]).read_text("utf-8"))
    expected = sorted(case["matches"])
    answers = {
        "compile_filter": sorted(r["id"] for r in scimcore.compile_filter(text, resource_type).filter(resources))
    }
    for name, directory in _directories(resource_type).items():
        directory.load(resources)
        answers[f"Directory/{name}"] = sorted(r["id"] for r in directory.search(filter=text).resources)
    for dialect, connection in connections.items():
        table = _sql_table(connection, dialect, resources, resource_type)
        columns = [("search", True)] + ([("doc", False)] if dialect == "sqlite" else [])
        for column, folded in columns:
            where, params = scimcore.to_sql(text, resource_type, dialect, column, folded=folded)
            rows = connection.execute(f"SELECT id FROM {table} WHERE {where}", params)
            answers[f"to_sql/{dialect}/{column}"] = sorted(row[0] for row in rows)
        if dialect == "postgresql":
            connection.rollback()
    assert {name: answer for name, answer in answers.items() if answer != expected} == {}, expected


def test_bind_returns_the_documented_bound_filter():
    """``scimcore.bind``: resolved targets, normalised operators, converted literals (filter/bind.py)."""
    from datetime import datetime

    from scimcore.filter.bind import AllOf, Comparison, ElementMatch, Negation, Present, Target, Unresolved

    bound = scimcore.bind(
        parse_filter(
            'emails co "X" and title ne "Boss" and nickName eq null and meta.created gt "2020-01-01T00:00:00Z"'
        )
    )
    assert isinstance(bound, AllOf)
    emails, title, nick, created = bound.terms
    assert isinstance(emails, Comparison) and (emails.op, emails.kind, emails.value, emails.fold) == (
        "co",
        "string",
        "x",
        True,
    )
    assert (emails.target.attribute.name, emails.target.sub.name) == ("emails", "value")  # complex: through value
    assert isinstance(title, Negation) and title.filter.op == "eq" and title.filter.value == "boss"
    assert isinstance(nick, Negation) and isinstance(nick.filter, Present)
    assert created.value == datetime(2020, 1, 1, tzinfo=UTC) and created.target.sub.name == "created"
    inner = scimcore.bind(parse_filter('emails[type eq "work"]'))
    assert isinstance(inner, ElementMatch) and inner.filter.target == Target(None, inner.filter.target.attribute)
    loose = scimcore.bind(parse_filter('Title eq "2020-01-01T00:00:00Z"'), resource_type=None)
    assert loose.target == Unresolved(None, "Title") and loose.kind == "dateTime"
