"""A fuzzer (hypothesis) driving ``Service.handle``, ``wsgi_app`` and ``asgi_app`` with random requests: never a
500, never a traceback, every error an RFC 7644 §3.12 body (docs/semantics.md §Protocol, §Errors).

The ``ci`` profile runs it deterministically in seconds; ``SCIMCORE_HYPOTHESIS_PROFILE=stress`` runs 20 times
as many requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

import scimcore
from scimcore.service.tenancy import TenantService

from .edge import call_asgi, call_wsgi, memory_service

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

_service = memory_service(bulk_max_operations=20, max_body_bytes=64 * 1024, bulk_max_payload_size=64 * 1024)
_seeded = _service.handle(
    "POST",
    "/Users",
    {"Content-Type": "application/scim+json"},
    msgspec.json.encode({"schemas": [USER], "userName": "u"}),
)
_ID = msgspec.json.decode(_seeded.body)["id"]
_APPS = (scimcore.wsgi_app(_service), scimcore.asgi_app(_service))

text = st.text(max_size=30)
names = st.sampled_from(
    [
        "userName",
        "name.givenName",
        "emails",
        'emails[type eq "work"].value',
        "members",
        "active",
        "displayName",
        "externalId",
        "meta.version",
        "id",
        "groups",
        "x",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    ]
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text | names, inner, max_size=4), max_leaves=12
)
filters = st.one_of(
    text,
    st.builds(
        lambda a, op, v: f"{a} {op} {msgspec.json.encode(v).decode()}",
        names,
        st.sampled_from(["eq", "ne", "co", "sw", "gt", "pr", "and", "xx"]),
        scalars,
    ),
)
segments = st.one_of(
    st.sampled_from(
        [
            "Users",
            "Groups",
            "Bulk",
            ".search",
            "Me",
            "Schemas",
            "ResourceTypes",
            "ServiceProviderConfig",
            "v2",
            "v1",
            _ID,
            "..",
            "%2F",
            "%00",
            "%0D%0A",
            "%",
        ]
    ),
    text.map(lambda value: quote(value, safe="")),
    text,
)
paths = st.lists(segments, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))
queries = st.dictionaries(
    st.sampled_from(
        ["filter", "count", "startIndex", "sortBy", "sortOrder", "attributes", "excludedAttributes", "cursor", "x"]
    ),
    st.one_of(filters, text, st.integers().map(str)),
    max_size=4,
).map(lambda items: "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in items.items()))


def _documents() -> st.SearchStrategy[Any]:
    operation = st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove", "Add", "x"])},
        optional={"path": st.one_of(names, filters), "value": json_values},
    )
    bulk_operation = st.fixed_dictionaries(
        {
            "method": st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]),
            "path": st.one_of(st.just("/Users"), st.just(f"/Users/{_ID}"), st.just("/Groups"), text),
        },
        optional={
            "bulkId": st.sampled_from(["a", "b", "c"]),
            "data": json_values,
            "version": st.sampled_from(['W/"x"', "*", ""]),
        },
    )
    return st.one_of(
        st.fixed_dictionaries(
            {"schemas": st.just([USER])},
            optional={"userName": text | scalars, "name": json_values, "emails": json_values, "active": scalars},
        ),
        st.fixed_dictionaries({"schemas": st.just([GROUP])}, optional={"displayName": text, "members": json_values}),
        st.fixed_dictionaries({"schemas": st.just([PATCH]), "Operations": st.lists(operation, max_size=4)}),
        st.fixed_dictionaries(
            {"schemas": st.just([BULK]), "Operations": st.lists(bulk_operation, max_size=5)},
            optional={"failOnErrors": st.integers(-1, 3)},
        ),
        st.fixed_dictionaries(
            {"schemas": st.just([SEARCH])},
            optional={"filter": filters, "count": scalars, "startIndex": scalars, "cursor": text},
        ),
        json_values,
    )


def _repeated(encoded: bytes, at: int) -> bytes:
    """``encoded`` with a member of the object opening at its ``at``-th ``{`` written twice (itself if none)."""
    opening = [index for index, byte in enumerate(encoded) if byte == ord("{")]
    if not opening:
        return encoded
    start = opening[at % len(opening)] + 1
    return encoded[:start] + b'"userName":1,"userName":2,' + encoded[start:]


documents = _documents().map(lambda document: msgspec.json.encode(document))
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=200),
    documents,
    st.builds(_repeated, documents, st.integers(0, 20)),  # a repeated name at some depth
)
header_sets = st.dictionaries(
    st.sampled_from(["Content-Type", "If-Match", "If-None-Match", "Authorization", "Accept"]),
    st.one_of(st.sampled_from(["application/scim+json", "text/plain", "*", 'W/"x"', "Bearer t"]), text),
    max_size=4,
)
methods = st.one_of(st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]), text)


def _check(status: int | None, body: bytes) -> None:
    assert status is not None and 200 <= status < 600 and status != 500, status
    assert b"Traceback" not in body and b'File "' not in body
    if status >= 400 and body:
        document = msgspec.json.decode(body)
        assert document["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert document["status"] == str(status)


@settings(max_examples=settings().max_examples * 3)
@given(method=methods, path=paths, query=queries, headers=header_sets, body=bodies)
def test_random_requests_never_fail_the_service(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> None:
    target = f"{path}?{query}" if query else path
    response = _service.handle(method, target, headers, body)
    _check(response.status, response.body)


@settings(max_examples=settings().max_examples * 3)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "FOO"]),
    path=paths,
    query=queries,
    headers=header_sets,
    body=bodies,
    split=st.integers(1, 64),
)
def test_random_requests_through_both_adapters(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes, split: int
) -> None:
    wsgi, asgi = _APPS
    header_items = [(name, value) for name, value in headers.items() if value.isascii() and value.isprintable()]
    framed = [*header_items, ("Content-Length", str(len(body)))] if body else header_items
    status, _, out = call_wsgi(
        wsgi, method, path, query=query, headers=framed, body=b"", stream=None, extra=_wsgi_body(body)
    )
    _check(status, out)
    chunks = [body[index : index + split] for index in range(0, len(body), split)] or [b""]
    status, _, out, _ = call_asgi(
        asgi,
        method,
        path,
        query=query.encode(),
        headers=framed,
        chunks=chunks,
        raw_path=path.encode("utf-8", "surrogatepass"),
    )
    _check(status, out)


def _wsgi_body(body: bytes) -> dict[str, Any]:
    from .edge import CountingInput

    return {"wsgi.input": CountingInput(body)}


def _tenant(name: str) -> scimcore.Service | None:
    return _service if name == "a" else None


_TENANTS = TenantService(_tenant, path_prefix=True)


@given(
    method=methods,
    prefix=st.one_of(st.sampled_from(["/a", "/b", "", "/%61", "/a%2F", "/..", "/a/..", "/A"]), paths),
    path=paths,
    query=queries,
    headers=header_sets,
    body=bodies,
)
def test_random_requests_through_a_tenant_service(
    method: str, prefix: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> None:
    target = f"{prefix}{path}?{query}" if query else f"{prefix}{path}"
    response = _TENANTS.handle(method, target, headers, body)
    _check(response.status, response.body)
