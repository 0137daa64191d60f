"""``Directory.load_ndjson`` (docs/directory.md, "Load"): the native store cuts and parses the lines itself; both
backends store the same resources, refuse the same input with the line number, and load all or nothing."""

from __future__ import annotations

import os

import msgspec
import pytest

import scimcore
from scimcore import Directory
from scimcore.demo import generate_users
from scimcore.store.native import native_module


@pytest.fixture(params=["native", "python"])
def backend(request):
    if request.param == "native" and native_module() is None:
        if os.environ.get("CI"):
            pytest.fail("the native directory (scimcore._native.DirectoryStore) is not built")
        pytest.skip("scimcore._native is not built here")
    return request.param


def _line(resource: dict) -> bytes:
    return msgspec.json.encode(resource)


def test_line_ends_and_blank_lines_like_splitlines(backend):
    users = generate_users(6, seed=11)
    a, b, c, d, e, f = (_line(u) for u in users)
    data = a + b"\r\n" + b + b"\r" + c + b"\n \t\x0b\x0c\n" + d + b"\n\n" + b"  " + e + b"  \n" + f
    directory = Directory(backend=backend)
    assert directory.load_ndjson(data) == 6
    assert [r["id"] for r in directory.search(count=10).resources] == [u["id"] for u in users]
    assert directory.get(users[4]["id"]) == users[4]


def test_incomplete_lines_are_completed_in_order(backend):
    users = generate_users(5, seed=12)
    bare = {k: v for k, v in users[1].items() if k not in ("id", "meta")}
    no_version = {**users[3], "meta": {k: v for k, v in users[3]["meta"].items() if k != "version"}}
    lines = [_line(users[0]), _line(bare), _line(users[2]), _line(no_version), _line(users[4])]
    directory = Directory(backend=backend)
    assert directory.load_ndjson(b"\n".join(lines)) == 5
    stored = directory.search(count=10).resources
    assert [r["userName"] for r in stored] == [u["userName"] for u in users]
    assert stored[1]["id"] not in {u["id"] for u in users} and stored[1]["meta"]["resourceType"] == "User"
    assert stored[3]["id"] == users[3]["id"] and stored[3]["meta"]["version"].startswith('W/"')
    exact = Directory(backend=backend)
    assert exact.load_ndjson(b"\n".join(lines[2:]), complete_meta=False) == 3
    assert exact.get(users[3]["id"])["meta"] == no_version["meta"]  # stored as given


@pytest.mark.parametrize(
    "bad",
    [b'{"userName": ', b"[1, 2]", b'{"id": "x", "userName": "a"} trailing', b'"text"'],
)
def test_bad_line_names_its_number_and_nothing_is_loaded(backend, bad):
    users = generate_users(3, seed=13)
    data = _line(users[0]) + b"\n\n" + _line(users[1]) + b"\n" + bad + b"\n" + _line(users[2])
    directory = Directory(backend=backend)
    with pytest.raises(scimcore.ScimError) as raised:
        directory.load_ndjson(data)
    assert raised.value.detail.startswith("line 4: "), raised.value.detail
    assert raised.value.status == 400
    assert len(directory) == 0


def test_duplicates_refuse_the_whole_import(backend):
    users = generate_users(3, seed=14)
    twin = {**users[2], "id": "another", "userName": users[0]["userName"].upper()}
    directory = Directory(backend=backend)
    with pytest.raises(scimcore.Uniqueness) as raised:
        directory.load_ndjson(b"\n".join(_line(u) for u in [*users, twin]))
    assert users[0]["userName"].casefold() in raised.value.detail.casefold()
    assert len(directory) == 0
    with pytest.raises(scimcore.Uniqueness):
        directory.load_ndjson(b"\n".join(_line(u) for u in [users[0], users[0]]))
    assert len(directory) == 0


def test_large_import_is_split_over_threads_in_order(backend):
    """Above a megabyte the native store parses parts of the document on several threads: order, line numbers
    and the all-or-nothing rule are kept across the parts."""
    users = generate_users(3000, seed=15)
    lines = [_line(u) for u in users]
    directory = Directory(backend=backend, max_results=None)
    assert directory.load_ndjson(b"\r\n".join(lines)) == 3000
    page = directory.search(sort_by=None, count=3000).resources
    assert [r["id"] for r in page] == [u["id"] for u in users]
    broken = [*lines[:2500], b"{not json", *lines[2500:]]
    fresh = Directory(backend=backend)
    with pytest.raises(scimcore.ScimError) as raised:
        fresh.load_ndjson(b"\n".join(broken))
    assert raised.value.detail.startswith("line 2501: ")
    assert len(fresh) == 0


def test_groups_index_sees_imported_groups(backend):
    users = generate_users(3, seed=16)
    users[1] = {**users[1], "groups": [{"value": "g1", "display": "Admins"}]}
    directory = Directory(backend=backend)
    directory.load_ndjson(b"\n".join(_line(u) for u in users))
    found = directory.search(filter='groups.display eq "admins"').resources
    assert [r["id"] for r in found] == [users[1]["id"]]


def test_a_late_duplicate_in_a_large_import_refuses_all_of_it(backend):
    """A batch this large fills the native id map and indexes on several threads, checking uniqueness as they are
    filled: a duplicate at its end still refuses the whole import and leaves the indexes as they were."""

    def line(key: str, name: str) -> bytes:
        return b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"%s","userName":"%s"}' % (
            key.encode(),
            name.encode(),
        )

    directory = Directory(backend=backend, max_results=None)
    assert directory.load_ndjson(b"\n".join(line(f"a{i}", f"first{i}") for i in range(50)), complete_meta=False) == 50
    batch = [line(f"u{i}", f"user{i}") for i in range(20_000)]
    for last, taken in [(line("u5", "fresh"), "u5"), (line("x", "USER7"), "user7"), (line("a3", "fresh"), "a3")]:
        with pytest.raises(scimcore.Uniqueness) as raised:
            directory.load_ndjson(b"\n".join([*batch, last]), complete_meta=False)
        assert taken in raised.value.detail.casefold(), raised.value.detail
        assert len(directory) == 50
        with pytest.raises(scimcore.NotFound):
            directory.get("u1")
        assert directory.search(filter='userName eq "user1"').total_results == 0
        assert [r["id"] for r in directory.search(filter='userName eq "FIRST3"').resources] == ["a3"]
    assert directory.load_ndjson(b"\n".join(batch), complete_meta=False) == 20_000
    assert [r["id"] for r in directory.search(filter='userName eq "User19999"').resources] == ["u19999"]
    assert directory.get("a3")["userName"] == "first3"
