"""Hostile HTTP at the edge (issue 17; docs/semantics.md §Limits, §Errors): each gets a clean SCIM error, the
body is refused before it is read in full, nothing half-done is written, and no header can be split."""

from __future__ import annotations

import msgspec
import pytest

import scimcore
from scimcore.service.http import Response

from .edge import CountingInput, assert_scim_error, call_asgi, call_wsgi, memory_service

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice"}
JSON = ("Content-Type", "application/scim+json")


@pytest.fixture
def service() -> scimcore.Service:
    return memory_service(max_body_bytes=4096, bulk_max_payload_size=8192)


def test_declared_length_over_the_limit_is_413_before_reading(service: scimcore.Service) -> None:
    stream = CountingInput(b"x" * 100_000)
    status, _, body = call_wsgi(
        scimcore.wsgi_app(service), "POST", "/Users", headers=[("Content-Length", "100000"), JSON], stream=stream
    )
    assert_scim_error(status, body, 413)
    assert stream.consumed == 0
    status, _, body, read = call_asgi(
        scimcore.asgi_app(service), "POST", "/Users", headers=[("content-length", "100000"), JSON], chunks=[b"x"]
    )
    assert_scim_error(status, body, 413)
    assert read == 0


def test_chunked_body_is_counted_and_refused_at_the_limit(service: scimcore.Service) -> None:
    stream = CountingInput(b"x" * 1_000_000)
    status, _, body = call_wsgi(
        scimcore.wsgi_app(service),
        "POST",
        "/Users",
        headers=[("Transfer-Encoding", "chunked"), JSON],
        stream=stream,
        extra={"wsgi.input_terminated": True},
    )
    assert_scim_error(status, body, 413)
    assert stream.consumed == 8192 + 1  # the limit and one byte more, never the rest
    chunks = [b"x" * 1000] * 1000
    status, _, body, read = call_asgi(
        scimcore.asgi_app(service), "POST", "/Users", headers=[("transfer-encoding", "chunked"), JSON], chunks=chunks
    )
    assert_scim_error(status, body, 413)
    assert read == 9  # 9,000 bytes passed the 8,192-byte limit: the other 991 chunks were never received


def test_chunked_body_under_the_limit_is_served(service: scimcore.Service) -> None:
    data = msgspec.json.encode(USER)
    status, headers, _ = call_wsgi(
        scimcore.wsgi_app(service),
        "POST",
        "/Users",
        headers=[("Transfer-Encoding", "chunked"), JSON],
        stream=CountingInput(data),
        extra={"wsgi.input_terminated": True},
    )
    assert status == 201 and headers["location"].startswith("https://example.com/scim/v2/Users/")
    status, _, _, _ = call_asgi(
        scimcore.asgi_app(service),
        "POST",
        "/Users",
        headers=[("transfer-encoding", "chunked"), JSON],
        chunks=[msgspec.json.encode({**USER, "userName": "bob"})],
    )
    assert status == 201


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("Content-Length", "12"), ("Transfer-Encoding", "chunked")], 400),  # smuggling: both framings
        ([("Transfer-Encoding", "gzip, chunked")], 501),
        ([("Transfer-Encoding", "chunked, chunked")], 501),
        ([("Transfer-Encoding", "identity")], 501),
        ([("Content-Length", "-1")], 400),
        ([("Content-Length", "1e3")], 400),
        ([("Content-Length", "12, 12")], 400),
        ([("Content-Length", "9" * 40)], 400),
    ],
)
def test_framing_tricks_are_refused(service: scimcore.Service, headers: list[tuple[str, str]], expected: int) -> None:
    data = msgspec.json.encode(USER)
    status, _, body = call_wsgi(
        scimcore.wsgi_app(service), "POST", "/Users", headers=[*headers, JSON], stream=CountingInput(data)
    )
    assert_scim_error(status, body, expected)
    status, _, body, _ = call_asgi(
        scimcore.asgi_app(service), "POST", "/Users", headers=[*headers, JSON], chunks=[data]
    )
    assert_scim_error(status, body, expected)
    assert len(service.stores["User"]) == 0


def test_a_body_cut_short_is_never_handled(service: scimcore.Service) -> None:
    data = msgspec.json.encode(USER)
    status, _, body = call_wsgi(
        scimcore.wsgi_app(service),
        "POST",
        "/Users",
        headers=[("Content-Length", str(len(data))), JSON],
        stream=CountingInput(data, stop_after=len(data) - 5),
    )
    assert_scim_error(status, body, 400)
    status, _, _, _ = call_asgi(
        scimcore.asgi_app(service), "POST", "/Users", headers=[JSON], chunks=[data[:10]], disconnect=True
    )
    assert status is None  # the client is gone: nothing is answered
    status, _, _, _ = call_asgi(
        scimcore.asgi_app(service),
        "POST",
        "/Users",
        headers=[("content-length", str(len(data))), JSON],
        chunks=[data[:-3]],
    )
    assert status is None
    assert len(service.stores["User"]) == 0


def _bodies() -> list[tuple[str, bytes, int]]:
    return [
        ("invalid UTF-8", b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\xff\xfe"}', 400),
        ("100,000-deep arrays", b"[" * 100_000 + b"]" * 100_000, 400),
        ("100,000-deep objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400),
        (
            "duplicate names in different case",
            b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","USERNAME":"b"}',
            400,
        ),
        (
            "duplicate names",
            b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","user\\u004eame":"b"}',
            400,
        ),
        ("not JSON", b"\x00\x01\x02", 400),
        ("a JSON array", b"[]", 400),
        ("lone surrogate", b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\\ud800"}', 400),
    ]


@pytest.mark.parametrize(("name", "data", "expected"), _bodies(), ids=[case[0] for case in _bodies()])
def test_hostile_bodies_are_clean_errors(name: str, data: bytes, expected: int) -> None:
    service = memory_service()
    response = service.handle("POST", "/Users", {"Content-Type": "application/scim+json"}, data)
    assert_scim_error(response.status, response.body, expected)
    status, _, body = call_wsgi(scimcore.wsgi_app(service), "POST", "/Users", body=data)
    assert_scim_error(status, body, expected)
    status, _, body, _ = call_asgi(scimcore.asgi_app(service), "POST", "/Users", headers=[JSON], chunks=[data])
    assert_scim_error(status, body, expected)
    assert len(service.stores["User"]) == 0


def test_duplicate_names_are_refused() -> None:
    """RFC 8259 §4 leaves repeated names to the parser; the service refuses them rather than keep one of the two
    values (docs/semantics.md §Protocol): the same name (above: in another case), escaped or not, at any depth."""
    service = memory_service()
    data = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","userName":"b"}'
    response = service.handle("POST", "/Users", {"Content-Type": "application/scim+json"}, data)
    document = assert_scim_error(response.status, response.body, 400)
    assert document["scimType"] == "invalidSyntax" and '"userName" twice' in document["detail"]
    assert len(service.stores["User"]) == 0


def test_ten_thousand_query_parameters() -> None:
    service = memory_service()
    query = "&".join(f"p{index}=x" for index in range(10_000))
    response = service.handle("GET", f"/Users?{query}")
    assert response.status == 200
    repeated = "&".join("count=1" for _ in range(10_000))
    response = service.handle("GET", f"/Users?{repeated}")
    assert_scim_error(response.status, response.body, 400)


def test_a_one_megabyte_filter() -> None:
    service = memory_service()
    for target in (f"/Users?filter=userName%20eq%20%22{'a' * 1_000_000}%22", "/Users?filter=" + "(" * 1_000_000):
        response = service.handle("GET", target)
        assert_scim_error(response.status, response.body, 400)
    body = msgspec.json.encode(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "a" * 1_000_000}
    )
    response = service.handle("POST", "/Users/.search", {"Content-Type": "application/scim+json"}, body)
    assert assert_scim_error(response.status, response.body, 400)["scimType"] == "invalidFilter"
    small = memory_service(max_body_bytes=65536)
    response = small.handle("POST", "/Users/.search", {"Content-Type": "application/scim+json"}, body)
    assert_scim_error(response.status, response.body, 413)  # over the body limit: the filter is never parsed


@pytest.mark.parametrize(
    "raw", ["a%2Fb", "..", "%2e%2e", "a%00b", "a%0D%0ALocation:%20https://evil.example", "%ZZ", "a%2F..%2F..%2Fetc"]
)
def test_hostile_ids_are_404_with_no_header_injection(raw: str) -> None:
    service = memory_service()
    created = service.handle("POST", "/Users", {"Content-Type": "application/scim+json"}, msgspec.json.encode(USER))
    assert created.status == 201
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        data = msgspec.json.encode(USER) if method in ("PUT", "PATCH") else b""
        response = service.handle(method, f"/Users/{raw}", {"Content-Type": "application/scim+json"}, data)
        assert response.status in (400, 404), (method, response.status)
        assert_scim_error(response.status, response.body)
        assert response.header("Location") is None
        status, headers, body, _ = call_asgi(
            scimcore.asgi_app(service),
            method,
            "/Users/x",
            raw_path=f"/Users/{raw}".encode(),
            headers=[JSON],
            chunks=[data],
        )
        assert_scim_error(status, body)
        assert "location" not in headers
    assert len(service.stores["User"]) == 1


class _Echo:
    """A handler answering with a ``Location`` made of the request's (decoded) path: what a server's own store
    could do with an id holding CR/LF."""

    def __init__(self) -> None:
        self.limits = memory_service().limits

    def handle(self, method: str, target: str, headers: object = None, body: bytes = b"") -> Response:
        from urllib.parse import unquote

        return Response(201, [("Location", unquote(target)), ("ETag", 'W/"1"\r\nX-Injected: 1')], b"")


def test_control_characters_never_reach_a_response_header() -> None:
    """A header value with CR, LF or NUL in it is percent-encoded by both adapters, never a new header."""
    handler = _Echo()
    status, headers, _ = call_wsgi(scimcore.wsgi_app(handler), "GET", "/Users/evil\r\nSet-Cookie: x=1\x00")
    assert status == 201 and "x-injected" not in headers and "set-cookie" not in headers
    assert headers["location"] == "/Users/evil%0D%0ASet-Cookie: x=1%00" and "%0D%0A" in headers["etag"]
    target = b"/Users/evil%0D%0ASet-Cookie:%20x=1"
    status, headers, _, _ = call_asgi(scimcore.asgi_app(handler), "GET", "/x", raw_path=target)
    assert status == 201 and headers["location"] == "/Users/evil%0D%0ASet-Cookie: x=1"
    assert "%0D%0A" in headers["etag"] and len(headers) == 3


@pytest.mark.parametrize("method", ["FOO", "TRACE", "CONNECT", "OPTIONS", "GET ", "G\r\nX: 1", "PROPFIND"])
def test_unknown_methods_are_405_with_allow(method: str) -> None:
    service = memory_service()
    response = service.handle(method, "/Users")
    assert_scim_error(response.status, response.body, 405)
    assert response.header("Allow") == "GET, HEAD, POST"
    status, _, body = call_wsgi(scimcore.wsgi_app(service), method, "/Users")
    assert_scim_error(status, body, 405)
    status, _, body, _ = call_asgi(scimcore.asgi_app(service), method, "/Users")
    assert_scim_error(status, body, 405)
