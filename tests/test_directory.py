"""scimcore.Directory on both backends: the shared evaluation and query corpora, a randomized differential test
against compile_filter/search, indexes, uniqueness, writes, NDJSON loading and concurrency (issue 6)."""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

import msgspec
import pytest

import scimcore
from scimcore import Directory
from scimcore.demo import generate_users
from scimcore.store.native import native_module as _native_module

CORPUS = Path(__file__).parent / "corpus"
BACKENDS = ["native", "python"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "native" and _native_module() is None:
        if os.environ.get("CI") or os.environ.get("SCIMCORE_BACKEND", "").lower() == "native":
            pytest.fail("the native directory (scimcore._native.DirectoryStore) is not built")
        pytest.skip("scimcore._native is not built here")
    return request.param


def _resources(resource_type: str) -> list[dict]:
    out = []
    for path in sorted((CORPUS / "resources").glob("*.json")):
        resource = json.loads(path.read_text("utf-8"))
        kind = resource.get("meta", {}).get("resourceType")
        if kind == resource_type:
            out.append(resource)
    return out


def _ids(page) -> list[str]:
    return [r["id"] for r in page.resources]


def _corpus_directory(resource_type: str, backend: str) -> tuple[Directory, list[dict]]:
    resources = _resources(resource_type)
    directory = Directory(resource_type, backend=backend)
    directory.load(resources, complete_meta=False)
    return directory, resources


# the cases over their own resources (values of the wrong shape) run through every store in test_eval_backends.py
EVAL_CASES = [c for c in json.loads((CORPUS / "eval_cases.json").read_text("utf-8")) if "resources" not in c]


@pytest.mark.parametrize("case", EVAL_CASES, ids=[c["id"] for c in EVAL_CASES])
def test_eval_corpus(case, backend):
    directory, resources = _corpus_directory(case["resource_type"], backend)
    if "error" in case:
        with pytest.raises(scimcore.ScimError) as info:
            directory.search(filter=case["filter"])
        assert info.value.scim_type == case["error"]
        return
    page = directory.search(filter=case["filter"])
    expected = [r["id"] for r in resources if r["id"] in set(case["matches"])]
    assert _ids(page) == expected
    assert page.total_results == len(expected)
    # and the same as the in-memory evaluator, resource for resource
    assert _ids(page) == [
        r["id"] for r in scimcore.compile_filter(case["filter"], case["resource_type"]).filter(resources)
    ]


def _query_cases():
    path = CORPUS / "query_cases.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else []


QUERY_CASES = _query_cases()


def test_query_corpus_exists():
    assert QUERY_CASES, "tests/corpus/query_cases.json is missing or empty"


@pytest.mark.parametrize("case", QUERY_CASES, ids=[c["id"] for c in QUERY_CASES])
def test_query_corpus(case, backend):
    directory, resources = _corpus_directory(case["resource_type"], backend)
    params = case["params"]
    kwargs = {
        "filter": params.get("filter"),
        "sort_by": params.get("sortBy"),
        "sort_order": params.get("sortOrder", "ascending"),
        "start_index": params.get("startIndex", 1),
        "count": params.get("count"),
        "attributes": params.get("attributes"),
        "excluded_attributes": params.get("excludedAttributes"),
    }
    if "error" in case:
        with pytest.raises(scimcore.ScimError) as info:
            directory.search(**kwargs)
        assert info.value.scim_type == case["error"]
        return
    page = directory.search(**kwargs)
    expect = case["expect"]
    assert page.total_results == expect["totalResults"]
    assert page.start_index == expect["startIndex"]
    assert page.items_per_page == expect["itemsPerPage"]
    assert _ids(page) == expect["ids"]
    if "resources" in expect:
        assert page.resources == expect["resources"]
    reference = scimcore.search(resources, resource_type=case["resource_type"], **kwargs)
    assert msgspec.json.encode(page) == msgspec.json.encode(reference)


# -- randomized differential test over generated users --------------------------------------------------------

FILTERS = [
    'userName eq "{user}"',
    'userName eq "{USER}"',
    'userName sw "a"',
    'userName co "son"',
    'name.familyName sw "S"',
    'name.givenName ew "a"',
    "title pr",
    "not (title pr)",
    "title eq null",
    'emails[type eq "work" and value ew "@example.com"]',
    'emails.type eq "work" and emails.value co "corp"',
    'emails co "example"',
    "emails[primary eq true]",
    "emails.primary ne true",
    "phoneNumbers pr",
    'phoneNumbers[type eq "mobile"]',
    'active eq true and userType eq "Employee"',
    "active ne true",
    'meta.created gt "2015-01-01T00:00:00Z"',
    'meta.lastModified le "2016-06-01T00:00:00+02:00" and meta.lastModified ge "2014-01-01T00:00:00Z"',
    'meta.created lt "2014-06-01T00:00:00Z" or title sw "Sen"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Engineering"',
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User pr",
    'employeeNumber gt "5"',
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
    'externalId eq "{external}" or userName eq "{user}"',
    'id eq "{id}" and active eq true',
    'displayName ge "M" and not (displayName ge "P")',
    '(userName sw "b" or userName sw "c") and not (emails[type eq "home"])',
]
SORTS = [
    None,
    "userName",
    "name.familyName",
    "meta.created",
    "emails",
    "emails.value",
    "title",
    "active",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "displayName",
]


@pytest.fixture(scope="module")
def users():
    return generate_users(3000, seed=7)


@pytest.fixture(scope="module")
def native_directory(users):
    if _native_module() is None:
        pytest.skip("scimcore._native is not built here")
    directory = Directory(backend="native", threads=2)
    directory.load(users, complete_meta=False)
    return directory


@pytest.fixture(scope="module")
def python_directory(users):
    directory = Directory(backend="python")
    directory.load(users, complete_meta=False)
    return directory


def test_randomized_differential(users, native_directory, python_directory):
    rng = random.Random(11)
    checked = 0
    for template in FILTERS:
        for _ in range(3):
            sample = rng.choice(users)
            text = template.format(
                user=sample["userName"],
                USER=sample["userName"].upper(),
                external=sample.get("externalId", "x"),
                id=sample["id"],
            )
            sort_by = rng.choice(SORTS)
            order = rng.choice(["ascending", "descending"])
            start = rng.choice([1, 1, 2, 17])
            count = rng.choice([None, 0, 5, 50])
            kwargs = {"filter": text, "sort_by": sort_by, "sort_order": order, "start_index": start, "count": count}
            reference = scimcore.search(users, resource_type="User", **kwargs)
            for directory in (native_directory, python_directory):
                page = directory.search(**kwargs)
                assert msgspec.json.encode(page) == msgspec.json.encode(reference), (directory.backend, kwargs)
            checked += 1
    assert checked == len(FILTERS) * 3


# -- writes, indexes, uniqueness -----------------------------------------------------------------------------


def test_add_assigns_id_and_meta_and_never_mutates(backend):
    directory = Directory(backend=backend)
    original = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Alice"}
    snapshot = json.dumps(original)
    stored = directory.add(original)
    assert json.dumps(original) == snapshot
    assert isinstance(stored["id"], str) and len(stored["id"]) == 36
    meta = stored["meta"]
    assert meta["resourceType"] == "User" and meta["created"] == meta["lastModified"]
    assert meta["version"].startswith('W/"')
    assert directory.get(stored["id"]) == stored
    stored["userName"] = "changed"  # the caller's copy is theirs
    assert directory.get(stored["id"])["userName"] == "Alice"


def test_username_uniqueness_is_case_insensitive(backend):
    directory = Directory(backend=backend)
    directory.add({"userName": "Straße"})
    for clash in ({"userName": "STRASSE"}, {"userName": "strasse"}):
        with pytest.raises(scimcore.Uniqueness) as info:
            directory.add(clash)
        assert info.value.status == 409 and info.value.scim_type == "uniqueness"
    # a batch is all or nothing, duplicates inside the batch included
    with pytest.raises(scimcore.Uniqueness):
        directory.extend([{"userName": "new1"}, {"userName": "NEW1"}])
    assert len(directory) == 1
    assert directory.load([{"userName": "bob", "id": "b"}]) == 1  # importing keeps ids; add never does
    bob = directory.get("b")
    with pytest.raises(scimcore.Uniqueness) as info:
        directory.load([{"userName": "carol", "id": "b"}])
    assert info.value.detail == 'a resource with id "b" already exists'
    assert directory.add({"userName": "carol", "id": "b"})["id"] != "b"
    with pytest.raises(scimcore.Uniqueness):
        directory.replace("b", {"userName": "strasse"})
    with pytest.raises(scimcore.Uniqueness):
        directory.patch("b", {"Operations": [{"op": "replace", "path": "userName", "value": "STRASSE"}]})
    assert directory.get("b")["userName"] == "bob"
    directory.replace("b", {"userName": "BOB"})  # its own value in another case: no conflict
    assert bob["meta"]["created"] == directory.get("b")["meta"]["created"]


def test_replace_patch_delete(backend):
    directory = Directory(backend=backend)
    a = directory.add({"userName": "a", "title": "x"})
    b = directory.add({"userName": "b"})
    rid = a["id"]
    replaced = directory.replace(rid, {"userName": "a2", "meta": {"created": "1999-01-01T00:00:00Z"}})
    assert replaced["meta"]["created"] == a["meta"]["created"]
    assert replaced["meta"]["version"] != a["meta"]["version"]
    assert "title" not in directory.get(rid)
    assert directory.replace(rid, {"id": "other", "userName": "a3"})["id"] == rid  # readOnly input is ignored
    patched = directory.patch(rid, {"Operations": [{"op": "add", "path": "title", "value": "Boss"}]})
    assert patched["title"] == "Boss" and directory.search(filter='title eq "boss"').total_results == 1
    unchanged = directory.patch(rid, {"Operations": [{"op": "add", "path": "title", "value": "Boss"}]})
    assert unchanged["meta"]["version"] == patched["meta"]["version"]
    # insertion order survives replace
    assert _ids(directory.search()) == [rid, b["id"]]
    directory.delete(rid)
    for call in (
        lambda: directory.get(rid),
        lambda: directory.delete(rid),
        lambda: directory.replace(rid, {"userName": "z"}),
        lambda: directory.patch(rid, []),
    ):
        with pytest.raises(scimcore.NotFound):
            call()
    assert len(directory) == 1 and directory.search(filter='userName eq "a2"').total_results == 0


def test_indexed_lookups_follow_case_rules(backend):
    directory = Directory(backend=backend)
    directory.load(
        [
            {"id": "ID-1", "userName": "Mixed@Example.com", "externalId": "Ext"},
            {"id": "id-2", "userName": "other", "externalId": "ext"},
        ]
    )
    assert _ids(directory.search(filter='userName eq "mixed@example.COM"')) == ["ID-1"]
    assert _ids(directory.search(filter='externalId eq "ext"')) == ["id-2"]  # caseExact
    assert _ids(directory.search(filter='id eq "id-1"')) == []  # caseExact
    assert _ids(directory.search(filter='id eq "ID-1" or externalId eq "ext"')) == ["ID-1", "id-2"]
    assert _ids(directory.search(filter='userName eq "other" and externalId eq "ext"')) == ["id-2"]


def test_bad_input_raises_scim_errors(backend):
    directory = Directory(backend=backend)
    for bad in ([1, 2], "not json", b"[]", 5):
        with pytest.raises(scimcore.ScimError):
            directory.add(bad)
    with pytest.raises(scimcore.InvalidFilter):
        directory.search(filter="userName eq")
    with pytest.raises(scimcore.InvalidFilter):
        directory.search(filter='nosuch eq "x"')
    with pytest.raises(scimcore.ScimError):
        directory.search(sort_order="sideways")
    with pytest.raises(scimcore.NotFound):
        directory.get(None)
    with pytest.raises(scimcore.ScimError):
        directory.load_ndjson(b'{"userName": "a"}\n{"userName": \n')
    assert len(directory) == 0


def test_load_ndjson(backend, tmp_path):
    users = generate_users(200, seed=3)
    users[5] = {k: v for k, v in users[5].items() if k not in ("id", "meta")}
    data = b"\n".join(msgspec.json.encode(u) for u in users) + b"\n\n"
    directory = Directory(backend=backend)
    assert directory.load_ndjson(data) == 200
    assert len(directory) == 200
    completed = directory.search(filter=f'userName eq "{users[5]["userName"]}"').resources[0]
    assert completed["meta"]["resourceType"] == "User" and len(completed["id"]) == 36
    assert directory.get(users[7]["id"]) == users[7]  # complete lines are stored as they are
    path = tmp_path / "users.ndjson"
    path.write_bytes(data)
    again = Directory(backend=backend)
    assert again.load_ndjson(path) == 200 and len(again) == 200
    with pytest.raises(scimcore.Uniqueness):  # the same ids again: all or nothing
        again.load_ndjson(str(path))
    assert len(again) == 200


def test_paging_and_projection(backend):
    directory = Directory(backend=backend, max_results=3)
    directory.extend({"userName": f"u{i:02d}", "password": "secret", "title": "t"} for i in range(10))
    page = directory.search(
        sort_by="userName", sort_order="descending", start_index=0, count=50, attributes=["userName"]
    )
    assert (page.total_results, page.start_index, page.items_per_page) == (10, 1, 3)
    assert [r["userName"] for r in page.resources] == ["u09", "u08", "u07"]
    assert all("password" not in r and "title" not in r and "id" in r for r in page.resources)
    assert directory.search(count=-4).items_per_page == 0


def test_registry_change_rebuilds_layout(backend):
    registry = scimcore.SchemaRegistry.default()
    directory = Directory(registry=registry, backend=backend)
    urn = "urn:example:params:scim:schemas:extension:badge:2.0:User"
    directory.load([{"id": "1", "userName": "u", urn: {"badge": "B-7"}}])
    registry.register_schema({"id": urn, "name": "Badge", "attributes": [{"name": "badge", "type": "string"}]})
    registry.register_extension("User", urn)
    assert _ids(directory.search(filter=f'{urn}:badge eq "b-7"')) == ["1"]


# -- concurrency ---------------------------------------------------------------------------------------------


def test_concurrent_searches_and_writes(backend):
    directory = Directory(backend=backend, threads=2)
    directory.extend(generate_users(2000, seed=5))
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                page = directory.search(filter='userName sw "a" or title pr', sort_by="userName", count=20)
                names = [r["userName"].casefold() for r in page.resources]
                assert names == sorted(names)
                assert page.total_results >= page.items_per_page
        except BaseException as exc:
            errors.append(exc)

    def writer(n: int):
        try:
            for i in range(150):
                added = directory.add({"userName": f"writer{n}-{i}"})
                directory.patch(added["id"], [{"op": "replace", "path": "title", "value": f"t{i}"}])
                if i % 3 == 0:
                    directory.delete(added["id"])
        except BaseException as exc:
            errors.append(exc)

    def emailer(n: int):
        try:
            for i in range(50):
                directory.patch(shared["id"], [{"op": "add", "path": "emails", "value": [{"value": f"{n}-{i}@x.org"}]}])
        except BaseException as exc:
            errors.append(exc)

    shared = directory.add({"userName": "shared"})
    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    writers += [threading.Thread(target=emailer, args=(n,)) for n in range(2)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors[:3]
    assert len(directory) == 2001 + 3 * 100
    assert directory.search(filter='userName sw "writer"').total_results == 300
    assert directory.search(filter='title eq "t149"').total_results == 3
    assert len(directory.get(shared["id"])["emails"]) == 100  # no lost update between patches


@pytest.mark.parametrize(
    "bad",
    ["\ud800", {"\ud800": 1}, "[" * 100_000, {"userName": "a\ud800"}, {"userName": object()}],
    ids=["surrogate-text", "surrogate-key", "deep-json", "surrogate-value", "not-json"],
)
def test_hostile_resources_are_clean_errors(backend, bad):
    """Documents that are no JSON (lone surrogates, Python objects, 100,000-deep nesting) are ScimErrors,
    never crashes."""
    directory = scimcore.Directory(backend=backend)
    with pytest.raises(scimcore.ScimError):
        directory.add(bad)
    with pytest.raises(scimcore.NotFound):
        directory.get("\ud800")
    with pytest.raises(scimcore.InvalidValue):
        directory.load_ndjson("\ud800.ndjson")
    assert len(directory) == 0


# -- sort orders across writes -------------------------------------------------------------------------------


def test_sorted_pages_follow_writes():
    """A sorted scan with many matches walks the native store's sort order (docs/directory.md): rows replaced,
    added and deleted after the order was built are ranked apart and merged in, and past its limit of changed
    rows (1,024 here) it is built again. Every page agrees with the Python backend through 2,000 writes."""
    if _native_module() is None:
        if os.environ.get("CI"):
            pytest.fail("the native directory is not built")
        pytest.skip("scimcore._native is not built here")
    users = generate_users(2500, seed=3)
    native, python = Directory(backend="native", max_results=None), Directory(backend="python", max_results=None)
    queries = [
        {"filter": "title pr", "sort_by": "userName", "count": 30},
        {"filter": "active eq true", "sort_by": "name.familyName", "sort_order": "descending", "count": 40},
        {"filter": None, "sort_by": "meta.created", "count": 25, "start_index": 7},
        {"filter": 'userName sw "a" or title pr', "sort_by": "displayName", "count": None},
    ]

    def page(directory, query):
        found = directory.search(**query)
        return found.total_results, [r["id"] for r in found.resources]

    for directory in (native, python):
        directory.load(users, complete_meta=False)
    rng = random.Random(5)
    ids = [u["id"] for u in users]
    checked = 0
    for step in range(2001):
        if step % 200 == 0:
            for query in queries:
                native_page = page(native, query)
                assert native_page == page(python, query), (step, query)
                assert native_page[1], query
                checked += 1
        choice = rng.random()
        if choice < 0.5:
            target = rng.choice(ids)
            operations = [
                {"op": "replace", "path": "userName", "value": f"renamed-{step}"},
                {"op": "replace", "path": "displayName", "value": rng.choice(["Ann", "zed", "Mia Ko", "bo"])},
                {"op": "replace", "path": "title", "value": f"t{rng.randint(0, 9)}"},
            ]
            for directory in (native, python):
                directory.patch(target, operations)
        elif choice < 0.8:
            new = {"id": f"added-{step}", "userName": f"added-{step}", "displayName": f"D{rng.randint(0, 99)}"}
            for directory in (native, python):
                directory.load([new], complete_meta=False)
            ids.append(new["id"])
        else:
            target = ids.pop(rng.randrange(len(ids)))
            for directory in (native, python):
                directory.delete(target)
    assert checked == 11 * len(queries)


def test_parallel_scans_in_a_row_reuse_the_bitmap_without_stale_matches():
    """Scans of a store large enough for two threads (32,768 resources and more) store every word of the
    bitmap the previous scan left (docs/directory.md): a scan with few matches after one with many, on a store
    that grew and shrank in between, finds exactly the Python backend's matches; the benchmark's scan
    (``search_counts``) chooses the same page without copying it."""
    if _native_module() is None:
        if os.environ.get("CI"):
            pytest.fail("the native directory is not built")
        pytest.skip("scimcore._native is not built here")
    lines = [b'{"id":"u%05d","userName":"user%05d","title":"t%d"}' % (i, i, i % 7) for i in range(40_000)]
    native = Directory(backend="native", threads=2, max_results=None)
    native.load_ndjson(b"\n".join(lines), complete_meta=False)
    python = Directory(backend="python", max_results=None)
    python.load_ndjson(b"\n".join(lines), complete_meta=False)
    queries = [
        {"filter": "title pr"},
        {"filter": 'title eq "t3"', "sort_by": "userName"},
        {"filter": 'userName ew "77"'},
        {"filter": 'title eq "none"'},
        {"filter": "title pr", "sort_by": "userName", "count": 10},
    ]
    for step in range(3):
        if step == 1:  # grown: words past the earlier bitmap's end
            extra = [{"id": f"x{i}", "userName": f"extra{i}77", "title": "t3"} for i in range(3000)]
            for directory in (native, python):
                directory.load(extra, complete_meta=False)
        if step == 2:  # shrunk past half: the store compacts, its rows renumbered
            for directory in (native, python):
                for i in range(0, 40_000, 2):
                    directory.delete(f"u{i:05d}")
        for query in queries:
            found, expected = native.search(**query), python.search(**query)
            assert found.total_results == expected.total_results, (step, query)
            assert [r["id"] for r in found.resources] == [r["id"] for r in expected.resources], (step, query)
            run, _ = native._backend.scan_runner(query["filter"], query.get("sort_by"), query.get("count", 100), 2)
            assert run() == (expected.total_results, min(query.get("count", 100), expected.total_results))
