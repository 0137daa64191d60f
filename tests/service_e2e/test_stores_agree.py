"""The service answers alike over every store: the same queries give the same pages (RFC 7644 §3.4.2;
docs/semantics.md §Query, §Stores). Resources are created through the service, then each query's totalResults,
order (where the query sorts) and projected attribute names are compared across memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from .conftest import Storage, call, make_service, pg_dsn

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PEOPLE = [
    {
        "userName": "alice",
        "title": "Boss",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "active": True,
        "emails": [{"value": "alice@example.com", "type": "work"}],
    },
    {
        "userName": "Bob",
        "title": "Builder",
        "name": {"givenName": "Bob", "familyName": "Jones"},
        "active": False,
        "emails": [{"value": "bob@home.example", "type": "home"}],
    },
    {
        "userName": "carol",
        "name": {"givenName": "Carol", "familyName": "Smith"},
        "active": True,
        "emails": [{"value": "carol@example.com", "type": "work"}, {"value": "c@home.example", "type": "home"}],
    },
    {"userName": "dave", "title": "Admin", "name": {"familyName": "Brown"}, "active": True},
    {"userName": "erin", "title": "Cook", "name": {"givenName": "Erin", "familyName": "Stone"}},
]
QUERIES = [
    ("/Users?sortBy=userName", True),
    ("/Users?sortBy=userName&sortOrder=descending", True),
    ("/Users?sortBy=title", True),
    ("/Users?sortBy=userName&startIndex=2&count=2", True),
    ('/Users?filter=userName sw "a"', False),
    ('/Users?filter=userName eq "ALICE"', False),
    ("/Users?filter=title pr&sortBy=title&sortOrder=descending", True),
    ('/Users?filter=emails[type eq "work" and value co "example"]', False),
    ('/Users?filter=name.familyName eq "Smith" or active eq false', False),
    ('/Users?filter=not (userName eq "bob")', False),
    ('/Users?filter=meta.created gt "2000-01-01T00:00:00Z"', False),
    ('/Users?filter=emails.value ew ".example" and not (title pr)', False),
    ("/Users?attributes=userName,emails.value&sortBy=userName", True),
    ("/Users?excludedAttributes=emails,name&sortBy=userName", True),
    ("/Users?count=0", False),
]


def _answers(storage: Storage) -> list[Any]:
    service = make_service(storage)
    for person in PEOPLE:
        assert call(service, "POST", "/Users", {"schemas": [USER], **person}).status == 201
    answers = []
    for target, ordered in QUERIES:
        reply = call(service, "GET", target)
        assert reply.status == 200, (target, reply.body)
        page = reply.json()
        resources = page.get("Resources", [])
        names = [r.get("userName") for r in resources]
        shapes = sorted(tuple(sorted(r)) for r in resources)
        answers.append((target, page["totalResults"], names if ordered else sorted(names), shapes))
    return answers


def test_every_store_answers_alike(tmp_path) -> None:
    kinds = ["memory", "sqlite"]
    if os.environ.get("SCIMCORE_PG_DSN") or os.environ.get("CI"):
        pg_dsn()
        kinds.append("postgresql")
    results = {}
    for kind in kinds:
        storage = Storage(kind, tmp_path / kind)
        (tmp_path / kind).mkdir()
        try:
            results[kind] = _answers(storage)
        finally:
            storage.close()
    reference = results["memory"]
    assert reference[0][2] == ["alice", "Bob", "carol", "dave", "erin"]
    for kind, answers in results.items():
        for expected, actual in zip(reference, answers, strict=True):
            assert actual == expected, (kind, expected[0])


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        ("ascending", ["alice", "Bob", "carol", "erin", "dave"]),
        ("descending", ["dave", "erin", "carol", "Bob", "alice"]),
    ],
)
def test_missing_sort_values_sort_last_ascending_first_descending(storage, sort_order: str, expected) -> None:
    """RFC 7644 §3.4.2.3; docs/semantics.md §Query (dave has no givenName)."""
    service = make_service(storage)
    for person in PEOPLE:
        call(service, "POST", "/Users", {"schemas": [USER], **person})
    page = call(service, "GET", f"/Users?sortBy=name.givenName&sortOrder={sort_order}").json()
    assert [r["userName"] for r in page["Resources"]] == expected
