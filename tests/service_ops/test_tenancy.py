"""Tenants (issue 17): every endpoint tried from one tenant on another's resources (Bulk, root ``/.search``,
cursors, ETags included) never reads or changes them; the principal or the path prefix names the tenant."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

import scimcore
from scimcore.service.tenancy import TenantService, routed_principal, tenant_secret

from .edge import assert_scim_error, call_asgi, call_wsgi

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
MASTER = b"a master secret for the test, 32b"
TOKENS = {"token-a": "a", "token-b": "b"}
JSON = {"Content-Type": "application/scim+json"}


def _build(tenant: str) -> scimcore.Service | None:
    if tenant not in ("a", "b"):
        return None
    return scimcore.Service(
        {"User": scimcore.Directory("User"), "Group": scimcore.Directory("Group")},
        base_url=f"https://example.com/{tenant}/scim/v2",
        authenticate=routed_principal,
        cursor_secret=tenant_secret(MASTER, tenant),
    )


def _by_principal() -> TenantService:
    return TenantService(_build, authenticate=scimcore.bearer_token(TOKENS), tenant_of=lambda principal: principal)


def _by_path() -> TenantService:
    return TenantService(_build, path_prefix=True, authenticate=scimcore.bearer_token(TOKENS), tenant_of=str)


class Caller:
    def __init__(self, tenants: TenantService, token: str, prefix: str = "") -> None:
        self.tenants, self.token, self.prefix = tenants, token, prefix

    def __call__(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, dict[str, str], Any]:
        sent = {"Authorization": f"Bearer {self.token}", **JSON, **{k.replace("_", "-"): v for k, v in headers.items()}}
        raw = b"" if body is None else msgspec.json.encode(body)
        response = self.tenants.handle(method, self.prefix + path, sent, raw)
        document = msgspec.json.decode(response.body) if response.body else None
        if response.status >= 400:
            assert_scim_error(response.status, response.body)
        return response.status, {k.lower(): v for k, v in response.headers}, document


def _attack(a: Caller, b: Caller) -> None:
    status, _, alice = a("POST", "/Users", {"schemas": [USER], "userName": "alice", "externalId": "ext-a"})
    assert status == 201
    a("POST", "/Users", {"schemas": [USER], "userName": "alice2"})
    status, _, group = a(
        "POST", "/Groups", {"schemas": [GROUP], "displayName": "admins", "members": [{"value": alice["id"]}]}
    )
    assert status == 201
    uid, gid = alice["id"], group["id"]
    etag = a("GET", f"/Users/{uid}")[1]["etag"]  # after the group named alice (her groups changed)
    before = {path: a("GET", path)[2] for path in (f"/Users/{uid}", f"/Groups/{gid}")}
    replace = {"schemas": [USER], "userName": "mallory"}
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"userName": "mallory"}}],
    }

    # direct reads and writes, with and without the victim's ETag
    for headers_sent in ({}, {"If_Match": etag}, {"If_None_Match": etag}, {"If_Match": "*"}):
        assert b("GET", f"/Users/{uid}", **headers_sent)[0] == 404
        assert b("PUT", f"/Users/{uid}", replace, **headers_sent)[0] == 404
        assert b("PATCH", f"/Users/{uid}", patch, **headers_sent)[0] == 404
        assert b("PATCH", f"/Groups/{gid}", patch, **headers_sent)[0] == 404
        assert b("DELETE", f"/Users/{uid}", **headers_sent)[0] == 404
        assert b("DELETE", f"/Groups/{gid}", **headers_sent)[0] == 404
    # searches: by type, POST .search, root .search, by id, by externalId
    for query in (f'id eq "{uid}"', 'userName sw "alice"', 'externalId eq "ext-a"', f'groups.value eq "{gid}"'):
        assert b("GET", f"/Users?filter={query}")[2]["totalResults"] == 0
        search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": query}
        assert b("POST", "/Users/.search", search)[2]["totalResults"] == 0
        assert b("POST", "/.search", search)[2]["totalResults"] == 0
    for query in (f'id eq "{gid}"', 'displayName eq "admins"', f'members.value eq "{uid}"'):
        assert b("GET", f"/Groups?filter={query}")[2]["totalResults"] == 0
    assert b("GET", "/Users")[2]["totalResults"] == 0
    # a cursor issued to tenant a is not valid at tenant b
    status, _, page = a("GET", "/Users?cursor=&count=1")
    assert status == 200 and "nextCursor" in page
    status, _, error = b("GET", f"/Users?cursor={page['nextCursor']}&count=1")
    assert status == 400 and error["scimType"] == "invalidCursor"
    # Bulk: every write on a's ids, and a group of b naming a's user
    bulk = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "PUT", "path": f"/Users/{uid}", "data": replace},
            {"method": "PATCH", "path": f"/Users/{uid}", "data": patch, "version": etag},
            {"method": "DELETE", "path": f"/Users/{uid}"},
            {"method": "DELETE", "path": f"/Groups/{gid}"},
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g",
                "data": {"schemas": [GROUP], "displayName": "stolen", "members": [{"value": uid}]},
            },
        ],
    }
    status, _, result = b("POST", "/Bulk", bulk)
    assert status == 200
    assert [op["status"] for op in result["Operations"]][:4] == ["404", "404", "404", "404"]
    assert result["Operations"][4]["status"].startswith("4")
    # nothing of a changed; b still holds nothing
    assert {path: a("GET", path)[2] for path in before} == before
    assert a("GET", f"/Users/{uid}")[1]["etag"] == etag
    assert b("GET", "/Users")[2]["totalResults"] == 0 and b("GET", "/Groups")[2]["totalResults"] == 0


def test_tenant_from_the_principal() -> None:
    tenants = _by_principal()
    _attack(Caller(tenants, "token-a"), Caller(tenants, "token-b"))


def test_tenant_from_the_path_prefix() -> None:
    tenants = _by_path()
    _attack(Caller(tenants, "token-a", "/a"), Caller(tenants, "token-b", "/b"))
    # b's token on a's path is answered as a tenant that does not exist
    intruder = Caller(tenants, "token-b", "/a")
    assert intruder("GET", "/Users")[0] == 404
    assert intruder("POST", "/Users", {"schemas": [USER], "userName": "x"})[0] == 404
    assert Caller(tenants, "token-b", "/nobody")("GET", "/Users")[0] == 404
    assert Caller(tenants, "token-a", "/a")("GET", "/Users")[2]["totalResults"] == 2


@pytest.mark.parametrize(
    "target", ["/b/../a/Users", "/a%2F..%2Fb/Users", "/%2e%2e/a/Users", "/b/%2e%2e/a/Users", "/b//a/Users", "/A/Users"]
)
def test_path_tricks_never_cross_tenants(target: str) -> None:
    tenants = _by_path()
    a = Caller(tenants, "token-a", "/a")
    assert a("POST", "/Users", {"schemas": [USER], "userName": "alice"})[0] == 201
    response = tenants.handle("GET", target, {"Authorization": "Bearer token-b"})
    assert_scim_error(response.status, response.body, 404)


def test_authentication_comes_first() -> None:
    tenants = _by_principal()
    response = tenants.handle("GET", "/Users", {"Authorization": "Bearer wrong"})
    assert_scim_error(response.status, response.body, 401)
    assert response.header("WWW-Authenticate") == 'Bearer realm="SCIM"'
    assert tenants.handle("GET", "/Users", {}).status == 401


def test_the_adapters_serve_a_tenant_service() -> None:
    tenants = _by_path()
    auth = [("Authorization", "Bearer token-a")]
    status, headers, _ = call_wsgi(
        scimcore.wsgi_app(tenants),
        "POST",
        "/a/Users",
        headers=auth,
        body=msgspec.json.encode({"schemas": [USER], "userName": "alice"}),
    )
    assert status == 201 and headers["location"].startswith("https://example.com/a/scim/v2/Users/")
    status, _, body, _ = call_asgi(scimcore.asgi_app(tenants), "GET", "/a/Users", headers=auth)
    assert status == 200 and msgspec.json.decode(body)["totalResults"] == 1
    status, _, body, _ = call_asgi(scimcore.asgi_app(tenants), "GET", "/b/Users", headers=auth)
    assert_scim_error(status, body, 404)
