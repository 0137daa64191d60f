"""The protocol decisions of docs/semantics.md §Protocol, case by case, on every store (RFC 7644 §3).

Each test states one decision and checks it through ``Service.handle`` over the in-memory ``Directory``, SQLite
and PostgreSQL (the ``storage`` fixture).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

import scimcore

from .conftest import BASE_URL, Reply, assert_scim_error, call, make_service

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def create_user(service: Any, user_name: str, **attributes: Any) -> dict[str, Any]:
    reply = call(service, "POST", "/Users", {"schemas": [USER], "userName": user_name, **attributes})
    assert reply.status == 201, reply.body
    return reply.json()


def create_group(service: Any, name: str, members: Sequence[str] = ()) -> dict[str, Any]:
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}
    reply = call(service, "POST", "/Groups", body)
    assert reply.status == 201, reply.body
    return reply.json()


def patch(service: Any, target: str, *operations: dict[str, Any], headers=()) -> Reply:
    return call(service, "PATCH", target, {"schemas": [PATCH_OP], "Operations": list(operations)}, headers)


def list_ids(service: Any, target: str) -> list[str]:
    reply = call(service, "GET", target)
    assert reply.status == 200, reply.body
    return [resource["id"] for resource in reply.json().get("Resources", [])]


# -- create -------------------------------------------------------------------------------------------------


def test_create_assigns_id_and_meta_and_ignores_the_clients(service) -> None:
    sent_meta = {"resourceType": "Group", "created": "2001-01-01T00:00:00Z", "version": 'W/"client"'}
    reply = call(
        service,
        "POST",
        "/Users",
        {"schemas": [USER], "id": "chosen-by-client", "userName": "ada", "meta": sent_meta, "groups": [{"value": "g"}]},
    )
    assert reply.status == 201, reply.body
    user = reply.json()
    assert user["id"] not in ("", "chosen-by-client")
    meta = user["meta"]
    assert meta["resourceType"] == "User"
    assert meta["created"] == meta["lastModified"] != "2001-01-01T00:00:00Z"
    assert meta["version"].startswith('W/"') and meta["version"] != 'W/"client"'
    assert meta["location"] == f"{BASE_URL}/Users/{user['id']}"
    assert reply.header("Location") == meta["location"]
    assert reply.header("ETag") == meta["version"]
    assert (reply.header("Content-Type") or "").startswith("application/scim+json")
    assert user.get("groups", []) == []
    assert call(service, "GET", "/Users/chosen-by-client").status == 404


def test_projection_applies_to_writes(service) -> None:
    reply = call(service, "POST", "/Users?attributes=userName", {"schemas": [USER], "userName": "ada", "title": "Dr"})
    assert reply.status == 201, reply.body
    assert "title" not in reply.json() and reply.json()["userName"] == "ada" and reply.json()["id"]
    uid = reply.json()["id"]
    reply = call(
        service,
        "PUT",
        f"/Users/{uid}?excludedAttributes=title",
        {"schemas": [USER], "userName": "ada", "title": "Prof"},
    )
    assert reply.status == 200 and "title" not in reply.json()
    reply = patch(service, f"/Users/{uid}?attributes=title", {"op": "replace", "path": "title", "value": "Sir"})
    if reply.status == 200:
        assert reply.json()["title"] == "Sir" and "userName" not in reply.json()
    else:
        assert reply.status == 204
    assert call(service, "GET", f"/Users/{uid}").json()["title"] == "Sir"


# -- secrets ------------------------------------------------------------------------------------------------


def test_secrets_are_never_returned(service) -> None:
    reply = call(service, "POST", "/Users", {"schemas": [USER], "userName": "ada", "password": "hunter2-hunter2"})
    assert reply.status == 201 and "password" not in reply.json()
    uid = reply.json()["id"]
    replies = [
        call(service, "GET", f"/Users/{uid}"),
        call(service, "GET", f"/Users/{uid}?attributes=password"),
        call(service, "GET", "/Users"),
        call(service, "GET", "/Users?attributes=password,userName"),
        call(service, "POST", "/Users/.search", {"schemas": [SEARCH], "attributes": ["password"]}),
        call(service, "POST", "/.search", {"schemas": [SEARCH], "filter": 'userName eq "ada"'}),
        call(service, "PUT", f"/Users/{uid}", {"schemas": [USER], "userName": "ada", "password": "s3cond-s3cond"}),
        patch(service, f"/Users/{uid}?attributes=password", {"op": "replace", "path": "password", "value": "thrice-3"}),
        bulk(
            service,
            [
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": "b",
                    "data": {"schemas": [USER], "userName": "bo", "password": "hunter2-bulk"},
                },
                {
                    "method": "PUT",
                    "path": f"/Users/{uid}",
                    "data": {"schemas": [USER], "userName": "ada", "password": "s3cond-bulk"},
                },
            ],
        ),
    ]
    for reply in replies:
        assert reply.status in (200, 204), reply.body
        assert b"password" not in reply.body and b"hunter2" not in reply.body and b"s3cond" not in reply.body


# -- replace ------------------------------------------------------------------------------------------------


def test_put_clears_what_it_omits_and_keeps_read_only_values(service) -> None:
    user = create_user(service, "ada", title="Dr", nickName="A", emails=[{"value": "ada@example.com", "type": "work"}])
    group = create_group(service, "Engineers", [user["id"]])
    body = {
        "schemas": [USER],
        "id": "other",
        "userName": "ada",
        "displayName": "Ada L",
        "groups": [],
        "meta": {"created": "2001-01-01T00:00:00Z"},
    }
    reply = call(service, "PUT", f"/Users/{user['id']}", body)
    assert reply.status == 200, reply.body
    for replaced in (reply.json(), call(service, "GET", f"/Users/{user['id']}").json()):
        assert replaced["id"] == user["id"]
        assert replaced["displayName"] == "Ada L"
        assert "title" not in replaced and "nickName" not in replaced and "emails" not in replaced
        assert replaced["meta"]["created"] == user["meta"]["created"]
        assert [g["value"] for g in replaced.get("groups", [])] == [group["id"]]
    assert reply.header("ETag") == reply.json()["meta"]["version"] != user["meta"]["version"]


def test_put_never_creates(service) -> None:
    reply = call(service, "PUT", "/Users/no-such-id", {"schemas": [USER], "userName": "ghost"})
    assert_scim_error(reply, 404)
    assert list_ids(service, "/Users") == []


# -- ETags --------------------------------------------------------------------------------------------------


def test_etags_if_match_and_if_none_match(service) -> None:
    user = create_user(service, "ada")
    uid, etag = user["id"], user["meta"]["version"]
    got = call(service, "GET", f"/Users/{uid}")
    assert got.header("ETag") == etag
    not_modified = call(service, "GET", f"/Users/{uid}", headers=[("If-None-Match", etag)])
    assert not_modified.status == 304 and not_modified.body == b""
    assert call(service, "GET", f"/Users/{uid}", headers=[("If-None-Match", 'W/"other"')]).status == 200
    stale = 'W/"stale"'
    op = {"op": "replace", "path": "title", "value": "Dr"}
    assert_scim_error(patch(service, f"/Users/{uid}", op, headers=[("If-Match", stale)]), 412)
    assert_scim_error(
        call(service, "PUT", f"/Users/{uid}", {"schemas": [USER], "userName": "x"}, [("If-Match", stale)]), 412
    )
    assert_scim_error(call(service, "DELETE", f"/Users/{uid}", headers=[("If-Match", stale)]), 412)
    assert call(service, "GET", f"/Users/{uid}").json()["meta"]["version"] == etag  # nothing was written
    done = patch(service, f"/Users/{uid}", op, headers=[("If-Match", f"{stale}, {etag}")])
    assert done.status in (200, 204), done.body
    new_etag = call(service, "GET", f"/Users/{uid}").json()["meta"]["version"]
    assert new_etag != etag
    same = patch(service, f"/Users/{uid}", op, headers=[("If-Match", "*")])  # changes nothing
    assert same.status in (200, 204)
    assert call(service, "GET", f"/Users/{uid}").json()["meta"]["version"] == new_etag
    assert call(service, "DELETE", f"/Users/{uid}", headers=[("If-Match", new_etag)]).status == 204


def test_etag_race_loses_no_update(storage) -> None:
    """Threads read, increment and write back with If-Match, retrying on 412: every increment survives.

    For the SQL stores each thread has its own service over its own connection to the same database, as
    server workers do; in memory they share one service."""
    threads, increments = 4, 5
    services = [make_service(storage) for _ in range(threads)]
    uid = create_user(services[0], "counter", nickName="0")["id"]
    errors: list[str] = []
    conflicts = [0]

    def work(service: Any) -> None:
        done = 0
        while done < increments:
            got = call(service, "GET", f"/Users/{uid}")
            if got.status != 200:
                errors.append(f"GET {got.status} {got.body[:200]!r}")
                return
            value = int(got.json()["nickName"]) + 1
            put = call(
                service,
                "PUT",
                f"/Users/{uid}",
                {"schemas": [USER], "userName": "counter", "nickName": str(value)},
                [("If-Match", got.header("ETag") or "")],
            )
            if put.status == 412:
                conflicts[0] += 1
                continue
            if put.status != 200:
                errors.append(f"PUT {put.status} {put.body[:200]!r}")
                return
            done += 1

    workers = [threading.Thread(target=work, args=(s,)) for s in services]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    print(f"\n{storage.kind}: {conflicts[0]} If-Match conflicts retried")
    assert call(services[0], "GET", f"/Users/{uid}").json()["nickName"] == str(threads * increments)


# -- delete and groups ----------------------------------------------------------------------------------------


def test_delete_removes_everywhere(service) -> None:
    ada, bob = create_user(service, "ada"), create_user(service, "bob")
    group = create_group(service, "Engineers", [ada["id"], bob["id"]])
    reply = call(service, "DELETE", f"/Users/{ada['id']}")
    assert reply.status == 204 and reply.body == b""
    assert_scim_error(call(service, "GET", f"/Users/{ada['id']}"), 404)
    assert_scim_error(call(service, "DELETE", f"/Users/{ada['id']}"), 404)
    assert list_ids(service, "/Users") == [bob["id"]]
    assert list_ids(service, '/Users?filter=userName eq "ada"') == []
    members = call(service, "GET", f"/Groups/{group['id']}").json().get("members", [])
    assert [m["value"] for m in members] == [bob["id"]]


def test_user_groups_are_derived_direct_and_indirect(service) -> None:
    ada = create_user(service, "ada")
    inner = create_group(service, "Inner", [ada["id"]])
    outer = call(
        service,
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Outer", "members": [{"value": inner["id"], "type": "Group"}]},
    )
    assert outer.status == 201, outer.body
    outer_id = outer.json()["id"]
    groups = {g["value"]: g for g in call(service, "GET", f"/Users/{ada['id']}").json()["groups"]}
    assert set(groups) == {inner["id"], outer_id}
    assert groups[inner["id"]]["type"] == "direct" and groups[outer_id]["type"] == "indirect"
    assert groups[inner["id"]]["display"] == "Inner"
    assert groups[inner["id"]]["$ref"] == f"{BASE_URL}/Groups/{inner['id']}"
    assert list_ids(service, f'/Users?filter=groups.value eq "{outer_id}"') == [ada["id"]]
    renamed = patch(service, f"/Groups/{inner['id']}", {"op": "replace", "path": "displayName", "value": "Core"})
    assert renamed.status in (200, 204)
    groups = {g["value"]: g for g in call(service, "GET", f"/Users/{ada['id']}").json()["groups"]}
    assert groups[inner["id"]]["display"] == "Core"


def test_members_must_exist(service) -> None:
    reply = call(service, "POST", "/Groups", {"schemas": [GROUP], "displayName": "G", "members": [{"value": "nobody"}]})
    assert 400 <= reply.status < 500
    assert_scim_error(reply, reply.status)
    assert list_ids(service, "/Groups") == []


# -- lists and cursors ----------------------------------------------------------------------------------------


def test_list_parameters(service) -> None:
    for name in ("a", "b", "c"):
        create_user(service, name)
    counted = call(service, "GET", "/Users?count=0").json()
    assert counted["totalResults"] == 3 and not counted.get("Resources")
    page = call(service, "GET", "/Users?startIndex=0&count=2").json()
    assert page["startIndex"] == 1 and page["itemsPerPage"] == 2 and page["totalResults"] == 3
    assert_scim_error(call(service, "GET", "/Users?count=two"), 400, "invalidValue")
    assert_scim_error(call(service, "GET", "/Users?startIndex=x"), 400, "invalidValue")
    upper = call(service, "GET", '/Users?FILTER=userName eq "b"&SortBy=userName').json()
    assert upper["totalResults"] == 1
    assert_scim_error(call(service, "GET", '/Schemas?filter=id eq "x"'), 403)


def test_cursor_walk_returns_each_resource_once_despite_writes(service) -> None:
    ids = {create_user(service, f"user{n:02d}")["id"] for n in range(7)}
    seen: list[str] = []
    deleted: set[str] = set()
    cursor, pages = "", 0
    while True:
        reply = call(service, "GET", f"/Users?count=3&cursor={cursor}")
        assert reply.status == 200, reply.body
        page = reply.json()
        seen += [r["id"] for r in page.get("Resources", [])]
        pages += 1
        # writes between pages: an update to a seen and to an unseen resource, and a new resource
        for uid in sorted(ids)[:2]:
            patch(service, f"/Users/{uid}", {"op": "replace", "path": "title", "value": f"t{pages}"})
        create_user(service, f"late{pages}")
        unseen = sorted(ids - set(seen) - deleted)
        if pages == 1 and unseen:
            assert call(service, "DELETE", f"/Users/{unseen[-1]}").status == 204
            deleted.add(unseen[-1])
        if "nextCursor" not in page:
            break
        cursor = page["nextCursor"]
        assert pages < 20
    assert len(seen) == len(set(seen)), "a resource came twice"
    assert ids - deleted <= set(seen) and deleted and not deleted & set(seen)


def test_forged_foreign_and_mixed_cursors_are_refused(service) -> None:
    for n in range(4):
        create_user(service, f"user{n}")
    first = call(service, "GET", "/Users?count=2&cursor=").json()
    cursor = first["nextCursor"]
    assert call(service, "GET", f"/Users?count=2&cursor={cursor}").status == 200
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert_scim_error(call(service, "GET", f"/Users?count=2&cursor={forged}"), 400, "invalidCursor")
    assert_scim_error(call(service, "GET", "/Users?count=2&cursor=bm90LWEtY3Vyc29y"), 400, "invalidCursor")
    assert_scim_error(
        call(service, "GET", f'/Users?count=2&cursor={cursor}&filter=userName eq "user1"'), 400, "invalidCursor"
    )
    assert_scim_error(call(service, "GET", f"/Users?count=2&cursor={cursor}&startIndex=1"), 400, "invalidValue")


# -- bulk -----------------------------------------------------------------------------------------------------


def bulk(service: Any, operations: list[dict[str, Any]], fail_on_errors: int | None = None) -> Reply:
    body: dict[str, Any] = {"schemas": [BULK_REQUEST], "Operations": operations}
    if fail_on_errors is not None:
        body["failOnErrors"] = fail_on_errors
    return call(service, "POST", "/Bulk", body)


def test_bulk_resolves_forward_references(service) -> None:
    reply = bulk(
        service,
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g1",
                "data": {"schemas": [GROUP], "displayName": "Team", "members": [{"value": "bulkId:u1"}]},
            },
            {"method": "POST", "path": "/Users", "bulkId": "u1", "data": {"schemas": [USER], "userName": "ada"}},
        ],
    )
    assert reply.status == 200, reply.body
    results = {r["bulkId"]: r for r in reply.json()["Operations"]}
    assert results["g1"]["status"] == "201" and results["u1"]["status"] == "201"
    assert results["u1"]["location"].startswith(f"{BASE_URL}/Users/")
    user_id = results["u1"]["location"].rsplit("/", 1)[1]
    group_id = results["g1"]["location"].rsplit("/", 1)[1]
    members = call(service, "GET", f"/Groups/{group_id}").json()["members"]
    assert [m["value"] for m in members] == [user_id]


def test_bulk_unknown_reference_version_and_fail_on_errors(service) -> None:
    ada = create_user(service, "ada")
    reply = bulk(
        service,
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g",
                "data": {"schemas": [GROUP], "displayName": "G", "members": [{"value": "bulkId:nope"}]},
            },
            {
                "method": "PATCH",
                "path": f"/Users/{ada['id']}",
                "version": 'W/"stale"',
                "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]},
            },
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "bob"}},
        ],
    )
    assert reply.status == 200, reply.body
    statuses = [r["status"] for r in reply.json()["Operations"]]
    assert statuses == ["409", "412", "201"]
    assert "nope" in reply.json()["Operations"][0]["response"]["detail"]
    stopped = bulk(
        service,
        [
            {"method": "DELETE", "path": "/Users/nobody"},
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": {"schemas": [USER], "userName": "carol"}},
        ],
        fail_on_errors=1,
    )
    assert [r["status"] for r in stopped.json()["Operations"]] == ["404"]
    assert list_ids(service, '/Users?filter=userName eq "carol"') == []


def test_bulk_limits_refuse_everything(service) -> None:
    config = call(service, "GET", "/ServiceProviderConfig").json()["bulk"]
    assert config["supported"] is True
    limit, size = config["maxOperations"], config["maxPayloadSize"]
    operations = [
        {"method": "POST", "path": "/Users", "bulkId": f"u{n}", "data": {"schemas": [USER], "userName": f"u{n}"}}
        for n in range(limit + 1)
    ]
    error = assert_scim_error(bulk(service, operations), 413)
    assert str(limit) in error["detail"]
    big = [
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": "big",
            "data": {"schemas": [USER], "userName": "big", "displayName": "x" * size},
        }
    ]
    error = assert_scim_error(bulk(service, big), 413)
    assert str(size) in error["detail"]
    assert list_ids(service, "/Users") == []


# -- errors and authentication ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "status"),
    [
        ("GET", "/Nowhere", 404),
        ("GET", "/Users/no-such-id", 404),
        ("GET", "/Schemas/urn:nope", 404),
        ("GET", "/ResourceTypes/Nope", 404),
        ("DELETE", "/ServiceProviderConfig", 405),
        ("PUT", "/Users", 405),
        ("GET", "/Me", 501),
    ],
)
def test_error_statuses(service, method: str, target: str, status: int) -> None:
    reply = call(service, method, target)
    assert_scim_error(reply, status)
    if status == 405:
        assert reply.header("Allow")


def test_bad_bodies(service) -> None:
    user = {"schemas": [USER], "userName": "ada"}
    wrong_media = call(service, "POST", "/Users", b'{"userName": "ada"}', [("Content-Type", "text/plain")])
    assert_scim_error(wrong_media, 415)
    charset = call(service, "POST", "/Users", user, [("Content-Type", "application/json; charset=utf-8")])
    assert charset.status == 201
    assert_scim_error(
        call(service, "POST", "/Users", b"{not json", [("Content-Type", "application/scim+json")]), 400, "invalidSyntax"
    )
    assert_scim_error(call(service, "GET", "/Users?filter=userName eq"), 400, "invalidFilter")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Basic czNjcmV0LXRva2Vu", "Bearer", "Bearer S3CRET-TOKEN", "Bearer s3cret-token-2"],
)
@pytest.mark.parametrize(
    "target", ["/Users", "/Users/x", "/Me", "/ServiceProviderConfig", "/Schemas", f"/Schemas/{USER}", "/ResourceTypes"]
)
def test_unauthenticated_requests_get_401(service, authorization: str | None, target: str) -> None:
    headers = [("Authorization", authorization)] if authorization is not None else []
    reply = call(service, "GET", target, headers=headers, auth=False)
    assert_scim_error(reply, 401)
    assert (reply.header("WWW-Authenticate") or "").lower().startswith("bearer")


def test_bearer_token_accepts_every_rotated_token(storage) -> None:
    service = scimcore.Service(storage.stores(), base_url=BASE_URL, authenticate=scimcore.bearer_token("old", "new"))
    for token in ("old", "new"):
        assert call(service, "GET", "/Users", headers=[("Authorization", f"Bearer {token}")], auth=False).status == 200
    assert call(service, "GET", "/Users", headers=[("Authorization", "Bearer older")], auth=False).status == 401
    spc = call(service, "GET", "/ServiceProviderConfig", headers=[("Authorization", "Bearer new")], auth=False).json()
    assert [s["type"] for s in spc["authenticationSchemes"]] == ["oauthbearertoken"]


def test_root_search_spans_types(service) -> None:
    ada = create_user(service, "ada", displayName="Shared")
    group = create_group(service, "Shared")
    reply = call(service, "POST", "/.search", {"schemas": [SEARCH], "filter": 'displayName eq "Shared"'})
    assert reply.status == 200, reply.body
    assert sorted(r["id"] for r in reply.json()["Resources"]) == sorted([ada["id"], group["id"]])
    only_users = call(service, "POST", "/.search", {"schemas": [SEARCH], "filter": 'userName eq "ada"'}).json()
    assert [r["id"] for r in only_users["Resources"]] == [ada["id"]]
    assert_scim_error(
        call(service, "POST", "/.search", {"schemas": [SEARCH], "filter": 'nosuch eq "x"'}), 400, "invalidFilter"
    )


# -- limits, versions, cycles, cursors across workers ------------------------------------------------------------


def test_body_over_the_limit_is_413_and_nothing_is_written(storage) -> None:
    service = make_service(storage, max_body_bytes=2048)
    big = {"schemas": [USER], "userName": "big", "displayName": "x" * 4096}
    assert_scim_error(call(service, "POST", "/Users", big), 413)
    assert list_ids(service, "/Users") == []


def test_unsupported_protocol_version_in_the_path(service) -> None:
    assert_scim_error(call(service, "GET", "/v1/Users"), 400, "invalidVers")


def test_count_is_capped_at_max_results(storage) -> None:
    service = make_service(storage, max_results=2)
    for name in ("a", "b", "c"):
        create_user(service, name)
    page = call(service, "GET", "/Users?count=50").json()
    assert page["totalResults"] == 3 and page["itemsPerPage"] == 2 and len(page["Resources"]) == 2
    config = call(service, "GET", "/ServiceProviderConfig").json()
    assert config["filter"] == {"supported": True, "maxResults": 2}


def test_group_nesting_cycles_never_loop(service) -> None:
    ada = create_user(service, "ada")
    first = create_group(service, "First", [ada["id"]])
    second = call(
        service,
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Second", "members": [{"value": first["id"], "type": "Group"}]},
    ).json()
    closing = patch(
        service,
        f"/Groups/{first['id']}",
        {"op": "add", "path": "members", "value": [{"value": second["id"], "type": "Group"}]},
    )
    if closing.status >= 400:
        assert_scim_error(closing, 400, "invalidValue")
    groups = call(service, "GET", f"/Users/{ada['id']}").json()["groups"]
    assert sorted(g["value"] for g in groups) == sorted([first["id"], second["id"]])


def test_bulk_reference_cycle_is_409(service) -> None:
    reply = bulk(
        service,
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "a",
                "data": {"schemas": [GROUP], "displayName": "A", "members": [{"value": "bulkId:b", "type": "Group"}]},
            },
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "b",
                "data": {"schemas": [GROUP], "displayName": "B", "members": [{"value": "bulkId:a", "type": "Group"}]},
            },
        ],
    )
    assert reply.status == 200, reply.body
    assert [r["status"] for r in reply.json()["Operations"]] == ["409", "409"]
    assert list_ids(service, "/Groups") == []


def test_cursors_are_shared_by_workers_with_one_secret_and_foreign_otherwise(storage) -> None:
    first = make_service(storage, cursor_secret=b"one secret for every worker")
    for n in range(4):
        create_user(first, f"user{n}")
    cursor = call(first, "GET", "/Users?count=2&cursor=").json()["nextCursor"]
    worker = make_service(storage, cursor_secret=b"one secret for every worker")
    page = call(worker, "GET", f"/Users?count=2&cursor={cursor}")
    assert page.status == 200 and len(page.json()["Resources"]) == 2
    stranger = make_service(storage, cursor_secret=b"another service, another secret")
    assert_scim_error(call(stranger, "GET", f"/Users?count=2&cursor={cursor}"), 400, "invalidCursor")
    default_one, default_two = make_service(storage), make_service(storage)  # each draws its own secret
    issued = call(default_one, "GET", "/Users?count=2&cursor=").json()["nextCursor"]
    assert_scim_error(call(default_two, "GET", f"/Users?count=2&cursor={issued}"), 400, "invalidCursor")


def test_root_search_sorts_missing_values_last(service) -> None:
    create_user(service, "ada", title="b")
    create_group(service, "Shared")
    create_user(service, "bob", title="a")
    reply = call(service, "POST", "/.search", {"schemas": [SEARCH], "sortBy": "title"})
    assert reply.status == 200, reply.body
    titles = [r.get("title") for r in reply.json()["Resources"]]
    assert titles == ["a", "b", None]


def test_group_patch_response_never_carries_members_unasked(service) -> None:
    users = [create_user(service, f"u{n}")["id"] for n in range(3)]
    group = create_group(service, "Big", users)
    reply = patch(service, f"/Groups/{group['id']}", {"op": "replace", "path": "displayName", "value": "Bigger"})
    assert reply.status in (200, 204), reply.body
    assert (reply.status == 204 and reply.body == b"") or "members" not in reply.json()
    asked = patch(
        service,
        f"/Groups/{group['id']}?attributes=members",
        {"op": "remove", "path": f'members[value eq "{users[0]}"]'},
    )
    assert asked.status == 200 and sorted(m["value"] for m in asked.json()["members"]) == sorted(users[1:])


def test_bulk_runs_in_order_with_references_in_paths(service) -> None:
    reply = bulk(
        service,
        [
            {
                "method": "PATCH",
                "path": "/Users/bulkId:u",
                "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "first"}]},
            },
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "ada"}},
            {
                "method": "PATCH",
                "path": "/Users/bulkId:u",
                "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "second"}]},
            },
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"schemas": [USER], "userName": "ada"}},
        ],
    )
    assert reply.status == 200, reply.body
    results = reply.json()["Operations"]
    assert [r["status"] for r in results] == ["200", "201", "200", "409"]
    uid = results[1]["location"].rsplit("/", 1)[1]
    assert call(service, "GET", f"/Users/{uid}").json()["title"] == "second"
    assert list_ids(service, "/Users") == [uid]  # the failed operation wrote nothing


def test_public_discovery_opens_discovery_only(storage) -> None:
    service = make_service(storage, public_discovery=True)
    for target in ("/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/ResourceTypes/User"):
        assert call(service, "GET", target, auth=False).status == 200, target
    for target in ("/Users", "/Groups", "/Me"):
        assert_scim_error(call(service, "GET", target, auth=False), 401)
    assert_scim_error(call(service, "POST", "/Bulk", {"schemas": [BULK_REQUEST], "Operations": []}, auth=False), 401)


def test_membership_changes_renew_the_users_etag_and_deleting_a_group_updates_users(service) -> None:
    ada = create_user(service, "ada")
    etag = ada["meta"]["version"]
    group = create_group(service, "Team", [ada["id"]])
    after = call(service, "GET", f"/Users/{ada['id']}", headers=[("If-None-Match", etag)])
    assert after.status == 200, "the user's representation (groups) changed, so its ETag must have"
    assert after.header("ETag") != etag and [g["value"] for g in after.json()["groups"]] == [group["id"]]
    assert call(service, "DELETE", f"/Groups/{group['id']}").status == 204
    assert call(service, "GET", f"/Users/{ada['id']}").json().get("groups", []) == []
    assert list_ids(service, f'/Users?filter=groups.value eq "{group["id"]}"') == []


def test_me_acts_on_the_mapped_resource(storage) -> None:
    owner: dict[str, str] = {}
    service = make_service(storage, me=lambda request: ("User", owner["id"]))
    owner["id"] = create_user(service, "ada")["id"]
    reply = call(service, "GET", "/Me")
    assert reply.status == 200 and reply.json()["id"] == owner["id"]
    assert reply.header("Location") == f"{BASE_URL}/Users/{owner['id']}"
    changed = patch(service, "/Me", {"op": "replace", "path": "title", "value": "Me myself"})
    assert changed.status in (200, 204)
    assert call(service, "GET", f"/Users/{owner['id']}").json()["title"] == "Me myself"


@pytest.mark.parametrize("endpoint", ["/Schemas", "/ResourceTypes", "/ServiceProviderConfig"])
def test_filtering_discovery_is_403(service, endpoint: str) -> None:
    assert_scim_error(call(service, "GET", f'{endpoint}?filter=id eq "User"'), 403)
