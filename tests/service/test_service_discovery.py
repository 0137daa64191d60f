"""Discovery (RFC 7644 §4; RFC 7643 §5-§7; RFC 9865 ``pagination``): the service described as configured."""

from __future__ import annotations

import scimcore

from .service_helpers import BASE, Client

SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_service_provider_config_reports_the_configured_limits_and_schemes() -> None:
    service = scimcore.Service(
        {"User": scimcore.Directory("User")},
        base_url=BASE,
        max_results=50,
        bulk_max_operations=7,
        bulk_max_payload_size=4096,
        cursor_timeout=120,
        authenticate=scimcore.bearer_token("secret"),
    )
    status, _, body = Client(service, {"Authorization": "Bearer secret"}).get("/ServiceProviderConfig")
    assert status == 200
    assert body["schemas"] == [SPC]
    assert body["bulk"] == {"supported": True, "maxOperations": 7, "maxPayloadSize": 4096}
    assert body["filter"] == {"supported": True, "maxResults": 50}
    assert body["patch"] == body["sort"] == body["etag"] == {"supported": True}
    assert body["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 50,
        "maxPageSize": 50,
        "cursorTimeout": 120,
    }
    assert [s["type"] for s in body["authenticationSchemes"]] == ["oauthbearertoken"]
    assert body["meta"]["location"] == f"{BASE}/ServiceProviderConfig"


def test_bulk_off_is_reported_and_answered_501() -> None:
    client = Client(scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE, bulk_max_operations=0))
    assert client.get("/ServiceProviderConfig")[2]["bulk"]["supported"] is False
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []}
    assert client.post("/Bulk", body)[0] == 501


def test_schemas_and_resource_types_are_list_responses_of_what_is_served() -> None:
    client = Client(scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE))
    status, _, body = client.get("/ResourceTypes")
    assert status == 200
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert [r["id"] for r in body["Resources"]] == ["User"]  # Group is not served
    assert body["totalResults"] == 1
    user_type = body["Resources"][0]
    assert user_type["endpoint"] == "/Users"
    assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert user_type["meta"]["location"] == f"{BASE}/ResourceTypes/User"
    status, _, body = client.get("/Schemas")
    assert status == 200
    assert sorted(s["id"] for s in body["Resources"]) == sorted([USER, ENTERPRISE])
    for schema in body["Resources"]:
        assert schema["meta"]["location"] == f"{BASE}/Schemas/{schema['id']}"
    groups = next(a for a in client.get(f"/Schemas/{USER}")[2]["attributes"] if a["name"] == "groups")
    assert groups["mutability"] == "readOnly"


def test_discovery_items_by_id_and_unknown_ones(memory_client: Client) -> None:
    assert memory_client.get("/ResourceTypes/Group")[2]["schema"] == "urn:ietf:params:scim:schemas:core:2.0:Group"
    assert memory_client.get(f"/Schemas/{USER.upper()}")[2]["id"] == USER
    assert memory_client.get("/ResourceTypes/Widget")[0] == 404
    assert memory_client.get("/Schemas/urn:nope")[0] == 404


def test_a_filter_on_discovery_is_403_and_other_parameters_are_ignored(memory_client: Client) -> None:
    for endpoint in ("/Schemas", "/ResourceTypes", "/ServiceProviderConfig"):
        status, _, _body = memory_client.get(f'{endpoint}?filter=id%20eq%20"User"')
        assert status == 403, endpoint
        assert memory_client.get(f"{endpoint}?count=1&startIndex=5&sortBy=id")[0] == 200


def test_discovery_follows_extensions_registered_later() -> None:
    registry = scimcore.SchemaRegistry.default()
    client = Client(scimcore.Service({"User": scimcore.Directory("User", registry=registry)}, registry=registry))
    assert len(client.get("/Schemas")[2]["Resources"]) == 2
    urn = "urn:example:params:scim:schemas:extension:badge:2.0:User"
    registry.register_schema({"id": urn, "name": "Badge", "attributes": [{"name": "badge", "type": "string"}]})
    registry.register_extension("User", urn)
    assert urn in {s["id"] for s in client.get("/Schemas")[2]["Resources"]}


def test_max_results_defaults_to_what_every_store_serves() -> None:
    service = scimcore.Service(
        {"User": scimcore.Directory("User", max_results=40), "Group": scimcore.Directory("Group", max_results=70)}
    )
    assert Client(service).get("/ServiceProviderConfig")[2]["filter"]["maxResults"] == 40
