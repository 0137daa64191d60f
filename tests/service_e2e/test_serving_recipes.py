"""docs/serving.md, executed: each recipe's code block is run as written there and exercised with the
framework's own test client (Starlette's TestClient for FastAPI and Starlette, Flask's test_client, Django's
test Client with settings configured here), so the documentation cannot drift from what works.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "serving.md"
RECIPE = re.compile(r"<!-- recipe: ([\w-]+) -->\n```python\n(.*?)```", re.DOTALL)
TOKEN = "recipe-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com"}
SCIM_JSON = {"Content-Type": "application/scim+json"}


def recipes() -> dict[str, str]:
    return dict(RECIPE.findall(DOC.read_text("utf-8")))


def run_recipe(name: str, monkeypatch: pytest.MonkeyPatch, module_name: str | None = None) -> dict[str, Any]:
    """Execute the recipe ``name`` from docs/serving.md; its namespace (as an importable module if named)."""
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    monkeypatch.setenv("ENTRA_TOKEN", "entra-token")
    monkeypatch.setenv("OKTA_TOKEN", "okta-token")
    module = types.ModuleType(module_name or f"serving_recipe_{name}")
    module.__file__ = str(DOC)
    if module_name:
        monkeypatch.setitem(sys.modules, module_name, module)
    exec(compile(recipes()[name], f"{DOC}:{name}", "exec"), module.__dict__)  # the doc's code, as written there
    return module.__dict__


def test_the_doc_has_every_recipe() -> None:
    assert set(recipes()) == {"service", "policy", "fastapi", "starlette", "flask", "django", "scim2-tester"}


def exercise(client: Any, json_of: Any = lambda reply: reply.json()) -> None:
    """The same conversation through any framework's test client (``client.get/post/delete``)."""
    config = client.get("/scim/v2/ServiceProviderConfig", headers=AUTH)
    assert config.status_code == 200
    assert config.headers["Content-Type"].startswith("application/scim+json")
    refused = client.get("/scim/v2/Users")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].lower().startswith("bearer")
    created = client.post("/scim/v2/Users", headers={**AUTH, **SCIM_JSON}, data=_json(USER))
    assert created.status_code == 201, created.data if hasattr(created, "data") else created.content
    user = json_of(created)
    assert created.headers["Location"] == f"https://app.example.com/scim/v2/Users/{user['id']}"
    found = client.get('/scim/v2/Users?filter=userName eq "ada@example.com"', headers=AUTH)
    assert found.status_code == 200 and json_of(found)["Resources"][0]["id"] == user["id"]
    deleted = client.delete(f"/scim/v2/Users/{user['id']}", headers=AUTH)
    assert deleted.status_code == 204
    assert client.get(f"/scim/v2/Users/{user['id']}", headers=AUTH).status_code == 404


def _json(document: Any) -> bytes:
    import json

    return json.dumps(document).encode()


def test_service_recipe(monkeypatch) -> None:
    namespace = run_recipe("service", monkeypatch)
    response = namespace["response"]
    assert response.status == 200
    assert ("Content-Type", "application/scim+json") in response.headers and response.body.startswith(b"{")


def test_scim2_tester_recipe(monkeypatch, capsys) -> None:
    namespace = run_recipe("scim2-tester", monkeypatch)
    results = namespace["results"]
    assert len(results) > 100 and "SUCCESS" in capsys.readouterr().out


def test_policy_recipe(monkeypatch) -> None:
    import scimcore

    namespace = run_recipe("policy", monkeypatch)
    service, choose = namespace["service"], namespace["policy_for"]
    assert choose(types.SimpleNamespace(principal="entra")) is scimcore.Policy.ENTRA
    assert choose(types.SimpleNamespace(principal="okta")) == scimcore.Policy()
    group = service.handle(
        "POST",
        "/Groups",
        [("Authorization", "Bearer entra-token"), ("Content-Type", "application/scim+json")],
        b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G"}',
    )
    assert group.status == 201
    gid = __import__("json").loads(group.body)["id"]
    # Entra's remove-members-by-value is accepted with the Entra token only (Policy.ENTRA: remove_by_value)
    remove = (
        b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": '
        b'[{"op": "Remove", "path": "members", "value": [{"value": "nobody"}]}]}'
    )
    headers = [("Content-Type", "application/scim+json")]
    okta = service.handle("PATCH", f"/Groups/{gid}", [("Authorization", "Bearer okta-token"), *headers], remove)
    entra = service.handle("PATCH", f"/Groups/{gid}", [("Authorization", "Bearer entra-token"), *headers], remove)
    assert okta.status == 400 and entra.status in (200, 204), (okta.body, entra.body)


@pytest.mark.parametrize("framework", ["fastapi", "starlette"])
def test_asgi_recipes(framework: str, monkeypatch) -> None:
    from starlette.testclient import TestClient

    namespace = run_recipe(framework, monkeypatch)
    with TestClient(namespace["app"], base_url="https://app.example.com") as client:
        exercise(_Httpx(client))
        if framework == "fastapi":
            assert client.get("/health").json() == {"ok": True}


def test_fastapi_recipe_through_httpx_asgi_transport(monkeypatch) -> None:
    import asyncio

    import httpx

    namespace = run_recipe("fastapi", monkeypatch)

    async def conversation() -> None:
        transport = httpx.ASGITransport(app=namespace["app"])
        async with httpx.AsyncClient(transport=transport, base_url="https://app.example.com") as client:
            reply = await client.post("/scim/v2/Users", headers={**AUTH, **SCIM_JSON}, content=_json(USER))
            assert reply.status_code == 201
            assert reply.headers["Location"].startswith("https://app.example.com/scim/v2/Users/")

    asyncio.run(conversation())


class _Httpx:
    """Starlette's TestClient (httpx) with the ``data=bytes`` spelling the other clients use."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, **kwargs)

    def post(self, url: str, data: bytes, **kwargs: Any) -> Any:
        return self.client.post(url, content=data, **kwargs)


def test_flask_recipe(monkeypatch) -> None:
    namespace = run_recipe("flask", monkeypatch)
    client = namespace["app"].test_client()
    exercise(_Flask(client), json_of=lambda reply: reply.get_json(force=True))
    assert client.get("/health").get_json() == {"ok": True}


class _Flask:
    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        path, _, query = url.partition("?")
        return self.client.get(path, query_string=query, base_url="https://app.example.com", **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, base_url="https://app.example.com", **kwargs)

    def post(self, url: str, data: bytes, **kwargs: Any) -> Any:
        return self.client.post(url, data=data, base_url="https://app.example.com", **kwargs)


def test_django_recipe(monkeypatch) -> None:
    import django
    from django.conf import settings

    run_recipe("django", monkeypatch, module_name="scimcore_serving_recipe_urls")
    if not settings.configured:
        settings.configure(
            ROOT_URLCONF="scimcore_serving_recipe_urls",
            ALLOWED_HOSTS=["app.example.com", "testserver"],
            MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
            SECRET_KEY="not-secret-test-only",
        )
        django.setup()
    from django.test import Client
    from django.test.utils import override_settings

    with override_settings(ROOT_URLCONF="scimcore_serving_recipe_urls"):
        from django.urls import clear_url_caches

        clear_url_caches()
        client = Client(HTTP_HOST="app.example.com", enforce_csrf_checks=True)
        exercise(_Django(client), json_of=lambda reply: __import__("json").loads(reply.content))
        assert client.get("/elsewhere").status_code == 404


class _Django:
    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        path, _, query = url.partition("?")
        return self.client.generic("GET", path + ("?" + query if query else ""), headers=headers or {}, secure=True)

    def delete(self, url: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(url, headers=headers or {}, secure=True)

    def post(self, url: str, data: bytes, headers: dict[str, str]) -> Any:
        content_type = headers.get("Content-Type", "application/octet-stream")
        rest = {k: v for k, v in headers.items() if k != "Content-Type"}
        return self.client.post(url, data=data, content_type=content_type, headers=rest, secure=True)


def test_the_serve_options_the_doc_names_exist(capsys) -> None:
    from scimcore.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    command = re.search(r"```\nscimcore serve (.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    assert command is not None
    named = set(re.findall(r"--[a-z-]+", command.group(1) + " --store --token --help"))
    assert named and all(option in usage for option in named), named - set(re.findall(r"--[a-z-]+", usage))
    assert "entra" in usage and "memory" in usage
