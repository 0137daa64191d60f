"""Authentication and the caller (RFC 7644 §2, §3.11; RFC 6750): 401s, several tokens, principals, /Me."""

from __future__ import annotations

from typing import Any

import pytest

import scimcore
from scimcore.service import Request

from .service_helpers import BASE, Client


def _service(**options: Any) -> scimcore.Service:
    options.setdefault("base_url", BASE)
    return scimcore.Service({"User": scimcore.Directory("User"), "Group": scimcore.Directory("Group")}, **options)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2VjcmV0"}, {"Authorization": "Bearer"}],
)
def test_no_or_wrong_credentials_are_401_with_www_authenticate(headers: dict[str, str]) -> None:
    client = Client(_service(authenticate=scimcore.bearer_token("secret")), headers)
    for target in ("/Users", "/ServiceProviderConfig", "/Nope", "/Users/some-id"):
        status, found, body = client.get(target)
        assert status == 401, target
        assert found["www-authenticate"].startswith("Bearer")
        assert "scimType" not in body


def test_every_token_is_accepted_for_rotation_and_in_any_scheme_case() -> None:
    service = _service(authenticate=scimcore.bearer_token("old-token", "new-token"))
    for header in ("Bearer old-token", "Bearer new-token", "bearer  new-token "):
        assert Client(service, {"Authorization": header}).get("/Users")[0] == 200, header


def test_the_principal_chooses_the_policy() -> None:
    seen: list[Any] = []

    def choose(request: Request) -> scimcore.Policy:
        seen.append(request.principal)
        return scimcore.Policy.ENTRA if request.principal == "entra" else scimcore.Policy()

    service = _service(authenticate=scimcore.bearer_token({"t-entra": "entra", "t-okta": "okta"}), policy=choose)
    entra = Client(service, {"Authorization": "Bearer t-entra"})
    okta = Client(service, {"Authorization": "Bearer t-okta"})
    user = entra.user("manager-quirk")
    # Entra sends the enterprise manager as a bare string (PEERS §8.1 E9): only Policy.ENTRA takes it
    op = {
        "op": "Add",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": "271",
    }
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]}
    assert okta.patch(f"/Users/{user['id']}", body)[0] == 400
    status, _, patched = entra.patch(f"/Users/{user['id']}", body)
    assert status == 200, patched
    assert patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"] == {"value": "271"}
    assert "entra" in seen and "okta" in seen


def test_public_discovery_serves_discovery_without_credentials_and_nothing_else() -> None:
    client = Client(_service(authenticate=scimcore.bearer_token("secret"), public_discovery=True))
    assert client.get("/ServiceProviderConfig")[0] == 200
    assert client.get("/Schemas")[0] == 200
    assert client.get("/Users")[0] == 401


def test_a_custom_hook_may_refuse_with_its_own_error() -> None:
    def authenticate(request: Request) -> Any:
        if request.headers.get("x-tenant") == "banned":
            raise scimcore.ScimError("this tenant is suspended", status=403)
        return request.headers.get("x-tenant")

    client = Client(_service(authenticate=authenticate))
    assert client.get("/Users", headers={"X-Tenant": "banned"})[0] == 403
    assert client.get("/Users")[0] == 401
    assert client.get("/Users", headers={"X-Tenant": "acme"})[0] == 200


def test_bearer_token_refuses_bad_configuration() -> None:
    with pytest.raises(ValueError):
        scimcore.bearer_token()
    with pytest.raises(ValueError):
        scimcore.bearer_token("")
    with pytest.raises(ValueError):
        scimcore.bearer_token(" padded ")
    with pytest.raises(ValueError):
        scimcore.bearer_token({"token": None})


def test_me_is_501_without_a_mapping(memory_client: Client) -> None:
    status, _, _body = memory_client.get("/Me")
    assert status == 501


def test_me_acts_on_the_callers_resource_with_its_real_location() -> None:
    ids: dict[str, str] = {}
    service = _service(
        authenticate=scimcore.bearer_token({"t-ann": "ann"}),
        me=lambda request: ("User", ids[request.principal]) if request.principal in ids else None,
    )
    client = Client(service, {"Authorization": "Bearer t-ann"})
    ann = client.user("ann")
    assert client.get("/Me")[0] == 404  # not mapped yet
    ids["ann"] = ann["id"]
    status, headers, body = client.get("/Me")
    assert status == 200 and body["id"] == ann["id"]
    assert headers["location"] == f"{BASE}/Users/{ann['id']}"
    status, headers, body = client.put("/Me", {"userName": "ann", "displayName": "Ann"})
    assert status == 200 and body["displayName"] == "Ann"
    assert headers["location"] == f"{BASE}/Users/{ann['id']}"
    assert client.post("/Me", {"userName": "x"})[0] == 405


def test_strict_policy_refuses_schemas_inside_an_extension_value() -> None:
    client = Client(_service(policy=scimcore.Policy.STRICT))
    user = client.user("strict")
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": urn, "value": {"schemas": [urn], "employeeNumber": "1"}}],
    }
    status, _, error = client.patch(f"/Users/{user['id']}", body)
    assert (status, error["scimType"]) == (400, "invalidPath")


def test_the_principal_reaches_a_servers_own_store() -> None:
    from scimcore.service import current_request

    class TenantStore:
        """A server's adapter: one Directory per tenant, chosen by the caller."""

        resource_type = "User"
        max_results = 1000

        def __init__(self) -> None:
            self.tenants: dict[str, scimcore.Directory] = {}

        def _store(self) -> scimcore.Directory:
            request = current_request()
            assert request is not None
            return self.tenants.setdefault(request.principal, scimcore.Directory("User"))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store(), name)

        def __len__(self) -> int:
            return len(self._store())

    service = scimcore.Service(
        {"User": TenantStore()},  # type: ignore[dict-item]
        base_url=BASE,
        authenticate=scimcore.bearer_token({"t-acme": "acme", "t-globex": "globex"}),
    )
    acme = Client(service, {"Authorization": "Bearer t-acme"})
    globex = Client(service, {"Authorization": "Bearer t-globex"})
    acme.user("wile")
    assert acme.get("/Users")[2]["totalResults"] == 1
    assert globex.get("/Users")[2]["totalResults"] == 0
    assert current_request() is None
