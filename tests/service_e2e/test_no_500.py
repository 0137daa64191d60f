"""Nothing a client sends produces a 500 or a traceback; every non-2xx response is a SCIM Error (RFC 7644 §3.12).

A property test over random methods, paths, query strings, headers and bodies, sent through ``Service.handle``,
``scimcore.wsgi_app`` and ``scimcore.asgi_app`` over every store. The examples mix plausible SCIM requests (known
endpoints and ids, filters, PatchOps, Bulk requests) with garbage, so that both the deep and the shallow error
paths are reached. docs/semantics.md §Protocol, §Errors. Hypothesis runs under the project's settings profile.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scimcore

from .conftest import TOKEN, Reply, make_service, wsgi_call

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
KNOWN = {"user": "$USER", "group": "$GROUP"}

ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
any_text = st.text(max_size=12)
segments = st.one_of(
    st.sampled_from(
        [
            "Users",
            "Groups",
            "Me",
            "Bulk",
            ".search",
            "Schemas",
            "ResourceTypes",
            "ServiceProviderConfig",
            "v1",
            "v2",
            "users",
            "GROUPS",
            "$USER",
            "$GROUP",
            USER,
            "User",
            "",
            "..",
            "%00",
            "%2F",
            "%FF",
            "%E2%82%AC",
            "Users%20",
        ]
    ),
    ascii_text,
)
random_paths = st.lists(segments, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))
endpoints = st.sampled_from(
    [
        "/Users",
        "/Users/$USER",
        "/Groups",
        "/Groups/$GROUP",
        "/Users/.search",
        "/Groups/.search",
        "/.search",
        "/Bulk",
        "/Me",
        "/Schemas",
        f"/Schemas/{USER}",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/ServiceProviderConfig",
    ]
)
paths = st.one_of(endpoints, endpoints, endpoints, random_paths)
filters = st.one_of(
    st.sampled_from(
        [
            'userName eq "ada"',
            'userName eq "$USER"',
            'groups.value eq "$GROUP"',
            'members[value eq "$USER"]',
            "title pr",
            'emails[type eq "work"].value sw "a"',
            'meta.lastModified gt "2020-01-01T00:00:00Z"',
            "not (active eq true)",
            "userName eq",
            "((((",
            'x eq "\\u0000"',
            "id eq 1",
            'displayName co ""',
            "a" * 300,
            "name.givenName eq 1.5e400",
        ]
    ),
    any_text,
)
query_values = st.one_of(
    filters,
    ascii_text,
    st.sampled_from(
        ["0", "-1", "1", "2", "99999999999999999999", "1.5", "ascending", "descending", "", "userName", "members"]
    ),
)
query_names = st.one_of(
    st.sampled_from(
        [
            "filter",
            "FILTER",
            "attributes",
            "excludedAttributes",
            "sortBy",
            "sortOrder",
            "startIndex",
            "count",
            "cursor",
            "Count",
        ]
    ),
    ascii_text,
)
queries = st.lists(st.tuples(query_names, query_values), max_size=4).map(
    lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    any_text,
    st.sampled_from(["$USER", "$GROUP", "bulkId:u1", USER, GROUP, PATCH_OP]),
)
json_keys = st.one_of(
    st.sampled_from(
        [
            "schemas",
            "userName",
            "displayName",
            "members",
            "value",
            "op",
            "path",
            "Operations",
            "operations",
            "id",
            "meta",
            "emails",
            "groups",
            "password",
            "active",
            "name",
            "method",
            "data",
            "bulkId",
            "version",
            "failOnErrors",
            "filter",
            "attributes",
            "count",
            "startIndex",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "$ref",
            "type",
            "primary",
        ]
    ),
    any_text,
)
json_values = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_keys, inner, max_size=4), max_leaves=12
)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Replace", "remove", "move", 1]), "path": st.one_of(filters, st.just("members"))},
    optional={"value": json_values},
)
scim_bodies = st.one_of(
    st.fixed_dictionaries(
        {"schemas": st.just([USER]), "userName": st.one_of(any_text, json_leaf)},
        optional={"emails": json_values, "name": json_values, "active": json_leaf, "groups": json_values},
    ),
    st.fixed_dictionaries(
        {
            "schemas": st.just([GROUP]),
            "displayName": any_text,
            "members": st.lists(st.fixed_dictionaries({"value": json_leaf}, optional={"type": any_text}), max_size=3),
        }
    ),
    st.fixed_dictionaries({"schemas": st.just([PATCH_OP]), "Operations": st.lists(operations, max_size=3)}),
    st.fixed_dictionaries(
        {"schemas": st.just([SEARCH])},
        optional={
            "filter": filters,
            "count": json_leaf,
            "startIndex": json_leaf,
            "attributes": json_values,
            "sortBy": json_leaf,
        },
    ),
    st.fixed_dictionaries(
        {
            "schemas": st.just([BULK]),
            "Operations": st.lists(
                st.fixed_dictionaries(
                    {"method": st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET", "x"]), "path": paths},
                    optional={"bulkId": any_text, "data": json_values, "version": any_text},
                ),
                max_size=3,
            ),
        },
        optional={"failOnErrors": json_leaf},
    ),
    json_values,
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=40),
    scim_bodies.map(lambda document: json.dumps(document).encode()),
    scim_bodies.map(lambda document: json.dumps(document).encode()),
    scim_bodies.map(lambda document: json.dumps(document).encode()),
    scim_bodies.map(lambda document: json.dumps(document).encode()[:-1]),
    st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b"\xff\xfe{}", b'"just a string"', b"1e99999", b"null"]),
)
content_types = st.sampled_from(
    [
        "application/scim+json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/scim+json; charset=latin-1",
        "multipart/form-data; boundary=x",
        "",
        "application/xml",
        ";;;",
    ]
)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20)
headers = st.tuples(
    st.sampled_from(
        [f"Bearer {TOKEN}", f"Bearer {TOKEN}", f"bearer {TOKEN}", "Bearer nope", "Basic Zm9vOmJhcg==", None]
    ),
    st.one_of(st.just("application/scim+json"), st.just("application/json"), st.none(), content_types, header_values),
    st.lists(
        st.tuples(
            st.sampled_from(["If-Match", "If-None-Match", "Accept", "Content-Length", "X-Other", "Authorization"]),
            st.one_of(header_values, st.sampled_from(['W/"1"', "*", "$ETAG", '"x", W/"y"'])),
        ),
        max_size=3,
    ),
).map(
    lambda parts: [
        *([("Authorization", parts[0])] if parts[0] else []),
        *([("Content-Type", parts[1])] if parts[1] is not None else []),
        *parts[2],
    ]
)
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "get", "BREW"])
adapters = st.sampled_from(["handle", "wsgi", "asgi"])


def asgi_call(app: Any, method: str, path: str, query: str, sent: list[tuple[str, str]], body: bytes) -> Reply:
    """One request through an ASGI 3 application (http scope), without a server."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": unquote(path, errors="replace"),
        "raw_path": path.encode("latin-1", "replace"),
        "root_path": "",
        "query_string": query.encode("utf-8", "surrogatepass"),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in sent],
        "server": ("scim.example.com", 443),
        "client": ("127.0.0.1", 5000),
    }
    incoming = [
        {"type": "http.request", "body": body[: len(body) // 2], "more_body": True},
        {"type": "http.request", "body": body[len(body) // 2 :], "more_body": False},
    ]
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(0)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert not started, "two response starts"
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    assert started, "the application sent no response"
    return Reply(
        started["status"], [(k.decode("latin-1"), v.decode("latin-1")) for k, v in started["headers"]], b"".join(chunks)
    )


def _assert_well_formed(reply: Reply, request: str) -> None:
    assert reply.status != 500 and (reply.status < 500 or reply.status == 501), request
    assert b"Traceback" not in reply.body and b'File "' not in reply.body, request
    if 200 <= reply.status < 300 or reply.status == 304:
        return
    try:
        error = json.loads(reply.body)
    except ValueError:
        raise AssertionError(f"{request}: {reply.status} without a JSON body: {reply.body[:200]!r}") from None
    assert error.get("schemas") == [ERROR] and error.get("status") == str(reply.status), (request, error)


def test_no_request_produces_a_500(storage) -> None:
    service = make_service(storage)
    user = service.handle(
        "POST",
        "/Users",
        [("Authorization", f"Bearer {TOKEN}"), ("Content-Type", "application/scim+json")],
        json.dumps({"schemas": [USER], "userName": "ada", "password": "pa55-word"}).encode(),
    )
    assert user.status == 201
    uid = json.loads(user.body)["id"]
    etag = json.loads(user.body)["meta"]["version"]
    group = service.handle(
        "POST",
        "/Groups",
        [("Authorization", f"Bearer {TOKEN}"), ("Content-Type", "application/json")],
        json.dumps({"schemas": [GROUP], "displayName": "G", "members": [{"value": uid}]}).encode(),
    )
    assert group.status == 201
    gid = json.loads(group.body)["id"]
    wsgi, asgi = scimcore.wsgi_app(service), scimcore.asgi_app(service)

    def known(text: str) -> str:
        return text.replace("$USER", uid).replace("$GROUP", gid).replace("$ETAG", etag)

    @settings(
        max_examples=settings().max_examples * 3,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(adapters, methods, paths, queries, headers, bodies)
    def check(adapter: str, method: str, path: str, query: str, sent: list[tuple[str, str]], body: bytes) -> None:
        path, query = known(path), known(query)
        sent = [(name, known(value)) for name, value in sent]
        body = known(body.decode("latin-1")).encode("latin-1")
        request = f"{adapter} {method} {path!r} ?{query!r} {sent!r} {body[:200]!r}"
        if adapter == "handle":
            response = service.handle(method, f"{path}?{query}" if query else path, sent, body)
            reply = Reply(response.status, list(response.headers), bytes(response.body))
        elif adapter == "wsgi":
            wsgi_path = unquote_to_bytes(path).decode("latin-1")
            reply = wsgi_call(wsgi, method, wsgi_path, query, sent, body, script_name="")
        else:
            reply = asgi_call(asgi, method, path, query, sent, body)
        _assert_well_formed(reply, request)

    check()
