"""The request path's fast forms (issue 15 performance) against the plain forms they replace: each must give the
same result on every input of a deterministic, exhaustive set of small cases."""

from __future__ import annotations

import itertools
import sys
from typing import Any
from urllib.parse import parse_qsl, unquote

from scimcore.service.http import lower_headers
from scimcore.service.routes import _unquote, parse_query
from scimcore.service.wsgi import _headers
from scimcore.store.front import _read_only_kept, _same_content

ESCAPES = ["%", "2", "0", "C", "3", "A", "9", "x", "+", "%C3", "%A9", "%E2%82", "%AC", "%zz", "%F0%9F%98", "%80", "é"]


def test_unquote_decodes_like_urllib() -> None:
    for length in range(1, 4):
        for parts in itertools.product(ESCAPES, repeat=length):
            text = "".join(parts)
            assert _unquote(text) == unquote(text), text


def test_parse_query_reads_like_parse_qsl() -> None:
    for parts in itertools.product(["a", "=", "&", "+", "%41", "%2", "B", ";"], repeat=5):
        query = "".join(parts)
        pairs = parse_qsl(query, keep_blank_values=True)
        names = [name.lower() for name, _ in pairs]
        if len(set(names)) == len(names):  # a repeated name is refused (or joined) by parse_query
            assert parse_query(query) == {name.lower(): value for name, value in pairs}, query


def _listed_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The headers as the WSGI adapter listed them before: ``HTTP_*`` pairs, then ``content-type``."""
    headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items() if key.startswith("HTTP_")]
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", environ["CONTENT_TYPE"]))
    return lower_headers(headers)


def test_wsgi_headers_are_what_the_listed_pairs_gave() -> None:
    base = {"REQUEST_METHOD": "GET", "PATH_INFO": "/Users", "wsgi.errors": sys.stderr, "SERVER_PORT": "80"}
    extras = [
        {},
        {"HTTP_HOST": "h", "HTTP_IF_MATCH": 'W/"1"', "HTTP_X_CUSTOM_NAME": "v"},
        {"CONTENT_TYPE": "application/scim+json"},
        {"CONTENT_TYPE": "a/b", "HTTP_CONTENT_TYPE": "c/d"},  # both: joined, as repeated headers are
        {"HTTP_AUTHORIZATION": "Bearer t", "CONTENT_TYPE": ""},
    ]
    for extra in extras:
        environ = {**base, **extra}
        headers = _headers(environ)
        assert headers == _listed_headers(environ), extra
        assert lower_headers(headers) is headers  # Service.handle takes them as they are
        again = {key: f"{value}!" if isinstance(value, str) else value for key, value in environ.items()}
        assert _headers(again) == _listed_headers(again), extra  # the same keys: the remembered names


VALUES: list[dict[str, Any]] = [
    {},
    {"id": "a"},
    {"id": "b"},
    {"ID": "a"},
    {"id": None},
    {"meta": {"v": 1}},
    {"meta": {"v": 2}},
    {"title": "x"},
    {"groups": []},
    {"Meta": {"v": 1}},
]
READ_ONLY = frozenset({"id", "meta", "groups"})


def test_read_only_kept_and_same_content_agree_with_their_definitions() -> None:
    for a, b, c, d in itertools.product(VALUES, repeat=4):
        current, patched = {**a, **c}, {**b, **d}
        keys = {key for key in (*current, *patched) if key.lower() in READ_ONLY}
        kept = all(patched.get(key) == current.get(key) for key in keys)
        assert _read_only_kept(current, patched, READ_ONLY) == kept, (current, patched)
        same = {k: v for k, v in patched.items() if k != "meta"} == {k: v for k, v in current.items() if k != "meta"}
        assert _same_content(patched, current) == same, (current, patched)
