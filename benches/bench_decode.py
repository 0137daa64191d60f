"""Decoding 10,000 User documents: ``scimcore.decode`` against a bare ``msgspec.json.Decoder`` of a plain Struct.

The baseline decodes the same bytes into a Struct with the same fields and no SCIM checks; scimcore must stay
within 3x of it (issue 3). Both are timed in the same run, interleaved, best of several rounds (``timing.py``);
2,000 documents in the short mode, 10,000 in the full one.
"""

from __future__ import annotations

import json

import msgspec
import pytest

import scimcore
from timing import ratio, require, size

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RATIO = 3.0
DOCUMENTS = size(2_000, 10_000)


class PlainName(msgspec.Struct, rename="camel"):
    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class PlainValue(msgspec.Struct):
    value: str | None = None
    type: str | None = None
    primary: bool | None = None


class PlainAddress(msgspec.Struct, rename="camel"):
    street_address: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    country: str | None = None
    type: str | None = None


class PlainManager(msgspec.Struct):
    value: str | None = None


class PlainEnterprise(msgspec.Struct, rename="camel"):
    employee_number: str | None = None
    department: str | None = None
    manager: PlainManager | None = None


class PlainMeta(msgspec.Struct, rename="camel"):
    resource_type: str | None = None
    created: str | None = None
    last_modified: str | None = None
    version: str | None = None


class PlainUser(msgspec.Struct, rename="camel"):
    schemas: list[str]
    id: str | None = None
    external_id: str | None = None
    user_name: str | None = None
    name: PlainName | None = None
    display_name: str | None = None
    title: str | None = None
    active: bool | None = None
    emails: list[PlainValue] | None = None
    phone_numbers: list[PlainValue] | None = None
    addresses: list[PlainAddress] | None = None
    enterprise: PlainEnterprise | None = msgspec.field(default=None, name=ENTERPRISE)
    meta: PlainMeta | None = None


def user_documents(count: int) -> list[bytes]:
    """``count`` distinct, realistic User documents as JSON bytes."""
    documents = []
    for i in range(count):
        doc = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "id": f"{i:08x}-7f76-453a-919d-413861904646",
            "externalId": str(700000 + i),
            "userName": f"user{i}@example.com",
            "name": {"formatted": f"User {i} Jensen", "familyName": "Jensen", "givenName": f"User{i}"},
            "displayName": f"User {i}",
            "title": ["Tour Guide", "Engineer", "Manager"][i % 3],
            "active": i % 7 != 0,
            "emails": [
                {"value": f"user{i}@example.com", "type": "work", "primary": True},
                {"value": f"user{i}@home.example.org", "type": "home"},
            ],
            "phoneNumbers": [{"value": f"555-555-{i % 10000:04d}", "type": "mobile"}],
            "addresses": [
                {
                    "streetAddress": f"{i} Main St",
                    "locality": "Hollywood",
                    "postalCode": "91608",
                    "country": "US",
                    "type": "work",
                }
            ],
            ENTERPRISE: {
                "employeeNumber": str(i),
                "department": "Tour Operations",
                "manager": {"value": f"{i // 10:08x}-6090-4610-87e4-49d8ca9f808d"},
            },
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z",
                "version": f'W/"{i:x}"',
            },
        }
        documents.append(json.dumps(doc).encode())
    return documents


def test_decode_within_3x_of_bare_msgspec():
    documents = user_documents(DOCUMENTS)
    bare = msgspec.json.Decoder(PlainUser).decode
    registry = scimcore.SchemaRegistry.default()

    def run_bare():
        for doc in documents:
            bare(doc)

    def run_scimcore():
        for doc in documents:
            scimcore.decode(doc, resource_type="User", registry=registry)

    decoded = [scimcore.decode(doc, registry=registry) for doc in documents[:50]]
    assert all(isinstance(u, scimcore.User) and u.enterprise_user.department == "Tour Operations" for u in decoded)
    run_bare(), run_scimcore()  # warm up: plans and decoders are built once
    require(
        f"decode vs bare msgspec, {DOCUMENTS:,} Users",
        lambda: ratio(run_scimcore, run_bare, rounds=9),
        at_most=MAX_RATIO,
    )


@pytest.fixture(scope="module")
def documents():
    return user_documents(1000)


def test_bench_decode_scimcore(benchmark, documents):
    registry = scimcore.SchemaRegistry.default()
    benchmark(lambda: [scimcore.decode(doc, registry=registry) for doc in documents])


def test_bench_decode_bare_msgspec(benchmark, documents):
    bare = msgspec.json.Decoder(PlainUser).decode
    benchmark(lambda: [bare(doc) for doc in documents])
