"""The edge under a real server: ``scimcore serve`` (uvicorn) on loopback, spoken to over raw sockets, so that
what uvicorn itself does with hostile framing is part of what is tested (issue 17). Bounded: every socket has a
timeout, and the server is stopped at the end of the module."""

from __future__ import annotations

import importlib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benches"))
load: Any = importlib.import_module("load")  # benches/load.py: starts and stops scimcore serve

USER = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cut"}'


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    pytest.importorskip("uvicorn")
    with load.serve("memory") as (base, _process):
        port = int(base.split(":")[2].split("/")[0])
        yield base, port


def _exchange(port: int, data: bytes, *, close_after_send: bool = False) -> bytes:
    """Send raw bytes to the server; the bytes it answers until it closes or goes quiet (2 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        if close_after_send:
            return b""
        sock.settimeout(2)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and _complete(out):
                    break
        except TimeoutError:
            pass
        return out


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _head(path: str, *headers: str) -> bytes:
    lines = [
        f"POST /scim/v2{path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {load.TOKEN}",
        "Content-Type: application/scim+json",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _users(base: str) -> int:
    response = httpx.get(f"{base}/Users", headers=load.HEADERS, timeout=5)
    assert response.status_code == 200
    return int(response.json()["totalResults"])


def test_declared_body_over_the_limit_is_413_at_once(server: tuple[str, int]) -> None:
    _, port = server
    answer = _exchange(port, _head("/Users", "Content-Length: 50000000"))  # no body sent at all
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'"status":"413"' in answer


def test_chunked_body_over_the_limit_is_413(server: tuple[str, int]) -> None:
    _, port = server
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40))  # 2.5 MB, over every limit
    answer = _exchange(port, _head("/Bulk", "Transfer-Encoding: chunked") + body + b"0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_client_gone_mid_body_writes_nothing(server: tuple[str, int]) -> None:
    base, port = server
    before = _users(base)
    _exchange(port, _head("/Users", f"Content-Length: {len(USER)}") + USER[:20], close_after_send=True)
    _exchange(
        port, _head("/Users", "Transfer-Encoding: chunked") + b"%x\r\n%s\r\n" % (20, USER[:20]), close_after_send=True
    )
    assert _users(base) == before
    response = httpx.post(f"{base}/Users", content=USER, headers=load.HEADERS, timeout=5)
    assert response.status_code == 201  # the whole body: served
    assert _users(base) == before + 1


@pytest.mark.parametrize(
    "headers",
    [
        ("Content-Length: 5", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: gzip",),
        ("Content-Length: 5", "Content-Length: 6"),
        ("Content-Length: abc",),
    ],
)
def test_framing_tricks_never_reach_a_500(server: tuple[str, int], headers: tuple[str, ...]) -> None:
    base, port = server
    answer = _exchange(port, _head("/Users", *headers) + b"hello")
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    assert status is None or (400 <= status < 500 or status == 501), answer[:200]  # refused by uvicorn or by us
    assert _users(base) >= 0  # and the server still answers


def test_header_injection_through_the_path_is_not_possible(server: tuple[str, int]) -> None:
    _, port = server
    raw = f"GET /scim/v2/Users/a%0D%0AX-Injected:%201 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {load.TOKEN}\r\n\r\n"
    answer = _exchange(port, raw.encode())
    assert answer.startswith(b"HTTP/1.1 404")
    assert b"\r\nx-injected" not in answer.lower()
