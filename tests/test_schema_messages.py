"""Protocol messages (RFC 7644 §3.4.2, §3.4.3, §3.5.2, §3.7, §3.12): wire names, tolerant reading, encoding."""

from __future__ import annotations

import json

import msgspec
import pytest

import scimcore

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_patch_op_reading_is_tolerant_by_default():
    body = {
        "schemas": [PATCH],
        "operations": [{"OP": "Replace", "Path": "active", "value": "False"}, {"op": "remove", "path": "emails"}],
    }
    patch = scimcore.PatchOp.from_json(json.dumps(body))
    assert [o.op for o in patch.operations] == ["replace", "remove"]
    assert patch.operations[0].value == "False"
    assert patch.operations[1].value is msgspec.UNSET  # no value member
    assert json.loads(scimcore.encode(patch)) == {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": "False"}, {"op": "remove", "path": "emails"}],
    }


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        {"schemas": [PATCH]},
        {"schemas": [PATCH], "Operations": [{"op": "move", "path": "a"}]},
        {"schemas": ["urn:x"], "Operations": [{"op": "add", "value": {}}]},
        {"schemas": [PATCH], "Operations": "add"},
        5,
        b"\xff",
    ],
)
def test_malformed_patch_op_is_invalid_syntax(body):
    for policy in (scimcore.Policy(), scimcore.Policy.STRICT):
        with pytest.raises(scimcore.InvalidSyntax) as read:
            scimcore.PatchOp.from_json(body, policy=policy)
        with pytest.raises(scimcore.InvalidSyntax) as applied:  # one reader: apply_patch refuses it alike
            scimcore.apply_patch({"userName": "u"}, body, policy=policy)
        assert read.value.detail == applied.value.detail


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [PATCH], "Operations": []},
        {"Operations": [{"op": "replace", "path": "title", "value": "x"}]},
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "x", "bogus": 1}]},
        [],
    ],
)
def test_lenient_patch_message_is_one_named_field(body):
    """An empty Operations array, a missing schemas, an unknown operation member: read alike by PatchOp.from_json
    and apply_patch, accepted by default and refused when ``lenient_patch_message`` is off."""
    read = scimcore.PatchOp.from_json(body)
    assert len(read.operations) == len(body if isinstance(body, list) else body["Operations"])
    assert scimcore.apply_patch({"userName": "u"}, body)["userName"] == "u"
    strict = scimcore.Policy(lenient_patch_message=False)
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.PatchOp.from_json(body, policy=strict)
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.apply_patch({"userName": "u"}, body, policy=strict)


def test_strict_patch_op_names():
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.PatchOp.from_json(
            {"schemas": [PATCH], "operations": [{"op": "add", "value": {}}]}, policy=scimcore.Policy.STRICT
        )
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.PatchOp.from_json(
            {"schemas": [PATCH], "Operations": [{"op": "Add", "value": {}}]}, policy=scimcore.Policy.STRICT
        )


def test_list_response_always_has_paging_members_and_hides_never_attributes():
    assert json.loads(scimcore.encode(scimcore.ListResponse())) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    user = scimcore.User(user_name="b", password="secret")
    page = scimcore.ListResponse(total_results=1, items_per_page=1, resources=[user])
    body = json.loads(scimcore.encode(page))
    assert body["Resources"] == [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "b"}]
    read = scimcore.ListResponse.from_json({"totalresults": 1, "resources": [{"id": "x"}]})
    assert read.total_results == 1 and read.resources == [{"id": "x"}]


def test_search_request():
    request = scimcore.SearchRequest.from_json(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes": ["displayName"],
            "filter": 'userName sw "j"',
            "sortOrder": "Descending",
            "startIndex": 1,
            "count": 10,
        }
    )
    assert (request.sort_order, request.count, request.filter) == ("descending", 10, 'userName sw "j"')
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.SearchRequest.from_json({"count": "ten"})
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.SearchRequest.from_json({"sortOrder": "sideways"})


def test_bulk_status_shapes_and_error_status():
    response = scimcore.BulkResponse.from_json(
        {
            "Operations": [
                {"method": "POST", "bulkId": "q1", "status": {"code": "201"}, "location": "/Users/1"},
                {"method": "put", "status": 200},
                {"method": "DELETE", "status": "204"},
            ]
        }
    )
    assert [o.status for o in response.operations] == ["201", "200", "204"]
    assert json.loads(scimcore.encode(response))["Operations"][0] == {
        "method": "POST",
        "bulkId": "q1",
        "location": "/Users/1",
        "status": "201",
    }
    request = scimcore.BulkRequest.from_json(
        {
            "failOnErrors": 1,
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "x"}}],
        }
    )
    assert request.fail_on_errors == 1 and request.operations[0].data == {"userName": "x"}
    assert scimcore.Error.from_json({"status": 409, "scimType": "uniqueness"}).status == "409"
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.BulkResponse.from_json({"Operations": [{"method": "GET"}]})
