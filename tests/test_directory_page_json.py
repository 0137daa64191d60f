"""``Directory.search_json``: the page projected and encoded in the native store is the JSON of ``search``.

The native page writer (``rust/crates/directory/src/page.rs``) applies the projection rules of
``scimcore.query`` (docs/semantics.md §Query) to the stored JSON; these tests compare it, parsed, with
``msgspec``'s encoding of :meth:`Directory.search`'s ``ListResponse`` over both backends.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import msgspec
import pytest

from scimcore import Directory
from scimcore.demo import generate_users
from scimcore.store.native import native_module

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

PROJECTIONS = [
    {},
    {"attributes": "userName"},
    {"attributes": "userName,emails.value,name.familyName"},
    {"attributes": ["emails", "meta.created"]},
    {"attributes": ENTERPRISE},
    {"attributes": f"{ENTERPRISE}:manager.displayName,{ENTERPRISE}:employeeNumber"},
    {"attributes": "noSuchAttribute"},
    {"excluded_attributes": "emails,name.givenName"},
    {"excluded_attributes": ENTERPRISE},
    {"excluded_attributes": "id,schemas,meta"},
    {"excluded_attributes": "phoneNumbers.type,title"},
]
QUERIES = [
    {},
    {"filter": 'name.familyName sw "s"', "sort_by": "userName", "count": 25},
    {"filter": "title pr", "sort_by": "meta.created", "sort_order": "descending", "start_index": 3, "count": 7},
    {"filter": 'emails[type eq "work"]', "count": 0},
    {"filter": 'userName eq "nobody"'},
]


def _users(n: int = 120) -> list[dict]:
    users = generate_users(n, seed=3)
    for i, user in enumerate(users):
        if i % 3 == 0:
            user["schemas"] = [*user["schemas"], ENTERPRISE]
            user[ENTERPRISE] = {"employeeNumber": str(i), "manager": {"value": "x", "displayName": "Boss"}}
        if i % 5 == 0:
            user["emails"] = [*user.get("emails", []), {"value": None, "type": "home"}, "not an object"]
        if i % 7 == 0:
            user["nickName"] = None
            user["x-custom"] = {"kept": True}
        if i % 4 == 0:  # a null inside a complex value the projection otherwise keeps whole
            user["name"] = {**user.get("name", {}), "middleName": None}
            user["phoneNumbers"] = [{"value": "+1 555 0100", "type": None}, {}]
    return users


@pytest.fixture(params=["native", "python"])
def directory(request):
    if request.param == "native" and native_module() is None:
        pytest.skip("scimcore._native is not built")
    directory = Directory(backend=request.param, max_results=None)
    directory.load(_users())
    return directory


@pytest.mark.parametrize("projection", PROJECTIONS, ids=str)
@pytest.mark.parametrize("query", QUERIES, ids=str)
def test_search_json_is_the_json_of_search(directory, query, projection):
    expected = json.loads(msgspec.json.encode(directory.search(**query, **projection)))
    assert json.loads(directory.search_json(**query, **projection)) == expected


@pytest.mark.parametrize("projection", PROJECTIONS, ids=str)
def test_location_is_set_as_search_sets_it(projection):
    """With ``location``, each output ``meta.location`` is the prefix and the ``id``: resources copied as
    stored up to their ``meta.location`` (compact, no ``null``: the page writer decides once a shape,
    rust/crates/directory/src/plain.rs) and those projected member by member give what the Python backend
    gives."""
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    pages = []
    for backend in ("native", "python"):
        directory = Directory(backend=backend, max_results=None)
        directory.load(_users())
        pages.append(
            json.loads(directory.search_json(sort_by="userName", location="https://scim.example/Users/", **projection))
        )
    assert pages[0] == pages[1]
    metas = [r["meta"] for r in pages[0]["Resources"] if "meta" in r]
    assert all(m["location"].startswith("https://scim.example/Users/") for m in metas)


def test_searches_in_a_row_each_as_the_python_backend_gives():
    """One directory searched again and again (a thread's page buffer and the store's match bitmap are kept
    from one search to the next): every page, long after short and short after long, on the calling thread and
    on another, is the Python backend's."""
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    native, python = (Directory(backend=b, max_results=None) for b in ("native", "python"))
    for directory in (native, python):
        directory.load(_users(1500))  # three blocks of the scan: a block without matches keeps no bits
    queries = [*QUERIES, {"filter": 'title eq "no such title"'}, {"filter": "title pr", "count": 3}]
    runs = [(query, projection) for query in queries for projection in PROJECTIONS[:4]]

    def pages() -> list:
        return [json.loads(native.search_json(**q, **p)) for q, p in runs + runs[::-1]]

    expected = [json.loads(python.search_json(**q, **p)) for q, p in runs + runs[::-1]]
    assert pages() == expected
    with ThreadPoolExecutor(max_workers=1) as other:
        assert other.submit(pages).result() == expected
    assert pages() == expected


def test_a_replaced_resource_is_written_as_it_is_now():
    """A resource's shape is read the first time it is on a native page and kept with it: replacing the
    resource (a new attribute, a ``null``, the enterprise extension dropped) gives the new JSON on the next
    page, for both ways of writing it (copied by shape, projected member by member)."""
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    directory = Directory(max_results=None)
    directory.load(_users(30))
    for projection in PROJECTIONS:
        directory.search_json(sort_by="userName", **projection)  # every shape read and decided
    for number, resource in enumerate(directory.search(sort_by="userName").resources[:6]):
        resource = {k: v for k, v in resource.items() if k not in ("meta", ENTERPRISE)}
        resource["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User"]
        resource["nickName"] = "new" if number % 2 else None
        directory.replace(resource["id"], resource)
    for projection in PROJECTIONS:
        expected = json.loads(msgspec.json.encode(directory.search(sort_by="userName", **projection)))
        page = json.loads(directory.search_json(sort_by="userName", **projection))
        assert page == expected, projection
    assert json.loads(directory.search_json(sort_by="userName"))["Resources"][1]["nickName"] == "new"


def test_stored_documents_as_given():
    """NDJSON lines are stored as given: whitespace, escapes, repeated keys (the last value wins, at the
    first position, as in a Python dict), no ``schemas``, an extension missing from ``schemas``."""
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    lines = [
        b'{ "id" : "a", "userName":"A\\u00e9", "title": "t", "title": "second",'
        b' "meta": {"resourceType": "User", "created": "2020-01-01T00:00:00Z", "lastModified":'
        b' "2020-01-01T00:00:00Z", "version": "W/\\"1\\""}, "' + ENTERPRISE.encode() + b'": {"employeeNumber": "7"} }',
        b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "' + ENTERPRISE.encode() + b'"], "id": "b",'
        b' "userName": "b", "name" : { "givenName" : "n\\"null\\"", "givenName": "G", "familyName": "[{" },'
        b' "meta": {"resourceType": "User", "created": "2020-01-01T00:00:00Z",'
        b' "lastModified": "2020-01-01T00:00:00Z", "version": "W/\\"1\\""}}',
    ]
    directory = Directory(max_results=None)
    directory.load_ndjson(b"\n".join(lines))
    for projection in PROJECTIONS:
        expected = json.loads(msgspec.json.encode(directory.search(sort_by="userName", **projection)))
        assert json.loads(directory.search_json(sort_by="userName", **projection)) == expected, projection
    first = json.loads(directory.search_json(filter='id eq "a"'))["Resources"][0]
    assert list(first)[:4] == ["schemas", "id", "userName", "title"] and first["title"] == "second"


def test_members_copied_as_stored():
    """Members kept as stored are copied as stored, a run of neighbours at once (rust/crates/directory/src/
    page.rs): a dropped member (``password``, ``returned: never``) in the middle of a run, a ``null``, a
    repeated key far from its first place, whitespace around some commas, an escaped key; the JSON is still
    that of ``search``, and a compact resource that loses nothing comes out byte for byte as stored."""
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    meta = b'"meta":{"resourceType":"User","created":"2020-01-01T00:00:00Z","lastModified":"2020-01-01T00:00:00Z"}'
    compact = (
        b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"c","userName":"c","title":"t",' + meta + b"}"
    )
    lines = [
        compact,
        b'{"id":"d","userName":"d","password":"secret","title":"t","nickName":null,"displayName":"D",' + meta + b"}",
        b'{"id":"e" , "userName":"e","title":"first",\t"displayName":"E", "title":"last","us\\u0065rType":"x",'
        + meta
        + b"}",
    ]
    directory = Directory(max_results=None)
    directory.load_ndjson(b"\n".join(lines))
    for projection in PROJECTIONS:
        expected = json.loads(msgspec.json.encode(directory.search(sort_by="userName", **projection)))
        assert json.loads(directory.search_json(sort_by="userName", **projection)) == expected, projection
    page = directory.search_json(filter='id eq "c"')
    stored = msgspec.json.encode(directory.search(filter='id eq "c"').resources[0])  # (meta.version added)
    assert stored.startswith(compact[:-60]) and page.endswith(b'"Resources":[' + stored + b"]}")
    second = json.loads(directory.search_json(filter='id eq "d"'))["Resources"][0]
    assert list(second) == ["schemas", "id", "userName", "title", "displayName", "meta"]
    third = json.loads(directory.search_json(filter='id eq "e"'))["Resources"][0]
    assert third["title"] == "last" and list(third)[:5] == ["schemas", "id", "userName", "title", "displayName"]
