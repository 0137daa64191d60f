"""The shared store front (``scimcore.store.front``) beyond the contract suite: immutable attributes, ``reveal``,
``meta.location``, If-Match parsing, imports, in every store scimcore ships (PostgreSQL when
``SCIMCORE_PG_DSN`` is set)."""

from __future__ import annotations

import os
import uuid

import pytest

import scimcore
from scimcore.store.front import etag_matches
from scimcore.store.native import native_module

BADGE_URN = "urn:example:params:scim:schemas:extension:badge:2.0:User"
STORES = ["python", "native", "sqlite", "postgresql"]


def _registry():
    registry = scimcore.SchemaRegistry.default()
    registry.register_schema(
        {
            "id": BADGE_URN,
            "name": "Badge",
            "attributes": [
                {"name": "badge", "type": "string", "mutability": "immutable"},
                {"name": "issuer", "type": "string", "mutability": "readOnly"},
            ],
        }
    )
    registry.register_extension("User", BADGE_URN)
    return registry


@pytest.fixture(params=STORES)
def make(request, tmp_path):
    kind = request.param
    opened = []

    def make(**options):
        if kind in ("python", "native"):
            if kind == "native" and native_module() is None:
                pytest.skip("scimcore._native is not built here")
            return scimcore.Directory("User", backend=kind, **options)
        if kind == "sqlite":
            return scimcore.SqlDirectory(str(tmp_path / f"{uuid.uuid4().hex}.db"), "User", **options)
        dsn = os.environ.get("SCIMCORE_PG_DSN")
        if not dsn:
            if os.environ.get("CI"):
                pytest.fail("CI is set but SCIMCORE_PG_DSN is not")
            pytest.skip("no PostgreSQL server (SCIMCORE_PG_DSN)")
        import psycopg

        store = scimcore.SqlDirectory(psycopg.connect(dsn), "User", table=f"t_{uuid.uuid4().hex[:16]}", **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.connection.rollback()
        store.connection.execute(f"DROP TABLE IF EXISTS {store.table}")
        store.connection.commit()
        store.connection.close()


def test_immutable_attributes_keep_their_value(make):
    store = make(registry=_registry())
    created = store.add({"userName": "u", BADGE_URN: {"badge": "B-7", "issuer": "me"}})
    assert created[BADGE_URN] == {"badge": "B-7"}  # readOnly extension input is ignored
    rid = created["id"]
    kept = store.replace(rid, {"userName": "u2"})  # omitted: kept
    assert kept[BADGE_URN] == {"badge": "B-7"} and kept["userName"] == "u2"
    same = store.replace(rid, {"userName": "u3", BADGE_URN: {"badge": "B-7"}})  # sent unchanged: fine
    assert same[BADGE_URN] == {"badge": "B-7"}
    with pytest.raises(scimcore.Mutability) as info:
        store.replace(rid, {"userName": "u4", BADGE_URN: {"badge": "B-8"}})
    assert info.value.status == 400 and info.value.detail == "badge is immutable: it cannot be changed once set"
    assert store.get(rid)["userName"] == "u3"


def test_reveal_is_the_only_way_to_read_a_secret(make):
    store = make()
    created = store.add({"userName": "u", "password": "hunter2"})
    assert "password" not in created and "password" not in store.get(created["id"], attributes="password")
    assert store.get(created["id"], reveal=["password"])["password"] == "hunter2"
    with pytest.raises(scimcore.InvalidValue):
        store.get(created["id"], reveal=["nosuch"])


def test_location_comes_from_the_base_url(make):
    store = make(base_url="https://example.com/scim/v2/")
    created = store.add({"userName": "u", "meta": {"location": "https://evil.example/x"}})
    assert created["meta"]["location"] == f"https://example.com/scim/v2/Users/{created['id']}"
    replaced = store.replace(created["id"], {"userName": "v", "meta": {"location": "https://evil.example/y"}})
    assert replaced["meta"]["location"] == created["meta"]["location"]
    assert "location" not in make().add({"userName": "w"})["meta"]


def test_if_match_header_values():
    assert etag_matches(None, 'W/"a"') and etag_matches("*", 'W/"a"')
    assert etag_matches('W/"a"', 'W/"a"') and etag_matches('"a"', 'W/"a"')  # weak comparison
    assert etag_matches('W/"x", W/"a"', 'W/"a"') and etag_matches(['W/"x"', 'W/"a"'], 'W/"a"')
    assert etag_matches('W/"a,b"', 'W/"a,b"') and not etag_matches('W/"a,b"', 'W/"a"')  # commas inside quotes
    assert not etag_matches('W/"b"', 'W/"a"') and not etag_matches([], 'W/"a"')
    with pytest.raises(scimcore.InvalidValue):
        etag_matches(7, 'W/"a"')  # type: ignore[arg-type]


def test_import_keeps_ids_meta_and_secrets(make):
    store = make()
    meta = {"resourceType": "User", "created": "2020-01-01T00:00:00Z", "lastModified": "2021-01-01T00:00:00Z"}
    line = b'{"id": "u1", "userName": "u", "password": "p", "meta": {"resourceType": "User", "version": "W/\\"v1\\""}}'
    assert store.load([{"id": "u0", "userName": "z", "meta": {**meta, "version": 'W/"v0"'}}]) == 1
    assert store.load_ndjson(line + b"\n" + b'{"userName": "fresh"}\n') == 2
    imported = store.get("u0")
    assert imported["meta"] == {**meta, "version": 'W/"v0"'}
    u1 = store.get("u1", reveal=["password"])
    assert u1["password"] == "p" and u1["meta"]["version"] == 'W/"v1"' and u1["meta"]["created"]
    store.replace("u1", {"userName": "u"}, version='W/"v1"')  # the imported ETag is the current version
    with pytest.raises(scimcore.InvalidValue):
        store.load([{"userName": "x"}], complete_meta=False)  # stored as given needs an id
    assert len(store) == 3


def test_encode_leaves_secrets_out_of_resource_dicts(make):
    """A resource dict names its type (``meta.resourceType`` or ``schemas``), so ``encode`` drops ``password``
    even from what ``reveal`` returned, without ``resource_type=``."""
    store = make()
    created = store.add({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "password": "p"})
    revealed = store.get(created["id"], reveal=["password"])
    assert revealed["password"] == "p" and b'"password"' not in scimcore.encode(revealed)
    by_schemas = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "password": "p"}
    assert b'"password"' not in scimcore.encode(by_schemas)
    assert b'"password"' in scimcore.encode({"password": "p"})  # names no type: written as is


def test_a_write_renews_what_an_import_left_out(make):
    """A resource stored exactly as given (no ``meta``; a ``Directory`` even takes a broken one) gets the store's
    ``meta`` on its first write."""
    store = make(base_url="https://example.com/scim/v2")
    broken = {"meta": "junk"} if isinstance(store, scimcore.Directory) else {}
    store.load([{"id": "x", "userName": "u", **broken}], complete_meta=False)
    replaced = store.replace("x", {"userName": "v"})
    assert replaced["meta"]["version"].startswith('W/"') and replaced["meta"]["lastModified"]
    assert replaced["meta"]["resourceType"] == "User"
    assert replaced["meta"]["location"] == "https://example.com/scim/v2/Users/x"
