"""RFC 7643 §8 examples (tests/corpus/rfc7643/, country values per errata EIDs 5990/5991) through decode/encode."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

import scimcore
from scimcore.schema.resources import Attribute, SubAttribute

CORPUS = Path(__file__).parent / "corpus" / "rfc7643"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

RESOURCES = [
    ("rfc7643-8.1-minimal-user.json", "User", scimcore.User),
    ("rfc7643-8.2-full-user.json", "User", scimcore.User),
    ("rfc7643-8.3-enterprise-user.json", "User", scimcore.User),
    ("rfc7643-8.4-group.json", "Group", scimcore.Group),
    ("rfc7643-8.5-service-provider-config.json", "ServiceProviderConfig", scimcore.ServiceProviderConfig),
]


def load(name: str):
    return json.loads((CORPUS / name).read_text("utf-8"))


def without_empty(value):
    """``value`` with ``[]`` members removed at every level: unassigned per RFC 7643 §2.5."""
    if isinstance(value, dict):
        return {k: without_empty(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [without_empty(v) for v in value]
    return value


def without_never(document: dict) -> dict:
    """What encode must write: the document minus ``returned: never`` attributes (password)."""
    return {k: v for k, v in document.items() if k != "password"}


@pytest.mark.parametrize("name,resource_type,struct", RESOURCES)
def test_round_trip_from_bytes(name, resource_type, struct):
    raw = (CORPUS / name).read_bytes()
    obj = scimcore.decode(raw, resource_type=resource_type)
    assert type(obj) is struct
    assert json.loads(scimcore.encode(obj)) == without_never(load(name))


@pytest.mark.parametrize("name,resource_type,struct", RESOURCES)
def test_round_trip_from_dict_and_normalize(name, resource_type, struct):
    document = load(name)
    obj = scimcore.decode(document, resource_type=resource_type)
    assert type(obj) is struct
    assert scimcore.normalize(document, resource_type=resource_type) == document
    assert json.loads(scimcore.encode(obj)) == without_never(document)


@pytest.mark.parametrize("name,resource_type,struct", RESOURCES[:4])
def test_other_case_names_decode_to_the_same_struct(name, resource_type, struct):
    """Attribute names are case-insensitive (RFC 7643 §2.1): the general path gives the direct path's Struct."""
    document = load(name)
    shouted = {key.upper() if not key.startswith("urn:") else key.lower(): value for key, value in document.items()}
    assert scimcore.decode(shouted, resource_type=resource_type) == scimcore.decode(
        document, resource_type=resource_type
    )
    assert scimcore.normalize(shouted, resource_type=resource_type) == document


def test_full_user_fields():
    user = scimcore.decode((CORPUS / "rfc7643-8.2-full-user.json").read_bytes())
    assert user.user_name == "bjensen@example.com"
    assert user.name.given_name == "Barbara"
    assert [e.value for e in user.emails if e.primary] == ["bjensen@example.com"]
    assert {a.country for a in user.addresses} == {"US"}  # errata EIDs 5990/5991
    assert user.groups[0].ref.endswith("e9e30dba-f08f-4109-8486-d5c6a331660a")
    assert user.meta.created.isoformat() == "2010-01-23T04:56:22+00:00"
    assert user.password == "t1meMa$heen"  # kept for the server; encode never writes it
    assert b"password" not in scimcore.encode(user)
    assert b"t1meMa$heen" not in scimcore.encode(user)


def test_enterprise_user_extension_field():
    user = scimcore.decode((CORPUS / "rfc7643-8.3-enterprise-user.json").read_bytes())
    assert isinstance(user.enterprise_user, scimcore.EnterpriseUser)
    assert user.enterprise_user.manager.display_name == "John Smith"
    assert user.enterprise_user.manager.ref == "../Users/26118915-6090-4610-87e4-49d8ca9f808d"
    assert ENTERPRISE in user.schemas
    assert json.loads(scimcore.encode(user))[ENTERPRISE]["costCenter"] == "4130"


def test_resource_types_example():
    for document in load("rfc7643-8.6-resource-types.json"):
        rt = scimcore.decode(document, resource_type="ResourceType")
        assert isinstance(rt, scimcore.ResourceType)
        assert json.loads(scimcore.encode(rt)) == document
    user_rt = scimcore.decode(load("rfc7643-8.6-resource-types.json")[0], resource_type="ResourceType")
    assert user_rt.schema_extensions[0].required is True


SCHEMA_DOCUMENTS = [
    (name, i)
    for name, count in [("rfc7643-8.7.1-resource-schemas.json", 3), ("rfc7643-8.7.2-service-provider-schemas.json", 2)]
    for i in range(count)
]


@pytest.mark.parametrize("name,index", SCHEMA_DOCUMENTS)
def test_schema_examples(name, index):
    document = load(name)[index]
    schema = scimcore.decode(document, resource_type="Schema")
    assert isinstance(schema, scimcore.Schema)
    assert all(isinstance(a, Attribute) for a in schema.attributes)
    # "canonicalValues": [] (roles.type, x509Certificates.type) is unassigned (RFC 7643 §2.5): dropped
    assert json.loads(scimcore.encode(schema)) == without_empty(document)


def test_schema_for_schema_is_the_exception():
    """The Schema schema describes its own ``attributes.subAttributes`` with sub-attributes of its own, the one
    nesting RFC 7643 §7 allows, which the Schema schema cannot describe: a clean invalidValue, not a crash."""
    document = load("rfc7643-8.7.2-service-provider-schemas.json")[2]
    assert document["id"] == "urn:ietf:params:scim:schemas:core:2.0:Schema"
    with pytest.raises(scimcore.InvalidValue, match="subAttributes"):
        scimcore.decode(document, resource_type="Schema")
    assert msgspec.convert(document, scimcore.Schema).attributes[3].sub_attributes[-1].sub_attributes


def test_schema_struct_registers_and_keeps_characteristics():
    published = load("rfc7643-8.7.1-resource-schemas.json")[0]
    schema = msgspec.convert(published, scimcore.Schema)
    registry = scimcore.SchemaRegistry()
    definition = registry.register_schema(schema)
    assert definition.attribute("USERNAME").uniqueness == "server"
    assert definition.attribute("emails").sub("type").canonical_values == ("work", "home", "other")
    assert isinstance(schema.attributes[1].sub_attributes[0], SubAttribute)
