"""``scimcore serve --workers``: the in-memory store refuses it, and every worker builds the same service from the
parent's options, with one cursor secret, so that a cursor issued by one worker is honoured by another."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from scimcore.cli import main
from scimcore.service import serve

from .edge import call_asgi

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
AUTH = ("Authorization", "Bearer t1")


def test_workers_need_a_shared_store(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "2", "--token", "t1"]) == 2
    assert "--workers needs a SQLite file or a PostgreSQL DSN" in capsys.readouterr().err


def test_a_cursor_from_one_worker_works_at_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {
        "store": str(tmp_path / "directory.db"),
        "base_url": "http://127.0.0.1:8000/scim/v2",
        "tokens": ["t1"],
        "policy": "default",
        "pool_size": 2,
        "max_failures": 20,
        "cursor_secret": "ab" * 32,
    }
    monkeypatch.setenv("SCIMCORE_SERVE_WORKER_CONFIG", json.dumps(config))
    first, second = serve.worker_app(), serve.worker_app()  # two workers' apps, as uvicorn's factory makes them
    for name in ("a", "b", "c"):
        body = msgspec.json.encode({"schemas": [USER], "userName": name})
        status, _, _, _ = call_asgi(first, "POST", "/scim/v2/Users", headers=[AUTH], chunks=[body])
        assert status == 201
    status, _, body, _ = call_asgi(first, "GET", "/scim/v2/Users", query=b"cursor=&count=2", headers=[AUTH])
    assert status == 200
    page = msgspec.json.decode(body)
    query = f"cursor={page['nextCursor']}&count=2".encode()
    status, _, body, _ = call_asgi(second, "GET", "/scim/v2/Users", query=query, headers=[AUTH])
    assert status == 200
    rest = msgspec.json.decode(body)
    assert "nextCursor" not in rest
    assert sorted(user["userName"] for user in page["Resources"] + rest["Resources"]) == ["a", "b", "c"]
