"""Entra's and Okta's documented request sequences, replayed as data through ``scimcore.wsgi_app`` on every store.

Each file under ``sequences/`` is one identity provider's provisioning run (its source is named in the file): a
list of steps, each a request (method, path below the mount, query parameters, body) and what the documents say
the response is (status, and facts about the body and headers). ``{{name}}`` in a step is a value saved from an
earlier response (``save``), ``{{base}}`` the service's base URL, ``{{$.id}}`` the ``id`` of the response being
checked. RFC 7644 §3; docs/semantics.md §Protocol.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

import scimcore

from .conftest import AUTH, BASE_URL, Reply, make_service, wsgi_call

SEQUENCES = Path(__file__).parent / "sequences"
POLICIES = {"default": scimcore.Policy(), "entra": scimcore.Policy.ENTRA}
_PLACEHOLDER = re.compile(r"\{\{([^}]+)\}\}")
_MISSING = object()


def _fill(value: Any, saved: dict[str, Any]) -> Any:
    """``value`` with every ``{{name}}`` replaced by its saved value (in strings, lists and dicts)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: str(saved[m.group(1)]), value)
    if isinstance(value, list):
        return [_fill(item, saved) for item in value]
    if isinstance(value, dict):
        return {_fill(key, saved): _fill(item, saved) for key, item in value.items()}
    return value


def _at(document: Any, path: list[Any]) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(document, list) or key >= len(document):
                return _MISSING
        elif not isinstance(document, dict) or key not in document:
            return _MISSING
        document = document[key]
    return document


def _check(fact: dict[str, Any], reply: Reply, saved: dict[str, Any]) -> None:
    if "body" in fact:
        assert fact["body"] == "empty" and reply.body == b"", reply.body[:300]
        return
    if "header" in fact:
        actual = reply.header(fact["header"])
        where = f"header {fact['header']}"
    else:
        actual = _at(reply.json(), fact["path"])
        where = "/".join(map(str, fact["path"]))
    op, expected = fact["op"], _fill(fact.get("value"), saved)
    if op == "equals":
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    elif op == "not_empty":
        assert actual not in (_MISSING, None, "", [], {}), f"{where} is empty: {actual!r}"
    elif op == "absent":
        assert actual is _MISSING, f"{where} should be absent: {actual!r}"
    elif op == "empty_or_absent":
        assert actual in (_MISSING, None, []), f"{where} should be empty: {actual!r}"
    elif op == "contains":
        assert isinstance(actual, list) and expected in actual, f"{where}: {expected!r} not in {actual!r}"
    elif op == "length":
        assert isinstance(actual, list) and len(actual) == expected, f"{where}: length of {actual!r} != {expected}"
    elif op == "is_number":
        assert isinstance(actual, int) and not isinstance(actual, bool), f"{where}: {actual!r} is not a number"
    else:
        raise AssertionError(f"unknown fact operator {op!r}")


def replay(app: Any, sequence: dict[str, Any]) -> int:
    """Run every step of ``sequence`` through the WSGI ``app``; the number of steps run."""
    saved: dict[str, Any] = {"base": BASE_URL}
    common = list(sequence.get("headers", {}).items())
    for number, step in enumerate(sequence["steps"], 1):
        request = _fill(step["request"], saved)
        body = json.dumps(request["body"]).encode() if "body" in request else b""
        headers = common + AUTH
        if not body:
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        query = urlencode(request.get("query", {}), quote_via=quote)
        reply = wsgi_call(app, request["method"], request["path"], query, headers, body)
        label = f"step {number} ({step['name']}): {request['method']} {request['path']}"
        expect = step["expect"]
        statuses = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
        assert reply.status in statuses, f"{label}: status {reply.status}, body {reply.body[:500]!r}"
        if reply.body:
            assert (reply.header("Content-Type") or "").startswith("application/scim+json"), label
        document = reply.json() if reply.body else None
        if isinstance(document, dict) and "id" in document:
            saved["$.id"] = document["id"]
        for fact in expect["facts"]:
            try:
                _check(fact, reply, saved)
            except AssertionError as error:
                raise AssertionError(f"{label}: {error}") from None
        for name, path in step.get("save", {}).items():
            saved[name] = _at(document, path)
    return len(sequence["steps"])


def _sequences() -> list[Path]:
    return sorted(SEQUENCES.glob("*.json"))


def test_both_identity_providers_have_a_sequence() -> None:
    assert {path.stem for path in _sequences()} >= {"entra", "okta"}


@pytest.mark.parametrize("path", _sequences(), ids=lambda path: path.stem)
def test_identity_provider_sequence(path: Path, storage) -> None:
    sequence = json.loads(path.read_text("utf-8"))
    service = make_service(storage, policy=POLICIES[sequence["policy"]])
    assert replay(scimcore.wsgi_app(service), sequence) == len(sequence["steps"]) > 10


def test_a_wrong_expectation_fails_the_replay(storage) -> None:
    """The replay is not vacuous: a sequence that expects what the service does not do fails."""
    sequence = json.loads((SEQUENCES / "okta.json").read_text("utf-8"))
    wrong_status = json.loads(json.dumps(sequence))
    wrong_status["steps"][0]["expect"]["status"] = 200
    wrong_fact = json.loads(json.dumps(sequence))
    wrong_fact["steps"][0]["expect"]["facts"].append({"path": ["userName"], "op": "equals", "value": "someone else"})
    for broken in (wrong_status, wrong_fact):
        with pytest.raises(AssertionError, match="step 1"):
            replay(scimcore.wsgi_app(make_service(storage)), broken)
