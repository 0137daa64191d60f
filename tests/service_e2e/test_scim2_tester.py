"""An independent client: scim2-tester checks ``scimcore.wsgi_app(service)`` over every store (RFC 7644 §3–§4).

scim2-tester discovers the service from ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` and then
creates, reads, queries, replaces, patches and deletes resources of every type it finds, each step a check. It
talks to the WSGI application through scim2-client's in-process WSGI engine (no network). Every check must
succeed and none may be skipped. scim2-server, run through the same tester in the same session, is the
reference count (both are printed).
"""

from __future__ import annotations

import collections
from importlib.metadata import version
from typing import Any

import pytest
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

import scimcore

from .conftest import AUTH, BASE_URL, make_service, wsgi_mounted


def _run(app: Any, base_url: str, headers: list[tuple[str, str]] | None = None) -> list[Any]:
    client = WSGISCIMClient(app, base_url=base_url, headers=headers)
    return check_server(client)


def _summary(results: list[Any]) -> str:
    counts = collections.Counter(result.status.name for result in results)
    return f"{counts.get('SUCCESS', 0)}/{len(results)} ({dict(sorted(counts.items()))})"


def _failures(results: list[Any]) -> list[str]:
    return [
        f"{r.status.name} {r.resource_type or ''} {r.title}: {r.reason} {r.data!r:.300}"
        for r in results
        if r.status is not Status.SUCCESS
    ]


@pytest.fixture(scope="module")
def scim2_server_results() -> list[Any]:
    """The same tester against scim2-server's own WSGI application over its in-memory storage."""
    from scim2_server.applications.wsgi import WSGIApplication
    from scim2_server.memory import InMemoryStorage
    from scim2_server.utils import load_default_provider

    app = WSGIApplication(InMemoryStorage(), load_default_provider())
    return _run(app, "http://localhost/v2")


def test_scim2_tester_every_check_succeeds(storage, scim2_server_results, capsys) -> None:
    app = wsgi_mounted(scimcore.wsgi_app(make_service(storage)))
    results = _run(app, BASE_URL, headers=AUTH)
    with capsys.disabled():  # the counts go to the terminal even when output is captured
        print(
            f"\nscim2-tester {version('scim2-tester')} on scimcore ({storage.kind}): {_summary(results)}; "
            f"on scim2-server {version('scim2-server')}: {_summary(scim2_server_results)}"
        )
    assert results, "scim2-tester ran no check"
    assert _failures(results) == []
    # the reference run is a real one: if scim2-server stopped passing, the comparison would mean nothing
    assert _failures(scim2_server_results) == []


def test_scim2_tester_is_refused_without_the_token(storage) -> None:
    """The same client without credentials gets nowhere: the discovery checks fail with 401s."""
    app = wsgi_mounted(scimcore.wsgi_app(make_service(storage)))
    results = _run(app, BASE_URL)
    assert results and all(r.status is not Status.SUCCESS for r in results), _summary(results)
