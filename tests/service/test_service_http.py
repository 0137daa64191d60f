"""The HTTP surface of ``Service.handle`` (RFC 7644 §3.1, §3.2, §3.8, §3.12, §3.13): routing, errors, media."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import scimcore
from scimcore.service.routes import parse_query

from .service_helpers import BASE, Client


def test_unknown_endpoint_and_id_are_404_with_an_error_body(memory_client: Client) -> None:
    for target in ("/Nope", "/Users/missing", "/Users/a/b", "/", "", "/Schemas/a/b"):
        status, _, body = memory_client.get(target)
        assert status == 404, target
        assert "scimType" not in body


def test_a_method_the_endpoint_does_not_take_is_405_with_allow(memory_client: Client) -> None:
    status, headers, _ = memory_client.delete("/Users")
    assert status == 405
    assert headers["allow"] == "GET, HEAD, POST"
    status, headers, _ = memory_client.call("POST", "/ServiceProviderConfig", {})
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    status, headers, _ = memory_client.get("/Bulk")
    assert (status, headers["allow"]) == (405, "POST")
    status, headers, _ = memory_client.call("POST", "/Users/some-id", {})
    assert status == 405 and "PATCH" in headers["allow"]


def test_a_body_that_is_not_json_media_is_415(memory_client: Client) -> None:
    status, _, _ = memory_client.post("/Users", b'{"userName": "a"}', headers={"Content-Type": "text/plain"})
    assert status == 415
    for i, media in enumerate(("application/json", "application/scim+json; charset=utf-8", "Application/JSON")):
        status, _, body = memory_client.post("/Users", {"userName": f"u{i}"}, headers={"Content-Type": media})
        assert status == 201, body


def test_a_body_over_the_limit_is_413() -> None:
    client = Client(scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE, max_body_bytes=100))
    status, _, body = client.post("/Users", {"userName": "x" * 200})
    assert status == 413
    assert "100" in body["detail"]


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b"", b"\xff\xfe", b'"text"'])
def test_malformed_bodies_are_400_invalid_syntax(memory_client: Client, raw: bytes) -> None:
    status, _, body = memory_client.post("/Users", raw)
    assert status == 400
    assert body["scimType"] == "invalidSyntax"


def test_the_version_segment_v2_is_accepted_and_others_are_invalid_vers(memory_client: Client) -> None:
    user = memory_client.user("versioned")
    status, _, body = memory_client.get(f"/v2/Users/{user['id']}")
    assert status == 200 and body["id"] == user["id"]
    status, _, body = memory_client.get("/v1/Users")
    assert (status, body["scimType"]) == (400, "invalidVers")


def test_query_parameter_names_are_case_insensitive(memory_client: Client) -> None:
    memory_client.user("alice")
    memory_client.user("bob")
    status, _, body = memory_client.get('/Users?FILTER=userName%20eq%20"bob"&ATTRIBUTES=userName&Count=5')
    assert status == 200
    assert [r["userName"] for r in body["Resources"]] == ["bob"]
    assert set(body["Resources"][0]) == {"id", "schemas", "userName"}


def test_a_parameter_given_twice_is_400_but_attribute_lists_join() -> None:
    assert parse_query("attributes=userName&attributes=emails") == {"attributes": "userName,emails"}
    with pytest.raises(scimcore.InvalidValue):
        parse_query("count=1&COUNT=2")


def test_head_answers_like_get_without_a_body(memory_client: Client) -> None:
    user = memory_client.user("head")
    response = memory_client.service.handle("HEAD", f"/Users/{user['id']}", {}, b"")
    assert response.status == 200 and response.body == b""
    assert response.header("etag") == user["meta"]["version"]


def test_paths_are_percent_decoded_and_case_insensitive(memory_client: Client) -> None:
    user = memory_client.user("percent")
    status, _, _ = memory_client.get(f"/users/{user['id']}")
    assert status == 200
    status, _, body = memory_client.get("/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Acore%3A2.0%3AUser")
    assert status == 200 and body["id"] == "urn:ietf:params:scim:schemas:core:2.0:User"


class _Broken:
    resource_type = "User"

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the database is on fire")

        return fail

    def __len__(self) -> int:
        return 0


def test_an_unexpected_exception_is_logged_and_answered_500_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = scimcore.Service({"User": _Broken()}, base_url=BASE)  # type: ignore[dict-item]
    with caplog.at_level(logging.ERROR, logger="scimcore.service"):
        response = service.handle("GET", "/Users/x", {}, b"")
    assert response.status == 500
    assert b"fire" not in response.body and b"Traceback" not in response.body
    assert "the database is on fire" in caplog.text


@pytest.mark.parametrize(
    ("method", "target", "body"), [(None, "/Users", b""), ("GET", None, b""), ("POST", "/Users", 12)]
)
def test_arguments_of_the_wrong_type_are_400(method: Any, target: Any, body: Any) -> None:
    service = scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE)
    assert service.handle(method, target, {}, body).status == 400


def test_headers_may_be_a_mapping_or_pairs(memory_client: Client) -> None:
    service = memory_client.service
    created = service.handle("POST", "/Users", [("content-type", "application/json")], b'{"userName": "pairs"}')
    assert created.status == 201
    assert service.handle("GET", "/Users", None, b"").status == 200


def test_an_unknown_resource_type_is_refused_when_the_service_is_built() -> None:
    with pytest.raises(ValueError, match="Widget"):
        scimcore.Service({"Widget": scimcore.Directory("User")})


def test_an_error_quoting_invalid_unicode_is_still_an_error_body(memory_client: Client) -> None:
    status, _, body = memory_client.get("/Users/\ud800")
    assert status == 404 and "\\ud800" in body["detail"]
