"""``scimcore serve`` (service/serve.py): the stores it builds, its safe default, and a real uvicorn server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scimcore.cli import main
from scimcore.service.serve import build_service

from .service_helpers import Client


def test_memory_service_with_demo_users_and_a_token() -> None:
    service = build_service("memory", base_url="http://h/scim/v2", tokens=["t1"], demo_users=25)
    assert len(service.stores["User"]) == 25
    assert Client(service).get("/Users")[0] == 401
    status, _, body = Client(service, {"Authorization": "Bearer t1"}).get("/Users?count=1")
    assert status == 200 and body["totalResults"] == 25
    assert body["Resources"][0]["meta"]["location"].startswith("http://h/scim/v2/Users/")


def test_sqlite_file_service_keeps_its_data(tmp_path: Path) -> None:
    path = str(tmp_path / "scim.db")
    client = Client(build_service(path, base_url="http://h"))
    assert client.user("kept")["userName"] == "kept"
    again = Client(build_service(path, base_url="http://h"))
    assert again.get('/Users?filter=userName eq "kept"')[2]["totalResults"] == 1


def test_serve_refuses_to_run_without_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2
    assert "--token" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_over_http() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-c", "import sys; from scimcore.cli import main; sys.exit(main())", "serve"),
            *("--port", str(port), "--token", "secret", "--demo-users", "3"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/scim/v2"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"{base}/Users", headers={"Authorization": "Bearer secret"}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/scim+json"
        assert response.json()["totalResults"] == 3
        assert httpx.get(f"{base}/Users", timeout=5).status_code == 401
        created = httpx.post(
            f"{base}/Users",
            content=b'{"userName": "over-http"}',
            headers={"Authorization": "Bearer secret", "Content-Type": "application/scim+json"},
            timeout=5,
        )
        assert created.status_code == 201
        assert created.headers["location"].startswith(f"{base}/Users/")
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
