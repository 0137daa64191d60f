"""A request body that gives one object the same name twice is 400 ``invalidSyntax`` naming the key and the object
(issue 17; docs/semantics.md §Protocol), through ``Service.handle``, ``wsgi_app`` and ``asgi_app``; the native
scan and the Python one give the same answer, which is the first repeat in text order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scimcore
from scimcore.service import json_keys
from scimcore.service.json_keys import python_repeated_key

from .edge import assert_scim_error, call_asgi, call_wsgi, memory_service

_native = pytest.importorskip("scimcore._native")

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
JSON = {"Content-Type": "application/scim+json"}


def native_repeated_key(text: bytes | str) -> Any:
    """The native scan's answer with its names as ``str``."""
    found = _native.repeated_key(text)
    return None if found is None else json_keys._as_text(found)


# -- the scan itself: random JSON text in which objects may repeat names, spelled with or without escapes --

Pairs = list[tuple[str, Any]]


class Obj:
    """An object as written: its members in order, names possibly repeated."""

    def __init__(self, pairs: Pairs) -> None:
        self.pairs = pairs


_names = st.sampled_from(["a", "b", "userName", "é", "😀", "\ud800", "a/b~", ""])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["x", '"', "\\", "{", "[]", ","]))
_trees = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.lists(st.tuples(_names, inner), max_size=5).map(Obj),
    max_leaves=20,
)


def _string(text: str, escapes: list[bool]) -> str:
    """``text`` as a JSON string, each character escaped (``\\uXXXX``, surrogate pairs for astral ones) or not,
    as ``escapes`` says (cycled)."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in '"\\' or ord(char) < 0x20 or 0xD800 <= ord(char) < 0xE000 or escapes[index % len(escapes)]:
            units = char.encode("utf-16-le", "surrogatepass")
            out.extend(f"\\u{int.from_bytes(units[i : i + 2], 'little'):04x}" for i in range(0, len(units), 2))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _write(tree: Any, escapes: list[bool], space: str) -> str:
    if isinstance(tree, Obj):
        members = (f"{_string(k, escapes)}{space}:{space}{_write(v, escapes, space)}" for k, v in tree.pairs)
        return "{" + f",{space}".join(members) + "}"
    if isinstance(tree, list):
        return "[" + f",{space}".join(_write(v, escapes, space) for v in tree) + "]"
    if isinstance(tree, str):
        return _string(tree, escapes)
    return json.dumps(tree)


def _first_repeat(tree: Any, steps: list[str | int]) -> Any:
    """The oracle, on the tree itself: a name is checked when it is read, before its value is walked."""
    if isinstance(tree, Obj):
        seen: set[str] = set()
        for name, value in tree.pairs:
            if name in seen:
                return steps, name
            seen.add(name)
            found = _first_repeat(value, [*steps, name])
            if found is not None:
                return found
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found = _first_repeat(value, [*steps, index])
            if found is not None:
                return found
    return None


@given(tree=_trees, escapes=st.lists(st.booleans(), min_size=1, max_size=4), space=st.sampled_from(["", " ", "\n"]))
def test_both_scans_find_the_first_repeat_in_text_order(tree: Any, escapes: list[bool], space: str) -> None:
    text = _write(tree, escapes, space)
    expected = _first_repeat(tree, [])
    data = text.encode("utf-8", "surrogatepass")
    assert native_repeated_key(data) == expected
    assert python_repeated_key(data) == expected
    assert native_repeated_key(text) == expected
    assert python_repeated_key(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"userName":"a","userName":"b"}', ([], "userName")),
        (b'{"a":1,"\\u0061":2}', ([], "a")),
        (b'{"\\ud83d\\ude00":1,"\xf0\x9f\x98\x80":2}', ([], "\U0001f600")),
        (b'{"\\ud800":1,"\\uD800":2}', ([], "\ud800")),
        (b'{"a\\"b":1,"a\\u0022b":2}', ([], 'a"b')),
        (b'{"x":[1,{"b":{"c":1,"c":2}}]}', (["x", 1, "b"], "c")),
        (b'{"a":{"x":1,"x":2},"a":3}', (["a"], "x")),  # the inner repeat comes first in the text
        (b'{"k":"\\"k\\":1","k2":1}', None),  # names inside string values are not names
        (b'[{"a":1},{"a":1}]', None),
        (("{" + ",".join(f'"k{i}":1' for i in range(100)) + ',"k77":2}').encode(), ([], "k77")),  # a hashed object
        (b"[" * 100_000 + b'{"a":1,"a":2}' + b"]" * 100_000, ([0] * 100_000, "a")),  # no recursion
    ],
)
def test_repeats_are_found_after_unescaping(text: bytes, expected: Any) -> None:
    assert native_repeated_key(text) == expected
    assert python_repeated_key(text) == expected


@given(data=st.binary(max_size=300))
def test_any_bytes_end_without_a_crash(data: bytes) -> None:
    """The native scan is total: any bytes (not only JSON the decoder accepted) end, with some answer."""
    found = _native.repeated_key(data)
    assert found is None or isinstance(found, tuple)


def test_only_bytes_and_str() -> None:
    with pytest.raises(TypeError):
        _native.repeated_key(bytearray(b"{}"))


# -- through the service --


def _user(**extra: Any) -> bytes:
    return msgspec.json.encode({"schemas": [USER], "userName": "alice", **extra})


def _repeat(document: bytes, inside: bytes, name: bytes) -> bytes:
    """``document`` with ``"name": null,`` written again right after ``inside`` (the first ``{`` of an object)."""
    at = document.index(inside) + len(inside)
    return document[:at] + b'"' + name + b'":null,' + document[at:]


CASES = [
    ("POST", "/Users", b'{"schemas":["' + USER.encode() + b'"],"userName":"a","userName":"b"}', "userName", ""),
    ("POST", "/Users", b'{"schemas":["' + USER.encode() + b'"],"userName":"a","user\\u004eame":"b"}', "userName", ""),
    ("POST", "/Users", _repeat(_user(name={"givenName": "A"}), b'"name":{', b"givenName"), "givenName", "/name"),
    (
        "POST",
        "/Users",
        _repeat(_user(emails=[{"value": "a@example.com"}]), b'"emails":[{', b"value"),
        "value",
        "/emails/0",
    ),
    (
        "PATCH",
        "/Users/{id}",
        b'{"schemas":["'
        + PATCH.encode()
        + b'"],"Operations":[{"op":"add","path":"title","value":"x"},{"op":"replace","op":"add","path":"title"}]}',
        "op",
        "/Operations/1",
    ),
    (
        "PATCH",
        "/Users/{id}",
        b'{"schemas":["' + PATCH.encode() + b'"],"Operations":[{"op":"add","value":{"title":"a","title":"b"}}]}',
        "title",
        "/Operations/0/value",
    ),
    ("PUT", "/Users/{id}", _repeat(_user(), b"{", b"schemas"), "schemas", ""),
    (
        "POST",
        "/Bulk",
        b'{"schemas":["'
        + BULK.encode()
        + b'"],"Operations":[{"method":"POST","path":"/Users","bulkId":"q","data":{"schemas":["'
        + USER.encode()
        + b'"],"userName":"bob","userName":"eve"}}]}',
        "userName",
        "/Operations/0/data",
    ),
    ("POST", "/Users/.search", b'{"schemas":["' + SEARCH.encode() + b'"],"count":1,"count":2}', "count", ""),
]


@pytest.mark.parametrize(("method", "path", "body", "name", "pointer"), CASES)
def test_a_repeated_key_is_400_invalid_syntax_everywhere(
    method: str, path: str, body: bytes, name: str, pointer: str
) -> None:
    service = memory_service()
    created = service.handle("POST", "/Users", JSON, _user(userName="seed", title="t"))
    uid = msgspec.json.decode(created.body)["id"]
    before = msgspec.json.decode(service.handle("GET", f"/Users/{uid}").body)
    target = path.format(id=uid)
    where = f"the object at {pointer}" if pointer else "the top-level object"
    detail = f'the request body gives the key "{name}" twice in {where}'
    response = service.handle(method, target, JSON, body)
    document = assert_scim_error(response.status, response.body, 400)
    assert document["scimType"] == "invalidSyntax" and document["detail"] == detail
    status, _, out = call_wsgi(scimcore.wsgi_app(service), method, target, body=body)
    assert assert_scim_error(status, out, 400)["detail"] == detail
    status, _, out, _ = call_asgi(
        scimcore.asgi_app(service), method, target, headers=[("content-type", JSON["Content-Type"])], chunks=[body]
    )
    assert assert_scim_error(status, out, 400)["detail"] == detail
    assert len(service.stores["User"]) == 1  # nothing was created, changed or deleted
    assert msgspec.json.decode(service.handle("GET", f"/Users/{uid}").body) == before


def test_the_depth_limit_comes_first() -> None:
    """A 100,000-deep body is refused by the decoder's depth limit before any scan, repeat or not."""
    service = memory_service()
    body = b'{"a":' * 100_000 + b'{"b":1,"b":2}' + b"}" * 100_000
    response = service.handle("POST", "/Users", JSON, body)
    document = assert_scim_error(response.status, response.body, 400)
    assert document["detail"] == "the request body is nested too deeply"


def test_the_python_scan_gives_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    service = memory_service()
    for method, path, body, _, _ in CASES:
        if "{id}" in path:
            continue
        native = service.handle(method, path, JSON, body)
        monkeypatch.setattr(json_keys, "_scan", python_repeated_key)
        python = service.handle(method, path, JSON, body)
        monkeypatch.undo()
        assert native.status == python.status == 400 and native.body == python.body


def test_scimcore_backend_python_selects_the_python_scan() -> None:
    code = "from scimcore.service import json_keys as k; print(k._scan is k.python_repeated_key)"
    for backend, expected in (("python", "True"), ("native", "False")):
        environment = {**os.environ, "SCIMCORE_BACKEND": backend}
        out = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


def test_the_same_name_in_a_value_or_another_object_is_fine() -> None:
    service = memory_service()
    body = _user(emails=[{"value": "a@example.com", "type": "work"}, {"value": "b@example.com", "type": "home"}])
    assert service.handle("POST", "/Users", JSON, body).status == 201
