"""Helpers of the protocol layer's unit tests: the base URL and a small client over ``Service.handle``."""

from __future__ import annotations

from typing import Any

import msgspec

import scimcore

BASE = "https://example.com/scim/v2"


class Client:
    """Calls ``Service.handle`` and decodes the answer: ``(status, headers by lower-cased name, JSON or None)``."""

    def __init__(self, service: scimcore.Service, headers: dict[str, str] | None = None) -> None:
        self.service = service
        self.headers = headers or {}

    def call(
        self, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        sent = {**self.headers, **(headers or {})}
        raw = b""
        if body is not None:
            raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
            sent.setdefault("Content-Type", "application/scim+json")
        response = self.service.handle(method, target, sent, raw)
        found = {name.lower(): value for name, value in response.headers}
        document = msgspec.json.decode(response.body) if response.body else None
        if response.body:
            assert found["content-type"] == "application/scim+json"
        if response.status >= 400:
            assert document["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
            assert document["status"] == str(response.status)
        return response.status, found, document

    def get(self, target: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self.call("GET", target, **kw)

    def post(self, target: str, body: Any, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self.call("POST", target, body, **kw)

    def put(self, target: str, body: Any, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self.call("PUT", target, body, **kw)

    def patch(self, target: str, body: Any, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self.call("PATCH", target, body, **kw)

    def delete(self, target: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self.call("DELETE", target, **kw)

    def user(self, name: str, **attributes: Any) -> dict[str, Any]:
        """Create a user; its resource."""
        status, _, body = self.post("/Users", {"userName": name, **attributes})
        assert status == 201, body
        return body

    def group(self, name: str, *members: str) -> dict[str, Any]:
        """Create a group with these member ids; its resource (fetched, since it carries the members)."""
        status, _, body = self.post("/Groups", {"displayName": name, "members": [{"value": m} for m in members]})
        assert status == 201, body
        return body


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}
