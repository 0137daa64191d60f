"""User-defined extensions and resource types (RFC 7643 §3.3, §6, §7), registries and discovery documents."""

from __future__ import annotations

import json

import msgspec
import pytest

import scimcore
from scimcore.schema.codec import to_dict
from scimcore.schema.resources import Resource

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BADGE = "urn:example:params:scim:schemas:extension:badge:1.0:User"

BADGE_SCHEMA = {
    "id": BADGE,
    "name": "Badge",
    "description": "Building access badge",
    "attributes": [
        {"name": "badgeNumber", "type": "integer", "multiValued": False, "required": True, "mutability": "immutable"},
        {"name": "issued", "type": "dateTime", "multiValued": False},
        {"name": "pin", "type": "string", "multiValued": False, "mutability": "writeOnly", "returned": "never"},
        {
            "name": "clearance",
            "type": "string",
            "multiValued": False,
            "returned": "request",
            "canonicalValues": ["public", "secret"],
        },
        {
            "name": "doors",
            "type": "complex",
            "multiValued": True,
            "subAttributes": [{"name": "value", "type": "string"}, {"name": "primary", "type": "boolean"}],
        },
    ],
}


@pytest.fixture
def registry():
    registry = scimcore.SchemaRegistry.default()
    registry.register_schema(BADGE_SCHEMA)
    registry.register_extension("User", BADGE)
    return registry


def badge_user(**badge) -> dict:
    return {"schemas": [USER, BADGE], "userName": "bjensen", BADGE: {"badgeNumber": 1234, **badge}}


def test_custom_extension_decodes_validates_and_encodes(registry):
    document = badge_user(
        issued="2024-02-29T08:00:00+01:00", pin="0000", clearance="Secret", doors=[{"value": "lobby", "primary": True}]
    )
    for data in (document, json.dumps(document).encode()):
        user = scimcore.decode(data, registry=registry)
        assert isinstance(user, scimcore.User)
        assert user.extensions[BADGE]["badgeNumber"] == 1234
        assert user.extensions[BADGE]["issued"] == "2024-02-29T08:00:00+01:00"
    out = json.loads(scimcore.encode(user, registry=registry))
    assert out[BADGE] == {
        "badgeNumber": 1234,
        "issued": "2024-02-29T08:00:00+01:00",
        "clearance": "Secret",
        "doors": [{"value": "lobby", "primary": True}],
    }  # pin: returned never
    assert out["schemas"] == [USER, BADGE]
    assert (
        scimcore.decode(scimcore.encode(user, registry=registry), registry=registry).extensions[BADGE]["clearance"]
        == "Secret"
    )
    assert to_dict(user)[BADGE]["pin"] == "0000"  # kept for the server, never written by encode


def test_custom_extension_rules(registry):
    bad = [
        badge_user(badgeNumber="1234"),  # integer
        badge_user(badgeNumber=12.5),  # integer, not decimal
        badge_user(issued="29/02/2024"),  # dateTime
        badge_user(clearance="top"),  # canonical values
        badge_user(doors=[{"value": "a", "primary": True}, {"value": "b", "primary": "True"}]),  # two primaries
        {"schemas": [USER, BADGE], "userName": "x", BADGE: {"issued": "2024-02-29T08:00:00Z"}},  # required
    ]
    for document in bad:
        with pytest.raises(scimcore.InvalidValue):
            scimcore.decode(document, registry=registry)
    lower = {"schemas": [USER, BADGE.upper()], "userName": "x", BADGE.lower(): {"BADGENUMBER": 7}}
    assert scimcore.normalize(lower, registry=registry) == {
        "schemas": [USER, BADGE],
        "userName": "x",
        BADGE: {"badgeNumber": 7},
    }


def test_custom_extension_characteristics_reach_the_library(registry):
    resolved = registry.resolve("User", "badgeNumber")
    assert resolved.extension == BADGE
    assert (resolved.attribute.type, resolved.attribute.mutability, resolved.attribute.required) == (
        "integer",
        "immutable",
        True,
    )
    assert registry.resolve("User", "clearance", BADGE).attribute.returned == "request"
    assert registry.resolve("User", "pin").attribute.returned == "never"


def test_custom_extension_filters(registry):
    compile_filter = scimcore.compile_filter
    users = [
        scimcore.normalize(badge_user(badgeNumber=n, issued=f"2024-0{n}-01T00:00:00Z"), registry=registry)
        for n in (1, 2, 3)
    ]
    predicate = compile_filter(
        f'{BADGE}:badgeNumber gt 1 and issued lt "2024-03-01T00:00:00Z"', resource_type="User", registry=registry
    )
    assert [u[BADGE]["badgeNumber"] for u in predicate.filter(users)] == [2]
    struct = scimcore.decode(users[1], registry=registry)
    assert predicate(to_dict(struct))
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter("badgeNumber gt 1", resource_type="User")  # not registered in the default registry


def test_enterprise_and_custom_extension_together(registry):
    document = badge_user()
    document[ENTERPRISE] = {"department": "Tours"}
    user = scimcore.decode(document, registry=registry)
    assert user.enterprise_user.department == "Tours" and BADGE in user.extensions
    assert json.loads(scimcore.encode(user, registry=registry))["schemas"] == [USER, BADGE, ENTERPRISE]


def test_registries_are_independent(registry):
    with pytest.raises(scimcore.InvalidValue, match="not a schema extension"):
        scimcore.decode(badge_user())
    assert BADGE not in json.dumps(scimcore.registry.schemas())
    other = scimcore.SchemaRegistry.default()
    assert other.extension_urns("User") == [ENTERPRISE]
    assert registry.extension_urns("User") == [ENTERPRISE, BADGE]
    assert scimcore.SchemaRegistry().resource_type_names() == []


def test_custom_resource_type_decodes_to_resource():
    registry = scimcore.SchemaRegistry()
    registry.register_schema(
        {
            "id": "urn:example:Device",
            "name": "Device",
            "attributes": [
                {"name": "serial", "type": "string", "required": True, "caseExact": True},
                {"name": "ports", "type": "integer", "multiValued": True},
            ],
        }
    )
    registry.register_resource_type("Device", "urn:example:Device", endpoint="/Devices")
    registry.register_schema(BADGE_SCHEMA)
    registry.register_extension("Device", BADGE)
    device = scimcore.decode(
        {"schemas": ["urn:example:device"], "id": "d1", "Serial": "X1", "ports": [1, 2], BADGE: {"badgeNumber": 5}},
        resource_type="Device",
        registry=registry,
    )
    assert isinstance(device, Resource)
    assert device.attributes == {"serial": "X1", "ports": [1, 2]} and device.id == "d1"
    assert json.loads(scimcore.encode(device, registry=registry)) == {
        "schemas": ["urn:example:Device", BADGE],
        "id": "d1",
        "serial": "X1",
        "ports": [1, 2],
        BADGE: {"badgeNumber": 5},
    }
    with pytest.raises(scimcore.InvalidValue, match="serial"):
        scimcore.decode({"schemas": ["urn:example:Device"]}, resource_type="Device", registry=registry)


def test_register_schema_struct_bytes_and_errors():
    registry = scimcore.SchemaRegistry.default()
    registry.register_schema(msgspec.convert(BADGE_SCHEMA, scimcore.Schema))
    assert registry.schema(BADGE).attribute("badgeNumber").type == "integer"
    registry.register_schema(json.dumps(BADGE_SCHEMA).encode())
    with pytest.raises(scimcore.InvalidSyntax):
        registry.register_schema(b"{")
    with pytest.raises(scimcore.InvalidValue):
        registry.register_schema({"id": BADGE, "attributes": [{"name": "x", "type": "colour"}]})
    with pytest.raises(scimcore.ScimError):
        registry.register_extension("User", "urn:not:registered")


def test_discovery_documents(registry):
    schemas = registry.schemas()
    assert schemas["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert schemas["totalResults"] == len(schemas["Resources"]) == 7
    for body in schemas["Resources"]:  # every entry is a valid Schema resource
        assert isinstance(msgspec.convert(body, scimcore.Schema), scimcore.Schema)
    types = registry.resource_types()
    user_rt = next(r for r in types["Resources"] if r["name"] == "User")
    assert user_rt["schemaExtensions"] == [
        {"schema": ENTERPRISE, "required": False},
        {"schema": BADGE, "required": False},
    ]
    for body in types["Resources"]:
        assert scimcore.decode(body, resource_type="ResourceType", registry=registry).endpoint == body["endpoint"]


def test_service_provider_config_build():
    from scimcore.schema.resources import AuthenticationScheme

    bearer = AuthenticationScheme(
        type="oauthbearertoken", name="OAuth Bearer Token", description="RFC 6750 bearer tokens", primary=True
    )
    spc = scimcore.ServiceProviderConfig.build(
        filter_max_results=500,
        etag=True,
        bulk=True,
        bulk_max_operations=100,
        bulk_max_payload_size=1 << 20,
        authentication_schemes=[bearer],
    )
    body = json.loads(scimcore.encode(spc))
    assert body["filter"] == {"supported": True, "maxResults": 500}
    assert body["bulk"] == {"supported": True, "maxOperations": 100, "maxPayloadSize": 1 << 20}
    assert body["patch"] == {"supported": True} and body["etag"] == {"supported": True}
    assert body["changePassword"] == {"supported": False}
    assert scimcore.decode(body, resource_type="ServiceProviderConfig") == spc  # valid against its schema
    assert body["authenticationSchemes"] == [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "RFC 6750 bearer tokens",
            "primary": True,
        }
    ]
    with pytest.raises(scimcore.InvalidValue, match="authenticationSchemes"):  # REQUIRED (RFC 7643 §5)
        scimcore.decode(scimcore.encode(scimcore.ServiceProviderConfig.build()), resource_type="ServiceProviderConfig")
