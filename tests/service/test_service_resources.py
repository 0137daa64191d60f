"""Resources over HTTP on every store (RFC 7644 §3.3-§3.6, §3.9, §3.14; docs/semantics.md §Protocol)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from .service_helpers import BASE, Client, patch_op


def test_post_assigns_id_and_meta_and_answers_201_with_location_and_etag(client: Client) -> None:
    status, headers, body = client.post(
        "/Users",
        {
            "id": "client-chosen",
            "userName": "bjensen",
            "meta": {"created": "2000-01-01T00:00:00Z", "version": 'W/"mine"'},
            "groups": [{"value": "g1"}],
        },
    )
    assert status == 201
    assert body["id"] != "client-chosen"
    assert "groups" not in body
    meta = body["meta"]
    assert meta["resourceType"] == "User"
    assert meta["created"] == meta["lastModified"] != "2000-01-01T00:00:00Z"
    assert meta["version"].startswith('W/"') and meta["version"] != 'W/"mine"'
    assert meta["location"] == f"{BASE}/Users/{body['id']}" == headers["location"]
    assert headers["etag"] == meta["version"]


def test_get_by_id_with_etag_if_none_match_and_if_match(client: Client) -> None:
    user = client.user("etag")
    target = f"/Users/{user['id']}"
    status, headers, body = client.get(target)
    assert status == 200 and body == user
    etag = headers["etag"]
    status, headers, body = client.get(target, headers={"If-None-Match": etag})
    assert (status, body, headers["etag"]) == (304, None, etag)
    assert client.get(target, headers={"If-None-Match": 'W/"other"'})[0] == 200
    assert client.get(target, headers={"If-None-Match": f'"x", {etag}'})[0] == 304
    status, _, body = client.get(target, headers={"If-Match": 'W/"other"'})
    assert status == 412 and "scimType" not in body


def test_put_replaces_clears_what_it_omits_and_keeps_read_only(client: Client) -> None:
    user = client.user("putter", displayName="Put", title="Boss")
    target = f"/Users/{user['id']}"
    status, headers, body = client.put(
        target, {"id": user["id"], "userName": "putter", "nickName": "P", "meta": {"created": "1999-01-01T00:00:00Z"}}
    )
    assert status == 200, body
    assert "displayName" not in body and "title" not in body
    assert body["nickName"] == "P"
    assert body["meta"]["created"] == user["meta"]["created"]
    assert body["meta"]["version"] != user["meta"]["version"]
    assert headers["etag"] == body["meta"]["version"]
    assert client.get(target)[2] == body


def test_put_never_creates(client: Client) -> None:
    assert client.put("/Users/no-such-id", {"userName": "ghost"})[0] == 404


def test_if_match_on_writes_412_when_stale_and_star_matches(client: Client) -> None:
    user = client.user("matcher")
    target = f"/Users/{user['id']}"
    old = user["meta"]["version"]
    status, headers, _ = client.put(target, {"userName": "matcher", "title": "1"}, headers={"If-Match": old})
    assert status == 200
    new = headers["etag"]
    status, _, body = client.put(target, {"userName": "matcher", "title": "2"}, headers={"If-Match": old})
    assert status == 412 and "scimType" not in body
    op = patch_op({"op": "replace", "path": "title", "value": "3"})
    assert client.patch(target, op, headers={"If-Match": old})[0] == 412
    assert client.patch(target, op, headers={"If-Match": f"{old}, {new}"})[0] == 200
    assert client.patch(target, op, headers={"If-Match": "*"})[0] == 200
    assert client.delete(target, headers={"If-Match": old})[0] == 412
    assert client.get(target)[2]["title"] == "3"


def test_patch_user_answers_200_with_the_resource(client: Client) -> None:
    user = client.user("patched")
    status, headers, body = client.patch(
        f"/Users/{user['id']}", patch_op({"op": "Replace", "path": "active", "value": "False"})
    )
    assert status == 200, body
    assert body["active"] is False
    assert headers["etag"] == body["meta"]["version"] != user["meta"]["version"]


def test_patch_that_changes_nothing_keeps_the_version(client: Client) -> None:
    user = client.user("same", title="T")
    _, headers, _ = client.patch(f"/Users/{user['id']}", patch_op({"op": "replace", "path": "title", "value": "T"}))
    assert headers["etag"] == user["meta"]["version"]


def test_patch_group_answers_204_unless_a_projection_is_asked(client: Client) -> None:
    user = client.user("member")
    group = client.group("team")
    op = patch_op({"op": "add", "path": "members", "value": [{"value": user["id"]}]})
    status, headers, body = client.patch(f"/Groups/{group['id']}", op)
    assert (status, body) == (204, None)
    assert headers["etag"] == client.get(f"/Groups/{group['id']}")[1]["etag"]
    rename = patch_op({"op": "replace", "path": "displayName", "value": "crew"})
    status, _, body = client.patch(f"/Groups/{group['id']}?excludedAttributes=members", rename)
    assert status == 200 and body["displayName"] == "crew" and "members" not in body


def test_delete_answers_204_and_the_id_is_gone_everywhere(client: Client) -> None:
    user = client.user("leaver")
    target = f"/Users/{user['id']}"
    status, _, body = client.delete(target)
    assert (status, body) == (204, None)
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        payload = None if method in ("GET", "DELETE") else patch_op({"op": "add", "path": "title", "value": "x"})
        if method == "PUT":
            payload = {"userName": "leaver"}
        assert client.call(method, target, payload)[0] == 404, method
    assert client.get('/Users?filter=userName eq "leaver"')[2]["totalResults"] == 0
    assert client.user("leaver")["userName"] == "leaver"  # the userName is free again


def test_projection_applies_to_every_response_that_carries_a_resource(client: Client) -> None:
    status, _, body = client.post("/Users?attributes=userName", {"userName": "proj", "title": "T"})
    assert status == 201 and set(body) == {"id", "schemas", "userName"}
    target = f"/Users/{body['id']}"
    assert set(client.get(f"{target}?excludedAttributes=title,meta")[2]) == {"id", "schemas", "userName"}
    status, _, body = client.put(f"{target}?attributes=title", {"userName": "proj", "title": "U"})
    assert set(body) == {"id", "schemas", "title"}
    op = patch_op({"op": "replace", "path": "title", "value": "V"})
    assert client.patch(f"{target}?attributes=title", op)[2] == {
        "id": body["id"],
        "schemas": body["schemas"],
        "title": "V",
    }


def test_secrets_are_never_returned(client: Client) -> None:
    status, _, user = client.post("/Users", {"userName": "secret", "password": "hunter2"})
    assert status == 201 and "password" not in user
    target = f"/Users/{user['id']}"
    assert "password" not in client.get(f"{target}?attributes=password")[2]
    assert "password" not in client.put(target, {"userName": "secret", "password": "x"})[2]
    op = patch_op({"op": "replace", "path": "password", "value": "y"})
    assert "password" not in client.patch(target, op)[2]
    assert "password" not in client.get("/Users?attributes=password")[2]["Resources"][0]


def test_uniqueness_is_409(client: Client) -> None:
    client.user("unique")
    status, _, body = client.post("/Users", {"userName": "UNIQUE"})
    assert (status, body["scimType"]) == (409, "uniqueness")


def test_invalid_resources_are_400(client: Client) -> None:
    status, _, body = client.post("/Users", {"userName": "x", "active": "maybe"})
    assert (status, body["scimType"]) == (400, "invalidValue")
    status, _, body = client.post("/Users", {"displayName": "no user name"})
    assert (status, body["scimType"]) == (400, "invalidValue")
    user = client.user("immutable-check")
    status, _, body = client.patch(f"/Users/{user['id']}", patch_op({"op": "replace", "path": "id", "value": "x"}))
    assert (status, body["scimType"]) == (400, "mutability")


def test_entra_and_okta_writes_are_tolerated(client: Client) -> None:
    """Capitalised names and string booleans from Entra, Okta's PUT echoing id/groups/meta (PEERS §8.1, §8.2)."""
    status, _, user = client.post("/Users", {"UserName": "okta@example.com", "Active": "True", "groups": []})
    assert status == 201, user
    assert user["userName"] == "okta@example.com" and user["active"] is True
    status, _, body = client.put(
        f"/Users/{user['id']}",
        {"id": user["id"], "userName": "okta@example.com", "active": False, "groups": [], "meta": user["meta"]},
    )
    assert status == 200, body
    assert body["active"] is False
    op = patch_op({"op": "replace", "value": {"active": True}})
    assert client.patch(f"/Users/{user['id']}", op)[2]["active"] is True


@pytest.mark.parametrize("threads", [4])
def test_concurrent_if_match_retries_lose_no_update(client: Client, threads: int) -> None:
    user = client.user("counter", nickName="0")
    target = f"/Users/{user['id']}"
    rounds = 5

    def work() -> None:
        for _ in range(rounds):
            for _attempt in range(500):
                _, headers, body = client.get(target)
                value = str(int(body["nickName"]) + 1)
                op = patch_op({"op": "replace", "path": "nickName", "value": value})
                status = client.patch(target, op, headers={"If-Match": headers["etag"]})[0]
                assert status in (200, 412)
                if status == 200:
                    break

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert client.get(target)[2]["nickName"] == str(threads * rounds)


def test_schemas_inside_an_extension_value_is_ignored_by_default(client: Client) -> None:
    """scim2-tester sends ``schemas`` inside the enterprise object: ignored under ``ignore_read_only_echo``."""
    user = client.user("extended")
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    for op in ("add", "replace"):
        body = patch_op({"op": op, "path": urn, "value": {"schemas": [urn], "employeeNumber": f"4{op}"}})
        status, _, patched = client.patch(f"/Users/{user['id']}", body)
        assert status == 200, patched
        assert patched[urn] == {"employeeNumber": f"4{op}"}


def test_reads_drop_nulls_and_secrets_of_imported_data(make_store: Any) -> None:
    """The store front's fast path for reads leaves to the projection whatever it would change."""
    import scimcore

    store = make_store("User")
    store.load(
        [
            {
                "id": "imported",
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "imported",
                "title": None,
                "emails": [{"value": "x@example.com", "type": None}, {"type": None}],
                "password": "secret",
            }
        ]
    )
    client = Client(scimcore.Service({"User": store}, base_url=BASE))
    body = client.get("/Users/imported")[2]
    assert "title" not in body and "password" not in body
    assert body["emails"] == [{"value": "x@example.com"}]
    plain = client.get(f"/Users/{client.user('plain', title='T')['id']}")[2]
    assert plain["title"] == "T" and plain["meta"]["location"].endswith(plain["id"])
