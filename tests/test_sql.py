"""SQL translation and SqlDirectory (issue 8): the same answers in memory, in SQLite and in PostgreSQL.

The PostgreSQL half needs a server: ``source .ci/postgres.sh`` exports ``SCIMCORE_PG_DSN``. Without it those
tests are skipped on a developer machine, and FAIL when the environment variable ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from pathlib import Path

import msgspec
import pytest

import scimcore
from scimcore import InvalidFilter, InvalidVersion, NotFound, Uniqueness
from scimcore.sql import register_sqlite_functions, search_document, to_sql
from scimcore.sql.translate import order_by_sql

CORPUS = Path(__file__).parent / "corpus"
# the cases over their own resources (values of the wrong shape) run through every store in test_eval_backends.py
EVAL_CASES = [c for c in json.loads((CORPUS / "eval_cases.json").read_text("utf-8")) if "resources" not in c]
BACKENDS = ["sqlite", "postgresql"]


def _resources() -> dict[str, list[dict]]:
    by_type: dict[str, list[dict]] = {}
    for path in sorted((CORPUS / "resources").glob("*.json")):
        resource = json.loads(path.read_text("utf-8"))
        by_type.setdefault(resource["meta"]["resourceType"], []).append(resource)
    return by_type


RESOURCES = _resources()


def _pg_dsn() -> str:
    dsn = os.environ.get("SCIMCORE_PG_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("CI is set but SCIMCORE_PG_DSN is not: `source .ci/postgres.sh` starts a server")
        pytest.skip("no PostgreSQL server (set SCIMCORE_PG_DSN, e.g. `source .ci/postgres.sh`)")
    return dsn


def _connect(backend: str, sqlite_path: str = ":memory:"):
    if backend == "sqlite":
        connection = sqlite3.connect(sqlite_path, timeout=60)
        register_sqlite_functions(connection)
        return connection
    import psycopg

    return psycopg.connect(_pg_dsn())


def _table() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


def _drop(connection, backend: str, table: str) -> None:
    if backend == "postgresql":
        connection.rollback()
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.commit()
    connection.close()


def _ids(resources) -> list[str]:
    return sorted(r["id"] for r in resources)


def _raw_table(connection, backend: str, table: str, resources: list[dict]) -> None:
    """A table of the corpus as it is: raw JSON documents (``doc``) and their search documents (``search``)."""
    kind = "jsonb" if backend == "postgresql" else "text"
    p = "%s" if backend == "postgresql" else "?"
    connection.execute(f"CREATE TABLE {table} (id text, doc {kind}, search {kind})")
    for resource in resources:
        search = search_document(resource, scimcore.registry, resource["meta"]["resourceType"])
        connection.execute(
            f"INSERT INTO {table} VALUES ({p}, {p}, {p})", (resource["id"], json.dumps(resource), json.dumps(search))
        )
    connection.commit()


def _select_ids(connection, table: str, where: str, params, column: str = "id") -> list[str]:
    return sorted(row[0] for row in connection.execute(f"SELECT {column} FROM {table} WHERE {where}", params))


# -- the differential suite: eval_cases.json in memory, SqlDirectory and raw to_sql, in both dialects ----------


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_store(request):
    """Per backend: a SqlDirectory per resource type holding the corpus, and a raw-document table."""
    backend = request.param
    connection = _connect(backend)
    tables = []
    directories = {}
    raw_tables = {}
    for resource_type, resources in RESOURCES.items():
        table = _table()
        tables.append(table)
        directories[resource_type] = scimcore.SqlDirectory(connection, resource_type=resource_type, table=table)
        directories[resource_type].load(resources, complete_meta=False)
        raw = _table()
        tables.append(raw)
        _raw_table(connection, backend, raw, resources)
        raw_tables[resource_type] = raw
    yield backend, connection, directories, raw_tables
    if backend == "postgresql":
        connection.rollback()
        for table in tables:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.commit()
    connection.close()


def test_corpus_is_loaded():
    assert len(EVAL_CASES) > 100 and {"User", "Group"} <= set(RESOURCES)
    assert sum(1 for case in EVAL_CASES if "error" in case) > 10


@pytest.mark.parametrize("case", EVAL_CASES, ids=[c["id"] for c in EVAL_CASES])
def test_eval_case_in_memory_and_sql(case, corpus_store):
    backend, connection, directories, raw_tables = corpus_store
    resource_type = case["resource_type"]
    directory = directories[resource_type]
    if "error" in case:
        with pytest.raises(InvalidFilter):
            scimcore.compile_filter(case["filter"], resource_type=resource_type)
        for folded in (True, False):
            with pytest.raises(InvalidFilter):
                to_sql(case["filter"], resource_type, backend, "doc", folded=folded)
        with pytest.raises(InvalidFilter):
            directory.search(filter=case["filter"])
        return
    expected = sorted(case["matches"])
    in_memory = _ids(
        scimcore.compile_filter(case["filter"], resource_type=resource_type).filter(RESOURCES[resource_type])
    )
    assert in_memory == expected
    # to_sql over the corpus resources exactly as they are, with their search documents: the expected ids
    where, params = to_sql(case["filter"], resource_type, backend, "search", folded=True)
    assert _select_ids(connection, raw_tables[resource_type], where, params) == expected
    # SqlDirectory (which validates and completes meta): the in-memory answer over what it stores
    stored = directory.search().resources
    page = directory.search(filter=case["filter"])
    assert _ids(page.resources) == _ids(scimcore.compile_filter(case["filter"], resource_type).filter(stored))
    assert page.total_results == len(page.resources)
    if not case["filter"].lower().startswith("meta."):  # meta.created / lastModified / version are maintained
        assert _ids(page.resources) == expected
    if backend == "sqlite":  # raw documents + scim_fold/scim_instant: exact as well
        where, params = to_sql(case["filter"], resource_type, "sqlite", "doc")
        assert _select_ids(connection, raw_tables[resource_type], where, params) == expected


def _lower_is_casefold(value) -> bool:
    if isinstance(value, str):
        return value.lower() == value.casefold()
    if isinstance(value, dict):
        return all(_lower_is_casefold(v) for v in value.values())
    if isinstance(value, list):
        return all(_lower_is_casefold(v) for v in value)
    return True


# The raw-document difference concerns PostgreSQL only (SQLite registers scim_fold), and only filters whose
# text has lower() == casefold() can agree.
@pytest.mark.parametrize("corpus_store", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "case", [c for c in EVAL_CASES if "error" not in c and _lower_is_casefold(c["filter"])], ids=lambda c: c["id"]
)
def test_postgresql_raw_documents_agree_where_lower_is_casefold(case, corpus_store):
    """Raw jsonb + lower(): the documented difference is the only one (strings where lower() != casefold())."""
    _backend, connection, _, raw_tables = corpus_store
    resource_type = case["resource_type"]
    kept = [r for r in RESOURCES[resource_type] if _lower_is_casefold(r)]
    expected = _ids(scimcore.compile_filter(case["filter"], resource_type=resource_type).filter(kept))
    where, params = to_sql(case["filter"], resource_type, "postgresql", "doc")
    found = _select_ids(connection, raw_tables[resource_type], where, params)
    assert sorted(set(found) & {r["id"] for r in kept}) == expected


@pytest.mark.parametrize("corpus_store", ["postgresql"], indirect=True)
def test_postgresql_raw_documents_differ_on_sharp_s(corpus_store):
    """The one documented difference, shown: lower('STRASSE') matches, but lower('Straße') is 'straße'."""
    _backend, connection, directories, raw_tables = corpus_store
    folded_hits = _ids(directories["User"].search(filter='name.familyName eq "STRASSE"').resources)
    memory_hits = _ids(scimcore.compile_filter('name.familyName eq "STRASSE"').filter(RESOURCES["User"]))
    assert folded_hits == memory_hits and memory_hits  # the folded shadow removes the difference
    where, params = to_sql('name.familyName eq "STRASSE"', "User", "postgresql", "doc")
    assert _select_ids(connection, raw_tables["User"], where, params) == []


# -- translation: parameters, escaping, identifiers, errors ---------------------------------------------------


@pytest.mark.parametrize("dialect", BACKENDS)
def test_every_literal_is_a_bound_parameter(dialect):
    hostile = "x'); DROP TABLE users; -- /* \" %_\\"
    sql, params = to_sql(f"userName eq {json.dumps(hostile)} or title co {json.dumps(hostile)}", "User", dialect)
    assert "DROP" not in sql and "x'" not in sql and "/*" not in sql
    assert hostile.casefold() in params


@pytest.mark.parametrize("dialect", BACKENDS)
@pytest.mark.parametrize("bad", ["data; DROP TABLE x", "da-ta", "1data", "", "data\x00", "a" * 64, 'd"'])
def test_column_name_is_validated(dialect, bad):
    with pytest.raises(InvalidFilter):
        to_sql('userName eq "x"', "User", dialect, column=bad)


def test_unknown_dialect_resource_type_and_schemaless_raise_invalid_filter():
    with pytest.raises(InvalidFilter):
        to_sql('userName eq "x"', dialect="oracle")
    with pytest.raises(InvalidFilter):
        to_sql('userName eq "x"', resource_type="Widget")
    with pytest.raises(InvalidFilter):
        to_sql('userName eq "x"', resource_type=None)
    with pytest.raises(InvalidFilter):
        to_sql(42)


def test_postgresql_like_pattern_escapes_wildcards():
    _, params = to_sql(r'userName co "a%b_c\\d"', "User", "postgresql")
    assert params == [r"%a\%b\_c\\d%"]
    _, params = to_sql('userName sw "%"', "User", "postgresql")
    assert params == [r"\%%"]


def test_hand_built_malformed_ast_is_invalid_filter():
    from scimcore.filter.ast import And, AttrPath, Compare, Not

    with pytest.raises(InvalidFilter):
        to_sql(And(terms=(Compare(path=AttrPath(name="userName"), op="eq", value="x"),)))
    with pytest.raises(InvalidFilter):
        to_sql(Compare(path=AttrPath(name="userName"), op="regex", value="x"))
    deep = Compare(path=AttrPath(name="userName"), op="eq", value="x")
    for _ in range(5000):
        deep = Not(filter=deep)
    with pytest.raises(InvalidFilter):
        to_sql(deep)


def test_attribute_names_outside_the_safe_set_are_refused():
    """Names go into SQL text (so that expression indexes match): only letters, digits and ``$_.:-`` pass."""
    from scimcore.sql.dialects import check_key

    for bad in ["it's", 'a"b', "a b", "a;b", "a\\b", "", "é"]:
        with pytest.raises(InvalidFilter):
            check_key(bad)
    registry = scimcore.SchemaRegistry.default()
    urn = "urn:example:params:scim:schemas:extension:odd:2.0:User"
    registry.register_schema({"id": urn, "name": "Odd", "attributes": [{"name": "level", "type": "integer"}]})
    registry.register_extension("User", urn)
    sql, params = to_sql(f"{urn}:level ge 1.5", "User", "sqlite", registry=registry)
    assert params == [1.5] and urn in sql


# -- injection attempts against a live database ---------------------------------------------------------------

HOSTILE_NAMES = [
    "o'malley",
    "robert'); DROP TABLE students; --",
    "a%b",
    "a_b",
    "ab",
    "axb",
    "back\\slash",
    "50%",
    "_under",
    "/* comment */",
    "semi;colon",
    '"quoted"',
    "percent%%",
    "plain",
]

HOSTILE_FILTERS = [
    'userName eq "robert\'); DROP TABLE students; --"',
    'userName co "%"',
    'userName co "_"',
    'userName sw "_"',
    'userName ew "%"',
    'userName co "\\\\"',
    'userName eq "a_b"',
    'userName co "a%b"',
    'userName co "%%"',
    'userName co "/*"',
    'userName co "\'"',
    'userName co "\\""',
    'userName ew "slash"',
    'userName gt "a%"',
    'userName co ";"',
    'userName eq "\' OR 1=1 --"',
    'userName co ""',
]


@pytest.fixture(params=BACKENDS)
def hostile_directory(request):
    backend = request.param
    connection = _connect(backend)
    table = _table()
    directory = scimcore.SqlDirectory(connection, table=table)
    users = [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"id{i}", "userName": name}
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    directory.load(users)
    yield directory, users
    _drop(connection, backend, table)


@pytest.mark.parametrize("text", HOSTILE_FILTERS)
def test_injection_attempts_match_like_memory(hostile_directory, text):
    directory, users = hostile_directory
    expected = _ids(scimcore.compile_filter(text).filter(users))
    assert _ids(directory.search(filter=text).resources) == expected
    assert len(directory) == len(HOSTILE_NAMES)  # the table is still there, untouched


def test_wildcards_are_literal(hostile_directory):
    directory, _ = hostile_directory
    assert [r["userName"] for r in directory.search(filter='userName co "%"', sort_by="userName").resources] == [
        "50%",
        "a%b",
        "percent%%",
    ]
    assert _ids(directory.search(filter='userName eq "a_b"').resources) == ["id3"]
    assert _ids(directory.search(filter='userName co "\\\\"').resources) == ["id6"]


# -- SqlDirectory ---------------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def backend_directory(request):
    backend = request.param
    connection = _connect(backend)
    table = _table()
    yield backend, connection, scimcore.SqlDirectory(connection, table=table), table
    _drop(connection, backend, table)


USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "bjensen",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
}


def test_directory_crud(backend_directory):
    _, _, directory, _ = backend_directory
    original = json.loads(json.dumps(USER))
    stored = directory.add(original)
    assert original == USER  # the caller's object is not modified
    rid = stored["id"]
    assert isinstance(rid, str) and rid
    assert directory.get(rid) == stored and len(directory) == 1
    first = stored["meta"]["version"]
    assert first.startswith('W/"')
    replaced = directory.replace(rid, {**USER, "userName": "bjensen2", "title": "Guide"}, version=first)
    assert directory.get(rid)["title"] == "Guide" and replaced["id"] == rid
    second = replaced["meta"]["version"]
    assert second != first and directory.get(rid)["meta"]["version"] == second
    patched = directory.patch(
        rid,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Boss"}],
        },
    )
    assert patched["title"] == "Boss" and directory.get(rid)["title"] == "Boss"
    assert patched["meta"]["version"] not in (first, second)
    unchanged = directory.patch(rid, [{"op": "replace", "path": "title", "value": "Boss"}])
    assert unchanged == patched  # nothing changed: the version is kept
    with pytest.raises(InvalidVersion):
        directory.patch(rid, [{"op": "replace", "path": "title", "value": "X"}], version=first)
    with pytest.raises(InvalidVersion):
        directory.delete(rid, version=[first, second])
    directory.delete(rid)
    assert len(directory) == 0
    for call in (
        lambda: directory.get(rid),
        lambda: directory.delete(rid),
        lambda: directory.patch(rid, []),
        lambda: directory.get(42),
    ):
        with pytest.raises(NotFound):
            call()


def test_directory_uniqueness_is_case_insensitive(backend_directory):
    _, _, directory, _ = backend_directory
    first = directory.add(USER)
    with pytest.raises(Uniqueness) as caught:
        directory.add({**USER, "userName": "BJENSEN"})
    assert caught.value.status == 409
    other = directory.add({**USER, "userName": "someone"})
    with pytest.raises(Uniqueness):
        directory.replace(other["id"], {**USER, "userName": "BJensen"})
    with pytest.raises(Uniqueness):
        directory.patch(other["id"], [{"op": "replace", "path": "userName", "value": "bJensen"}])
    with pytest.raises(Uniqueness):
        directory.load([{**USER, "id": first["id"], "userName": "third"}])
    with pytest.raises(Uniqueness):  # extend is all or nothing
        directory.extend([{**USER, "userName": "fourth"}, {**USER, "userName": "FOURTH"}])
    assert len(directory) == 2


def test_directory_rejects_invalid_resources(backend_directory):
    _, _, directory, _ = backend_directory
    for bad in ({**USER, "userName": 5}, b"{not json", [1, 2], {**USER, "emails": "x"}):
        with pytest.raises(scimcore.ScimError):
            directory.add(bad)
    assert len(directory) == 0


def test_directory_accepts_structs_and_json(backend_directory):
    _, _, directory, _ = backend_directory
    from_json = directory.add(json.dumps({**USER, "userName": "json"}))
    from_struct = directory.add(scimcore.decode({**USER, "userName": "struct"}, resource_type="User"))
    assert directory.get(from_json["id"])["userName"] == "json"
    assert directory.get(from_struct["id"])["userName"] == "struct"


@pytest.mark.parametrize(
    "sort_by",
    [
        "userName",
        "name.familyName",
        "emails",
        "emails.value",
        "meta.created",
        "title",
        "active",
        "id",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ],
)
@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_sorting_and_paging_in_sql_match_memory(backend_directory, sort_by, order):
    _, _, directory, _ = backend_directory
    from scimcore.demo import generate_users

    users = generate_users(60, seed=7)
    users[3].pop("title", None)
    users[5]["name"]["familyName"] = "straße"
    users[6]["name"]["familyName"] = "STRASSE"
    directory.load(users)
    for start, count in [(1, None), (1, 10), (11, 10), (55, 10), (100, 5), (0, 3), (1, 0), (2, -1)]:
        page = directory.search(
            filter="userName pr",
            sort_by=sort_by,
            sort_order=order,
            start_index=start,
            count=count,
            attributes=["userName"],
        )
        expected = scimcore.search(
            users,
            resource_type="User",
            filter="userName pr",
            sort_by=sort_by,
            sort_order=order,
            start_index=start,
            count=count,
            attributes=["userName"],
        )
        assert page.total_results == expected.total_results == 60
        assert page.start_index == expected.start_index and page.items_per_page == expected.items_per_page
        assert [r["id"] for r in page.resources] == [r["id"] for r in expected.resources]
        assert page.resources == expected.resources  # projection: id, schemas, userName


def test_unsorted_search_keeps_insertion_order_and_projection(backend_directory):
    _, _, directory, _ = backend_directory
    from scimcore.demo import generate_users

    users = generate_users(20, seed=3)
    directory.load(users)
    page = directory.search(excluded_attributes=["emails"], start_index=5, count=4)
    assert [r["id"] for r in page.resources] == [u["id"] for u in users[4:8]]
    assert all("emails" not in r and "userName" in r for r in page.resources)
    assert page.total_results == 20


# -- indexes: the lookups the issue names use them -------------------------------------------------------------


def _plan(backend, connection, table, text):
    where, params = to_sql(text, "User", backend, "search", folded=True)
    if backend == "sqlite":
        rows = connection.execute(f"EXPLAIN QUERY PLAN SELECT data FROM {table} WHERE {where}", params)
        return " ".join(str(row[-1]) for row in rows)
    connection.execute("SET enable_seqscan = off")
    try:
        rows = connection.execute(f"EXPLAIN SELECT data FROM {table} WHERE {where}", params).fetchall()
    finally:
        connection.execute("RESET enable_seqscan")
    return " ".join(row[0] for row in rows)


def test_username_and_external_id_lookups_use_the_expression_indexes(backend_directory):
    backend, connection, directory, table = backend_directory
    from scimcore.demo import generate_users

    directory.extend(generate_users(300, seed=1))
    username_plan = _plan(backend, connection, table, 'userName eq "Barbara.Jensen1"')
    external_plan = _plan(backend, connection, table, 'externalId eq "abc"')
    scan_plan = _plan(backend, connection, table, 'title eq "Engineer"')
    assert f"{table}_username" in username_plan, username_plan
    assert f"{table}_externalid" in external_plan, external_plan
    assert f"{table}_username" not in scan_plan and f"{table}_externalid" not in scan_plan


# -- concurrency: no lost update ------------------------------------------------------------------------------

COUNTER_URN = "urn:example:params:scim:schemas:extension:counter:2.0:User"


def _counter_registry():
    registry = scimcore.SchemaRegistry.default()
    registry.register_schema(
        {"id": COUNTER_URN, "name": "Counter", "attributes": [{"name": "counter", "type": "integer"}]}
    )
    registry.register_extension("User", COUNTER_URN)
    return registry


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_patches_lose_no_update(backend, tmp_path):
    threads_n, rounds = 6, 12
    sqlite_path = str(tmp_path / "dir.db")
    table = _table()
    registry = _counter_registry()
    setup = _connect(backend, sqlite_path)
    directory = scimcore.SqlDirectory(setup, registry=registry, table=table)
    rid = directory.add({**USER, "schemas": [*USER["schemas"], COUNTER_URN], COUNTER_URN: {"counter": 0}})["id"]
    errors: list[BaseException] = []
    conflicts = [0]

    def worker(n: int) -> None:
        connection = _connect(backend, sqlite_path)
        try:
            mine = scimcore.SqlDirectory(connection, registry=registry, table=table)
            for i in range(rounds):
                # an unconditional PATCH: the directory retries on a version conflict by itself
                mine.patch(
                    rid,
                    [{"op": "add", "path": "emails", "value": [{"value": f"t{n}-{i}@example.com", "type": "other"}]}],
                )
                # read-modify-write of a counter with the version as ETag: retry on 412
                while True:
                    seen = mine.get(rid)
                    version, current = seen["meta"]["version"], seen[COUNTER_URN]["counter"]
                    try:
                        mine.patch(
                            rid,
                            [{"op": "replace", "path": f"{COUNTER_URN}:counter", "value": current + 1}],
                            version=version,
                        )
                        break
                    except InvalidVersion:
                        conflicts[0] += 1
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    try:
        assert not errors, errors
        final = directory.get(rid)
        assert final[COUNTER_URN]["counter"] == threads_n * rounds
        assert len(final["emails"]) == 1 + threads_n * rounds
    finally:
        _drop(setup, backend, table)


# -- search documents -----------------------------------------------------------------------------------------


def test_search_document_folds_case_insensitive_strings_and_canonicalises_instants():
    resource = {
        "id": "AbC",
        "userName": "Straße",
        "externalId": "ExT",
        "meta": {"created": "2011-05-13T04:42:34-07:00", "resourceType": "User"},
        "emails": [{"value": "X@Example.COM", "type": "Work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "E1",
            "manager": {"value": "M"},
        },
    }
    before = msgspec.json.encode(resource)
    doc = search_document(resource, scimcore.registry, "User")
    assert msgspec.json.encode(resource) == before
    assert doc["id"] == "AbC" and doc["externalId"] == "ExT"  # caseExact
    assert doc["userName"] == "strasse" and doc["emails"][0] == {"value": "x@example.com", "type": "work"}
    assert doc["meta"]["created"] == "2011-05-13T11:42:34.000000Z" and doc["meta"]["resourceType"] == "User"
    ext = doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert ext["employeeNumber"] == "e1" and ext["manager"]["value"] == "M"


def test_order_by_rejects_unknown_attributes():
    with pytest.raises(InvalidFilter):
        order_by_sql("nope", False)
    with pytest.raises(InvalidFilter):
        order_by_sql("userName eq 1", False)
    with pytest.raises(InvalidFilter):
        order_by_sql("name", False)  # complex without value


def test_unusable_sort_by_is_ignored_like_memory_and_strict_refuses(backend_directory):
    _backend, connection, directory, table = backend_directory
    from scimcore.demo import generate_users

    users = generate_users(12, seed=5)
    directory.load(users)
    for sort_by in [
        "nope",
        "name",
        "password",
        'emails[type eq "work"]',
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ]:
        page = directory.search(sort_by=sort_by, sort_order="descending")
        expected = scimcore.search(users, resource_type="User", sort_by=sort_by, sort_order="descending")
        assert [r["id"] for r in page.resources] == [r["id"] for r in expected.resources]
    strict = scimcore.SqlDirectory(connection, table=table, policy=scimcore.Policy.STRICT)
    with pytest.raises(scimcore.InvalidValue):
        strict.search(sort_by="nope")
    with pytest.raises(scimcore.InvalidValue):  # as in memory: every store reads parameters alike
        directory.search(sort_by="userName", sort_order="sideways")
    with pytest.raises(scimcore.InvalidValue):
        scimcore.search(users, sort_by="userName", sort_order="sideways")


def test_search_request_in_place_of_keywords(backend_directory):
    """A SearchRequest (dict or Struct, RFC 7644 §3.4.3) gives the same page as the keywords it stands for."""
    _, _, directory, _ = backend_directory
    directory.extend(
        [
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "title": title}
            for name, title in [("ann", "Guide"), ("bob", "Guide"), ("cy", "Chef")]
        ]
    )
    keywords = directory.search(
        filter='title eq "guide"', sort_by="userName", sort_order="descending", count=1, attributes=["userName"]
    )
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'title eq "guide"',
        "sortBy": "userName",
        "sortOrder": "descending",
        "count": 1,
        "attributes": ["userName"],
    }
    for request in (body, scimcore.SearchRequest.from_json(body)):
        page = directory.search(request=request)
        assert page.total_results == keywords.total_results == 2
        assert [r["userName"] for r in page.resources] == [r["userName"] for r in keywords.resources] == ["bob"]
        assert set(page.resources[0]) == {"schemas", "id", "userName"}


@pytest.mark.parametrize("bad", ["\ud800", "[" * 100_000], ids=["surrogate", "deep-json"])
def test_hostile_documents_and_ids_are_clean_errors(backend_directory, bad):
    _, _, directory, _ = backend_directory
    with pytest.raises(scimcore.InvalidSyntax):
        directory.add(bad)
    with pytest.raises(scimcore.NotFound):
        directory.get("\ud800")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_table_made_by_0_1_is_refused_with_the_way_to_migrate(backend, tmp_path):
    connection = _connect(backend, str(tmp_path / "old.db"))
    table = _table()
    kind, document = ("INTEGER", "TEXT") if backend == "sqlite" else ("BIGINT", "JSONB")
    connection.execute(
        f"CREATE TABLE {table} (seq {kind} PRIMARY KEY, id TEXT NOT NULL UNIQUE, version {kind} NOT NULL, "
        f"data {document} NOT NULL, search {document} NOT NULL)"
    )
    connection.commit()
    try:
        with pytest.raises(scimcore.ScimError) as info:
            scimcore.SqlDirectory(connection, table=table)
        assert info.value.status == 500 and "ADD COLUMN etag" in info.value.detail
    finally:
        _drop(connection, backend, table)
