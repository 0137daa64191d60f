"""Lists over HTTP on every store (RFC 7644 §3.4.2-§3.4.3; RFC 9865; docs/semantics.md §Protocol "Lists",
"Root /.search", "Cursors")."""

from __future__ import annotations

from typing import Any

import pytest

import scimcore
from scimcore.service.cursors import CursorSigner

from .service_helpers import BASE, Client

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _users(client: Client, n: int) -> list[dict[str, Any]]:
    return [client.user(f"user{i:02d}", displayName=f"User {i:02d}") for i in range(n)]


def test_get_lists_with_every_query_parameter(client: Client) -> None:
    _users(client, 5)
    status, _, body = client.get(
        '/Users?filter=userName sw "user"&sortBy=userName&sortOrder=descending&startIndex=2&count=2&attributes=userName'
    )
    assert status == 200
    assert body["totalResults"] == 5 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert [r["userName"] for r in body["Resources"]] == ["user03", "user02"]
    assert all(set(r) == {"id", "schemas", "userName"} for r in body["Resources"])
    status, _, body = client.get("/Users?excludedAttributes=displayName,meta&count=1")
    assert set(body["Resources"][0]) == {"id", "schemas", "userName"}


def test_every_listed_resource_carries_its_location(client: Client) -> None:
    user = client.user("located")
    resource = client.get("/Users")[2]["Resources"][0]
    assert resource["meta"]["location"] == f"{BASE}/Users/{user['id']}"


def test_paging_corrections(service_factory: Any) -> None:
    client = Client(service_factory(max_results=3))
    _users(client, 5)
    body = client.get("/Users?count=100")[2]
    assert (body["itemsPerPage"], body["totalResults"]) == (3, 5)  # capped at max_results
    body = client.get("/Users?count=0")[2]
    assert body["totalResults"] == 5 and "Resources" not in body
    body = client.get("/Users?count=-4")[2]
    assert body["totalResults"] == 5 and "Resources" not in body
    body = client.get("/Users?startIndex=0&count=1")[2]
    assert body["startIndex"] == 1 and body["itemsPerPage"] == 1
    body = client.get("/Users?startIndex=99")[2]
    assert (body["totalResults"], body["Resources"]) == (5, [])
    assert client.get("/Users?startIndex=99999999999999999999999")[0] == 200
    for bad in ("count=two", "startIndex=1.5", "count="):
        status, _, body = client.get(f"/Users?{bad}")
        assert (status, body["scimType"]) == (400, "invalidValue"), bad


def test_filter_errors_are_400_invalid_filter(client: Client) -> None:
    for text in ("userName eq", "nope eq 1", "externalId eq jyoung", 'password eq "x"'):
        status, _, body = client.get(f"/Users?filter={text}")
        assert (status, body["scimType"]) == (400, "invalidFilter"), text


def test_entra_lookups(client: Client) -> None:
    """``filter=userName+eq+"..."`` and ``excludedAttributes=members`` with a spaced displayName (PEERS E11)."""
    user = client.user("entra@example.com")
    client.group("EDU All personal", user["id"])
    body = client.get('/Users?filter=userName+eq+"entra@example.com"')[2]
    assert [r["id"] for r in body["Resources"]] == [user["id"]]
    body = client.get('/Groups?excludedAttributes=members&filter=displayName+eq+"EDU All personal"')[2]
    assert body["totalResults"] == 1 and "members" not in body["Resources"][0]


def test_post_search_takes_a_search_request(client: Client) -> None:
    _users(client, 3)
    request = {"schemas": [SEARCH], "filter": 'userName ew "1"', "attributes": ["userName"], "count": 10}
    status, _, body = client.post("/Users/.search", request)
    assert status == 200
    assert [r["userName"] for r in body["Resources"]] == ["user01"]
    status, _, body = client.post("/Users/.search", {"schemas": [SEARCH], "filterz": "x"})
    assert (status, body["scimType"]) == (400, "invalidSyntax")


def test_root_search_spans_every_type(client: Client) -> None:
    alice = client.user("alice", displayName="Alice")
    group = client.group("Admins", alice["id"])
    body = client.post("/.search", {"schemas": [SEARCH], "filter": 'displayName sw "A"'})[2]
    assert body["totalResults"] == 2
    assert {r["id"] for r in body["Resources"]} == {alice["id"], group["id"]}
    assert {r["meta"]["location"] for r in body["Resources"]} == {
        f"{BASE}/Users/{alice['id']}",
        f"{BASE}/Groups/{group['id']}",
    }
    # userName is defined by User only: Groups match nothing, no error
    body = client.post("/.search", {"schemas": [SEARCH], "filter": 'userName eq "alice"'})[2]
    assert [r["id"] for r in body["Resources"]] == [alice["id"]]
    # defined by no type: invalidFilter
    status, _, body = client.post("/.search", {"schemas": [SEARCH], "filter": 'nothing eq "x"'})
    assert (status, body["scimType"]) == (400, "invalidFilter")


def test_root_search_pages_and_sorts_across_types(client: Client) -> None:
    client.user("u-b", displayName="B")
    client.user("u-d", displayName="D")
    client.group("A")
    client.group("C")
    request = {"schemas": [SEARCH], "sortBy": "displayName", "attributes": ["displayName"]}
    body = client.post("/.search", request)[2]
    assert [r["displayName"] for r in body["Resources"]] == ["A", "B", "C", "D"]
    body = client.post("/.search", {**request, "sortOrder": "descending", "startIndex": 2, "count": 2})[2]
    assert [r["displayName"] for r in body["Resources"]] == ["C", "B"]
    assert body["totalResults"] == 4
    body = client.post("/.search", {"schemas": [SEARCH], "startIndex": 2, "count": 2})[2]
    assert body["totalResults"] == 4 and body["itemsPerPage"] == 2
    # userName exists on users only: groups sort last ascending
    body = client.post("/.search", {"schemas": [SEARCH], "sortBy": "userName"})[2]
    assert [r.get("userName") for r in body["Resources"]] == ["u-b", "u-d", None, None]


def _walk(client: Client, query: str, pages: list[int] | None = None) -> list[str]:
    seen: list[str] = []
    cursor = ""
    for _ in range(100):
        status, _, body = client.get(f"/Users?cursor={cursor}&{query}")
        assert status == 200, body
        assert "startIndex" not in body
        seen.extend(r["id"] for r in body["Resources"])
        if pages is not None:
            pages.append(len(body["Resources"]))
        if "nextCursor" not in body:
            return seen
        cursor = body["nextCursor"]
    raise AssertionError("the walk did not end")


def test_a_cursor_walk_returns_every_resource_once(client: Client) -> None:
    users = _users(client, 7)
    pages: list[int] = []
    seen = _walk(client, "count=3", pages)
    assert sorted(seen) == sorted(u["id"] for u in users)
    assert pages == [3, 3, 1]
    body = client.get("/Users?cursor=&count=3")[2]
    assert body["totalResults"] == 7


def test_a_cursor_walk_sees_survivors_exactly_once_whatever_is_written(client: Client) -> None:
    users = _users(client, 9)
    survivors = {u["id"] for u in users[::2]}
    doomed = [u for u in users if u["id"] not in survivors]
    seen: list[str] = []
    cursor = ""
    step = 0
    while True:
        body = client.get(f"/Users?cursor={cursor}&count=2")[2]
        seen.extend(r["id"] for r in body["Resources"])
        # meanwhile: deletes, creates and updates
        if step < len(doomed):
            client.delete(f"/Users/{doomed[step]['id']}")
        client.user(f"new{step}")
        for survivor in list(survivors)[:2]:
            client.patch(
                f"/Users/{survivor}",
                {"Operations": [{"op": "replace", "path": "title", "value": f"t{step}"}]},
            )
        step += 1
        if "nextCursor" not in body:
            break
        cursor = body["nextCursor"]
    assert len(seen) == len(set(seen))
    assert survivors <= set(seen)


def test_cursors_are_tamper_proof_and_bound_to_their_query(client: Client) -> None:
    _users(client, 4)
    cursor = client.get('/Users?cursor=&count=2&filter=userName sw "user"')[2]["nextCursor"]
    assert client.get(f'/Users?cursor={cursor}&count=2&filter=userName sw "user"')[0] == 200
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in (forged, "garbage", "a.b", cursor + "x"):
        status, _, body = client.get(f'/Users?cursor={bad}&filter=userName sw "user"')
        assert (status, body["scimType"]) == (400, "invalidCursor"), bad
    status, _, body = client.get(f'/Users?cursor={cursor}&filter=userName sw "u"')
    assert (status, body["scimType"]) == (400, "invalidCursor")
    other = Client(scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE))
    status, _, body = other.get(f'/Users?cursor={cursor}&filter=userName sw "user"')
    assert (status, body["scimType"]) == (400, "invalidCursor")


def test_expired_cursors_are_refused() -> None:
    now = [1000.0]
    signer = CursorSigner(b"0123456789abcdef", timeout=60, clock=lambda: now[0])
    digest = signer.digest("User", None)
    cursor = signer.issue(digest, "some-id")
    assert signer.last_id(cursor, digest) == "some-id"
    now[0] += 61
    with pytest.raises(scimcore.ScimError) as caught:
        signer.last_id(cursor, digest)
    assert (caught.value.status, caught.value.scim_type) == (400, "expiredCursor")


def test_cursor_with_start_index_or_a_sort_is_invalid_value(client: Client) -> None:
    for query in ("cursor=&startIndex=1", "cursor=&sortBy=userName", "cursor=&sortOrder=descending"):
        status, _, body = client.get(f"/Users?{query}")
        assert (status, body["scimType"]) == (400, "invalidValue"), query


def test_cursor_in_a_search_request(client: Client) -> None:
    users = _users(client, 3)
    body = client.post("/Users/.search", {"schemas": [SEARCH], "cursor": "", "count": 2})[2]
    assert len(body["Resources"]) == 2
    rest = client.post("/Users/.search", {"schemas": [SEARCH], "cursor": body["nextCursor"], "count": 2})[2]
    assert "nextCursor" not in rest
    assert {r["id"] for r in body["Resources"] + rest["Resources"]} == {u["id"] for u in users}


def test_root_search_takes_no_cursor_and_projects(client: Client) -> None:
    client.user("projected", title="T")
    status, _, body = client.post("/.search", {"schemas": [SEARCH], "cursor": ""})
    assert (status, body["scimType"]) == (400, "invalidValue")
    body = client.post("/.search", {"schemas": [SEARCH], "attributes": ["title"]})[2]
    assert [set(r) for r in body["Resources"]] == [{"id", "schemas", "title"}]
