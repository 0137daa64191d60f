"""``Directory.prepare``: the scan columns a server filters and sorts on are built up front and reported."""

from __future__ import annotations

import msgspec
import pytest

from scimcore import Directory
from scimcore.demo import generate_users
from scimcore.store.native import native_module

FILTERS = ['name.familyName sw "s"', 'emails[type eq "work"]', 'meta.created ge "2015-01-01T00:00:00Z"']


def test_prepare_builds_and_reports_the_columns():
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    users = generate_users(300, seed=1)
    directory = Directory(max_results=None)
    directory.load(users)
    expected = [msgspec.json.encode(directory.search(filter=f, sort_by="userName")) for f in FILTERS]
    fresh = Directory(max_results=None)
    fresh.load(users)
    empty = fresh.memory_bytes()
    report = fresh.prepare(FILTERS, sort_by=["userName"])
    assert list(report) == [*FILTERS, "sortBy=userName"]
    assert all(size > 0 for size in report.values()), report
    prepared = fresh.memory_bytes()
    assert empty is not None and prepared is not None and prepared > empty
    assert [msgspec.json.encode(fresh.search(filter=f, sort_by="userName")) for f in FILTERS] == expected
    # the searches found their columns built: only the bitmap of a scan's matches is new, kept for the next
    # scan (a bit a resource, in 64-bit words)
    assert fresh.memory_bytes() == prepared + 8 * -(-len(users) // 64)


def test_prepare_on_the_python_store_builds_nothing():
    directory = Directory(backend="python")
    assert directory.prepare(FILTERS, sort_by=["userName"]) == {}


def test_prepare_on_a_group_directory_builds_the_documents_columns():
    if native_module() is None:
        pytest.skip("scimcore._native is not built")
    groups = Directory("Group", max_results=None)
    for name in ("Admins", "Auditors", "Builders"):
        groups.add({"displayName": name, "members": [{"value": f"user-{name}"}]})
    expected = msgspec.json.encode(groups.search(filter='displayName sw "a"', sort_by="displayName"))
    report = groups.prepare(['displayName sw "a"', 'members.value eq "user-Admins"'], sort_by=["displayName"])
    assert list(report) == ['displayName sw "a"', 'members.value eq "user-Admins"', "sortBy=displayName"]
    assert report['displayName sw "a"'] > 0
    assert msgspec.json.encode(groups.search(filter='displayName sw "a"', sort_by="displayName")) == expected
    assert groups.search(filter='members.value eq "user-Admins"').total_results == 1
