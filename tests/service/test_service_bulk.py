"""``/Bulk`` on every store (RFC 7644 §3.7; docs/semantics.md §Protocol "Bulk")."""

from __future__ import annotations

from typing import Any

import scimcore

from .service_helpers import BASE, Client, patch_op

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _bulk(*operations: dict[str, Any], **members: Any) -> dict[str, Any]:
    return {"schemas": [BULK], "Operations": list(operations), **members}


def test_bulk_ids_resolve_in_any_order(client: Client) -> None:
    request = _bulk(
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "team",
            "data": {"displayName": "Team", "members": [{"type": "User", "value": "bulkId:ann"}]},
        },
        {"method": "POST", "path": "/Users", "bulkId": "ann", "data": {"userName": "ann"}},
        {
            "method": "PATCH",
            "path": "/Users/bulkId:ann",
            "data": patch_op({"op": "add", "path": "title", "value": "T"}),
        },
    )
    status, _, body = client.post("/Bulk", request)
    assert status == 200
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]
    results = body["Operations"]
    assert [r["status"] for r in results] == ["201", "201", "200"]
    team, ann, patched = results
    assert team["bulkId"] == "team" and ann["bulkId"] == "ann"
    ann_id = ann["location"].rsplit("/", 1)[1]
    assert ann["location"] == f"{BASE}/Users/{ann_id}"
    assert ann["version"].startswith('W/"')
    team_id = team["location"].rsplit("/", 1)[1]
    group = client.get(f"/Groups/{team_id}")[2]
    assert [m["value"] for m in group["members"]] == [ann_id]
    user = client.get(f"/Users/{ann_id}")[2]
    assert user["title"] == "T"
    assert [g["value"] for g in user["groups"]] == [team_id]
    assert patched["location"] == f"{BASE}/Users/{ann_id}"


def test_failures_are_reported_per_operation_and_fail_on_errors_stops(client: Client) -> None:
    request = _bulk(
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "dup"}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": "dup"}},
        {"method": "DELETE", "path": "/Users/missing"},
        {"method": "POST", "path": "/Users", "bulkId": "c", "data": {"userName": "never"}},
    )
    body = client.post("/Bulk", {**request, "failOnErrors": 2})[2]
    results = body["Operations"]
    assert [r["status"] for r in results] == ["201", "409", "404"]
    assert results[1]["response"]["scimType"] == "uniqueness"
    assert results[1]["response"]["status"] == "409"
    assert client.get('/Users?filter=userName eq "never"')[2]["totalResults"] == 0


def test_without_fail_on_errors_everything_possible_is_done(client: Client) -> None:
    request = _bulk(
        {"method": "DELETE", "path": "/Users/missing"},
        {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"userName": "done"}},
    )
    assert [r["status"] for r in client.post("/Bulk", request)[2]["Operations"]] == ["404", "201"]


def test_version_acts_as_if_match(client: Client) -> None:
    user = client.user("versioned")
    stale = user["meta"]["version"]
    client.patch(f"/Users/{user['id']}", patch_op({"op": "add", "path": "title", "value": "new"}))
    request = _bulk(
        {"method": "PUT", "path": f"/Users/{user['id']}", "version": stale, "data": {"userName": "versioned"}},
    )
    result = client.post("/Bulk", request)[2]["Operations"][0]
    assert result["status"] == "412"
    assert client.get(f"/Users/{user['id']}")[2]["title"] == "new"


def test_references_to_failed_unknown_or_circular_bulk_ids_are_409(client: Client) -> None:
    request = _bulk(
        {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"userName": "x", "active": "maybe"}},
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g1",
            "data": {"displayName": "G1", "members": [{"value": "bulkId:bad"}]},
        },
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g2",
            "data": {"displayName": "G2", "members": [{"value": "bulkId:nope"}]},
        },
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "c1",
            "data": {"displayName": "C1", "members": [{"value": "bulkId:c2"}]},
        },
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "c2",
            "data": {"displayName": "C2", "members": [{"value": "bulkId:c1"}]},
        },
    )
    results = client.post("/Bulk", request)[2]["Operations"]
    assert [r["status"] for r in results] == ["400", "409", "409", "409", "409"]
    assert "bad" in results[1]["response"]["detail"]
    assert "nope" in results[2]["response"]["detail"]
    assert client.get("/Groups")[2]["totalResults"] == 0


def test_limits_are_413_with_nothing_applied(service_factory: Any) -> None:
    client = Client(service_factory(bulk_max_operations=2, bulk_max_payload_size=400))
    ops = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": {"userName": f"u{i}"}} for i in range(3)]
    status, _, body = client.post("/Bulk", _bulk(*ops))
    assert status == 413 and "maxOperations" in body["detail"] and "2" in body["detail"]
    big = {"method": "POST", "path": "/Users", "bulkId": "big", "data": {"userName": "x" * 500}}
    status, _, body = client.post("/Bulk", _bulk(big))
    assert status == 413 and "maxPayloadSize" in body["detail"] and "400" in body["detail"]
    assert client.get("/Users")[2]["totalResults"] == 0


def test_malformed_bulk_requests(client: Client) -> None:
    status, _, body = client.post("/Bulk", {"schemas": [BULK]})
    assert (status, body["scimType"]) == (400, "invalidSyntax")
    dup = {"method": "POST", "path": "/Users", "bulkId": "same", "data": {"userName": "a"}}
    status, _, body = client.post("/Bulk", _bulk(dup, {**dup, "data": {"userName": "b"}}))
    assert (status, body["scimType"]) == (400, "invalidValue")
    results = client.post(
        "/Bulk",
        _bulk(
            {"method": "POST", "path": "/Users", "data": {"userName": "no-bulk-id"}},
            {"method": "POST", "path": "/Bulk", "bulkId": "x", "data": {}},
            {"method": "PUT", "path": "/Users/some-id"},
            {"method": "PATCH", "path": "Users"},
        ),
    )[2]["Operations"]
    assert [r["status"] for r in results] == ["400", "400", "400", "400"]


def test_methods_in_any_case_and_status_as_a_string() -> None:
    client = Client(scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE))
    request = _bulk({"method": "post", "path": "/Users", "bulkId": "a", "data": {"userName": "lower"}})
    assert client.post("/Bulk", request)[2]["Operations"][0]["status"] == "201"


def test_group_patch_in_bulk_reports_204_and_keeps_groups_derived(client: Client) -> None:
    ann = client.user("ann")
    team = client.group("Team")
    op = patch_op({"op": "add", "path": "members", "value": [{"value": ann["id"]}]})
    result = client.post("/Bulk", _bulk({"method": "PATCH", "path": f"/Groups/{team['id']}", "data": op}))[2]
    assert result["Operations"][0]["status"] == "204"
    assert result["Operations"][0]["location"] == f"{BASE}/Groups/{team['id']}"
    assert [g["value"] for g in client.get(f"/Users/{ann['id']}")[2]["groups"]] == [team["id"]]
