"""Lists over a native ``Directory`` leave as the JSON the store builds (``Directory.search_json``): the same
documents, once parsed, as the pages built from dicts over the pure-Python store (RFC 7644 §3.4.2, §3.4.3;
docs/semantics.md §Protocol "Lists", §Query)."""

from __future__ import annotations

from typing import Any

import pytest

import scimcore
from scimcore.store.native import native_module

from .service_helpers import BASE, Client

pytestmark = pytest.mark.skipif(native_module() is None, reason="scimcore._native is not built")

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _users() -> list[dict[str, Any]]:
    """Users with a password, the enterprise extension on some, multi-valued and complex attributes, and
    ``meta.location`` of another base URL than the service's (the service writes its own)."""
    out = []
    for i in range(12):
        user: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": f"id-{i:02d}",
            "userName": f"User{i:02d}",
            "password": f"secret-{i}",
            "name": {"givenName": f"Given{i}", "familyName": ["Smith", "Jones", "Brown"][i % 3]},
            "emails": [{"value": f"u{i}@example.com", "type": "work", "primary": True}, {"value": f"h{i}@home.org"}],
            "active": i % 2 == 0,
            "meta": {
                "resourceType": "User",
                "created": f"2020-01-{i + 1:02d}T00:00:00Z",
                "lastModified": f"2021-01-{i + 1:02d}T00:00:00Z",
                "version": f'W/"{i:016x}"',
                "location": f"https://elsewhere.example/Users/id-{i:02d}",
            },
        }
        if i % 3 == 0:
            user["schemas"].append(ENTERPRISE)
            user[ENTERPRISE] = {"employeeNumber": str(1000 + i), "manager": {"value": "id-00", "displayName": "M"}}
        if i == 5:
            del user["meta"]["location"]  # written by the service even when the store has none
        out.append(user)
    return out


def _clients() -> tuple[Client, Client, scimcore.Directory]:
    native = scimcore.Directory("User")
    python = scimcore.Directory("User", backend="python")
    for store in (native, python):
        store.load(_users(), complete_meta=False)
    assert native.pages_natively and not python.pages_natively
    return (
        Client(scimcore.Service({"User": native}, base_url=BASE)),
        Client(scimcore.Service({"User": python}, base_url=BASE)),
        native,
    )


QUERIES = [
    "",
    "?count=5",
    '?filter=name.familyName eq "smith"&sortBy=userName&sortOrder=descending',
    "?sortBy=meta.created&startIndex=3&count=4",
    "?attributes=userName,emails.value",
    "?attributes=password,userName",
    "?attributes=meta.location",
    "?attributes=meta.created",
    "?excludedAttributes=meta",
    "?excludedAttributes=meta.location,emails",
    "?excludedAttributes=name.givenName,id",
    f"?attributes={ENTERPRISE}:employeeNumber",
    f"?excludedAttributes={ENTERPRISE}",
    f"?attributes={ENTERPRISE}:manager.displayName,displayName",
    '?filter=emails[type eq "work" and value ew "@example.com"]&attributes=emails&sortBy=emails.value',
    '?filter=userName sw "nobody"',
    "?startIndex=50",
]


@pytest.mark.parametrize("query", QUERIES)
def test_get_over_the_native_store_equals_the_dict_page(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    native, python, store = _clients()
    # the native service must not build the page from dicts
    monkeypatch.setattr(store, "search", _refuse)
    got, expected = native.get(f"/Users{query}"), python.get(f"/Users{query}")
    assert got[0] == expected[0] == 200
    assert got[2] == expected[2]
    assert "secret-" not in str(got[2])
    for resource in got[2].get("Resources", []):
        if "meta" in resource:
            assert resource["meta"]["location"] == f"{BASE}/Users/{resource['id']}"


@pytest.mark.parametrize("query", QUERIES[:8])
def test_post_search_over_the_native_store_equals_the_dict_page(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    native, python, store = _clients()
    monkeypatch.setattr(store, "search", _refuse)
    body: dict[str, Any] = {"schemas": [SEARCH]}
    for pair in query.lstrip("?").split("&") if query else []:
        name, _, value = pair.partition("=")
        body[name] = (
            int(value) if name in ("count", "startIndex") else value.split(",") if "ttributes" in name else value
        )
    got, expected = native.post("/Users/.search", body), python.post("/Users/.search", body)
    assert got[0] == expected[0] == 200
    assert got[2] == expected[2]
    assert "secret-" not in str(got[2])


def test_count_zero_and_errors_are_those_of_the_dict_path() -> None:
    native, python, _ = _clients()
    for query in ("?count=0", '?filter=userName eq "User01"&count=0', "?filter=bogus eq", "?sortBy=nope"):
        assert native.get(f"/Users{query}") == python.get(f"/Users{query}"), query


def _refuse(**_: Any) -> Any:
    raise AssertionError("the native service built a page from Python objects")
